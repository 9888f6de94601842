// Step-based GAN / cGAN training (DCGAN recipe): one call = one discriminator step and one
// generator step on one mini-batch. Works for any batch >= 2 and the tiny configs the browser
// trains live.
//
// Per step (B = batch):
//   z ~ N(0, 1) [B, L] (from an Rng keyed by (seed, step), so resume is exact); for a cGAN the
//     fake labels are the real batch's labels (same class balance as the data);
//   fake = G(z) in training mode (one forward, reused by both steps);
//   D step: BCE-with-logits(D(real), real_label) + BCE(D(fake), 0), each a batch mean
//           (one-sided label smoothing: real_label = 0.9 by default; with class weights the
//           real term is a weighted mean, and so is the real side of feature matching);
//   G step: non-saturating loss BCE(D(fake), 1) through the just-updated D, plus optionally
//           feature matching (Salimans et al. 2016): lambda * || mean_b h(real) - mean_b h(fake) ||^2
//           on the discriminator's features h [B, 2D*49] (or its first layer's, [B, D*196]). The batch mean of h moves with the
//           mix of digits in the batch, so this term pulls the generator's class frequencies
//           towards the data's, which the per-sample loss does only weakly.
// Adam(lr 2e-4, beta1 0.5, beta2 0.999) for both, as in DCGAN; lr_d / lr_g set the two rates
// apart (two time-scale update rule, Heusel et al. 2017).
// Discriminator options (each off by default, so the DCGAN recipe stays what it was):
//   loss = Hinge: relu(1 - D(real)) + relu(1 + D(fake)) for D, -D(G(z)) for G (nn/gan_losses.h);
//     label smoothing does not apply;
//   r1 = gamma > 0: + gamma/2 * mean ||d D(real) / d real||^2 in the D loss (models::discriminator_r1),
//     applied every r1_every steps with gamma * r1_every ("lazy" R1, Karras et al. 2020);
//   spectral norm / minibatch std live in the model (models::GanConfig).
// Optional exponential moving average (EMA) of the generator's weights (Yazici et al. 2019,
// "The Unusual Effectiveness of Averaging in GAN Training"): the averaged generator is what
// ships; it smooths the oscillation of adversarial training and gives steadier samples.
#pragma once

#include "models/gan.h"
#include "models/vae.h"
#include "nn/optim.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace train {

enum class GanLoss { Bce, Hinge };

struct GanTrainConfig {
    int batch = 64;
    float lr = 2e-4f;         // the generator's (and the discriminator's unless lr_d > 0)
    float lr_d = 0;           // the discriminator's; 0 = lr
    float beta1 = 0.5f;
    float beta2 = 0.999f;
    GanLoss loss = GanLoss::Bce;
    float r1 = 0;             // gamma of the R1 penalty; 0 = off
    int r1_every = 1;         // lazy R1: every this many steps, with gamma * r1_every
    float real_label = 0.9f;  // one-sided label smoothing; 1 disables
    uint64_t seed = 1;        // data order and latents
    float ema_decay = 0;      // EMA of the generator weights per step; 0 = off
    float feature_matching = 0;    // lambda of feature matching on h (after conv2); 0 = off
    float feature_matching_1 = 0;  // lambda of feature matching on relu1 (after conv1); 0 = off
    // lambda of latent mean matching: ||mean_b mu(G(z)) - mean over the training set of mu(x)||^2
    // with mu a frozen VAE encoder (gan_trainer_set_latent_encoder); 0 = off
    float latent_matching = 0;
    // Importance weights of the real images by digit (unconditional GAN only; needs the labels):
    // class_weights[c] scales the discriminator's real loss and the feature-matching target for
    // images of digit c, self-normalised to mean 1 over each batch. It reweights the data mix
    // the generator is pushed towards; empty = off (every image counts once).
    std::vector<float> class_weights;
    // The discriminator's passes over a batch run as this many equal shards (B/S images each),
    // each on its own replica of the discriminator, their gradients and feature sums added in
    // shard order: with nn::set_num_threads(N) up to N shards run at once, and the result is
    // bit-for-bit the same for every thread count. Minibatch std is computed per shard. The
    // batch must split into S shards of at least 2 discriminator inputs. 1 = the whole batch.
    int shards = 1;
};

// One shard of the discriminator's passes: a replica of the discriminator (its layers' weights
// copied from the trained one before each use, its gradients added back) and the shard's rows.
struct GanShard {
    models::Gan replica;
    models::DiscriminatorActs acts;
    models::R1Scratch r1_scratch;
    nn::Matrix real, fake, real_weights, targets, dlogits, dx;  // the shard's rows
    std::vector<int> labels;
    Eigen::RowVectorXf real_sum2, real_sum1, fake_sum2, fake_sum1;  // feature-matching sums
    double d_real = 0, d_fake = 0;  // sums of sigmoid(logit) over the shard
    float d_loss = 0, g_loss = 0, r1 = 0;
};

struct GanTrainer {
    GanTrainConfig config;
    nn::Adam opt_g, opt_d;
    int64_t step = 0, epoch = 0;
    int cursor = 0;
    std::vector<int> order;
    // EMA of each trainable generator tensor, in gan_generator_params order (empty = none yet).
    std::vector<nn::Matrix> ema;
    // per-step buffers
    models::GeneratorActs g_acts;
    nn::Matrix real, z, dfake, dh_fm, drelu1_fm;
    nn::Matrix real_weights;  // [B, 1] class weights of the real batch (only with class_weights)
    std::vector<GanShard> shards;
    std::vector<int> labels;
    // Latent matching: the frozen encoder, its target mean [1, Z], and per-step buffers.
    models::Vae latent_encoder;
    Eigen::RowVectorXf latent_real_mean;
    models::VaeCache latent_cache;
    nn::Matrix latent_x, latent_dmu, latent_dx;
};

struct GanStepStats {
    float d_loss = 0;  // BCE (or hinge) of real + of fake, before the D update (without R1)
    float g_loss = 0;  // non-saturating (or hinge) generator loss, after the D update
    float fm_loss = 0; // feature-matching terms (without lambdas, summed), 0 when off
    float lm_loss = 0; // latent matching ||mean mu(fake) - target||^2 (without lambda), 0 when off
    float r1 = -1;     // R1 penalty 1/2 mean ||grad||^2 (without gamma) when computed this step, else -1
    float d_real = 0;  // mean D(x) = sigmoid(logit) on the real batch
    float d_fake = 0;  // mean D(G(z)) before the D update
    int batch = 0;
    int64_t step = 0, epoch = 0;
};

void gan_trainer_init(GanTrainer& trainer, const GanTrainConfig& config);
// The frozen encoder for config.latent_matching, and its target: the mean of mu over `images`
// [N, 784] in [0, 1] (the training set). Call after gan_trainer_init / gan_load_checkpoint
// (both reset it); checkpoints store only lambda, not the encoder.
void gan_trainer_set_latent_encoder(GanTrainer& trainer, const models::Vae& encoder,
                                    const nn::Matrix& images);
// images [N, 784] in [0, 1] (the training set, walked in shuffled mini-batches, reshuffled each
// epoch from the seed); labels [N] in 0..9, required for a cGAN (may be empty for a GAN).
// "bce" / "hinge" and back; the parser throws std::invalid_argument for anything else.
const char* gan_loss_name(GanLoss loss);
GanLoss parse_gan_loss(const std::string& name);

GanStepStats gan_train_step(GanTrainer& trainer, models::Gan& gan, const nn::Matrix& images,
                            const std::vector<int>& labels);

// Replaces the generator's trainable weights by their EMA and re-estimates the BatchNorm
// running statistics for those weights (the running stats tracked during training belong to
// the raw weights): `batches` forward passes in training mode over fresh latents
// (seeded by `seed`) with a cumulative average. No-op when the trainer has no EMA.
void gan_apply_ema(const GanTrainer& trainer, models::Gan& gan, int batches = 100,
                   uint64_t seed = 7);

// Checkpoint = generator + discriminator + both Adam states + EMA + trainer position, F32.
void gan_save_checkpoint(const std::string& path, const GanTrainer& trainer, models::Gan& gan,
                         std::map<std::string, std::string> extra_metadata);
// Initialises gan (config from the file) and trainer from a checkpoint.
void gan_load_checkpoint(const std::string& path, GanTrainer& trainer, models::Gan& gan);

}  // namespace train
