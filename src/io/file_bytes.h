// Whole-file reads and writes shared by every reader in src/io, and the base error type.
// Plain <cstdio> only, so the same code runs natively and under Emscripten (MEMFS/NODERAWFS).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace io {

// Every malformed input in src/io ends as one of these (or a subclass); the message names the
// file or in-memory source, what was expected, what was found and, where it helps, what to do.
struct IoError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Throws IoError naming `path` if the file cannot be opened or read, or is larger than max_bytes.
std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes = uint64_t(1) << 32);
void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes);

// Little/big-endian loads from a byte buffer; the caller checks bounds.
inline uint32_t load_u32_be(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
inline uint32_t load_u32_le(const uint8_t* p) {
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
inline uint64_t load_u64_le(const uint8_t* p) {
    return uint64_t(load_u32_le(p)) | (uint64_t(load_u32_le(p + 4)) << 32);
}
inline void append_u32_le(std::vector<uint8_t>& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
inline void append_u32_be(std::vector<uint8_t>& out, uint32_t v) {
    for (int i = 3; i >= 0; --i) out.push_back(uint8_t(v >> (8 * i)));
}
inline void append_u64_le(std::vector<uint8_t>& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

}  // namespace io
