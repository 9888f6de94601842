// char-RNN: whole-model gradient checks (LSTM and GRU, 2 layers, carried state), training
// lowers the loss, sampling rules (greedy, temperature -> 0, top-k = 1, distributions sum to 1),
// out-of-vocabulary priming, vocabulary metadata round trip, and golden outputs of the shipped
// weights (native and wasm).
#include "gradcheck.h"

#include "io/safetensors.h"
#include "io/text_corpus.h"
#include "models/char_rnn.h"
#include "train/char_rnn_trainer.h"

#include <cmath>
#include <numeric>
#include <string>

using nn::Matrix;

namespace {

models::CharRnn tiny_model(const std::string& cell, int layers = 2, uint64_t seed = 3) {
    models::CharRnnConfig c;
    c.cell = cell;
    c.embed = 3;
    c.hidden = 4;
    c.layers = layers;
    models::CharRnn m;
    models::char_rnn_init(m, c, io::build_vocab("abcde\n"), seed);
    return m;
}

std::string source_path(const std::string& relative) {
    return std::string(GENLAB_SOURCE_DIR) + "/" + relative;
}

// dropout > 0: every forward uses the same masks (a fresh Rng with one seed), so the loss is a
// fixed function of the weights and the masks' backward is checked too.
void check_model_gradient(const std::string& cell, float dropout = 0) {
    models::CharRnn model = tiny_model(cell);
    const int T = 3, B = 2;
    const std::vector<int> warm = {0, 1, 2, 3, 4, 5}, ids = {5, 1, 2, 0, 4, 3},
                           targets = {1, 2, 0, 4, 3, 3};
    // A non-zero initial state, as in truncated BPTT after the first chunk.
    models::CharRnnState start;
    models::CharRnnCache warm_cache;
    models::char_rnn_forward(warm_cache, warm, T, B, start, model, false);
    REQUIRE(start.layers[0].h.cwiseAbs().sum() > 0.0f);
    nn::ParamList params = models::char_rnn_params(model);
    nn::zero_grad(params);
    models::CharRnnState state = start;
    models::CharRnnCache cache;
    nn::Rng rng(11);
    models::char_rnn_forward(cache, ids, T, B, state, model, true, dropout, &rng);
    if (dropout > 0) REQUIRE(cache.masks.size() == 3);  // embedding, between layers, fc input
    models::char_rnn_loss(cache, targets, T, model, true);
    auto loss = [&]() {
        models::CharRnnState s = start;
        models::CharRnnCache c;
        nn::Rng same_masks(11);
        models::char_rnn_forward(c, ids, T, B, s, model, false, dropout, &same_masks);
        return double(models::char_rnn_loss(c, targets, T, model, false));
    };
    gradcheck::Tolerance tol;
    tol.step = 1e-2f;
    tol.atol = 1e-3f;
    tol.rtol = 2e-2f;
    for (nn::Param* p : params.params) {
        Matrix analytic = p->grad;
        gradcheck::require_gradient(cell + " " + p->name, p->value, analytic, loss, tol);
    }
}

}  // namespace

TEST_CASE("char_rnn: whole-model gradient check, LSTM, 2 layers, carried state") {
    check_model_gradient("lstm");
}

TEST_CASE("char_rnn: whole-model gradient check, GRU, 2 layers, carried state") {
    check_model_gradient("gru");
}

TEST_CASE("char_rnn: whole-model gradient check with dropout masks, LSTM and GRU") {
    check_model_gradient("lstm", 0.3f);
    check_model_gradient("gru", 0.3f);
}

TEST_CASE("char_rnn: trainer dropout changes training, resume with dropout is exact") {
    const std::string text = "the quick brown fox jumps over the lazy dog\n";
    models::CharRnnConfig c;
    c.cell = "lstm";
    c.embed = 4;
    c.hidden = 6;
    c.layers = 1;
    auto run = [&](float dropout, int steps, models::CharRnn& model, train::CharRnnTrainer& trainer) {
        models::char_rnn_init(model, c, io::build_vocab(text), 5);
        train::CharRnnTrainOptions o;
        o.steps = 8;
        o.batch = 2;
        o.dropout = dropout;
        train::char_rnn_trainer_init(trainer, model, text, o);
        for (int i = 0; i < steps; ++i) train::char_rnn_train_step(trainer, model);
    };
    models::CharRnn plain, dropped;
    train::CharRnnTrainer t_plain, t_dropped;
    run(0.0f, 3, plain, t_plain);
    run(0.5f, 3, dropped, t_dropped);
    CHECK((plain.fc.weight.value - dropped.fc.weight.value).cwiseAbs().maxCoeff() > 0.0f);

    // Resume at an epoch boundary (where the trainer zeroes the state anyway) continues
    // exactly, including the dropout masks, which are keyed by (seed, step).
    while (t_dropped.step % t_dropped.chunks_per_epoch != 0) train::char_rnn_train_step(t_dropped, dropped);
    const std::string path = "/tmp/genlab_test_rnn_dropout.ckpt";
    train::save_char_rnn_checkpoint(path, t_dropped, dropped, {});
    models::CharRnn resumed;
    train::CharRnnTrainer t_resumed;
    train::load_char_rnn_checkpoint(path, t_resumed, resumed, text);
    CHECK(t_resumed.options.dropout == doctest::Approx(0.5f));
    for (int i = 0; i < 3; ++i) {
        train::char_rnn_train_step(t_dropped, dropped);
        train::char_rnn_train_step(t_resumed, resumed);
    }
    nn::ParamList a = models::char_rnn_params(dropped), b = models::char_rnn_params(resumed);
    for (size_t k = 0; k < a.params.size(); ++k) {
        INFO(a.params[k]->name);
        CHECK((a.params[k]->value - b.params[k]->value).cwiseAbs().maxCoeff() == 0.0f);
    }
    std::remove(path.c_str());
}

TEST_CASE("char_rnn: tensor names and shapes are PyTorch's") {
    models::CharRnn m = tiny_model("lstm");
    nn::ParamList p = models::char_rnn_params(m);
    REQUIRE(p.find("embed.weight") != nullptr);
    CHECK(p.find("embed.weight")->shape == std::vector<int64_t>{6, 3});
    CHECK(p.find("rnn.weight_ih_l0")->shape == std::vector<int64_t>{16, 3});
    CHECK(p.find("rnn.weight_hh_l1")->shape == std::vector<int64_t>{16, 4});
    CHECK(p.find("fc.weight")->shape == std::vector<int64_t>{6, 4});
    models::CharRnn g = tiny_model("gru", 1);
    CHECK(models::char_rnn_params(g).find("rnn.weight_ih_l0")->shape == std::vector<int64_t>{12, 3});
}

TEST_CASE("char_rnn: a few training steps lower the loss (tiny config, pasted text)") {
    for (const char* cell : {"lstm", "gru"}) {
        INFO(cell);
        const std::string text = "the cat sat on the mat. the cat ate the rat. ";
        std::string corpus;
        for (int i = 0; i < 8; ++i) corpus += text;
        models::CharRnnConfig c;
        c.cell = cell;
        c.embed = 8;
        c.hidden = 24;
        models::CharRnn model;
        models::char_rnn_init(model, c, io::build_vocab(corpus), 1);
        train::CharRnnTrainer trainer;
        train::CharRnnTrainOptions o;
        o.steps = 16;
        o.batch = 4;
        o.lr = 1e-2f;
        train::char_rnn_trainer_init(trainer, model, corpus, o);
        const double before = models::char_rnn_bits_per_char(model, corpus, 4, 32);
        for (int i = 0; i < 40; ++i) train::char_rnn_train_step(trainer, model);
        const double after = models::char_rnn_bits_per_char(model, corpus, 4, 32);
        INFO("bits/char before " << before << " after " << after);
        CHECK(after < 0.7 * before);
    }
}

TEST_CASE("char_rnn: the trainer adapts to tiny texts instead of failing") {
    models::CharRnn model = tiny_model("lstm", 1);
    train::CharRnnTrainer trainer;
    train::char_rnn_trainer_init(trainer, model, "abc", {});
    CHECK(trainer.streams == 1);
    CHECK(trainer.chunk == 2);
    for (int i = 0; i < 3; ++i) {
        train::CharRnnStepStats s = train::char_rnn_train_step(trainer, model);
        CHECK(std::isfinite(s.loss));
    }
    CHECK_THROWS_AS(train::char_rnn_trainer_init(trainer, model, "a", {}), std::invalid_argument);
}

TEST_CASE("char_rnn: priming with characters outside the vocabulary never throws") {
    models::CharRnn model = tiny_model("lstm");
    models::CharRnnState state;
    models::char_rnn_reset(state, model);
    nn::RowVector logits;
    CHECK_NOTHROW(logits = models::char_rnn_prime(state, "Zq\xc3\xa9\xe6\x97\xa5\xff\x01 ~\t", model));
    CHECK(logits.size() == 6);
    CHECK(logits.allFinite());
    CHECK_NOTHROW(models::generate_text(model, "\xf0\x9f\x98\x80 emoji", 10, 1.0f, 0, 1));
    CHECK(models::generate_text(model, "", 7, 1.0f, 0, 1).size() == 7);
}

TEST_CASE("char_rnn: next-character distributions sum to 1 and respect top-k") {
    nn::RowVector logits(6);
    logits << 0.5f, -1.0f, 2.0f, 2.0f, 0.0f, -3.0f;
    std::vector<float> p;
    for (float temperature : {0.3f, 1.0f, 2.5f})
        for (int k : {0, 2, 3, 6, 10}) {
            models::next_char_distribution(p, logits, temperature, k);
            const double sum = std::accumulate(p.begin(), p.end(), 0.0);
            CHECK(sum == doctest::Approx(1.0).epsilon(1e-6));
            const int nonzero = static_cast<int>(std::count_if(p.begin(), p.end(), [](float v) { return v > 0; }));
            CHECK(nonzero == (k == 0 || k > 6 ? 6 : k));
        }
    // Ties in greedy/top-k go to the lower id.
    models::next_char_distribution(p, logits, 0.0f, 0);
    CHECK(p[2] == 1.0f);
    models::next_char_distribution(p, logits, 1.0f, 1);
    CHECK(p[2] == 1.0f);
    models::next_char_distribution(p, logits, 1.0f, 0);
    CHECK(p[2] == doctest::Approx(p[3]));
    CHECK(p[2] > p[0]);
    nn::Rng rng(1);
    std::vector<float> one_hot = {0, 0, 1, 0};
    for (int i = 0; i < 20; ++i) CHECK(models::sample_char(one_hot, rng) == 2);
}

TEST_CASE("char_rnn: greedy is deterministic; temperature -> 0 and top-k = 1 equal greedy") {
    models::CharRnn model = tiny_model("gru", 1, 9);
    const std::string greedy = models::generate_text(model, "abc", 30, 0.0f, 0, 1);
    CHECK(greedy == models::generate_text(model, "abc", 30, 0.0f, 0, 999));
    CHECK(greedy == models::generate_text(model, "abc", 30, 1.0f, 1, 5));
    CHECK(greedy == models::generate_text(model, "abc", 30, 1e-4f, 0, 5));
    // Sampling at temperature 1 depends on the seed (and is reproducible for a fixed one).
    const std::string s1 = models::generate_text(model, "abc", 60, 1.5f, 0, 1);
    CHECK(s1 == models::generate_text(model, "abc", 60, 1.5f, 0, 1));
    CHECK(s1 != models::generate_text(model, "abc", 60, 1.5f, 0, 2));
}

TEST_CASE("char_rnn: vocabulary with newline, quotes and backslash survives save/load") {
    const std::string text = "say \"hi\"\\n\nok {x}";
    models::CharRnnConfig c;
    c.embed = 2;
    c.hidden = 3;
    models::CharRnn model;
    models::char_rnn_init(model, c, io::build_vocab(text), 4);
    auto bytes = io::serialize_safetensors(models::char_rnn_params(model),
                                           models::char_rnn_metadata(model, {}), io::Dtype::F16);
    models::CharRnn loaded;
    models::load_char_rnn(loaded, io::parse_safetensors(bytes, "memory"));
    CHECK(loaded.vocab.chars == model.vocab.chars);
    CHECK(loaded.config.vocab == model.config.vocab);
    // Without vocab_hex, the readable "vocab" field is used.
    auto meta = models::char_rnn_metadata(model, {});
    meta.erase("vocab_hex");
    CHECK(models::char_rnn_vocab_from_metadata(meta, "m").chars == model.vocab.chars);
    meta["model"] = "vae";
    CHECK_THROWS_WITH_AS(models::char_rnn_config_from_metadata(meta, "weights/vae16.safetensors"),
                         doctest::Contains("\"vae\" weights file, expected \"char_rnn\""),
                         std::invalid_argument);
}

struct RnnGolden {
    const char* file;
    const char* greedy;    // generate_text(model, "The hacker ", 40, 0, 0, 0)
    const char* sampled;   // generate_text(model, "The hacker ", 40, 0.8, 10, 7)
    float logits[4];       // logits after priming "hacker", ids 0, 1, 2, 3
};

TEST_CASE("char_rnn: golden outputs of the shipped weights (same natively and in wasm)") {
    const RnnGolden goldens[] = {
        {"weights/char_lstm.safetensors",
         "considered\nas a program that the standar",
         "pointers of\nthe end of denification, e.w",
         {1.560997f, 5.539429f, 0.6124417f, 0.5893212f}},
        {"weights/char_gru.safetensors",
         "than\nin the standard computer standards ",
         "than\nit. Theory has normally used to day",
         {6.128793f, 7.501542f, 2.165567f, 2.861652f}},
    };
    for (const RnnGolden& g : goldens) {
        INFO(g.file);
        models::CharRnn model;
        models::load_char_rnn(model, io::read_safetensors(source_path(g.file)));
        CHECK(models::generate_text(model, "The hacker ", 40, 0.0f, 0, 0) == g.greedy);
        CHECK(models::generate_text(model, "The hacker ", 40, 0.8f, 10, 7) == g.sampled);
        models::CharRnnState state;
        models::char_rnn_reset(state, model);
        nn::RowVector logits = models::char_rnn_prime(state, "hacker", model);
        for (int k = 0; k < 4; ++k) CHECK(logits(k) == doctest::Approx(g.logits[k]).epsilon(1e-4).scale(1.0));
    }
}
