// Spectral normalisation (Miyato et al. 2018): a layer uses W_sn = W / sigma(W) instead of its
// raw weight W, with sigma(W) the largest singular value of W viewed as a matrix [R, K] (a conv
// kernel [O, C*k*k], a linear weight [out, in]). It bounds each layer's Lipschitz constant by 1,
// which keeps a discriminator smooth, so its gradients stay informative for the generator.
//
// sigma is estimated by power iteration with a persistent left vector u [1, R]; one iteration
// per update, as in the paper and PyTorch's torch.nn.utils.spectral_norm:
//   v = normalize(u W)      [1, K]
//   u = normalize(W v^T)^T  [1, R]
//   sigma = u W v^T
// PyTorch names: the raw weight is "<layer>.weight_orig" (trained), u is "<layer>.weight_u"
// (a buffer); the layer's "<layer>.weight" holds W_sn.
//
// Backward treats u and v as constants (as PyTorch does; they are outputs of a no-grad power
// iteration):  dL/dW = (G - <G, W_sn> u^T v) / sigma,  G = dL/dW_sn.
#pragma once

#include "nn/rng.h"
#include "nn/tensor.h"

#include <string>

namespace nn {

struct SpectralNorm {
    Param weight_orig;   // W, the trained tensor (same shape as the layer's weight)
    Param u;             // [R] buffer (viewed [1, R]), unit length
    RowVector v;         // [K] from the last power iteration (not saved: derived from u and W)
    float sigma = 1.0f;  // from the last spectral_norm_forward
    float eps = 1e-12f;  // guards the normalisations
};

// `weight` is the layer's weight Param (shape and value are copied into weight_orig). u starts
// as a random unit vector from rng.
void spectral_norm_init(SpectralNorm& sn, const Param& weight, Rng& rng);
// weight_orig and u (what a checkpoint saves; the layer's own weight is derived from them).
void spectral_norm_params(SpectralNorm& sn, ParamList& list);
// w_sn = W / sigma, W = sn.weight_orig.value [R, K]. power_iterations (>= 0) refine u first;
// 0 reuses the u (and v) of the last call, which a gradient check needs to hold sigma's
// linearisation fixed. With 0 iterations v is recomputed from u (v = normalize(u W)) if absent.
void spectral_norm_forward(Matrix& w_sn, SpectralNorm& sn, int power_iterations = 1);
// Adds dL/dW to sn.weight_orig.grad, given dw_sn = dL/dW_sn [R, K] and the w_sn of the forward.
void spectral_norm_backward(const Matrix& dw_sn, const Matrix& w_sn, SpectralNorm& sn);

}  // namespace nn
