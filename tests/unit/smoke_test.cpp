// Build smoke test: Eigen is reachable and its products are right in both builds (native and
// wasm with -msimd128). Temporary until real unit tests land; safe to delete then.
#include <doctest/doctest.h>

#include "nn/tensor.h"

#include <algorithm>
#include <cmath>

TEST_CASE("smoke: Eigen GEMM matches a hand-computed product") {
    nn::Matrix a(2, 3), b(3, 2);
    a << 1, 2, 3,
         4, 5, 6;
    b << 7, 8,
         9, 10,
         11, 12;
    const nn::Matrix c = a * b;  // [2,3] x [3,2] -> [2,2]
    CHECK(c(0, 0) == doctest::Approx(58));
    CHECK(c(0, 1) == doctest::Approx(64));
    CHECK(c(1, 0) == doctest::Approx(139));
    CHECK(c(1, 1) == doctest::Approx(154));
}

TEST_CASE("smoke: a blocked GEMM agrees with a naive triple loop") {
    // Large enough (and odd-sized) that Eigen takes its packed, vectorised path.
    const int m = 67, k = 129, n = 35;
    nn::Matrix a(m, k), b(k, n);
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < k; ++j) a(i, j) = float((i * 7 + j * 3) % 11) - 5.0f;
    for (int i = 0; i < k; ++i)
        for (int j = 0; j < n; ++j) b(i, j) = float((i * 5 + j * 2) % 13) * 0.25f - 1.5f;
    const nn::Matrix c = a * b;
    float worst = 0.0f;
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
            double ref = 0.0;
            for (int p = 0; p < k; ++p) ref += double(a(i, p)) * double(b(p, j));
            worst = std::max(worst, float(std::abs(ref - double(c(i, j)))));
        }
    INFO("worst absolute error " << worst);
    CHECK(worst < 1e-3f);
}
