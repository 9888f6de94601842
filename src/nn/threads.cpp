#include "nn/threads.h"

#include <Eigen/Core>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>

namespace nn {

int set_num_threads(int threads) {
    threads = std::max(threads, 1);
#ifdef _OPENMP
    Eigen::setNbThreads(threads);
    omp_set_num_threads(threads);
    return threads;
#else
    return 1;
#endif
}

int num_threads() {
#ifdef _OPENMP
    return Eigen::nbThreads();
#else
    return 1;
#endif
}

int available_threads() {
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

bool threads_supported() {
#ifdef _OPENMP
    return true;
#else
    return false;
#endif
}

}  // namespace nn
