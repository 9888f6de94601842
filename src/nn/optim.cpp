#include "nn/optim.h"

#include <cmath>

namespace nn {

static void ensure_slots(std::vector<Matrix>& slots, const ParamList& list) {
    if (slots.size() == list.params.size()) return;
    slots.clear();
    for (const Param* p : list.params) slots.push_back(Matrix::Zero(p->value.rows(), p->value.cols()));
}

void adam_step(Adam& opt, const ParamList& list) {
    ensure_slots(opt.m, list);
    ensure_slots(opt.v, list);
    ++opt.step;
    const float correction1 = 1.0f - std::pow(opt.beta1, static_cast<float>(opt.step));
    const float correction2 = 1.0f - std::pow(opt.beta2, static_cast<float>(opt.step));
    const float step_size = opt.lr / correction1;
    const float sqrt_correction2 = std::sqrt(correction2);
    for (size_t k = 0; k < list.params.size(); ++k) {
        Param& p = *list.params[k];
        if (!p.trainable) continue;
        if (opt.weight_decay != 0.0f) p.value *= (1.0f - opt.lr * opt.weight_decay);
        opt.m[k] = opt.beta1 * opt.m[k] + (1.0f - opt.beta1) * p.grad;
        opt.v[k] = opt.beta2 * opt.v[k] + (1.0f - opt.beta2) * p.grad.cwiseProduct(p.grad);
        p.value.array() -=
            step_size * opt.m[k].array() / (opt.v[k].array().sqrt() / sqrt_correction2 + opt.eps);
    }
}

void sgd_step(SGD& opt, const ParamList& list) {
    ensure_slots(opt.velocity, list);
    for (size_t k = 0; k < list.params.size(); ++k) {
        Param& p = *list.params[k];
        if (!p.trainable) continue;
        Matrix g = p.grad;
        if (opt.weight_decay != 0.0f) g += opt.weight_decay * p.value;
        if (opt.momentum != 0.0f) {
            opt.velocity[k] = opt.momentum * opt.velocity[k] + g;
            p.value -= opt.lr * opt.velocity[k];
        } else {
            p.value -= opt.lr * g;
        }
    }
}

float clip_grad_norm(const ParamList& list, float max_norm) {
    double sum_sq = 0;
    for (const Param* p : list.params)
        if (p->trainable) sum_sq += p->grad.cast<double>().squaredNorm();
    const float norm = static_cast<float>(std::sqrt(sum_sq));
    if (norm > max_norm && norm > 0.0f) {
        const float factor = max_norm / (norm + 1e-6f);
        for (Param* p : list.params)
            if (p->trainable) p->grad *= factor;
    }
    return norm;
}

}  // namespace nn
