// gzip files (RFC 1952) through zlib, so the Debian corpus (jargon.txt.gz) and gzipped MNIST
// files load like plain ones. Both builds link zlib: natively Debian's zlib1g-dev, for wasm a
// copy built once from `apt-get source zlib` (emsdk-env.sh).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace io {

bool is_gzip(const std::vector<uint8_t>& data);  // starts with the magic 1f 8b

// All gzip members, concatenated (zlib checks each member's CRC-32 and length). Throws IoError
// naming `source` on malformed or truncated input, or when the output would exceed max_output.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& data, const std::string& source,
                            size_t max_output);

}  // namespace io
