#include "train/char_rnn_trainer.h"

#include "io/safetensors.h"
#include "train/optim_checkpoint.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace train {

void char_rnn_trainer_init(CharRnnTrainer& trainer, const models::CharRnn& model,
                           const std::string& train_text, const CharRnnTrainOptions& options) {
    if (options.steps < 1 || options.batch < 1)
        throw std::invalid_argument("char-RNN trainer: steps and batch must be >= 1 (got " +
                                    std::to_string(options.steps) + ", " +
                                    std::to_string(options.batch) + ")");
    if (!(options.lr > 0.0f)) throw std::invalid_argument("char-RNN trainer: lr must be > 0");
    trainer = CharRnnTrainer{};
    trainer.options = options;
    trainer.adam.lr = options.lr;
    trainer.ids = model.vocab.encode(train_text);
    const int64_t n = static_cast<int64_t>(trainer.ids.size());
    if (n < 2)
        throw std::invalid_argument("char-RNN trainer: the training text has " + std::to_string(n) +
                                    " characters; paste at least 2 (a few thousand train well)");
    // Tiny texts: fewer streams first, then shorter chunks, so every stream has >= 1 chunk.
    trainer.streams = static_cast<int>(std::clamp<int64_t>((n - 1) / options.steps, 1, options.batch));
    trainer.stream_length = (n - 1) / trainer.streams;
    trainer.chunk = static_cast<int>(std::min<int64_t>(options.steps, trainer.stream_length));
    trainer.chunks_per_epoch = trainer.stream_length / trainer.chunk;
    models::char_rnn_reset(trainer.state, model, trainer.streams);
}

float char_rnn_learning_rate(const CharRnnTrainOptions& options, int64_t step) {
    if (options.total_steps <= options.schedule_start) return options.lr;
    const double t = std::clamp(double(step - options.schedule_start) /
                                    double(options.total_steps - options.schedule_start),
                                0.0, 1.0);
    const double f = options.lr_min_fraction +
                     (1.0 - options.lr_min_fraction) * 0.5 * (1.0 + std::cos(3.14159265358979 * t));
    return static_cast<float>(options.lr * f);
}

CharRnnStepStats char_rnn_train_step(CharRnnTrainer& trainer, models::CharRnn& model) {
    if (trainer.ids.empty())
        throw std::logic_error("char_rnn_train_step: call char_rnn_trainer_init first");
    const int T = trainer.chunk, B = trainer.streams;
    const int64_t chunk_index = trainer.step % trainer.chunks_per_epoch;
    if (chunk_index == 0) models::char_rnn_reset(trainer.state, model, B);
    const int64_t p = chunk_index * T;
    trainer.inputs.resize(static_cast<size_t>(T) * B);
    trainer.targets.resize(trainer.inputs.size());
    for (int t = 0; t < T; ++t)
        for (int b = 0; b < B; ++b) {
            const size_t i = static_cast<size_t>(b * trainer.stream_length + p + t);
            trainer.inputs[static_cast<size_t>(t) * B + b] = trainer.ids[i];
            trainer.targets[static_cast<size_t>(t) * B + b] = trainer.ids[i + 1];
        }
    nn::ParamList params = models::char_rnn_params(model);
    nn::zero_grad(params);
    nn::Rng dropout_rng(trainer.options.seed ^ 0xd50fULL, static_cast<uint64_t>(trainer.step));
    models::char_rnn_forward(trainer.cache, trainer.inputs, T, B, trainer.state, model, true,
                             trainer.options.dropout, &dropout_rng);
    CharRnnStepStats s;
    s.loss = models::char_rnn_loss(trainer.cache, trainer.targets, T, model, true);
    s.grad_norm = nn::clip_grad_norm(params, trainer.options.clip);
    s.lr = char_rnn_learning_rate(trainer.options, trainer.step);
    trainer.adam.lr = s.lr;
    nn::adam_step(trainer.adam, params);
    s.epoch = static_cast<int>(trainer.step / trainer.chunks_per_epoch);
    ++trainer.step;
    s.step = trainer.step;
    s.bits_per_char = s.loss / std::log(2.0f);
    return s;
}

void save_char_rnn_checkpoint(const std::string& path, const CharRnnTrainer& trainer,
                              models::CharRnn& model,
                              const std::map<std::string, std::string>& extra_metadata) {
    auto metadata = models::char_rnn_metadata(model, extra_metadata);
    const CharRnnTrainOptions& o = trainer.options;
    metadata["trainer.step"] = std::to_string(trainer.step);
    metadata["trainer.steps"] = std::to_string(o.steps);
    metadata["trainer.batch"] = std::to_string(o.batch);
    metadata["trainer.lr"] = std::to_string(o.lr);
    metadata["trainer.clip"] = std::to_string(o.clip);
    metadata["trainer.seed"] = std::to_string(o.seed);
    metadata["trainer.total_steps"] = std::to_string(o.total_steps);
    metadata["trainer.schedule_start"] = std::to_string(o.schedule_start);
    metadata["trainer.dropout"] = std::to_string(o.dropout);
    nn::ParamList params = models::char_rnn_params(model);
    CheckpointTensors tensors;
    add_adam_state(tensors, metadata, trainer.adam, params, "adam");
    nn::ParamList all = params;
    for (nn::Param* p : tensors.list.params) all.add(*p);
    io::save_safetensors(path, all, metadata, io::Dtype::F32);
}

void load_char_rnn_checkpoint(const std::string& path, CharRnnTrainer& trainer,
                              models::CharRnn& model, const std::string& train_text) {
    io::SafetensorsFile file = io::read_safetensors(path);
    models::CharRnnConfig config = models::char_rnn_config_from_metadata(file.metadata, path);
    io::Vocab vocab = models::char_rnn_vocab_from_metadata(file.metadata, path);
    models::char_rnn_init(model, config, vocab, 0);
    auto get = [&](const char* key) -> const std::string& {
        auto it = file.metadata.find(key);
        if (it == file.metadata.end())
            throw std::invalid_argument(path + ": no \"" + key +
                                        "\" in __metadata__; this is a weights file, not a checkpoint "
                                        "(--resume takes a file written by --checkpoint)");
        return it->second;
    };
    CharRnnTrainOptions o;
    o.steps = std::stoi(get("trainer.steps"));
    o.batch = std::stoi(get("trainer.batch"));
    o.lr = std::stof(get("trainer.lr"));
    o.clip = std::stof(get("trainer.clip"));
    o.seed = std::stoull(get("trainer.seed"));
    o.total_steps = std::stoll(get("trainer.total_steps"));
    auto start = file.metadata.find("trainer.schedule_start");
    o.schedule_start = start == file.metadata.end() ? 0 : std::stoll(start->second);
    auto dropout = file.metadata.find("trainer.dropout");  // absent before dropout existed
    o.dropout = dropout == file.metadata.end() ? 0.0f : std::stof(dropout->second);
    char_rnn_trainer_init(trainer, model, train_text, o);
    nn::ParamList params = models::char_rnn_params(model);
    io::LoadOptions load_options;
    load_options.allow_extra = true;  // the Adam moments
    io::load_params(file, params, load_options);
    restore_adam_state(trainer.adam, params, file, "adam");
    trainer.step = std::stoll(get("trainer.step"));
}

}  // namespace train
