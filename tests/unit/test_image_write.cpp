// Image output: checksums against published values, float->byte rounding, grid layout, and
// PNG files checked chunk by chunk, with the pixels decoded back by a separate decoder
// (stb_image from Debian's libstb-dev; encode_png uses stb_image_write + zlib).
#include "io/image_write.h"
#include "io/file_bytes.h"

#include <doctest/doctest.h>
#include <zlib.h>

#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace {

std::vector<uint8_t> bytes_of(const char* s) { return std::vector<uint8_t>(s, s + std::strlen(s)); }

struct PngChunk {
    std::string type;
    std::vector<uint8_t> data;
    uint32_t stored_crc;
    uint32_t computed_crc;
};

// Splits a PNG into chunks after checking the signature; fails the test on a malformed layout.
std::vector<PngChunk> png_chunks(const std::vector<uint8_t>& png) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    REQUIRE(png.size() >= 8);
    REQUIRE(std::memcmp(png.data(), signature, 8) == 0);
    std::vector<PngChunk> chunks;
    size_t pos = 8;
    while (pos < png.size()) {
        REQUIRE(png.size() - pos >= 12);
        const uint32_t len = io::load_u32_be(png.data() + pos);
        REQUIRE(png.size() - pos - 12 >= len);
        PngChunk c;
        c.type.assign(png.begin() + ptrdiff_t(pos + 4), png.begin() + ptrdiff_t(pos + 8));
        c.data.assign(png.begin() + ptrdiff_t(pos + 8), png.begin() + ptrdiff_t(pos + 8 + len));
        c.stored_crc = io::load_u32_be(png.data() + pos + 8 + len);
        c.computed_crc = uint32_t(::crc32(0, png.data() + pos + 4, len + 4));
        chunks.push_back(c);
        pos += 12 + len;
    }
    return chunks;
}

// Decodes an 8-bit grayscale PNG after checking its chunk layout and CRCs.
io::GrayImage decode_png(const std::vector<uint8_t>& png) {
    std::vector<PngChunk> chunks = png_chunks(png);
    REQUIRE(chunks.size() >= 3);
    REQUIRE(chunks.front().type == "IHDR");
    REQUIRE(chunks.back().type == "IEND");
    for (const PngChunk& c : chunks) CHECK(c.stored_crc == c.computed_crc);
    CHECK(chunks[0].data[8] == 8);  // bit depth
    CHECK(chunks[0].data[9] == 0);  // colour type 0: grayscale
    int width = 0, height = 0, channels = 0;
    stbi_uc* pixels = stbi_load_from_memory(png.data(), int(png.size()), &width, &height, &channels, 0);
    REQUIRE_MESSAGE(pixels != nullptr, stbi_failure_reason());
    CHECK(channels == 1);
    io::GrayImage image;
    image.width = width;
    image.height = height;
    image.pixels.assign(pixels, pixels + size_t(width) * size_t(height));
    stbi_image_free(pixels);
    CHECK(width == int(io::load_u32_be(chunks[0].data.data())));
    CHECK(height == int(io::load_u32_be(chunks[0].data.data() + 4)));
    return image;
}

}  // namespace

TEST_CASE("image: the linked zlib's CRC-32 and Adler-32 match published check values") {
    // Also checks the wasm build's zlib (compiled from `apt-get source zlib` by emsdk-env.sh).
    const std::vector<uint8_t> digits = bytes_of("123456789");
    CHECK(::crc32(0, digits.data(), uInt(digits.size())) == 0xCBF43926u);
    CHECK(::crc32(::crc32(0, digits.data(), 4), digits.data() + 4, 5) == 0xCBF43926u);  // chained
    const std::vector<uint8_t> wiki = bytes_of("Wikipedia");
    CHECK(::adler32(1, wiki.data(), uInt(wiki.size())) == 0x11E60398u);
}

TEST_CASE("image: float_to_u8 clamps to [0, 1] and rounds x*255 to nearest") {
    CHECK(io::float_to_u8(0.0f) == 0);
    CHECK(io::float_to_u8(1.0f) == 255);
    CHECK(io::float_to_u8(-0.5f) == 0);
    CHECK(io::float_to_u8(7.0f) == 255);
    CHECK(io::float_to_u8(std::numeric_limits<float>::quiet_NaN()) == 0);
    CHECK(io::float_to_u8(std::numeric_limits<float>::infinity()) == 255);
    CHECK(io::float_to_u8(0.5f) == 128);  // 127.5 rounds away from zero
    CHECK(io::float_to_u8(1.0f / 255.0f) == 1);
    CHECK(io::float_to_u8(0.49f / 255.0f) == 0);
    CHECK(io::float_to_u8(0.51f / 255.0f) == 1);
    nn::Matrix m(2, 2);
    m << 0.0f, 1.0f, 0.2f, -3.0f;
    CHECK(io::floats_to_u8(m) == std::vector<uint8_t>{0, 255, 51, 0});
}

TEST_CASE("image: make_grid places tiles row by row with padding") {
    // Three 2x2 tiles filled with 10, 20, 30 in a grid of 2 columns, padding 1, background 255.
    std::vector<uint8_t> tiles = {10, 10, 10, 10, 20, 20, 20, 20, 30, 31, 32, 33};
    io::GrayImage grid = io::make_grid(tiles, 3, 2, 2, 2, 1, 255);
    CHECK(grid.width == 7);   // 1 + 2 + 1 + 2 + 1
    CHECK(grid.height == 7);  // two grid rows
    auto at = [&](int x, int y) { return grid.pixels[size_t(y * grid.width + x)]; };
    CHECK(at(0, 0) == 255);
    CHECK(at(1, 1) == 10);
    CHECK(at(2, 2) == 10);
    CHECK(at(3, 1) == 255);
    CHECK(at(4, 1) == 20);
    CHECK(at(1, 4) == 30);
    CHECK(at(2, 4) == 31);
    CHECK(at(1, 5) == 32);
    CHECK(at(2, 5) == 33);
    CHECK(at(4, 4) == 255);  // the empty fourth cell
    CHECK_THROWS_WITH_AS(io::make_grid(tiles, 4, 2, 2, 2), doctest::Contains("expected n*rows*cols = 16"),
                         io::IoError);
    CHECK_THROWS_AS(io::make_grid(tiles, 3, 2, 2, 0), io::IoError);
    CHECK(io::make_grid(tiles, 3, 2, 2, 10, 0).width == 6);  // columns capped at n
}

TEST_CASE("image: PNG has a valid signature, IHDR, CRCs and decodes to the same pixels") {
    io::GrayImage image;
    image.width = 5;
    image.height = 3;
    for (int i = 0; i < 15; ++i) image.pixels.push_back(uint8_t(i * 17));
    const std::vector<uint8_t> png = io::encode_png(image);
    std::vector<PngChunk> chunks = png_chunks(png);
    REQUIRE(chunks.size() == 3);
    CHECK(chunks[0].type == "IHDR");
    CHECK(chunks[0].data == std::vector<uint8_t>{0, 0, 0, 5, 0, 0, 0, 3, 8, 0, 0, 0, 0});
    CHECK(chunks[2].type == "IEND");
    CHECK(chunks[2].stored_crc == 0xAE426082u);  // the CRC every IEND chunk carries
    io::GrayImage back = decode_png(png);
    CHECK(back.width == 5);
    CHECK(back.height == 3);
    CHECK(back.pixels == image.pixels);
}

TEST_CASE("image: a large PNG decodes to the same pixels; digit-like grids compress") {
    std::vector<uint8_t> tiles(size_t(200) * 28 * 28);
    for (size_t i = 0; i < tiles.size(); ++i) tiles[i] = uint8_t((i * 7) ^ (i >> 5));
    io::GrayImage grid = io::make_grid(tiles, 200, 28, 28, 10, 2);
    REQUIRE(size_t(grid.width) * size_t(grid.height) > 65535 * 2);
    io::GrayImage back = decode_png(io::encode_png(grid));
    CHECK(back.pixels == grid.pixels);

    // Mostly background with strokes, like MNIST: well under a quarter of the raw bytes.
    for (size_t i = 0; i < tiles.size(); ++i) {
        const size_t x = i % 28, y = (i / 28) % 28;
        tiles[i] = (x > 10 && x < 16 && y > 4 && y < 24) ? uint8_t(255 - 9 * (x - 10)) : 0;
    }
    grid = io::make_grid(tiles, 200, 28, 28, 10, 2);
    const std::vector<uint8_t> png = io::encode_png(grid);
    MESSAGE("200 digit-like tiles: " << png.size() << " PNG bytes for " << grid.pixels.size() << " pixels");
    CHECK(png.size() < grid.pixels.size() / 4);
    CHECK(decode_png(png).pixels == grid.pixels);
}

TEST_CASE("image: the shipped sample grids in weights/ are compressed PNGs of digits") {
    for (const char* name : {"samples-gan.png", "samples-cgan.png", "samples-vae16.png",
                             "samples-diffusion16.png", "vae16-reconstructions.png", "latent-map-vae2.png"}) {
        INFO(std::string(name));
        const std::vector<uint8_t> png = io::read_file_bytes(std::string(GENLAB_SOURCE_DIR) + "/weights/" + name);
        const io::GrayImage image = decode_png(png);
        CHECK(png.size() < image.pixels.size() / 2);  // stored (uncompressed) blocks would be > 1x
    }
}

TEST_CASE("image: encode_png and encode_pgm reject inconsistent images") {
    io::GrayImage bad;
    bad.width = 4;
    bad.height = 4;
    bad.pixels.resize(15);
    CHECK_THROWS_WITH_AS(io::encode_png(bad), doctest::Contains("4x4 with 15 pixels"), io::IoError);
    CHECK_THROWS_AS(io::encode_pgm(bad), io::IoError);
}

TEST_CASE("image: PGM header and pixels; files written to disk") {
    io::GrayImage image;
    image.width = 3;
    image.height = 2;
    image.pixels = {0, 1, 2, 3, 4, 255};
    std::vector<uint8_t> pgm = io::encode_pgm(image);
    const std::string header = "P5\n3 2\n255\n";
    REQUIRE(pgm.size() == header.size() + 6);
    CHECK(std::string(pgm.begin(), pgm.begin() + ptrdiff_t(header.size())) == header);
    CHECK(pgm.back() == 255);

    io::write_png("genlab-test-tmp-image.png", image);
    io::write_pgm("genlab-test-tmp-image.pgm", image);
    io::write_raw_bin("genlab-test-tmp-image.bin", image.pixels);
    CHECK(io::read_file_bytes("genlab-test-tmp-image.png") == io::encode_png(image));
    CHECK(io::read_file_bytes("genlab-test-tmp-image.pgm") == pgm);
    CHECK(io::read_file_bytes("genlab-test-tmp-image.bin") == image.pixels);
    std::remove("genlab-test-tmp-image.png");
    std::remove("genlab-test-tmp-image.pgm");
    std::remove("genlab-test-tmp-image.bin");
}
