// Latent diffusion (Rombach et al. 2022) over a GenLab VAE's latent space: an MLP denoiser
// trained with flow matching / rectified flow (Lipman et al. 2023; Liu et al. 2023), sampled
// with Euler or Heun steps, with classifier-free guidance (Ho & Salimans 2022).
//
// Data: x0 = the VAE encoder's posterior mean of an MNIST digit, normalised per dimension
// with the training set's mean and std (stored in the file, so x0 is ~unit variance).
// Path:  x_t = (1 - t) x0 + t x1,  x1 ~ N(0, I),  t in [0, 1]  (t = 1 is pure noise).
// Model: v(x_t, t, c) predicts the velocity dx_t/dt = x1 - x0; loss = mean (v - (x1 - x0))^2.
// Sampling integrates dx/dt = v from t = 1 to 0 in K equal steps; with a label c and guidance
// g, v = v(x, t, null) + g (v(x, t, c) - v(x, t, null)).
//
// Denoiser: h0 = [x_t (Z) | time_features(t) (Tf) | label_embed[c] (E)]  [B, Z+Tf+E]
//           -> (Linear -> SiLU) x layers -> Linear -> v [B, Z]
// Tensor names follow a PyTorch module with net = nn.Sequential(Linear, SiLU, ..., Linear),
// label_embed = nn.Embedding(classes + 1, E) (row `classes` is the "null" label), and
// buffers latent_mean, latent_std [Z]: "net.0.weight", "net.2.weight", ..., "net.{2*layers}".
// Dimension legend: B = batch, Z = latent size, Tf = time features, E = label embedding size,
// Hd = hidden size, K = sampling steps.
#pragma once

#include "io/safetensors.h"
#include "nn/layers.h"
#include "nn/rng.h"
#include "nn/tensor.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace models {

struct DiffusionConfig {
    int latent = 16;         // Z, must equal the VAE's latent size
    int hidden = 256;        // Hd
    int layers = 3;          // hidden layers, >= 1
    int time_features = 32;  // Tf, even: sin and cos of Tf/2 frequencies
    int classes = 10;        // 0 = unconditional; else labels 0..classes-1 plus null = classes
    int label_embed = 32;    // E (ignored when classes == 0)
};

struct Diffusion {
    DiffusionConfig config;
    nn::Embedding label_embed;    // [classes + 1, E]; row `classes` = null (guidance-free) label
    std::vector<nn::Linear> net;  // net.{0,2,..}: Z+Tf+E -> Hd -> ... -> Hd -> Z
    nn::Param latent_mean;        // [Z] buffer (trainable = false), viewed as [1, Z]
    nn::Param latent_std;         // [Z] buffer
};

enum class FlowSampler { Euler, Heun };
// "euler" | "heun"; throws std::invalid_argument naming the value otherwise.
FlowSampler flow_sampler_from_name(const std::string& name);
const char* flow_sampler_name(FlowSampler sampler);

constexpr int kMinSamplingSteps = 1, kMaxSamplingSteps = 1000;

void diffusion_check_config(const DiffusionConfig& config);
void diffusion_init(Diffusion& model, const DiffusionConfig& config, uint64_t seed);
nn::ParamList diffusion_params(Diffusion& model);  // trainable ones and the two buffers
int diffusion_null_label(const Diffusion& model);   // == config.classes

// Sinusoidal time features (Vaswani et al. 2017 / DDPM's timestep embedding, t scaled by
// 1000): t [B] -> [B, Tf] = [sin(1000 t w_k) | cos(1000 t w_k)], w_k = 10000^(-k / (Tf/2)).
void time_features(nn::Matrix& features, const std::vector<float>& t, int count);

// Activations one forward pass keeps for backward.
struct DiffusionCache {
    std::vector<int> labels;          // [B]
    nn::Matrix input;                 // h0 [B, Z+Tf+E]
    std::vector<nn::Matrix> pre, act; // per hidden layer [B, Hd] before/after SiLU
    nn::Matrix velocity;              // [B, Z]
    nn::Matrix dh, dh2, dinput;       // backward scratch
};

// x [B,Z] (normalised latents), t [B] in [0,1], labels [B] in 0..classes (classes = null;
// ignored and may be empty when classes == 0) -> cache.velocity [B,Z].
void diffusion_forward(DiffusionCache& cache, const nn::Matrix& x, const std::vector<float>& t,
                       const std::vector<int>& labels, const Diffusion& model);
// dvelocity [B,Z] -> parameter gradients (+=); dx [B,Z] (overwritten) when not null.
void diffusion_backward(nn::Matrix* dx, const nn::Matrix& dvelocity, DiffusionCache& cache,
                        Diffusion& model);

// Flow-matching loss of data x0 [B,Z] (normalised), noise x1 [B,Z], times t [B], labels [B]:
// mean over B*Z of (v(x_t, t, c) - (x1 - x0))^2. With `backward`, accumulates the gradient.
float flow_matching_loss(const nn::Matrix& x0, const nn::Matrix& x1, const std::vector<float>& t,
                         const std::vector<int>& labels, Diffusion& model, DiffusionCache& cache,
                         bool backward);

// The ODE solver on its own, for any velocity field v(x, t) [N,Z] (tests give it an analytic
// one): x [N,Z] starts at t = 1 and ends at t = 0 after `steps` equal steps. Heun = Euler
// predictor + trapezoid corrector (2 evaluations per step). `trajectory`, when given, receives
// x at t = 1, 1 - 1/K, ..., 0 (K + 1 matrices).
using VelocityField = std::function<void(nn::Matrix& v, const nn::Matrix& x, float t)>;
void flow_integrate(nn::Matrix& x, int steps, FlowSampler sampler, const VelocityField& velocity,
                    std::vector<nn::Matrix>* trajectory = nullptr);

struct DiffusionSampleOptions {
    int steps = 20;
    FlowSampler sampler = FlowSampler::Heun;
    float guidance = 1.0f;  // g; 1 = the conditional model alone, 0 = the unconditional one
};

// Starting noise for n samples from nn::Rng(seed), row-major: the first k of n rows are the
// same for every n >= k (as vae_sample_latent).
void diffusion_sample_noise(nn::Matrix& noise, int n, int latent, uint64_t seed);

// noise [N,Z] -> VAE latents [N,Z] (denormalised). labels: empty (all null) or N labels in
// 0..classes (classes = null, sampled without guidance). `trajectory` as flow_integrate,
// denormalised.
void diffusion_sample(nn::Matrix& latents, const nn::Matrix& noise, const std::vector<int>& labels,
                      const DiffusionSampleOptions& options, Diffusion& model,
                      std::vector<nn::Matrix>* trajectory = nullptr);

// Sets latent_mean/latent_std from training latents [N,Z] (N >= 2; std floored at 1e-3).
void diffusion_set_normalization(Diffusion& model, const nn::Matrix& latents);
void diffusion_normalize(nn::Matrix& x, const nn::Matrix& latents, const Diffusion& model);

// Metadata {"model": "diffusion", "format_version": "1", latent, hidden, layers,
// time_features, classes, label_embed, objective, default_sampler, default_steps,
// default_guidance} plus `extra`.
std::map<std::string, std::string> diffusion_metadata(const DiffusionConfig& config,
                                                      const std::map<std::string, std::string>& extra);
DiffusionConfig diffusion_config_from_metadata(const std::map<std::string, std::string>& metadata,
                                               const std::string& source);
// Sampling defaults recorded in the file (metadata default_*), else DiffusionSampleOptions{}.
DiffusionSampleOptions diffusion_default_sampling(const std::map<std::string, std::string>& metadata);
void load_diffusion(Diffusion& model, const io::SafetensorsFile& file);

}  // namespace models
