// The discriminator's regularisers as nn pieces: spectral normalisation (sigma against an SVD,
// power iteration convergence, gradient check), hinge losses (values and gradients), minibatch
// standard deviation (values, gradient check).
#include "gradcheck.h"

#include "nn/gan_losses.h"
#include "nn/minibatch_stddev.h"
#include "nn/spectral_norm.h"

#include <Eigen/SVD>

using gradcheck::project;
using gradcheck::projection_like;
using gradcheck::random_matrix;
using gradcheck::require_gradient;
using nn::Matrix;

namespace {

nn::Param weight_param(int rows, int cols, uint64_t seed) {
    nn::Param p;
    nn::param_init(p, "layer.weight", {rows, cols}, rows, cols);
    p.value = random_matrix(rows, cols, seed);
    return p;
}

double largest_singular_value(const Matrix& w) {
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(w.cast<double>());
    return svd.singularValues()(0);
}

}  // namespace

TEST_CASE("nn: spectral norm names, converges to the largest singular value, W_sn has norm 1") {
    nn::Rng rng(3);
    const nn::Param w = weight_param(6, 10, 4);
    nn::SpectralNorm sn;
    nn::spectral_norm_init(sn, w, rng);
    CHECK(sn.weight_orig.name == "layer.weight_orig");
    CHECK(sn.u.name == "layer.weight_u");
    CHECK(sn.u.shape == std::vector<int64_t>{6});
    CHECK_FALSE(sn.u.trainable);
    CHECK(sn.u.value.norm() == doctest::Approx(1.0f).epsilon(1e-5));
    Matrix w_sn;
    nn::spectral_norm_forward(w_sn, sn, 1);
    const double sigma = largest_singular_value(w.value);
    CHECK(sn.sigma <= sigma * (1 + 1e-5));  // a power-iteration estimate is a lower bound
    nn::spectral_norm_forward(w_sn, sn, 50);
    CHECK(sn.sigma == doctest::Approx(sigma).epsilon(1e-4));
    CHECK(largest_singular_value(w_sn) == doctest::Approx(1.0).epsilon(1e-4));
    CHECK((w_sn * sn.sigma - w.value).cwiseAbs().maxCoeff() < 1e-5f);
    // One iteration per call, repeated (as in training), converges too.
    nn::SpectralNorm again;
    nn::Rng rng2(3);
    nn::spectral_norm_init(again, w, rng2);
    for (int i = 0; i < 50; ++i) nn::spectral_norm_forward(w_sn, again, 1);
    CHECK(again.sigma == doctest::Approx(sigma).epsilon(1e-4));
    // 0 iterations keeps u.
    const Matrix u = again.u.value;
    nn::spectral_norm_forward(w_sn, again, 0);
    CHECK(again.u.value == u);
}

TEST_CASE("nn: spectral norm gradient check (u, v held fixed, as in PyTorch)") {
    for (int iterations : {1, 30}) {  // an estimate of sigma far from and close to converged
        nn::Rng rng(5);
        nn::Param w = weight_param(4, 7, 6);
        nn::SpectralNorm sn;
        nn::spectral_norm_init(sn, w, rng);
        Matrix w_sn;
        nn::spectral_norm_forward(w_sn, sn, iterations);
        const Matrix r = projection_like(w_sn);
        nn::spectral_norm_backward(r, w_sn, sn);
        auto loss = [&] {
            Matrix out;
            nn::spectral_norm_forward(out, sn, 0);  // the same u and v
            return project(out, r);
        };
        INFO("power iterations " << iterations);
        gradcheck::Tolerance tol;
        tol.step = 1e-3f;
        require_gradient("spectral norm dW", sn.weight_orig.value, sn.weight_orig.grad, loss, tol);
        // The gradient accumulates (after a forward that restores sigma of the unperturbed W).
        const Matrix once = sn.weight_orig.grad;
        nn::spectral_norm_forward(w_sn, sn, 0);
        nn::spectral_norm_backward(r, w_sn, sn);
        CHECK((sn.weight_orig.grad - 2 * once).cwiseAbs().maxCoeff() < 1e-5f);
    }
    nn::SpectralNorm sn;
    nn::Rng rng(1);
    nn::spectral_norm_init(sn, weight_param(3, 3, 2), rng);
    Matrix w_sn;
    nn::spectral_norm_forward(w_sn, sn);
    CHECK_THROWS_AS(nn::spectral_norm_backward(Matrix::Zero(3, 4), w_sn, sn), std::invalid_argument);
    sn.weight_orig.value.setZero();
    CHECK_THROWS_AS(nn::spectral_norm_forward(w_sn, sn), std::runtime_error);  // sigma 0
}

TEST_CASE("nn: hinge losses: values by hand, gradients, margins, row weights") {
    const Matrix logits = (Matrix(4, 1) << -2.0f, 0.5f, 1.5f, 0.0f).finished();
    Matrix d;
    // real: relu(1 - x) = 3, 0.5, 0, 1  -> sum 4.5
    CHECK(nn::hinge_d_loss(logits, true, 0.25f, &d) == doctest::Approx(4.5 * 0.25));
    CHECK(d(0, 0) == -0.25f);
    CHECK(d(1, 0) == -0.25f);
    CHECK(d(2, 0) == 0.0f);  // beyond the margin: no push
    // fake: relu(1 + x) = 0, 1.5, 2.5, 1 -> sum 5
    CHECK(nn::hinge_d_loss(logits, false, 1.0f, &d) == doctest::Approx(5.0));
    CHECK(d(0, 0) == 0.0f);
    CHECK(d(1, 0) == 1.0f);
    // generator: -sum x = 0
    CHECK(nn::hinge_g_loss(logits, 0.5f, &d) == doctest::Approx(0.0));
    CHECK(d(2, 0) == -0.5f);
    // row weights, and a gradient check away from the margins
    const Matrix w = (Matrix(4, 1) << 0.5f, 2.0f, 1.0f, 3.0f).finished();
    CHECK(nn::hinge_d_loss(logits, true, 1.0f, nullptr, &w) == doctest::Approx(0.5 * 3 + 2 * 0.5 + 3 * 1));
    Matrix x = (Matrix(3, 2) << -2.0f, 0.3f, 0.6f, 1.7f, -0.4f, -1.6f).finished();
    for (bool real : {true, false}) {
        nn::hinge_d_loss(x, real, 0.3f, &d, nullptr);
        require_gradient(real ? "hinge real" : "hinge fake", x, d,
                         [&] { return double(nn::hinge_d_loss(x, real, 0.3f, nullptr)); });
    }
    nn::hinge_g_loss(x, 0.3f, &d);
    require_gradient("hinge g", x, d, [&] { return double(nn::hinge_g_loss(x, 0.3f, nullptr)); });
    CHECK_THROWS_AS(nn::hinge_d_loss(logits, true, 1.0f, nullptr, &x), std::invalid_argument);
}

TEST_CASE("nn: minibatch stddev appends the batch's mean std; gradient check") {
    // 2 channels of 3 positions, batch 4.
    Matrix x = random_matrix(4, 6, 21);
    nn::MinibatchStddevCache cache;
    Matrix y;
    nn::minibatch_stddev_forward(y, x, 3, cache);
    REQUIRE(y.rows() == 4);
    REQUIRE(y.cols() == 9);
    CHECK(y.leftCols(6) == x);
    double s = 0;
    for (int f = 0; f < 6; ++f) {
        const double mean = x.col(f).cast<double>().mean();
        s += std::sqrt((x.col(f).cast<double>().array() - mean).square().mean() + 1e-8);
    }
    s /= 6;
    for (int b = 0; b < 4; ++b)
        for (int j = 6; j < 9; ++j) CHECK(y(b, j) == doctest::Approx(s).epsilon(1e-5));
    // Identical rows: no spread.
    Matrix same = x.row(0).replicate(4, 1);
    nn::minibatch_stddev_forward(y, same, 3, cache);
    CHECK(y(2, 7) == doctest::Approx(1e-4).epsilon(1e-2));  // sqrt(eps)

    nn::minibatch_stddev_forward(y, x, 3, cache);
    const Matrix r = projection_like(y);
    Matrix dx;
    nn::minibatch_stddev_backward(dx, r, x, cache);
    auto loss = [&] {
        nn::MinibatchStddevCache c;
        Matrix out;
        nn::minibatch_stddev_forward(out, x, 3, c);
        return project(out, r);
    };
    gradcheck::Tolerance tol;
    tol.step = 1e-3f;
    require_gradient("minibatch stddev dx", x, dx, loss, tol);
    // S = 1: one feature per row.
    nn::minibatch_stddev_forward(y, x, 1, cache);
    CHECK(y.cols() == 7);
    CHECK_THROWS_AS(nn::minibatch_stddev_forward(y, x, 4, cache), std::invalid_argument);  // 6 % 4
    CHECK_THROWS_AS(nn::minibatch_stddev_forward(y, x.topRows(1), 1, cache), std::invalid_argument);
    CHECK_THROWS_AS(nn::minibatch_stddev_backward(dx, Matrix::Zero(4, 6), x, cache), std::invalid_argument);
}
