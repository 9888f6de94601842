#include "train/vae_trainer.h"

#include "io/safetensors.h"
#include "train/optim_checkpoint.h"

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
    if (options.total_steps <= 0) return options.lr;
    const double t = std::min(1.0, double(step) / double(options.total_steps));
    const double f = options.lr_min_fraction +
                     (1.0 - options.lr_min_fraction) * 0.5 * (1.0 + std::cos(3.14159265358979 * t));
    return static_cast<float>(options.lr * f);
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

void save_vae_checkpoint(const std::string& path, const VaeTrainer& trainer, models::Vae& vae,
                         const std::map<std::string, std::string>& extra_metadata) {
    auto metadata = models::vae_metadata(vae.config, extra_metadata);
    metadata["trainer.step"] = std::to_string(trainer.step);
    metadata["trainer.batch"] = std::to_string(trainer.options.batch);
    metadata["trainer.lr"] = std::to_string(trainer.options.lr);
    metadata["trainer.seed"] = std::to_string(trainer.options.seed);
    metadata["trainer.total_steps"] = std::to_string(trainer.options.total_steps);
    nn::ParamList params = vae_params(vae);
    CheckpointTensors tensors;
    add_adam_state(tensors, metadata, trainer.adam, params, "adam");
    nn::ParamList all = params;
    for (nn::Param* p : tensors.list.params) all.add(*p);
    io::save_safetensors(path, all, metadata, io::Dtype::F32);
}

void load_vae_checkpoint(const std::string& path, VaeTrainer& trainer, models::Vae& vae) {
    io::SafetensorsFile file = io::read_safetensors(path);
    models::VaeConfig config = models::vae_config_from_metadata(file.metadata, path);
    models::vae_init(vae, config, 0);
    VaeTrainOptions options;
    auto get = [&](const char* key) -> const std::string& {
        auto it = file.metadata.find(key);
        if (it == file.metadata.end())
            throw std::invalid_argument(path + ": no \"" + key +
                                        "\" in __metadata__; this is a weights file, not a checkpoint "
                                        "(--resume takes a file written by --checkpoint)");
        return it->second;
    };
    options.batch = std::stoi(get("trainer.batch"));
    options.lr = std::stof(get("trainer.lr"));
    options.seed = std::stoull(get("trainer.seed"));
    options.total_steps = std::stoll(get("trainer.total_steps"));
    vae_trainer_init(trainer, options);
    nn::ParamList params = vae_params(vae);
    io::LoadOptions load_options;
    load_options.allow_extra = true;  // the Adam moments
    io::load_params(file, params, load_options);
    restore_adam_state(trainer.adam, params, file, "adam");
    trainer.step = std::stoll(get("trainer.step"));
}

}  // namespace train
