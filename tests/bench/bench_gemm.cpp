// nn::gemm throughput (the product every layer runs), native and wasm: the numbers behind "how
// big a model can train in the browser". A benchmark, not a test: it prints, it never fails.
// Natively nn::gemm is Eigen's product; in wasm GenLab's SIMD kernels (CMake GENLAB_GEMM).
//
//   genlab_bench_gemm [--quick]          (wasm: node build/wasm/genlab_bench_gemm.js)
//
// Each case is C[M,N] = A[M,K] * B[K,N], row-major like nn::Matrix, 2*M*N*K flops per product,
// repeated until ~0.25 s (0.05 s with --quick) has passed; the best of 3 such runs is reported.
// One thread on both sides: the wasm build has none, and natively Eigen would otherwise split
// its products over every core (OpenMP's default; nothing here links nn/tensor.cpp, which sets 1).
#include "nn/gemm.h"
#include "nn/tensor.h"
#include "nn/threads.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace {

using Clock = std::chrono::steady_clock;

struct GemmCase {
    const char* name;
    int m, k, n;
};

float checksum_sink = 0.0f;  // keeps the optimiser from dropping the products

double gflops(const GemmCase& c, double min_seconds) {
    nn::Matrix a = nn::Matrix::Random(c.m, c.k);
    nn::Matrix b = nn::Matrix::Random(c.k, c.n);
    nn::Matrix out(c.m, c.n);
    const double flops = 2.0 * c.m * c.n * c.k;
    double best = 0.0;
    for (int run = 0; run < 3; ++run) {
        long reps = 0;
        const auto start = Clock::now();
        double elapsed = 0.0;
        do {
            nn::matmul(out, a, nn::Transpose::No, b, nn::Transpose::No);
            checksum_sink += out(0, 0);
            ++reps;
            elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        } while (elapsed < min_seconds);
        best = std::max(best, flops * reps / elapsed * 1e-9);
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const double min_seconds = quick ? 0.05 : 0.25;
    const int threads = nn::set_num_threads(1);
    const GemmCase cases[] = {
        {"square 64", 64, 64, 64},
        {"square 128", 128, 128, 128},
        {"square 256", 256, 256, 256},
        {"square 512", 512, 512, 512},
        // Linear layer, batch 64: [64,784] x [784,256] (x W^T for an MNIST encoder).
        {"linear 64x784x256", 64, 784, 256},
        // Conv 5x5 as im2col GEMM: weights [O=32, C*kh*kw=1*5*5] x patches [25, B*H*W=16*24*24].
        {"im2col conv 32x25x9216", 32, 25, 9216},
        // Batch-1 products: the LSTM step h [1,240] x W_hh^T [240,960] as [1,240]x[240,960].
        {"gemv 1x240x960", 1, 240, 960},
    };
#if defined(__EMSCRIPTEN__) && defined(__wasm_simd128__)
    const char* target = "wasm, simd128";
#elif defined(__EMSCRIPTEN__)
    const char* target = "wasm, no simd";
#else
    const char* target = "native";
#endif
    std::printf("nn::gemm (%s; Eigen %d.%d.%d, SIMD %s, %d thread, Eigen %d), %s\n",
                nn::gemm_backend(), EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION,
                Eigen::SimdInstructionSetsInUse(), threads, Eigen::nbThreads(), target);
    std::printf("%-26s %12s\n", "case (M x K x N)", "GFLOP/s");
    for (const GemmCase& c : cases) {
        std::printf("%-26s %12.2f\n", c.name, gflops(c, min_seconds));
        std::fflush(stdout);
    }
    return checksum_sink == 12345.0f ? 1 : 0;
}
