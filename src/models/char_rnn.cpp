#include "models/char_rnn.h"

#include "models/metadata_fields.h"
#include "nn/losses.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace models {

void char_rnn_check_config(const CharRnnConfig& c) {
    auto bad = [](const std::string& field, const std::string& v, const std::string& range) {
        throw std::invalid_argument("CharRnnConfig." + field + " = " + v + ", expected " + range);
    };
    if (c.cell != "lstm" && c.cell != "gru") bad("cell", "\"" + c.cell + "\"", "\"lstm\" or \"gru\"");
    if (c.vocab < 1 || c.vocab > 256) bad("vocab", std::to_string(c.vocab), "1..256");
    if (c.embed < 1 || c.embed > 4096) bad("embed", std::to_string(c.embed), "1..4096");
    if (c.hidden < 1 || c.hidden > 8192) bad("hidden", std::to_string(c.hidden), "1..8192");
    if (c.layers < 1 || c.layers > 4) bad("layers", std::to_string(c.layers), "1..4");
}

void char_rnn_init(CharRnn& model, const CharRnnConfig& config_in, const io::Vocab& vocab,
                   uint64_t seed) {
    CharRnnConfig config = config_in;
    if (config.vocab == 0) config.vocab = vocab.size();
    if (config.vocab != vocab.size())
        throw std::invalid_argument("char_rnn_init: config.vocab = " + std::to_string(config.vocab) +
                                    " but the vocabulary has " + std::to_string(vocab.size()) +
                                    " characters; leave config.vocab 0 to take the vocabulary's size");
    char_rnn_check_config(config);
    model = CharRnn{};
    model.config = config;
    model.vocab = vocab;
    nn::Rng rng(seed);
    nn::embedding_init(model.embed, "embed", config.vocab, config.embed, rng);
    for (int l = 0; l < config.layers; ++l) {
        const int in = l == 0 ? config.embed : config.hidden;
        if (config.cell == "lstm") {
            model.lstm.emplace_back();
            nn::lstm_init(model.lstm.back(), "rnn", l, in, config.hidden, rng);
            // Forget-gate bias 1 (Jozefowicz et al. 2015): the cell remembers from the start,
            // which speeds up early training. Rows [H, 2H) of bias_ih are the f gate.
            model.lstm.back().bias_ih.value.block(0, config.hidden, 1, config.hidden).setOnes();
        } else {
            model.gru.emplace_back();
            nn::gru_init(model.gru.back(), "rnn", l, in, config.hidden, rng);
        }
    }
    nn::linear_init(model.fc, "fc", config.hidden, config.vocab, rng);
}

nn::ParamList char_rnn_params(CharRnn& model) {
    nn::ParamList list;
    nn::embedding_params(model.embed, list);
    for (auto& layer : model.lstm) nn::recurrent_params(layer, list);
    for (auto& layer : model.gru) nn::recurrent_params(layer, list);
    nn::linear_params(model.fc, list);
    return list;
}

void char_rnn_reset(CharRnnState& state, const CharRnn& model, int batch) {
    state.layers.assign(static_cast<size_t>(model.config.layers), nn::RecurrentState{});
    for (auto& s : state.layers) {
        s.h = nn::Matrix::Zero(batch, model.config.hidden);
        s.c = nn::Matrix::Zero(batch, model.config.hidden);
    }
}

// What layer l (0..L-1) reads, and for l == L what fc reads: dropped copies under dropout.
static const nn::Matrix& layer_input(const CharRnnCache& cache, int l) {
    if (cache.dropout > 0) return cache.dropped[static_cast<size_t>(l)];
    return l == 0 ? cache.x : cache.h[static_cast<size_t>(l - 1)];
}

void char_rnn_forward(CharRnnCache& cache, const std::vector<int>& ids, int steps, int batch,
                      CharRnnState& state, const CharRnn& model, bool cache_for_backward,
                      float dropout, nn::Rng* rng) {
    if (static_cast<int64_t>(ids.size()) != int64_t(steps) * batch)
        throw std::invalid_argument("char_rnn_forward: " + std::to_string(ids.size()) +
                                    " ids, expected steps*batch = " + std::to_string(steps) + "*" +
                                    std::to_string(batch));
    if (dropout > 0 && !rng) throw std::invalid_argument("char_rnn_forward: dropout needs an rng");
    const int L = model.config.layers;
    if (static_cast<int>(state.layers.size()) != L) char_rnn_reset(state, model, batch);
    cache.ids = ids;
    cache.dropout = dropout;
    cache.dropped.resize(dropout > 0 ? static_cast<size_t>(L + 1) : 0);
    cache.masks.resize(cache.dropped.size());
    auto drop = [&](int l, const nn::Matrix& in) {
        if (dropout > 0)
            nn::dropout_forward(cache.dropped[static_cast<size_t>(l)],
                                cache.masks[static_cast<size_t>(l)], in, dropout, *rng);
    };
    nn::embedding_forward(cache.x, ids, model.embed);
    drop(0, cache.x);
    cache.h.resize(static_cast<size_t>(L));
    const bool lstm = model.config.cell == "lstm";
    if (lstm) cache.lstm.resize(static_cast<size_t>(L));
    else cache.gru.resize(static_cast<size_t>(L));
    for (int l = 0; l < L; ++l) {
        const nn::Matrix& in = layer_input(cache, l);
        if (lstm)
            nn::lstm_forward(cache.h[l], in, steps, model.lstm[l], state.layers[l],
                             cache_for_backward ? &cache.lstm[l] : nullptr);
        else
            nn::gru_forward(cache.h[l], in, steps, model.gru[l], state.layers[l],
                            cache_for_backward ? &cache.gru[l] : nullptr);
        drop(l + 1, cache.h[l]);
    }
    nn::linear_forward(cache.logits, layer_input(cache, L), model.fc);
}

void char_rnn_backward(CharRnnCache& cache, int steps, CharRnn& model) {
    const int L = model.config.layers;
    const bool lstm = model.config.cell == "lstm";
    nn::linear_backward(&cache.dh, cache.dlogits, layer_input(cache, L), model.fc);
    if (cache.dropout > 0) nn::dropout_backward(cache.dh, cache.dh, cache.masks[static_cast<size_t>(L)]);
    for (int l = L - 1; l >= 0; --l) {
        const nn::Matrix& in = layer_input(cache, l);
        if (lstm) nn::lstm_backward(&cache.dx, cache.dh, in, steps, model.lstm[l], cache.lstm[l]);
        else nn::gru_backward(&cache.dx, cache.dh, in, steps, model.gru[l], cache.gru[l]);
        if (cache.dropout > 0) nn::dropout_backward(cache.dx, cache.dx, cache.masks[static_cast<size_t>(l)]);
        std::swap(cache.dh, cache.dx);
    }
    nn::embedding_backward(cache.dh, cache.ids, model.embed);
}

float char_rnn_loss(CharRnnCache& cache, const std::vector<int>& targets, int steps,
                    CharRnn& model, bool backward) {
    if (static_cast<Eigen::Index>(targets.size()) != cache.logits.rows())
        throw std::invalid_argument("char_rnn_loss: " + std::to_string(targets.size()) +
                                    " targets for " + std::to_string(cache.logits.rows()) + " logits rows");
    const float scale = 1.0f / static_cast<float>(targets.size());
    const float loss = nn::softmax_cross_entropy(cache.logits, targets, scale,
                                                 backward ? &cache.dlogits : nullptr);
    if (backward) char_rnn_backward(cache, steps, model);
    return loss;
}

void char_rnn_step(nn::RowVector& logits, int char_id, CharRnnState& state, const CharRnn& model) {
    if (char_id < 0 || char_id >= model.config.vocab)
        throw std::out_of_range("char_rnn_step: character id " + std::to_string(char_id) +
                                " outside the vocabulary [0, " + std::to_string(model.config.vocab) + ")");
    CharRnnCache cache;
    char_rnn_forward(cache, {char_id}, 1, 1, state, model, false);
    logits = cache.logits.row(0);
}

nn::RowVector char_rnn_prime(CharRnnState& state, const std::string& text, const CharRnn& model) {
    nn::RowVector logits;
    for (int id : model.vocab.encode_user_text(text)) char_rnn_step(logits, id, state, model);
    return logits;
}

void next_char_distribution(std::vector<float>& probs, const nn::RowVector& logits,
                            float temperature, int top_k) {
    const int V = static_cast<int>(logits.size());
    if (V == 0) throw std::invalid_argument("next_char_distribution: empty logits");
    probs.assign(static_cast<size_t>(V), 0.0f);
    // Ids by logit, largest first, ties by lower id (a strict, deterministic order).
    std::vector<int> order(static_cast<size_t>(V));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return logits[a] > logits[b]; });
    if (!(temperature > 0.0f) || top_k == 1) {
        probs[static_cast<size_t>(order[0])] = 1.0f;
        return;
    }
    const int k = top_k <= 0 ? V : std::min(top_k, V);
    const double max_logit = logits[order[0]];
    double sum = 0;
    std::vector<double> w(static_cast<size_t>(k));
    for (int i = 0; i < k; ++i) {
        w[i] = std::exp((double(logits[order[i]]) - max_logit) / double(temperature));
        sum += w[i];
    }
    for (int i = 0; i < k; ++i) probs[static_cast<size_t>(order[i])] = static_cast<float>(w[i] / sum);
}

int sample_char(const std::vector<float>& probs, nn::Rng& rng) {
    if (probs.empty()) throw std::invalid_argument("sample_char: empty distribution");
    const double u = rng.uniform();
    double cumulative = 0;
    int last_nonzero = 0;
    for (size_t i = 0; i < probs.size(); ++i) {
        if (probs[i] <= 0.0f) continue;
        last_nonzero = static_cast<int>(i);
        cumulative += probs[i];
        if (u < cumulative) return static_cast<int>(i);
    }
    return last_nonzero;  // rounding left the total just below u
}

std::string generate_text(const CharRnn& model, const std::string& prime, int length,
                          float temperature, int top_k, uint64_t seed) {
    CharRnnState state;
    char_rnn_reset(state, model);
    nn::RowVector logits = char_rnn_prime(state, prime, model);
    if (logits.size() == 0) char_rnn_step(logits, model.vocab.id_of('\n'), state, model);
    nn::Rng rng(seed);
    std::vector<float> probs;
    std::string out;
    out.reserve(static_cast<size_t>(std::max(length, 0)));
    for (int i = 0; i < length; ++i) {
        next_char_distribution(probs, logits, temperature, top_k);
        const int id = sample_char(probs, rng);
        out.push_back(model.vocab.chars[static_cast<size_t>(id)]);
        if (i + 1 < length) char_rnn_step(logits, id, state, model);
    }
    return out;
}

double char_rnn_bits_per_char(const CharRnn& model, const std::string& text, int streams,
                              int chunk) {
    const std::vector<int> ids = model.vocab.encode(text);
    if (ids.size() < 2) throw std::invalid_argument("char_rnn_bits_per_char: text shorter than 2 characters");
    streams = std::max(1, std::min<int>(streams, static_cast<int>(ids.size() - 1)));
    const int64_t per_stream = static_cast<int64_t>(ids.size() - 1) / streams;  // predictions each
    CharRnnState state;
    char_rnn_reset(state, model, streams);
    CharRnnCache cache;
    double nats = 0;
    int64_t count = 0;
    std::vector<int> in, target;
    for (int64_t pos = 0; pos < per_stream; pos += chunk) {
        const int T = static_cast<int>(std::min<int64_t>(chunk, per_stream - pos));
        in.resize(static_cast<size_t>(T) * streams);
        target.resize(in.size());
        for (int t = 0; t < T; ++t)
            for (int b = 0; b < streams; ++b) {
                const int64_t i = b * per_stream + pos + t;
                in[static_cast<size_t>(t) * streams + b] = ids[static_cast<size_t>(i)];
                target[static_cast<size_t>(t) * streams + b] = ids[static_cast<size_t>(i + 1)];
            }
        char_rnn_forward(cache, in, T, streams, state, model, false);
        nats += nn::softmax_cross_entropy(cache.logits, target, 1.0f, nullptr);
        count += static_cast<int64_t>(in.size());
    }
    return nats / (double(count) * std::log(2.0));
}

static std::string to_hex(const std::string& s) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

static std::string from_hex(const std::string& hex, const std::string& source) {
    auto value = [&](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw std::invalid_argument(source + ": __metadata__ \"vocab_hex\" has a non-hex character '" +
                                    std::string(1, c) + "'");
    };
    if (hex.size() % 2 != 0)
        throw std::invalid_argument(source + ": __metadata__ \"vocab_hex\" has odd length " +
                                    std::to_string(hex.size()) + "; expected two hex digits per character");
    std::string out;
    for (size_t i = 0; i < hex.size(); i += 2)
        out.push_back(static_cast<char>(value(hex[i]) * 16 + value(hex[i + 1])));
    return out;
}

std::map<std::string, std::string> char_rnn_metadata(const CharRnn& model,
                                                     const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> m = extra;
    m["model"] = "char_rnn";
    m["format_version"] = "1";
    m["cell"] = model.config.cell;
    m["vocab_size"] = std::to_string(model.config.vocab);
    m["embed"] = std::to_string(model.config.embed);
    m["hidden"] = std::to_string(model.config.hidden);
    m["layers"] = std::to_string(model.config.layers);
    m["vocab_hex"] = to_hex(model.vocab.chars);
    m["vocab"] = model.vocab.chars;
    return m;
}

io::Vocab char_rnn_vocab_from_metadata(const std::map<std::string, std::string>& metadata,
                                       const std::string& source) {
    auto hex = metadata.find("vocab_hex");
    if (hex != metadata.end()) return io::vocab_from_chars(from_hex(hex->second, source), source);
    return io::vocab_from_chars(meta::require_string(metadata, "vocab", source), source);
}

CharRnnConfig char_rnn_config_from_metadata(const std::map<std::string, std::string>& metadata,
                                            const std::string& source) {
    meta::require_kind(metadata, "char_rnn", source);
    CharRnnConfig c;
    c.cell = meta::require_string(metadata, "cell", source);
    if (c.cell != "lstm" && c.cell != "gru")
        throw std::invalid_argument(source + ": __metadata__ \"cell\" is \"" + c.cell +
                                    "\", expected \"lstm\" or \"gru\"");
    c.vocab = meta::require_int(metadata, "vocab_size", source, 1, 256);
    c.embed = meta::require_int(metadata, "embed", source, 1, 4096);
    c.hidden = meta::require_int(metadata, "hidden", source, 1, 8192);
    c.layers = meta::require_int(metadata, "layers", source, 1, 4);
    return c;
}

void load_char_rnn(CharRnn& model, const io::SafetensorsFile& file) {
    CharRnnConfig config = char_rnn_config_from_metadata(file.metadata, file.source);
    io::Vocab vocab = char_rnn_vocab_from_metadata(file.metadata, file.source);
    if (vocab.size() != config.vocab)
        throw std::invalid_argument(file.source + ": the stored vocabulary has " +
                                    std::to_string(vocab.size()) + " characters but vocab_size is " +
                                    std::to_string(config.vocab) + "; the metadata is inconsistent");
    CharRnn loaded;
    char_rnn_init(loaded, config, vocab, 0);
    io::load_params(file, char_rnn_params(loaded));
    model = std::move(loaded);
}

}  // namespace models
