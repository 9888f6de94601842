// Gradient checks and shape tests for the dense layers, activations, conv and batch norm.
#include "gradcheck.h"

#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/layers.h"

using gradcheck::project;
using gradcheck::projection_like;
using gradcheck::random_matrix;
using gradcheck::require_gradient;
using nn::Matrix;

TEST_CASE("nn: linear forward matches y = x W^T + b and gradients check") {
    nn::Rng rng(1);
    nn::Linear layer;
    nn::linear_init(layer, "fc", 5, 3, rng);
    CHECK(layer.weight.shape == std::vector<int64_t>{3, 5});
    CHECK(layer.bias.shape == std::vector<int64_t>{3});
    Matrix x = random_matrix(4, 5, 2);
    Matrix y;
    nn::linear_forward(y, x, layer);
    REQUIRE(y.rows() == 4);
    REQUIRE(y.cols() == 3);
    // One element by hand.
    double expected = layer.bias.value(0, 2);
    for (int i = 0; i < 5; ++i) expected += double(x(1, i)) * layer.weight.value(2, i);
    CHECK(y(1, 2) == doctest::Approx(expected).epsilon(1e-5));

    Matrix r = projection_like(y);
    Matrix dx;
    nn::linear_backward(&dx, r, x, layer);
    auto loss = [&] {
        Matrix out;
        nn::linear_forward(out, x, layer);
        return project(out, r);
    };
    require_gradient("linear dx", x, dx, loss);
    require_gradient("linear dW", layer.weight.value, layer.weight.grad, loss);
    require_gradient("linear db", layer.bias.value, layer.bias.grad, loss);
}

TEST_CASE("nn: linear rejects an input of the wrong width") {
    nn::Rng rng(1);
    nn::Linear layer;
    nn::linear_init(layer, "fc", 5, 3, rng);
    Matrix y;
    CHECK_THROWS_WITH_AS(nn::linear_forward(y, Matrix::Zero(2, 4), layer),
                         doctest::Contains("expected 5"), std::invalid_argument);
}

TEST_CASE("nn: activations' gradients check (kinks avoided)") {
    Matrix x = gradcheck::random_away_from_zero(3, 7, 5, 0.05f);
    Matrix r = projection_like(x);
    Matrix y, dx;

    SUBCASE("relu") {
        nn::relu_forward(y, x);
        CHECK(y.minCoeff() >= 0.0f);
        nn::relu_backward(dx, r, x);
        require_gradient("relu", x, dx, [&] { Matrix o; nn::relu_forward(o, x); return project(o, r); });
    }
    SUBCASE("leaky relu") {
        nn::leaky_relu_forward(y, x, 0.2f);
        nn::leaky_relu_backward(dx, r, x, 0.2f);
        require_gradient("leaky_relu", x, dx, [&] { Matrix o; nn::leaky_relu_forward(o, x, 0.2f); return project(o, r); });
    }
    SUBCASE("tanh") {
        nn::tanh_forward(y, x);
        nn::tanh_backward(dx, r, y);
        require_gradient("tanh", x, dx, [&] { Matrix o; nn::tanh_forward(o, x); return project(o, r); });
    }
    SUBCASE("sigmoid") {
        nn::sigmoid_forward(y, x);
        nn::sigmoid_backward(dx, r, y);
        require_gradient("sigmoid", x, dx, [&] { Matrix o; nn::sigmoid_forward(o, x); return project(o, r); });
    }
}

TEST_CASE("nn: sigmoid is stable at large magnitudes") {
    CHECK(nn::sigmoid(100.0f) == doctest::Approx(1.0f));
    CHECK(nn::sigmoid(-100.0f) >= 0.0f);
    CHECK(nn::sigmoid(-100.0f) < 1e-30f);
    CHECK(nn::sigmoid(0.0f) == doctest::Approx(0.5f));
}

TEST_CASE("nn: reshape keeps the flat order and checks the element count") {
    Matrix x = random_matrix(2, 12, 3);
    Matrix y;
    nn::reshape_forward(y, x, 4, 6);
    CHECK(y.rows() == 4);
    CHECK(y(1, 0) == x(0, 6));
    Matrix back;
    nn::reshape_backward(back, y, 2, 12);
    CHECK(back == x);
    CHECK_THROWS_AS(nn::reshape_forward(y, x, 5, 5), std::invalid_argument);
}

TEST_CASE("nn: dropout keeps 1-p of the elements, rescales them, and backward uses the mask") {
    nn::Rng rng(9);
    Matrix x = Matrix::Constant(200, 50, 2.0f), y, mask, dx;
    nn::dropout_forward(y, mask, x, 0.25f, rng);
    const double kept = (mask.array() > 0.0f).cast<double>().mean();
    CHECK(kept == doctest::Approx(0.75).epsilon(0.03));
    for (Eigen::Index i = 0; i < y.size(); ++i) {
        const float v = y.data()[i];
        REQUIRE((v == 0.0f || std::fabs(v - 2.0f / 0.75f) < 1e-5f));
    }
    CHECK(y.mean() == doctest::Approx(2.0).epsilon(0.05));  // expectation preserved
    Matrix dy = Matrix::Constant(200, 50, 1.0f);
    nn::dropout_backward(dx, dy, mask);
    CHECK(dx == mask);
    nn::dropout_forward(y, mask, x, 0.0f, rng);
    CHECK(y == x);
    CHECK_THROWS_AS(nn::dropout_forward(y, mask, x, 1.0f, rng), std::invalid_argument);
    CHECK_THROWS_AS(nn::dropout_forward(y, mask, x, -0.1f, rng), std::invalid_argument);
}

TEST_CASE("nn: embedding gathers rows and scatters gradients") {
    nn::Rng rng(4);
    nn::Embedding emb;
    nn::embedding_init(emb, "embed", 6, 3, rng);
    std::vector<int> ids = {2, 5, 2, 0};
    Matrix y;
    nn::embedding_forward(y, ids, emb);
    CHECK(y.row(0) == emb.weight.value.row(2));
    Matrix r = projection_like(y);
    nn::embedding_backward(r, ids, emb);
    require_gradient("embedding dW", emb.weight.value, emb.weight.grad,
                     [&] { Matrix o; nn::embedding_forward(o, ids, emb); return project(o, r); });
    CHECK_THROWS_AS(nn::embedding_forward(y, {6}, emb), std::out_of_range);
    CHECK_THROWS_AS(nn::embedding_forward(y, {-1}, emb), std::out_of_range);
}

TEST_CASE("nn: one-hot and column concat/split") {
    Matrix y;
    nn::one_hot(y, {1, 0, 3}, 4);
    CHECK(y.sum() == 3.0f);
    CHECK(y(2, 3) == 1.0f);
    CHECK_THROWS_AS(nn::one_hot(y, {4}, 4), std::out_of_range);
    Matrix a = random_matrix(3, 2, 1), b = random_matrix(3, 5, 2), ab, da, db;
    nn::concat_columns(ab, a, b);
    CHECK(ab.cols() == 7);
    nn::split_columns(da, db, ab, 2);
    CHECK(da == a);
    CHECK(db == b);
}

// ---------------------------------------------------------------------------------------------
// Convolutions

// Direct (loop) convolution as an independent reference for the im2col path.
static Matrix conv2d_reference(const Matrix& x, const nn::Conv2d& layer) {
    const nn::ConvGeometry& g = layer.g;
    Matrix y = Matrix::Zero(x.rows(), g.out_features());
    for (Eigen::Index b = 0; b < x.rows(); ++b)
        for (int o = 0; o < g.out_channels; ++o)
            for (int oh = 0; oh < g.out_h; ++oh)
                for (int ow = 0; ow < g.out_w; ++ow) {
                    double acc = layer.bias.value(0, o);
                    for (int c = 0; c < g.in_channels; ++c)
                        for (int kh = 0; kh < g.kernel; ++kh)
                            for (int kw = 0; kw < g.kernel; ++kw) {
                                int ih = oh * g.stride - g.padding + kh;
                                int iw = ow * g.stride - g.padding + kw;
                                if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
                                acc += double(x(b, (c * g.in_h + ih) * g.in_w + iw)) *
                                       layer.weight.value(o, (c * g.kernel + kh) * g.kernel + kw);
                            }
                    y(b, (o * g.out_h + oh) * g.out_w + ow) = static_cast<float>(acc);
                }
    return y;
}

// Scatter form of the transposed convolution (PyTorch's definition) as a reference.
static Matrix conv_transpose2d_reference(const Matrix& x, const nn::ConvTranspose2d& layer) {
    const nn::ConvGeometry& g = layer.g;
    Matrix y = Matrix::Zero(x.rows(), g.out_features());
    for (Eigen::Index b = 0; b < x.rows(); ++b) {
        for (int o = 0; o < g.out_channels; ++o)
            for (int s = 0; s < g.out_h * g.out_w; ++s)
                y(b, o * g.out_h * g.out_w + s) = layer.bias.value(0, o);
        for (int c = 0; c < g.in_channels; ++c)
            for (int ih = 0; ih < g.in_h; ++ih)
                for (int iw = 0; iw < g.in_w; ++iw)
                    for (int o = 0; o < g.out_channels; ++o)
                        for (int kh = 0; kh < g.kernel; ++kh)
                            for (int kw = 0; kw < g.kernel; ++kw) {
                                int oh = ih * g.stride - g.padding + kh;
                                int ow = iw * g.stride - g.padding + kw;
                                if (oh < 0 || oh >= g.out_h || ow < 0 || ow >= g.out_w) continue;
                                y(b, (o * g.out_h + oh) * g.out_w + ow) +=
                                    x(b, (c * g.in_h + ih) * g.in_w + iw) *
                                    layer.weight.value(c, (o * g.kernel + kh) * g.kernel + kw);
                            }
    }
    return y;
}

TEST_CASE("nn: conv2d matches a direct convolution and its gradients check") {
    struct Case { int c, o, k, s, p, h, w; };
    for (Case tc : {Case{2, 3, 4, 2, 1, 8, 8}, Case{1, 2, 3, 1, 0, 5, 6}, Case{3, 2, 3, 2, 1, 7, 5}}) {
        CAPTURE(tc.k);
        CAPTURE(tc.s);
        CAPTURE(tc.p);
        nn::Rng rng(11);
        nn::Conv2d layer;
        nn::conv2d_init(layer, "conv", tc.c, tc.o, tc.k, tc.s, tc.p, tc.h, tc.w, rng);
        CHECK(layer.weight.shape == std::vector<int64_t>{tc.o, tc.c, tc.k, tc.k});
        CHECK(layer.g.out_h == (tc.h + 2 * tc.p - tc.k) / tc.s + 1);
        nn::ConvScratch scratch;
        Matrix x = random_matrix(2, layer.g.in_features(), 12);
        Matrix y;
        nn::conv2d_forward(y, x, layer, scratch);
        Matrix ref = conv2d_reference(x, layer);
        CHECK((y - ref).cwiseAbs().maxCoeff() < 1e-5f);

        Matrix r = projection_like(y);
        Matrix dx;
        nn::conv2d_backward(&dx, r, x, layer, scratch);
        auto loss = [&] { Matrix o; nn::ConvScratch s; nn::conv2d_forward(o, x, layer, s); return project(o, r); };
        require_gradient("conv2d dx", x, dx, loss);
        require_gradient("conv2d dW", layer.weight.value, layer.weight.grad, loss);
        require_gradient("conv2d db", layer.bias.value, layer.bias.grad, loss);
    }
}

TEST_CASE("nn: conv_transpose2d matches the scatter definition, shapes, gradients") {
    struct Case { int c, o, k, s, p, op, h, w, expect_h; };
    for (Case tc : {Case{3, 2, 4, 2, 1, 0, 7, 7, 14}, Case{2, 1, 4, 2, 1, 0, 14, 14, 28},
                    Case{2, 3, 3, 2, 1, 1, 4, 5, 8}, Case{1, 2, 3, 1, 0, 0, 3, 3, 5}}) {
        CAPTURE(tc.k);
        CAPTURE(tc.s);
        CAPTURE(tc.op);
        nn::Rng rng(21);
        nn::ConvTranspose2d layer;
        nn::conv_transpose2d_init(layer, "deconv", tc.c, tc.o, tc.k, tc.s, tc.p, tc.op, tc.h, tc.w, rng);
        CHECK(layer.weight.shape == std::vector<int64_t>{tc.c, tc.o, tc.k, tc.k});
        CHECK(layer.g.out_h == tc.expect_h);
        nn::ConvScratch scratch;
        Matrix x = random_matrix(2, layer.g.in_features(), 22);
        Matrix y;
        nn::conv_transpose2d_forward(y, x, layer, scratch);
        REQUIRE(y.cols() == layer.g.out_features());
        Matrix ref = conv_transpose2d_reference(x, layer);
        CHECK((y - ref).cwiseAbs().maxCoeff() < 1e-5f);

        Matrix r = projection_like(y);
        Matrix dx;
        nn::conv_transpose2d_backward(&dx, r, x, layer, scratch);
        auto loss = [&] { Matrix o; nn::ConvScratch s; nn::conv_transpose2d_forward(o, x, layer, s); return project(o, r); };
        require_gradient("conv_transpose2d dx", x, dx, loss);
        require_gradient("conv_transpose2d dW", layer.weight.value, layer.weight.grad, loss);
        require_gradient("conv_transpose2d db", layer.bias.value, layer.bias.grad, loss);
    }
}

TEST_CASE("nn: conv_transpose2d's fused per-channel store matches the scatter definition") {
    // Edge sizes (1, 3, 7), channel counts across the kernel's 8-wide strips, kernel < stride,
    // output padding, batch 1 and 3; with and without the fused scale/shift/ReLU.
    struct Case { int c, o, k, s, p, op, h, w; };
    const Case cases[] = {{64, 32, 4, 2, 1, 0, 7, 7}, {32, 1, 4, 2, 1, 0, 14, 14}, {1, 1, 1, 1, 0, 0, 1, 1},
                          {3, 7, 3, 1, 1, 0, 3, 7},   {7, 9, 5, 3, 2, 1, 3, 4},    {5, 3, 2, 3, 0, 2, 1, 3}};
    int checked = 0;
    for (const Case& tc : cases)
        for (int batch : {1, 3})
            for (bool fused : {false, true}) {
                CAPTURE(tc.c);
                CAPTURE(tc.o);
                CAPTURE(tc.k);
                CAPTURE(tc.s);
                CAPTURE(batch);
                CAPTURE(fused);
                nn::Rng rng(23);
                nn::ConvTranspose2d layer;
                nn::conv_transpose2d_init(layer, "deconv", tc.c, tc.o, tc.k, tc.s, tc.p, tc.op, tc.h, tc.w, rng);
                const Matrix x = random_matrix(batch, layer.g.in_features(), 24);
                Matrix want = conv_transpose2d_reference(x, layer);
                std::vector<float> scale(tc.o), shift(tc.o);
                for (int o = 0; o < tc.o; ++o) scale[o] = rng.uniform(-2.0f, 2.0f), shift[o] = rng.uniform(-1.0f, 1.0f);
                nn::ChannelStore store;
                if (fused) {
                    store = {scale.data(), shift.data(), true};
                    const int spatial = layer.g.out_h * layer.g.out_w;
                    for (Eigen::Index b = 0; b < want.rows(); ++b)
                        for (int o = 0; o < tc.o; ++o)
                            for (int i = 0; i < spatial; ++i) {
                                float& v = want(b, o * spatial + i);
                                v = std::max(v * scale[o] + shift[o], 0.0f);
                            }
                }
                // each output sums <= C*k*k products of |x| <= 1 and |w| <= 1/sqrt(fan_in)
                const float tolerance = 1e-6f * (tc.c * tc.k * tc.k + 4) * (fused ? 2.0f : 1.0f);
                nn::ConvScratch scratch;
                Matrix y;
                nn::conv_transpose2d_forward(y, x, layer, scratch, store);
                REQUIRE(y.rows() == batch);
                REQUIRE(y.cols() == layer.g.out_features());
                CHECK((y - want).cwiseAbs().maxCoeff() <= tolerance);
                ++checked;
            }
    CHECK(checked == 6 * 2 * 2);
}

TEST_CASE("nn: impossible conv geometry is an error, not a crash") {
    nn::Rng rng(1);
    nn::Conv2d conv;
    CHECK_THROWS_AS(nn::conv2d_init(conv, "c", 1, 1, 5, 1, 0, 3, 3, rng), std::invalid_argument);
    nn::ConvTranspose2d deconv;
    CHECK_THROWS_AS(nn::conv_transpose2d_init(deconv, "d", 1, 1, 4, 2, 1, 2, 3, 3, rng),
                    std::invalid_argument);
    nn::conv2d_init(conv, "c", 1, 1, 3, 1, 0, 4, 4, rng);
    nn::ConvScratch s;
    Matrix y;
    CHECK_THROWS_AS(nn::conv2d_forward(y, Matrix::Zero(1, 15), conv, s), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Batch norm

TEST_CASE("nn: batchnorm training mode normalises and its gradients check") {
    for (int spatial : {1, 6}) {
        CAPTURE(spatial);
        nn::BatchNorm bn;
        nn::batchnorm_init(bn, "bn", 3, spatial);
        nn::Rng rng(5);
        nn::fill_uniform(bn.weight.value, rng, 0.5f, 1.5f);
        nn::fill_uniform(bn.bias.value, rng, -0.5f, 0.5f);
        Matrix x = random_matrix(5, 3 * spatial, 31, 2.0f);
        x.array() += 1.5f;
        nn::BatchNormCache cache;
        Matrix y;
        nn::batchnorm_forward(y, x, bn, cache, true);
        // Normalised channel 0 has mean beta and (biased) std gamma.
        auto c0 = y.leftCols(spatial);
        double mean = c0.cast<double>().mean();
        CHECK(mean == doctest::Approx(bn.bias.value(0, 0)).epsilon(1e-4));
        // Running statistics moved from (0, 1) towards the batch's.
        CHECK(bn.running_mean.value(0, 0) != 0.0f);

        Matrix r = projection_like(y);
        Matrix dx;
        nn::batchnorm_backward(&dx, r, bn, cache);
        nn::BatchNorm frozen = bn;  // the loss must not keep moving the running stats
        auto loss = [&] {
            nn::BatchNorm copy = frozen;
            copy.weight.value = bn.weight.value;
            copy.bias.value = bn.bias.value;
            nn::BatchNormCache c;
            Matrix o;
            nn::batchnorm_forward(o, x, copy, c, true);
            return project(o, r);
        };
        require_gradient("batchnorm dx", x, dx, loss);
        require_gradient("batchnorm dgamma", bn.weight.value, bn.weight.grad, loss);
        require_gradient("batchnorm dbeta", bn.bias.value, bn.bias.grad, loss);
    }
}

TEST_CASE("nn: batchnorm eval mode uses running statistics and its gradient checks") {
    nn::BatchNorm bn;
    nn::batchnorm_init(bn, "bn", 2, 3);
    bn.running_mean.value << 0.5f, -1.0f;
    bn.running_var.value << 4.0f, 0.25f;
    Matrix x = random_matrix(3, 6, 41);
    nn::BatchNormCache cache;
    Matrix y;
    nn::batchnorm_forward(y, x, bn, cache, false);
    CHECK(y(1, 0) == doctest::Approx((x(1, 0) - 0.5f) / std::sqrt(4.0f + 1e-5f)));
    CHECK(bn.running_mean.value(0, 0) == 0.5f);  // eval does not update
    Matrix r = projection_like(y);
    Matrix dx;
    nn::batchnorm_backward(&dx, r, bn, cache);
    require_gradient("batchnorm eval dx", x, dx, [&] {
        nn::BatchNormCache c; Matrix o; nn::batchnorm_forward(o, x, bn, c, false); return project(o, r); });
    nn::BatchNormCache c1;
    CHECK_THROWS_AS(nn::batchnorm_forward(y, Matrix::Zero(1, 2), bn, c1, true), std::invalid_argument);
}
