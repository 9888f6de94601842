// Recurrent layers (one PyTorch layer each; stack them for depth) with full BPTT.
//
// A sequence is one matrix [T*B, F]: row t*B + b is step t of sample b. The input projection
// of all steps is then one GEMM, and so are the weight gradients in backward.
// State carried between calls (generation, truncated BPTT) lives in a *State; backward does not
// propagate into the initial state.
//
// PyTorch layouts and names, for layer index l of `prefix` (e.g. "lstm"):
//   LSTM: weight_ih_l{l} [4H, in], weight_hh_l{l} [4H, H], bias_ih_l{l}, bias_hh_l{l} [4H];
//         gate order i, f, g, o.  c' = f*c + i*g,  h' = o*tanh(c').
//   GRU:  weight_ih_l{l} [3H, in], weight_hh_l{l} [3H, H], biases [3H]; gate order r, z, n.
//         n = tanh(x W_in + b_in + r*(h W_hn + b_hn)),  h' = (1-z)*n + z*h.
#pragma once

#include "nn/rng.h"
#include "nn/tensor.h"

#include <string>

namespace nn {

struct RecurrentWeights {
    int input_size = 0, hidden = 0, gates = 0;  // gates: 4 for LSTM, 3 for GRU
    Param weight_ih;  // [G*H, in]
    Param weight_hh;  // [G*H, H]
    Param bias_ih;    // [G*H], viewed [1, G*H]
    Param bias_hh;    // [G*H], viewed [1, G*H]
};

struct LSTM : RecurrentWeights {};
struct GRU : RecurrentWeights {};

struct RecurrentState {
    Matrix h;  // [B, H]
    Matrix c;  // [B, H] (LSTM only)
    // Zeroes the state for a batch of `batch` when its size does not match.
    void ensure(int batch, int hidden);
};

struct LSTMCache {
    Matrix gates;     // [T*B, 4H] after the nonlinearities (i, f, g, o)
    Matrix c;         // [(T+1)*B, H]: initial cell state, then c after each step
    Matrix h_prev;    // [T*B, H]: the h that entered each step
    Matrix tanh_c;    // [T*B, H]
    Matrix dgates;    // backward scratch [T*B, 4H], kept so its buffer is reused every step
};

struct GRUCache {
    Matrix gates;     // [T*B, 3H]: r, z, n after the nonlinearities
    Matrix hn;        // [T*B, H]: h W_hn + b_hn (what r multiplies)
    Matrix h_prev;    // [T*B, H]
    Matrix dgi, dgh;  // backward scratch [T*B, 3H] each, kept so their buffers are reused
};

void lstm_init(LSTM& layer, const std::string& prefix, int layer_index, int input_size,
               int hidden, Rng& rng);
void gru_init(GRU& layer, const std::string& prefix, int layer_index, int input_size, int hidden,
              Rng& rng);
void recurrent_params(RecurrentWeights& layer, ParamList& list);

// x_seq [T*B, in] → h_seq [T*B, H]. state: initial state in (zeroed if its batch differs),
// final state out. cache may be nullptr for inference.
void lstm_forward(Matrix& h_seq, const Matrix& x_seq, int steps, const LSTM& layer,
                  RecurrentState& state, LSTMCache* cache);
void lstm_backward(Matrix* dx_seq, const Matrix& dh_seq, const Matrix& x_seq, int steps,
                   LSTM& layer, LSTMCache& cache);

void gru_forward(Matrix& h_seq, const Matrix& x_seq, int steps, const GRU& layer,
                 RecurrentState& state, GRUCache* cache);
void gru_backward(Matrix* dx_seq, const Matrix& dh_seq, const Matrix& x_seq, int steps,
                  GRU& layer, GRUCache& cache);

}  // namespace nn
