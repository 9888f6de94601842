#include "train/char_rnn_trainer.h"

#include "train/checkpoint.h"
#include "train/lr_schedule.h"

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
    return scheduled_learning_rate(
        cosine_decay(options.lr, options.lr_min_fraction, options.schedule_start, options.total_steps), step);
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

// The char-RNN trainer's settings in a checkpoint (one list for saving and loading).
static TrainerSettings char_rnn_settings(CharRnnTrainOptions& o) {
    TrainerSettings s = common_settings(o);
    s.count("trainer.steps", o.steps, 1, 1 << 20).real("trainer.clip", o.clip);
    s.count("trainer.total_steps", o.total_steps, 0, INT64_MAX);
    s.count("trainer.schedule_start", o.schedule_start, 0, INT64_MAX, TrainerSettings::Optional);
    s.real("trainer.lr_min_fraction", o.lr_min_fraction, TrainerSettings::Optional);
    s.real("trainer.dropout", o.dropout, TrainerSettings::Optional);  // absent before dropout existed
    return s;
}

void save_char_rnn_checkpoint(const std::string& path, const CharRnnTrainer& trainer,
                              models::CharRnn& model,
                              const std::map<std::string, std::string>& extra_metadata) {
    CharRnnTrainOptions options = trainer.options;
    CheckpointWriter out(models::char_rnn_metadata(model, extra_metadata), trainer.step,
                         char_rnn_settings(options));
    out.add_model(models::char_rnn_params(model), trainer.adam, "adam");
    out.save(path);
}

void load_char_rnn_checkpoint(const std::string& path, CharRnnTrainer& trainer,
                              models::CharRnn& model, const std::string& train_text) {
    const CheckpointReader in(path, "char-RNN");
    models::CharRnnConfig config = models::char_rnn_config_from_metadata(in.metadata(), path);
    models::char_rnn_init(model, config, models::char_rnn_vocab_from_metadata(in.metadata(), path), 0);
    CharRnnTrainOptions options;
    char_rnn_settings(options).read(in);
    char_rnn_trainer_init(trainer, model, train_text, options);
    in.load_model(models::char_rnn_params(model), trainer.adam, "adam");
    trainer.step = in.step();
}

}  // namespace train
