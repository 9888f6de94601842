#include "io/gzip.h"

#include "io/file_bytes.h"

#include <zlib.h>

#include <algorithm>

namespace io {

bool is_gzip(const std::vector<uint8_t>& data) {
    return data.size() >= 2 && data[0] == 0x1F && data[1] == 0x8B;
}

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& data, const std::string& source,
                            size_t max_output) {
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)  // 16 +: gzip wrapper only, not zlib/raw
        throw IoError(source + ": zlib inflateInit2 failed (out of memory?)");
    struct End {
        z_stream& zs;
        ~End() { inflateEnd(&zs); }
    } end{zs};
    auto fail = [&](const std::string& what) {
        throw IoError(source + ": corrupt gzip file: " + what + " (at byte " + std::to_string(zs.total_in) + " of " +
                      std::to_string(data.size()) + ")");
    };

    std::vector<uint8_t> out;
    size_t in_pos = 0;
    int rc = Z_OK;
    // avail_in/avail_out are 32-bit: feed and drain in pieces of at most 1 MiB.
    constexpr size_t kPiece = size_t(1) << 20;
    while (true) {
        if (zs.avail_in == 0 && in_pos < data.size()) {
            zs.next_in = const_cast<Bytef*>(data.data() + in_pos);
            zs.avail_in = uInt(std::min(kPiece, data.size() - in_pos));
            in_pos += zs.avail_in;
        }
        if (out.size() == max_output) {
            // Full: one more byte of output means the limit is exceeded.
            uint8_t probe = 0;
            zs.next_out = &probe;
            zs.avail_out = 1;
            rc = inflate(&zs, Z_NO_FLUSH);
            if (zs.avail_out == 0)
                throw IoError(source + ": gzip data decompresses to more than the limit of " +
                              std::to_string(max_output) + " bytes");
        } else {
            const size_t before = out.size();
            out.resize(before + std::min(kPiece, max_output - before));
            zs.next_out = out.data() + before;
            zs.avail_out = uInt(out.size() - before);
            rc = inflate(&zs, Z_NO_FLUSH);
            out.resize(out.size() - zs.avail_out);
        }
        if (rc == Z_STREAM_END) {
            // A member ended; gzip files may hold several, concatenated.
            if (zs.avail_in == 0 && in_pos == data.size()) break;
            if (inflateReset(&zs) != Z_OK) fail("cannot start the next member");
            continue;
        }
        if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_pos == data.size()) fail("data ends early (truncated file?)");
        if (rc != Z_OK && rc != Z_BUF_ERROR) fail(zs.msg ? zs.msg : "zlib error " + std::to_string(rc));
    }
    return out;
}

}  // namespace io
