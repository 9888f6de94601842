// Step-based trainer of the latent flow-matching model (models/diffusion.h): one call = one
// Adam step on one random minibatch of training latents. The CLI loops it with a progress bar;
// the page calls it in time slices. Everything random in step s comes from Rng(seed, s + 1)
// (rows, times, noise, dropped labels), so a run is the same natively and in wasm.
#pragma once

#include "models/diffusion.h"
#include "models/vae.h"
#include "nn/optim.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace train {

// How training draws each example's time t in [0, 1]:
//   Uniform:     t ~ U[0, 1).
//   LogitNormal: t = sigmoid(m + s n), n ~ N(0, 1) (Esser et al. 2024, SD3 "lognorm(m, s)"):
//                more examples at mid t, where the flow decides which digit a sample becomes,
//                fewer near t = 0 and 1, where the target is nearly the input.
enum class TimeSampling { Uniform, LogitNormal };
// "uniform" | "logit-normal"; throws std::invalid_argument naming the value otherwise.
TimeSampling time_sampling_from_name(const std::string& name);
const char* time_sampling_name(TimeSampling sampling);

struct DiffusionTrainOptions {
    int batch = 256;
    float lr = 2e-3f;
    uint64_t seed = 1;
    float label_drop = 0.1f;  // p: a label becomes the null class with this probability (CFG)
    // Cosine decay from lr to lr_min_fraction*lr over total_steps; 0 = constant lr.
    int64_t total_steps = 0;
    float lr_min_fraction = 0.02f;
    // Exponential moving average of the weights (0 = off), updated after every step; what
    // diffusion models ship (Ho et al. 2020 use 0.9999 over far longer runs).
    float ema_decay = 0.0f;
    TimeSampling time_sampling = TimeSampling::Uniform;
    float logit_mean = 0.0f;  // m (LogitNormal only)
    float logit_std = 1.0f;   // s > 0 (LogitNormal only)
};

struct DiffusionTrainer {
    DiffusionTrainOptions options;
    nn::Adam adam;
    int64_t step = 0;
    models::DiffusionCache cache;
    std::vector<nn::Matrix> ema;  // per trainable param of diffusion_params(), in list order
};

struct DiffusionStepStats {
    float loss = 0;  // flow-matching MSE per latent element
    int64_t step = 0;
};

void diffusion_trainer_init(DiffusionTrainer& trainer, const DiffusionTrainOptions& options);
// Copies the EMA weights into the model (no-op when the EMA is off or no step was taken).
void diffusion_apply_ema(const DiffusionTrainer& trainer, models::Diffusion& model);
float diffusion_learning_rate(const DiffusionTrainOptions& options, int64_t step);

// latents [N,Z] in the model's normalised coordinates (models::diffusion_normalize), labels
// [N] digits (ignored when the model is unconditional).
DiffusionStepStats diffusion_train_step(DiffusionTrainer& trainer, models::Diffusion& model,
                                        const nn::Matrix& latents, const std::vector<int>& labels);

// One training time from `rng` as options.time_sampling says.
float diffusion_sample_time(const DiffusionTrainOptions& options, nn::Rng& rng);

// Flow-matching loss on held-out normalised latents with fixed times and noise (Rng(seed)),
// labels as given (no dropping): comparable between runs (uniform times whatever the
// training's time sampling).
float diffusion_validation_loss(models::Diffusion& model, const nn::Matrix& latents,
                                const std::vector<int>& labels, uint64_t seed = 4321);

// Checkpoint (train/checkpoint.h): weights (incl. the latent normalisation) + Adam moments +
// EMA weights + {"trainer.step", "trainer.batch", "trainer.lr", "trainer.seed",
// "trainer.label_drop", "trainer.total_steps", "trainer.lr_min_fraction", "trainer.ema_decay",
// "trainer.time_sampling", "trainer.logit_mean", "trainer.logit_std"} + the diffusion metadata,
// so a resume needs no other flags (checkpoints without the time keys resume as uniform).
void save_diffusion_checkpoint(const std::string& path, const DiffusionTrainer& trainer,
                               models::Diffusion& model,
                               const std::map<std::string, std::string>& extra_metadata);
// Initialises model (config from the file) and trainer from a checkpoint.
void load_diffusion_checkpoint(const std::string& path, DiffusionTrainer& trainer,
                               models::Diffusion& model);

// Encodes images [N,784] with the VAE's encoder (posterior means), in chunks.
nn::Matrix encode_latents(const nn::Matrix& images, models::Vae& vae);

}  // namespace train
