#include "train/vae_trainer.h"

#include "train/checkpoint.h"
#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace train {

void vae_trainer_init(VaeTrainer& trainer, const VaeTrainOptions& options) {
    if (options.batch < 1)
        throw std::invalid_argument("VAE trainer: batch = " + std::to_string(options.batch) +
                                    ", expected >= 1");
    if (!(options.lr > 0.0f))
        throw std::invalid_argument("VAE trainer: lr must be > 0");
    trainer = VaeTrainer{};
    trainer.options = options;
    trainer.adam.lr = options.lr;
}

int64_t vae_steps_per_epoch(const VaeTrainer& trainer, int64_t n_images) {
    const int64_t b = std::min<int64_t>(trainer.options.batch, std::max<int64_t>(n_images, 1));
    return std::max<int64_t>(1, n_images / b);  // the last partial batch is dropped
}

float vae_learning_rate(const VaeTrainOptions& options, int64_t step) {
    return scheduled_learning_rate(
        cosine_decay(options.lr, options.lr_min_fraction, 0, options.total_steps), step);
}

VaeStepStats vae_train_step_batch(VaeTrainer& trainer, models::Vae& vae, const nn::Matrix& batch) {
    nn::ParamList params = vae_params(vae);
    nn::zero_grad(params);
    nn::Matrix eps(batch.rows(), vae.config.latent);
    nn::Rng rng(trainer.options.seed, 2 * static_cast<uint64_t>(trainer.step) + 2);
    nn::fill_normal(eps, rng);
    models::VaeLoss l = models::vae_elbo(batch, eps, vae, trainer.cache, true);
    trainer.adam.lr = vae_learning_rate(trainer.options, trainer.step);
    nn::adam_step(trainer.adam, params);
    ++trainer.step;
    VaeStepStats s;
    s.loss = l.loss;
    s.recon = l.recon;
    s.kl = l.kl;
    s.step = trainer.step;
    return s;
}

VaeStepStats vae_train_step(VaeTrainer& trainer, models::Vae& vae, const nn::Matrix& images) {
    const int64_t N = images.rows();
    if (N < 1) throw std::invalid_argument("vae_train_step: no training images");
    const int64_t per_epoch = vae_steps_per_epoch(trainer, N);
    const int B = static_cast<int>(std::min<int64_t>(trainer.options.batch, N));
    const int epoch = static_cast<int>(trainer.step / per_epoch);
    const int64_t index = trainer.step % per_epoch;
    if (trainer.order_epoch != epoch || static_cast<int64_t>(trainer.order.size()) != N) {
        nn::Rng rng(trainer.options.seed, 2 * static_cast<uint64_t>(epoch) + 1);
        trainer.order = nn::permutation(static_cast<int>(N), rng);
        trainer.order_epoch = epoch;
    }
    nn::Matrix batch(B, images.cols());
    for (int i = 0; i < B; ++i) batch.row(i) = images.row(trainer.order[index * B + i]);
    VaeStepStats s = vae_train_step_batch(trainer, vae, batch);
    s.epoch = epoch;
    return s;
}

// The VAE trainer's settings in a checkpoint (one list for saving and loading).
static TrainerSettings vae_settings(VaeTrainOptions& o) {
    TrainerSettings s = common_settings(o);
    s.count("trainer.total_steps", o.total_steps, 0, INT64_MAX);
    s.real("trainer.lr_min_fraction", o.lr_min_fraction, TrainerSettings::Optional);
    return s;
}

void save_vae_checkpoint(const std::string& path, const VaeTrainer& trainer, models::Vae& vae,
                         const std::map<std::string, std::string>& extra_metadata) {
    VaeTrainOptions options = trainer.options;
    CheckpointWriter out(models::vae_metadata(vae.config, extra_metadata), trainer.step,
                         vae_settings(options));
    out.add_model(vae_params(vae), trainer.adam, "adam");
    out.save(path);
}

void load_vae_checkpoint(const std::string& path, VaeTrainer& trainer, models::Vae& vae) {
    const CheckpointReader in(path, "VAE");
    models::vae_init(vae, models::vae_config_from_metadata(in.metadata(), path), 0);
    VaeTrainOptions options;
    vae_settings(options).read(in);
    vae_trainer_init(trainer, options);
    in.load_model(vae_params(vae), trainer.adam, "adam");
    trainer.step = in.step();
}

}  // namespace train
