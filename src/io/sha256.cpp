#include "io/sha256.h"

#include <algorithm>

namespace io {

namespace {

// FIPS 180-4 section 4.2.2: first 32 bits of the fractional parts of the cube roots of the
// first 64 primes.
constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

void compress(std::array<uint32_t, 8>& h, const uint8_t* p) {
    uint32_t w[64];
    for (int t = 0; t < 16; ++t)
        w[t] = (uint32_t(p[4 * t]) << 24) | (uint32_t(p[4 * t + 1]) << 16) |
               (uint32_t(p[4 * t + 2]) << 8) | uint32_t(p[4 * t + 3]);
    for (int t = 16; t < 64; ++t) {
        const uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        const uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int t = 0; t < 64; ++t) {
        const uint32_t t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                            kRound[t] + w[t];
        const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d;
    h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

}  // namespace

void sha256_init(Sha256& ctx) {
    // FIPS 180-4 section 5.3.3.
    ctx.state = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    ctx.used = 0;
    ctx.total_bytes = 0;
}

void sha256_update(Sha256& ctx, const uint8_t* data, size_t size) {
    ctx.total_bytes += size;
    while (size > 0) {
        if (ctx.used == 0 && size >= 64) {
            compress(ctx.state, data);
            data += 64;
            size -= 64;
            continue;
        }
        const size_t take = std::min(size, 64 - ctx.used);
        for (size_t i = 0; i < take; ++i) ctx.block[ctx.used + i] = data[i];
        ctx.used += take;
        data += take;
        size -= take;
        if (ctx.used == 64) {
            compress(ctx.state, ctx.block.data());
            ctx.used = 0;
        }
    }
}

std::array<uint8_t, 32> sha256_final(Sha256& ctx) {
    // Padding (section 5.1.1): 0x80, zeros to 56 mod 64, then the bit length big-endian.
    const uint64_t bits = ctx.total_bytes * 8;
    uint8_t pad[72] = {0x80};
    const size_t pad_len = (ctx.used < 56 ? 56 - ctx.used : 120 - ctx.used);
    for (int i = 0; i < 8; ++i) pad[pad_len + i] = uint8_t(bits >> (56 - 8 * i));
    const uint64_t saved = ctx.total_bytes;
    sha256_update(ctx, pad, pad_len + 8);
    ctx.total_bytes = saved;
    std::array<uint8_t, 32> digest{};
    for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 4; ++j) digest[4 * i + j] = uint8_t(ctx.state[i] >> (24 - 8 * j));
    return digest;
}

std::array<uint8_t, 32> sha256(const uint8_t* data, size_t size) {
    Sha256 ctx;
    sha256_init(ctx);
    sha256_update(ctx, data, size);
    return sha256_final(ctx);
}

std::string sha256_hex(const uint8_t* data, size_t size) {
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (uint8_t b : sha256(data, size)) {
        s += hex[b >> 4];
        s += hex[b & 15];
    }
    return s;
}

std::string sha256_hex(const std::vector<uint8_t>& bytes) { return sha256_hex(bytes.data(), bytes.size()); }

std::string sha256_hex(const std::string& text) {
    return sha256_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

}  // namespace io
