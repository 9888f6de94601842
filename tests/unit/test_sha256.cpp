// sha256: FIPS 180-2 / NIST CSRC example vectors, and incremental updates across block
// boundaries giving the same digest as one call.
#include "io/sha256.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

TEST_CASE("sha256: FIPS test vectors") {
    CHECK(io::sha256_hex(std::string("abc")) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(io::sha256_hex(std::string("")) ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // 448 bits: the padding needs a second block.
    CHECK(io::sha256_hex(std::string("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(io::sha256_hex(std::string(1000000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256: incremental updates equal one-shot hashing") {
    std::vector<uint8_t> data(1000);
    for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + 3);
    const std::string expected = io::sha256_hex(data);
    for (size_t piece : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 200u}) {
        io::Sha256 ctx;
        io::sha256_init(ctx);
        for (size_t at = 0; at < data.size(); at += piece)
            io::sha256_update(ctx, data.data() + at, std::min(piece, data.size() - at));
        std::string hex;
        for (uint8_t b : io::sha256_final(ctx)) {
            const char* digits = "0123456789abcdef";
            hex += digits[b >> 4];
            hex += digits[b & 15];
        }
        INFO("piece size " << piece);
        CHECK(hex == expected);
    }
    // Lengths around the 55/56-byte padding edge differ from each other.
    CHECK(io::sha256_hex(data.data(), 55) != io::sha256_hex(data.data(), 56));
}
