#include "nn/rng.h"

#include <cmath>
#include <numeric>

namespace nn {

void Rng::reseed(uint64_t seed, uint64_t stream) {
    state = 0;
    inc = (stream << 1u) | 1u;
    has_spare_normal = false;
    next_u32();
    state += seed;
    next_u32();
}

uint32_t Rng::next_u32() {
    uint64_t old = state;
    state = old * 6364136223846793005ULL + inc;
    uint32_t xorshifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = static_cast<uint32_t>(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

float Rng::uniform() { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }

float Rng::uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }

// Box-Muller in double: libm's log/cos differ between glibc and musl (wasm) only in the last
// bits of a double, which the cast to float rounds away.
float Rng::normal() {
    if (has_spare_normal) {
        has_spare_normal = false;
        return static_cast<float>(spare_normal);
    }
    // u1 in (0, 1] so log(u1) is finite.
    double u1 = (static_cast<double>(next_u32()) + 1.0) * (1.0 / 4294967296.0);
    double u2 = static_cast<double>(next_u32()) * (1.0 / 4294967296.0);
    double radius = std::sqrt(-2.0 * std::log(u1));
    double angle = 6.283185307179586 * u2;
    spare_normal = radius * std::sin(angle);
    has_spare_normal = true;
    return static_cast<float>(radius * std::cos(angle));
}

uint32_t Rng::below(uint32_t n) {
    if (n <= 1) return 0;
    uint32_t threshold = (0u - n) % n;  // reject the low values that would bias the modulo
    for (;;) {
        uint32_t r = next_u32();
        if (r >= threshold) return r % n;
    }
}

void fill_uniform(Matrix& m, Rng& rng, float lo, float hi) {
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.uniform(lo, hi);
}

void fill_normal(Matrix& m, Rng& rng, float mean, float stddev) {
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = mean + stddev * rng.normal();
}

std::vector<int> permutation(int n, Rng& rng) {
    std::vector<int> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    for (int i = n - 1; i > 0; --i) {
        int j = static_cast<int>(rng.below(static_cast<uint32_t>(i + 1)));
        std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
    }
    return order;
}

}  // namespace nn
