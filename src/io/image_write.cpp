#include "io/image_write.h"

#include "io/file_bytes.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace io {

namespace {

void append_png_chunk(std::vector<uint8_t>& out, const char type[4], const std::vector<uint8_t>& data) {
    append_u32_be(out, uint32_t(data.size()));
    const size_t type_pos = out.size();
    out.insert(out.end(), type, type + 4);
    out.insert(out.end(), data.begin(), data.end());
    // The chunk CRC covers the type and the data, not the length.
    append_u32_be(out, uint32_t(::crc32(0, out.data() + type_pos, uInt(out.size() - type_pos))));
}

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

std::vector<uint8_t> zlib_store(const std::vector<uint8_t>& data) {
    std::vector<uint8_t> out = {0x78, 0x01};  // deflate, 32K window, no dictionary; 0x7801 % 31 == 0
    size_t pos = 0;
    do {
        const size_t len = std::min<size_t>(data.size() - pos, 65535);
        const bool last = pos + len == data.size();
        out.push_back(last ? 1 : 0);  // BFINAL, BTYPE = 00 (stored), then byte-aligned
        out.push_back(uint8_t(len & 0xFF));
        out.push_back(uint8_t(len >> 8));
        out.push_back(uint8_t(~len & 0xFF));
        out.push_back(uint8_t((~len >> 8) & 0xFF));
        out.insert(out.end(), data.begin() + ptrdiff_t(pos), data.begin() + ptrdiff_t(pos + len));
        pos += len;
    } while (pos < data.size());
    append_u32_be(out, uint32_t(::adler32(1, data.data(), uInt(data.size()))));
    return out;
}

std::vector<uint8_t> encode_png(const GrayImage& image) {
    check_image(image, "encode_png");
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    std::vector<uint8_t> out(signature, signature + 8);

    std::vector<uint8_t> ihdr;
    append_u32_be(ihdr, uint32_t(image.width));
    append_u32_be(ihdr, uint32_t(image.height));
    ihdr.push_back(8);  // bit depth
    ihdr.push_back(0);  // colour type 0: grayscale
    ihdr.push_back(0);  // compression: deflate
    ihdr.push_back(0);  // filter method 0
    ihdr.push_back(0);  // no interlace
    append_png_chunk(out, "IHDR", ihdr);

    // Each scanline is prefixed with its filter type; 0 = None.
    std::vector<uint8_t> scanlines;
    scanlines.reserve(size_t(image.height) * (size_t(image.width) + 1));
    for (int y = 0; y < image.height; ++y) {
        scanlines.push_back(0);
        auto row = image.pixels.begin() + ptrdiff_t(size_t(y) * size_t(image.width));
        scanlines.insert(scanlines.end(), row, row + image.width);
    }
    append_png_chunk(out, "IDAT", zlib_store(scanlines));
    append_png_chunk(out, "IEND", {});
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
