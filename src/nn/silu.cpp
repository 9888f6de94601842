#include "nn/silu.h"

#include <cmath>

namespace nn {

// sigmoid without overflow for large |x| (exp of a non-positive number only).
static inline float stable_sigmoid(float x) {
    if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
    const float e = std::exp(x);
    return e / (1.0f + e);
}

void silu_forward(Matrix& y, const Matrix& x) {
    y.resize(x.rows(), x.cols());
    const float* in = x.data();
    float* out = y.data();
    for (Eigen::Index i = 0; i < x.size(); ++i) out[i] = in[i] * stable_sigmoid(in[i]);
}

void silu_backward(Matrix& dx, const Matrix& dy, const Matrix& x) {
    dx.resize(x.rows(), x.cols());
    const float* in = x.data();
    const float* g = dy.data();
    float* out = dx.data();
    for (Eigen::Index i = 0; i < x.size(); ++i) {
        const float s = stable_sigmoid(in[i]);
        out[i] = g[i] * s * (1.0f + in[i] * (1.0f - s));
    }
}

}  // namespace nn
