// Threads for the matrix products. The native build compiles Eigen with OpenMP, so its GEMMs
// (and the few loops marked `omp parallel for`) can use every core when a program asks for it;
// the wasm build has no threads and these calls are no-ops there.
//
// Every program starts single-threaded (nn/tensor.cpp sets 1 before main): the benchmarks and
// the tests measure one core unless they opt in. `genlab train gan|cgan --threads N` opts in.
//
// Determinism: Eigen splits a product's result between threads and each element is summed in
// the same order every time, so a run is bit-for-bit repeatable for a given thread count. Two
// thread counts may differ in the last bits (Eigen's cache blocking depends on the count).
#pragma once

namespace nn {

// Sets the number of threads for later products (clamped to >= 1); returns the number in effect
// (always 1 in a build without OpenMP).
int set_num_threads(int threads);
int num_threads();
// The hardware's threads (OpenMP's default), 1 without OpenMP.
int available_threads();
// True in builds with OpenMP (the native one).
bool threads_supported();

}  // namespace nn
