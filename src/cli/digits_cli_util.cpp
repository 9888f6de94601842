#include "cli/digits_cli_util.h"

#include "io/idx.h"
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
