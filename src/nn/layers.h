// Dense layers and pointwise activations, forward and backward side by side (llm.c style).
//
// Conventions for every *_backward in src/nn:
//   - dx (the input gradient) is overwritten, never accumulated; pass nullptr to skip it;
//   - parameter gradients accumulate (+=) into Param::grad, so several backward passes can
//     add up before one optimiser step;
//   - backward needs the forward's input and/or output, which the caller keeps.
// Shapes: x [B, in], y [B, out] unless said otherwise.
#pragma once

#include "nn/rng.h"
#include "nn/tensor.h"

#include <string>
#include <vector>

namespace nn {

// ---------------------------------------------------------------------------------------------
// Linear: y = x W^T + b. PyTorch layout: weight [out, in], bias [out].
struct Linear {
    int in = 0, out = 0;
    Param weight;  // [out, in]
    Param bias;    // [out], viewed as [1, out]
};

// PyTorch's default init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
void linear_init(Linear& layer, const std::string& prefix, int in, int out, Rng& rng);
void linear_params(Linear& layer, ParamList& list);
void linear_forward(Matrix& y, const Matrix& x, const Linear& layer);
void linear_backward(Matrix* dx, const Matrix& dy, const Matrix& x, Linear& layer);

// ---------------------------------------------------------------------------------------------
// Pointwise activations. Backward of relu/leaky uses the input; tanh/sigmoid use the output.
void relu_forward(Matrix& y, const Matrix& x);
void relu_backward(Matrix& dx, const Matrix& dy, const Matrix& x);

void leaky_relu_forward(Matrix& y, const Matrix& x, float negative_slope);
void leaky_relu_backward(Matrix& dx, const Matrix& dy, const Matrix& x, float negative_slope);

void tanh_forward(Matrix& y, const Matrix& x);
void tanh_backward(Matrix& dx, const Matrix& dy, const Matrix& y);

void sigmoid_forward(Matrix& y, const Matrix& x);
void sigmoid_backward(Matrix& dx, const Matrix& dy, const Matrix& y);

float sigmoid(float x);  // numerically stable for large |x|

// ---------------------------------------------------------------------------------------------
// Inverted dropout (training only): mask = [u >= p] / (1 - p) per element, y = x * mask, so
// evaluation needs no rescaling. p = 0 gives mask = 1. Backward: dx = dy * mask.
void dropout_forward(Matrix& y, Matrix& mask, const Matrix& x, float p, Rng& rng);
void dropout_backward(Matrix& dx, const Matrix& dy, const Matrix& mask);

// ---------------------------------------------------------------------------------------------
// Reshape / Flatten: activations are already [B, F] with features in PyTorch (C, H, W) order,
// so a reshape only reinterprets F. These check that the element count matches.
void reshape_forward(Matrix& y, const Matrix& x, int batch, int features);
void reshape_backward(Matrix& dx, const Matrix& dy, int batch, int features);

// ---------------------------------------------------------------------------------------------
// Embedding: ids [B] → y [B, D]. PyTorch layout: weight [V, D]. Init N(0, 1) like PyTorch.
struct Embedding {
    int vocab = 0, dim = 0;
    Param weight;  // [V, D]
};

void embedding_init(Embedding& layer, const std::string& prefix, int vocab, int dim, Rng& rng);
void embedding_params(Embedding& layer, ParamList& list);
// Throws std::out_of_range for an id outside [0, vocab).
void embedding_forward(Matrix& y, const std::vector<int>& ids, const Embedding& layer);
void embedding_backward(const Matrix& dy, const std::vector<int>& ids, Embedding& layer);

// One-hot rows: ids [B] → [B, classes]; throws std::out_of_range on a bad id.
void one_hot(Matrix& y, const std::vector<int>& ids, int classes);

// Column-wise concatenation [B, Fa] ++ [B, Fb] → [B, Fa+Fb] and its split (for conditioning).
void concat_columns(Matrix& y, const Matrix& a, const Matrix& b);
void split_columns(Matrix& da, Matrix& db, const Matrix& dy, int a_cols);

}  // namespace nn
