// Training jobs (src/train/job*.cpp) and their runner: every kind trains with finite losses
// behind the one interface, the NaN guard restores the last good state, bad commands come back
// as errors, and snapshots survive the pack/unpack the worker's postMessage needs.
#include "io/safetensors.h"
#include "models/char_rnn.h"
#include "models/diffusion.h"
#include "models/gan.h"
#include "models/vae.h"
#include "nn/rng.h"
#include "train/job_runner.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

namespace {

// n synthetic 28x28 "digits": a bright square whose position depends on the label.
io::MnistSplit synthetic_mnist(int n) {
    io::MnistSplit s;
    s.n = n;
    s.rows = s.cols = 28;
    s.images.assign(size_t(n) * 784, 0);
    for (int i = 0; i < n; ++i) {
        const int label = i % 10;
        s.labels.push_back(uint8_t(label));
        for (int y = 4 + label; y < 12 + label; ++y)
            for (int x = 6; x < 14 + label; ++x) s.images[size_t(i) * 784 + y * 28 + x] = 255;
    }
    return s;
}

std::vector<uint8_t> subset_bytes(const io::MnistSplit& s) {
    // mnist-subset.bin: "GLMNIST1", u32 LE n, rows, cols, images, labels
    std::vector<uint8_t> out(8);
    std::memcpy(out.data(), "GLMNIST1", 8);
    for (uint32_t v : {uint32_t(s.n), uint32_t(s.rows), uint32_t(s.cols)})
        for (int b = 0; b < 4; ++b) out.push_back(uint8_t(v >> (8 * b)));
    out.insert(out.end(), s.images.begin(), s.images.end());
    out.insert(out.end(), s.labels.begin(), s.labels.end());
    return out;
}

const char* kText =
    "The quick brown fox jumps over the lazy dog. A hacker is a person who enjoys exploring the "
    "details of programmable systems and how to stretch their capabilities. ";

// n 2-D latents: digit d's points around (cos, sin) of d * 36 degrees times 2, std 0.15.
void synthetic_latents(int n, nn::Matrix& latents, std::vector<int>& labels) {
    nn::Rng rng(5);
    latents.resize(n, 2);
    labels.resize(size_t(n));
    for (int i = 0; i < n; ++i) {
        labels[size_t(i)] = i % 10;
        const float a = 0.6283185f * float(i % 10);
        latents(i, 0) = 2.0f * std::cos(a) + 0.15f * rng.normal();
        latents(i, 1) = 2.0f * std::sin(a) + 0.15f * rng.normal();
    }
}

void give_data(train::TrainJob& job) {
    if (job.kind() == train::JobKind::Diffusion) {
        nn::Matrix latents;
        std::vector<int> labels;
        synthetic_latents(500, latents, labels);
        job.set_latents(latents, labels);
    } else if (job.kind() == train::JobKind::Rnn) {
        std::string text;
        for (int i = 0; i < 20; ++i) text += kText;
        job.set_text(text);
    } else {
        job.set_images(synthetic_mnist(64));
    }
}

}  // namespace

TEST_CASE("train job: every kind trains with finite series values, previews and serialises") {
    for (train::JobKind kind : {train::JobKind::Vae, train::JobKind::Gan, train::JobKind::Rnn, train::JobKind::Diffusion}) {
        CAPTURE(train::job_kind_name(kind));
        std::unique_ptr<train::TrainJob> job = train::make_train_job(kind);
        CHECK_THROWS_AS(job->reset(1), std::invalid_argument);  // no data yet
        give_data(*job);
        job->reset(1);
        REQUIRE(job->ready());
        std::vector<float> values, first, last;
        for (int i = 0; i < 30; ++i) {
            REQUIRE(job->step(values));
            REQUIRE(values.size() == job->series_names().size());
            for (float v : values) REQUIRE(std::isfinite(v));
            if (i == 0) first = values;
            last = values;
        }
        CHECK(job->steps() == 30);
        // the loss went down (the GAN's has no such trend; diffusion's: its own test below)
        if (kind == train::JobKind::Vae || kind == train::JobKind::Rnn) CHECK(last[0] < first[0]);
        train::JobPreview preview;
        job->preview(preview);
        if (kind == train::JobKind::Diffusion) {
            CHECK(preview.image_side == 0);  // the panel samples from the weights itself
        } else if (kind == train::JobKind::Rnn) {
            CHECK(preview.text.size() == 240);
        } else {
            REQUIRE(preview.image_side > 0);
            CHECK(preview.image.size() == size_t(preview.image_side) * size_t(preview.image_side));
        }
        if (kind == train::JobKind::Vae) CHECK(preview.points.size() == 2 * preview.point_labels.size());
        std::string file, label;
        const std::vector<uint8_t> bytes = job->serialise(file, label);
        const io::SafetensorsFile parsed = io::parse_safetensors(bytes, file);
        if (kind == train::JobKind::Vae) {
            models::Vae vae;
            models::load_vae(vae, parsed);
            CHECK(vae.config.latent == 2);
        } else if (kind == train::JobKind::Gan) {
            models::Gan gan;
            models::load_gan_generator(gan, parsed);
            CHECK(gan.config.latent == 16);
        } else if (kind == train::JobKind::Diffusion) {
            models::Diffusion d;
            models::load_diffusion(d, parsed);
            CHECK(d.config.latent == 2);
            CHECK(file == "diffusion2.safetensors");
        } else {
            models::CharRnn rnn;
            models::load_char_rnn(rnn, parsed);
            CHECK(rnn.config.hidden == 96);
        }
    }
}

TEST_CASE("train job: the NaN guard restores the last good state and halves the learning rate") {
    for (train::JobKind kind : {train::JobKind::Vae, train::JobKind::Gan, train::JobKind::Rnn, train::JobKind::Diffusion}) {
        CAPTURE(train::job_kind_name(kind));
        std::unique_ptr<train::TrainJob> job = train::make_train_job(kind);
        give_data(*job);
        job->reset(3);
        std::vector<float> values;
        for (int i = 0; i < 57; ++i) REQUIRE(job->step(values));
        const float lr = job->settings().lr;
        // Poison every trainable tensor: the next loss is NaN.
        for (nn::Param* p : job->params().params)
            if (p->trainable) p->value.setConstant(NAN);
        CHECK_FALSE(job->step(values));
        CHECK(values.empty());
        CHECK(job->guard_events() == 1);
        CHECK(job->steps() == 50);  // the last good state (saved every kGoodEvery steps)
        CHECK(job->settings().lr == doctest::Approx(lr * 0.5f));
        CHECK(job->guard_message().find("restored step 50") != std::string::npos);
        for (int i = 0; i < 5; ++i) {
            REQUIRE(job->step(values));
            for (float v : values) CHECK(std::isfinite(v));
        }
    }
}

TEST_CASE("train job runner: commands, data, steps and the snapshot round trip") {
    train::JobRunner runner;
    CHECK(runner.command({{"cmd", "fly"}}).contains("error"));
    CHECK(runner.command(nlohmann::json::array()).contains("error"));
    CHECK(runner.command({{"cmd", "setup"}, {"kind", "flow"}}).at("error").get<std::string>().find("kind must be") == 0);
    CHECK(runner.command({{"cmd", "setup"}, {"kind", "gan"}, {"hparams", {{"lr", 5}}}}).contains("error"));
    CHECK(runner.command({{"cmd", "hparams"}, {"hparams", {{"batch", "x"}}}}).contains("error"));
    CHECK_FALSE(runner.set_mnist_bytes({1, 2, 3}).empty());  // not a subset file: an error, no crash
    CHECK_FALSE(runner.set_text("x").empty());

    REQUIRE(runner.command({{"cmd", "setup"}, {"kind", "vae"}, {"id", 7}, {"hparams", {{"batch", 16}}}}).contains("ok"));
    CHECK_FALSE(runner.busy());  // no data yet
    REQUIRE(runner.set_mnist_bytes(subset_bytes(synthetic_mnist(50))).empty());
    REQUIRE(runner.job()->ready());
    REQUIRE(runner.command({{"cmd", "step"}, {"n", 12}}).contains("ok"));
    CHECK(runner.run(1e9) == 12);
    CHECK_FALSE(runner.busy());
    REQUIRE(runner.snapshot_due(false));
    const train::JobSnapshot s = runner.take_snapshot();
    CHECK(s.setup_id == 7);
    CHECK(s.step == 12);
    CHECK(s.batch == 16);
    REQUIRE(s.series.size() == 2);
    CHECK(s.series[0].size() == 12);
    CHECK(s.has_preview);

    std::vector<float> floats;
    const nlohmann::json header = train::pack_snapshot(s, floats);
    const train::JobSnapshot back = train::unpack_snapshot(nlohmann::json::parse(header.dump()), floats.data(), floats.size());
    CHECK(back.series == s.series);
    CHECK(back.preview.image == s.preview.image);
    CHECK(back.preview.points == s.preview.points);
    CHECK(back.preview.point_labels == s.preview.point_labels);
    CHECK(back.step == s.step);
    CHECK_THROWS_AS(train::unpack_snapshot(header, floats.data(), floats.size() - 1), std::invalid_argument);

    // The next snapshot carries only the new steps.
    runner.command({{"cmd", "step"}, {"n", 3}});
    runner.run(1e9);
    const train::JobSnapshot next = runner.take_snapshot();
    CHECK(next.series_from == 12);
    CHECK(next.series[0].size() == 3);
}

TEST_CASE("train job: diffusion learns the latents' flow and its weights sample the clusters") {
    std::unique_ptr<train::TrainJob> job = train::make_train_job(train::JobKind::Diffusion);
    CHECK(job->settings().batch == 128);
    CHECK_THROWS_AS(job->set_latents(nn::Matrix::Zero(3, 2), {1, 2}), std::invalid_argument);   // labels != rows
    CHECK_THROWS_AS(job->set_latents(nn::Matrix::Zero(2, 2), {1, 12}), std::invalid_argument);  // not a digit
    give_data(*job);
    job->reset(2);
    std::vector<float> values;
    double first = 0, last = 0;
    const int steps = 400, window = 40;
    for (int i = 0; i < steps; ++i) {
        REQUIRE(job->step(values));
        if (i < window) first += values[0];
        if (i >= steps - window) last += values[0];
    }
    MESSAGE("diffusion job loss: first 40 steps " << first / window << ", last 40 " << last / window);
    CHECK(last < 0.8 * first);
    // The serialised weights load into a models::Diffusion whose samples for digit 3 land at
    // digit 3's cluster (2 cos 108 deg, 2 sin 108 deg) = (-0.62, 1.90), not a neighbour's
    // (1.24 away).
    std::string file, label;
    const io::SafetensorsFile parsed = io::parse_safetensors(job->serialise(file, label), file);
    CHECK(parsed.metadata.at("trained_with") == "GenLab browser, 400 steps");
    models::Diffusion d;
    models::load_diffusion(d, parsed);
    REQUIRE(d.config.latent == 2);
    REQUIRE(d.config.classes == 10);
    nn::Matrix noise, samples;
    models::diffusion_sample_noise(noise, 200, 2, 9);
    models::DiffusionSampleOptions o;
    o.steps = 20;
    o.guidance = 1.5f;
    models::diffusion_sample(samples, noise, std::vector<int>(200, 3), o, d);
    const float mx = samples.col(0).mean(), my = samples.col(1).mean();
    MESSAGE("digit-3 samples' mean (" << mx << ", " << my << ")");
    int nearest = -1;
    float best = 1e9f;
    for (int d = 0; d < 10; ++d) {
        const float dist = std::hypot(mx - 2.0f * std::cos(0.6283185f * d), my - 2.0f * std::sin(0.6283185f * d));
        if (dist < best) best = dist, nearest = d;
    }
    CHECK(nearest == 3);
    CHECK(best < 0.6f);
}

TEST_CASE("train job runner: diffusion latents on the wire, steps and bad data") {
    nn::Matrix latents, back;
    std::vector<int> labels, back_labels;
    synthetic_latents(60, latents, labels);
    const std::vector<uint8_t> bytes = train::pack_latents(latents, labels);
    train::unpack_latents(bytes, back, back_labels);
    CHECK(back == latents);
    CHECK(back_labels == labels);

    train::JobRunner runner;
    REQUIRE(runner.command({{"cmd", "setup"}, {"kind", "diffusion"}, {"id", 4}, {"seed", 3}}).contains("ok"));
    CHECK_FALSE(runner.set_latents_bytes({1, 2, 3}).empty());  // not a safetensors file
    nn::Param other;
    nn::param_init(other, "weights", {2, 2}, 2, 2);
    nn::ParamList list;
    list.add(other);
    CHECK(runner.set_latents_bytes(io::serialize_safetensors(list, {})).find("\"latents\"") != std::string::npos);
    CHECK_FALSE(runner.job()->ready());
    REQUIRE(runner.set_latents_bytes(bytes).empty());
    REQUIRE(runner.job()->ready());
    REQUIRE(runner.command({{"cmd", "step"}, {"n", 25}}).contains("ok"));
    CHECK(runner.run(1e9) == 25);
    const train::JobSnapshot s = runner.take_snapshot();
    CHECK(s.kind == "diffusion");
    CHECK(s.setup_id == 4);
    CHECK(s.step == 25);
    REQUIRE(s.series.size() == 1);
    CHECK(s.series[0].size() == 25);
    // "stop" drops what is left of a "step n" and keeps the model where it is.
    runner.command({{"cmd", "step"}, {"n", 1000}});
    CHECK(runner.run(0) == 1);
    REQUIRE(runner.command({{"cmd", "stop"}}).contains("ok"));
    CHECK_FALSE(runner.busy());
    CHECK(runner.run(1e9) == 0);
    CHECK(runner.job()->steps() == 26);
    // A new setup cancels the remaining steps and resets on the data the runner already has.
    runner.command({{"cmd", "step"}, {"n", 1000}});
    runner.run(0);
    REQUIRE(runner.command({{"cmd", "setup"}, {"kind", "diffusion"}, {"id", 5}}).contains("ok"));
    CHECK(runner.job()->ready());
    CHECK_FALSE(runner.busy());
    CHECK(runner.take_snapshot().step == 0);
}
