// SHA-256 (FIPS 180-4), for weights/manifest.json and cache keys. Plain C++, same result
// natively and in wasm.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace io {

// Incremental hashing: sha256_init, any number of sha256_update, then sha256_final.
struct Sha256 {
    std::array<uint32_t, 8> state{};
    std::array<uint8_t, 64> block{};  // pending input, `used` bytes of it
    size_t used = 0;
    uint64_t total_bytes = 0;
};

void sha256_init(Sha256& ctx);
void sha256_update(Sha256& ctx, const uint8_t* data, size_t size);
std::array<uint8_t, 32> sha256_final(Sha256& ctx);

std::array<uint8_t, 32> sha256(const uint8_t* data, size_t size);
// Lower-case hex of the digest, e.g. sha256_hex("abc") starts "ba7816bf".
std::string sha256_hex(const uint8_t* data, size_t size);
std::string sha256_hex(const std::vector<uint8_t>& bytes);
std::string sha256_hex(const std::string& text);

}  // namespace io
