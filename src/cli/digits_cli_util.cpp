#include "cli/digits_cli_util.h"

#include "cli/raw_f32.h"
#include "io/idx.h"
#include "io/image_write.h"
#include "io/safetensors.h"

#include <cstdio>
#include <stdexcept>

namespace cli {

nn::Matrix load_mnist_matrix(bool train_split, std::vector<int>& labels, int64_t limit) {
    io::MnistSplit split =
        io::load_mnist_part(io::find_mnist_dir(), train_split ? io::MnistPart::Train : io::MnistPart::Test);
    int count = split.n;
    if (limit > 0 && limit < count) count = static_cast<int>(limit);
    labels.assign(split.labels.begin(), split.labels.begin() + count);
    return io::mnist_images_to_matrix(split, 0, count);
}

void write_digit_images(const std::string& path, const nn::Matrix& images, int cols) {
    auto ends_with = [&](const std::string& suffix) {
        return path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (is_raw_f32_path(path)) {
        write_raw_f32(path, images);
        return;
    }
    std::vector<uint8_t> bytes = io::floats_to_u8(images);
    if (ends_with(".bin")) {
        io::write_raw_bin(path, bytes);
        return;
    }
    io::GrayImage grid = io::make_grid(bytes, static_cast<int>(images.rows()), 28, 28, cols);
    if (ends_with(".png"))
        io::write_png(path, grid);
    else if (ends_with(".pgm"))
        io::write_pgm(path, grid);
    else
        throw std::invalid_argument("--out " + path + ": expected a .png, .pgm, .bin or .f32 file name");
}

void round_params_to_f16(const nn::ParamList& params) {
    for (nn::Param* p : params.params)
        for (Eigen::Index i = 0; i < p->value.size(); ++i)
            p->value.data()[i] = io::half_to_float(io::float_to_half(p->value.data()[i]));
}

void require_file(const std::string& path, const std::string& option, const std::string& how_to_make) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
        throw std::runtime_error(path + " not found (run from the repository root, pass " + option +
                                 " FILE, or create it with `" + how_to_make + "`)");
    std::fclose(f);
}

}  // namespace cli
