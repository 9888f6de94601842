// Test input for the gzip readers: `data` as one gzip member, compressed by zlib's deflate.
#pragma once

#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>
#include <vector>

inline std::vector<uint8_t> gzip_compress(const std::vector<uint8_t>& data, int level = 9) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::vector<uint8_t> out(deflateBound(&zs, uLong(data.size())) + 32);  // + gzip header/trailer
    zs.next_in = const_cast<Bytef*>(data.data());
    zs.avail_in = uInt(data.size());
    zs.next_out = out.data();
    zs.avail_out = uInt(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    REQUIRE(rc == Z_STREAM_END);
    return out;
}
