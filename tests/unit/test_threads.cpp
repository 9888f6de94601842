// Threads (nn/threads.h): every program starts single-threaded, the count is settable, and GAN
// training on two threads is bit-for-bit repeatable (and agrees with one thread to rounding).
#include "models/gan.h"
#include "nn/threads.h"
#include "train/gan_trainer.h"

#include <doctest/doctest.h>

#include <utility>
#include <vector>

using nn::Matrix;

namespace {

// Two kinds of "digit": a vertical or a horizontal bar, in [0, 1].
Matrix bars(int n) {
    Matrix x = Matrix::Zero(n, 784);
    for (int i = 0; i < n; ++i)
        for (int t = 6; t < 22; ++t) {
            if (i % 2 == 0) x(i, t * 28 + 14) = 1.0f; else x(i, 14 * 28 + t) = 1.0f;
        }
    return x;
}

}  // namespace

TEST_CASE("nn: threads: every program starts single-threaded; the count is settable") {
    CHECK(nn::num_threads() == 1);
    const int set = nn::set_num_threads(2);
    CHECK(set == (nn::threads_supported() ? 2 : 1));
    CHECK(nn::num_threads() == set);
    CHECK(nn::set_num_threads(0) == 1);  // clamped
    CHECK(nn::num_threads() == 1);
}

TEST_CASE("gan: training on two threads is bit-for-bit repeatable, and close to one thread") {
    // Big enough that Eigen splits the products between threads (D 32/64 channels, batch 32).
    const Matrix images = bars(64);
    models::GanConfig config;
    config.latent = 16;
    config.channels = 32;
    config.d_channels = 32;
    auto run = [&](int threads) {
        nn::set_num_threads(threads);
        models::Gan gan;
        models::gan_init(gan, config, 3);
        train::GanTrainConfig tc;
        tc.batch = 32;
        train::GanTrainer trainer;
        train::gan_trainer_init(trainer, tc);
        for (int i = 0; i < 3; ++i) train::gan_train_step(trainer, gan, images, {});
        nn::set_num_threads(1);
        return std::make_pair(gan.g_deconv1.weight.value, gan.d_conv2.weight.value);
    };
    const auto one = run(1), two = run(2), two_again = run(2);
    CHECK((two.first - two_again.first).cwiseAbs().maxCoeff() == 0.0f);
    CHECK((two.second - two_again.second).cwiseAbs().maxCoeff() == 0.0f);
    CHECK((two.first - one.first).cwiseAbs().maxCoeff() < 1e-4f);
    CHECK((two.second - one.second).cwiseAbs().maxCoeff() < 1e-4f);
    CHECK(nn::num_threads() == 1);
}
