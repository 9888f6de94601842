// Four f32 lanes, one spelling for every build: wasm SIMD (wasm_simd128.h) in the browser,
// SSE2 natively on x86-64, plain scalars elsewhere. The GEMM micro-kernels (nn/gemm.cpp) and the
// vectorised activations below are written once against it, so the native tests run the very
// code the wasm build ships.
//
// Plain SIMD only: relaxed SIMD (f32x4.relaxed_madd) is not usable, because the LLVM 14 of
// Debian's emcc 3.1.6 emits the prototype opcodes that current Chromium rejects. A multiply and
// an add it is.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define GENLAB_SIMD_WASM 1
#elif defined(__SSE2__)
#include <xmmintrin.h>
#include <emmintrin.h>
#define GENLAB_SIMD_SSE2 1
#endif

namespace nn::simd {

#if defined(GENLAB_SIMD_WASM)
using f32x4 = v128_t;
inline f32x4 load(const float* p) { return wasm_v128_load(p); }
inline void store(float* p, f32x4 v) { wasm_v128_store(p, v); }
inline f32x4 splat(float x) { return wasm_f32x4_splat(x); }
inline f32x4 load_splat(const float* p) { return wasm_v128_load32_splat(p); }
inline f32x4 add(f32x4 a, f32x4 b) { return wasm_f32x4_add(a, b); }
inline f32x4 sub(f32x4 a, f32x4 b) { return wasm_f32x4_sub(a, b); }
inline f32x4 mul(f32x4 a, f32x4 b) { return wasm_f32x4_mul(a, b); }
inline f32x4 div(f32x4 a, f32x4 b) { return wasm_f32x4_div(a, b); }
// pmin/pmax are minps/maxps (NaN handling of x86); fine for clamping finite activations.
inline f32x4 min(f32x4 a, f32x4 b) { return wasm_f32x4_pmin(a, b); }
inline f32x4 max(f32x4 a, f32x4 b) { return wasm_f32x4_pmax(a, b); }
inline float sum(f32x4 v) {
    return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
           (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}
// round to nearest, as int lanes; 2^n from an int lane n (|n| < 127)
inline f32x4 abs(f32x4 v) { return wasm_f32x4_abs(v); }
// rows r0..r3 of a 4x4 block become its columns
inline void transpose4(f32x4& r0, f32x4& r1, f32x4& r2, f32x4& r3) {
    const f32x4 t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
    const f32x4 t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
    r0 = wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5);
    r1 = wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7);
    r2 = wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5);
    r3 = wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7);
}
// [sum(a), sum(b), sum(c), sum(d)]: a 4x4 transpose folded into two adds
inline f32x4 sum4(f32x4 a, f32x4 b, f32x4 c, f32x4 d) {
    const f32x4 ab = wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
    const f32x4 cd = wasm_f32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
    return wasm_f32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}
// t (>= 0) with the sign bit of x
inline f32x4 with_sign_of(f32x4 t, f32x4 x) {
    return wasm_v128_or(t, wasm_v128_and(x, wasm_i32x4_splat(INT32_MIN)));
}
inline f32x4 round_nearest(f32x4 v) { return wasm_f32x4_nearest(v); }
inline f32x4 exp2_int(f32x4 n) {
    return wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
}
#elif defined(GENLAB_SIMD_SSE2)
using f32x4 = __m128;
inline f32x4 load(const float* p) { return _mm_loadu_ps(p); }
inline void store(float* p, f32x4 v) { _mm_storeu_ps(p, v); }
inline f32x4 splat(float x) { return _mm_set1_ps(x); }
inline f32x4 load_splat(const float* p) { return _mm_set1_ps(*p); }
inline f32x4 add(f32x4 a, f32x4 b) { return _mm_add_ps(a, b); }
inline f32x4 sub(f32x4 a, f32x4 b) { return _mm_sub_ps(a, b); }
inline f32x4 mul(f32x4 a, f32x4 b) { return _mm_mul_ps(a, b); }
inline f32x4 div(f32x4 a, f32x4 b) { return _mm_div_ps(a, b); }
inline f32x4 min(f32x4 a, f32x4 b) { return _mm_min_ps(a, b); }
inline f32x4 max(f32x4 a, f32x4 b) { return _mm_max_ps(a, b); }
inline float sum(f32x4 v) {
    float lanes[4];
    _mm_storeu_ps(lanes, v);
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}
inline f32x4 abs(f32x4 v) { return _mm_andnot_ps(_mm_set1_ps(-0.0f), v); }
inline void transpose4(f32x4& r0, f32x4& r1, f32x4& r2, f32x4& r3) { _MM_TRANSPOSE4_PS(r0, r1, r2, r3); }
inline f32x4 sum4(f32x4 a, f32x4 b, f32x4 c, f32x4 d) {
    const f32x4 ab = _mm_add_ps(_mm_unpacklo_ps(a, b), _mm_unpackhi_ps(a, b));
    const f32x4 cd = _mm_add_ps(_mm_unpacklo_ps(c, d), _mm_unpackhi_ps(c, d));
    return _mm_add_ps(_mm_movelh_ps(ab, cd), _mm_movehl_ps(cd, ab));
}
inline f32x4 with_sign_of(f32x4 t, f32x4 x) { return _mm_or_ps(t, _mm_and_ps(x, _mm_set1_ps(-0.0f))); }
inline f32x4 round_nearest(f32x4 v) { return _mm_cvtepi32_ps(_mm_cvtps_epi32(v)); }
inline f32x4 exp2_int(f32x4 n) {
    return _mm_castsi128_ps(
        _mm_slli_epi32(_mm_add_epi32(_mm_cvttps_epi32(n), _mm_set1_epi32(127)), 23));
}
#else
struct f32x4 {
    float v[4];
};
inline f32x4 load(const float* p) { f32x4 r; std::memcpy(r.v, p, sizeof r.v); return r; }
inline void store(float* p, f32x4 a) { std::memcpy(p, a.v, sizeof a.v); }
inline f32x4 splat(float x) { return {{x, x, x, x}}; }
inline f32x4 load_splat(const float* p) { return splat(*p); }
#define GENLAB_SIMD_LANEWISE(name, expr)                                   \
    inline f32x4 name(f32x4 a, f32x4 b) {                                  \
        f32x4 r;                                                           \
        for (int i = 0; i < 4; ++i) r.v[i] = (expr);                       \
        return r;                                                          \
    }
GENLAB_SIMD_LANEWISE(add, a.v[i] + b.v[i])
GENLAB_SIMD_LANEWISE(sub, a.v[i] - b.v[i])
GENLAB_SIMD_LANEWISE(mul, a.v[i] * b.v[i])
GENLAB_SIMD_LANEWISE(div, a.v[i] / b.v[i])
GENLAB_SIMD_LANEWISE(min, a.v[i] < b.v[i] ? a.v[i] : b.v[i])
GENLAB_SIMD_LANEWISE(max, a.v[i] > b.v[i] ? a.v[i] : b.v[i])
#undef GENLAB_SIMD_LANEWISE
inline float sum(f32x4 a) { return (a.v[0] + a.v[1]) + (a.v[2] + a.v[3]); }
inline void transpose4(f32x4& r0, f32x4& r1, f32x4& r2, f32x4& r3) {
    f32x4* rows[4] = {&r0, &r1, &r2, &r3};
    for (int i = 0; i < 4; ++i)
        for (int j = i + 1; j < 4; ++j) {
            const float t = rows[i]->v[j];
            rows[i]->v[j] = rows[j]->v[i];
            rows[j]->v[i] = t;
        }
}
inline f32x4 sum4(f32x4 a, f32x4 b, f32x4 c, f32x4 d) {
    return {{(a.v[0] + a.v[2]) + (a.v[1] + a.v[3]), (b.v[0] + b.v[2]) + (b.v[1] + b.v[3]),
             (c.v[0] + c.v[2]) + (c.v[1] + c.v[3]), (d.v[0] + d.v[2]) + (d.v[1] + d.v[3])}};
}
inline f32x4 abs(f32x4 a) {
    f32x4 r;
    for (int i = 0; i < 4; ++i) r.v[i] = a.v[i] < 0 ? -a.v[i] : a.v[i];
    return r;
}
inline f32x4 with_sign_of(f32x4 t, f32x4 x) {
    f32x4 r;
    for (int i = 0; i < 4; ++i) r.v[i] = x.v[i] < 0 ? -t.v[i] : t.v[i];
    return r;
}
inline f32x4 round_nearest(f32x4 a) {
    f32x4 r;
    for (int i = 0; i < 4; ++i) r.v[i] = static_cast<float>(static_cast<int32_t>(a.v[i] + (a.v[i] >= 0 ? 0.5f : -0.5f)));
    return r;
}
inline f32x4 exp2_int(f32x4 n) {
    f32x4 r;
    for (int i = 0; i < 4; ++i) {
        const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n.v[i]) + 127) << 23;
        std::memcpy(&r.v[i], &bits, sizeof bits);
    }
    return r;
}
#endif

// e^x for x in [-87, 88] (clamped outside), relative error ~2e-7: x = n ln2 + r with |r| <=
// ln2/2 (ln2 split in two parts, Cody-Waite), e^r by a degree-6 polynomial (Cephes expf).
inline f32x4 exp(f32x4 x) {
    x = min(max(x, splat(-87.0f)), splat(88.0f));
    const f32x4 n = round_nearest(mul(x, splat(1.44269504088896341f)));
    f32x4 r = sub(x, mul(n, splat(0.693359375f)));
    r = sub(r, mul(n, splat(-2.12194440e-4f)));
    f32x4 p = splat(1.9875691500e-4f);
    p = add(mul(p, r), splat(1.3981999507e-3f));
    p = add(mul(p, r), splat(8.3334519073e-3f));
    p = add(mul(p, r), splat(4.1665795894e-2f));
    p = add(mul(p, r), splat(1.6666665459e-1f));
    p = add(mul(p, r), splat(5.0000001201e-1f));
    p = add(add(mul(mul(p, r), r), r), splat(1.0f));
    return mul(p, exp2_int(n));
}

// 1 / (1 + e^-x); saturates to 0 / 1 like the scalar nn::sigmoid.
inline f32x4 sigmoid(f32x4 x) { return div(splat(1.0f), add(splat(1.0f), exp(sub(splat(0.0f), x)))); }

// tanh x = sign(x) (1 - 2 / (e^{2|x|} + 1)); absolute error ~1e-7 everywhere.
inline f32x4 tanh(f32x4 x) {
    const f32x4 ax = abs(x);
    const f32x4 t = sub(splat(1.0f), div(splat(2.0f), add(exp(add(ax, ax)), splat(1.0f))));
    return with_sign_of(t, x);
}

}  // namespace nn::simd
