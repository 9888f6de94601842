// Core types shared by every layer, model and file format.
//
// Dimension legend used in comments across src/nn and src/models:
//   B = batch, T = time steps, C = channels, H/W = height/width,
//   F = features per sample (C*H*W for images), V = vocabulary, Hd = hidden size.
//
// Activations are row-major Eigen matrices [B, F]: one sample per row, its features in
// PyTorch order (an image is C*H*W, channel-major). Parameters keep PyTorch layouts so the
// same flat buffer is what safetensors stores.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

namespace nn {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

// A named tensor with its gradient. `shape` is the PyTorch shape (what safetensors stores);
// `value` holds the same elements row-major, viewed as a 2-D matrix whose layout the owning
// layer chooses (e.g. Conv2d weight [O,C,kh,kw] is viewed as [O, C*kh*kw]; a bias [O] as
// [1, O]). value.size() == product(shape) always.
struct Param {
    std::string name;
    std::vector<int64_t> shape;
    Matrix value;
    Matrix grad;            // same size as value; gradients accumulate (+=) into it
    bool trainable = true;  // false for buffers such as BatchNorm running statistics
};

// Creates a parameter (zero value and grad) viewed as [rows, cols].
void param_init(Param& p, std::string name, std::vector<int64_t> shape, int rows, int cols,
                bool trainable = true);

int64_t shape_numel(const std::vector<int64_t>& shape);
std::string shape_to_string(const std::vector<int64_t>& shape);  // "[16, 1, 4, 4]"

// The one list of a model's tensors: save, load and the optimiser all walk it.
struct ParamList {
    std::vector<Param*> params;

    void add(Param& p) { params.push_back(&p); }
    Param* find(const std::string& name) const;  // nullptr when absent
    int64_t numel(bool trainable_only = false) const;
};

void zero_grad(const ParamList& list);

}  // namespace nn
