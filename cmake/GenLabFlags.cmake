# Compiler and linker flags, in one place.
#
# Eigen's speed depends on the compile-time optimisation level: never -Os/-Oz when compiling
# (Eigen gets ~30x slower in wasm). Link-time -O3 only drives wasm-opt.

# Warnings for GenLab's own code only; third-party code (ImGui, SDL2, Eigen) is compiled
# without them or included as SYSTEM.
add_library(genlab_warnings INTERFACE)
target_compile_options(genlab_warnings INTERFACE -Wall -Wextra)

# Both builds: which GEMM every nn layer runs (src/nn/gemm.h) and whether the LSTM/GRU gate
# nonlinearities run four lanes at a time (src/nn/simd.h). Defaults: what measured best (README
# "Benchmark"): GenLab's kernels in wasm, Eigen natively (its SSE2 kernels are already there).
if(EMSCRIPTEN)
  set(GENLAB_GEMM_DEFAULT simd)
  set(GENLAB_SIMD_ACTIVATIONS_DEFAULT ON)
  set(GENLAB_FUSED_INFERENCE_DEFAULT ON)
  set(GENLAB_DECONV_CHUNK_DEFAULT 8)
else()
  # natively the defaults keep the numbers the tests' goldens were made with
  set(GENLAB_GEMM_DEFAULT eigen)
  set(GENLAB_SIMD_ACTIVATIONS_DEFAULT OFF)
  set(GENLAB_FUSED_INFERENCE_DEFAULT OFF)
  set(GENLAB_DECONV_CHUNK_DEFAULT 0)
endif()
set(GENLAB_GEMM "${GENLAB_GEMM_DEFAULT}" CACHE STRING "nn::gemm: simd (GenLab's kernels) or eigen")
option(GENLAB_SIMD_ACTIVATIONS "sigmoid/tanh (layers and LSTM/GRU gates) four lanes at a time"
       ${GENLAB_SIMD_ACTIVATIONS_DEFAULT})
option(GENLAB_FUSED_INFERENCE "GAN sampling with eval-mode BatchNorm + ReLU fused into the layer before"
       ${GENLAB_FUSED_INFERENCE_DEFAULT})
set(GENLAB_DECONV_CHUNK "${GENLAB_DECONV_CHUNK_DEFAULT}" CACHE STRING
    "ConvTranspose2d forward: samples per GEMM + col2im round (0 = the whole batch)")

if(EMSCRIPTEN)
  # -msimd128: ~2.7x on Eigen GEMM. Every browser GenLab targets has wasm SIMD.
  set(CMAKE_C_FLAGS_RELEASE "-O3 -DNDEBUG")
  set(CMAKE_CXX_FLAGS_RELEASE "-O3 -DNDEBUG")
  add_compile_options(-msimd128)
  add_link_options(-O3)
  # Performance levers (measured in README "Benchmark"; the defaults are what measured best).
  option(GENLAB_WASM_SSE "Eigen's SSE path through emscripten's SSE emulation (-msse4.1)" ON)
  set(GENLAB_WASM_EXCEPTIONS "js" CACHE STRING "C++ exceptions: js (-fexceptions) or wasm (-fwasm-exceptions)")
  option(GENLAB_WASM_LTO "-flto at compile and link time" OFF)
  set(GENLAB_WASM_MALLOC "dlmalloc" CACHE STRING "emscripten allocator: dlmalloc or emmalloc")
  if(GENLAB_WASM_SSE)
    # Eigen 3.4 vectorises with its SSE packets (wasm SIMD underneath) instead of none at all;
    # cmake/wasm-sse/ holds the two workarounds it needs (see the files).
    add_compile_options(-msse4.1
                        "SHELL:-isystem ${CMAKE_CURRENT_LIST_DIR}/wasm-sse"
                        "$<$<COMPILE_LANGUAGE:CXX>:SHELL:-include ${CMAKE_CURRENT_LIST_DIR}/wasm-sse/eigen_sse_wasm.h>")
  endif()
  # Errors are exceptions (bad weights, bad input); Debian's emcc disables catching by default,
  # which would turn every clear error message into an abort.
  if(GENLAB_WASM_EXCEPTIONS STREQUAL "wasm")
    add_compile_options(-fwasm-exceptions)
    add_link_options(-fwasm-exceptions)
  else()
    add_compile_options(-fexceptions)
    add_link_options(-fexceptions)
  endif()
  if(GENLAB_WASM_LTO)
    add_compile_options(-flto)
    add_link_options(-flto)
  endif()
  add_link_options(-sMALLOC=${GENLAB_WASM_MALLOC})
  if(GENLAB_SANITIZE)
    message(WARNING "GENLAB_SANITIZE is native only; ignored for the wasm build")
  endif()
  # Programs run under node (tests, benchmarks).
  set(GENLAB_WASM_NODE_LINK_OPTIONS
      -sALLOW_MEMORY_GROWTH=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node)
  # The bench page's module: an ES module factory, loaded by tests/bench/web/genlab.mjs.
  set(GENLAB_WASM_BENCH_LINK_OPTIONS
      -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=web -sMODULARIZE=1 -sEXPORT_ES6=1
      -sEXPORT_NAME=createGenlabBench -sFILESYSTEM=0
      "-sEXPORTED_FUNCTIONS=['_malloc','_free']"
      "-sEXPORTED_RUNTIME_METHODS=['UTF8ToString','HEAPF32','HEAPU8']")
  # The training worker's module (src/worker/): a factory createGenlabTrainWorker() for
  # importScripts in a dedicated worker; no main, no file system, no eval.
  set(GENLAB_WASM_WORKER_LINK_OPTIONS
      -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=worker -sMODULARIZE=1 -sEXPORT_NAME=createGenlabTrainWorker
      -sFILESYSTEM=0 -sDYNAMIC_EXECUTION=0 --no-entry
      "-sEXPORTED_FUNCTIONS=['_malloc','_free']"
      "-sEXPORTED_RUNTIME_METHODS=['UTF8ToString','stringToUTF8','lengthBytesUTF8','HEAPU8','HEAPF32']")
  # The browser app. The HTML shell (web/index.html) defines `Module` before loading the script.
  # DYNAMIC_EXECUTION=0: no eval / new Function in the JS, so the app runs under a strict
  # Content-Security-Policy without 'unsafe-eval' (embeds in course pages).
  set(GENLAB_WASM_APP_LINK_OPTIONS
      -sALLOW_MEMORY_GROWTH=1 -sUSE_WEBGL2=1 -sFULL_ES3=1 -sENVIRONMENT=web -sDYNAMIC_EXECUTION=0
      "-sEXPORTED_FUNCTIONS=['_main','_malloc','_free']"
      "-sEXPORTED_RUNTIME_METHODS=['ccall','cwrap','UTF8ToString','stringToUTF8','lengthBytesUTF8','HEAPU8','HEAPF32']")
else()
  # Portable native code: default x86-64 baseline (SSE2), no -march=native. Its Eigen kernels
  # are the ones the wasm build runs (SSE through wasm SIMD), so native and wasm agree.
  set(CMAKE_C_FLAGS_RELEASE "-O2 -DNDEBUG")
  set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG")
  # A training build for this machine's CPU (AVX2/AVX-512 Eigen kernels, ~3x the GEMM speed of
  # SSE2): cmake -S . -B build/native-arch -DGENLAB_NATIVE_ARCH=ON. Its numbers differ from the
  # portable build's in the last bits, so the tests' goldens are for the default build.
  option(GENLAB_NATIVE_ARCH "Native only: -O3 -march=native (training speed, not portable)" OFF)
  if(GENLAB_NATIVE_ARCH AND NOT GENLAB_SANITIZE)
    set(CMAKE_C_FLAGS_RELEASE "-O3 -march=native -DNDEBUG")
    set(CMAKE_CXX_FLAGS_RELEASE "-O3 -march=native -DNDEBUG")
  endif()
  if(GENLAB_SANITIZE)
    # Keep asserts (no NDEBUG) so Eigen's dimension checks fire alongside ASan/UBSan.
    set(CMAKE_C_FLAGS_RELEASE "-O1 -g")
    set(CMAKE_CXX_FLAGS_RELEASE "-O1 -g")
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                        -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
  endif()
endif()

# genlab_library(NAME GLOBS <patterns...> DEPS <targets...>)
# A STATIC library of the files matching GLOBS (relative to the source dir), or an INTERFACE
# library while none exist yet, so dependents link the same way in both cases. The include
# root is src/ ("nn/tensor.h").
function(genlab_library name)
  cmake_parse_arguments(ARG "" "" "GLOBS;DEPS" ${ARGN})
  set(patterns "")
  foreach(pattern IN LISTS ARG_GLOBS)
    list(APPEND patterns "${CMAKE_CURRENT_SOURCE_DIR}/${pattern}")
  endforeach()
  file(GLOB sources CONFIGURE_DEPENDS ${patterns})
  if(sources)
    add_library(${name} STATIC ${sources})
    target_include_directories(${name} PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/src")
    target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE genlab_warnings)
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE "${CMAKE_CURRENT_SOURCE_DIR}/src")
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
  endif()
endfunction()
