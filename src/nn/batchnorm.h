// Batch normalisation over channels: x [B, C*S] where S is the spatial size per channel
// (S = 1 for BatchNorm1d over features, S = H*W for BatchNorm2d). PyTorch names and semantics:
// weight/bias [C]; running_mean/running_var [C] buffers updated with `momentum` from the
// unbiased batch variance; normalisation uses the biased one.
#pragma once

#include "nn/tensor.h"

#include <string>
#include <vector>

namespace nn {

struct BatchNorm {
    int channels = 0, spatial = 1;
    float momentum = 0.1f, eps = 1e-5f;
    Param weight, bias;               // [C] (viewed [1, C]), trainable: gamma = 1, beta = 0
    Param running_mean, running_var;  // [C] buffers, not trained
};

// What backward needs from forward.
struct BatchNormCache {
    Matrix x_hat;     // [B, C*S] normalised input
    RowVector rstd;   // [C] 1/sqrt(var + eps) that was used
    bool training = true;
};

void batchnorm_init(BatchNorm& layer, const std::string& prefix, int channels, int spatial = 1);
void batchnorm_params(BatchNorm& layer, ParamList& list);  // includes the running buffers
// training: normalise with batch statistics and update the running ones (needs B*S > 1);
// otherwise normalise with the running statistics.
void batchnorm_forward(Matrix& y, const Matrix& x, BatchNorm& layer, BatchNormCache& cache,
                       bool training);
void batchnorm_backward(Matrix* dx, const Matrix& dy, BatchNorm& layer,
                        const BatchNormCache& cache);

// Eval mode as a per-channel affine, y = x * scale[c] + shift[c] (scale = gamma / sqrt(var +
// eps), shift = beta - mean * scale): what an inference path fuses into the layer before it.
void batchnorm_eval_affine(const BatchNorm& layer, std::vector<float>& scale,
                           std::vector<float>& shift);
// In place: x = x * scale[c] + shift[c] over each channel's S values, then ReLU if asked.
void channel_affine_forward(Matrix& x, const std::vector<float>& scale,
                            const std::vector<float>& shift, int spatial, bool relu);

}  // namespace nn
