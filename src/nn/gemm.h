// The one matrix product every layer in src/nn goes through (Linear, the im2col convolutions
// and their backward, the LSTM/GRU gates):
//
//   C[M, N] = alpha * op(A)[M, K] * op(B)[K, N] + beta * C   (then + bias, then activation)
//
// All matrices are row-major with a leading dimension (elements between rows), like nn::Matrix
// and its middleRows/blocks. op(X) = X, or X^T when the flag says so (then X is stored [K, M] /
// [N, K]). beta = 0 never reads C (it may hold garbage).
//
// Two implementations behind the same call, chosen at build time (CMake GENLAB_GEMM):
//   simd:  GenLab's own kernels (nn/gemm.cpp): packed A/B panels, a register-blocked
//          micro-tile with f32x4 multiply + add (nn/simd.h), matrix-vector paths for M = 1
//          or N = 1. The wasm default: Eigen 3.4 has no wasm SIMD kernels.
//   eigen: Eigen's product (the native default, and the reference in the tests).
// Both are always compiled, so tests compare gemm_simd against gemm_eigen in every build.
#pragma once

#include "nn/tensor.h"

namespace nn {

enum class Transpose { No, Yes };

// What happens on store, after alpha * product + beta * C.
enum class BiasAxis { None, PerColumn, PerRow };  // bias[n] on every row (Linear) | bias[m] (conv)
enum class Activation { None, Relu };

struct GemmEpilogue {
    const float* bias = nullptr;  // [N] for PerColumn, [M] for PerRow
    BiasAxis axis = BiasAxis::None;
    Activation activation = Activation::None;
};

void gemm(Transpose trans_a, Transpose trans_b, int M, int N, int K, float alpha,
          const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc,
          const GemmEpilogue& epilogue = {});

void gemm_simd(Transpose trans_a, Transpose trans_b, int M, int N, int K, float alpha,
               const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc,
               const GemmEpilogue& epilogue = {});
void gemm_eigen(Transpose trans_a, Transpose trans_b, int M, int N, int K, float alpha,
                const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc,
                const GemmEpilogue& epilogue = {});

// "simd" or "eigen": what gemm() runs in this build (the bench prints it).
const char* gemm_backend();

// Whole-matrix form: C = op(A) op(B) (beta = 0: C is resized) or C += op(A) op(B) (beta = 1:
// C must already have the shape).
void matmul(Matrix& C, const Matrix& A, Transpose trans_a, const Matrix& B, Transpose trans_b,
            float beta = 0.0f, const GemmEpilogue& epilogue = {});

}  // namespace nn
