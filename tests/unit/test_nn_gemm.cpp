// nn::gemm: GenLab's SIMD kernels against Eigen's product (the reference) on random shapes,
// edge sizes (1, 3, 7, odd K, sizes that cross the kernels' tile and block edges), every
// transpose, alpha/beta, leading dimensions wider than the matrix, and the fused store
// (bias per column / per row, ReLU). Runs natively (SSE2 lanes) and in wasm (wasm SIMD lanes).
#include "nn/gemm.h"
#include "nn/rng.h"
#include "nn/simd.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using nn::Transpose;

struct Case {
    Transpose ta, tb;
    int M, N, K;
    float alpha, beta;
    nn::GemmEpilogue epilogue;
    int pad;  // extra elements per row in every leading dimension
};

std::vector<float> random_buffer(size_t n, nn::Rng& rng) {
    std::vector<float> v(n);
    for (float& x : v) x = rng.uniform(-1.0f, 1.0f);
    return v;
}

// Runs one case through gemm_simd and gemm_eigen from the same C; returns the worst abs diff
// over the whole C buffer (the padding must stay untouched too) divided by its tolerance.
double worst_over_tolerance(const Case& c, nn::Rng& rng, std::string& where) {
    const bool at = c.ta == Transpose::Yes, bt = c.tb == Transpose::Yes;
    const int a_rows = at ? c.K : c.M, a_cols = at ? c.M : c.K;
    const int b_rows = bt ? c.N : c.K, b_cols = bt ? c.K : c.N;
    const int lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.N + c.pad;
    const std::vector<float> A = random_buffer(static_cast<size_t>(a_rows) * lda + 1, rng);
    const std::vector<float> B = random_buffer(static_cast<size_t>(b_rows) * ldb + 1, rng);
    const std::vector<float> C0 = random_buffer(static_cast<size_t>(c.M) * ldc, rng);
    std::vector<float> bias = random_buffer(static_cast<size_t>(std::max(c.M, c.N)), rng);
    nn::GemmEpilogue e = c.epilogue;
    if (e.axis != nn::BiasAxis::None) e.bias = bias.data();
    std::vector<float> got = C0, want = C0;
    nn::gemm_simd(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta,
                  got.data(), ldc, e);
    nn::gemm_eigen(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta,
                   want.data(), ldc, e);
    // |products| <= 1, so a K-term sum in float is off by at most ~K ulp-sized steps.
    const double tolerance = 1e-6 * (c.K + 4) * std::max(1.0f, std::abs(c.alpha));
    double worst = 0.0;
    for (int i = 0; i < c.M; ++i)
        for (int j = 0; j < ldc; ++j) {
            const size_t at_ij = static_cast<size_t>(i) * ldc + j;
            const double diff = std::abs(double(got[at_ij]) - want[at_ij]);
            const double ratio = j < c.N ? diff / tolerance : (diff > 0 ? 1e9 : 0.0);
            if (ratio > worst) {
                worst = ratio;
                where = "C(" + std::to_string(i) + ", " + std::to_string(j) + ") simd " +
                        std::to_string(got[at_ij]) + " eigen " + std::to_string(want[at_ij]);
            }
        }
    return worst;
}

std::string describe(const Case& c) {
    char text[200];
    std::snprintf(text, sizeof text, "%s%s M=%d N=%d K=%d alpha=%g beta=%g bias=%d relu=%d pad=%d",
                  c.ta == Transpose::Yes ? "A^T" : "A", c.tb == Transpose::Yes ? " B^T" : " B",
                  c.M, c.N, c.K, c.alpha, c.beta, static_cast<int>(c.epilogue.axis),
                  static_cast<int>(c.epilogue.activation), c.pad);
    return text;
}

}  // namespace

TEST_CASE("nn: gemm_simd matches Eigen on edge sizes, every transpose and store") {
    nn::Rng rng(19);
    const int sizes[] = {1, 2, 3, 4, 7, 8, 9, 17, 33};
    const Transpose both[] = {Transpose::No, Transpose::Yes};
    int cases = 0;
    for (Transpose ta : both)
        for (Transpose tb : both)
            for (int M : sizes)
                for (int N : sizes)
                    for (int K : {1, 3, 7, 16, 31}) {
                        Case c{ta, tb, M, N, K, 1.0f, 0.0f, {}, 0};
                        // vary the rest deterministically so every combination shows up
                        const int v = cases++;
                        if (v % 3 == 1) c.beta = 1.0f;
                        if (v % 5 == 2) c.beta = -0.5f, c.alpha = 2.0f;
                        if (v % 4 == 1) c.epilogue.axis = nn::BiasAxis::PerColumn;
                        if (v % 4 == 2) c.epilogue.axis = nn::BiasAxis::PerRow;
                        if (v % 7 == 3) c.epilogue.activation = nn::Activation::Relu;
                        if (v % 2 == 1) c.pad = 3;
                        std::string where;
                        const double worst = worst_over_tolerance(c, rng, where);
                        if (worst > 1.0) {
                            INFO(describe(c) << ": worst " << where);
                            CHECK(worst <= 1.0);
                        }
                    }
    CHECK(cases == 4 * 9 * 9 * 5);
}

TEST_CASE("nn: gemm_simd matches Eigen across the kernels' block edges (K > 256, M > 128, N > 512)") {
    nn::Rng rng(20);
    const Case cases[] = {
        {Transpose::No, Transpose::No, 130, 515, 259, 1.0f, 0.0f, {}, 0},
        {Transpose::No, Transpose::Yes, 67, 70, 600, 1.0f, 1.0f, {nullptr, nn::BiasAxis::PerColumn, nn::Activation::Relu}, 1},
        {Transpose::Yes, Transpose::No, 257, 33, 513, 0.5f, 0.0f, {nullptr, nn::BiasAxis::PerRow, nn::Activation::None}, 0},
        {Transpose::Yes, Transpose::Yes, 129, 1030, 45, 1.0f, 2.0f, {}, 5},
        // the shapes the models use: GAN deconv1 batch 1, VAE encoder batch 64, LSTM step
        {Transpose::Yes, Transpose::No, 512, 49, 64, 1.0f, 0.0f, {}, 0},
        {Transpose::No, Transpose::Yes, 64, 192, 784, 1.0f, 0.0f, {nullptr, nn::BiasAxis::PerColumn, nn::Activation::None}, 0},
        {Transpose::No, Transpose::Yes, 1, 960, 240, 1.0f, 1.0f, {}, 0},
        {Transpose::No, Transpose::No, 1, 1000, 301, 1.0f, 0.0f, {nullptr, nn::BiasAxis::PerColumn, nn::Activation::Relu}, 0},
    };
    for (const Case& c : cases) {
        std::string where;
        const double worst = worst_over_tolerance(c, rng, where);
        INFO(describe(c) << ": worst " << where);
        CHECK(worst <= 1.0);
    }
}

TEST_CASE("nn: gemm with K = 0 scales C by beta and applies the store") {
    std::vector<float> C = {1, 2, 3, 4}, bias = {10, 20};
    nn::gemm_simd(Transpose::No, Transpose::No, 2, 2, 0, 1.0f, nullptr, 1, nullptr, 1, 0.5f,
                  C.data(), 2, {bias.data(), nn::BiasAxis::PerColumn, nn::Activation::None});
    CHECK(C == std::vector<float>{10.5f, 21, 11.5f, 22});
}

TEST_CASE("nn: matmul resizes for beta = 0 and accumulates for beta = 1") {
    nn::Rng rng(4);
    nn::Matrix a(3, 5), b(4, 5), c;
    nn::fill_uniform(a, rng, -1, 1);
    nn::fill_uniform(b, rng, -1, 1);
    nn::matmul(c, a, Transpose::No, b, Transpose::Yes);
    REQUIRE(c.rows() == 3);
    REQUIRE(c.cols() == 4);
    const nn::Matrix want = a * b.transpose();
    CHECK((c - want).cwiseAbs().maxCoeff() < 1e-5f);
    nn::matmul(c, a, Transpose::No, b, Transpose::Yes, 1.0f);
    CHECK((c - 2 * want).cwiseAbs().maxCoeff() < 1e-5f);
}

TEST_CASE("nn: four-lane exp, sigmoid and tanh match the scalar functions") {
    double worst_exp = 0, worst_sigmoid = 0, worst_tanh = 0;
    for (int i = -20000; i <= 20000; i += 4) {
        float x[4], e[4], s[4], t[4];
        for (int l = 0; l < 4; ++l) x[l] = (i + l) * 0.0011f;  // [-22, 22]
        nn::simd::store(e, nn::simd::exp(nn::simd::load(x)));
        nn::simd::store(s, nn::simd::sigmoid(nn::simd::load(x)));
        nn::simd::store(t, nn::simd::tanh(nn::simd::load(x)));
        for (int l = 0; l < 4; ++l) {
            worst_exp = std::max(worst_exp, std::abs(e[l] / std::exp(double(x[l])) - 1.0));
            worst_sigmoid = std::max(worst_sigmoid, std::abs(s[l] - 1.0 / (1.0 + std::exp(-double(x[l])))));
            worst_tanh = std::max(worst_tanh, std::abs(t[l] - std::tanh(double(x[l]))));
        }
    }
    CHECK(worst_exp < 5e-7);
    CHECK(worst_sigmoid < 3e-7);
    CHECK(worst_tanh < 5e-7);
    // saturation: no NaN or inf far out
    float x[4] = {-1000.0f, -90.0f, 90.0f, 1000.0f}, s[4], t[4];
    nn::simd::store(s, nn::simd::sigmoid(nn::simd::load(x)));
    nn::simd::store(t, nn::simd::tanh(nn::simd::load(x)));
    CHECK(s[0] < 1e-30f);
    CHECK(s[3] == 1.0f);
    CHECK(t[0] == -1.0f);
    CHECK(t[3] == 1.0f);
}
