// Character n-gram baseline with interpolated Kneser-Ney smoothing (Kneser & Ney 1995; Chen &
// Goodman 1998, "An Empirical Study of Smoothing Techniques", eq. for interpolated KN):
//   P_k(w | h) = max(c_k(h w) - D_k, 0) / c_k(h .)  +  D_k N1+(h .) / c_k(h .) * P_{k-1}(w | h')
// where h' drops h's oldest character, c_N are raw counts at the top order N and c_k (k < N)
// continuation counts N1+(. h w); P_0 = 1/V. D_k = n1 / (n1 + 2 n2) from the count-of-counts
// of order k. A context never seen keeps the lower-order estimate.
// Characters are vocabulary ids < 256; n-grams up to order 7 are packed into a uint64 key.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace models {

struct NgramModel {
    int order = 0;   // N, 1..7
    int vocab = 0;   // V
    std::vector<double> discount;                                      // [N+1], index k = order
    std::vector<std::unordered_map<uint64_t, uint32_t>> counts;        // [N+1]: k-gram -> count
    struct Context {
        uint32_t total = 0;  // c_k(h .)
        uint32_t types = 0;  // N1+(h .)
    };
    std::vector<std::unordered_map<uint64_t, Context>> contexts;       // [N+1]: (k-1)-gram -> stats
};

// Counts `ids` (each in [0, vocab)). Throws std::invalid_argument for order outside 1..7,
// vocab outside 1..256 or an id out of range.
void ngram_fit(NgramModel& model, const std::vector<int>& ids, int vocab, int order);

// P(next | history), history = the preceding characters, oldest first (any length; only the
// last N-1 are used).
double ngram_probability(const NgramModel& model, const int* history, int history_length, int next);

// Bits per character over ids[1..n-1], each predicted from the characters before it.
double ngram_bits_per_char(const NgramModel& model, const std::vector<int>& ids);

struct NgramTuning {
    int order = 0;
    std::vector<double> dev_bits_per_char;  // [max_order+1], for orders min_order..max_order
};

// Picks the order in [min_order, max_order] with the lowest bits per char on the last
// `dev_fraction` of `train_ids` (fit on the rest), then refits that order on all of train_ids.
NgramTuning ngram_fit_tuned(NgramModel& model, const std::vector<int>& train_ids, int vocab,
                            int min_order = 2, int max_order = 7, double dev_fraction = 0.1);

}  // namespace models
