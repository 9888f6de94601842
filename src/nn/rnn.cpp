#include "nn/rnn.h"

#include "nn/gemm.h"
#include "nn/layers.h"
#include "nn/simd.h"

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
    const RowVector bias = layer.bias_ih.value.row(0) + layer.bias_hh.value.row(0);
    matmul(gates, x_seq, Transpose::No, layer.weight_ih.value, Transpose::Yes, 0.0f,
           {bias.data(), BiasAxis::PerColumn, Activation::None});
    h_seq.resize(static_cast<Eigen::Index>(steps) * B, H);
    if (cache) {
        cache->c.resize(static_cast<Eigen::Index>(steps + 1) * B, H);
        cache->c.topRows(B) = state.c;
        cache->h_prev.resize(static_cast<Eigen::Index>(steps) * B, H);
        cache->tanh_c.resize(static_cast<Eigen::Index>(steps) * B, H);
    }
    for (int t = 0; t < steps; ++t) {
        const Eigen::Index row = static_cast<Eigen::Index>(t) * B;
        if (cache) cache->h_prev.middleRows(row, B) = state.h;
        // This step's rows of gates [B, 4H] += h W_hh^T; the nonlinearities then overwrite
        // them in place (what the cache keeps for backward).
        gemm(Transpose::No, Transpose::Yes, B, 4 * H, H, 1.0f, state.h.data(), H,
             layer.weight_hh.value.data(), H, 1.0f, gates.row(row).data(), 4 * H);
        for (int b = 0; b < B; ++b) {
            float* g = gates.row(row + b).data();
            float* c_row = state.c.row(b).data();
            float* h_row = state.h.row(b).data();
            float* tc_row = cache ? cache->tanh_c.row(row + b).data() : nullptr;
            int j = 0;
#if defined(GENLAB_SIMD_ACTIVATIONS)
            for (; j + 4 <= H; j += 4) {
                using namespace simd;
                const f32x4 i_gate = sigmoid(load(g + j));
                const f32x4 f_gate = sigmoid(load(g + H + j));
                const f32x4 g_gate = simd::tanh(load(g + 2 * H + j));
                const f32x4 o_gate = sigmoid(load(g + 3 * H + j));
                const f32x4 c = add(mul(f_gate, load(c_row + j)), mul(i_gate, g_gate));
                const f32x4 tc = simd::tanh(c);
                store(c_row + j, c);
                store(h_row + j, mul(o_gate, tc));
                store(g + j, i_gate);
                store(g + H + j, f_gate);
                store(g + 2 * H + j, g_gate);
                store(g + 3 * H + j, o_gate);
                if (tc_row) store(tc_row + j, tc);
            }
#endif
            for (; j < H; ++j) {
                const float i_gate = sigmoid(g[j]);
                const float f_gate = sigmoid(g[H + j]);
                const float g_gate = std::tanh(g[2 * H + j]);
                const float o_gate = sigmoid(g[3 * H + j]);
                const float c = f_gate * c_row[j] + i_gate * g_gate;
                const float tc = std::tanh(c);
                c_row[j] = c;
                h_row[j] = o_gate * tc;
                g[j] = i_gate;
                g[H + j] = f_gate;
                g[2 * H + j] = g_gate;
                g[3 * H + j] = o_gate;
                if (tc_row) tc_row[j] = tc;
            }
        }
        h_seq.middleRows(row, B) = state.h;
        if (cache) cache->c.middleRows(row + B, B) = state.c;
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
        // dh_next [B, H] = this step's dgates [B, 4H] x W_hh [4H, H]
        gemm(Transpose::No, Transpose::No, B, H, 4 * H, 1.0f, dgates.row(row).data(), 4 * H,
             layer.weight_hh.value.data(), H, 0.0f, dh_next.data(), H);
    }
    matmul(layer.weight_ih.grad, dgates, Transpose::Yes, x_seq, Transpose::No, 1.0f);
    matmul(layer.weight_hh.grad, dgates, Transpose::Yes, cache.h_prev, Transpose::No, 1.0f);
    RowVector dbias = dgates.colwise().sum();
    layer.bias_ih.grad.row(0) += dbias;
    layer.bias_hh.grad.row(0) += dbias;
    if (dx_seq) matmul(*dx_seq, dgates, Transpose::No, layer.weight_ih.value, Transpose::No);
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
    matmul(gi, x_seq, Transpose::No, layer.weight_ih.value, Transpose::Yes, 0.0f,
           {layer.bias_ih.value.data(), BiasAxis::PerColumn, Activation::None});
    h_seq.resize(static_cast<Eigen::Index>(steps) * B, H);
    if (cache) {
        cache->hn.resize(static_cast<Eigen::Index>(steps) * B, H);
        cache->h_prev.resize(static_cast<Eigen::Index>(steps) * B, H);
    }
    Matrix gh(B, 3 * H);
    for (int t = 0; t < steps; ++t) {
        const Eigen::Index row = static_cast<Eigen::Index>(t) * B;
        if (cache) cache->h_prev.middleRows(row, B) = state.h;
        // gh [B, 3H] = h W_hh^T + b_hh
        gemm(Transpose::No, Transpose::Yes, B, 3 * H, H, 1.0f, state.h.data(), H,
             layer.weight_hh.value.data(), H, 0.0f, gh.data(), 3 * H,
             {layer.bias_hh.value.data(), BiasAxis::PerColumn, Activation::None});
        for (int b = 0; b < B; ++b) {
            float* g = gi.row(row + b).data();
            const float* hh = gh.row(b).data();
            float* h_row = state.h.row(b).data();
            float* hn_row = cache ? cache->hn.row(row + b).data() : nullptr;
            int j = 0;
#if defined(GENLAB_SIMD_ACTIVATIONS)
            for (; j + 4 <= H; j += 4) {
                using namespace simd;
                const f32x4 r = sigmoid(add(load(g + j), load(hh + j)));
                const f32x4 z = sigmoid(add(load(g + H + j), load(hh + H + j)));
                const f32x4 hn = load(hh + 2 * H + j);
                const f32x4 n = simd::tanh(add(load(g + 2 * H + j), mul(r, hn)));
                if (hn_row) store(hn_row + j, hn);
                // (1 - z) n + z h
                store(h_row + j, add(mul(sub(splat(1.0f), z), n), mul(z, load(h_row + j))));
                store(g + j, r);
                store(g + H + j, z);
                store(g + 2 * H + j, n);
            }
#endif
            for (; j < H; ++j) {
                const float r = sigmoid(g[j] + hh[j]);
                const float z = sigmoid(g[H + j] + hh[H + j]);
                const float n = std::tanh(g[2 * H + j] + r * hh[2 * H + j]);
                if (hn_row) hn_row[j] = hh[2 * H + j];
                h_row[j] = (1.0f - z) * n + z * h_row[j];
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
        // dh_next [B, H] += this step's dgh [B, 3H] x W_hh [3H, H]
        gemm(Transpose::No, Transpose::No, B, H, 3 * H, 1.0f, dgh.row(row).data(), 3 * H,
             layer.weight_hh.value.data(), H, 1.0f, dh_next.data(), H);
    }
    matmul(layer.weight_ih.grad, dgi, Transpose::Yes, x_seq, Transpose::No, 1.0f);
    matmul(layer.weight_hh.grad, dgh, Transpose::Yes, cache.h_prev, Transpose::No, 1.0f);
    layer.bias_ih.grad.row(0) += dgi.colwise().sum();
    layer.bias_hh.grad.row(0) += dgh.colwise().sum();
    if (dx_seq) matmul(*dx_seq, dgi, Transpose::No, layer.weight_ih.value, Transpose::No);
}

}  // namespace nn
