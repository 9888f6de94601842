#include "train/checkpoint.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <utility>

namespace train {

namespace {

const char* const kMomentNames[2] = {".exp_avg.", ".exp_avg_sq."};  // Adam's m, v

std::string found_text(const std::string& text) { return "\"" + text + "\""; }

}  // namespace

std::string exact_float_string(float value) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(value));
    return buf;
}

// --- settings -------------------------------------------------------------------------------

TrainerSettings& TrainerSettings::add(const char* key, Presence presence,
                                      std::function<void(CheckpointWriter&)> write,
                                      std::function<void(const CheckpointReader&)> read) {
    writers_.push_back(std::move(write));
    readers_.push_back([key, presence, read = std::move(read)](const CheckpointReader& in) {
        if (presence == Required || in.has(key)) read(in);
    });
    return *this;
}

TrainerSettings& TrainerSettings::real(const char* key, float& field, Presence presence) {
    return add(key, presence, [key, &field](CheckpointWriter& out) { out.set_float(key, field); },
               [key, &field](const CheckpointReader& in) { field = in.get_float(key); });
}

TrainerSettings& TrainerSettings::rate(const char* key, float& field) {
    return add(key, Required, [key, &field](CheckpointWriter& out) { out.set_float(key, field); },
               [key, &field](const CheckpointReader& in) { field = in.get_positive_float(key); });
}

template <class Int>
TrainerSettings& TrainerSettings::count(const char* key, Int& field, int64_t lo, int64_t hi, Presence presence) {
    return add(key, presence, [key, &field](CheckpointWriter& out) { out.set_int(key, field); },
               [=, &field](const CheckpointReader& in) { field = static_cast<Int>(in.get_int(key, lo, hi)); });
}
template TrainerSettings& TrainerSettings::count<int>(const char*, int&, int64_t, int64_t, Presence);
template TrainerSettings& TrainerSettings::count<int64_t>(const char*, int64_t&, int64_t, int64_t, Presence);

TrainerSettings& TrainerSettings::seed(const char* key, uint64_t& field) {
    return add(key, Required, [key, &field](CheckpointWriter& out) { out.set_u64(key, field); },
               [key, &field](const CheckpointReader& in) { field = in.get_u64(key); });
}

TrainerSettings& TrainerSettings::text(const char* key, std::function<std::string()> get,
                                       std::function<void(const std::string&)> set, Presence presence) {
    writers_.push_back([key, get](CheckpointWriter& out) { out.set_string(key, get()); });
    readers_.push_back([key, set, presence](const CheckpointReader& in) {
        if (presence == Optional && !in.has(key)) return;
        const std::string& value = in.get_string(key);
        try {
            set(value);
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(in.path() + ": " + key + " = " + found_text(value) + ": " + e.what());
        }
    });
    return *this;
}

void TrainerSettings::write(CheckpointWriter& out) const {
    for (const auto& w : writers_) w(out);
}

void TrainerSettings::read(const CheckpointReader& in) const {
    for (const auto& r : readers_) r(in);
}

// --- writer ---------------------------------------------------------------------------------

CheckpointWriter::CheckpointWriter(std::map<std::string, std::string> metadata, int64_t step,
                                   const TrainerSettings& settings)
    : metadata_(std::move(metadata)) {
    set_int("trainer.step", step);
    settings.write(*this);
}

void CheckpointWriter::set_float(const std::string& key, float value) {
    metadata_[key] = exact_float_string(value);
}
void CheckpointWriter::set_int(const std::string& key, int64_t value) {
    metadata_[key] = std::to_string(value);
}
void CheckpointWriter::set_u64(const std::string& key, uint64_t value) {
    metadata_[key] = std::to_string(value);
}
void CheckpointWriter::set_string(const std::string& key, const std::string& value) {
    metadata_[key] = value;
}
void CheckpointWriter::set_epoch_position(int64_t epoch, int cursor) {
    set_int("trainer.epoch", epoch);
    set_int("trainer.cursor", cursor);
}

void CheckpointWriter::add_params(const nn::ParamList& params) {
    for (nn::Param* p : params.params) list_.add(*p);
}

void CheckpointWriter::add_model(const nn::ParamList& params, const nn::Adam& opt,
                                 const std::string& prefix) {
    add_params(params);
    add_adam(opt, params, prefix);
}

void CheckpointWriter::add_adam(const nn::Adam& opt, const nn::ParamList& params,
                                const std::string& prefix) {
    set_int(prefix + ".step", opt.step);
    const bool have = opt.m.size() == params.params.size() && opt.v.size() == params.params.size();
    for (size_t k = 0; k < params.params.size(); ++k) {
        const nn::Param& p = *params.params[k];
        if (!p.trainable) continue;
        for (int which = 0; which < 2; ++which)
            add_tensor(prefix + kMomentNames[which] + p.name, p.shape,
                       have ? (which == 0 ? opt.m[k] : opt.v[k])
                            : nn::Matrix::Zero(p.value.rows(), p.value.cols()));
    }
}

void CheckpointWriter::add_ema(const nn::ParamList& params, const std::vector<nn::Matrix>& ema) {
    size_t k = 0;
    for (const nn::Param* p : params.params)
        if (p->trainable && k < ema.size()) add_tensor("ema." + p->name, p->shape, ema[k++]);
}

void CheckpointWriter::add_tensor(const std::string& name, const std::vector<int64_t>& shape,
                                  const nn::Matrix& value) {
    owned_.push_back(nn::Param{name, shape, value, nn::Matrix(), false});
    list_.add(owned_.back());
}

void CheckpointWriter::save(const std::string& path) const {
    io::save_safetensors(path, list_, metadata_, io::Dtype::F32);
}

// --- reader ---------------------------------------------------------------------------------

CheckpointReader::CheckpointReader(const std::string& path, const std::string& kind)
    : file_(io::read_safetensors(path)) {
    if (!has("trainer.step"))
        throw std::invalid_argument(path + ": not a " + kind + " checkpoint (no \"trainer.step\" in "
                                    "__metadata__); --resume takes a file written by --checkpoint, "
                                    "not a shipped weights file");
}

const std::string& CheckpointReader::get_string(const std::string& key) const {
    auto it = file_.metadata.find(key);
    if (it == file_.metadata.end())
        throw std::invalid_argument(path() + ": checkpoint has no \"" + key +
                                    "\" in __metadata__ (damaged, or written by another trainer?)");
    return it->second;
}

float CheckpointReader::get_float(const std::string& key) const {
    const std::string& text = get_string(key);
    char* end = nullptr;
    errno = 0;
    const float v = std::strtof(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || errno == ERANGE)
        throw std::invalid_argument(path() + ": checkpoint field \"" + key + "\" is " +
                                    found_text(text) + ", expected a finite number");
    return v;
}

float CheckpointReader::get_positive_float(const std::string& key) const {
    const float v = get_float(key);
    if (!(v > 0.0f))
        throw std::invalid_argument(path() + ": checkpoint field \"" + key + "\" is " +
                                    found_text(get_string(key)) +
                                    ", expected a number > 0 (checkpoints written with \"%f\" "
                                    "lost rates below 5e-7; resume from a newer checkpoint or "
                                    "start again)");
    return v;
}

int64_t CheckpointReader::get_int(const std::string& key, int64_t lo, int64_t hi) const {
    const std::string& text = get_string(key);
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || v < lo || v > hi)
        throw std::invalid_argument(path() + ": checkpoint field \"" + key + "\" is " +
                                    found_text(text) + ", expected an integer in [" +
                                    std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
}

uint64_t CheckpointReader::get_u64(const std::string& key) const {
    const std::string& text = get_string(key);
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || text[0] == '-' || end != text.c_str() + text.size() || errno == ERANGE)
        throw std::invalid_argument(path() + ": checkpoint field \"" + key + "\" is " +
                                    found_text(text) + ", expected an unsigned integer");
    return v;
}

void CheckpointReader::read_epoch_position(int64_t& epoch, int& cursor) const {
    epoch = get_int("trainer.epoch", 0, INT64_MAX);
    cursor = static_cast<int>(get_int("trainer.cursor", 0, 1 << 30));
}

void CheckpointReader::load_params(const nn::ParamList& params) const {
    io::LoadOptions options;
    options.allow_extra = true;  // the Adam moments and EMA weights
    io::load_params(file_, params, options);
}

bool CheckpointReader::read_tensor(const std::string& name, const std::vector<int64_t>& shape,
                                   nn::Matrix& out) const {
    const io::TensorInfo* info = file_.find(name);
    if (!info) return false;
    if (info->shape != shape)
        throw std::invalid_argument(path() + ": checkpoint tensor " + name + " has shape " +
                                    nn::shape_to_string(info->shape) + ", expected " +
                                    nn::shape_to_string(shape) +
                                    " (was it written with the same model config?)");
    const std::vector<float> data = file_.read_f32(*info);
    std::copy(data.begin(), data.end(), out.data());  // out is sized by the caller
    return true;
}

void CheckpointReader::load_model(const nn::ParamList& params, nn::Adam& opt,
                                  const std::string& prefix) const {
    load_params(params);
    restore_adam(opt, params, prefix);
}

std::vector<nn::Matrix> CheckpointReader::read_ema(const nn::ParamList& params) const {
    std::vector<nn::Matrix> ema;
    size_t trainable = 0;
    for (const nn::Param* p : params.params) {
        if (!p->trainable) continue;
        ++trainable;
        nn::Matrix m = p->value;
        if (read_tensor("ema." + p->name, p->shape, m)) ema.push_back(std::move(m));
    }
    if (!ema.empty() && ema.size() != trainable)
        throw std::invalid_argument(path() + ": checkpoint has " + std::to_string(ema.size()) + " of " +
                                    std::to_string(trainable) + " \"ema.*\" tensors (damaged file?)");
    return ema;
}

void CheckpointReader::restore_adam(nn::Adam& opt, const nn::ParamList& params,
                                    const std::string& prefix) const {
    opt.step = get_int(prefix + ".step", 0, INT64_MAX);
    opt.m.assign(params.params.size(), nn::Matrix());
    opt.v.assign(params.params.size(), nn::Matrix());
    for (size_t k = 0; k < params.params.size(); ++k) {
        const nn::Param& p = *params.params[k];
        opt.m[k] = nn::Matrix::Zero(p.value.rows(), p.value.cols());
        opt.v[k] = nn::Matrix::Zero(p.value.rows(), p.value.cols());
        if (!p.trainable) continue;
        for (int which = 0; which < 2; ++which) {
            const std::string name = prefix + kMomentNames[which] + p.name;
            if (!read_tensor(name, p.shape, which == 0 ? opt.m[k] : opt.v[k]))
                throw std::invalid_argument(path() + ": checkpoint tensor " + name +
                                            " is missing (was it written with the same model "
                                            "config?)");
        }
    }
}

}  // namespace train
