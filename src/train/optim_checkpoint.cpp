#include "train/optim_checkpoint.h"

#include "io/safetensors.h"

#include <stdexcept>

namespace train {

void add_adam_state(CheckpointTensors& out, std::map<std::string, std::string>& metadata,
                    const nn::Adam& opt, const nn::ParamList& params, const std::string& prefix) {
    metadata[prefix + ".step"] = std::to_string(opt.step);
    const bool have = opt.m.size() == params.params.size() && opt.v.size() == params.params.size();
    for (size_t k = 0; k < params.params.size(); ++k) {
        const nn::Param& p = *params.params[k];
        if (!p.trainable) continue;
        const char* names[2] = {".exp_avg.", ".exp_avg_sq."};
        for (int which = 0; which < 2; ++which) {
            out.owned.emplace_back();
            nn::Param& t = out.owned.back();
            t.name = prefix + names[which] + p.name;
            t.shape = p.shape;
            t.trainable = false;
            if (have)
                t.value = which == 0 ? opt.m[k] : opt.v[k];
            else
                t.value = nn::Matrix::Zero(p.value.rows(), p.value.cols());
            out.list.add(t);
        }
    }
}

void restore_adam_state(nn::Adam& opt, const nn::ParamList& params,
                        const io::SafetensorsFile& file, const std::string& prefix) {
    auto step = file.metadata.find(prefix + ".step");
    if (step == file.metadata.end())
        throw std::runtime_error(file.source + ": not a checkpoint (no \"" + prefix +
                                 ".step\" in __metadata__); --resume needs a file written by "
                                 "--checkpoint");
    opt.step = std::stoll(step->second);
    opt.m.assign(params.params.size(), nn::Matrix());
    opt.v.assign(params.params.size(), nn::Matrix());
    for (size_t k = 0; k < params.params.size(); ++k) {
        const nn::Param& p = *params.params[k];
        opt.m[k] = nn::Matrix::Zero(p.value.rows(), p.value.cols());
        opt.v[k] = nn::Matrix::Zero(p.value.rows(), p.value.cols());
        if (!p.trainable) continue;
        const char* names[2] = {".exp_avg.", ".exp_avg_sq."};
        for (int which = 0; which < 2; ++which) {
            const std::string name = prefix + names[which] + p.name;
            const io::TensorInfo* info = file.find(name);
            if (!info || info->shape != p.shape)
                throw std::runtime_error(file.source + ": checkpoint tensor " + name +
                                         (info ? " has shape " + nn::shape_to_string(info->shape) +
                                                     ", expected " + nn::shape_to_string(p.shape)
                                               : " is missing") +
                                         " (was it written with the same model config?)");
            std::vector<float> data = file.read_f32(*info);
            nn::Matrix& dst = which == 0 ? opt.m[k] : opt.v[k];
            std::copy(data.begin(), data.end(), dst.data());
        }
    }
}

}  // namespace train
