// Variational autoencoder on MNIST (Kingma & Welling 2014), MLP encoder and decoder.
//
//   encoder: x [B,784] -> (Linear -> ReLU) x layers -> fc_mu [B,Z], fc_logvar [B,Z]
//   z = mu + exp(0.5 logvar) * eps,  eps ~ N(0, I)          (reparameterisation)
//   decoder: z [B,Z] -> (Linear -> ReLU) x layers -> Linear -> logits [B,784]
//   p(x|z) = Bernoulli(sigmoid(logits)), evaluated on the [0,1] pixel intensities.
//
// Loss = negative ELBO per sample in nats:
//   sum_pixels BCE(logits, x) + KL(q(z|x) || N(0, I)),   averaged over the batch (scale 1/B).
// Tensor names follow a PyTorch module with encoder = nn.Sequential(Linear, ReLU, ...),
// fc_mu, fc_logvar, decoder = nn.Sequential(Linear, ReLU, ..., Linear): "encoder.0.weight",
// "encoder.2.weight", "fc_mu.weight", "decoder.0.weight", ..., "decoder.{2*layers}.weight".
// Dimension legend: B = batch, Z = latent size, Hd = hidden size, F = 784 pixels.
#pragma once

#include "io/safetensors.h"
#include "nn/layers.h"
#include "nn/rng.h"
#include "nn/tensor.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace models {

struct VaeConfig {
    int latent = 16;        // Z
    int hidden = 192;       // Hd, width of every hidden layer
    int layers = 2;         // hidden layers in the encoder (and, mirrored, in the decoder), >= 1
    int image_size = 784;   // F = 28*28
};

struct Vae {
    VaeConfig config;
    std::vector<nn::Linear> encoder;  // encoder.{0,2,..}: F -> Hd -> ... -> Hd
    nn::Linear fc_mu, fc_logvar;      // Hd -> Z
    std::vector<nn::Linear> decoder;  // decoder.{0,2,..}: Z -> Hd -> ... -> Hd -> F (last: logits)
};

// Throws std::invalid_argument naming the field when a config value is out of range.
void vae_check_config(const VaeConfig& config);
void vae_init(Vae& vae, const VaeConfig& config, uint64_t seed);
nn::ParamList vae_params(Vae& vae);

// Activations one forward pass keeps for backward.
struct VaeCache {
    std::vector<nn::Matrix> enc_pre, enc_act;  // per encoder layer [B,Hd] before/after ReLU
    nn::Matrix mu, logvar, eps, z;             // [B,Z]
    std::vector<nn::Matrix> dec_pre, dec_act;  // per hidden decoder layer [B,Hd]
    nn::Matrix logits;                         // [B,F]
    // backward scratch
    nn::Matrix dlogits, dh, dh2, dmu, dlogvar, dz;
};

// images [B,F] -> mu, logvar [B,Z] (the posterior q(z|x) = N(mu, exp(logvar))).
void vae_encode(nn::Matrix& mu, nn::Matrix& logvar, const nn::Matrix& images, Vae& vae);
// z [B,Z] -> decoded images [B,F] in [0,1] (sigmoid of the logits: the Bernoulli means).
void vae_decode(nn::Matrix& images, const nn::Matrix& z, Vae& vae);
void vae_decode_logits(nn::Matrix& logits, const nn::Matrix& z, Vae& vae);

// The encoder as a frozen feature map (latent moment matching in GAN training):
// images [B,F] -> cache.mu [B,Z], keeping what the backward needs.
void vae_encode_mu_cached(VaeCache& cache, const nn::Matrix& images, const Vae& vae);
// dmu [B,Z] -> dimages [B,F] through the encoder of the last vae_encode_mu_cached call.
// The VAE's own parameters get no gradient.
void vae_encode_mu_backward_input(nn::Matrix& dimages, const nn::Matrix& dmu, VaeCache& cache,
                                  const Vae& vae);

// Latent rows from the prior N(0, I), drawn in row order from nn::Rng(seed): the first k of n
// rows are the same for every n >= k.
void vae_sample_latent(nn::Matrix& z, int n, int latent, uint64_t seed);

struct VaeLoss {
    float loss = 0, recon = 0, kl = 0;  // per sample, nats: loss = recon + kl
};

// One-sample negative ELBO of `images` [B,F] with the given noise eps [B,Z]. When `backward`,
// accumulates d(loss)/d(params) into the Param grads (the caller zeroes them).
VaeLoss vae_elbo(const nn::Matrix& images, const nn::Matrix& eps, Vae& vae, VaeCache& cache,
                 bool backward);

// Test-set negative ELBO averaged over all rows of `images`, noise from nn::Rng(seed), in
// chunks of `batch`.
VaeLoss vae_evaluate(const nn::Matrix& images, Vae& vae, uint64_t seed, int batch = 500);

// Metadata {"model": "vae", "format_version": "1", latent, hidden, layers, image_size} plus
// `extra` (trained_with, metrics ...).
std::map<std::string, std::string> vae_metadata(const VaeConfig& config,
                                                const std::map<std::string, std::string>& extra);
// Validates the metadata of a VAE file; `source` names it in errors (e.g. a GAN file).
VaeConfig vae_config_from_metadata(const std::map<std::string, std::string>& metadata,
                                   const std::string& source);
// Builds the model from the file's metadata and loads every tensor (strict shapes).
void load_vae(Vae& vae, const io::SafetensorsFile& file);

}  // namespace models
