// Step-based char-RNN trainer: truncated BPTT over B parallel streams of the training text.
// The text is cut into B contiguous pieces; step s feeds characters [p, p+T) of every piece
// (p = T * (s mod chunks_per_epoch)) with the recurrent state carried over from the previous
// chunk, so gradients flow T steps back while the state sees the whole piece. The state is
// zeroed at the start of every epoch (and after --resume). One call = one Adam step.
// Dimension legend: T = steps per chunk, B = streams (batch), V = vocabulary.
#pragma once

#include "models/char_rnn.h"
#include "nn/optim.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace train {

struct CharRnnTrainOptions {
    int steps = 64;          // T, truncated-BPTT length
    int batch = 32;          // B, parallel streams
    float lr = 2e-3f;
    float clip = 5.0f;       // global gradient-norm clip
    uint64_t seed = 1;
    // Cosine decay from lr to lr_min_fraction*lr over steps [schedule_start, total_steps);
    // total_steps 0 = constant lr. A resumed run may start a new schedule (a warm restart).
    int64_t total_steps = 0;
    int64_t schedule_start = 0;
    float lr_min_fraction = 0.05f;
    float dropout = 0;       // on embedding/between-layer/fc inputs; masks from (seed, step)
};

struct CharRnnTrainer {
    CharRnnTrainOptions options;
    nn::Adam adam;
    int64_t step = 0;
    std::vector<int> ids;          // the encoded training text
    int streams = 1, chunk = 1;    // effective B and T (smaller than asked for tiny texts)
    int64_t stream_length = 0;     // predictions per stream per epoch
    int64_t chunks_per_epoch = 1;
    models::CharRnnState state;
    models::CharRnnCache cache;
    std::vector<int> inputs, targets;  // [T*B]
};

struct CharRnnStepStats {
    float loss = 0;        // mean cross-entropy, nats per character
    float bits_per_char = 0;
    float grad_norm = 0;   // before clipping
    float lr = 0;
    int64_t step = 0;
    int epoch = 0;
};

// `train_text` is normalized text (io::normalize_text / a corpus); characters outside the
// model's vocabulary map to its fallback. Throws std::invalid_argument for texts shorter than
// 2 characters.
void char_rnn_trainer_init(CharRnnTrainer& trainer, const models::CharRnn& model,
                           const std::string& train_text, const CharRnnTrainOptions& options);
float char_rnn_learning_rate(const CharRnnTrainOptions& options, int64_t step);
CharRnnStepStats char_rnn_train_step(CharRnnTrainer& trainer, models::CharRnn& model);

void save_char_rnn_checkpoint(const std::string& path, const CharRnnTrainer& trainer,
                              models::CharRnn& model,
                              const std::map<std::string, std::string>& extra_metadata);
// Restores model, optimiser and step; the caller then calls char_rnn_trainer_init-like setup
// through this function with the same training text.
void load_char_rnn_checkpoint(const std::string& path, CharRnnTrainer& trainer,
                              models::CharRnn& model, const std::string& train_text);

}  // namespace train
