// GenLab: force-included (-include) before every wasm translation unit when Eigen's SSE path
// is compiled to wasm SIMD through emscripten's SSE emulation (-msimd128 -msse4.1).
//
// clang reports itself as GCC 4.2, so Eigen 3.4.0 sets EIGEN_COMP_GNUC = 42 and takes the
// inline-asm branch of pmin/pmax for Packet4f/Packet2d in arch/SSE/PacketMath.h ("minps" with
// an "x" register constraint, a workaround for a GCC < 6.3 bug), which wasm cannot assemble.
// Macros.h has an include guard, so including it first and re-defining EIGEN_COMP_GNUC as 0
// ("not GCC") makes Eigen use the _mm_min_ps/_mm_max_ps intrinsics; EIGEN_COMP_CLANG stays set,
// and EIGEN_GNUC_AT_LEAST() (which reads __GNUC__ itself) is unchanged, so GEBP's GCC >= 6
// register-spill asm stays off.
#pragma once
// Targets without Eigen on their include path (ImGui) skip it.
#if defined(__cplusplus) && __has_include(<Eigen/src/Core/util/Macros.h>)
#include <Eigen/src/Core/util/Macros.h>
#undef EIGEN_COMP_GNUC
#define EIGEN_COMP_GNUC 0
#endif
