// Helpers shared by the digit-model commands (gan_commands.cpp, classifier_commands.cpp).
#pragma once

#include "cli/cli.h"
#include "nn/tensor.h"

#include <string>
#include <vector>

namespace cli {

// MNIST train or test split as images [N, 784] in [0, 1] and labels; limit > 0 keeps the first
// `limit` images.
nn::Matrix load_mnist_matrix(bool train_split, std::vector<int>& labels, int64_t limit = 0);

// Writes digit images [N,784] in [0,1] by the extension of `path`: a grid .png/.pgm with `cols`
// columns, raw uint8 .bin, raw float32 .f32 (cli/raw_f32.h); else std::invalid_argument.
void write_digit_images(const std::string& path, const nn::Matrix& images, int cols);

// Rounds every value to the nearest IEEE half and back, i.e. what an F16 file will hold, so
// metrics can be measured for the shipped precision before the file is written.
void round_params_to_f16(const nn::ParamList& params);

// Throws a clear error when the weights file does not exist, naming the option that sets its
// path and what to run to make it.
void require_file(const std::string& path, const std::string& option, const std::string& how_to_make);

}  // namespace cli
