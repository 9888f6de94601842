// Step-based VAE trainer: one call = one Adam step on one minibatch. The CLI loops it with a
// progress bar; the browser calls it in time slices. All state is in VaeTrainer, so a
// checkpoint (params + moments + step) resumes exactly: the minibatch order of epoch e is
// permutation(N, Rng(seed, 2e+1)) and the noise of step s comes from Rng(seed, 2s+2).
#pragma once

#include "models/vae.h"
#include "nn/optim.h"

#include <cstdint>
#include <string>
#include <vector>

namespace train {

struct VaeTrainOptions {
    int batch = 128;
    float lr = 1e-3f;
    uint64_t seed = 1;
    // Cosine decay from lr to lr_min_fraction*lr over total_steps; 0 = constant lr.
    int64_t total_steps = 0;
    float lr_min_fraction = 0.05f;
};

struct VaeTrainer {
    VaeTrainOptions options;
    nn::Adam adam;
    int64_t step = 0;          // optimiser steps taken (== adam.step)
    models::VaeCache cache;
    std::vector<int> order;    // minibatch order of the current epoch
    int order_epoch = -1;
};

struct VaeStepStats {
    float loss = 0, recon = 0, kl = 0;  // per-sample negative ELBO and its parts, nats
    int64_t step = 0;
    int epoch = 0;
};

void vae_trainer_init(VaeTrainer& trainer, const VaeTrainOptions& options);

// The learning rate of the given step under options (constant, or the cosine schedule).
float vae_learning_rate(const VaeTrainOptions& options, int64_t step);

// One step on the next minibatch of `images` [N,784] (N >= 1; the batch is min(batch, N)).
VaeStepStats vae_train_step(VaeTrainer& trainer, models::Vae& vae, const nn::Matrix& images);
// One step on an explicit minibatch [B,784], noise from the trainer's step.
VaeStepStats vae_train_step_batch(VaeTrainer& trainer, models::Vae& vae, const nn::Matrix& batch);

// Steps per epoch for N images.
int64_t vae_steps_per_epoch(const VaeTrainer& trainer, int64_t n_images);

// Checkpoint: weights + Adam moments + {"trainer.step", "trainer.batch", "trainer.lr",
// "trainer.seed", "trainer.total_steps"} + the VAE metadata, so `--resume` needs no other flags.
void save_vae_checkpoint(const std::string& path, const VaeTrainer& trainer, models::Vae& vae,
                         const std::map<std::string, std::string>& extra_metadata);
void load_vae_checkpoint(const std::string& path, VaeTrainer& trainer, models::Vae& vae);

}  // namespace train
