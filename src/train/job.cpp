// The parts every training job shares: settings, data, reset, the step with its NaN guard.
#include "train/job.h"

#include "io/text_corpus.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace train {

const char* job_kind_name(JobKind kind) {
    return kind == JobKind::Vae ? "vae" : kind == JobKind::Gan ? "gan" : kind == JobKind::Rnn ? "rnn" : "diffusion";
}

JobKind parse_job_kind(const std::string& name) {
    if (name == "vae") return JobKind::Vae;
    if (name == "gan") return JobKind::Gan;
    if (name == "rnn" || name == "char_rnn") return JobKind::Rnn;
    if (name == "diffusion") return JobKind::Diffusion;
    throw std::invalid_argument("kind must be \"vae\", \"gan\", \"rnn\" or \"diffusion\", got \"" + name + "\"");
}

void TrainJob::configure(const nlohmann::json& h) {
    if (!h.is_object()) throw std::invalid_argument("hyper-parameters must be a JSON object");
    JobSettings s = settings_;
    if (h.contains("lr")) {
        if (!h["lr"].is_number()) throw std::invalid_argument("lr must be a number");
        s.lr = h["lr"].get<float>();
        if (!(s.lr > 0.0f && s.lr < 1.0f)) throw std::invalid_argument("lr must be in (0, 1)");
    }
    if (h.contains("batch")) {
        if (!h["batch"].is_number_integer()) throw std::invalid_argument("batch must be an integer");
        s.batch = h["batch"].get<int>();
        if (s.batch < 2 || s.batch > 1024) throw std::invalid_argument("batch must be in [2, 1024]");
    }
    if (h.contains("cell")) {
        if (!h["cell"].is_string()) throw std::invalid_argument("cell must be \"lstm\" or \"gru\"");
        s.cell = h["cell"].get<std::string>();
        if (s.cell != "lstm" && s.cell != "gru")
            throw std::invalid_argument("cell must be \"lstm\" or \"gru\", got \"" + s.cell + "\"");
    }
    settings_ = s;
    if (ready_) apply_settings();
}

void TrainJob::set_images(const io::MnistSplit& mnist) {
    if (mnist.n < 2 || mnist.rows * mnist.cols != 784)
        throw std::invalid_argument("training images: need at least 2 images of 28x28, got " +
                                    std::to_string(mnist.n));
    mnist_ = mnist;
    images_ = io::mnist_images_to_matrix(mnist_);
    labels_.assign(mnist_.labels.begin(), mnist_.labels.end());
    ready_ = false;
}

void TrainJob::set_text(const std::string& normalized) {
    if (normalized.size() < 2)
        throw std::invalid_argument("the training text is too short: paste at least a few sentences");
    text_ = normalized;
    ready_ = false;
}

void TrainJob::set_latents(const nn::Matrix& latents, const std::vector<int>& labels) {
    if (latents.rows() < 2 || latents.cols() < 1 || size_t(latents.rows()) != labels.size())
        throw std::invalid_argument("training latents: need at least 2 rows with one label each, got " +
                                    std::to_string(latents.rows()) + " rows and " +
                                    std::to_string(labels.size()) + " labels");
    if (!latents.allFinite()) throw std::invalid_argument("training latents: not all finite");
    for (int label : labels)
        if (label < 0 || label > 9) throw std::invalid_argument("training latents: labels must be digits 0..9");
    latents_ = latents;
    labels_ = labels;
    ready_ = false;
}

bool TrainJob::has_data() const {
    if (kind() == JobKind::Rnn) return text_.size() >= 2;
    if (kind() == JobKind::Diffusion) return latents_.rows() >= 2;
    return images_.rows() >= 2;
}

void TrainJob::reset(uint64_t seed) {
    if (!has_data())
        throw std::invalid_argument(kind() == JobKind::Rnn         ? "no training text yet"
                                    : kind() == JobKind::Diffusion ? "no training latents yet"
                                                                   : "no training images yet");
    ready_ = false;
    steps_ = 0;
    good_step_ = -1;
    guard_events_ = 0;
    guard_message_.clear();
    init(seed);
    ready_ = true;
}

bool TrainJob::params_finite() {
    for (const nn::Param* p : params().params)
        if (!p->value.allFinite()) return false;
    return true;
}

bool TrainJob::step(std::vector<float>& values) {
    if (!ready_) throw std::logic_error("train job: reset() before step()");
    if (good_step_ < 0 || (steps_ % kGoodEvery == 0 && steps_ != good_step_)) {
        save_good();
        good_step_ = steps_;
    }
    values.clear();
    bool finite = true;
    try {
        train_step(values);
    } catch (const std::exception&) {
        // A diverged model can also fail inside a step (spectral norm of a NaN weight):
        // that is the guard's case; any other error is the caller's.
        if (params_finite()) throw;
        finite = false;
    }
    for (float v : values) finite = finite && std::isfinite(v);
    if (finite) {
        ++steps_;
        return true;
    }
    // Restore the last good state with half the learning rate; the data order and noise are
    // keyed by the step, so the same lr would usually diverge again at the same place.
    restore_good();
    const int64_t bad_step = steps_ + 1;
    steps_ = good_step_;
    settings_.lr *= 0.5f;
    apply_settings();
    ++guard_events_;
    char lr[32];
    std::snprintf(lr, sizeof lr, "%.2e", settings_.lr);
    guard_message_ = "step " + std::to_string(bad_step) + ": the loss became NaN/inf; restored step " +
                     std::to_string(good_step_) + " and halved the learning rate to " + lr;
    values.clear();
    return false;
}

void tile_digit_grid(const nn::Matrix& images, int cols, JobPreview& out) {
    const int side = cols * 28;
    out.image_side = side;
    out.image.assign(size_t(side) * side, 0.0f);
    for (int i = 0; i < cols * cols && i < images.rows(); ++i)
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x)
                out.image[size_t((i / cols * 28 + y) * side + i % cols * 28 + x)] = images(i, y * 28 + x);
}

// The defaults of each Train mode, measured in headless Chromium on the 2-core machine (issue 15
// note): what a learner sees after 60 s of Play.
JobSettings default_job_settings(JobKind kind) {
    JobSettings s;
    if (kind == JobKind::Vae) s.lr = 1e-3f, s.batch = 32;
    else if (kind == JobKind::Gan) s.lr = 2e-3f, s.batch = 16;
    else if (kind == JobKind::Rnn) s.lr = 1e-2f, s.batch = 8, s.cell = "gru";  // GRU: 66-68% words vs LSTM 59% at 2,000 steps
    else s.lr = 3e-3f, s.batch = 128;  // diffusion: the Diffusion panel's in-page recipe
    return s;
}

std::unique_ptr<TrainJob> make_vae_job();  // job_vae.cpp
std::unique_ptr<TrainJob> make_gan_job();  // job_gan.cpp
std::unique_ptr<TrainJob> make_rnn_job();  // job_rnn.cpp
std::unique_ptr<TrainJob> make_diffusion_job();  // job_diffusion.cpp

std::unique_ptr<TrainJob> make_train_job(JobKind kind) {
    std::unique_ptr<TrainJob> job = kind == JobKind::Vae   ? make_vae_job()
                                    : kind == JobKind::Gan ? make_gan_job()
                                    : kind == JobKind::Rnn ? make_rnn_job()
                                                           : make_diffusion_job();
    const JobSettings s = default_job_settings(kind);
    job->configure({{"lr", s.lr}, {"batch", s.batch}, {"cell", s.cell}});
    return job;
}

}  // namespace train
