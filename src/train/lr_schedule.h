// The learning-rate schedule every trainer uses (VAE, char-RNN, diffusion, the browser's jobs):
//   steps [0, warmup_steps)          linear warm-up from warmup_from * peak to peak
//   steps [decay_start, decay_end]   cosine decay from peak to floor * peak
//                                    lr = peak * (floor + (1 - floor) * (1 + cos(pi t)) / 2),
//                                    t = (step - decay_start) / (decay_end - decay_start)
//   after decay_end                  floor * peak
// decay_end <= decay_start means no decay: a constant peak after the warm-up.
#pragma once

#include <cstdint>

namespace train {

struct LrSchedule {
    float peak = 1e-3f;
    int64_t warmup_steps = 0;
    float warmup_from = 0.1f;
    int64_t decay_start = 0;
    int64_t decay_end = 0;
    float floor = 0.05f;
};

float scheduled_learning_rate(const LrSchedule& schedule, int64_t step);

// Cosine decay from peak at decay_start to floor * peak at decay_end, no warm-up.
LrSchedule cosine_decay(float peak, float floor, int64_t decay_start, int64_t decay_end);

}  // namespace train
