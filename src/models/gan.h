// DCGAN (Radford et al. 2016) for 28x28 digits, unconditional or class-conditional.
//
// B = batch, L = latent size, K = classes (0 = unconditional, else 10), C = config.channels.
// Generator (tensor names "generator.*"):
//   input  z [B, L] (++ one_hot(label) [B, K] when K > 0)            [B, L+K]
//   fc       Linear(L+K -> C*7*7), reshape to C x 7 x 7               [B, C*49]
//   bn0      BatchNorm2d(C), ReLU
//   deconv1  ConvTranspose2d(C -> C/2, k4, s2, p1)   7x7 -> 14x14     [B, C/2*196]
//   bn1      BatchNorm2d(C/2), ReLU
//   deconv2  ConvTranspose2d(C/2 -> 1, k4, s2, p1)  14x14 -> 28x28    [B, 784]
//   tanh: generator output in [-1, 1]; images = (tanh + 1) / 2 in [0, 1].
// Discriminator ("discriminator.*"), input images in [-1, 1] ([0, 1] images times 2 minus 1):
//   conv1  Conv2d(1 -> D, k4, s2, p1) 28 -> 14, LeakyReLU(0.2)        [B, D*196]
//   conv2  Conv2d(D -> 2D, k4, s2, p1) 14 -> 7, LeakyReLU(0.2) = h    [B, 2D*49]
//   fc     Linear(2D*49 -> 1) = logit                                 [B, 1]
//   K > 0: projection discriminator (Miyato & Koyama 2018): logit += <embed[label], h>,
//          embed = Embedding(K, 2D*49).
//   P = config.d_pack > 1 (PacGAN, Lin et al. 2018; unconditional only): the discriminator
//   judges P samples at once, stacked as P input channels ([B, 784] viewed as [B/P, P*784],
//   conv1 = Conv2d(P -> D)), so a generator that over-draws some digits is easier to tell
//   apart from the data by the mix within a pack; logits [B/P, 1].
//   config.d_minibatch_std (Karras et al. 2018): relu1 gets one extra channel holding the
//          batch's mean standard deviation (nn/minibatch_stddev.h), so conv2 = Conv2d(D+1 -> 2D).
//   config.d_spectral_norm (Miyato et al. 2018): conv1, conv2, fc (and embed) use W / sigma(W)
//          (nn/spectral_norm.h); the trained tensors are "<layer>.weight_orig" and "<layer>.weight_u".
//   R1 (Mescheder et al. 2018, discriminator_r1): a penalty on ||d logit / d x||^2 at real images,
//          added by the trainer.
// Init as DCGAN: conv/linear weights N(0, 0.02), biases 0, BatchNorm weight N(1, 0.02).
// The shipped weights file holds only the generator (plus metadata); checkpoints hold both.
#pragma once

#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/layers.h"
#include "nn/minibatch_stddev.h"
#include "nn/spectral_norm.h"
#include "nn/tensor.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace io {
struct SafetensorsFile;
}

namespace models {

struct GanConfig {
    int latent = 64;     // L
    int classes = 0;     // K: 0 = unconditional GAN, 10 = class-conditional (cGAN)
    int channels = 64;   // C: generator channels at 7x7 (C/2 at 14x14); even
    int d_channels = 16; // D: discriminator channels after conv1 (2D after conv2)
    int d_pack = 1;      // P: samples per discriminator input (PacGAN); 1 = plain DCGAN
    bool d_spectral_norm = false;  // spectral normalisation of every discriminator weight
    bool d_minibatch_std = false;  // minibatch standard deviation channel before conv2
};

struct GeneratorActs {
    nn::Matrix input;                  // [B, L+K]
    nn::Matrix fc_out, bn0_out, relu0; // [B, C*49]
    nn::Matrix deconv1_out, bn1_out, relu1;  // [B, C/2*196]
    nn::Matrix deconv2_out, out;       // [B, 784]; out = tanh, in [-1, 1]
    nn::BatchNormCache bn0_cache, bn1_cache;
    std::vector<float> bn0_scale, bn0_shift, bn1_scale, bn1_shift;  // generator_infer's [C], [C/2]
};

struct DiscriminatorActs {
    nn::Matrix packed;            // [B/P, P*784] (only when P > 1)
    nn::Matrix conv1_out, relu1;  // [B, D*196]
    nn::Matrix relu1_std;         // [B, (D+1)*196] relu1 + the minibatch-std channel (when on)
    nn::MinibatchStddevCache std_cache;
    nn::Matrix conv2_out, h;      // [B, 2D*49]
    nn::Matrix embed;             // [B, 2D*49] (conditional only)
    nn::Matrix logits;            // [B/P, 1]
};

struct Gan {
    GanConfig config;
    // generator
    nn::Linear g_fc;
    nn::BatchNorm g_bn0, g_bn1;
    nn::ConvTranspose2d g_deconv1, g_deconv2;
    // discriminator
    nn::Conv2d d_conv1, d_conv2;
    nn::Linear d_fc;
    nn::Embedding d_embed;  // only when classes > 0
    // With config.d_spectral_norm: the trained raw weights of conv1, conv2, fc, embed; the
    // layers' own weights hold W / sigma (discriminator_normalize).
    nn::SpectralNorm d_sn_conv1, d_sn_conv2, d_sn_fc, d_sn_embed;
    nn::ConvScratch scratch;
    GeneratorActs eval_acts;  // scratch for gan_generate
};

// Throws std::invalid_argument for an impossible config (classes not 0/10, odd channels, ...).
void gan_init(Gan& gan, const GanConfig& config, uint64_t seed);
// Generator tensors incl. BatchNorm running statistics (trainable == false); what ships.
nn::ParamList gan_generator_params(Gan& gan);
// The discriminator's trained tensors (with spectral norm: weight_orig and the u buffers in
// place of the layers' derived weights; biases either way).
nn::ParamList gan_discriminator_params(Gan& gan);
// The discriminator layers' own weights and biases (under spectral norm the weights are the
// derived W / sigma): what its forward and backward passes read and write. The same as
// gan_discriminator_params without spectral norm.
nn::ParamList gan_discriminator_layer_params(Gan& gan);

// Spectral norm only (no-op otherwise). discriminator_normalize: after the raw weights changed,
// refresh the layers' weights W / sigma (power_iterations refine u first; 0 keeps u, for
// gradient checks) and zero their gradients. discriminator_spectral_backward: move the gradients
// the backward passes accumulated on the layers' weights (dL/dW_sn) to weight_orig (dL/dW), and
// zero them. The trainer calls it once before each discriminator optimiser step.
void discriminator_normalize(Gan& gan, int power_iterations = 1);
void discriminator_spectral_backward(Gan& gan);

// z [n, latent] ~ N(0, 1), rows drawn in order from nn::Rng(seed): the first k rows are the
// same for every n >= k.
void gan_sample_latent(nn::Matrix& z, int n, int latent, uint64_t seed);

// Generator forward. z [B, L]; labels: empty for K == 0, else B labels in [0, K).
// training: batch statistics in BatchNorm (and running stats updated); else running stats.
// acts.out = tanh output [B, 784] in [-1, 1].
void generator_forward(GeneratorActs& acts, const nn::Matrix& z, const std::vector<int>& labels,
                       Gan& gan, bool training);
// dout [B, 784] = dLoss/d(tanh output); accumulates generator parameter gradients.
void generator_backward(const nn::Matrix& dout, GeneratorActs& acts, Gan& gan);
// generator_forward's eval mode for inference: each BatchNorm folded into a per-channel affine
// and fused with its ReLU (into deconv1's store; one in-place pass after the fc). Fills
// acts.input, fc_out, deconv1_out, deconv2_out and out (= tanh), nothing a backward needs.
void generator_infer(GeneratorActs& acts, const nn::Matrix& z, const std::vector<int>& labels,
                     Gan& gan);

// Discriminator forward on images in [-1, 1] [B, 784] -> acts.logits [B/P, 1] (B a multiple
// of P; consecutive rows form a pack).
void discriminator_forward(DiscriminatorActs& acts, const nn::Matrix& x,
                           const std::vector<int>& labels, Gan& gan);
// dlogits [B/P, 1]; accumulates discriminator gradients; writes dx [B, 784] when given.
// dh_extra [B/P, 2D*49] / drelu1_extra [B/P, D*196] (optional): gradients on the features h
// (after conv2) / relu1 (after conv1) from a loss on them (feature matching), added to what
// flows back from the logits.
void discriminator_backward(nn::Matrix* dx, const nn::Matrix& dlogits, const nn::Matrix& x,
                            const std::vector<int>& labels, DiscriminatorActs& acts, Gan& gan,
                            const nn::Matrix* dh_extra = nullptr,
                            const nn::Matrix* drelu1_extra = nullptr);

// R1 penalty (Mescheder et al. 2018) at images x [B, 784] in [-1, 1]:
//   R1 = 1/2 * mean_b || d logit_b / d x_b ||^2,
// returned; its gradient times `weight` is accumulated into the discriminator's parameter
// gradients (the layers' weights; weight = gamma for the usual gamma/2 * E||grad||^2). Without
// the minibatch-std channel this D is piecewise linear in x, so with g = dlogit/dx held fixed,
// dR1/dtheta = d/dtheta <dlogit/dx, g> / B: the forward-mode derivative of D along g, pushed
// back through the same fixed LeakyReLU slopes with no bias terms (exact, no second-order
// autodiff needed). Throws std::invalid_argument with minibatch std or d_pack > 1.
struct R1Scratch {
    DiscriminatorActs acts;
    nn::Matrix ones, grad_x, dh, d_conv2, d_relu1, d_conv1;  // input gradient g = grad_x [B, 784]
    nn::Matrix t_conv1, t_relu1, t_conv2, t_h;                // the tangent pass along g
};
float discriminator_r1(const nn::Matrix& x, const std::vector<int>& labels, Gan& gan, float weight,
                       R1Scratch& scratch);

// Eval-mode sampling (BatchNorm running statistics): images [B, 784] in [0, 1]. Labels as in
// generator_forward (for a cGAN, label i selects the digit of row i). Processes big batches in
// chunks; deterministic given z.
void gan_generate(nn::Matrix& images, const nn::Matrix& z, const std::vector<int>& labels,
                  Gan& gan);

// Metadata of a weights file: {"model": "gan" or "cgan", "format_version": "1", "latent",
// "classes", "channels", "d_channels"} (+ "d_pack" when > 1; absent means 1; + "d_spectral_norm"
// / "d_minibatch_std" = "1" when on, absent = off). The reader accepts both kinds and throws
// std::invalid_argument naming `source` for any other model or a bad field.
std::map<std::string, std::string> gan_metadata(const GanConfig& config);
GanConfig gan_config_from_metadata(const std::map<std::string, std::string>& metadata,
                                   const std::string& source);
// Initialises `gan` from the file's metadata and loads the generator tensors (strict shapes;
// extra discriminator/optimiser tensors of a checkpoint are ignored). The discriminator keeps
// its fresh initialisation.
void load_gan_generator(Gan& gan, const io::SafetensorsFile& file);

}  // namespace models
