// VAE: whole-model gradient check of the negative ELBO (through the reparameterisation),
// training lowers the loss, deterministic sampling, checkpoint resume, metadata errors, latent
// paths, and golden outputs of the shipped weights (native and wasm).
#include "gradcheck.h"

#include "io/safetensors.h"
#include "models/latent_path.h"
#include "models/vae.h"
#include "train/vae_trainer.h"

#include <cmath>
#include <cstdio>
#include <string>

using nn::Matrix;

namespace {

models::VaeConfig tiny_config() {
    models::VaeConfig c;
    c.latent = 3;
    c.hidden = 6;
    c.layers = 2;
    c.image_size = 10;
    return c;
}

// Images made of 4 prototypes with noise, in [0, 1].
Matrix prototype_images(int n, int features, uint64_t seed) {
    nn::Rng rng(seed);
    Matrix protos(4, features);
    for (Eigen::Index i = 0; i < protos.size(); ++i) protos.data()[i] = rng.uniform() < 0.4f ? 0.95f : 0.05f;
    Matrix x(n, features);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < features; ++j)
            x(i, j) = std::fmin(1.0f, std::fmax(0.0f, protos(i % 4, j) + rng.uniform(-0.05f, 0.05f)));
    return x;
}

std::string source_path(const std::string& relative) {
    return std::string(GENLAB_SOURCE_DIR) + "/" + relative;
}

}  // namespace

TEST_CASE("vae: whole-model gradient of the negative ELBO, through the reparameterisation") {
    models::Vae vae;
    models::vae_init(vae, tiny_config(), 11);
    const Matrix x = prototype_images(5, 10, 3);
    Matrix eps(5, 3);
    nn::Rng rng(4);
    nn::fill_normal(eps, rng);
    models::VaeCache cache;
    nn::ParamList params = models::vae_params(vae);
    nn::zero_grad(params);
    models::vae_elbo(x, eps, vae, cache, true);
    auto loss = [&]() {
        models::VaeCache c;
        return double(models::vae_elbo(x, eps, vae, c, false).loss);
    };
    gradcheck::Tolerance tol;
    tol.step = 3e-3f;
    tol.atol = 3e-3f;
    tol.rtol = 3e-2f;
    for (nn::Param* p : params.params) {
        Matrix analytic = p->grad;
        gradcheck::require_gradient(p->name, p->value, analytic, loss, tol);
    }
}

TEST_CASE("vae: the encoder as a frozen feature map: mu and its exact input gradient") {
    models::Vae vae;
    models::vae_init(vae, tiny_config(), 12);
    Matrix x = prototype_images(4, 10, 5);
    models::VaeCache cache;
    models::vae_encode_mu_cached(cache, x, vae);
    Matrix mu, logvar;
    models::vae_encode(mu, logvar, x, vae);
    CHECK((cache.mu - mu).cwiseAbs().maxCoeff() == 0.0f);  // the same encoder as vae_encode

    const Matrix r = gradcheck::projection_like(cache.mu);  // loss = sum(mu .* r)
    nn::ParamList params = models::vae_params(vae);
    nn::zero_grad(params);
    Matrix dx;
    models::vae_encode_mu_backward_input(dx, r, cache, vae);
    REQUIRE(dx.rows() == 4);
    REQUIRE(dx.cols() == 10);
    for (nn::Param* p : params.params) CHECK(p->grad.cwiseAbs().maxCoeff() == 0.0f);  // frozen
    auto loss = [&]() {
        Matrix m, lv;
        models::vae_encode(m, lv, x, vae);
        return gradcheck::project(m, r);
    };
    gradcheck::Tolerance tol;
    tol.step = 1e-3f;
    gradcheck::require_gradient("images", x, dx, loss, tol);
    CHECK_THROWS_AS(models::vae_encode_mu_backward_input(dx, Matrix::Zero(3, 3), cache, vae),
                    std::invalid_argument);
}

TEST_CASE("vae: the negative ELBO is recon + KL and KL vanishes at the prior") {
    models::Vae vae;
    models::vae_init(vae, tiny_config(), 1);
    // Zero the mu/logvar heads: q(z|x) = N(0, I) = prior, so KL = 0 exactly.
    vae.fc_mu.weight.value.setZero();
    vae.fc_mu.bias.value.setZero();
    vae.fc_logvar.weight.value.setZero();
    vae.fc_logvar.bias.value.setZero();
    models::VaeCache cache;
    const Matrix x = prototype_images(4, 10, 2);
    Matrix eps = Matrix::Zero(4, 3);
    models::VaeLoss l = models::vae_elbo(x, eps, vae, cache, false);
    CHECK(l.kl == doctest::Approx(0.0).epsilon(1e-7));
    CHECK(l.loss == doctest::Approx(l.recon + l.kl));
    CHECK(l.recon > 0.0f);
}

TEST_CASE("vae: a few Adam steps lower the test loss on a tiny config") {
    models::Vae vae;
    models::VaeConfig config = tiny_config();
    config.hidden = 16;
    models::vae_init(vae, config, 5);
    const Matrix data = prototype_images(64, 10, 9);
    train::VaeTrainer trainer;
    train::VaeTrainOptions options;
    options.batch = 8;   // small batches, as in the browser
    options.lr = 1e-2f;
    train::vae_trainer_init(trainer, options);
    const float before = models::vae_evaluate(data, vae, 77).loss;
    for (int i = 0; i < 150; ++i) train::vae_train_step(trainer, vae, data);
    const float after = models::vae_evaluate(data, vae, 77).loss;
    INFO("before " << before << " after " << after);
    CHECK(after < 0.8f * before);
    CHECK(trainer.step == 150);
}

TEST_CASE("vae: checkpoint + resume continues exactly") {
    models::Vae a;
    models::vae_init(a, tiny_config(), 5);
    const Matrix data = prototype_images(32, 10, 9);
    train::VaeTrainer ta;
    train::VaeTrainOptions options;
    options.batch = 8;
    options.lr = 5e-3f;
    options.total_steps = 20;
    train::vae_trainer_init(ta, options);
    for (int i = 0; i < 5; ++i) train::vae_train_step(ta, a, data);
    const std::string path = "/tmp/genlab_test_vae_checkpoint.safetensors";
    train::save_vae_checkpoint(path, ta, a, {});
    models::Vae b;
    train::VaeTrainer tb;
    train::load_vae_checkpoint(path, tb, b);
    std::remove(path.c_str());
    CHECK(tb.step == 5);
    CHECK(tb.options.total_steps == 20);
    for (int i = 0; i < 5; ++i) {
        train::vae_train_step(ta, a, data);
        train::vae_train_step(tb, b, data);
    }
    nn::ParamList pa = models::vae_params(a), pb = models::vae_params(b);
    REQUIRE(pa.params.size() == pb.params.size());
    for (size_t k = 0; k < pa.params.size(); ++k) {
        INFO(pa.params[k]->name);
        CHECK((pa.params[k]->value - pb.params[k]->value).cwiseAbs().maxCoeff() == 0.0f);
    }
}

TEST_CASE("vae: prior samples are deterministic and prefix-stable in n") {
    Matrix z3, z7, z7b;
    models::vae_sample_latent(z3, 3, 16, 42);
    models::vae_sample_latent(z7, 7, 16, 42);
    models::vae_sample_latent(z7b, 7, 16, 43);
    CHECK(z3 == z7.topRows(3));
    CHECK(z7 != z7b);
    CHECK(z7.cols() == 16);
}

TEST_CASE("vae: metadata round trip and a clear error for another model's file") {
    models::VaeConfig c = tiny_config();
    auto meta = models::vae_metadata(c, {{"trained_with", "test"}});
    models::VaeConfig back = models::vae_config_from_metadata(meta, "x.safetensors");
    CHECK(back.latent == 3);
    CHECK(back.hidden == 6);
    CHECK(back.layers == 2);
    CHECK(back.image_size == 10);
    auto gan = meta;
    gan["model"] = "gan";
    CHECK_THROWS_WITH_AS(models::vae_config_from_metadata(gan, "weights/gan.safetensors"),
                         doctest::Contains("\"gan\" weights file, expected \"vae\""),
                         std::invalid_argument);
    auto bad = meta;
    bad["latent"] = "sixteen";
    CHECK_THROWS_WITH_AS(models::vae_config_from_metadata(bad, "f"), doctest::Contains("latent"),
                         std::invalid_argument);
    // Save with one latent size, load strictly.
    models::Vae vae;
    models::vae_init(vae, c, 3);
    auto bytes = io::serialize_safetensors(models::vae_params(vae), meta, io::Dtype::F32);
    models::Vae loaded;
    models::load_vae(loaded, io::parse_safetensors(bytes, "memory"));
    CHECK(loaded.decoder.back().weight.value == vae.decoder.back().weight.value);
}

TEST_CASE("vae: lerp and slerp endpoints, and slerp keeps the norm between equal-norm ends") {
    nn::RowVector a(3), b(3);
    a << 1, 0, 0;
    b << 0, 2, 0;
    CHECK((models::lerp_latent(a, b, 0.0f) - a).norm() < 1e-6f);
    CHECK((models::lerp_latent(a, b, 1.0f) - b).norm() < 1e-6f);
    CHECK((models::slerp_latent(a, b, 0.0f) - a).norm() < 1e-6f);
    CHECK((models::slerp_latent(a, b, 1.0f) - b).norm() < 1e-5f);
    nn::RowVector c(3);
    c << 0, 1, 0;
    nn::RowVector mid = models::slerp_latent(a, c, 0.5f);
    CHECK(mid.norm() == doctest::Approx(1.0).epsilon(1e-5));
    CHECK(mid(0) == doctest::Approx(std::sqrt(0.5)).epsilon(1e-5));
    nn::RowVector d(2);
    CHECK_THROWS_AS(models::slerp_latent(a, d, 0.5f), std::invalid_argument);
    // Parallel vectors fall back to lerp (no division by sin 0).
    nn::RowVector twice = 2.0f * a;
    CHECK((models::slerp_latent(a, twice, 0.5f) - 1.5f * a).norm() < 1e-6f);
}

// Recorded from the shipped files: decode the prior samples of seed 42 and compare pixels.
struct VaeGolden {
    const char* file;
    int pixel[6];
    float value[6];
};

TEST_CASE("vae: golden outputs of the shipped weights (same natively and in wasm)") {
    const VaeGolden goldens[] = {
        {"weights/vae16.safetensors", {406, 1084, 1162, 1918, 2785, 2952},
         {0.6151175f, 2.708567e-08f, 0.7613597f, 0.9222665f, 0.8805532f, 0.0002943787f}},
        {"weights/vae2.safetensors", {406, 1084, 1162, 1918, 2785, 2952},
         {0.6084967f, 0.04294908f, 0.5589724f, 0.5731531f, 0.6069611f, 0.7916316f}},
    };
    for (const VaeGolden& g : goldens) {
        INFO(g.file);
        models::Vae vae;
        models::load_vae(vae, io::read_safetensors(source_path(g.file)));
        Matrix z, images;
        models::vae_sample_latent(z, 4, vae.config.latent, 42);
        models::vae_decode(images, z, vae);
        REQUIRE(images.rows() == 4);
        REQUIRE(images.cols() == 784);
        for (int k = 0; k < 6; ++k) {
            const int row = g.pixel[k] / 784, col = g.pixel[k] % 784;
            CHECK(images(row, col) == doctest::Approx(g.value[k]).epsilon(1e-4).scale(1.0));
        }
        CHECK(images.minCoeff() >= 0.0f);
        CHECK(images.maxCoeff() <= 1.0f);
    }
}
