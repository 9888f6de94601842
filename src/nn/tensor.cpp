#include "nn/tensor.h"

#include "nn/threads.h"

#include <utility>

namespace nn {

// Eigen would otherwise split its GEMMs over every core in the native (OpenMP) build; programs
// opt in to threads with set_num_threads (nn/threads.h), which keeps Eigen itself at 1. Here
// because every program that uses nn links this file.
static const int kThreadsAtStart = set_num_threads(1);

void param_init(Param& p, std::string name, std::vector<int64_t> shape, int rows, int cols,
                bool trainable) {
    p.name = std::move(name);
    p.shape = std::move(shape);
    p.value = Matrix::Zero(rows, cols);
    p.grad = Matrix::Zero(rows, cols);
    p.trainable = trainable;
}

int64_t shape_numel(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

std::string shape_to_string(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

Param* ParamList::find(const std::string& name) const {
    for (Param* p : params)
        if (p->name == name) return p;
    return nullptr;
}

int64_t ParamList::numel(bool trainable_only) const {
    int64_t n = 0;
    for (const Param* p : params)
        if (!trainable_only || p->trainable) n += p->value.size();
    return n;
}

void zero_grad(const ParamList& list) {
    for (Param* p : list.params) p->grad.setZero();
}

}  // namespace nn
