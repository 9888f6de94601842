// A training job: one model (VAE, GAN, char-RNN or 2-D latent diffusion) with its trainer, behind one interface the
// browser drives step by step, in a Web Worker (src/worker/) or, without workers, in time
// slices on the page (src/app/panel_train.cpp). No browser code here: it builds with plain g++.
//
//   configure(json)  hyper-parameters: {"lr", "batch", "cell"}; lr (and the VAE/GAN batch) apply
//                    at once, the rest at the next reset. Throws std::invalid_argument.
//   set_data(...)    the MNIST subset (VAE, GAN), the training text (char-RNN) or encoded
//                    latents + labels (diffusion: the page encodes its digits with vae2)
//   reset(seed)      a fresh model and trainer
//   step()           one optimiser step; appends one value to every series
//   preview(out)     what the learner sees: an image grid, latent-map points or sample text
//   serialise()      a GenLab safetensors weights file (what Download saves)
//
// The NaN guard: every kGoodEvery steps with finite losses the job copies itself (model +
// trainer) as the last good state; a non-finite loss restores it, halves the learning rate
// and reports the event (guard_events, guard_message).
#pragma once

#include "io/idx.h"
#include "models/diffusion.h"
#include "nn/tensor.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace train {

enum class JobKind { Vae, Gan, Rnn, Diffusion };
const char* job_kind_name(JobKind kind);             // "vae", "gan", "rnn", "diffusion"
JobKind parse_job_kind(const std::string& name);     // also accepts "char_rnn"; throws

// The diffusion job's run: the lr schedule decays over this many steps (the panel asks for
// exactly these).
constexpr int kDiffusionJobSteps = 1500;
// The 2-D in-page recipe (MLP 64 x 2, 16 time features, label embedding 8) over `latent`-D
// latents: the job and the panel's time-sliced fallback both build their model from it.
models::DiffusionConfig job_diffusion_config(int latent);

// What a learner sees of the model now (refreshed a few times a second).
struct JobPreview {
    int image_side = 0;               // image_side^2 pixels in [0, 1], row-major; 0 = none
    std::vector<float> image;
    std::vector<float> points;        // latent map [n, 2] (VAE)
    std::vector<float> point_labels;  // [n] digit of each point
    std::string text;                 // char-RNN sample
};

struct JobSettings {
    float lr = 1e-3f;
    int batch = 32;
    std::string cell = "lstm";        // char-RNN only
};

class TrainJob {
public:
    static constexpr int kGoodEvery = 50;

    virtual ~TrainJob() = default;
    virtual JobKind kind() const = 0;
    // The per-step series, e.g. {"-ELBO", "KL"}; step() appends one value to each.
    virtual std::vector<std::string> series_names() const = 0;
    // Items one step consumes: images (VAE, GAN) or predicted characters (char-RNN).
    virtual int64_t items_per_step() const = 0;
    // Human-readable model size for the panel ("latent 16, G 16, D 8 channels").
    virtual std::string describe() const = 0;

    void configure(const nlohmann::json& hparams);
    const JobSettings& settings() const { return settings_; }
    void set_images(const io::MnistSplit& mnist);    // VAE, GAN
    void set_text(const std::string& normalized);    // char-RNN
    // Diffusion: latents [N, Z] (raw, as the VAE encodes them), labels [N] digits 0..9.
    void set_latents(const nn::Matrix& latents, const std::vector<int>& labels);
    bool has_data() const;
    void reset(uint64_t seed);
    bool ready() const { return ready_; }
    int64_t steps() const { return steps_; }
    // One step; false (and nothing appended) when the NaN guard restored the last good state.
    bool step(std::vector<float>& series_values);
    virtual void preview(JobPreview& out) = 0;
    // Weights file bytes; `file` is the weights/ name it replaces ("gan.safetensors"), `label`
    // what the panels call it.
    virtual std::vector<uint8_t> serialise(std::string& file, std::string& label) = 0;
    // The model's tensors, the GAN's with its discriminator (the NaN guard checks them; tests
    // poison them).
    virtual nn::ParamList params() = 0;

    int guard_events() const { return guard_events_; }
    const std::string& guard_message() const { return guard_message_; }

protected:
    virtual void init(uint64_t seed) = 0;                        // model + trainer from settings_
    virtual void train_step(std::vector<float>& values) = 0;     // one step, values per series
    virtual void save_good() = 0;                                // copy model + trainer aside
    virtual void restore_good() = 0;
    virtual void apply_settings() = 0;                           // lr (and batch) -> the trainer
    bool params_finite();                                        // every tensor of params()

    JobSettings settings_;
    io::MnistSplit mnist_;
    nn::Matrix images_;        // [N, 784] in [0, 1]
    std::vector<int> labels_;  // [N] (images' or latents' digits)
    nn::Matrix latents_;       // [N, Z] diffusion training latents
    std::string text_;
    bool ready_ = false;
    int64_t steps_ = 0;
    int64_t good_step_ = -1;
    int guard_events_ = 0;
    std::string guard_message_;
};

// Lays out images [n, 784] (n = cols * cols) as one cols x cols grid of 28x28 tiles in out.
void tile_digit_grid(const nn::Matrix& images, int cols, JobPreview& out);

// The diffusion job's data on the wire (page -> worker): a safetensors file with "latents"
// F32 [N, Z] and "labels" F32 [N]. unpack throws std::invalid_argument / io::SafetensorsError
// naming what is wrong.
std::vector<uint8_t> pack_latents(const nn::Matrix& latents, const std::vector<int>& labels);
void unpack_latents(const std::vector<uint8_t>& bytes, nn::Matrix& latents, std::vector<int>& labels);

// The browser's default recipe for each kind (model size, lr, batch: see job_*.cpp).
std::unique_ptr<TrainJob> make_train_job(JobKind kind);
JobSettings default_job_settings(JobKind kind);

}  // namespace train
