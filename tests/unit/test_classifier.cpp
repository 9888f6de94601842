// classifier: whole-model gradient check, training lowers the loss, augmentation shift,
// checkpoint resume, metadata errors, and the shipped weights (golden logits, MNIST accuracy).
#include "gradcheck.h"

#include "io/idx.h"
#include "io/safetensors.h"
#include "models/classifier.h"
#include "nn/losses.h"
#include "train/classifier_trainer.h"

#include <cmath>
#include <cstdio>
#include <string>

using nn::Matrix;

namespace {

models::ClassifierConfig tiny_config() { return models::ClassifierConfig{2, 3, 5}; }

// Class k = a bright bar at row 2k + 4 plus noise: learnable in a few steps.
Matrix bar_images(int n, std::vector<int>& labels, uint64_t seed) {
    nn::Rng rng(seed);
    Matrix x(n, 784);
    labels.resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        const int k = i % 10;
        labels[static_cast<size_t>(i)] = k;
        for (int p = 0; p < 784; ++p) x(i, p) = rng.uniform(0.0f, 0.1f);
        for (int c = 4; c < 24; ++c) x(i, (2 * k + 4) * 28 + c) = 0.9f;
    }
    return x;
}

std::string source_path(const std::string& relative) {
    return std::string(GENLAB_SOURCE_DIR) + "/" + relative;
}

}  // namespace

TEST_CASE("classifier: whole-model gradient check") {
    models::Classifier model;
    models::classifier_init(model, tiny_config(), 5);
    std::vector<int> labels;
    Matrix images = bar_images(3, labels, 11);
    nn::ParamList params = models::classifier_params(model);
    nn::zero_grad(params);
    models::ClassifierActs acts;
    Matrix dlogits;
    models::classifier_forward_train(acts, images, model);
    nn::softmax_cross_entropy(acts.logits, labels, 1.0f / 3, &dlogits);
    models::classifier_backward(dlogits, images, acts, model);
    auto loss = [&]() {
        models::ClassifierActs a;
        models::classifier_forward_train(a, images, model);
        return double(nn::softmax_cross_entropy(a.logits, labels, 1.0f / 3, nullptr));
    };
    gradcheck::Tolerance tol;
    tol.step = 1e-3f;
    tol.atol = 2e-3f;
    tol.rtol = 5e-2f;  // ReLU kinks
    for (nn::Param* p : params.params) gradcheck::require_gradient(p->name, p->value, p->grad, loss, tol);
}

TEST_CASE("classifier: training steps lower the loss; resume continues identically") {
    std::vector<int> labels;
    Matrix images = bar_images(200, labels, 3);
    models::Classifier model;
    models::classifier_init(model, models::ClassifierConfig{4, 8, 16}, 1);
    train::ClassifierTrainer trainer;
    train::ClassifierTrainConfig config;
    config.batch = 20;
    config.lr = 3e-3f;
    config.max_shift = 1;
    train::classifier_trainer_init(trainer, config);
    auto mean_loss = [&]() {
        Matrix logits;
        models::classifier_forward(logits, images, model);
        return nn::softmax_cross_entropy(logits, labels, 1.0f / 200, nullptr);
    };
    const float before = mean_loss();
    for (int i = 0; i < 80; ++i) train::classifier_train_step(trainer, model, images, labels);
    const float after = mean_loss();
    INFO("mean loss before " << before << " after " << after);
    CHECK(after < 0.5f * before);

    const std::string path = "/tmp/genlab_test_classifier_ckpt.safetensors";
    train::classifier_save_checkpoint(path, trainer, model, {});
    for (int i = 0; i < 5; ++i) train::classifier_train_step(trainer, model, images, labels);
    models::Classifier resumed;
    train::ClassifierTrainer resumed_trainer;
    train::classifier_load_checkpoint(path, resumed_trainer, resumed);
    for (int i = 0; i < 5; ++i) train::classifier_train_step(resumed_trainer, resumed, images, labels);
    CHECK(resumed_trainer.step == trainer.step);
    nn::ParamList a = models::classifier_params(model), b = models::classifier_params(resumed);
    for (size_t k = 0; k < a.params.size(); ++k) {
        INFO(a.params[k]->name);
        CHECK((a.params[k]->value - b.params[k]->value).cwiseAbs().maxCoeff() == 0.0f);
    }
    std::remove(path.c_str());
}

TEST_CASE("classifier: shift_image moves content and fills with zeros") {
    std::vector<float> in(784, 0.0f), out(784, -1.0f);
    in[10 * 28 + 12] = 1.0f;
    train::shift_image(out.data(), in.data(), 2, -1);  // right 2, up 1
    CHECK(out[9 * 28 + 14] == 1.0f);
    double sum = 0;
    for (float v : out) sum += v;
    CHECK(sum == 1.0);
}

TEST_CASE("classifier: metadata round trip and wrong-model errors") {
    models::ClassifierConfig c{7, 9, 11};
    models::ClassifierConfig back =
        models::classifier_config_from_metadata(models::classifier_metadata(c), "x.safetensors");
    CHECK(back.channels1 == 7);
    CHECK(back.channels2 == 9);
    CHECK(back.hidden == 11);
    auto meta = models::classifier_metadata(c);
    meta["model"] = "vae";
    try {
        models::classifier_config_from_metadata(meta, "weights/vae.safetensors");
        FAIL("expected an error for a VAE file");
    } catch (const std::exception& e) {
        CHECK(std::string(e.what()).find("weights/vae.safetensors") != std::string::npos);
        CHECK(std::string(e.what()).find("vae") != std::string::npos);
    }
}

TEST_CASE("classifier: shipped weights give recorded logits and >= 98.5% on MNIST test") {
    const std::string path = source_path("weights/classifier.safetensors");
    models::Classifier model;
    models::load_classifier(model, io::read_safetensors(path));
    // Golden: a fixed pseudo-random image (same in native and wasm builds).
    Matrix image(1, 784);
    nn::Rng rng(42);
    nn::fill_uniform(image, rng, 0.0f, 1.0f);
    Matrix logits;
    models::classifier_forward(logits, image, model);
    const float golden[10] = {3.526830f, -1.737751f, 1.588115f, -2.056340f, -5.248598f,
                              0.211469f, 1.501384f, -2.747594f, 0.848102f, -2.729811f};
    for (int k = 0; k < 10; ++k) {
        INFO("logit " << k << " = " << logits(0, k));
        CHECK(std::abs(logits(0, k) - golden[k]) <= 1e-4f * (1.0f + std::abs(golden[k])));
    }
    // The first 1000 MNIST test digits.
    io::MnistSplit test = io::load_mnist_part(io::find_mnist_dir(GENLAB_SOURCE_DIR), io::MnistPart::Test);
    Matrix images = io::mnist_images_to_matrix(test, 0, 1000);
    std::vector<int> labels(test.labels.begin(), test.labels.begin() + 1000);
    CHECK(models::classifier_accuracy(images, labels, model) >= 0.985);
}
