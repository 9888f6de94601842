#include "models/ngram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace models {

// Key of the n-gram ids[i..i+k): 8 bits per character, newest in the lowest byte.
static uint64_t pack(const int* ids, int k) {
    uint64_t key = 0;
    for (int j = 0; j < k; ++j) key = (key << 8) | static_cast<uint64_t>(ids[j]);
    return key;
}

void ngram_fit(NgramModel& model, const std::vector<int>& ids, int vocab, int order) {
    if (order < 1 || order > 7)
        throw std::invalid_argument("ngram_fit: order " + std::to_string(order) + ", expected 1..7");
    if (vocab < 1 || vocab > 256)
        throw std::invalid_argument("ngram_fit: vocab " + std::to_string(vocab) + ", expected 1..256");
    for (int id : ids)
        if (id < 0 || id >= vocab)
            throw std::invalid_argument("ngram_fit: character id " + std::to_string(id) +
                                        " outside [0, " + std::to_string(vocab) + ")");
    model = NgramModel{};
    model.order = order;
    model.vocab = vocab;
    model.counts.resize(static_cast<size_t>(order) + 1);
    model.contexts.resize(static_cast<size_t>(order) + 1);
    model.discount.assign(static_cast<size_t>(order) + 1, 0.0);
    const int64_t n = static_cast<int64_t>(ids.size());
    // Top order: raw counts.
    auto& top = model.counts[static_cast<size_t>(order)];
    top.reserve(static_cast<size_t>(std::min<int64_t>(n, 4000000)));
    for (int64_t i = 0; i + order <= n; ++i) ++top[pack(ids.data() + i, order)];
    // Lower orders: continuation counts N1+(. w) = distinct left extensions seen at order k+1.
    // The very first k-gram of the text has no left extension; count it once so it is not lost.
    for (int k = order - 1; k >= 1; --k) {
        auto& lower = model.counts[static_cast<size_t>(k)];
        const uint64_t mask = (k == 8) ? ~0ull : ((1ull << (8 * k)) - 1);
        for (const auto& [key, count] : model.counts[static_cast<size_t>(k) + 1]) {
            (void)count;
            ++lower[key & mask];
        }
        if (n >= k) {
            const uint64_t first = pack(ids.data(), k);
            if (!lower.count(first)) lower[first] = 1;
        }
    }
    for (int k = 1; k <= order; ++k) {
        auto& ctx = model.contexts[static_cast<size_t>(k)];
        uint64_t n1 = 0, n2 = 0;
        for (const auto& [key, count] : model.counts[static_cast<size_t>(k)]) {
            NgramModel::Context& c = ctx[key >> 8];
            c.total += count;
            c.types += 1;
            n1 += count == 1;
            n2 += count == 2;
        }
        double d = (n1 + 2 * n2) > 0 ? double(n1) / double(n1 + 2 * n2) : 0.5;
        model.discount[static_cast<size_t>(k)] = std::clamp(d, 0.05, 0.95);
    }
}

double ngram_probability(const NgramModel& model, const int* history, int history_length, int next) {
    double p = 1.0 / model.vocab;
    for (int k = 1; k <= model.order; ++k) {
        const int ctx_len = k - 1;
        if (ctx_len > history_length) break;
        const uint64_t ctx_key = pack(history + history_length - ctx_len, ctx_len);
        const auto& contexts = model.contexts[static_cast<size_t>(k)];
        auto c = contexts.find(ctx_key);
        if (c == contexts.end()) break;  // unseen context: longer ones are unseen too
        const auto& counts = model.counts[static_cast<size_t>(k)];
        auto it = counts.find((ctx_key << 8) | static_cast<uint64_t>(next));
        const double count = it == counts.end() ? 0.0 : double(it->second);
        const double D = model.discount[static_cast<size_t>(k)];
        p = (std::max(count - D, 0.0) + D * c->second.types * p) / c->second.total;
    }
    return p;
}

double ngram_bits_per_char(const NgramModel& model, const std::vector<int>& ids) {
    if (ids.size() < 2) throw std::invalid_argument("ngram_bits_per_char: fewer than 2 characters");
    double bits = 0;
    for (size_t i = 1; i < ids.size(); ++i) {
        const int h = static_cast<int>(std::min<size_t>(i, static_cast<size_t>(model.order - 1)));
        bits -= std::log2(ngram_probability(model, ids.data() + i - h, h, ids[i]));
    }
    return bits / double(ids.size() - 1);
}

NgramTuning ngram_fit_tuned(NgramModel& model, const std::vector<int>& train_ids, int vocab,
                            int min_order, int max_order, double dev_fraction) {
    if (min_order < 1 || max_order > 7 || min_order > max_order)
        throw std::invalid_argument("ngram_fit_tuned: orders " + std::to_string(min_order) + ".." +
                                    std::to_string(max_order) + ", expected 1 <= min <= max <= 7");
    const size_t split = static_cast<size_t>(double(train_ids.size()) * (1.0 - dev_fraction));
    if (split < 2 || train_ids.size() - split < 2)
        throw std::invalid_argument("ngram_fit_tuned: text too short to hold out a dev part");
    const std::vector<int> fit(train_ids.begin(), train_ids.begin() + static_cast<long>(split));
    const std::vector<int> dev(train_ids.begin() + static_cast<long>(split), train_ids.end());
    NgramTuning tuning;
    tuning.dev_bits_per_char.assign(static_cast<size_t>(max_order) + 1, 0.0);
    double best = 1e30;
    for (int order = min_order; order <= max_order; ++order) {
        ngram_fit(model, fit, vocab, order);
        const double bpc = ngram_bits_per_char(model, dev);
        tuning.dev_bits_per_char[static_cast<size_t>(order)] = bpc;
        if (bpc < best) {
            best = bpc;
            tuning.order = order;
        }
    }
    ngram_fit(model, train_ids, vocab, tuning.order);
    return tuning;
}

}  // namespace models
