#include "nn/spectral_norm.h"

#include <cmath>
#include <stdexcept>

namespace nn {

void spectral_norm_init(SpectralNorm& sn, const Param& weight, Rng& rng) {
    const Matrix& w = weight.value;
    if (w.size() == 0) throw std::invalid_argument("spectral_norm_init: " + weight.name + " is empty");
    std::string base = weight.name;
    const std::string suffix = ".weight";
    if (base.size() >= suffix.size() && base.compare(base.size() - suffix.size(), suffix.size(), suffix) == 0)
        base.erase(base.size() - suffix.size());
    param_init(sn.weight_orig, base + ".weight_orig", weight.shape, static_cast<int>(w.rows()),
               static_cast<int>(w.cols()));
    sn.weight_orig.value = w;
    param_init(sn.u, base + ".weight_u", {w.rows()}, 1, static_cast<int>(w.rows()), /*trainable=*/false);
    fill_normal(sn.u.value, rng);
    sn.u.value /= std::max(sn.u.value.norm(), sn.eps);
    sn.v.resize(0);
    sn.sigma = 1.0f;
}

void spectral_norm_params(SpectralNorm& sn, ParamList& list) {
    list.add(sn.weight_orig);
    list.add(sn.u);
}

void spectral_norm_forward(Matrix& w_sn, SpectralNorm& sn, int power_iterations) {
    const Matrix& w = sn.weight_orig.value;  // [R, K]
    if (sn.u.value.cols() != w.rows())
        throw std::invalid_argument("spectral_norm_forward: u has " + std::to_string(sn.u.value.cols()) +
                                    " entries, " + sn.weight_orig.name + " has " +
                                    std::to_string(w.rows()) + " rows");
    RowVector u = sn.u.value.row(0);
    if (power_iterations > 0 || sn.v.size() != w.cols()) {
        for (int i = 0; i < std::max(power_iterations, 1); ++i) {
            sn.v.noalias() = u * w;                                   // [1, K]
            sn.v /= std::max(sn.v.norm(), sn.eps);
            if (power_iterations == 0) break;                         // v from the kept u only
            u.noalias() = (w * sn.v.transpose()).transpose();         // [1, R]
            u /= std::max(u.norm(), sn.eps);
        }
        sn.u.value.row(0) = u;
    }
    sn.sigma = (u * w * sn.v.transpose())(0, 0);
    if (!(std::fabs(sn.sigma) > sn.eps))
        throw std::runtime_error("spectral_norm_forward: " + sn.weight_orig.name +
                                 " has sigma ~ 0 (an all-zero weight?)");
    w_sn = w / sn.sigma;
}

void spectral_norm_backward(const Matrix& dw_sn, const Matrix& w_sn, SpectralNorm& sn) {
    const Matrix& w = sn.weight_orig.value;
    if (dw_sn.rows() != w.rows() || dw_sn.cols() != w.cols() || w_sn.rows() != w.rows() ||
        w_sn.cols() != w.cols())
        throw std::invalid_argument("spectral_norm_backward: gradient shape differs from " +
                                    sn.weight_orig.name);
    // dL/dW = G / sigma - <G, W> / sigma^2 * d sigma / dW, d sigma / dW = u^T v, W / sigma = W_sn.
    const float inner = (dw_sn.array() * w_sn.array()).sum();
    sn.weight_orig.grad.noalias() += dw_sn / sn.sigma;
    sn.weight_orig.grad.noalias() -= (inner / sn.sigma) * (sn.u.value.transpose() * sn.v);
}

}  // namespace nn
