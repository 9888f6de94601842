// Raw float32 files: explicit inputs and outputs for comparing GenLab with another
// implementation of the same model (python/genlab_torch, the PyTorch twins).
// Format: little-endian IEEE float32, row-major [N, cols], no header; N = bytes / (4 * cols).
#pragma once

#include "cli/cli.h"
#include "nn/tensor.h"

#include <string>

namespace cli {

// Reads FILE as [N, cols]. Throws std::invalid_argument naming `option` (e.g. "--z") when the
// size is not a positive multiple of 4 * cols, when N > max_rows, or a value is not finite.
nn::Matrix read_raw_f32(const std::string& path, int cols, const std::string& option,
                        int64_t max_rows);
void write_raw_f32(const std::string& path, const nn::Matrix& m);
// `--z FILE` of the sample commands: the latents [N, latent] to decode instead of seeded ones.
// Sets n = N; a --n that disagrees is an error.
nn::Matrix read_z_option(const Args& args, int latent, int& n);
// True when `path` ends in ".f32" (the raw float32 output of the sample/forward commands).
bool is_raw_f32_path(const std::string& path);

}  // namespace cli
