#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace train {

float scheduled_learning_rate(const LrSchedule& s, int64_t step) {
    if (step < s.warmup_steps)
        return s.peak * (s.warmup_from + (1.0f - s.warmup_from) * float(step) / float(s.warmup_steps));
    if (s.decay_end <= s.decay_start) return s.peak;
    const double t = std::clamp(double(step - s.decay_start) / double(s.decay_end - s.decay_start),
                                0.0, 1.0);
    const double f = s.floor + (1.0 - s.floor) * 0.5 * (1.0 + std::cos(3.14159265358979 * t));
    return static_cast<float>(s.peak * f);
}

LrSchedule cosine_decay(float peak, float floor, int64_t decay_start, int64_t decay_end) {
    LrSchedule s;
    s.peak = peak;
    s.floor = floor;
    s.decay_start = decay_start;
    s.decay_end = decay_end;
    return s;
}

}  // namespace train
