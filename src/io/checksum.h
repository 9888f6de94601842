// CRC-32 (ISO 3309 / PNG / gzip, reflected polynomial 0xEDB88320) and Adler-32 (RFC 1950, zlib).
#pragma once

#include <cstddef>
#include <cstdint>

namespace io {

// Pass the previous result as `crc` to continue over several buffers; start with 0.
// crc32("123456789") == 0xCBF43926.
uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

// Start with 1. adler32("Wikipedia") == 0x11E60398.
uint32_t adler32(const uint8_t* data, size_t size, uint32_t adler = 1);

}  // namespace io
