// Shuffled sample order for epoch-based trainers. The permutation of an epoch depends only on
// (seed, epoch), so a resumed run sees the same batches as an uninterrupted one.
#pragma once

#include <cstdint>
#include <vector>

namespace train {

// Makes `order` (this epoch's permutation of 0..n-1) valid for a dataset of n samples and
// guarantees `batch` more indices from `cursor`, starting a new epoch (++epoch, cursor = 0)
// when the current one has too few left. `epoch` counts the passes started. After a resume
// (or a change of dataset size) the permutation of the epoch in progress is rebuilt.
void ensure_batch_available(std::vector<int>& order, int& cursor, int64_t& epoch, uint64_t seed,
                            int n, int batch);

}  // namespace train
