// train/checkpoint.h and train/lr_schedule.h: exact float round trip, strict parsing with
// errors naming the file and key, and for every trainer (GAN, cGAN, VAE, char-RNN, classifier,
// diffusion) a resume with a learning rate of 4e-7 that continues bit for bit (the "%f"
// checkpoints of the VAE and char-RNN trainers wrote it as "0.000000").
#include "io/safetensors.h"
#include "io/text_corpus.h"
#include "models/char_rnn.h"
#include "models/classifier.h"
#include "models/diffusion.h"
#include "models/gan.h"
#include "models/vae.h"
#include "nn/rng.h"
#include "train/char_rnn_trainer.h"
#include "train/checkpoint.h"
#include "train/classifier_trainer.h"
#include "train/diffusion_trainer.h"
#include "train/gan_trainer.h"
#include "train/lr_schedule.h"
#include "train/vae_trainer.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <limits>
#include <string>

using nn::Matrix;

namespace {

constexpr float kTinyLr = 4e-7f;

std::string temp_path(const std::string& name) { return "/tmp/genlab_test_ckpt_" + name + ".safetensors"; }

// Every tensor of a and b is identical.
void check_same_params(const nn::ParamList& a, const nn::ParamList& b) {
    REQUIRE(a.params.size() == b.params.size());
    for (size_t k = 0; k < a.params.size(); ++k) {
        INFO(a.params[k]->name);
        CHECK((a.params[k]->value - b.params[k]->value).cwiseAbs().maxCoeff() == 0.0f);
    }
}

// Params differ somewhere (the steps did move the weights, even at lr 4e-7).
bool params_differ(const nn::ParamList& a, const nn::ParamList& b) {
    for (size_t k = 0; k < a.params.size(); ++k)
        if ((a.params[k]->value - b.params[k]->value).cwiseAbs().maxCoeff() > 0.0f) return true;
    return false;
}

// Rewrites a checkpoint's __metadata__ with `edit` (tensors unchanged), as an older writer or a
// damaged file would have it.
void rewrite_metadata(const std::string& path,
                      const std::function<void(std::map<std::string, std::string>&)>& edit) {
    io::SafetensorsFile file = io::read_safetensors(path);
    edit(file.metadata);
    nn::ParamList all;
    std::deque<nn::Param> tensors;
    for (const io::TensorInfo& t : file.tensors) {
        std::vector<float> values = file.read_f32(t);
        tensors.push_back(nn::Param{t.name, t.shape,
                                    Eigen::Map<Matrix>(values.data(), 1, Eigen::Index(values.size())),
                                    Matrix(), false});
        all.add(tensors.back());
    }
    io::save_safetensors(path, all, file.metadata);
}

// Copies of a list's values, to compare with later.
struct Snapshot {
    std::vector<nn::Param> copies;
    nn::ParamList list;
    explicit Snapshot(const nn::ParamList& from) {
        copies.reserve(from.params.size());
        for (nn::Param* p : from.params) copies.push_back(*p);
        for (nn::Param& p : copies) list.add(p);
    }
};

// Vertical (label 0) and horizontal (label 1) bars in [0, 1], [n, 784].
Matrix bar_images(int n, std::vector<int>& labels) {
    Matrix x = Matrix::Zero(n, 784);
    labels.clear();
    for (int i = 0; i < n; ++i) {
        labels.push_back(i % 2);
        for (int t = 6; t < 22; ++t) {
            if (i % 2 == 0) x(i, t * 28 + 14 + i % 3) = 1.0f;
            else x(i, (14 + i % 3) * 28 + t) = 1.0f;
        }
    }
    return x;
}

// A checkpoint-looking file whose metadata is `metadata` (one tiny tensor).
std::string write_metadata_file(const std::string& name, const std::map<std::string, std::string>& metadata) {
    nn::Param p;
    nn::param_init(p, "w", {2}, 1, 2);
    nn::ParamList list;
    list.add(p);
    const std::string path = temp_path(name);
    io::save_safetensors(path, list, metadata);
    return path;
}

// Rewrites the checkpoint at `path` with metadata[key] = value (every tensor kept as F32).
void rewrite_metadata(const std::string& path, const std::string& key, const std::string& value) {
    rewrite_metadata(path, [&](std::map<std::string, std::string>& metadata) { metadata[key] = value; });
}

}  // namespace

TEST_CASE("checkpoint: floats are written so they read back exactly") {
    const float values[] = {kTinyLr, 1e-3f, 0.1f, 2e-4f, 0.999f, 1.0f / 3.0f,
                            std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::min(), std::numeric_limits<float>::max(),
                            -0.0f, 123456789.0f};
    for (float v : values) {
        const std::string text = train::exact_float_string(v);
        INFO(v << " -> " << text);
        CHECK(std::strtof(text.c_str(), nullptr) == v);
        CHECK(std::signbit(std::strtof(text.c_str(), nullptr)) == std::signbit(v));
    }
    CHECK(train::exact_float_string(kTinyLr) != std::to_string(kTinyLr));  // "0.000000"
}

TEST_CASE("checkpoint: the reader rejects weights files and malformed fields by name") {
    const std::string weights = write_metadata_file("weights", {{"model", "vae"}});
    CHECK_THROWS_WITH_AS(train::CheckpointReader(weights, "VAE"),
                         doctest::Contains("not a VAE checkpoint (no \"trainer.step\""),
                         std::invalid_argument);
    std::remove(weights.c_str());

    const std::string path = write_metadata_file(
        "fields", {{"trainer.step", "12"}, {"a", "4e-7x"}, {"b", "nan"}, {"c", ""}, {"d", "1e60"},
                   {"n", "-3"}, {"big", "99999999999999999999"}, {"ok", "4.00000001e-07"}});
    const train::CheckpointReader in(path, "test");
    CHECK(in.get_int("trainer.step", 0, 100) == 12);
    CHECK(in.get_float("ok") == kTinyLr);
    CHECK(in.get_positive_float("ok") == kTinyLr);
    CHECK_THROWS_WITH_AS(in.get_float("a"), doctest::Contains("field \"a\" is \"4e-7x\", expected a finite number"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(in.get_float("b"), doctest::Contains("\"b\" is \"nan\""), std::invalid_argument);
    CHECK_THROWS_WITH_AS(in.get_float("c"), doctest::Contains("\"c\" is \"\""), std::invalid_argument);
    CHECK_THROWS_WITH_AS(in.get_float("d"), doctest::Contains("\"d\" is \"1e60\""), std::invalid_argument);
    CHECK_THROWS_WITH_AS(in.get_int("trainer.step", 0, 9), doctest::Contains("expected an integer in [0, 9]"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(in.get_u64("n"), doctest::Contains("expected an unsigned integer"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(in.get_u64("big"), doctest::Contains("\"big\" is \"99999999999999999999\""),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(in.get_float("missing"), doctest::Contains("no \"missing\" in __metadata__"),
                         std::invalid_argument);
    nn::Adam adam;
    CHECK_THROWS_WITH_AS(in.restore_adam(adam, nn::ParamList(), "optim"),
                         doctest::Contains("no \"optim.step\""), std::invalid_argument);
    std::remove(path.c_str());
}

TEST_CASE("lr schedule: warm-up, cosine decay, floor; no decay when decay_end <= decay_start") {
    train::LrSchedule s;
    s.peak = 1.0f;
    CHECK(train::scheduled_learning_rate(s, 0) == 1.0f);  // constant
    CHECK(train::scheduled_learning_rate(s, 1000) == 1.0f);
    s.warmup_steps = 10;
    s.warmup_from = 0.1f;
    s.decay_start = 10;
    s.decay_end = 110;
    s.floor = 0.2f;
    CHECK(train::scheduled_learning_rate(s, 0) == doctest::Approx(0.1f));
    CHECK(train::scheduled_learning_rate(s, 5) == doctest::Approx(0.55f));
    CHECK(train::scheduled_learning_rate(s, 10) == doctest::Approx(1.0f));
    CHECK(train::scheduled_learning_rate(s, 60) == doctest::Approx(0.6f));  // t = 1/2: floor + (1-floor)/2
    CHECK(train::scheduled_learning_rate(s, 35) == doctest::Approx(0.2 + 0.8 * 0.5 * (1 + std::cos(3.14159265358979 / 4))));
    CHECK(train::scheduled_learning_rate(s, 110) == doctest::Approx(0.2f));
    CHECK(train::scheduled_learning_rate(s, 100000) == doctest::Approx(0.2f));
    // The trainers' wrappers are this schedule.
    train::VaeTrainOptions vae;
    vae.lr = 2e-3f;
    vae.total_steps = 100;
    CHECK(train::vae_learning_rate(vae, 50) == doctest::Approx(2e-3 * (0.05 + 0.95 * 0.5)));
    train::CharRnnTrainOptions rnn;
    rnn.lr = 1e-2f;
    rnn.schedule_start = 100;
    rnn.total_steps = 200;
    CHECK(train::char_rnn_learning_rate(rnn, 50) == 1e-2f);
    CHECK(train::char_rnn_learning_rate(rnn, 200) == doctest::Approx(1e-2f * rnn.lr_min_fraction));
    train::DiffusionTrainOptions diffusion;
    diffusion.total_steps = 0;
    CHECK(train::diffusion_learning_rate(diffusion, 12345) == diffusion.lr);
}

TEST_CASE("resume with lr 4e-7: GAN and cGAN") {
    for (int classes : {0, 10}) {
        INFO("classes " << classes);
        std::vector<int> labels;
        const Matrix images = bar_images(16, labels);
        models::GanConfig c;
        c.latent = 3;
        c.classes = classes;
        c.channels = 4;
        c.d_channels = 2;
        models::Gan gan;
        models::gan_init(gan, c, 7);
        train::GanTrainConfig tc;
        tc.batch = 4;
        tc.lr = kTinyLr;
        tc.lr_d = 3e-7f;
        tc.ema_decay = 0.9f;
        train::GanTrainer trainer;
        train::gan_trainer_init(trainer, tc);
        for (int i = 0; i < 3; ++i) train::gan_train_step(trainer, gan, images, labels);
        const std::string path = temp_path("gan");
        train::gan_save_checkpoint(path, trainer, gan, {});
        models::Gan resumed;
        train::GanTrainer resumed_trainer;
        train::gan_load_checkpoint(path, resumed_trainer, resumed);
        std::remove(path.c_str());
        CHECK(resumed_trainer.config.lr == kTinyLr);
        CHECK(resumed_trainer.config.lr_d == 3e-7f);
        CHECK(resumed_trainer.opt_g.lr == kTinyLr);
        CHECK(resumed_trainer.ema.size() == trainer.ema.size());
        nn::ParamList before = models::gan_generator_params(gan);
        const Snapshot saved(before);
        for (int i = 0; i < 3; ++i) {
            train::gan_train_step(trainer, gan, images, labels);
            train::gan_train_step(resumed_trainer, resumed, images, labels);
        }
        CHECK(params_differ(saved.list, models::gan_generator_params(gan)));
        nn::ParamList a = models::gan_generator_params(gan), b = models::gan_generator_params(resumed);
        for (nn::Param* p : models::gan_discriminator_params(gan).params) a.add(*p);
        for (nn::Param* p : models::gan_discriminator_params(resumed).params) b.add(*p);
        check_same_params(a, b);
        REQUIRE(resumed_trainer.ema.size() == trainer.ema.size());
        for (size_t k = 0; k < trainer.ema.size(); ++k)
            CHECK((trainer.ema[k] - resumed_trainer.ema[k]).cwiseAbs().maxCoeff() == 0.0f);
    }
}

TEST_CASE("resume with lr 4e-7: VAE (cosine schedule)") {
    models::VaeConfig c;
    c.latent = 3;
    c.hidden = 6;
    c.layers = 2;
    c.image_size = 10;
    models::Vae vae;
    models::vae_init(vae, c, 5);
    nn::Rng rng(3);
    Matrix data(24, 10);
    for (Eigen::Index i = 0; i < data.size(); ++i) data.data()[i] = rng.uniform();
    train::VaeTrainOptions o;
    o.batch = 8;
    o.lr = kTinyLr;
    o.total_steps = 12;
    o.lr_min_fraction = 0.3f;
    train::VaeTrainer trainer;
    train::vae_trainer_init(trainer, o);
    for (int i = 0; i < 4; ++i) train::vae_train_step(trainer, vae, data);
    const std::string path = temp_path("vae");
    train::save_vae_checkpoint(path, trainer, vae, {});
    models::Vae resumed;
    train::VaeTrainer resumed_trainer;
    train::load_vae_checkpoint(path, resumed_trainer, resumed);
    std::remove(path.c_str());
    CHECK(resumed_trainer.options.lr == kTinyLr);
    CHECK(resumed_trainer.options.lr_min_fraction == 0.3f);
    CHECK(resumed_trainer.step == 4);
    const Snapshot saved(models::vae_params(vae));
    for (int i = 0; i < 4; ++i) {
        train::vae_train_step(trainer, vae, data);
        train::vae_train_step(resumed_trainer, resumed, data);
    }
    CHECK(params_differ(saved.list, models::vae_params(vae)));
    check_same_params(models::vae_params(vae), models::vae_params(resumed));
}

TEST_CASE("resume with lr 4e-7: char-RNN (lr, clip, dropout and schedule restored)") {
    const std::string text = "the quick brown fox jumps over the lazy dog\n";
    models::CharRnnConfig c;
    c.cell = "gru";
    c.embed = 4;
    c.hidden = 6;
    c.layers = 1;
    models::CharRnn model;
    models::char_rnn_init(model, c, io::build_vocab(text), 5);
    train::CharRnnTrainOptions o;
    o.steps = 8;
    o.batch = 2;
    o.lr = kTinyLr;
    o.clip = 0.3f;
    o.dropout = 0.1f;
    o.total_steps = 20;
    o.schedule_start = 2;
    o.lr_min_fraction = 0.2f;
    train::CharRnnTrainer trainer;
    train::char_rnn_trainer_init(trainer, model, text, o);
    // Resume at an epoch boundary: the trainer zeroes the recurrent state there anyway.
    do train::char_rnn_train_step(trainer, model);
    while (trainer.step % trainer.chunks_per_epoch != 0);
    const std::string path = temp_path("rnn");
    train::save_char_rnn_checkpoint(path, trainer, model, {});
    models::CharRnn resumed;
    train::CharRnnTrainer resumed_trainer;
    train::load_char_rnn_checkpoint(path, resumed_trainer, resumed, text);
    std::remove(path.c_str());
    CHECK(resumed_trainer.options.lr == kTinyLr);
    CHECK(resumed_trainer.options.clip == 0.3f);
    CHECK(resumed_trainer.options.dropout == 0.1f);
    CHECK(resumed_trainer.options.lr_min_fraction == 0.2f);
    CHECK(resumed_trainer.options.schedule_start == 2);
    const Snapshot saved(models::char_rnn_params(model));
    for (int i = 0; i < 3; ++i) {
        const train::CharRnnStepStats a = train::char_rnn_train_step(trainer, model);
        const train::CharRnnStepStats b = train::char_rnn_train_step(resumed_trainer, resumed);
        CHECK(a.lr == b.lr);
        CHECK(a.lr > 0.0f);
    }
    CHECK(params_differ(saved.list, models::char_rnn_params(model)));
    check_same_params(models::char_rnn_params(model), models::char_rnn_params(resumed));
}

TEST_CASE("resume with lr 4e-7: classifier") {
    std::vector<int> labels;
    const Matrix images = bar_images(30, labels);
    models::Classifier model;
    models::classifier_init(model, models::ClassifierConfig{2, 3, 8}, 1);
    train::ClassifierTrainConfig config;
    config.batch = 8;
    config.lr = kTinyLr;
    config.max_shift = 1;
    train::ClassifierTrainer trainer;
    train::classifier_trainer_init(trainer, config);
    for (int i = 0; i < 5; ++i) train::classifier_train_step(trainer, model, images, labels);
    const std::string path = temp_path("classifier");
    train::classifier_save_checkpoint(path, trainer, model, {});
    models::Classifier resumed;
    train::ClassifierTrainer resumed_trainer;
    train::classifier_load_checkpoint(path, resumed_trainer, resumed);
    std::remove(path.c_str());
    CHECK(resumed_trainer.config.lr == kTinyLr);
    const Snapshot saved(models::classifier_params(model));
    for (int i = 0; i < 4; ++i) {
        train::classifier_train_step(trainer, model, images, labels);
        train::classifier_train_step(resumed_trainer, resumed, images, labels);
    }
    CHECK(params_differ(saved.list, models::classifier_params(model)));
    check_same_params(models::classifier_params(model), models::classifier_params(resumed));
}

TEST_CASE("resume with lr 4e-7: diffusion (EMA and latent normalisation restored)") {
    models::DiffusionConfig c;
    c.latent = 3;
    c.hidden = 7;
    c.layers = 2;
    c.time_features = 4;
    c.classes = 3;
    c.label_embed = 2;
    models::Diffusion model;
    models::diffusion_init(model, c, 5);
    nn::Rng rng(8);
    Matrix latents(40, 3);
    nn::fill_normal(latents, rng);
    std::vector<int> labels;
    for (int i = 0; i < 40; ++i) labels.push_back(i % 3);
    models::diffusion_set_normalization(model, latents);
    Matrix data;
    models::diffusion_normalize(data, latents, model);
    train::DiffusionTrainOptions o;
    o.batch = 8;
    o.lr = kTinyLr;
    o.total_steps = 10;
    o.lr_min_fraction = 0.25f;
    o.ema_decay = 0.9f;
    o.label_drop = 0.3f;
    o.time_sampling = train::TimeSampling::LogitNormal;
    o.logit_mean = 0.3f;
    o.logit_std = 0.7f;
    train::DiffusionTrainer trainer;
    train::diffusion_trainer_init(trainer, o);
    for (int i = 0; i < 3; ++i) train::diffusion_train_step(trainer, model, data, labels);
    const std::string path = temp_path("diffusion");
    train::save_diffusion_checkpoint(path, trainer, model, {});
    models::Diffusion resumed;
    train::DiffusionTrainer resumed_trainer;
    train::load_diffusion_checkpoint(path, resumed_trainer, resumed);
    std::remove(path.c_str());
    CHECK(resumed_trainer.options.lr == kTinyLr);
    CHECK(resumed_trainer.options.label_drop == 0.3f);
    CHECK(resumed_trainer.options.ema_decay == 0.9f);
    CHECK(resumed_trainer.options.time_sampling == train::TimeSampling::LogitNormal);
    CHECK(resumed_trainer.options.logit_mean == 0.3f);
    CHECK(resumed_trainer.options.logit_std == 0.7f);
    CHECK(resumed_trainer.step == 3);
    REQUIRE(resumed_trainer.ema.size() == trainer.ema.size());
    const Snapshot saved(models::diffusion_params(model));
    for (int i = 0; i < 3; ++i) {
        train::diffusion_train_step(trainer, model, data, labels);
        train::diffusion_train_step(resumed_trainer, resumed, data, labels);
    }
    CHECK(params_differ(saved.list, models::diffusion_params(model)));
    check_same_params(models::diffusion_params(model), models::diffusion_params(resumed));
    train::diffusion_apply_ema(trainer, model);
    train::diffusion_apply_ema(resumed_trainer, resumed);
    check_same_params(models::diffusion_params(model), models::diffusion_params(resumed));
}

TEST_CASE("diffusion checkpoint: without time-sampling keys it resumes uniform; a bad name fails") {
    models::DiffusionConfig c;
    c.latent = 2;
    c.hidden = 5;
    c.layers = 1;
    c.time_features = 4;
    c.classes = 0;
    models::Diffusion model;
    models::diffusion_init(model, c, 2);
    train::DiffusionTrainOptions o;
    o.time_sampling = train::TimeSampling::LogitNormal;
    o.logit_std = 2.0f;
    train::DiffusionTrainer trainer;
    train::diffusion_trainer_init(trainer, o);
    const std::string path = temp_path("diffusion_time");
    train::save_diffusion_checkpoint(path, trainer, model, {});
    CHECK(io::read_safetensors(path).metadata.at("trainer.time_sampling") == "logit-normal");
    // Written before the setting existed: no keys, so the old behaviour (uniform times).
    rewrite_metadata(path, [](std::map<std::string, std::string>& m) {
        m.erase("trainer.time_sampling");
        m.erase("trainer.logit_mean");
        m.erase("trainer.logit_std");
    });
    models::Diffusion resumed;
    train::DiffusionTrainer resumed_trainer;
    train::load_diffusion_checkpoint(path, resumed_trainer, resumed);
    CHECK(resumed_trainer.options.time_sampling == train::TimeSampling::Uniform);
    CHECK(resumed_trainer.options.logit_std == 1.0f);
    rewrite_metadata(path, [](std::map<std::string, std::string>& m) { m["trainer.time_sampling"] = "beta"; });
    CHECK_THROWS_WITH_AS(train::load_diffusion_checkpoint(path, resumed_trainer, resumed),
                         doctest::Contains("trainer.time_sampling = \"beta\": time sampling \"beta\": expected "
                                           "uniform or logit-normal"),
                         std::invalid_argument);
    rewrite_metadata(path, [](std::map<std::string, std::string>& m) {
        m["trainer.time_sampling"] = "logit-normal";
        m["trainer.logit_std"] = "0";
    });
    CHECK_THROWS_WITH_AS(train::load_diffusion_checkpoint(path, resumed_trainer, resumed),
                         doctest::Contains("logit_std"), std::invalid_argument);
    std::remove(path.c_str());
}

TEST_CASE("checkpoint: a '%f' checkpoint of the old VAE trainer fails with a message") {
    models::VaeConfig c;
    c.latent = 2;
    c.hidden = 4;
    c.layers = 1;
    c.image_size = 6;
    models::Vae vae;
    models::vae_init(vae, c, 1);
    train::VaeTrainOptions o;
    o.lr = kTinyLr;
    train::VaeTrainer trainer;
    train::vae_trainer_init(trainer, o);
    const std::string path = temp_path("old_vae");
    train::save_vae_checkpoint(path, trainer, vae, {});
    rewrite_metadata(path, [](std::map<std::string, std::string>& metadata) {
        metadata["trainer.lr"] = std::to_string(kTinyLr);  // what the "%f" writer stored
    });
    models::Vae resumed;
    train::VaeTrainer resumed_trainer;
    CHECK_THROWS_WITH_AS(train::load_vae_checkpoint(path, resumed_trainer, resumed),
                         doctest::Contains("\"trainer.lr\" is \"0.000000\", expected a number > 0"), std::invalid_argument);
    std::remove(path.c_str());
}

TEST_CASE("checkpoint: a GAN checkpoint needs batch >= 2, other trainers accept 1") {
    models::GanConfig c;
    c.latent = 3;
    c.channels = 4;
    c.d_channels = 2;
    models::Gan gan;
    models::gan_init(gan, c, 7);
    train::GanTrainer trainer;
    train::gan_trainer_init(trainer, train::GanTrainConfig());
    const std::string path = temp_path("gan_batch");
    train::gan_save_checkpoint(path, trainer, gan, {});
    rewrite_metadata(path, "trainer.batch", "2");
    models::Gan resumed;
    train::GanTrainer resumed_trainer;
    train::gan_load_checkpoint(path, resumed_trainer, resumed);
    CHECK(resumed_trainer.config.batch == 2);
    rewrite_metadata(path, "trainer.batch", "1");
    CHECK_THROWS_WITH_AS(train::gan_load_checkpoint(path, resumed_trainer, resumed),
                         doctest::Contains("\"trainer.batch\" is \"1\", expected an integer in [2, 1048576]"),
                         std::invalid_argument);
    std::remove(path.c_str());

    models::VaeConfig vc;
    vc.latent = 2;
    vc.hidden = 4;
    vc.layers = 1;
    vc.image_size = 6;
    models::Vae vae;
    models::vae_init(vae, vc, 1);
    train::VaeTrainOptions o;
    o.batch = 1;
    train::VaeTrainer vae_trainer;
    train::vae_trainer_init(vae_trainer, o);
    train::save_vae_checkpoint(path, vae_trainer, vae, {});
    models::Vae vae_resumed;
    train::VaeTrainer vae_resumed_trainer;
    train::load_vae_checkpoint(path, vae_resumed_trainer, vae_resumed);
    CHECK(vae_resumed_trainer.options.batch == 1);
    std::remove(path.c_str());
}
