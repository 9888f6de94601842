// Optimisers over a ParamList (buffers with trainable == false are skipped).
#pragma once

#include "nn/tensor.h"

#include <vector>

namespace nn {

// Adam (Kingma & Ba) with bias correction; weight_decay is decoupled (AdamW, Loshchilov &
// Hutter): p -= lr * weight_decay * p before the Adam update.
struct Adam {
    float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
    int64_t step = 0;
    std::vector<Matrix> m, v;  // first and second moments, one per param in list order
};

void adam_step(Adam& opt, const ParamList& list);

struct SGD {
    float lr = 1e-2f, momentum = 0.0f, weight_decay = 0.0f;
    std::vector<Matrix> velocity;
};

// PyTorch's SGD: v = momentum*v + (g + wd*p); p -= lr * v.
void sgd_step(SGD& opt, const ParamList& list);

// Scales all trainable gradients so their global L2 norm is at most max_norm.
// Returns the norm before clipping.
float clip_grad_norm(const ParamList& list, float max_norm);

}  // namespace nn
