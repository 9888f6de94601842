#include "io/image_write.h"

#include "io/file_bytes.h"

#include <zlib.h>

#include <cmath>
#include <cstdlib>

namespace {

// stb_image_write deflates with zlib (compress2 at stb's "quality", the PNG compression level)
// instead of its own encoder, which its notes put at 20-50% larger: the shipped 10x10 sample
// grids are 19-29 KB instead of 22-33 KB (stb's own, level 9) or 91.6 KB (stored blocks).
unsigned char* zlib_compress_for_stb(unsigned char* data, int length, int* out_length, int level) {
    uLongf size = compressBound(uLong(length));
    auto* out = static_cast<unsigned char*>(std::malloc(size));  // stb frees it with free()
    if (!out || compress2(out, &size, data, uLong(length), level) != Z_OK) {
        std::free(out);
        return nullptr;
    }
    *out_length = int(size);
    return out;
}

}  // namespace

// Debian's libstb-dev header (a system header, so its code is compiled without our warnings).
#define STBIW_ZLIB_COMPRESS zlib_compress_for_stb
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace io {

namespace {

void check_image(const GrayImage& image, const char* what) {
    if (image.width <= 0 || image.height <= 0 ||
        image.pixels.size() != size_t(image.width) * size_t(image.height))
        throw IoError(std::string(what) + ": image is " + std::to_string(image.width) + "x" +
                      std::to_string(image.height) + " with " + std::to_string(image.pixels.size()) +
                      " pixels; expected width, height > 0 and width*height pixels");
}

}  // namespace

uint8_t float_to_u8(float x) {
    if (!(x > 0.0f)) return 0;  // also NaN
    if (x >= 1.0f) return 255;
    return uint8_t(std::lround(x * 255.0f));
}

std::vector<uint8_t> floats_to_u8(const nn::Matrix& m) {
    std::vector<uint8_t> out(size_t(m.size()));
    const float* p = m.data();
    for (size_t i = 0; i < out.size(); ++i) out[i] = float_to_u8(p[i]);
    return out;
}

GrayImage make_grid(const std::vector<uint8_t>& images, int n, int rows, int cols, int grid_cols,
                    int padding, uint8_t background) {
    if (n <= 0 || rows <= 0 || cols <= 0 || grid_cols <= 0 || padding < 0 || rows > 65535 ||
        cols > 65535 || padding > 65535 || n > (1 << 24))
        throw IoError("make_grid: invalid layout n=" + std::to_string(n) + " rows=" + std::to_string(rows) +
                      " cols=" + std::to_string(cols) + " grid_cols=" + std::to_string(grid_cols) +
                      " padding=" + std::to_string(padding));
    if (images.size() != size_t(n) * size_t(rows) * size_t(cols))
        throw IoError("make_grid: got " + std::to_string(images.size()) + " pixel bytes, expected n*rows*cols = " +
                      std::to_string(size_t(n) * size_t(rows) * size_t(cols)));
    if (grid_cols > n) grid_cols = n;
    const int grid_rows = (n + grid_cols - 1) / grid_cols;
    const int64_t width = int64_t(grid_cols) * (cols + padding) + padding;
    const int64_t height = int64_t(grid_rows) * (rows + padding) + padding;
    if (width > 1 << 16 || height > 1 << 16 || width * height > (int64_t(1) << 28))
        throw IoError("make_grid: grid would be " + std::to_string(width) + "x" + std::to_string(height) +
                      " pixels; use fewer images or more columns");
    GrayImage grid;
    grid.width = int(width);
    grid.height = int(height);
    grid.pixels.assign(size_t(width * height), background);
    for (int i = 0; i < n; ++i) {
        const int64_t top = padding + int64_t(i / grid_cols) * (rows + padding);
        const int64_t left = padding + int64_t(i % grid_cols) * (cols + padding);
        const uint8_t* tile = images.data() + size_t(i) * size_t(rows) * size_t(cols);
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c)
                grid.pixels[size_t((top + r) * width + left + c)] = tile[size_t(r) * size_t(cols) + size_t(c)];
    }
    return grid;
}

std::vector<uint8_t> encode_png(const GrayImage& image) {
    check_image(image, "encode_png");
    stbi_write_png_compression_level = 9;  // zlib's best
    std::vector<uint8_t> out;
    auto append = [](void* context, void* data, int size) {
        auto& bytes = *static_cast<std::vector<uint8_t>*>(context);
        const auto* p = static_cast<const uint8_t*>(data);
        bytes.insert(bytes.end(), p, p + size);
    };
    // 1 component: 8-bit grayscale (colour type 0); rows are `width` bytes apart.
    if (!stbi_write_png_to_func(append, &out, image.width, image.height, 1, image.pixels.data(), image.width))
        throw IoError("encode_png: could not compress a " + std::to_string(image.width) + "x" +
                      std::to_string(image.height) + " image (out of memory?)");
    return out;
}

std::vector<uint8_t> encode_pgm(const GrayImage& image) {
    check_image(image, "encode_pgm");
    const std::string header = "P5\n" + std::to_string(image.width) + " " + std::to_string(image.height) + "\n255\n";
    std::vector<uint8_t> out(header.begin(), header.end());
    out.insert(out.end(), image.pixels.begin(), image.pixels.end());
    return out;
}

void write_png(const std::string& path, const GrayImage& image) { write_file_bytes(path, encode_png(image)); }
void write_pgm(const std::string& path, const GrayImage& image) { write_file_bytes(path, encode_pgm(image)); }
void write_raw_bin(const std::string& path, const std::vector<uint8_t>& images) { write_file_bytes(path, images); }

}  // namespace io
