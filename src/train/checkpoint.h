// One checkpoint format for every trainer (GAN and cGAN, VAE, char-RNN, classifier, diffusion):
// a safetensors file with the model's params, the Adam moments, any extra tensors (EMA weights)
// and "trainer.*" settings in __metadata__, so `--resume FILE` continues exactly.
//   Adam: tensors "<prefix>.exp_avg.<param>" and "<prefix>.exp_avg_sq.<param>" (PyTorch's names
//   for m and v) for every trainable param, metadata "<prefix>.step".
//   Numbers: floats as "%.9g" (9 significant digits round-trip every float; `std::to_string`'s
//   "%f" wrote a learning rate of 4e-7 as "0.000000"), integers in decimal.
// The reader parses strictly: a missing key, trailing characters or a non-finite float is an
// error naming the file, the key and what was found.
#pragma once

#include "io/safetensors.h"
#include "nn/optim.h"
#include "nn/tensor.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace train {

// "%.9g": the shortest printf format that round-trips every float.
std::string exact_float_string(float value);

class CheckpointWriter;
class CheckpointReader;

// A trainer's settings as "trainer.*" metadata, declared once (key, field, range) and used for
// both writing and reading, so every setting that is saved is also restored, in the same format.
// Optional settings may be absent in checkpoints written before they existed: reading leaves
// the field as it is (the option struct's default).
class TrainerSettings {
public:
    enum Presence { Required, Optional };
    TrainerSettings& real(const char* key, float& field, Presence presence = Required);
    TrainerSettings& rate(const char* key, float& field);  // a learning rate: > 0
    // An integer in [lo, hi]; Int is int or int64_t (explicitly instantiated in checkpoint.cpp).
    template <class Int>
    TrainerSettings& count(const char* key, Int& field, int64_t lo, int64_t hi, Presence presence = Required);
    TrainerSettings& seed(const char* key, uint64_t& field);
    // A setting stored by name (an enum): `to_name` writes it, `from_name` reads it back and
    // throws std::invalid_argument for an unknown name (the reader adds file and key).
    template <class Enum>
    TrainerSettings& choice(const char* key, Enum& field, const char* (*to_name)(Enum),
                            Enum (*from_name)(const std::string&), Presence presence = Required) {
        return text(key, [&field, to_name] { return std::string(to_name(field)); },
                    [&field, from_name](const std::string& name) { field = from_name(name); }, presence);
    }
    TrainerSettings& text(const char* key, std::function<std::string()> get,
                          std::function<void(const std::string&)> set, Presence presence = Required);

    void write(CheckpointWriter& out) const;
    void read(const CheckpointReader& in) const;

private:
    // One setting: how it is written, and how it is read when present (or when Required).
    TrainerSettings& add(const char* key, Presence presence, std::function<void(CheckpointWriter&)> write,
                         std::function<void(const CheckpointReader&)> read);

    std::vector<std::function<void(CheckpointWriter&)>> writers_;
    std::vector<std::function<void(const CheckpointReader&)>> readers_;
};

// batch, lr and seed: the settings every trainer's options have. min_batch: the trainer's
// smallest usable batch (the GAN's discriminator needs 2).
template <class Options>
TrainerSettings common_settings(Options& options, int min_batch = 1) {
    TrainerSettings s;
    s.count("trainer.batch", options.batch, min_batch, 1 << 20).rate("trainer.lr", options.lr);
    s.seed("trainer.seed", options.seed);
    return s;
}

class CheckpointWriter {
public:
    // `metadata`: the model's own metadata (config, vocabulary, ...) plus whatever the caller
    // adds; `step` (the trainer's step count) becomes "trainer.step", `settings` the rest.
    CheckpointWriter(std::map<std::string, std::string> metadata, int64_t step,
                     const TrainerSettings& settings);

    void set_float(const std::string& key, float value);
    void set_int(const std::string& key, int64_t value);
    void set_u64(const std::string& key, uint64_t value);
    void set_string(const std::string& key, const std::string& value);
    // Where an epoch-based trainer (GAN, classifier) is in its data order: "trainer.epoch"
    // (passes started) and "trainer.cursor" (next position in this epoch's permutation).
    void set_epoch_position(int64_t epoch, int cursor);

    // The model's params (saved under their own names).
    void add_params(const nn::ParamList& params);
    // add_params + add_adam: a model and its optimiser.
    void add_model(const nn::ParamList& params, const nn::Adam& opt, const std::string& prefix);
    // Copies of opt's moments for `params` (zeros before the first step) + "<prefix>.step".
    void add_adam(const nn::Adam& opt, const nn::ParamList& params, const std::string& prefix);
    // "ema.<param>" for every trainable param of `params`, from `ema` (one matrix per trainable
    // param in list order; empty = no EMA yet, nothing written).
    void add_ema(const nn::ParamList& params, const std::vector<nn::Matrix>& ema);
    // A copy of an extra tensor.
    void add_tensor(const std::string& name, const std::vector<int64_t>& shape, const nn::Matrix& value);

    void save(const std::string& path) const;  // F32, so the moments stay exact

private:
    std::map<std::string, std::string> metadata_;
    std::deque<nn::Param> owned_;  // copies; a deque keeps their addresses stable for list_
    nn::ParamList list_;
};

class CheckpointReader {
public:
    // Reads `path`; throws std::invalid_argument when it has no "trainer.step" (a weights file,
    // not a checkpoint). `kind` ("GAN", "VAE", ...) goes into that message.
    CheckpointReader(const std::string& path, const std::string& kind);
    int64_t step() const { return get_int("trainer.step", 0, INT64_MAX); }

    const io::SafetensorsFile& file() const { return file_; }
    const std::map<std::string, std::string>& metadata() const { return file_.metadata; }
    const std::string& path() const { return file_.source; }
    bool has(const std::string& key) const { return file_.metadata.count(key) != 0; }

    // Required keys; throw std::invalid_argument naming the file and key.
    float get_float(const std::string& key) const;
    int64_t get_int(const std::string& key, int64_t lo, int64_t hi) const;
    uint64_t get_u64(const std::string& key) const;
    const std::string& get_string(const std::string& key) const;
    // A learning rate: a finite number > 0 (old "%f" checkpoints hold "0.000000" for 4e-7).
    float get_positive_float(const std::string& key) const;
    // Written by CheckpointWriter::set_epoch_position.
    void read_epoch_position(int64_t& epoch, int& cursor) const;

    // The model's params; the checkpoint's other tensors (moments, EMA) are allowed.
    void load_params(const nn::ParamList& params) const;
    // load_params + restore_adam.
    void load_model(const nn::ParamList& params, nn::Adam& opt, const std::string& prefix) const;
    // Restores opt.step, opt.m and opt.v for `params` (written by CheckpointWriter::add_adam).
    void restore_adam(nn::Adam& opt, const nn::ParamList& params, const std::string& prefix) const;
    // The EMA written by add_ema: empty when the checkpoint has none (the average starts at the
    // next step); throws when only some of the tensors are there or one is misshapen.
    std::vector<nn::Matrix> read_ema(const nn::ParamList& params) const;
    // An optional extra tensor: false when absent; throws when its shape is not `shape`.
    bool read_tensor(const std::string& name, const std::vector<int64_t>& shape, nn::Matrix& out) const;

private:
    io::SafetensorsFile file_;
};

}  // namespace train
