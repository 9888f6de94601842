// Threads for work that splits into independent tasks (e.g. the shards of a GAN training step,
// train/gan_trainer.h). The native build has OpenMP; the wasm build has no threads and runs the
// same tasks one after the other.
//
// Every program starts single-threaded: the benchmarks and the tests measure one core unless
// they opt in (`genlab train gan|cgan --threads N`). Eigen's own GEMM threading stays off
// (nn/tensor.cpp): its fine-grained synchronisation gained nothing on the shared 2-core machine,
// while one task per thread does.
//
// Determinism: parallel_for runs task i with the same inputs whatever the thread count, and
// callers combine the tasks' results in task order afterwards, so results are bit-for-bit the
// same for every thread count.
#pragma once

#include <functional>

namespace nn {

// Sets the number of threads for parallel_for (clamped to >= 1); returns the number in effect
// (always 1 in a build without OpenMP).
int set_num_threads(int threads);
int num_threads();
// The hardware's threads (OpenMP's default), 1 without OpenMP.
int available_threads();
// True in builds with OpenMP (the native one).
bool threads_supported();

// Calls task(0) ... task(count - 1), on up to num_threads() threads (static schedule: task i
// on thread i % threads). Tasks must not share mutable state. The first exception a task
// throws is rethrown here after all tasks ended.
void parallel_for(int count, const std::function<void(int)>& task);

}  // namespace nn
