#include "nn/threads.h"

#include <Eigen/Core>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <exception>
#include <vector>

namespace nn {

namespace {
int g_threads = 1;
}

int set_num_threads(int threads) {
#ifdef _OPENMP
    g_threads = std::max(threads, 1);
    Eigen::setNbThreads(1);  // one task per thread; never Eigen's own split as well
#else
    (void)threads;
    g_threads = 1;
#endif
    return g_threads;
}

int num_threads() { return g_threads; }

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

void parallel_for(int count, const std::function<void(int)>& task) {
    const int threads = std::min(g_threads, count);
    if (threads <= 1) {
        for (int i = 0; i < count; ++i) task(i);
        return;
    }
    std::vector<std::exception_ptr> errors(static_cast<size_t>(count));
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads(threads)
#endif
    for (int i = 0; i < count; ++i) {
        try {
            task(i);
        } catch (...) {
            errors[static_cast<size_t>(i)] = std::current_exception();
        }
    }
    for (const std::exception_ptr& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace nn
