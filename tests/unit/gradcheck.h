// Central-difference gradient checker shared by the nn and model tests.
//
// Each op states its own step and tolerance (ggml test-backend-ops style): an element passes
// when |numeric - analytic| <= atol + rtol * max(|numeric|, |analytic|). Big tensors are
// checked on a random sample of elements. On failure the worst element is reported.
#pragma once

#include "nn/rng.h"
#include "nn/tensor.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

namespace gradcheck {

struct Tolerance {
    float step = 1e-2f;
    float atol = 1e-3f;
    float rtol = 2e-2f;
    int max_elements = 120;
};

struct Result {
    int checked = 0;
    double worst_excess = -1;  // largest |diff| - allowed; > 0 means failure
    Eigen::Index worst_index = -1;
    double worst_numeric = 0, worst_analytic = 0;
};

// loss(): recomputes the scalar loss from the current values (in double where possible).
// `values` is perturbed in place and restored.
inline Result check(nn::Matrix& values, const nn::Matrix& analytic,
                    const std::function<double()>& loss, const Tolerance& tol,
                    uint64_t seed = 7) {
    REQUIRE(values.size() == analytic.size());
    Result result;
    nn::Rng rng(seed);
    const Eigen::Index n = values.size();
    const bool sample = n > tol.max_elements;
    const int count = sample ? tol.max_elements : static_cast<int>(n);
    for (int k = 0; k < count; ++k) {
        const Eigen::Index i = sample ? rng.below(static_cast<uint32_t>(n)) : k;
        float& v = values.data()[i];
        const float saved = v;
        v = saved + tol.step;
        const double plus = loss();
        v = saved - tol.step;
        const double minus = loss();
        v = saved;
        const double numeric = (plus - minus) / (2.0 * tol.step);
        const double exact = analytic.data()[i];
        const double allowed = tol.atol + tol.rtol * std::max(std::fabs(numeric), std::fabs(exact));
        const double excess = std::fabs(numeric - exact) - allowed;
        ++result.checked;
        if (excess > result.worst_excess) {
            result.worst_excess = excess;
            result.worst_index = i;
            result.worst_numeric = numeric;
            result.worst_analytic = exact;
        }
    }
    return result;
}

// doctest wrapper: names the tensor and the worst element when the check fails.
inline void require_gradient(const std::string& what, nn::Matrix& values,
                             const nn::Matrix& analytic, const std::function<double()>& loss,
                             const Tolerance& tol = {}) {
    Result r = check(values, analytic, loss, tol);
    INFO(what << ": worst element " << r.worst_index << " numeric " << r.worst_numeric
              << " analytic " << r.worst_analytic << " (checked " << r.checked << ")");
    CHECK(r.worst_excess <= 0.0);
}

// A fixed random projection R so that loss = sum(y .* R) has dloss/dy = R, which exercises
// every output element with a different weight.
inline nn::Matrix projection_like(const nn::Matrix& y, uint64_t seed = 99) {
    nn::Matrix r(y.rows(), y.cols());
    nn::Rng rng(seed);
    nn::fill_uniform(r, rng, -1.0f, 1.0f);
    return r;
}

inline double project(const nn::Matrix& y, const nn::Matrix& r) {
    return (y.cast<double>().array() * r.cast<double>().array()).sum();
}

// Random values kept at least `margin` away from zero (for ops with a kink at 0).
inline nn::Matrix random_away_from_zero(int rows, int cols, uint64_t seed, float margin = 0.05f) {
    nn::Matrix m(rows, cols);
    nn::Rng rng(seed);
    for (Eigen::Index i = 0; i < m.size(); ++i) {
        float v = rng.uniform(margin, 1.0f);
        m.data()[i] = rng.uniform() < 0.5f ? -v : v;
    }
    return m;
}

inline nn::Matrix random_matrix(int rows, int cols, uint64_t seed, float scale = 1.0f) {
    nn::Matrix m(rows, cols);
    nn::Rng rng(seed);
    nn::fill_uniform(m, rng, -scale, scale);
    return m;
}

}  // namespace gradcheck
