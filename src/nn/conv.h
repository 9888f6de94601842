// 2-D convolutions lowered to im2col + nn::gemm. Conv2d forward (and ConvTranspose2d's dx):
// one GEMM per sample that stores straight into that sample's output row; ConvTranspose2d
// forward and the weight gradients: one GEMM over the whole batch (all samples side by side).
//
// Shapes: x [B, C*H*W] and y [B, O*OH*OW], features in PyTorch (C, H, W) order; square
// kernels k, stride s, padding p.
//   Conv2d:          OH = (H + 2p - k) / s + 1
//   ConvTranspose2d: OH = (H - 1) s - 2p + k + output_padding
// ConvTranspose2d is the adjoint of a Conv2d from the output geometry back to the input one,
// so both share im2col/col2im.
#pragma once

#include "nn/rng.h"
#include "nn/tensor.h"

#include <string>

namespace nn {

struct ConvGeometry {
    int in_channels = 0, out_channels = 0;
    int kernel = 0, stride = 1, padding = 0, output_padding = 0;  // output_padding: transposed
    int in_h = 0, in_w = 0, out_h = 0, out_w = 0;
    int in_features() const { return in_channels * in_h * in_w; }
    int out_features() const { return out_channels * out_h * out_w; }
};

struct Conv2d {
    ConvGeometry g;
    Param weight;  // [O, C, k, k], viewed as [O, C*k*k]
    Param bias;    // [O], viewed as [1, O]
};

struct ConvTranspose2d {
    ConvGeometry g;
    Param weight;  // [C, O, k, k] (PyTorch's transposed layout), viewed as [C, O*k*k]
    Param bias;    // [O], viewed as [1, O]
};

// Scratch the convolutions reuse between calls so the hot loop does not allocate.
struct ConvScratch {
    Matrix cols;      // [C*k*k, B*OH*OW] (conv) or [O*k*k, B*H*W] (transposed)
    Matrix channels;  // a [channels, B*spatial] view of an activation
};

// What the transposed convolution does after + bias, per output channel o:
// v = v * scale[o] + shift[o] (an eval-mode BatchNorm folded in), then ReLU. nullptr scale: none.
struct ChannelStore {
    const float* scale = nullptr;
    const float* shift = nullptr;
    bool relu = false;
};

// Throws std::invalid_argument when the geometry is impossible (e.g. kernel larger than the
// padded input). Init: PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void conv2d_init(Conv2d& layer, const std::string& prefix, int in_channels, int out_channels,
                 int kernel, int stride, int padding, int in_h, int in_w, Rng& rng);
void conv2d_params(Conv2d& layer, ParamList& list);
void conv2d_forward(Matrix& y, const Matrix& x, const Conv2d& layer, ConvScratch& scratch);
void conv2d_backward(Matrix* dx, const Matrix& dy, const Matrix& x, Conv2d& layer,
                     ConvScratch& scratch);

void conv_transpose2d_init(ConvTranspose2d& layer, const std::string& prefix, int in_channels,
                           int out_channels, int kernel, int stride, int padding,
                           int output_padding, int in_h, int in_w, Rng& rng);
void conv_transpose2d_params(ConvTranspose2d& layer, ParamList& list);
// y = col2im(W^T x) + bias: cols [O*k*k, B*H*W] = W^T x in one GEMM over the batch, then col2im
// adds the taps into y (which starts as the bias); then `store` per channel.
void conv_transpose2d_forward(Matrix& y, const Matrix& x, const ConvTranspose2d& layer,
                              ConvScratch& scratch, const ChannelStore& store = {});
void conv_transpose2d_backward(Matrix* dx, const Matrix& dy, const Matrix& x,
                               ConvTranspose2d& layer, ConvScratch& scratch);

// Building blocks, exposed for tests.
// im2col: image batch [B, C*IH*IW] (row-major data) → cols [C*k*k, B*OH*OW].
void im2col(Matrix& cols, const float* images, int batch, int channels, int in_h, int in_w,
            int kernel, int stride, int padding, int out_h, int out_w);
// col2im: the adjoint; adds cols into images (which the caller zeroes first).
void col2im(float* images, const Matrix& cols, int batch, int channels, int in_h, int in_w,
            int kernel, int stride, int padding, int out_h, int out_w);

}  // namespace nn
