// LSTM and GRU: gradient checks through time, carried state, and a hand-computed step.
#include "gradcheck.h"

#include "nn/layers.h"
#include "nn/rnn.h"

using gradcheck::project;
using gradcheck::projection_like;
using gradcheck::random_matrix;
using gradcheck::require_gradient;
using nn::Matrix;

TEST_CASE("nn: LSTM one step matches the PyTorch equations (gate order i, f, g, o)") {
    nn::Rng rng(3);
    nn::LSTM lstm;
    nn::lstm_init(lstm, "lstm", 0, 2, 3, rng);
    CHECK(lstm.weight_ih.name == "lstm.weight_ih_l0");
    CHECK(lstm.weight_ih.shape == std::vector<int64_t>{12, 2});
    CHECK(lstm.weight_hh.shape == std::vector<int64_t>{12, 3});
    Matrix x = random_matrix(1, 2, 4);
    nn::RecurrentState state;
    state.h = random_matrix(1, 3, 5);
    state.c = random_matrix(1, 3, 6);
    Matrix h0 = state.h, c0 = state.c;
    Matrix h_seq;
    nn::lstm_forward(h_seq, x, 1, lstm, state, nullptr);
    for (int j = 0; j < 3; ++j) {
        auto pre = [&](int gate) {
            int row = gate * 3 + j;
            double v = lstm.bias_ih.value(0, row) + lstm.bias_hh.value(0, row);
            for (int k = 0; k < 2; ++k) v += double(lstm.weight_ih.value(row, k)) * x(0, k);
            for (int k = 0; k < 3; ++k) v += double(lstm.weight_hh.value(row, k)) * h0(0, k);
            return v;
        };
        auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
        double c = sig(pre(1)) * c0(0, j) + sig(pre(0)) * std::tanh(pre(2));
        double h = sig(pre(3)) * std::tanh(c);
        CHECK(state.c(0, j) == doctest::Approx(c).epsilon(1e-5));
        CHECK(h_seq(0, j) == doctest::Approx(h).epsilon(1e-5));
    }
}

TEST_CASE("nn: GRU one step matches the PyTorch equations (gate order r, z, n)") {
    nn::Rng rng(3);
    nn::GRU gru;
    nn::gru_init(gru, "gru", 1, 2, 3, rng);
    CHECK(gru.weight_hh.name == "gru.weight_hh_l1");
    CHECK(gru.weight_ih.shape == std::vector<int64_t>{9, 2});
    Matrix x = random_matrix(1, 2, 4);
    nn::RecurrentState state;
    state.h = random_matrix(1, 3, 5);
    Matrix h0 = state.h;
    Matrix h_seq;
    nn::gru_forward(h_seq, x, 1, gru, state, nullptr);
    auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
    for (int j = 0; j < 3; ++j) {
        auto in = [&](int gate) {
            int row = gate * 3 + j;
            double v = gru.bias_ih.value(0, row);
            for (int k = 0; k < 2; ++k) v += double(gru.weight_ih.value(row, k)) * x(0, k);
            return v;
        };
        auto hid = [&](int gate) {
            int row = gate * 3 + j;
            double v = gru.bias_hh.value(0, row);
            for (int k = 0; k < 3; ++k) v += double(gru.weight_hh.value(row, k)) * h0(0, k);
            return v;
        };
        double r = sig(in(0) + hid(0)), z = sig(in(1) + hid(1));
        double n = std::tanh(in(2) + r * hid(2));
        double h = (1 - z) * n + z * h0(0, j);
        CHECK(h_seq(0, j) == doctest::Approx(h).epsilon(1e-5));
    }
}

template <typename Layer, typename Cache, typename Forward, typename Backward>
static void check_recurrent_gradients(const char* what, Layer& layer, Forward forward,
                                      Backward backward) {
    const int T = 5, B = 2;
    Matrix x = random_matrix(T * B, layer.input_size, 51);
    nn::RecurrentState initial;
    initial.h = random_matrix(B, layer.hidden, 52, 0.5f);
    initial.c = random_matrix(B, layer.hidden, 53, 0.5f);
    nn::RecurrentState state = initial;
    Cache cache;
    Matrix h_seq;
    forward(h_seq, x, T, layer, state, &cache);
    Matrix r = projection_like(h_seq);
    Matrix dx;
    backward(&dx, r, x, T, layer, cache);
    auto loss = [&] {
        nn::RecurrentState s = initial;
        Matrix o;
        forward(o, x, T, layer, s, nullptr);
        return project(o, r);
    };
    gradcheck::Tolerance tol;
    tol.step = 5e-3f;
    std::string name = what;
    require_gradient(name + " dx", x, dx, loss, tol);
    require_gradient(name + " dW_ih", layer.weight_ih.value, layer.weight_ih.grad, loss, tol);
    require_gradient(name + " dW_hh", layer.weight_hh.value, layer.weight_hh.grad, loss, tol);
    require_gradient(name + " db_ih", layer.bias_ih.value, layer.bias_ih.grad, loss, tol);
    require_gradient(name + " db_hh", layer.bias_hh.value, layer.bias_hh.grad, loss, tol);
}

TEST_CASE("nn: LSTM gradients through time (BPTT over 5 steps, carried initial state)") {
    nn::Rng rng(8);
    nn::LSTM lstm;
    nn::lstm_init(lstm, "lstm", 0, 3, 4, rng);
    for (nn::Param* p : {&lstm.weight_ih, &lstm.weight_hh}) p->value *= 2.0f;  // stronger recurrence
    check_recurrent_gradients<nn::LSTM, nn::LSTMCache>("lstm", lstm, nn::lstm_forward, nn::lstm_backward);
}

TEST_CASE("nn: GRU gradients through time (BPTT over 5 steps, carried initial state)") {
    nn::Rng rng(9);
    nn::GRU gru;
    nn::gru_init(gru, "gru", 0, 3, 4, rng);
    for (nn::Param* p : {&gru.weight_ih, &gru.weight_hh}) p->value *= 2.0f;
    check_recurrent_gradients<nn::GRU, nn::GRUCache>("gru", gru, nn::gru_forward, nn::gru_backward);
}

TEST_CASE("nn: running a sequence in pieces with carried state equals running it whole") {
    nn::Rng rng(10);
    nn::LSTM lstm;
    nn::lstm_init(lstm, "lstm", 0, 3, 4, rng);
    nn::GRU gru;
    nn::gru_init(gru, "gru", 0, 3, 4, rng);
    const int T = 6, B = 2;
    Matrix x = random_matrix(T * B, 3, 60);
    for (int kind = 0; kind < 2; ++kind) {
        nn::RecurrentState whole, pieces;
        Matrix h_whole, h_a, h_b;
        auto run = [&](Matrix& out, const Matrix& in, int steps, nn::RecurrentState& s) {
            if (kind == 0) nn::lstm_forward(out, in, steps, lstm, s, nullptr);
            else nn::gru_forward(out, in, steps, gru, s, nullptr);
        };
        run(h_whole, x, T, whole);
        run(h_a, x.topRows(2 * B), 2, pieces);
        run(h_b, x.bottomRows(4 * B), 4, pieces);
        CHECK((h_whole.bottomRows(4 * B) - h_b).cwiseAbs().maxCoeff() < 1e-6f);
        CHECK((whole.h - pieces.h).cwiseAbs().maxCoeff() < 1e-6f);
    }
    nn::RecurrentState s;
    Matrix out;
    CHECK_THROWS_AS(nn::lstm_forward(out, Matrix::Zero(5, 3), 2, lstm, s, nullptr), std::invalid_argument);
}
