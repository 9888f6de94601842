// Grayscale image output: PNG (8-bit grayscale, written by stb_image_write from Debian's
// libstb-dev with zlib's deflate at level 9), binary PGM (P5), and raw .bin.
// Pixel convention everywhere: uint8, 0 = background (black), 255 = ink (white), as in MNIST.
#pragma once

#include "nn/tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace io {

struct GrayImage {
    int width = 0, height = 0;
    std::vector<uint8_t> pixels;  // [height, width] row-major
};

// Float pixel -> byte: clamp to [0, 1], then round(x * 255) with halves away from zero
// (std::lround). NaN becomes 0.
uint8_t float_to_u8(float x);
// Every element of `m` ([N, F] row-major, e.g. decoder output) in row-major order.
std::vector<uint8_t> floats_to_u8(const nn::Matrix& m);

// Tiles `n` images of rows x cols (stored back to back in `images`) into a grid with
// grid_cols columns and ceil(n / grid_cols) rows, `padding` pixels of `background` between
// tiles and around the border. Throws IoError if images.size() != n*rows*cols.
GrayImage make_grid(const std::vector<uint8_t>& images, int n, int rows, int cols, int grid_cols,
                    int padding = 2, uint8_t background = 0);

std::vector<uint8_t> encode_png(const GrayImage& image);
std::vector<uint8_t> encode_pgm(const GrayImage& image);  // "P5\n<w> <h>\n255\n" + pixels

void write_png(const std::string& path, const GrayImage& image);
void write_pgm(const std::string& path, const GrayImage& image);
// Raw images, N x rows x cols uint8 row-major, no header (the .bin sample format).
void write_raw_bin(const std::string& path, const std::vector<uint8_t>& images);

}  // namespace io
