// The VAE job: a 2-D latent VAE (one hidden layer of 128), so the page can draw the latent
// map of the training digits and the decoded grid over it.
#include "models/vae.h"
#include "io/safetensors.h"
#include "train/job.h"
#include "train/vae_trainer.h"

#include <algorithm>

namespace train {
namespace {

constexpr int kScatterPoints = 300;  // encoded training digits on the latent map
constexpr int kManifold = 8;         // 8x8 decoded grid over [-2.5, 2.5]^2

class VaeJob : public TrainJob {
public:
    JobKind kind() const override { return JobKind::Vae; }
    std::vector<std::string> series_names() const override { return {"-ELBO", "KL"}; }
    int64_t items_per_step() const override { return std::min<int64_t>(settings_.batch, images_.rows()); }
    std::string describe() const override { return "latent 2, 1 hidden layer of 128"; }

    void preview(JobPreview& out) override {
        nn::Matrix z(kManifold * kManifold, 2), decoded;
        for (int r = 0; r < kManifold; ++r)
            for (int c = 0; c < kManifold; ++c) {
                z(r * kManifold + c, 0) = -2.5f + 5.0f * c / (kManifold - 1);
                z(r * kManifold + c, 1) = 2.5f - 5.0f * r / (kManifold - 1);
            }
        models::vae_decode(decoded, z, vae_);
        tile_digit_grid(decoded, kManifold, out);
        const int n = std::min<int>(kScatterPoints, int(images_.rows()));
        nn::Matrix mu, logvar;
        models::vae_encode(mu, logvar, images_.topRows(n), vae_);
        out.points.assign(mu.data(), mu.data() + mu.size());
        out.point_labels.assign(labels_.begin(), labels_.begin() + n);
        out.text.clear();
    }

    std::vector<uint8_t> serialise(std::string& file, std::string& label) override {
        file = "vae2.safetensors";
        label = "browser-trained VAE";
        return io::serialize_safetensors(
            models::vae_params(vae_),
            models::vae_metadata(vae_.config, {{"trained_with", "GenLab browser, " +
                                                                    std::to_string(steps_) + " steps"}}));
    }
    nn::ParamList params() override { return models::vae_params(vae_); }

protected:
    void init(uint64_t seed) override {
        models::VaeConfig c;
        c.latent = 2;
        c.hidden = 128;
        c.layers = 1;
        models::vae_init(vae_, c, seed);
        VaeTrainOptions o;
        o.batch = settings_.batch;
        o.lr = settings_.lr;
        o.seed = seed;
        trainer_ = VaeTrainer();
        vae_trainer_init(trainer_, o);
    }
    void train_step(std::vector<float>& values) override {
        const VaeStepStats st = vae_train_step(trainer_, vae_, images_);
        values = {st.loss, st.kl};
    }
    void save_good() override { good_vae_ = vae_, good_trainer_ = trainer_; }
    void restore_good() override { vae_ = good_vae_, trainer_ = good_trainer_; }
    void apply_settings() override {
        trainer_.options.lr = settings_.lr;
        trainer_.options.batch = settings_.batch;
    }

private:
    models::Vae vae_, good_vae_;
    VaeTrainer trainer_, good_trainer_;
};

}  // namespace

std::unique_ptr<TrainJob> make_vae_job() { return std::make_unique<VaeJob>(); }

}  // namespace train
