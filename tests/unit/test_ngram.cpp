// Character n-gram baseline (interpolated Kneser-Ney): normalisation, sanity of the fit and of
// the order tuning.
#include <doctest/doctest.h>

#include "models/ngram.h"
#include "nn/rng.h"

#include <cmath>
#include <vector>

namespace {

std::vector<int> random_text(int n, int vocab, uint64_t seed) {
    nn::Rng rng(seed);
    std::vector<int> ids(static_cast<size_t>(n));
    // A Markov chain with a preferred successor so higher orders have something to learn.
    int prev = 0;
    for (auto& id : ids) {
        id = rng.uniform() < 0.7f ? (prev * 3 + 1) % vocab : static_cast<int>(rng.below(static_cast<uint32_t>(vocab)));
        prev = id;
    }
    return ids;
}

}  // namespace

TEST_CASE("ngram: every conditional distribution sums to 1 (seen and unseen contexts)") {
    const int V = 7;
    const std::vector<int> ids = random_text(3000, V, 1);
    for (int order = 1; order <= 5; ++order) {
        models::NgramModel m;
        models::ngram_fit(m, ids, V, order);
        nn::Rng rng(order);
        for (int trial = 0; trial < 20; ++trial) {
            std::vector<int> history(6);
            for (int& h : history) h = static_cast<int>(rng.below(V));
            double sum = 0;
            for (int w = 0; w < V; ++w) {
                const double p = models::ngram_probability(m, history.data(), 6, w);
                CHECK(p > 0.0);
                sum += p;
            }
            INFO("order " << order << " trial " << trial);
            CHECK(sum == doctest::Approx(1.0).epsilon(1e-9));
        }
    }
}

TEST_CASE("ngram: higher orders model a deterministic sequence; unseen characters get mass") {
    std::vector<int> ids;
    for (int i = 0; i < 2000; ++i) ids.push_back((i * i + i / 7) % 5);  // some structure
    std::vector<int> cycle;
    for (int i = 0; i < 3000; ++i) cycle.push_back(i % 4);  // 0 1 2 3 0 1 ...
    models::NgramModel uni, tri;
    models::ngram_fit(uni, cycle, 5, 1);
    models::ngram_fit(tri, cycle, 5, 3);
    const double bpc_uni = models::ngram_bits_per_char(uni, cycle);
    const double bpc_tri = models::ngram_bits_per_char(tri, cycle);
    CHECK(bpc_uni > 1.9);   // ~log2(4) plus the smoothing toward 5 symbols
    CHECK(bpc_tri < 0.05);  // fully predictable from one previous character
    const int h[2] = {0, 1};
    CHECK(models::ngram_probability(tri, h, 2, 4) > 0.0);  // id 4 never occurs: still > 0
    CHECK(models::ngram_probability(tri, h, 2, 2) > 0.99);
}

TEST_CASE("ngram: tuning picks the order that is best on held-out train text") {
    const std::vector<int> ids = random_text(20000, 6, 3);
    models::NgramModel m;
    models::NgramTuning t = models::ngram_fit_tuned(m, ids, 6, 1, 4);
    CHECK(t.order >= 2);  // the chain depends on the previous character
    for (int k = 1; k <= 4; ++k) CHECK(t.dev_bits_per_char[static_cast<size_t>(t.order)] <= t.dev_bits_per_char[static_cast<size_t>(k)]);
    CHECK(m.order == t.order);
    CHECK_THROWS_AS(models::ngram_fit(m, {0, 9}, 6, 2), std::invalid_argument);
    CHECK_THROWS_AS(models::ngram_fit(m, ids, 6, 8), std::invalid_argument);
}
