// Threads (nn/threads.h): every program starts single-threaded, the count is settable, tasks'
// exceptions reach the caller, and sharded GAN training (train/gan_trainer.h) is bit-for-bit the
// same on any number of threads.
#include "models/gan.h"
#include "nn/threads.h"
#include "train/gan_trainer.h"

#include <doctest/doctest.h>

#include <tuple>
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

TEST_CASE("nn: parallel_for runs every task once and rethrows a task's exception") {
    for (int threads : {1, 2}) {
        nn::set_num_threads(threads);
        std::vector<int> runs(7, 0);
        nn::parallel_for(7, [&](int i) { runs[static_cast<size_t>(i)] += 1; });
        CHECK(runs == std::vector<int>(7, 1));
        CHECK_THROWS_AS(nn::parallel_for(4, [](int i) { if (i == 3) throw std::invalid_argument("task 3"); }),
                        std::invalid_argument);
    }
    nn::set_num_threads(1);
}

TEST_CASE("gan: sharded training is bit-for-bit the same on 1 and 2 threads, close to unsharded") {
    const Matrix images = bars(64);
    std::vector<int> labels(64);
    for (int i = 0; i < 64; ++i) labels[static_cast<size_t>(i)] = i % 2;
    struct Variant {
        const char* name;
        int classes;
        bool spectral, minibatch_std;
        float feature_matching, r1;
        bool class_weights;
    };
    const Variant variants[] = {{"gan, feature matching, class weights", 0, false, false, 0.2f, 0, true},
                                {"cgan, SN, R1", 10, true, false, 0, 2.0f, false},
                                {"gan, SN, minibatch std", 0, true, true, 0.1f, 0, false}};
    for (const Variant& v : variants) {
        INFO(v.name);
        models::GanConfig config;
        config.latent = 8;
        config.classes = v.classes;
        config.channels = 8;
        config.d_channels = 4;
        config.d_spectral_norm = v.spectral;
        config.d_minibatch_std = v.minibatch_std;
        auto run = [&](int shards, int threads) {
            nn::set_num_threads(threads);
            models::Gan gan;
            models::gan_init(gan, config, 3);
            train::GanTrainConfig tc;
            tc.batch = 16;
            tc.shards = shards;
            tc.feature_matching = v.feature_matching;
            tc.r1 = v.r1;
            if (v.class_weights) tc.class_weights = {0.5f, 2.0f};
            train::GanTrainer trainer;
            train::gan_trainer_init(trainer, tc);
            const bool need_labels = v.classes > 0 || v.class_weights;
            float d_loss = 0;
            for (int i = 0; i < 4; ++i)
                d_loss = train::gan_train_step(trainer, gan, images, need_labels ? labels : std::vector<int>{}).d_loss;
            nn::set_num_threads(1);
            return std::make_tuple(gan.g_deconv1.weight.value, gan.d_conv2.bias.value, d_loss);
        };
        const auto one = run(2, 1), two = run(2, 2), again = run(2, 2), whole = run(1, 1);
        CHECK((std::get<0>(two) - std::get<0>(one)).cwiseAbs().maxCoeff() == 0.0f);
        CHECK((std::get<1>(two) - std::get<1>(one)).cwiseAbs().maxCoeff() == 0.0f);
        CHECK(std::get<2>(two) == std::get<2>(one));
        CHECK((std::get<0>(again) - std::get<0>(two)).cwiseAbs().maxCoeff() == 0.0f);
        // Shards change only the order of sums (and minibatch std's groups): close, not equal.
        const float tolerance = v.minibatch_std ? 1e-2f : 1e-4f;
        CHECK((std::get<0>(whole) - std::get<0>(one)).cwiseAbs().maxCoeff() < tolerance);
        CHECK(std::get<2>(whole) == doctest::Approx(std::get<2>(one)).epsilon(v.minibatch_std ? 1e-2 : 1e-4));
    }
    // A batch that does not split into equal shards is refused before anything moves.
    models::Gan gan;
    models::GanConfig config;
    config.latent = 4;
    config.channels = 4;
    config.d_channels = 2;
    models::gan_init(gan, config, 1);
    train::GanTrainConfig tc;
    tc.batch = 10;
    tc.shards = 4;
    train::GanTrainer trainer;
    train::gan_trainer_init(trainer, tc);
    CHECK_THROWS_AS(train::gan_train_step(trainer, gan, images, {}), std::invalid_argument);
    CHECK(trainer.step == 0);
    CHECK(trainer.cursor == 0);
}
