// Character-level language model (Karpathy's char-rnn): embedding -> LSTM or GRU (1..4 layers)
// -> Linear -> softmax over the vocabulary.
//
// Dimension legend: T = time steps, B = batch (parallel streams), V = vocabulary, E = embedding,
// Hd = hidden. Sequences are [T*B, F] matrices, row t*B + b = step t of stream b (see nn/rnn.h).
// Tensor names as a PyTorch module with embed = nn.Embedding(V, E), rnn = nn.LSTM(E, Hd,
// num_layers) (or nn.GRU), fc = nn.Linear(Hd, V): "embed.weight", "rnn.weight_ih_l0", ...,
// "fc.weight", "fc.bias". The vocabulary travels in the weights metadata as "vocab_hex" (two
// hex digits per character, robust to any JSON handling) and, readable, as "vocab".
#pragma once

#include "io/safetensors.h"
#include "io/text_corpus.h"
#include "nn/layers.h"
#include "nn/rng.h"
#include "nn/rnn.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace models {

struct CharRnnConfig {
    std::string cell = "lstm";  // "lstm" | "gru"
    int vocab = 0;              // V, must equal the vocabulary's size
    int embed = 32;             // E
    int hidden = 240;           // Hd (the shipped LSTM and GRU)
    int layers = 1;
};

struct CharRnn {
    CharRnnConfig config;
    io::Vocab vocab;
    nn::Embedding embed;            // [V, E]
    std::vector<nn::LSTM> lstm;     // used when cell == "lstm"
    std::vector<nn::GRU> gru;       // used when cell == "gru"
    nn::Linear fc;                  // Hd -> V
};

// Throws std::invalid_argument naming the field when a value is out of range.
void char_rnn_check_config(const CharRnnConfig& config);
// config.vocab is set from `vocab` when 0, else must match it.
void char_rnn_init(CharRnn& model, const CharRnnConfig& config, const io::Vocab& vocab,
                   uint64_t seed);
nn::ParamList char_rnn_params(CharRnn& model);

// Recurrent state of every layer, for batch B (1 for generation).
struct CharRnnState {
    std::vector<nn::RecurrentState> layers;
};
void char_rnn_reset(CharRnnState& state, const CharRnn& model, int batch = 1);

// Activations of one sequence forward pass, for backward.
struct CharRnnCache {
    std::vector<int> ids;                 // [T*B] inputs
    nn::Matrix x;                         // [T*B, E] embeddings
    std::vector<nn::Matrix> h;            // per layer [T*B, Hd] outputs
    // Dropout (training only, Zaremba et al. 2014: on the non-recurrent connections): input of
    // layer l after dropout = dropped[l] (l < L), fc input = dropped[L]; masks alike.
    float dropout = 0;
    std::vector<nn::Matrix> dropped, masks;
    std::vector<nn::LSTMCache> lstm;
    std::vector<nn::GRUCache> gru;
    nn::Matrix logits;                    // [T*B, V]
    nn::Matrix dlogits, dh, dx;           // backward scratch
};

// ids [T*B] -> cache.logits [T*B, V]; state carries across calls (truncated BPTT). With
// `cache_for_backward` false the per-step caches are skipped (evaluation). dropout > 0 (needs
// rng) drops the embedding, between-layer and fc inputs: for training only.
void char_rnn_forward(CharRnnCache& cache, const std::vector<int>& ids, int steps, int batch,
                      CharRnnState& state, const CharRnn& model, bool cache_for_backward,
                      float dropout = 0, nn::Rng* rng = nullptr);
// Accumulates parameter gradients from cache.dlogits (set by the caller, [T*B, V]).
void char_rnn_backward(CharRnnCache& cache, int steps, CharRnn& model);

// Mean cross-entropy (nats per character) of `targets` [T*B] under cache.logits; when
// `backward`, also writes cache.dlogits and accumulates gradients.
float char_rnn_loss(CharRnnCache& cache, const std::vector<int>& targets, int steps,
                    CharRnn& model, bool backward);

// One character in, next-character logits [1, V] out; advances the batch-1 state.
void char_rnn_step(nn::RowVector& logits, int char_id, CharRnnState& state, const CharRnn& model);
// Feeds `text` (any UTF-8; characters outside the vocabulary are mapped by the vocabulary's
// normalisation and fallback, never fatal). Returns the logits after the last character
// (empty when text is empty).
nn::RowVector char_rnn_prime(CharRnnState& state, const std::string& text, const CharRnn& model);

// softmax(logits / temperature) restricted to the top_k largest logits (top_k <= 0: all).
// temperature <= 0 or top_k == 1: greedy, a one-hot on the argmax (lowest id on ties).
void next_char_distribution(std::vector<float>& probs, const nn::RowVector& logits,
                            float temperature, int top_k);
// Inverse-CDF draw with one rng.uniform(); a one-hot distribution returns its id without
// depending on the draw.
int sample_char(const std::vector<float>& probs, nn::Rng& rng);

// Primes with `prime` (state starts from zero) then samples `length` characters; returns only
// the generated text. Deterministic in `seed`. With an empty prime, generation starts from
// '\n' (or the fallback character) as if at the start of a line.
std::string generate_text(const CharRnn& model, const std::string& prime, int length,
                          float temperature, int top_k, uint64_t seed);

// Bits per character of `text` (already-normalized), run as `streams` contiguous parallel
// pieces in chunks of `chunk` steps with the state carried. With streams = 1 every character
// after the first is predicted from all the text before it (how the n-gram baseline is scored);
// more streams are faster but each piece starts from a zero state.
double char_rnn_bits_per_char(const CharRnn& model, const std::string& text, int streams = 1,
                              int chunk = 256);

std::map<std::string, std::string> char_rnn_metadata(const CharRnn& model,
                                                     const std::map<std::string, std::string>& extra);
CharRnnConfig char_rnn_config_from_metadata(const std::map<std::string, std::string>& metadata,
                                            const std::string& source);
// The vocabulary stored in the metadata ("vocab_hex", else "vocab").
io::Vocab char_rnn_vocab_from_metadata(const std::map<std::string, std::string>& metadata,
                                       const std::string& source);
void load_char_rnn(CharRnn& model, const io::SafetensorsFile& file);

}  // namespace models
