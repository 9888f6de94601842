// gan / cgan: whole-model gradient checks (generator through BatchNorm in training mode,
// discriminator incl. the projection term), a few optimiser steps lower each network's loss,
// trainer resume is exact, deterministic sampling, metadata errors, and golden outputs of the
// shipped generators (native and wasm).
#include "gradcheck.h"

#include "io/safetensors.h"
#include "models/gan.h"
#include "nn/losses.h"
#include "train/gan_trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>

using nn::Matrix;

namespace {

models::GanConfig tiny_config(int classes) {
    models::GanConfig c;
    c.latent = 3;
    c.classes = classes;
    c.channels = 4;
    c.d_channels = 2;
    return c;
}

std::string source_path(const std::string& relative) {
    return std::string(GENLAB_SOURCE_DIR) + "/" + relative;
}

// Two kinds of "digit": a vertical or a horizontal bar, in [0, 1].
Matrix bar_images(int n, std::vector<int>& labels) {
    Matrix x = Matrix::Zero(n, 784);
    labels.clear();
    for (int i = 0; i < n; ++i) {
        labels.push_back(i % 2);
        for (int t = 6; t < 22; ++t) {
            if (i % 2 == 0) x(i, t * 28 + 14) = 1.0f; else x(i, 14 * 28 + t) = 1.0f;
        }
    }
    return x;
}


// The tiny GAN of the trainer tests (init seed 7) and its trainer: batch 4, the rest from `tc`.
void init_tiny_training(models::Gan& gan, train::GanTrainer& trainer, train::GanTrainConfig tc,
                        int classes = 0) {
    models::gan_init(gan, tiny_config(classes), 7);
    tc.batch = 4;
    train::gan_trainer_init(trainer, tc);
}

// Like gradcheck::require_gradient, but for whole models whose ReLU/LeakyReLU kinks (hundreds
// of pre-activations near 0, shifted by BatchNorm when a parameter moves) make a few
// central differences straddle a kink: in every parameter tensor at most max(1, 20%) of the
// checked elements may miss the tolerance, and at most 5% over all tensors. A wrong backward (a transposed
// weight, a missing term) fails most elements, not a few.
struct KinkTolerantCheck {
    int checked = 0, failed = 0;
    void tensor(const std::string& what, Matrix& values, const Matrix& analytic,
                const std::function<double()>& loss, const gradcheck::Tolerance& tol) {
        nn::Rng rng(7);
        const Eigen::Index n = values.size();
        const bool sample = n > tol.max_elements;
        const int count = sample ? tol.max_elements : static_cast<int>(n);
        int bad = 0;
        double worst = 0, worst_num = 0, worst_an = 0;
        for (int k = 0; k < count; ++k) {
            const Eigen::Index i = sample ? rng.below(static_cast<uint32_t>(n)) : k;
            float& v = values.data()[i];
            const float saved = v;
            v = saved + tol.step;
            const double plus = loss();
            v = saved - tol.step;
            const double minus = loss();
            v = saved;
            const double numeric = (plus - minus) / (2.0 * tol.step);
            const double exact = analytic.data()[i];
            const double excess = std::fabs(numeric - exact) -
                                  (tol.atol + tol.rtol * std::max(std::fabs(numeric), std::fabs(exact)));
            if (excess > 0) ++bad;
            if (excess > worst) worst = excess, worst_num = numeric, worst_an = exact;
        }
        checked += count;
        failed += bad;
        INFO(what << ": " << bad << " of " << count << " elements outside tolerance; worst numeric "
                  << worst_num << " analytic " << worst_an);
        CHECK(bad <= std::max(1, count / 5));
    }
    void finish() {
        INFO(failed << " of " << checked << " elements outside tolerance in total");
        CHECK(failed * 100 <= checked * 5);
    }
};

// Saves a checkpoint of (trainer, gan), takes `steps` more steps, then loads the checkpoint into
// (resumed_trainer, resumed) and takes the same steps there: every generator and discriminator
// tensor must match exactly.
void check_resume_is_exact(train::GanTrainer& trainer, models::Gan& gan, const Matrix& images,
                           const std::vector<int>& labels, int steps, const std::string& path,
                           train::GanTrainer& resumed_trainer, models::Gan& resumed,
                           const std::function<void(train::GanTrainer&)>& after_load = nullptr) {
    train::gan_save_checkpoint(path, trainer, gan, {});
    for (int i = 0; i < steps; ++i) train::gan_train_step(trainer, gan, images, labels);
    train::gan_load_checkpoint(path, resumed_trainer, resumed);
    if (after_load) after_load(resumed_trainer);
    std::remove(path.c_str());
    for (int i = 0; i < steps; ++i) train::gan_train_step(resumed_trainer, resumed, images, labels);
    CHECK(resumed_trainer.step == trainer.step);
    nn::ParamList a = models::gan_generator_params(gan), b = models::gan_generator_params(resumed);
    nn::ParamList da = models::gan_discriminator_params(gan), db = models::gan_discriminator_params(resumed);
    for (nn::Param* p : da.params) a.add(*p);
    for (nn::Param* p : db.params) b.add(*p);
    REQUIRE(a.params.size() == b.params.size());
    for (size_t k = 0; k < a.params.size(); ++k) {
        INFO(a.params[k]->name);
        CHECK((a.params[k]->value - b.params[k]->value).cwiseAbs().maxCoeff() == 0.0f);
    }
}

}  // namespace

TEST_CASE("gan: generator gradient check (BatchNorm in training mode), GAN and cGAN") {
    for (int classes : {0, 10}) {
        models::Gan gan;
        models::gan_init(gan, tiny_config(classes), 3);
        // Larger weights than DCGAN's N(0, 0.02) so the check is not dominated by rounding.
        nn::ParamList params = models::gan_generator_params(gan);
        nn::Rng rng(9);
        for (nn::Param* p : params.params)
            if (p->trainable && p->name.find("bn") == std::string::npos) nn::fill_uniform(p->value, rng, -0.5f, 0.5f);
        Matrix z;
        models::gan_sample_latent(z, 3, 3, 17);
        std::vector<int> labels = classes ? std::vector<int>{1, 7, 1} : std::vector<int>{};
        models::GeneratorActs acts;
        models::generator_forward(acts, z, labels, gan, true);
        const Matrix r = gradcheck::projection_like(acts.out);
        nn::zero_grad(params);
        models::generator_backward(r, acts, gan);
        auto loss = [&]() {
            models::GeneratorActs a;
            models::generator_forward(a, z, labels, gan, true);
            return gradcheck::project(a.out, r);
        };
        gradcheck::Tolerance tol;
        tol.step = 1e-3f;
        tol.atol = 2e-3f;
        tol.rtol = 5e-2f;
        INFO("classes " << classes);
        KinkTolerantCheck check;
        for (nn::Param* p : params.params)
            if (p->trainable) check.tensor(p->name, p->value, p->grad, loss, tol);
        check.finish();
    }
}

TEST_CASE("gan: discriminator gradient check incl. input gradient and projection") {
    for (int classes : {0, 10}) {
        models::Gan gan;
        models::gan_init(gan, tiny_config(classes), 4);
        nn::ParamList params = models::gan_discriminator_params(gan);
        nn::Rng rng(5);
        for (nn::Param* p : params.params) nn::fill_uniform(p->value, rng, -0.3f, 0.3f);
        Matrix x = gradcheck::random_matrix(2, 784, 8);
        std::vector<int> labels = classes ? std::vector<int>{4, 2} : std::vector<int>{};
        models::DiscriminatorActs acts;
        models::discriminator_forward(acts, x, labels, gan);
        const Matrix targets = (Matrix(2, 1) << 1.0f, 0.0f).finished();
        Matrix dlogits, dx;
        nn::bce_with_logits(acts.logits, targets, 0.5f, &dlogits);
        nn::zero_grad(params);
        models::discriminator_backward(&dx, dlogits, x, labels, acts, gan);
        auto loss = [&]() {
            models::DiscriminatorActs a;
            models::discriminator_forward(a, x, labels, gan);
            return double(nn::bce_with_logits(a.logits, targets, 0.5f, nullptr));
        };
        gradcheck::Tolerance tol;
        tol.step = 1e-3f;
        tol.atol = 1e-3f;
        tol.rtol = 5e-2f;  // LeakyReLU kinks
        INFO("classes " << classes);
        KinkTolerantCheck check;
        for (nn::Param* p : params.params) check.tensor(p->name, p->value, p->grad, loss, tol);
        check.tensor("input x", x, dx, loss, tol);
        check.finish();
    }
}

TEST_CASE("gan: optimiser steps lower the D loss (fixed G) and the G loss (fixed D)") {
    models::Gan gan;
    models::GanConfig config = tiny_config(10);
    config.channels = 8;
    config.d_channels = 4;
    models::gan_init(gan, config, 1);
    std::vector<int> labels;
    Matrix real = bar_images(8, labels);
    real = real.array() * 2.0f - 1.0f;
    Matrix z;
    models::gan_sample_latent(z, 8, config.latent, 2);
    models::GeneratorActs g;
    models::generator_forward(g, z, labels, gan, true);
    const Matrix fake = g.out;
    nn::ParamList d_params = models::gan_discriminator_params(gan);
    nn::ParamList g_params = models::gan_generator_params(gan);
    nn::Adam opt_d, opt_g;
    opt_d.lr = opt_g.lr = 2e-3f;
    const Matrix ones = Matrix::Ones(8, 1), zeros = Matrix::Zero(8, 1);
    models::DiscriminatorActs d;
    auto d_loss = [&](bool backward) {
        Matrix dl;
        models::discriminator_forward(d, real, labels, gan);
        float l = nn::bce_with_logits(d.logits, ones, 1.0f / 8, &dl);
        if (backward) models::discriminator_backward(nullptr, dl, real, labels, d, gan);
        models::discriminator_forward(d, fake, labels, gan);
        l += nn::bce_with_logits(d.logits, zeros, 1.0f / 8, &dl);
        if (backward) models::discriminator_backward(nullptr, dl, fake, labels, d, gan);
        return l;
    };
    const float d_before = d_loss(false);
    for (int i = 0; i < 10; ++i) {
        nn::zero_grad(d_params);
        d_loss(true);
        nn::adam_step(opt_d, d_params);
    }
    const float d_after = d_loss(false);
    CHECK(d_after < d_before - 0.1f);

    auto g_loss = [&](bool backward) {
        models::GeneratorActs ga;
        models::generator_forward(ga, z, labels, gan, true);
        models::discriminator_forward(d, ga.out, labels, gan);
        Matrix dl, dfake;
        const float l = nn::bce_with_logits(d.logits, ones, 1.0f / 8, &dl);
        if (backward) {
            models::discriminator_backward(&dfake, dl, ga.out, labels, d, gan);
            models::generator_backward(dfake, ga, gan);
        }
        return l;
    };
    const float g_before = g_loss(false);
    for (int i = 0; i < 10; ++i) {
        nn::zero_grad(g_params);
        g_loss(true);
        nn::adam_step(opt_g, g_params);
    }
    CHECK(g_loss(false) < g_before - 0.1f);
}

TEST_CASE("gan: feature matching: the extra feature gradient is exact; trainer and resume") {
    models::Gan gan;
    models::gan_init(gan, tiny_config(0), 4);
    nn::ParamList params = models::gan_discriminator_params(gan);
    nn::Rng rng(6);
    for (nn::Param* p : params.params) nn::fill_uniform(p->value, rng, -0.3f, 0.3f);
    Matrix x = gradcheck::random_matrix(3, 784, 9);
    models::DiscriminatorActs acts;
    models::discriminator_forward(acts, x, {}, gan);
    const Eigen::RowVectorXf target = gradcheck::random_matrix(1, acts.h.cols(), 10).row(0) * 0.1f;
    const Matrix ones = Matrix::Ones(3, 1);
    const float lambda = 2.5f;
    // loss = BCE(logits, 1) / 3 + lambda * ||mean_b h_b - target||^2, as in the trainer's G step
    auto loss = [&]() {
        models::DiscriminatorActs a;
        models::discriminator_forward(a, x, {}, gan);
        const double bce = nn::bce_with_logits(a.logits, ones, 1.0f / 3, nullptr);
        return bce + lambda * double((Eigen::RowVectorXf(a.h.colwise().mean()) - target).squaredNorm());
    };
    Matrix dlogits, dx;
    nn::bce_with_logits(acts.logits, ones, 1.0f / 3, &dlogits);
    const Eigen::RowVectorXf diff = Eigen::RowVectorXf(acts.h.colwise().mean()) - target;
    const Matrix dh = (diff * (2.0f * lambda / 3.0f)).replicate(3, 1);
    nn::zero_grad(params);
    models::discriminator_backward(&dx, dlogits, x, {}, acts, gan, &dh);
    gradcheck::Tolerance tol;
    tol.step = 1e-3f;
    tol.atol = 1e-3f;
    tol.rtol = 5e-2f;
    KinkTolerantCheck check;
    for (nn::Param* p : params.params) check.tensor(p->name, p->value, p->grad, loss, tol);
    check.tensor("input x", x, dx, loss, tol);
    check.finish();

    // The same through the first layer's features (relu1, feature_matching_1).
    const Eigen::RowVectorXf target1 = gradcheck::random_matrix(1, acts.relu1.cols(), 11).row(0) * 0.1f;
    auto loss1 = [&]() {
        models::DiscriminatorActs a;
        models::discriminator_forward(a, x, {}, gan);
        const double bce = nn::bce_with_logits(a.logits, ones, 1.0f / 3, nullptr);
        return bce + lambda * double((Eigen::RowVectorXf(a.relu1.colwise().mean()) - target1).squaredNorm());
    };
    models::discriminator_forward(acts, x, {}, gan);
    const Eigen::RowVectorXf diff1 = Eigen::RowVectorXf(acts.relu1.colwise().mean()) - target1;
    const Matrix drelu1 = (diff1 * (2.0f * lambda / 3.0f)).replicate(3, 1);
    nn::zero_grad(params);
    models::discriminator_backward(&dx, dlogits, x, {}, acts, gan, nullptr, &drelu1);
    KinkTolerantCheck check1;
    for (nn::Param* p : params.params) check1.tensor(p->name, p->value, p->grad, loss1, tol);
    check1.tensor("input x", x, dx, loss1, tol);
    check1.finish();

    std::vector<int> labels;
    Matrix images = bar_images(12, labels);
    models::Gan trained;
    train::GanTrainer trainer;
    train::GanTrainConfig tc;
    tc.feature_matching = 1.0f;
    init_tiny_training(trained, trainer, tc);
    for (int i = 0; i < 3; ++i) {
        train::GanStepStats s = train::gan_train_step(trainer, trained, images, {});
        CHECK(std::isfinite(s.g_loss));
        CHECK(s.fm_loss > 0.0f);
        CHECK(std::isfinite(s.fm_loss));
    }
    models::Gan resumed;
    train::GanTrainer resumed_trainer;
    check_resume_is_exact(trainer, trained, images, {}, 2, "/tmp/genlab_test_fm_ckpt.safetensors",
                          resumed_trainer, resumed);
    CHECK(resumed_trainer.config.feature_matching == 1.0f);
    CHECK(resumed_trainer.config.feature_matching_1 == 0.0f);

    // Off by default: the G step is the plain one (fm_loss stays 0).
    train::GanTrainConfig plain;
    plain.batch = 4;
    train::gan_trainer_init(trainer, plain);
    CHECK(train::gan_train_step(trainer, trained, images, {}).fm_loss == 0.0f);
    plain.feature_matching_1 = 0.5f;  // first layer only
    train::gan_trainer_init(trainer, plain);
    CHECK(train::gan_train_step(trainer, trained, images, {}).fm_loss > 0.0f);
    plain.feature_matching_1 = -1.0f;
    CHECK_THROWS_AS(train::gan_trainer_init(trainer, plain), std::invalid_argument);
}

TEST_CASE("gan: class weights make the trainer see the data mix they describe") {
    std::vector<int> labels;
    Matrix images = bar_images(12, labels);  // digit 0 = vertical bar, 1 = horizontal, alternating
    // All tensors (G and D) after 3 steps from the same init on (images, labels).
    auto train_params = [](const Matrix& data, const std::vector<int>& data_labels,
                           std::vector<float> weights, float fm) {
        models::Gan gan;
        train::GanTrainer trainer;
        train::GanTrainConfig tc;
        tc.feature_matching = fm;
        tc.class_weights = std::move(weights);
        init_tiny_training(gan, trainer, tc);
        for (int i = 0; i < 3; ++i) train::gan_train_step(trainer, gan, data, data_labels);
        std::vector<Matrix> values;
        nn::ParamList all = models::gan_generator_params(gan);
        for (nn::Param* p : models::gan_discriminator_params(gan).params) all.add(*p);
        for (const nn::Param* p : all.params) values.push_back(p->value);
        return values;
    };
    auto max_diff = [](const std::vector<Matrix>& a, const std::vector<Matrix>& b) {
        float worst = 0;
        for (size_t k = 0; k < a.size(); ++k) worst = std::max(worst, (a[k] - b[k]).cwiseAbs().maxCoeff());
        return worst;
    };
    // Equal weights are self-normalised to 1: the same run as without weights (bit for bit when
    // only the BCE terms see them; feature matching takes a weighted mean, same up to rounding).
    CHECK(max_diff(train_params(images, labels, {2, 2}, 0), train_params(images, labels, {}, 0)) == 0.0f);
    CHECK(max_diff(train_params(images, labels, {2, 2}, 1), train_params(images, labels, {}, 1)) < 1e-5f);
    // Unequal weights change the run.
    CHECK(max_diff(train_params(images, labels, {1, 3}, 1), train_params(images, labels, {}, 1)) > 1e-4f);
    // Weight ~0 on digit 0: the run is (up to the 1e-6 weight) the one on a dataset of digit 1
    // only, because every image of a digit is the same bar here and the latents depend only on
    // (seed, step). Each of the 3 batches holds some digit 1 with this seed.
    std::vector<int> ones_labels;
    Matrix ones_only = bar_images(12, ones_labels);
    for (int i = 0; i < 12; ++i) ones_only.row(i) = images.row(1), ones_labels[static_cast<size_t>(i)] = 1;
    const std::vector<Matrix> reference = train_params(ones_only, ones_labels, {}, 1);
    CHECK(max_diff(train_params(images, labels, {1e-6f, 1}, 1), reference) < 1e-4f);
    CHECK(max_diff(train_params(images, labels, {}, 1), reference) > 1e-3f);  // the mix matters

    // Resume keeps the weights and is exact.
    models::Gan gan;
    train::GanTrainer trainer;
    train::GanTrainConfig tc;
    tc.feature_matching = 0.5f;
    tc.class_weights = {0.7f, 1.3f};
    init_tiny_training(gan, trainer, tc);
    for (int i = 0; i < 2; ++i) train::gan_train_step(trainer, gan, images, labels);
    models::Gan resumed;
    train::GanTrainer resumed_trainer;
    check_resume_is_exact(trainer, gan, images, labels, 3, "/tmp/genlab_test_cw_ckpt.safetensors",
                          resumed_trainer, resumed);
    CHECK(resumed_trainer.config.class_weights == std::vector<float>{0.7f, 1.3f});

    // Errors, before the trainer moves.
    const int64_t step = trainer.step;
    const int cursor = trainer.cursor;
    CHECK_THROWS_WITH_AS(train::gan_train_step(trainer, gan, images, {}),
                         doctest::Contains("class weights need one label per training image"),
                         std::invalid_argument);
    std::vector<int> bad_labels = labels;
    bad_labels[5] = 2;  // only digits 0 and 1 have a weight
    CHECK_THROWS_WITH_AS(train::gan_train_step(trainer, gan, images, bad_labels),
                         doctest::Contains("label 2 has no class weight"), std::invalid_argument);
    CHECK(trainer.step == step);
    CHECK(trainer.cursor == cursor);
    for (float bad : {0.0f, -1.0f, std::nanf(""), std::numeric_limits<float>::infinity()}) {
        tc.class_weights = {1.0f, bad};
        CHECK_THROWS_AS(train::gan_trainer_init(trainer, tc), std::invalid_argument);
    }
    models::Gan cgan;
    models::gan_init(cgan, tiny_config(10), 7);
    tc.class_weights = std::vector<float>(10, 1.0f);
    train::gan_trainer_init(trainer, tc);
    std::vector<int> digits(12);
    for (int i = 0; i < 12; ++i) digits[static_cast<size_t>(i)] = i % 10;
    CHECK_THROWS_WITH_AS(train::gan_train_step(trainer, cgan, images, digits),
                         doctest::Contains("unconditional"), std::invalid_argument);
}

TEST_CASE("gan: PacGAN discriminator (d_pack 2): packs, gradients, trainer, metadata") {
    models::GanConfig config = tiny_config(0);
    config.d_pack = 2;
    models::Gan gan;
    models::gan_init(gan, config, 4);
    nn::ParamList params = models::gan_discriminator_params(gan);
    CHECK(gan.d_conv1.weight.shape[1] == 2);  // [out, in = pack, k, k]
    nn::Rng rng(5);
    for (nn::Param* p : params.params) nn::fill_uniform(p->value, rng, -0.3f, 0.3f);
    Matrix x = gradcheck::random_matrix(4, 784, 8);
    models::DiscriminatorActs acts;
    models::discriminator_forward(acts, x, {}, gan);
    REQUIRE(acts.logits.rows() == 2);  // one logit per pack of two images
    {   // pack k sees rows 2k and 2k+1 only, and both of them
        Matrix changed = x;
        changed.row(3).array() += 0.5f;
        models::DiscriminatorActs a;
        models::discriminator_forward(a, changed, {}, gan);
        CHECK(a.logits(0, 0) == acts.logits(0, 0));
        CHECK(a.logits(1, 0) != acts.logits(1, 0));
        changed = x;
        changed.row(0).array() += 0.5f;
        models::discriminator_forward(a, changed, {}, gan);
        CHECK(a.logits(0, 0) != acts.logits(0, 0));
        CHECK(a.logits(1, 0) == acts.logits(1, 0));
    }
    const Matrix targets = (Matrix(2, 1) << 1.0f, 0.0f).finished();
    Matrix dlogits, dx;
    nn::bce_with_logits(acts.logits, targets, 0.5f, &dlogits);
    nn::zero_grad(params);
    models::discriminator_backward(&dx, dlogits, x, {}, acts, gan);
    REQUIRE(dx.rows() == 4);
    REQUIRE(dx.cols() == 784);
    auto loss = [&]() {
        models::DiscriminatorActs a;
        models::discriminator_forward(a, x, {}, gan);
        return double(nn::bce_with_logits(a.logits, targets, 0.5f, nullptr));
    };
    gradcheck::Tolerance tol;
    tol.step = 1e-3f;
    tol.atol = 1e-3f;
    tol.rtol = 5e-2f;
    KinkTolerantCheck check;
    for (nn::Param* p : params.params) check.tensor(p->name, p->value, p->grad, loss, tol);
    check.tensor("input x", x, dx, loss, tol);
    check.finish();

    CHECK_THROWS(models::discriminator_forward(acts, Matrix::Zero(3, 784), {}, gan));

    // Trainer: finite steps, exact resume, d_pack survives the checkpoint.
    std::vector<int> labels;
    Matrix images = bar_images(12, labels);
    train::GanTrainer trainer;
    train::GanTrainConfig tc;
    tc.batch = 4;
    train::gan_trainer_init(trainer, tc);
    for (int i = 0; i < 3; ++i) {
        train::GanStepStats s = train::gan_train_step(trainer, gan, images, {});
        CHECK(std::isfinite(s.d_loss));
        CHECK(std::isfinite(s.g_loss));
    }
    models::Gan resumed;
    train::GanTrainer resumed_trainer;
    check_resume_is_exact(trainer, gan, images, {}, 2, "/tmp/genlab_test_pacgan_ckpt.safetensors",
                          resumed_trainer, resumed);
    CHECK(resumed.config.d_pack == 2);
    tc.batch = 3;  // not a multiple of the pack
    train::gan_trainer_init(trainer, tc);
    CHECK_THROWS_WITH_AS(train::gan_train_step(trainer, gan, images, {}),
                         doctest::Contains("multiple of d_pack"), std::invalid_argument);

    auto meta = models::gan_metadata(config);
    CHECK(meta.at("d_pack") == "2");
    CHECK(models::gan_config_from_metadata(meta, "x").d_pack == 2);
    CHECK(models::gan_metadata(tiny_config(0)).count("d_pack") == 0);  // old files: absent = 1
    CHECK(models::gan_config_from_metadata(models::gan_metadata(tiny_config(0)), "x").d_pack == 1);
    meta["d_pack"] = "0";
    CHECK_THROWS(models::gan_config_from_metadata(meta, "x"));
    models::GanConfig conditional = tiny_config(10);
    conditional.d_pack = 2;
    CHECK_THROWS_AS(models::gan_init(resumed, conditional, 1), std::invalid_argument);
}

TEST_CASE("gan: latent matching pulls the fake mean of a frozen VAE encoder to the real one") {
    std::vector<int> labels;
    Matrix images = bar_images(12, labels);
    models::VaeConfig vc;
    vc.latent = 3;
    vc.hidden = 8;
    vc.layers = 1;
    models::Vae encoder;
    models::vae_init(encoder, vc, 5);
    models::Gan gan;
    models::gan_init(gan, tiny_config(0), 7);
    train::GanTrainer trainer;
    train::GanTrainConfig config;
    config.batch = 4;
    config.latent_matching = 50.0f;  // large: the term dominates the adversarial one
    train::gan_trainer_init(trainer, config);
    // On but no encoder: a clear error before the trainer moves.
    CHECK_THROWS_AS(train::gan_train_step(trainer, gan, images, {}), std::invalid_argument);
    CHECK(trainer.step == 0);
    CHECK(trainer.cursor == 0);
    train::gan_trainer_set_latent_encoder(trainer, encoder, images);
    {   // the target is the mean mu of the images
        Matrix mu, logvar;
        models::vae_encode(mu, logvar, images, encoder);
        CHECK((Eigen::RowVectorXf(mu.colwise().mean()) - trainer.latent_real_mean).cwiseAbs().maxCoeff() < 1e-5f);
    }
    // Mean of mu over many generator samples vs the target. BatchNorm in training mode, as the
    // term sees the generator (30 fast steps leave the running statistics behind).
    auto distance = [&](models::Gan& g) {
        Matrix z, mu, logvar;
        models::gan_sample_latent(z, 400, g.config.latent, 99);
        models::GeneratorActs acts;
        models::generator_forward(acts, z, {}, g, /*training=*/true);
        const Matrix fake = (acts.out.array() + 1.0f) * 0.5f;
        models::vae_encode(mu, logvar, fake, encoder);
        return (Eigen::RowVectorXf(mu.colwise().mean()) - trainer.latent_real_mean).norm();
    };
    // The same 30 steps from the same start with and without the term.
    auto train_with = [&](float lambda, train::GanTrainer& t, models::Gan& g) {
        models::gan_init(g, tiny_config(0), 7);
        train::GanTrainConfig c = config;
        c.lr = 5e-3f;
        c.latent_matching = lambda;
        train::gan_trainer_init(t, c);
        train::gan_trainer_set_latent_encoder(t, encoder, images);
        for (int i = 0; i < 30; ++i) {
            train::GanStepStats s = train::gan_train_step(t, g, images, {});
            REQUIRE(std::isfinite(s.g_loss));
            CHECK((s.lm_loss > 0.0f) == (lambda > 0.0f));  // reported only when on
        }
        return distance(g);
    };
    const float before = distance(gan);
    train::GanTrainer plain_trainer;
    models::Gan plain;
    const float without = train_with(0.0f, plain_trainer, plain);
    const float with = train_with(50.0f, trainer, gan);
    INFO("distance of the fake mean latent from the real one: at init " << before
         << ", after 30 steps without the term " << without << ", with it " << with);
    CHECK(with < 0.5f * before);
    CHECK(with < 0.5f * without);

    // Resume: lambda comes back from the checkpoint, the encoder is set again by the caller.
    models::Gan resumed;
    train::GanTrainer resumed_trainer;
    check_resume_is_exact(trainer, gan, images, {}, 2, "/tmp/genlab_test_lm_ckpt.safetensors",
                          resumed_trainer, resumed, [&](train::GanTrainer& t) {
                              CHECK(t.config.latent_matching == 50.0f);
                              train::gan_trainer_set_latent_encoder(t, encoder, images);
                          });
    config.latent_matching = -1;
    CHECK_THROWS_AS(train::gan_trainer_init(trainer, config), std::invalid_argument);
}

TEST_CASE("gan: trainer steps are finite, small batches work, resume is exact") {
    std::vector<int> labels;
    Matrix images = bar_images(12, labels);
    for (int classes : {0, 10}) {
        models::Gan gan;
        models::gan_init(gan, tiny_config(classes), 7);
        train::GanTrainer trainer;
        train::GanTrainConfig config;
        config.batch = 4;
        config.ema_decay = 0.9f;
        train::gan_trainer_init(trainer, config);
        const std::vector<int> used = classes ? labels : std::vector<int>{};
        for (int i = 0; i < 4; ++i) {
            train::GanStepStats s = train::gan_train_step(trainer, gan, images, used);
            CHECK(std::isfinite(s.d_loss));
            CHECK(std::isfinite(s.g_loss));
            CHECK(s.d_real > 0.0f);
            CHECK(s.d_real < 1.0f);
        }
        models::Gan resumed;
        train::GanTrainer resumed_trainer;
        check_resume_is_exact(trainer, gan, images, used, 3, "/tmp/genlab_test_gan_ckpt.safetensors",
                              resumed_trainer, resumed);
        CHECK(resumed_trainer.step == 7);
        REQUIRE(trainer.ema.size() == resumed_trainer.ema.size());
        REQUIRE(!trainer.ema.empty());
        for (size_t k = 0; k < trainer.ema.size(); ++k)
            CHECK((trainer.ema[k] - resumed_trainer.ema[k]).cwiseAbs().maxCoeff() == 0.0f);
    }
}

// Random discriminator weights for a gradient check (the DCGAN init is too small to rise above
// rounding); with spectral norm the raw weights are set and the layers' W / sigma refreshed.
void randomize_discriminator(models::Gan& gan, uint64_t seed) {
    nn::Rng rng(seed);
    for (nn::Param* p : models::gan_discriminator_params(gan).params)
        if (p->trainable) nn::fill_uniform(p->value, rng, -0.3f, 0.3f);
    models::discriminator_normalize(gan, 20);
}

TEST_CASE("gan: discriminator with spectral norm and minibatch std: gradient check, tensor names") {
    for (int classes : {0, 10}) {
        models::GanConfig config = tiny_config(classes);
        config.d_spectral_norm = true;
        config.d_minibatch_std = true;
        models::Gan gan;
        models::gan_init(gan, config, 4);
        nn::ParamList params = models::gan_discriminator_params(gan);
        CHECK(params.find("discriminator.conv1.weight_orig") != nullptr);
        CHECK(params.find("discriminator.conv2.weight_u") != nullptr);
        CHECK(params.find("discriminator.conv1.weight") == nullptr);  // derived, not trained
        CHECK(gan.d_conv2.g.in_channels == config.d_channels + 1);     // + the std channel
        // After init the layers hold W / sigma: its largest singular value is ~1.
        CHECK(gan.d_sn_fc.sigma > 0.0f);
        CHECK((gan.d_fc.weight.value * gan.d_sn_fc.sigma - gan.d_sn_fc.weight_orig.value).cwiseAbs().maxCoeff() < 1e-6f);
        randomize_discriminator(gan, 5);
        Matrix x = gradcheck::random_matrix(3, 784, 8);
        std::vector<int> labels = classes ? std::vector<int>{4, 2, 4} : std::vector<int>{};
        const Matrix targets = (Matrix(3, 1) << 1.0f, 0.0f, 1.0f).finished();
        models::DiscriminatorActs acts;
        models::discriminator_forward(acts, x, labels, gan);
        Matrix dlogits, dx;
        nn::bce_with_logits(acts.logits, targets, 0.5f, &dlogits);
        nn::zero_grad(params);
        models::discriminator_backward(&dx, dlogits, x, labels, acts, gan);
        models::discriminator_spectral_backward(gan);
        auto loss = [&]() {
            models::discriminator_normalize(gan, 0);  // W / sigma with the same u, v
            models::DiscriminatorActs a;
            models::discriminator_forward(a, x, labels, gan);
            return double(nn::bce_with_logits(a.logits, targets, 0.5f, nullptr));
        };
        gradcheck::Tolerance tol;
        tol.step = 1e-3f;
        tol.atol = 1e-3f;
        tol.rtol = 5e-2f;
        INFO("classes " << classes);
        KinkTolerantCheck check;
        for (nn::Param* p : params.params)
            if (p->trainable) check.tensor(p->name, p->value, p->grad, loss, tol);
        check.tensor("input x", x, dx, loss, tol);
        check.finish();
    }
}

TEST_CASE("gan: R1 penalty: the value is 1/2 mean ||dD/dx||^2, its parameter gradient checks") {
    for (bool spectral : {false, true})
        for (int classes : {0, 10}) {
            models::GanConfig config = tiny_config(classes);
            config.d_spectral_norm = spectral;
            models::Gan gan;
            models::gan_init(gan, config, 6);
            randomize_discriminator(gan, 7);
            const Matrix x = gradcheck::random_matrix(3, 784, 9);
            std::vector<int> labels = classes ? std::vector<int>{1, 9, 5} : std::vector<int>{};
            nn::ParamList params = models::gan_discriminator_params(gan);
            // The input gradient agrees with discriminator_backward for dlogits = 1.
            models::DiscriminatorActs acts;
            models::discriminator_forward(acts, x, labels, gan);
            Matrix dx;
            models::discriminator_backward(&dx, Matrix::Ones(3, 1), x, labels, acts, gan);
            nn::zero_grad(params);
            models::discriminator_normalize(gan, 0);  // also zeroes the layers' weight grads
            models::R1Scratch scratch;
            const float r1 = models::discriminator_r1(x, labels, gan, 2.0f, scratch);
            CHECK(r1 == doctest::Approx(0.5 * dx.cast<double>().squaredNorm() / 3).epsilon(1e-4));
            CHECK((scratch.grad_x - dx).cwiseAbs().maxCoeff() < 1e-6f);
            // A derivative has no bias term.
            CHECK(gan.d_conv1.bias.grad.cwiseAbs().maxCoeff() == 0.0f);
            CHECK(gan.d_fc.bias.grad.cwiseAbs().maxCoeff() == 0.0f);
            models::discriminator_spectral_backward(gan);
            // R1 jumps where a perturbation flips a LeakyReLU slope (g changes by a finite step),
            // so the reference holds the slopes of the unperturbed forward fixed: R1 is then
            // smooth in the weights, and its derivative is the true one wherever that exists.
            const Matrix conv1_out = acts.conv1_out, conv2_out = acts.conv2_out;
            auto loss = [&]() {
                models::discriminator_normalize(gan, 0);
                Matrix dh = gan.d_fc.weight.value.replicate(3, 1), d_conv2, d_relu1, d_conv1, gx;
                if (classes) {
                    Matrix embed;
                    nn::embedding_forward(embed, labels, gan.d_embed);
                    dh += embed;
                }
                nn::ConvScratch cs;
                nn::leaky_relu_backward(d_conv2, dh, conv2_out, 0.2f);
                nn::conv2d_backward(&d_relu1, d_conv2, acts.relu1, gan.d_conv2, cs);
                nn::leaky_relu_backward(d_conv1, d_relu1, conv1_out, 0.2f);
                nn::conv2d_backward(&gx, d_conv1, x, gan.d_conv1, cs);
                return 2.0 * 0.5 * gx.cast<double>().squaredNorm() / 3;
            };
            std::vector<Matrix> analytic;  // copied: the reference's backward passes add to grads
            for (nn::Param* p : params.params) analytic.push_back(p->grad);
            gradcheck::Tolerance tol;
            tol.step = 1e-3f;
            tol.atol = 1e-4f;
            tol.rtol = 1e-2f;
            INFO("classes " << classes << " spectral norm " << spectral);
            for (size_t k = 0; k < params.params.size(); ++k) {
                nn::Param* p = params.params[k];
                if (p->trainable && p->name.find("bias") == std::string::npos)
                    gradcheck::require_gradient(p->name, p->value, analytic[k], loss, tol);
            }
        }
    models::GanConfig with_std = tiny_config(0);
    with_std.d_minibatch_std = true;
    models::Gan gan;
    models::gan_init(gan, with_std, 1);
    models::R1Scratch scratch;
    CHECK_THROWS_AS(models::discriminator_r1(Matrix::Zero(2, 784), {}, gan, 1.0f, scratch),
                    std::invalid_argument);
}

TEST_CASE("gan: hinge loss, TTUR, spectral norm, minibatch std, lazy R1: trainer and exact resume") {
    std::vector<int> labels;
    Matrix images = bar_images(12, labels);
    struct Variant {
        const char* name;
        bool spectral, minibatch_std;
        train::GanLoss loss;
        float r1;
        int r1_every;
    };
    const Variant variants[] = {{"hinge + SN + mbstd + TTUR", true, true, train::GanLoss::Hinge, 0, 1},
                                {"bce + R1 every 2 + SN", true, false, train::GanLoss::Bce, 5.0f, 2},
                                {"hinge + R1", false, false, train::GanLoss::Hinge, 1.0f, 1}};
    for (const Variant& v : variants)
        for (int classes : {0, 10}) {
            INFO(v.name << ", classes " << classes);
            models::GanConfig config = tiny_config(classes);
            config.d_spectral_norm = v.spectral;
            config.d_minibatch_std = v.minibatch_std;
            models::Gan gan;
            models::gan_init(gan, config, 7);
            train::GanTrainConfig tc;
            tc.batch = 4;
            tc.loss = v.loss;
            tc.lr_d = 4e-4f;
            tc.beta2 = 0.99f;
            tc.r1 = v.r1;
            tc.r1_every = v.r1_every;
            train::GanTrainer trainer;
            train::gan_trainer_init(trainer, tc);
            CHECK(trainer.opt_d.lr == 4e-4f);
            CHECK(trainer.opt_g.lr == tc.lr);
            const std::vector<int> used = classes ? labels : std::vector<int>{};
            const Matrix d_before = v.spectral ? gan.d_sn_conv2.weight_orig.value : gan.d_conv2.weight.value;
            int r1_steps = 0;
            for (int i = 0; i < 4; ++i) {
                train::GanStepStats s = train::gan_train_step(trainer, gan, images, used);
                CHECK(std::isfinite(s.d_loss));
                CHECK(std::isfinite(s.g_loss));
                r1_steps += s.r1 >= 0;
            }
            CHECK(r1_steps == (v.r1 > 0 ? 4 / v.r1_every : 0));
            const Matrix& d_after = v.spectral ? gan.d_sn_conv2.weight_orig.value : gan.d_conv2.weight.value;
            CHECK((d_after - d_before).cwiseAbs().maxCoeff() > 0.0f);  // D trained
            if (v.spectral)  // the layers hold the refreshed W / sigma
                CHECK((gan.d_conv2.weight.value * gan.d_sn_conv2.sigma - d_after).cwiseAbs().maxCoeff() < 1e-5f);
            models::Gan resumed;
            train::GanTrainer resumed_trainer;
            check_resume_is_exact(trainer, gan, images, used, 3, "/tmp/genlab_test_gan_reg_ckpt.safetensors",
                                  resumed_trainer, resumed);
            CHECK(resumed_trainer.config.loss == v.loss);
            CHECK(resumed_trainer.config.r1 == v.r1);
            CHECK(resumed_trainer.config.r1_every == v.r1_every);
            CHECK(resumed_trainer.opt_d.lr == 4e-4f);
            CHECK(resumed_trainer.opt_d.beta2 == 0.99f);
            CHECK(resumed.config.d_spectral_norm == v.spectral);
            CHECK(resumed.config.d_minibatch_std == v.minibatch_std);
        }
    // R1 needs a per-image piecewise-linear D: refused with minibatch std before anything moves.
    models::GanConfig config = tiny_config(0);
    config.d_minibatch_std = true;
    models::Gan gan;
    models::gan_init(gan, config, 7);
    train::GanTrainConfig tc;
    tc.batch = 4;
    tc.r1 = 1.0f;
    train::GanTrainer trainer;
    train::gan_trainer_init(trainer, tc);
    CHECK_THROWS_AS(train::gan_train_step(trainer, gan, images, {}), std::invalid_argument);
    CHECK(trainer.step == 0);
    CHECK_THROWS_AS(train::parse_gan_loss("wasserstein"), std::invalid_argument);
}

TEST_CASE("gan: the EMA generator lies between its snapshots, BatchNorm is recalibrated") {
    std::vector<int> labels;
    Matrix images = bar_images(12, labels);
    models::Gan gan;
    models::gan_init(gan, tiny_config(0), 3);
    train::GanTrainer trainer;
    train::GanTrainConfig config;
    config.batch = 4;
    config.ema_decay = 0.5f;
    train::gan_trainer_init(trainer, config);
    const Matrix w0 = gan.g_fc.weight.value;
    train::gan_train_step(trainer, gan, images, {});
    const Matrix w1 = gan.g_fc.weight.value;
    train::gan_train_step(trainer, gan, images, {});
    const Matrix w2 = gan.g_fc.weight.value;
    // step 1 starts the average at w1; step 2: decay min(0.5, (1+1)/(10+1)) = 2/11.
    const float d = 2.0f / 11.0f;
    REQUIRE(!trainer.ema.empty());
    CHECK((trainer.ema[0] - (d * w1 + (1 - d) * w2)).cwiseAbs().maxCoeff() < 1e-6f);
    CHECK((w1 - w0).cwiseAbs().maxCoeff() > 0.0f);

    const Matrix mean_before = gan.g_bn0.running_mean.value;
    gan.g_bn0.momentum = 0.05f;  // not the default: apply_ema must put back what it found
    train::gan_apply_ema(trainer, gan, 20, 5);
    CHECK((gan.g_fc.weight.value - trainer.ema[0]).cwiseAbs().maxCoeff() == 0.0f);
    CHECK((gan.g_bn0.running_mean.value - mean_before).cwiseAbs().maxCoeff() > 0.0f);
    CHECK(gan.g_bn0.momentum == 0.05f);
    CHECK(gan.g_bn1.momentum == doctest::Approx(0.1f));
    // The recalibrated statistics are those of the EMA generator: eval-mode outputs are finite
    // and in the tanh range.
    Matrix z, out;
    models::gan_sample_latent(z, 8, gan.config.latent, 1);
    models::gan_generate(out, z, {}, gan);
    CHECK(out.allFinite());
    CHECK(out.minCoeff() >= 0.0f);
    CHECK(out.maxCoeff() <= 1.0f);
}

TEST_CASE("gan: sampling is deterministic and prefix-stable in the seed") {
    Matrix z5, z9;
    models::gan_sample_latent(z5, 5, 3, 123);
    models::gan_sample_latent(z9, 9, 3, 123);
    CHECK((z9.topRows(5) - z5).cwiseAbs().maxCoeff() == 0.0f);
    models::Gan gan;
    models::gan_init(gan, tiny_config(0), 1);
    Matrix a, b;
    models::gan_generate(a, z9, {}, gan);
    models::gan_generate(b, z5, {}, gan);
    CHECK((a.topRows(5) - b).cwiseAbs().maxCoeff() == 0.0f);
    CHECK(a.minCoeff() >= 0.0f);
    CHECK(a.maxCoeff() <= 1.0f);
    // A cGAN without labels (and a GAN with labels) is a caller error.
    models::Gan cgan;
    models::gan_init(cgan, tiny_config(10), 1);
    CHECK_THROWS_AS(models::gan_generate(a, z5, {}, cgan), std::invalid_argument);
    CHECK_THROWS_AS(models::gan_generate(a, z5, {1, 2, 3, 4, 5}, gan), std::invalid_argument);
}

TEST_CASE("gan: fused inference (BatchNorm folded into the layers) equals eval-mode forward") {
    // The shipped GAN and cGAN, plus a tiny GAN whose BatchNorm statistics are far from (0, 1),
    // at batch 1 and 5.
    for (const char* file : {"weights/gan.safetensors", "weights/cgan.safetensors", ""}) {
        CAPTURE(file);
        models::Gan gan;
        if (*file) {
            models::load_gan_generator(gan, io::read_safetensors(source_path(file)));
        } else {
            models::gan_init(gan, tiny_config(0), 3);
            nn::Rng rng(4);
            for (nn::BatchNorm* bn : {&gan.g_bn0, &gan.g_bn1}) {
                nn::fill_uniform(bn->weight.value, rng, -2.0f, 2.0f);
                nn::fill_uniform(bn->bias.value, rng, -1.0f, 1.0f);
                nn::fill_uniform(bn->running_mean.value, rng, -1.0f, 1.0f);
                nn::fill_uniform(bn->running_var.value, rng, 0.1f, 3.0f);
            }
        }
        for (int batch : {1, 5}) {
            Matrix z;
            models::gan_sample_latent(z, batch, gan.config.latent, 11);
            std::vector<int> labels;
            if (gan.config.classes > 0)
                for (int i = 0; i < batch; ++i) labels.push_back((3 * i + 1) % 10);
            models::GeneratorActs eval, fused;
            models::generator_forward(eval, z, labels, gan, false);
            models::generator_infer(fused, z, labels, gan);
            REQUIRE(fused.out.rows() == batch);
            REQUIRE(fused.out.cols() == 784);
            CHECK((fused.deconv1_out - eval.relu1).cwiseAbs().maxCoeff() <= 1e-5f);
            CHECK((fused.out - eval.out).cwiseAbs().maxCoeff() <= 1e-5f);
        }
    }
}

TEST_CASE("gan: metadata round trip and errors name the file") {
    models::GanConfig c = tiny_config(10);
    auto meta = models::gan_metadata(c);
    CHECK(meta.at("model") == "cgan");
    models::GanConfig back = models::gan_config_from_metadata(meta, "weights/cgan.safetensors");
    CHECK(back.latent == c.latent);
    CHECK(back.classes == 10);
    CHECK(back.channels == c.channels);
    CHECK(back.d_channels == c.d_channels);
    CHECK_FALSE(back.d_spectral_norm);
    CHECK(meta.count("d_spectral_norm") == 0);  // absent = off: older files read the same
    c.d_spectral_norm = true;
    c.d_minibatch_std = true;
    back = models::gan_config_from_metadata(models::gan_metadata(c), "x.safetensors");
    CHECK(back.d_spectral_norm);
    CHECK(back.d_minibatch_std);
    meta["model"] = "vae";
    try {
        models::gan_config_from_metadata(meta, "weights/vae16.safetensors");
        FAIL("expected an error for a VAE file");
    } catch (const std::exception& e) {
        CHECK(std::string(e.what()).find("weights/vae16.safetensors") != std::string::npos);
        CHECK(std::string(e.what()).find("vae") != std::string::npos);
    }
    meta["model"] = "gan";  // says unconditional but classes = 10
    CHECK_THROWS(models::gan_config_from_metadata(meta, "bad.safetensors"));
}

TEST_CASE("gan: shipped generators give recorded pixels for seed 1") {
    struct Golden {
        const char* file;
        std::vector<int> labels;
        int pixels[4];
        float values[4][4];  // [sample][pixel]
    };
    const Golden goldens[] = {
        // Recorded from the shipped files: seed 1, first 4 samples, pixels near the centre.
        {"weights/gan.safetensors", {}, {350, 378, 406, 434}, {{0.033843f, 0.041203f, 0.192371f, 0.024626f}, {0.779767f, 0.980140f, 0.970402f, 0.799079f}, {0.796435f, 0.983391f, 0.975509f, 0.672390f}, {0.452062f, 0.872227f, 0.805515f, 0.058674f}}},
        {"weights/cgan.safetensors", {3, 8, 0, 7}, {350, 378, 406, 434}, {{0.972175f, 0.999983f, 0.999077f, 0.999759f}, {0.000035f, 0.578297f, 0.988654f, 0.995339f}, {0.000000f, 0.000000f, 0.000000f, 0.000000f}, {0.000000f, 0.000001f, 0.004676f, 0.960759f}}},

    };
    for (const Golden& golden : goldens) {
        models::Gan gan;
        models::load_gan_generator(gan, io::read_safetensors(source_path(golden.file)));
        Matrix z, images;
        models::gan_sample_latent(z, 4, gan.config.latent, 1);
        models::gan_generate(images, z, golden.labels, gan);
        for (int s = 0; s < 4; ++s)
            for (int k = 0; k < 4; ++k) {
                INFO(golden.file << " sample " << s << " pixel " << golden.pixels[k] << " = "
                                 << images(s, golden.pixels[k]));
                CHECK(std::abs(images(s, golden.pixels[k]) - golden.values[s][k]) <= 1e-4f);
            }
    }
}
