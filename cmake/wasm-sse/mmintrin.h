// GenLab: empty stand-in for the x86 MMX header in wasm builds with -msse4.1.
// Eigen 3.4's SSE path includes <mmintrin.h> (through <immintrin.h>); clang's own copy
// refuses non-x86 targets, and emscripten's SSE emulation (xmmintrin.h ... smmintrin.h) has no
// MMX. Nothing GenLab or Eigen uses needs MMX (__m64), so an empty header is enough.
#pragma once
