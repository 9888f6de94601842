// SiLU / swish (Hendrycks & Gimpel 2016; Ramachandran et al. 2017), the activation of
// diffusion denoisers: y = x * sigmoid(x). Smooth, so gradient checks need no kink margin.
// Backward uses the input: dy/dx = s * (1 + x * (1 - s)), s = sigmoid(x). Shapes: any [B, F].
#pragma once

#include "nn/tensor.h"

namespace nn {

void silu_forward(Matrix& y, const Matrix& x);
// dx is overwritten (the src/nn convention, see layers.h).
void silu_backward(Matrix& dx, const Matrix& dy, const Matrix& x);

}  // namespace nn
