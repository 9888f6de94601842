#include "train/diffusion_trainer.h"

#include "train/checkpoint.h"
#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace train {

TimeSampling time_sampling_from_name(const std::string& name) {
    if (name == "uniform") return TimeSampling::Uniform;
    if (name == "logit-normal") return TimeSampling::LogitNormal;
    throw std::invalid_argument("time sampling \"" + name + "\": expected uniform or logit-normal");
}

const char* time_sampling_name(TimeSampling sampling) {
    return sampling == TimeSampling::LogitNormal ? "logit-normal" : "uniform";
}

float diffusion_sample_time(const DiffusionTrainOptions& options, nn::Rng& rng) {
    if (options.time_sampling == TimeSampling::Uniform) return rng.uniform();
    const double logit = double(options.logit_mean) + double(options.logit_std) * double(rng.normal());
    return static_cast<float>(1.0 / (1.0 + std::exp(-logit)));
}

void diffusion_trainer_init(DiffusionTrainer& trainer, const DiffusionTrainOptions& options) {
    if (options.batch < 1)
        throw std::invalid_argument("diffusion trainer: batch = " + std::to_string(options.batch) +
                                    ", expected >= 1");
    if (!(options.lr > 0.0f) || !std::isfinite(options.lr))
        throw std::invalid_argument("diffusion trainer: lr must be a positive number");
    if (!(options.ema_decay >= 0.0f && options.ema_decay < 1.0f))
        throw std::invalid_argument("diffusion trainer: ema_decay must be in [0, 1)");
    if (!(options.label_drop >= 0.0f && options.label_drop <= 1.0f))
        throw std::invalid_argument("diffusion trainer: label_drop must be in 0..1");
    if (!std::isfinite(options.logit_mean) || !(options.logit_std > 0.0f) || !std::isfinite(options.logit_std))
        throw std::invalid_argument("diffusion trainer: logit_mean must be finite and logit_std > 0");
    trainer = DiffusionTrainer{};
    trainer.options = options;
    trainer.adam.lr = options.lr;
}

void diffusion_apply_ema(const DiffusionTrainer& trainer, models::Diffusion& model) {
    if (trainer.ema.empty()) return;
    size_t k = 0;
    for (nn::Param* p : models::diffusion_params(model).params)
        if (p->trainable) p->value = trainer.ema.at(k++);
}

float diffusion_learning_rate(const DiffusionTrainOptions& options, int64_t step) {
    return scheduled_learning_rate(
        cosine_decay(options.lr, options.lr_min_fraction, 0, options.total_steps), step);
}

DiffusionStepStats diffusion_train_step(DiffusionTrainer& trainer, models::Diffusion& model,
                                        const nn::Matrix& latents, const std::vector<int>& labels) {
    const Eigen::Index N = latents.rows(), Z = model.config.latent;
    const bool conditional = model.config.classes > 0;
    if (N < 1) throw std::invalid_argument("diffusion_train_step: no training latents");
    if (latents.cols() != Z)
        throw std::invalid_argument("diffusion_train_step: latents have " +
                                    std::to_string(latents.cols()) + " columns, the model " +
                                    std::to_string(Z) + " (train it over the same VAE)");
    if (conditional && static_cast<Eigen::Index>(labels.size()) != N)
        throw std::invalid_argument("diffusion_train_step: " + std::to_string(labels.size()) +
                                    " labels for " + std::to_string(N) + " latents");
    const int B = trainer.options.batch;
    nn::Rng rng(trainer.options.seed, static_cast<uint64_t>(trainer.step) + 1);
    nn::Matrix x0(B, Z), x1(B, Z);
    std::vector<float> t(static_cast<size_t>(B));
    std::vector<int> batch_labels;
    for (int b = 0; b < B; ++b) {
        const uint32_t row = rng.below(static_cast<uint32_t>(N));
        x0.row(b) = latents.row(row);
        t[b] = diffusion_sample_time(trainer.options, rng);
        if (conditional) {
            const bool drop = rng.uniform() < trainer.options.label_drop;
            batch_labels.push_back(drop ? models::diffusion_null_label(model) : labels[row]);
        }
    }
    nn::fill_normal(x1, rng);
    nn::ParamList params = models::diffusion_params(model);
    nn::zero_grad(params);
    const float loss = models::flow_matching_loss(x0, x1, t, batch_labels, model, trainer.cache, true);
    trainer.adam.lr = diffusion_learning_rate(trainer.options, trainer.step);
    nn::adam_step(trainer.adam, params);  // the latent_mean/std buffers are skipped
    if (trainer.options.ema_decay > 0) {
        const float d = trainer.options.ema_decay;
        size_t k = 0;
        const bool first = trainer.ema.empty();
        for (nn::Param* p : params.params) {
            if (!p->trainable) continue;
            if (first) trainer.ema.push_back(p->value);
            else trainer.ema[k] = d * trainer.ema[k] + (1.0f - d) * p->value;
            ++k;
        }
    }
    ++trainer.step;
    DiffusionStepStats s;
    s.loss = loss;
    s.step = trainer.step;
    return s;
}

float diffusion_validation_loss(models::Diffusion& model, const nn::Matrix& latents,
                                const std::vector<int>& labels, uint64_t seed) {
    const Eigen::Index N = latents.rows();
    if (N < 1) throw std::invalid_argument("diffusion_validation_loss: no latents");
    nn::Rng rng(seed);
    nn::Matrix x1(N, latents.cols());
    nn::fill_normal(x1, rng);
    std::vector<float> t(static_cast<size_t>(N));
    for (float& v : t) v = rng.uniform();
    models::DiffusionCache cache;
    double total = 0;
    const Eigen::Index chunk = 1000;
    for (Eigen::Index start = 0; start < N; start += chunk) {
        const Eigen::Index rows = std::min(chunk, N - start);
        std::vector<float> tc(t.begin() + start, t.begin() + start + rows);
        std::vector<int> lc;
        if (model.config.classes > 0) lc.assign(labels.begin() + start, labels.begin() + start + rows);
        total += double(models::flow_matching_loss(latents.middleRows(start, rows),
                                                   x1.middleRows(start, rows), tc, lc, model,
                                                   cache, false)) * double(rows);
    }
    return static_cast<float>(total / double(N));
}

// The diffusion trainer's settings in a checkpoint (one list for saving and loading).
static TrainerSettings diffusion_settings(DiffusionTrainOptions& o) {
    TrainerSettings s = common_settings(o);
    s.real("trainer.label_drop", o.label_drop).real("trainer.ema_decay", o.ema_decay);
    s.count("trainer.total_steps", o.total_steps, 0, INT64_MAX);
    s.real("trainer.lr_min_fraction", o.lr_min_fraction);
    s.choice("trainer.time_sampling", o.time_sampling, time_sampling_name, time_sampling_from_name,
             TrainerSettings::Optional);
    s.real("trainer.logit_mean", o.logit_mean, TrainerSettings::Optional);
    s.real("trainer.logit_std", o.logit_std, TrainerSettings::Optional);
    return s;
}

void save_diffusion_checkpoint(const std::string& path, const DiffusionTrainer& trainer,
                               models::Diffusion& model,
                               const std::map<std::string, std::string>& extra_metadata) {
    DiffusionTrainOptions options = trainer.options;
    CheckpointWriter out(models::diffusion_metadata(model.config, extra_metadata), trainer.step,
                         diffusion_settings(options));
    nn::ParamList params = models::diffusion_params(model);
    out.add_model(params, trainer.adam, "adam");
    out.add_ema(params, trainer.ema);
    out.save(path);
}

void load_diffusion_checkpoint(const std::string& path, DiffusionTrainer& trainer,
                               models::Diffusion& model) {
    const CheckpointReader in(path, "diffusion");
    models::diffusion_init(model, models::diffusion_config_from_metadata(in.metadata(), path), 0);
    DiffusionTrainOptions options;
    diffusion_settings(options).read(in);
    diffusion_trainer_init(trainer, options);
    nn::ParamList params = models::diffusion_params(model);
    in.load_model(params, trainer.adam, "adam");
    trainer.ema = in.read_ema(params);
    trainer.step = in.step();
}

nn::Matrix encode_latents(const nn::Matrix& images, models::Vae& vae) {
    nn::Matrix latents(images.rows(), vae.config.latent), mu, logvar;
    const Eigen::Index chunk = 2000;
    for (Eigen::Index start = 0; start < images.rows(); start += chunk) {
        const Eigen::Index rows = std::min(chunk, images.rows() - start);
        models::vae_encode(mu, logvar, images.middleRows(start, rows), vae);
        latents.middleRows(start, rows) = mu;
    }
    return latents;
}

}  // namespace train
