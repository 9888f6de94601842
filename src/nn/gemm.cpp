#include "nn/gemm.h"

#include "nn/simd.h"

#include <algorithm>
#include <vector>

namespace nn {

namespace {

// ---------------------------------------------------------------------------------------------
// Store: v = alpha * product + (first K block ? beta * C : C); on the last K block + bias, then
// the activation. `first`/`last` split a long K into blocks that accumulate in C.

struct StoreStep {
    float alpha, beta;
    bool first, last;
    const GemmEpilogue* epilogue;
};

inline float store_scalar(float product, float* c, int i, int j, const StoreStep& s) {
    float v = s.alpha * product;
    if (!s.first) v += *c;
    else if (s.beta != 0.0f) v += s.beta * *c;
    if (s.last) {
        const GemmEpilogue& e = *s.epilogue;
        if (e.axis == BiasAxis::PerColumn) v += e.bias[j];
        else if (e.axis == BiasAxis::PerRow) v += e.bias[i];
        if (e.activation == Activation::Relu) v = std::max(v, 0.0f);
    }
    return v;
}

// Four consecutive columns j..j+3 of row i.
inline void store_vec4(simd::f32x4 product, float* c, int i, int j, const StoreStep& s) {
    using namespace simd;
    f32x4 v = mul(splat(s.alpha), product);
    if (!s.first) v = add(v, load(c));
    else if (s.beta != 0.0f) v = add(v, mul(splat(s.beta), load(c)));
    if (s.last) {
        const GemmEpilogue& e = *s.epilogue;
        if (e.axis == BiasAxis::PerColumn) v = add(v, load(e.bias + j));
        else if (e.axis == BiasAxis::PerRow) v = add(v, splat(e.bias[i]));
        if (e.activation == Activation::Relu) v = max(v, splat(0.0f));
    }
    store(c, v);
}

// ---------------------------------------------------------------------------------------------
// Packed GEMM (the BLIS loop order): for each NC-wide column panel and KC-deep slice of op(B),
// pack it into NR-wide strips [KC][NR]; for each MC-tall block of op(A), pack it into MR-tall
// strips [KC][MR]; then an MR x NR register tile per (strip of A, strip of B). Packing pads with
// zeros, so the micro-kernel never checks edges; only the store does.
//
// MR x NR = 4 x 8: 8 f32x4 accumulators + 2 for B + 1 splat of A fit x86-64's 16 xmm
// registers that V8 maps wasm SIMD onto (a 4x16 tile spilled). Measured in the README.
#ifndef GENLAB_GEMM_MR  // overridable for tile experiments: -DGENLAB_GEMM_MR=6
#define GENLAB_GEMM_MR 4
#define GENLAB_GEMM_NR 8
#endif
constexpr int MR = GENLAB_GEMM_MR, NR = GENLAB_GEMM_NR, NV = NR / 4;
constexpr int KC = 256, MC = 128, NC = 512;

// op(A)[i][k] for A stored [M, K] (No) or [K, M] (Yes)
void pack_a(Transpose t, const float* A, int lda, int i0, int mc, int k0, int kc, float* out) {
    for (int ir = 0; ir < mc; ir += MR) {
        const int mr = std::min(MR, mc - ir);
        int k = 0;
        if (MR == 4 && t == Transpose::No && mr == 4) {
            // 4 rows x 4 k at a time: four row loads, one 4x4 transpose, four strip stores
            const float* src = A + static_cast<size_t>(i0 + ir) * lda + k0;
            for (; k + 4 <= kc; k += 4, out += 4 * MR) {
                simd::f32x4 r0 = simd::load(src + k), r1 = simd::load(src + lda + k),
                            r2 = simd::load(src + 2 * static_cast<size_t>(lda) + k),
                            r3 = simd::load(src + 3 * static_cast<size_t>(lda) + k);
                simd::transpose4(r0, r1, r2, r3);
                simd::store(out, r0);
                simd::store(out + MR, r1);
                simd::store(out + 2 * MR, r2);
                simd::store(out + 3 * MR, r3);
            }
        }
        for (; k < kc; ++k, out += MR) {
            if (t == Transpose::No) {
                const float* src = A + static_cast<size_t>(i0 + ir) * lda + (k0 + k);
                for (int r = 0; r < mr; ++r) out[r] = src[static_cast<size_t>(r) * lda];
            } else {
                const float* src = A + static_cast<size_t>(k0 + k) * lda + (i0 + ir);
                if (MR == 4 && mr == 4) {
                    simd::store(out, simd::load(src));
                    continue;
                }
                for (int r = 0; r < mr; ++r) out[r] = src[r];
            }
            for (int r = mr; r < MR; ++r) out[r] = 0.0f;
        }
    }
}

// op(B)[k][j] for B stored [K, N] (No) or [N, K] (Yes)
void pack_b(Transpose t, const float* B, int ldb, int k0, int kc, int j0, int nc, float* out) {
    for (int jr = 0; jr < nc; jr += NR) {
        const int nr = std::min(NR, nc - jr);
        if (t == Transpose::No) {
            for (int k = 0; k < kc; ++k, out += NR) {
                const float* src = B + static_cast<size_t>(k0 + k) * ldb + (j0 + jr);
                if (nr == NR) {
                    for (int v = 0; v < NV; ++v) simd::store(out + 4 * v, simd::load(src + 4 * v));
                } else {
                    for (int c = 0; c < nr; ++c) out[c] = src[c];
                    for (int c = nr; c < NR; ++c) out[c] = 0.0f;
                }
            }
        } else {
            int k = 0;
            if (nr == NR) {
                // NR rows of B x 4 k at a time, as NR/4 4x4 transposes
                for (; k + 4 <= kc; k += 4, out += 4 * NR) {
                    for (int v = 0; v < NV; ++v) {
                        const float* src = B + static_cast<size_t>(j0 + jr + 4 * v) * ldb + (k0 + k);
                        simd::f32x4 r0 = simd::load(src), r1 = simd::load(src + ldb),
                                    r2 = simd::load(src + 2 * static_cast<size_t>(ldb)),
                                    r3 = simd::load(src + 3 * static_cast<size_t>(ldb));
                        simd::transpose4(r0, r1, r2, r3);
                        simd::store(out + 4 * v, r0);
                        simd::store(out + NR + 4 * v, r1);
                        simd::store(out + 2 * NR + 4 * v, r2);
                        simd::store(out + 3 * NR + 4 * v, r3);
                    }
                }
            }
            for (; k < kc; ++k, out += NR) {
                const float* src = B + static_cast<size_t>(j0 + jr) * ldb + (k0 + k);
                for (int c = 0; c < nr; ++c) out[c] = src[static_cast<size_t>(c) * ldb];
                for (int c = nr; c < NR; ++c) out[c] = 0.0f;
            }
        }
    }
}

// tile[MR][NR] = a_strip[kc][MR]^T b_strip[kc][NR], for the first 4 * V of the NR columns
// (V = NV normally; V = 1 for a last strip at most 4 wide, e.g. a 7x7 image's 49 columns).
template <int V>
void micro_kernel(int kc, const float* a, const float* b, float* tile) {
    using namespace simd;
    f32x4 acc[MR][V];
    for (int r = 0; r < MR; ++r)
        for (int v = 0; v < V; ++v) acc[r][v] = splat(0.0f);
    for (int k = 0; k < kc; ++k, a += MR, b += NR) {
        f32x4 bv[V];
        for (int v = 0; v < V; ++v) bv[v] = load(b + 4 * v);
        for (int r = 0; r < MR; ++r) {
            const f32x4 av = load_splat(a + r);
            for (int v = 0; v < V; ++v) acc[r][v] = add(acc[r][v], mul(av, bv[v]));
        }
    }
    for (int r = 0; r < MR; ++r)
        for (int v = 0; v < V; ++v) store(tile + r * NR + 4 * v, acc[r][v]);
}

void store_tile(const float* tile, int mr, int nr, float* C, int ldc, int i0, int j0,
                const StoreStep& s) {
    for (int r = 0; r < mr; ++r) {
        float* c = C + static_cast<size_t>(i0 + r) * ldc + j0;
        const float* t = tile + r * NR;
        int j = 0;
        for (; j + 4 <= nr; j += 4) store_vec4(simd::load(t + j), c + j, i0 + r, j0 + j, s);
        for (; j < nr; ++j) c[j] = store_scalar(t[j], c + j, i0 + r, j0 + j, s);
    }
}

struct PackBuffers {
    std::vector<float> a, b;
};

void gemm_packed(Transpose ta, Transpose tb, int M, int N, int K, float alpha, const float* A,
                 int lda, const float* B, int ldb, float beta, float* C, int ldc,
                 const GemmEpilogue& e) {
    thread_local PackBuffers buffers;
    const int mc_max = std::min(MC, (M + MR - 1) / MR * MR);
    const int nc_max = std::min(NC, (N + NR - 1) / NR * NR);
    const int kc_max = std::min(KC, K);
    buffers.a.resize(static_cast<size_t>(mc_max) * kc_max);
    buffers.b.resize(static_cast<size_t>(nc_max) * kc_max);
    alignas(16) float tile[MR * NR];
    for (int j0 = 0; j0 < N; j0 += NC) {
        const int nc = std::min(NC, N - j0);
        for (int k0 = 0; k0 < K; k0 += KC) {
            const int kc = std::min(KC, K - k0);
            const StoreStep step{alpha, beta, k0 == 0, k0 + kc == K, &e};
            pack_b(tb, B, ldb, k0, kc, j0, nc, buffers.b.data());
            for (int i0 = 0; i0 < M; i0 += MC) {
                const int mc = std::min(MC, M - i0);
                pack_a(ta, A, lda, i0, mc, k0, kc, buffers.a.data());
                for (int jr = 0; jr < nc; jr += NR) {
                    const float* b_strip = buffers.b.data() + static_cast<size_t>(jr) * kc;
                    const int nr = std::min(NR, nc - jr);
                    for (int ir = 0; ir < mc; ir += MR) {
                        const float* a_strip = buffers.a.data() + static_cast<size_t>(ir) * kc;
                        if (nr <= 4) micro_kernel<1>(kc, a_strip, b_strip, tile);
                        else micro_kernel<NV>(kc, a_strip, b_strip, tile);
                        store_tile(tile, std::min(MR, mc - ir), nr, C, ldc, i0 + ir, j0 + jr, step);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Matrix-vector: y[n] = alpha * sum_k x[k] W(k, n) + beta * y[n] (+ bias[n * bias_step]), for
// batch-1 products (a Linear on one sample, an RNN step). No packing: W is read once.
//   w_rows_are_n: W stored [N, K] (y[n] is a dot product of row n with x), else [K, N]
//   (y is a sum of rows of W scaled by x[k]).

void gemv(const float* x, int K, const float* W, int ldw, bool w_rows_are_n, int N, float alpha,
          float beta, float* y, int incy, const float* bias, int bias_step, Activation act) {
    using namespace simd;
    auto finish = [&](int n, float dot) {
        float v = alpha * dot;
        float* out = y + static_cast<size_t>(n) * incy;
        if (beta != 0.0f) v += beta * *out;
        if (bias) v += bias[static_cast<size_t>(n) * bias_step];
        if (act == Activation::Relu) v = std::max(v, 0.0f);
        *out = v;
    };
    // outputs n..n+3 at once when y is contiguous
    auto finish4 = [&](int n, const float* dots) {
        if (incy != 1) {
            for (int i = 0; i < 4; ++i) finish(n + i, dots[i]);
            return;
        }
        f32x4 v = mul(splat(alpha), load(dots));
        if (beta != 0.0f) v = add(v, mul(splat(beta), load(y + n)));
        if (bias) v = add(v, bias_step ? load(bias + n) : splat(bias[0]));
        if (act == Activation::Relu) v = max(v, splat(0.0f));
        store(y + n, v);
    };
    if (w_rows_are_n) {
        // Four rows at a time, two f32x4 accumulators each (8 independent add chains), the
        // four dot products reduced into one vector and stored together.
        int n = 0;
        for (; n + 4 <= N; n += 4) {
            const float* w0 = W + static_cast<size_t>(n) * ldw;
            const float* w1 = w0 + ldw;
            const float* w2 = w1 + ldw;
            const float* w3 = w2 + ldw;
            f32x4 a0 = splat(0.0f), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            int k = 0;
            for (; k + 8 <= K; k += 8) {
                const f32x4 xa = load(x + k), xb = load(x + k + 4);
                a0 = add(a0, mul(load(w0 + k), xa));
                a1 = add(a1, mul(load(w1 + k), xa));
                a2 = add(a2, mul(load(w2 + k), xa));
                a3 = add(a3, mul(load(w3 + k), xa));
                b0 = add(b0, mul(load(w0 + k + 4), xb));
                b1 = add(b1, mul(load(w1 + k + 4), xb));
                b2 = add(b2, mul(load(w2 + k + 4), xb));
                b3 = add(b3, mul(load(w3 + k + 4), xb));
            }
            if (k + 4 <= K) {
                const f32x4 xa = load(x + k);
                a0 = add(a0, mul(load(w0 + k), xa));
                a1 = add(a1, mul(load(w1 + k), xa));
                a2 = add(a2, mul(load(w2 + k), xa));
                a3 = add(a3, mul(load(w3 + k), xa));
                k += 4;
            }
            alignas(16) float d[4];
            store(d, sum4(add(a0, b0), add(a1, b1), add(a2, b2), add(a3, b3)));
            for (; k < K; ++k) {
                d[0] += w0[k] * x[k];
                d[1] += w1[k] * x[k];
                d[2] += w2[k] * x[k];
                d[3] += w3[k] * x[k];
            }
            finish4(n, d);
        }
        for (; n < N; ++n) {
            const float* w = W + static_cast<size_t>(n) * ldw;
            f32x4 a = splat(0.0f);
            int k = 0;
            for (; k + 4 <= K; k += 4) a = add(a, mul(load(w + k), load(x + k)));
            float d = sum(a);
            for (; k < K; ++k) d += w[k] * x[k];
            finish(n, d);
        }
        return;
    }
    // W [K, N]: y accumulates four rows of W at a time, each row read front to back (what
    // the hardware prefetcher streams best; 32 outputs at a time over all K strode across
    // the rows and ran at ~60% of this), 8 outputs per step in two add chains.
    thread_local std::vector<float> acc_buffer;
    acc_buffer.assign(static_cast<size_t>(N), 0.0f);
    float* acc = acc_buffer.data();
    int k = 0;
    for (; k + 4 <= K; k += 4) {
        const f32x4 x0 = load_splat(x + k), x1 = load_splat(x + k + 1), x2 = load_splat(x + k + 2),
                    x3 = load_splat(x + k + 3);
        const float* w0 = W + static_cast<size_t>(k) * ldw;
        const float* w1 = w0 + ldw;
        const float* w2 = w1 + ldw;
        const float* w3 = w2 + ldw;
        int n = 0;
        for (; n + 8 <= N; n += 8) {
            f32x4 a = load(acc + n), b = load(acc + n + 4);
            a = add(a, mul(x0, load(w0 + n)));
            b = add(b, mul(x0, load(w0 + n + 4)));
            a = add(a, mul(x1, load(w1 + n)));
            b = add(b, mul(x1, load(w1 + n + 4)));
            a = add(a, mul(x2, load(w2 + n)));
            b = add(b, mul(x2, load(w2 + n + 4)));
            a = add(a, mul(x3, load(w3 + n)));
            b = add(b, mul(x3, load(w3 + n + 4)));
            store(acc + n, a);
            store(acc + n + 4, b);
        }
        for (; n < N; ++n)
            acc[n] += x[k] * w0[n] + x[k + 1] * w1[n] + x[k + 2] * w2[n] + x[k + 3] * w3[n];
    }
    for (; k < K; ++k) {
        const float* w = W + static_cast<size_t>(k) * ldw;
        for (int n = 0; n < N; ++n) acc[n] += x[k] * w[n];
    }
    int n = 0;
    for (; n + 4 <= N; n += 4) finish4(n, acc + n);
    for (; n < N; ++n) finish(n, acc[n]);
}

}  // namespace

void gemm_simd(Transpose ta, Transpose tb, int M, int N, int K, float alpha, const float* A,
               int lda, const float* B, int ldb, float beta, float* C, int ldc,
               const GemmEpilogue& e) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {  // C = beta * C, then the epilogue
        const StoreStep step{alpha, beta, true, true, &e};
        for (int i = 0; i < M; ++i)
            for (int j = 0; j < N; ++j) {
                float* c = C + static_cast<size_t>(i) * ldc + j;
                *c = store_scalar(0.0f, c, i, j, step);
            }
        return;
    }
    if (M == 1 || N == 1) {
        thread_local std::vector<float> x;
        x.resize(static_cast<size_t>(K));
        if (M == 1) {
            // x = row 0 of op(A); W = op(B), stored [K, N] (No) or [N, K] (Yes)
            const float* row = A;
            if (ta == Transpose::Yes) {
                for (int k = 0; k < K; ++k) x[k] = A[static_cast<size_t>(k) * lda];
                row = x.data();
            }
            const float* bias = e.axis == BiasAxis::None ? nullptr : e.bias;
            const int bias_step = e.axis == BiasAxis::PerColumn ? 1 : 0;
            gemv(row, K, B, ldb, tb == Transpose::Yes, N, alpha, beta, C, 1, bias, bias_step,
                 e.activation);
        } else {
            // C^T [1, M] = op(B)^T [1, K] op(A)^T [K, M]; op(A) stored [M, K] (No) or [K, M] (Yes)
            for (int k = 0; k < K; ++k) x[k] = tb == Transpose::No ? B[static_cast<size_t>(k) * ldb] : B[k];
            const float* bias = e.axis == BiasAxis::None ? nullptr : e.bias;
            const int bias_step = e.axis == BiasAxis::PerRow ? 1 : 0;
            gemv(x.data(), K, A, lda, ta == Transpose::No, M, alpha, beta, C, ldc, bias, bias_step,
                 e.activation);
        }
        return;
    }
    gemm_packed(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, e);
}

void gemm_eigen(Transpose ta, Transpose tb, int M, int N, int K, float alpha, const float* A,
                int lda, const float* B, int ldb, float beta, float* C, int ldc,
                const GemmEpilogue& e) {
    using Stride = Eigen::OuterStride<>;
    using ConstMap = Eigen::Map<const Matrix, 0, Stride>;
    if (M <= 0 || N <= 0) return;
    Eigen::Map<Matrix, 0, Stride> c(C, M, N, Stride(ldc));
    if (beta == 0.0f) c.setZero();
    else if (beta != 1.0f) c *= beta;
    if (K > 0) {
        const bool at = ta == Transpose::Yes, bt = tb == Transpose::Yes;
        ConstMap a(A, at ? K : M, at ? M : K, Stride(lda));
        ConstMap b(B, bt ? N : K, bt ? K : N, Stride(ldb));
        if (!at && !bt) c.noalias() += alpha * (a * b);
        else if (!at && bt) c.noalias() += alpha * (a * b.transpose());
        else if (at && !bt) c.noalias() += alpha * (a.transpose() * b);
        else c.noalias() += alpha * (a.transpose() * b.transpose());
    }
    if (e.axis == BiasAxis::PerColumn)
        c.rowwise() += Eigen::Map<const RowVector>(e.bias, N);
    else if (e.axis == BiasAxis::PerRow)
        c.colwise() += Eigen::Map<const Eigen::VectorXf>(e.bias, M);
    if (e.activation == Activation::Relu) c = c.cwiseMax(0.0f);
}

void gemm(Transpose ta, Transpose tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc, const GemmEpilogue& e) {
#if defined(GENLAB_GEMM_SIMD)
    gemm_simd(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, e);
#else
    gemm_eigen(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, e);
#endif
}

const char* gemm_backend() {
#if defined(GENLAB_GEMM_SIMD)
    return "simd";
#else
    return "eigen";
#endif
}

void matmul(Matrix& C, const Matrix& A, Transpose ta, const Matrix& B, Transpose tb, float beta,
            const GemmEpilogue& e) {
    const int M = static_cast<int>(ta == Transpose::No ? A.rows() : A.cols());
    const int K = static_cast<int>(ta == Transpose::No ? A.cols() : A.rows());
    const int N = static_cast<int>(tb == Transpose::No ? B.cols() : B.rows());
    if (beta == 0.0f) C.resize(M, N);
    gemm(ta, tb, M, N, K, 1.0f, A.data(), static_cast<int>(A.cols()), B.data(),
         static_cast<int>(B.cols()), beta, C.data(), static_cast<int>(C.cols()), e);
}

}  // namespace nn
