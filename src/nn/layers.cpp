#include "nn/layers.h"

#include "nn/gemm.h"
#include "nn/simd.h"

#include <cmath>
#include <stdexcept>

namespace nn {

// ---------------------------------------------------------------------------------------------
// Linear

void linear_init(Linear& layer, const std::string& prefix, int in, int out, Rng& rng) {
    layer.in = in;
    layer.out = out;
    param_init(layer.weight, prefix + ".weight", {out, in}, out, in);
    param_init(layer.bias, prefix + ".bias", {out}, 1, out);
    float bound = 1.0f / std::sqrt(static_cast<float>(in));
    fill_uniform(layer.weight.value, rng, -bound, bound);
    fill_uniform(layer.bias.value, rng, -bound, bound);
}

void linear_params(Linear& layer, ParamList& list) {
    list.add(layer.weight);
    list.add(layer.bias);
}

void linear_forward(Matrix& y, const Matrix& x, const Linear& layer) {
    if (x.cols() != layer.in)
        throw std::invalid_argument(layer.weight.name + ": input has " +
                                    std::to_string(x.cols()) + " features, expected " +
                                    std::to_string(layer.in));
    // y [B, out] = x [B, in] W^T + b, the bias added in the GEMM's store
    matmul(y, x, Transpose::No, layer.weight.value, Transpose::Yes, 0.0f,
           {layer.bias.value.data(), BiasAxis::PerColumn, Activation::None});
}

void linear_backward(Matrix* dx, const Matrix& dy, const Matrix& x, Linear& layer) {
    matmul(layer.weight.grad, dy, Transpose::Yes, x, Transpose::No, 1.0f);  // [out, B] x [B, in]
    layer.bias.grad.row(0) += dy.colwise().sum();
    if (dx) matmul(*dx, dy, Transpose::No, layer.weight.value, Transpose::No);  // [B, out] x [out, in]
}

// ---------------------------------------------------------------------------------------------
// Activations

void relu_forward(Matrix& y, const Matrix& x) { y = x.cwiseMax(0.0f); }

void relu_backward(Matrix& dx, const Matrix& dy, const Matrix& x) {
    dx = (x.array() > 0.0f).select(dy, 0.0f);
}

void leaky_relu_forward(Matrix& y, const Matrix& x, float negative_slope) {
    y = (x.array() > 0.0f).select(x, x * negative_slope);
}

void leaky_relu_backward(Matrix& dx, const Matrix& dy, const Matrix& x, float negative_slope) {
    dx = (x.array() > 0.0f).select(dy, dy * negative_slope);
}

// Four lanes at a time where the build asks for it (GENLAB_SIMD_ACTIVATIONS: nn/simd.h's
// exp-based tanh/sigmoid, abs error ~1e-7), the scalar function for the rest.
template <class Vector, class Scalar>
static void map_pointwise(Matrix& y, const Matrix& x, Vector vector_fn, Scalar scalar_fn) {
    y.resize(x.rows(), x.cols());
    const float* in = x.data();
    float* out = y.data();
    Eigen::Index i = 0;
#if defined(GENLAB_SIMD_ACTIVATIONS)
    for (; i + 4 <= x.size(); i += 4) simd::store(out + i, vector_fn(simd::load(in + i)));
#else
    (void)vector_fn;
#endif
    for (; i < x.size(); ++i) out[i] = scalar_fn(in[i]);
}

void tanh_forward(Matrix& y, const Matrix& x) {
    map_pointwise(y, x, [](simd::f32x4 v) { return simd::tanh(v); },
                  [](float v) { return std::tanh(v); });
}

void tanh_backward(Matrix& dx, const Matrix& dy, const Matrix& y) {
    dx = dy.array() * (1.0f - y.array().square());
}

float sigmoid(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
    float e = std::exp(x);
    return e / (1.0f + e);
}

void sigmoid_forward(Matrix& y, const Matrix& x) {
    map_pointwise(y, x, [](simd::f32x4 v) { return simd::sigmoid(v); },
                  [](float v) { return sigmoid(v); });
}

void sigmoid_backward(Matrix& dx, const Matrix& dy, const Matrix& y) {
    dx = dy.array() * y.array() * (1.0f - y.array());
}

// ---------------------------------------------------------------------------------------------
// Reshape

static void reshape_rows(Matrix& out, const Matrix& in, int batch, int features) {
    if (in.size() != static_cast<Eigen::Index>(batch) * features)
        throw std::invalid_argument("reshape: " + std::to_string(in.size()) +
                                    " elements cannot be viewed as [" + std::to_string(batch) +
                                    ", " + std::to_string(features) + "]");
    // Row-major storage is the same flat order either way.
    out = Eigen::Map<const Matrix>(in.data(), batch, features);
}

void dropout_forward(Matrix& y, Matrix& mask, const Matrix& x, float p, Rng& rng) {
    if (!(p >= 0.0f && p < 1.0f))
        throw std::invalid_argument("dropout: p must be in [0, 1), got " + std::to_string(p));
    mask.resize(x.rows(), x.cols());
    const float keep_scale = 1.0f / (1.0f - p);
    for (Eigen::Index i = 0; i < mask.size(); ++i)
        mask.data()[i] = p > 0.0f && rng.uniform() < p ? 0.0f : keep_scale;
    y = x.cwiseProduct(mask);
}

void dropout_backward(Matrix& dx, const Matrix& dy, const Matrix& mask) {
    dx = dy.cwiseProduct(mask);
}

void reshape_forward(Matrix& y, const Matrix& x, int batch, int features) {
    reshape_rows(y, x, batch, features);
}

void reshape_backward(Matrix& dx, const Matrix& dy, int batch, int features) {
    reshape_rows(dx, dy, batch, features);
}

// ---------------------------------------------------------------------------------------------
// Embedding and one-hot

static void check_id(int id, int vocab, const char* what) {
    if (id < 0 || id >= vocab)
        throw std::out_of_range(std::string(what) + ": id " + std::to_string(id) +
                                " is outside [0, " + std::to_string(vocab) + ")");
}

void embedding_init(Embedding& layer, const std::string& prefix, int vocab, int dim, Rng& rng) {
    layer.vocab = vocab;
    layer.dim = dim;
    param_init(layer.weight, prefix + ".weight", {vocab, dim}, vocab, dim);
    fill_normal(layer.weight.value, rng);
}

void embedding_params(Embedding& layer, ParamList& list) { list.add(layer.weight); }

void embedding_forward(Matrix& y, const std::vector<int>& ids, const Embedding& layer) {
    y.resize(static_cast<Eigen::Index>(ids.size()), layer.dim);
    for (size_t b = 0; b < ids.size(); ++b) {
        check_id(ids[b], layer.vocab, "embedding");
        y.row(static_cast<Eigen::Index>(b)) = layer.weight.value.row(ids[b]);
    }
}

void embedding_backward(const Matrix& dy, const std::vector<int>& ids, Embedding& layer) {
    for (size_t b = 0; b < ids.size(); ++b)
        layer.weight.grad.row(ids[b]) += dy.row(static_cast<Eigen::Index>(b));
}

void one_hot(Matrix& y, const std::vector<int>& ids, int classes) {
    y = Matrix::Zero(static_cast<Eigen::Index>(ids.size()), classes);
    for (size_t b = 0; b < ids.size(); ++b) {
        check_id(ids[b], classes, "one_hot");
        y(static_cast<Eigen::Index>(b), ids[b]) = 1.0f;
    }
}

void concat_columns(Matrix& y, const Matrix& a, const Matrix& b) {
    if (a.rows() != b.rows())
        throw std::invalid_argument("concat_columns: row counts differ (" +
                                    std::to_string(a.rows()) + " vs " + std::to_string(b.rows()) +
                                    ")");
    y.resize(a.rows(), a.cols() + b.cols());
    y.leftCols(a.cols()) = a;
    y.rightCols(b.cols()) = b;
}

void split_columns(Matrix& da, Matrix& db, const Matrix& dy, int a_cols) {
    da = dy.leftCols(a_cols);
    db = dy.rightCols(dy.cols() - a_cols);
}

}  // namespace nn
