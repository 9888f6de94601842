// Adam state inside a safetensors checkpoint, so `--resume FILE` continues exactly:
//   tensors "<prefix>.exp_avg.<param>" and "<prefix>.exp_avg_sq.<param>" (PyTorch's names for
//   Adam's m and v) for every trainable param, and metadata "<prefix>.step".
#pragma once

#include "nn/optim.h"
#include "nn/tensor.h"

#include <deque>
#include <map>
#include <string>

namespace io {
struct SafetensorsFile;
}

namespace train {

// Extra tensors for a checkpoint; `list` points into `owned` (a deque: stable addresses).
struct CheckpointTensors {
    std::deque<nn::Param> owned;
    nn::ParamList list;
};

// Appends copies of opt's moments for `params` (zeros before the first step).
void add_adam_state(CheckpointTensors& out, std::map<std::string, std::string>& metadata,
                    const nn::Adam& opt, const nn::ParamList& params, const std::string& prefix);
// Restores opt.step, opt.m and opt.v for `params` from a checkpoint written by add_adam_state.
// Throws std::runtime_error naming the file and tensor when something is missing or misshapen.
void restore_adam_state(nn::Adam& opt, const nn::ParamList& params,
                        const io::SafetensorsFile& file, const std::string& prefix);

}  // namespace train
