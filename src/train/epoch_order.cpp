#include "train/epoch_order.h"

#include "nn/rng.h"

namespace train {

static std::vector<int> epoch_permutation(uint64_t seed, int64_t epoch, int n) {
    nn::Rng rng(seed, 1000 + static_cast<uint64_t>(epoch));
    return nn::permutation(n, rng);
}

void ensure_batch_available(std::vector<int>& order, int& cursor, int64_t& epoch, uint64_t seed,
                            int n, int batch) {
    const bool stale = static_cast<int>(order.size()) != n;
    if (stale && epoch > 0) order = epoch_permutation(seed, epoch - 1, n);
    if ((stale && epoch == 0) || cursor + batch > n) {
        order = epoch_permutation(seed, epoch, n);
        cursor = 0;
        ++epoch;
    }
}

}  // namespace train
