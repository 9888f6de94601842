#include "nn/rnn.h"

#include "nn/layers.h"

#include <cmath>
#include <stdexcept>

namespace nn {

void RecurrentState::ensure(int batch, int hidden) {
    if (h.rows() != batch || h.cols() != hidden) h = Matrix::Zero(batch, hidden);
    if (c.rows() != batch || c.cols() != hidden) c = Matrix::Zero(batch, hidden);
}

static void recurrent_init(RecurrentWeights& layer, const std::string& prefix, int layer_index,
                           int input_size, int hidden, int gates, Rng& rng) {
    layer.input_size = input_size;
    layer.hidden = hidden;
    layer.gates = gates;
    const std::string suffix = "_l" + std::to_string(layer_index);
    const int G = gates * hidden;
    param_init(layer.weight_ih, prefix + ".weight_ih" + suffix, {G, input_size}, G, input_size);
    param_init(layer.weight_hh, prefix + ".weight_hh" + suffix, {G, hidden}, G, hidden);
    param_init(layer.bias_ih, prefix + ".bias_ih" + suffix, {G}, 1, G);
    param_init(layer.bias_hh, prefix + ".bias_hh" + suffix, {G}, 1, G);
    const float bound = 1.0f / std::sqrt(static_cast<float>(hidden));
    for (Param* p : {&layer.weight_ih, &layer.weight_hh, &layer.bias_ih, &layer.bias_hh})
        fill_uniform(p->value, rng, -bound, bound);
}

void lstm_init(LSTM& layer, const std::string& prefix, int layer_index, int input_size,
               int hidden, Rng& rng) {
    recurrent_init(layer, prefix, layer_index, input_size, hidden, 4, rng);
}

void gru_init(GRU& layer, const std::string& prefix, int layer_index, int input_size, int hidden,
              Rng& rng) {
    recurrent_init(layer, prefix, layer_index, input_size, hidden, 3, rng);
}

void recurrent_params(RecurrentWeights& layer, ParamList& list) {
    list.add(layer.weight_ih);
    list.add(layer.weight_hh);
    list.add(layer.bias_ih);
    list.add(layer.bias_hh);
}

static int batch_of(const Matrix& x_seq, int steps, const RecurrentWeights& layer) {
    if (steps <= 0 || x_seq.rows() % steps != 0)
        throw std::invalid_argument(layer.weight_ih.name + ": sequence of " +
                                    std::to_string(x_seq.rows()) + " rows is not " +
                                    std::to_string(steps) + " steps of a batch");
    if (x_seq.cols() != layer.input_size)
        throw std::invalid_argument(layer.weight_ih.name + ": input has " +
                                    std::to_string(x_seq.cols()) + " features, expected " +
                                    std::to_string(layer.input_size));
    return static_cast<int>(x_seq.rows() / steps);
}

// ---------------------------------------------------------------------------------------------
// LSTM

void lstm_forward(Matrix& h_seq, const Matrix& x_seq, int steps, const LSTM& layer,
                  RecurrentState& state, LSTMCache* cache) {
    const int B = batch_of(x_seq, steps, layer), H = layer.hidden;
    state.ensure(B, H);
    // Input projection of every step at once: [T*B, 4H]. With a cache it is computed in place
    // in cache->gates, whose buffer then lives from one training step to the next instead of
    // being allocated and freed on every call.
    Matrix local_gates;
    Matrix& gates = cache ? cache->gates : local_gates;
    gates.noalias() = x_seq * layer.weight_ih.value.transpose();
    gates.rowwise() += layer.bias_ih.value.row(0) + layer.bias_hh.value.row(0);
    h_seq.resize(static_cast<Eigen::Index>(steps) * B, H);
    if (cache) {
        cache->c.resize(static_cast<Eigen::Index>(steps + 1) * B, H);
        cache->c.topRows(B) = state.c;
        cache->h_prev.resize(static_cast<Eigen::Index>(steps) * B, H);
        cache->tanh_c.resize(static_cast<Eigen::Index>(steps) * B, H);
    }
    Matrix step_gates(B, 4 * H);
    for (int t = 0; t < steps; ++t) {
        const Eigen::Index row = static_cast<Eigen::Index>(t) * B;
        if (cache) cache->h_prev.middleRows(row, B) = state.h;
        step_gates.noalias() = state.h * layer.weight_hh.value.transpose();
        step_gates += gates.middleRows(row, B);
        for (int b = 0; b < B; ++b) {
            float* g = step_gates.row(b).data();
            for (int j = 0; j < H; ++j) {
                const float i_gate = sigmoid(g[j]);
                const float f_gate = sigmoid(g[H + j]);
                const float g_gate = std::tanh(g[2 * H + j]);
                const float o_gate = sigmoid(g[3 * H + j]);
                const float c = f_gate * state.c(b, j) + i_gate * g_gate;
                const float tc = std::tanh(c);
                state.c(b, j) = c;
                state.h(b, j) = o_gate * tc;
                g[j] = i_gate;
                g[H + j] = f_gate;
                g[2 * H + j] = g_gate;
                g[3 * H + j] = o_gate;
                if (cache) cache->tanh_c(row + b, j) = tc;
            }
        }
        h_seq.middleRows(row, B) = state.h;
        if (cache) {
            gates.middleRows(row, B) = step_gates;
            cache->c.middleRows(row + B, B) = state.c;
        }
    }
}

void lstm_backward(Matrix* dx_seq, const Matrix& dh_seq, const Matrix& x_seq, int steps,
                   LSTM& layer, LSTMCache& cache) {
    const int B = batch_of(x_seq, steps, layer), H = layer.hidden;
    Matrix& dgates = cache.dgates;  // pre-activation gradients, every entry written below
    dgates.resize(static_cast<Eigen::Index>(steps) * B, 4 * H);
    Matrix dh_next = Matrix::Zero(B, H), dc_next = Matrix::Zero(B, H);
    for (int t = steps - 1; t >= 0; --t) {
        const Eigen::Index row = static_cast<Eigen::Index>(t) * B;
        for (int b = 0; b < B; ++b) {
            const float* g = cache.gates.row(row + b).data();
            float* dg = dgates.row(row + b).data();
            for (int j = 0; j < H; ++j) {
                const float i_gate = g[j], f_gate = g[H + j], g_gate = g[2 * H + j],
                            o_gate = g[3 * H + j];
                const float tc = cache.tanh_c(row + b, j);
                const float c_prev = cache.c(row + b, j);
                const float dh = dh_seq(row + b, j) + dh_next(b, j);
                const float d_o = dh * tc;
                const float dc = dc_next(b, j) + dh * o_gate * (1.0f - tc * tc);
                dg[j] = dc * g_gate * i_gate * (1.0f - i_gate);
                dg[H + j] = dc * c_prev * f_gate * (1.0f - f_gate);
                dg[2 * H + j] = dc * i_gate * (1.0f - g_gate * g_gate);
                dg[3 * H + j] = d_o * o_gate * (1.0f - o_gate);
                dc_next(b, j) = dc * f_gate;
            }
        }
        dh_next.noalias() = dgates.middleRows(row, B) * layer.weight_hh.value;
    }
    layer.weight_ih.grad.noalias() += dgates.transpose() * x_seq;
    layer.weight_hh.grad.noalias() += dgates.transpose() * cache.h_prev;
    RowVector dbias = dgates.colwise().sum();
    layer.bias_ih.grad.row(0) += dbias;
    layer.bias_hh.grad.row(0) += dbias;
    if (dx_seq) {
        dx_seq->resize(x_seq.rows(), layer.input_size);
        dx_seq->noalias() = dgates * layer.weight_ih.value;
    }
}

// ---------------------------------------------------------------------------------------------
// GRU

void gru_forward(Matrix& h_seq, const Matrix& x_seq, int steps, const GRU& layer,
                 RecurrentState& state, GRUCache* cache) {
    const int B = batch_of(x_seq, steps, layer), H = layer.hidden;
    state.ensure(B, H);
    // [T*B, 3H]; in place in cache->gates when there is a cache (see lstm_forward).
    Matrix local_gates;
    Matrix& gi = cache ? cache->gates : local_gates;
    gi.noalias() = x_seq * layer.weight_ih.value.transpose();
    gi.rowwise() += layer.bias_ih.value.row(0);
    h_seq.resize(static_cast<Eigen::Index>(steps) * B, H);
    if (cache) {
        cache->hn.resize(static_cast<Eigen::Index>(steps) * B, H);
        cache->h_prev.resize(static_cast<Eigen::Index>(steps) * B, H);
    }
    Matrix gh(B, 3 * H);
    for (int t = 0; t < steps; ++t) {
        const Eigen::Index row = static_cast<Eigen::Index>(t) * B;
        if (cache) cache->h_prev.middleRows(row, B) = state.h;
        gh.noalias() = state.h * layer.weight_hh.value.transpose();
        gh.rowwise() += layer.bias_hh.value.row(0);
        for (int b = 0; b < B; ++b) {
            float* g = gi.row(row + b).data();
            const float* hh = gh.row(b).data();
            for (int j = 0; j < H; ++j) {
                const float r = sigmoid(g[j] + hh[j]);
                const float z = sigmoid(g[H + j] + hh[H + j]);
                const float n = std::tanh(g[2 * H + j] + r * hh[2 * H + j]);
                if (cache) cache->hn(row + b, j) = hh[2 * H + j];
                state.h(b, j) = (1.0f - z) * n + z * state.h(b, j);
                g[j] = r;
                g[H + j] = z;
                g[2 * H + j] = n;
            }
        }
        h_seq.middleRows(row, B) = state.h;
    }
}

void gru_backward(Matrix* dx_seq, const Matrix& dh_seq, const Matrix& x_seq, int steps,
                  GRU& layer, GRUCache& cache) {
    const int B = batch_of(x_seq, steps, layer), H = layer.hidden;
    const Eigen::Index rows = static_cast<Eigen::Index>(steps) * B;
    // Pre-activation gradients; every entry is written below. Kept in the cache: a fresh
    // [T*B, 3H] pair per step made the allocator grow and trim the heap on every step.
    Matrix& dgi = cache.dgi;
    Matrix& dgh = cache.dgh;
    dgi.resize(rows, 3 * H);
    dgh.resize(rows, 3 * H);
    Matrix dh_next = Matrix::Zero(B, H);
    for (int t = steps - 1; t >= 0; --t) {
        const Eigen::Index row = static_cast<Eigen::Index>(t) * B;
        for (int b = 0; b < B; ++b) {
            const float* g = cache.gates.row(row + b).data();
            float* dgi_row = dgi.row(row + b).data();
            float* dgh_row = dgh.row(row + b).data();
            for (int j = 0; j < H; ++j) {
                const float r = g[j], z = g[H + j], n = g[2 * H + j];
                const float h_prev = cache.h_prev(row + b, j);
                const float dh = dh_seq(row + b, j) + dh_next(b, j);
                const float dn_pre = dh * (1.0f - z) * (1.0f - n * n);
                const float dz_pre = dh * (h_prev - n) * z * (1.0f - z);
                const float dr_pre = dn_pre * cache.hn(row + b, j) * r * (1.0f - r);
                dgi_row[j] = dr_pre;
                dgi_row[H + j] = dz_pre;
                dgi_row[2 * H + j] = dn_pre;
                dgh_row[j] = dr_pre;
                dgh_row[H + j] = dz_pre;
                dgh_row[2 * H + j] = dn_pre * r;
                dh_next(b, j) = dh * z;  // direct path; the gates' path is added below
            }
        }
        dh_next.noalias() += dgh.middleRows(row, B) * layer.weight_hh.value;
    }
    layer.weight_ih.grad.noalias() += dgi.transpose() * x_seq;
    layer.weight_hh.grad.noalias() += dgh.transpose() * cache.h_prev;
    layer.bias_ih.grad.row(0) += dgi.colwise().sum();
    layer.bias_hh.grad.row(0) += dgh.colwise().sum();
    if (dx_seq) {
        dx_seq->resize(x_seq.rows(), layer.input_size);
        dx_seq->noalias() = dgi * layer.weight_ih.value;
    }
}

}  // namespace nn
