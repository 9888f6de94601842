// Deterministic, seedable random numbers: the same seed gives the same numbers natively and
// in wasm. No std::*_distribution (their algorithms differ between libstdc++ and libc++).
#pragma once

#include "nn/tensor.h"

#include <cstdint>

namespace nn {

// PCG32 (O'Neill, pcg-random.org, "pcg32_random_r"): 64-bit state, 32-bit output.
struct Rng {
    uint64_t state = 0;
    uint64_t inc = 1;
    bool has_spare_normal = false;
    double spare_normal = 0.0;

    explicit Rng(uint64_t seed = 0, uint64_t stream = 54) { reseed(seed, stream); }
    void reseed(uint64_t seed, uint64_t stream = 54);

    uint32_t next_u32();
    float uniform();                        // [0, 1), 24 random bits
    float uniform(float lo, float hi);      // [lo, hi)
    float normal();                         // N(0, 1), Box-Muller in double precision
    uint32_t below(uint32_t n);             // [0, n), unbiased
};

void fill_uniform(Matrix& m, Rng& rng, float lo, float hi);
void fill_normal(Matrix& m, Rng& rng, float mean = 0.f, float stddev = 1.f);
// Fisher-Yates shuffle of 0..n-1.
std::vector<int> permutation(int n, Rng& rng);

}  // namespace nn
