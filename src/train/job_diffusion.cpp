// The diffusion job: a small latent flow-matching model (models/diffusion.h) over the 2-D
// latents the page encoded with vae2, trained for kDiffusionJobSteps with a cosine lr decay.
// The Diffusion panel fetches serialise() every ~50 steps and re-flows its particles through
// the forming field; the preview is empty (the page samples from the weights itself).
#include "io/safetensors.h"
#include "models/diffusion.h"
#include "train/diffusion_trainer.h"
#include "train/job.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace train {

models::DiffusionConfig job_diffusion_config(int latent) {
    models::DiffusionConfig c;
    c.latent = latent;
    c.hidden = 64;
    c.layers = 2;
    c.time_features = 16;
    c.label_embed = 8;
    return c;
}

namespace {

class DiffusionJob : public TrainJob {
public:
    JobKind kind() const override { return JobKind::Diffusion; }
    std::vector<std::string> series_names() const override { return {"flow-matching loss"}; }
    int64_t items_per_step() const override { return std::min<int64_t>(settings_.batch, latents_.rows()); }
    std::string describe() const override {
        return std::to_string(latents_.cols()) + "-D latents, 2 hidden layers of 64";
    }

    void preview(JobPreview& out) override { out = JobPreview(); }

    std::vector<uint8_t> serialise(std::string& file, std::string& label) override {
        file = "diffusion2.safetensors";
        label = "browser-trained 2-D diffusion model";
        return io::serialize_safetensors(
            models::diffusion_params(model_),
            models::diffusion_metadata(model_.config, {{"trained_with", "GenLab browser, " +
                                                                             std::to_string(steps_) + " steps"}}));
    }
    nn::ParamList params() override { return models::diffusion_params(model_); }

protected:
    void init(uint64_t seed) override {
        models::diffusion_init(model_, job_diffusion_config(int(latents_.cols())), seed);
        models::diffusion_set_normalization(model_, latents_);
        models::diffusion_normalize(normalized_, latents_, model_);
        DiffusionTrainOptions o;
        o.batch = settings_.batch;
        o.lr = settings_.lr;
        o.seed = seed;
        o.total_steps = kDiffusionJobSteps;
        trainer_ = DiffusionTrainer();
        diffusion_trainer_init(trainer_, o);
    }
    void train_step(std::vector<float>& values) override {
        values = {diffusion_train_step(trainer_, model_, normalized_, labels_).loss};
    }
    void save_good() override { good_model_ = model_, good_trainer_ = trainer_; }
    void restore_good() override { model_ = good_model_, trainer_ = good_trainer_; }
    void apply_settings() override {
        trainer_.options.lr = settings_.lr;
        trainer_.options.batch = settings_.batch;
    }

private:
    models::Diffusion model_, good_model_;
    DiffusionTrainer trainer_, good_trainer_;
    nn::Matrix normalized_;  // latents_ in the model's normalised coordinates
};

}  // namespace

std::unique_ptr<TrainJob> make_diffusion_job() { return std::make_unique<DiffusionJob>(); }

std::vector<uint8_t> pack_latents(const nn::Matrix& latents, const std::vector<int>& labels) {
    nn::Param z, y;
    nn::param_init(z, "latents", {latents.rows(), latents.cols()}, int(latents.rows()), int(latents.cols()), false);
    nn::param_init(y, "labels", {int64_t(labels.size())}, 1, int(labels.size()), false);
    z.value = latents;
    for (size_t i = 0; i < labels.size(); ++i) y.value(0, Eigen::Index(i)) = float(labels[i]);
    nn::ParamList list;
    list.add(z);
    list.add(y);
    return io::serialize_safetensors(list, {{"format", "genlab-latents"}});
}

void unpack_latents(const std::vector<uint8_t>& bytes, nn::Matrix& latents, std::vector<int>& labels) {
    const io::SafetensorsFile file = io::parse_safetensors(bytes, "training latents");
    const io::TensorInfo* z = file.find("latents");
    const io::TensorInfo* y = file.find("labels");
    if (!z || !y) throw std::invalid_argument("training latents: need tensors \"latents\" and \"labels\"");
    if (z->shape.size() != 2 || y->shape.size() != 1 || z->shape[0] != y->shape[0] || z->shape[1] < 1 ||
        z->shape[1] > 64)
        throw std::invalid_argument("training latents: need latents [N, Z] and labels [N]");
    const std::vector<float> zv = file.read_f32(*z), yv = file.read_f32(*y);
    std::vector<int> digits(yv.size());
    for (size_t i = 0; i < yv.size(); ++i) {
        if (!(yv[i] >= 0.0f && yv[i] <= 9.0f) || yv[i] != std::floor(yv[i]))
            throw std::invalid_argument("training latents: labels must be digits 0..9");
        digits[i] = int(yv[i]);
    }
    // Only complete, valid data replaces the outputs.
    latents = Eigen::Map<const nn::Matrix>(zv.data(), Eigen::Index(z->shape[0]), Eigen::Index(z->shape[1]));
    labels = std::move(digits);
}

}  // namespace train
