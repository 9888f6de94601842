#include "io/inflate.h"

#include "io/checksum.h"
#include "io/file_bytes.h"

namespace io {

namespace {

constexpr int kMaxBits = 15;        // longest DEFLATE code
constexpr int kMaxLitLen = 286;     // literal/length codes in a dynamic block
constexpr int kMaxDist = 30;        // distance codes
constexpr int kFixedLitLen = 288;   // the fixed code defines 288 (two unused)

class BitReader {
public:
    BitReader(const uint8_t* data, size_t size, const std::string& source)
        : data_(data), size_(size), source_(source) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw IoError(source_ + ": corrupt compressed data: " + what + " (at byte " +
                      std::to_string(pos_) + " of " + std::to_string(size_) + ")");
    }

    // Next `need` bits (0..16), least significant bit first.
    uint32_t bits(int need) {
        uint32_t value = bit_buffer_;
        while (bit_count_ < need) {
            if (pos_ >= size_) fail("stream ends early");
            value |= uint32_t(data_[pos_++]) << bit_count_;
            bit_count_ += 8;
        }
        bit_buffer_ = value >> need;
        bit_count_ -= need;
        return value & ((1u << need) - 1);
    }

    void align_to_byte() {
        bit_buffer_ = 0;
        bit_count_ = 0;
    }
    size_t pos() const { return pos_; }
    size_t remaining() const { return size_ - pos_; }
    const uint8_t* here() const { return data_ + pos_; }
    void skip(size_t n) { pos_ += n; }

private:
    const uint8_t* data_;
    size_t size_;
    const std::string& source_;
    size_t pos_ = 0;
    uint32_t bit_buffer_ = 0;
    int bit_count_ = 0;
};

// Canonical Huffman code: count[len] codes of each length, symbols ordered by code.
struct Huffman {
    short count[kMaxBits + 1];
    short symbol[kFixedLitLen];
};

// Returns 0 for a complete code, > 0 for an incomplete one, < 0 for an over-subscribed one.
int build_huffman(Huffman& h, const short* length, int n) {
    for (int len = 0; len <= kMaxBits; ++len) h.count[len] = 0;
    for (int sym = 0; sym < n; ++sym) h.count[length[sym]]++;
    if (h.count[0] == n) return 0;
    int left = 1;
    for (int len = 1; len <= kMaxBits; ++len) {
        left <<= 1;
        left -= h.count[len];
        if (left < 0) return left;
    }
    short offsets[kMaxBits + 1];
    offsets[1] = 0;
    for (int len = 1; len < kMaxBits; ++len) offsets[len + 1] = short(offsets[len] + h.count[len]);
    for (int sym = 0; sym < n; ++sym)
        if (length[sym] != 0) h.symbol[offsets[length[sym]]++] = short(sym);
    return left;
}

int decode_symbol(BitReader& in, const Huffman& h) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= kMaxBits; ++len) {
        code |= int(in.bits(1));
        int count = h.count[len];
        if (code - count < first) return h.symbol[index + (code - first)];
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    in.fail("invalid Huffman code");
}

const short kLengthBase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                               31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
const short kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
const short kDistBase[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,
                             33,  49,  65,  97,  129, 193,  257,  385,  513,  769,
                             1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
const short kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                              6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

void check_room(BitReader& in, const std::vector<uint8_t>& out, size_t add, size_t max_output) {
    if (out.size() + add > max_output)
        in.fail("output exceeds the limit of " + std::to_string(max_output) + " bytes");
}

// Decodes one Huffman-coded block; `start` is where this stream's output begins in `out`.
void inflate_codes(BitReader& in, const Huffman& litlen, const Huffman& dist,
                   std::vector<uint8_t>& out, size_t start, size_t max_output) {
    for (;;) {
        int symbol = decode_symbol(in, litlen);
        if (symbol < 256) {
            check_room(in, out, 1, max_output);
            out.push_back(uint8_t(symbol));
        } else if (symbol == 256) {
            return;
        } else {
            symbol -= 257;
            if (symbol >= 29) in.fail("invalid length code");
            size_t length = size_t(kLengthBase[symbol]) + in.bits(kLengthExtra[symbol]);
            symbol = decode_symbol(in, dist);
            if (symbol >= 30) in.fail("invalid distance code");
            size_t distance = size_t(kDistBase[symbol]) + in.bits(kDistExtra[symbol]);
            if (distance > out.size() - start) in.fail("distance points before the start");
            check_room(in, out, length, max_output);
            for (size_t k = 0; k < length; ++k) {
                uint8_t byte = out[out.size() - distance];
                out.push_back(byte);
            }
        }
    }
}

void inflate_stored(BitReader& in, std::vector<uint8_t>& out, size_t max_output) {
    in.align_to_byte();
    if (in.remaining() < 4) in.fail("stored block header cut off");
    const uint8_t* p = in.here();
    size_t len = size_t(p[0]) | (size_t(p[1]) << 8);
    size_t nlen = size_t(p[2]) | (size_t(p[3]) << 8);
    if (len != (~nlen & 0xFFFF)) in.fail("stored block length check failed");
    in.skip(4);
    if (in.remaining() < len) in.fail("stored block cut off");
    check_room(in, out, len, max_output);
    out.insert(out.end(), in.here(), in.here() + len);
    in.skip(len);
}

void inflate_fixed(BitReader& in, std::vector<uint8_t>& out, size_t start, size_t max_output) {
    static Huffman litlen, dist;
    static const bool built = [] {
        short lengths[kFixedLitLen];
        int sym = 0;
        for (; sym < 144; ++sym) lengths[sym] = 8;
        for (; sym < 256; ++sym) lengths[sym] = 9;
        for (; sym < 280; ++sym) lengths[sym] = 7;
        for (; sym < kFixedLitLen; ++sym) lengths[sym] = 8;
        build_huffman(litlen, lengths, kFixedLitLen);
        for (sym = 0; sym < kMaxDist; ++sym) lengths[sym] = 5;
        build_huffman(dist, lengths, kMaxDist);
        return true;
    }();
    (void)built;
    inflate_codes(in, litlen, dist, out, start, max_output);
}

void inflate_dynamic(BitReader& in, std::vector<uint8_t>& out, size_t start, size_t max_output) {
    static const short order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    int nlen = int(in.bits(5)) + 257;
    int ndist = int(in.bits(5)) + 1;
    int ncode = int(in.bits(4)) + 4;
    if (nlen > kMaxLitLen || ndist > kMaxDist) in.fail("too many length or distance codes");

    short lengths[kMaxLitLen + kMaxDist];
    int index = 0;
    for (; index < ncode; ++index) lengths[order[index]] = short(in.bits(3));
    for (; index < 19; ++index) lengths[order[index]] = 0;
    Huffman lencode, distcode;
    if (build_huffman(lencode, lengths, 19) != 0) in.fail("incomplete code-length code");

    index = 0;
    while (index < nlen + ndist) {
        int symbol = decode_symbol(in, lencode);
        if (symbol < 16) {
            lengths[index++] = short(symbol);
            continue;
        }
        short repeated = 0;
        int times;
        if (symbol == 16) {
            if (index == 0) in.fail("repeat with no previous length");
            repeated = lengths[index - 1];
            times = 3 + int(in.bits(2));
        } else if (symbol == 17) {
            times = 3 + int(in.bits(3));
        } else {
            times = 11 + int(in.bits(7));
        }
        if (index + times > nlen + ndist) in.fail("too many code lengths");
        while (times--) lengths[index++] = repeated;
    }
    if (lengths[256] == 0) in.fail("no end-of-block code");

    // Incomplete codes are only allowed when they have a single symbol (RFC 1951 3.2.7).
    int err = build_huffman(lencode, lengths, nlen);
    if (err < 0 || (err > 0 && nlen - lencode.count[0] != 1)) in.fail("bad literal/length code");
    err = build_huffman(distcode, lengths + nlen, ndist);
    if (err < 0 || (err > 0 && ndist - distcode.count[0] != 1)) in.fail("bad distance code");
    inflate_codes(in, lencode, distcode, out, start, max_output);
}

void inflate_into(BitReader& in, std::vector<uint8_t>& out, size_t max_output) {
    size_t start = out.size();
    bool last;
    do {
        last = in.bits(1) != 0;
        switch (in.bits(2)) {
            case 0: inflate_stored(in, out, max_output); break;
            case 1: inflate_fixed(in, out, start, max_output); break;
            case 2: inflate_dynamic(in, out, start, max_output); break;
            default: in.fail("invalid block type 3");
        }
    } while (!last);
}

}  // namespace

std::vector<uint8_t> inflate_raw(const uint8_t* data, size_t size, const std::string& source,
                                 size_t max_output, size_t* consumed) {
    BitReader in(data, size, source);
    std::vector<uint8_t> out;
    inflate_into(in, out, max_output);
    if (consumed) *consumed = in.pos();
    return out;
}

std::vector<uint8_t> zlib_decompress(const std::vector<uint8_t>& data, const std::string& source,
                                     size_t max_output) {
    if (data.size() < 6) throw IoError(source + ": zlib stream is " + std::to_string(data.size()) +
                                       " bytes, shorter than header + checksum (6)");
    unsigned cmf = data[0], flg = data[1];
    if ((cmf & 0x0F) != 8 || (cmf >> 4) > 7 || (cmf * 256 + flg) % 31 != 0)
        throw IoError(source + ": not a zlib stream (bad header bytes)");
    if (flg & 0x20) throw IoError(source + ": zlib preset dictionaries are not supported");
    size_t used = 0;
    std::vector<uint8_t> out = inflate_raw(data.data() + 2, data.size() - 2, source, max_output, &used);
    if (data.size() - 2 - used < 4) throw IoError(source + ": zlib stream is missing its Adler-32");
    uint32_t expected = load_u32_be(data.data() + 2 + used);
    uint32_t found = adler32(out.data(), out.size());
    if (expected != found) throw IoError(source + ": zlib Adler-32 mismatch (data corrupt)");
    return out;
}

bool is_gzip(const std::vector<uint8_t>& data) {
    return data.size() >= 2 && data[0] == 0x1F && data[1] == 0x8B;
}

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& data, const std::string& source,
                            size_t max_output) {
    std::vector<uint8_t> out;
    size_t pos = 0;
    auto fail = [&](const std::string& what) -> void {
        throw IoError(source + ": corrupt gzip file: " + what + " (at byte " + std::to_string(pos) + ")");
    };
    do {
        if (data.size() - pos < 18) fail("member shorter than header + trailer (18 bytes)");
        const uint8_t* h = data.data() + pos;
        if (h[0] != 0x1F || h[1] != 0x8B) fail("bad magic (expected 1f 8b)");
        if (h[2] != 8) fail("compression method " + std::to_string(h[2]) + ", expected 8 (deflate)");
        unsigned flags = h[3];
        if (flags & 0xE0) fail("reserved flag bits set");
        pos += 10;
        if (flags & 0x04) {  // FEXTRA
            if (data.size() - pos < 2) fail("extra field cut off");
            size_t xlen = size_t(data[pos]) | (size_t(data[pos + 1]) << 8);
            pos += 2;
            if (data.size() - pos < xlen) fail("extra field cut off");
            pos += xlen;
        }
        for (unsigned zero_terminated : {0x08u, 0x10u}) {  // FNAME, FCOMMENT
            if (!(flags & zero_terminated)) continue;
            while (pos < data.size() && data[pos] != 0) ++pos;
            if (pos >= data.size()) fail("file name or comment not terminated");
            ++pos;
        }
        if (flags & 0x02) pos += 2;  // FHCRC
        if (pos > data.size()) fail("header cut off");

        size_t start = out.size();
        size_t used = 0;
        std::vector<uint8_t> member = inflate_raw(data.data() + pos, data.size() - pos, source,
                                                  max_output - out.size(), &used);
        out.insert(out.end(), member.begin(), member.end());
        pos += used;
        if (data.size() - pos < 8) fail("trailer cut off");
        uint32_t expected_crc = load_u32_le(data.data() + pos);
        uint32_t expected_size = load_u32_le(data.data() + pos + 4);
        pos += 8;
        if (crc32(out.data() + start, out.size() - start) != expected_crc) fail("CRC-32 mismatch");
        if (uint32_t(out.size() - start) != expected_size) fail("length mismatch");
    } while (pos < data.size());
    return out;
}

}  // namespace io
