// DEFLATE decompression (RFC 1951) with zlib (RFC 1950) and gzip (RFC 1952) wrappers, so the
// Debian corpus (jargon.txt.gz) and gzipped MNIST files load without zlib, and tests can decode
// the PNGs that image_write.cpp produces. The decoder follows the structure of Mark Adler's
// puff.c: canonical Huffman codes decoded bit by bit, every length and distance range-checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace io {

// Decompresses a raw DEFLATE stream. Throws IoError naming `source` on malformed input or when
// the output would exceed max_output bytes. *consumed (if given) gets the input bytes used.
std::vector<uint8_t> inflate_raw(const uint8_t* data, size_t size, const std::string& source,
                                 size_t max_output, size_t* consumed = nullptr);

// A zlib stream (2-byte header, DEFLATE, big-endian Adler-32), as in PNG IDAT chunks.
std::vector<uint8_t> zlib_decompress(const std::vector<uint8_t>& data, const std::string& source,
                                     size_t max_output);

bool is_gzip(const std::vector<uint8_t>& data);  // starts with the magic 1f 8b

// All gzip members, concatenated; each member's CRC-32 and length are checked.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& data, const std::string& source,
                            size_t max_output);

}  // namespace io
