// Losses, the reparameterisation trick, optimisers, gradient clipping and the RNG.
#include "gradcheck.h"

#include "nn/losses.h"
#include "nn/optim.h"
#include "nn/rng.h"

using gradcheck::random_matrix;
using gradcheck::require_gradient;
using nn::Matrix;

TEST_CASE("nn: BCE-with-logits value, stability and gradient") {
    Matrix logits(1, 3);
    logits << 0.0f, 2.0f, -3.0f;
    Matrix targets(1, 3);
    targets << 1.0f, 0.0f, 0.25f;
    double expected = std::log(2.0) + (2.0 + std::log1p(std::exp(-2.0))) +
                      (-(0.25 * std::log(1 / (1 + std::exp(3.0))) + 0.75 * std::log(1 - 1 / (1 + std::exp(3.0)))));
    CHECK(nn::bce_with_logits(logits, targets, 1.0f, nullptr) == doctest::Approx(expected).epsilon(1e-5));
    Matrix huge(1, 2);
    huge << 500.0f, -500.0f;
    Matrix t01(1, 2);
    t01 << 0.0f, 1.0f;
    float big = nn::bce_with_logits(huge, t01, 1.0f, nullptr);
    CHECK(std::isfinite(big));
    CHECK(big == doctest::Approx(1000.0f));

    Matrix x = random_matrix(4, 5, 1, 3.0f);
    Matrix t = random_matrix(4, 5, 2);
    t = (t.array() + 1.0f) * 0.5f;
    Matrix dx;
    nn::bce_with_logits(x, t, 0.25f, &dx);
    require_gradient("bce dlogits", x, dx, [&] { return double(nn::bce_with_logits(x, t, 0.25f, nullptr)); });

    // Row weights: row n counts w_n times, in the value and in the gradient.
    Matrix w(4, 1);
    w << 0.5f, 2.0f, 0.0f, 1.25f;
    double weighted = 0;
    for (int n = 0; n < 4; ++n)
        weighted += w(n, 0) * nn::bce_with_logits(x.row(n), t.row(n), 0.25f, nullptr);
    CHECK(nn::bce_with_logits(x, t, 0.25f, nullptr, &w) == doctest::Approx(weighted).epsilon(1e-5));
    Matrix dxw;
    nn::bce_with_logits(x, t, 0.25f, &dxw, &w);
    require_gradient("weighted bce dlogits", x, dxw,
                     [&] { return double(nn::bce_with_logits(x, t, 0.25f, nullptr, &w)); });
    CHECK(dxw.row(2).isZero());  // weight 0: the row does not pull
    const Matrix ones = Matrix::Ones(4, 1);
    Matrix dx1;
    CHECK(nn::bce_with_logits(x, t, 0.25f, &dx1, &ones) == nn::bce_with_logits(x, t, 0.25f, nullptr));
    CHECK(dx1 == dx);
    const Matrix wrong = Matrix::Ones(3, 1);
    CHECK_THROWS_AS(nn::bce_with_logits(x, t, 0.25f, nullptr, &wrong), std::invalid_argument);
}

TEST_CASE("nn: MSE value and gradient") {
    Matrix a = random_matrix(3, 4, 3), b = random_matrix(3, 4, 4), da;
    float value = nn::mse(a, b, 1.0f / 12, &da);
    CHECK(value == doctest::Approx((a - b).squaredNorm() / 12).epsilon(1e-5));
    require_gradient("mse", a, da, [&] { return double(nn::mse(a, b, 1.0f / 12, nullptr)); });
}

TEST_CASE("nn: softmax cross-entropy value, gradient and label checks") {
    Matrix logits(2, 3);
    logits << 1.0f, 2.0f, 3.0f, 1000.0f, 0.0f, -1000.0f;
    std::vector<int> labels = {2, 0};
    double row0 = -std::log(std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)));
    CHECK(nn::softmax_cross_entropy(logits, labels, 0.5f, nullptr) ==
          doctest::Approx(0.5 * row0).epsilon(1e-5));
    Matrix x = random_matrix(4, 6, 5, 2.0f), dx;
    std::vector<int> y = {0, 5, 3, 3};
    nn::softmax_cross_entropy(x, y, 0.25f, &dx);
    require_gradient("softmax xent", x, dx, [&] { return double(nn::softmax_cross_entropy(x, y, 0.25f, nullptr)); });
    CHECK_THROWS_AS(nn::softmax_cross_entropy(x, {0, 6, 1, 1}, 1.0f, nullptr), std::out_of_range);
    CHECK_THROWS_AS(nn::softmax_cross_entropy(x, {0, 1}, 1.0f, nullptr), std::invalid_argument);
    Matrix p;
    nn::softmax_rows(p, logits);
    CHECK(p.row(1).sum() == doctest::Approx(1.0f));
    CHECK(p(1, 0) == doctest::Approx(1.0f));
}

TEST_CASE("nn: Gaussian KL value and gradients") {
    Matrix mu(1, 2), lv(1, 2);
    mu << 0.0f, 1.0f;
    lv << 0.0f, std::log(4.0f);
    // KL for (0, var 1) is 0; for (1, var 4): -0.5 (1 + ln 4 - 1 - 4) = 2 - ln 2.
    CHECK(nn::gaussian_kl(mu, lv, 1.0f, nullptr, nullptr) == doctest::Approx(2.0 - std::log(2.0)).epsilon(1e-5));
    Matrix m = random_matrix(3, 4, 6), l = random_matrix(3, 4, 7), dm, dl;
    nn::gaussian_kl(m, l, 0.5f, &dm, &dl);
    auto loss = [&] { return double(nn::gaussian_kl(m, l, 0.5f, nullptr, nullptr)); };
    require_gradient("kl dmu", m, dm, loss);
    require_gradient("kl dlogvar", l, dl, loss);
}

TEST_CASE("nn: reparameterisation trick gradient") {
    Matrix mu = random_matrix(3, 4, 8), lv = random_matrix(3, 4, 9), eps = random_matrix(3, 4, 10);
    Matrix z;
    nn::reparameterize_forward(z, mu, lv, eps);
    CHECK(z(1, 2) == doctest::Approx(mu(1, 2) + std::exp(0.5f * lv(1, 2)) * eps(1, 2)));
    Matrix r = gradcheck::projection_like(z);
    Matrix dmu = Matrix::Zero(3, 4), dlv = Matrix::Zero(3, 4);
    nn::reparameterize_backward(dmu, dlv, r, lv, eps);
    auto loss = [&] { Matrix o; nn::reparameterize_forward(o, mu, lv, eps); return gradcheck::project(o, r); };
    require_gradient("reparam dmu", mu, dmu, loss);
    require_gradient("reparam dlogvar", lv, dlv, loss);
}

TEST_CASE("nn: Adam first step moves each weight by lr against its gradient sign") {
    nn::Param p;
    nn::param_init(p, "w", {3}, 1, 3);
    p.value << 1.0f, 2.0f, 3.0f;
    p.grad << 0.5f, -2.0f, 1e-3f;
    nn::ParamList list;
    list.add(p);
    nn::Adam adam;
    adam.lr = 0.1f;
    nn::adam_step(adam, list);
    // With bias correction, step 1 is lr * g / (|g| + eps') = lr * sign(g).
    CHECK(p.value(0, 0) == doctest::Approx(0.9f).epsilon(1e-4));
    CHECK(p.value(0, 1) == doctest::Approx(2.1f).epsilon(1e-4));
    CHECK(p.value(0, 2) == doctest::Approx(2.9f).epsilon(1e-3));
}

TEST_CASE("nn: Adam and SGD-momentum minimise a quadratic; buffers are not touched") {
    for (int which = 0; which < 2; ++which) {
        nn::Param p, buffer;
        nn::param_init(p, "w", {4}, 1, 4);
        nn::param_init(buffer, "running", {4}, 1, 4, false);
        p.value << 3.0f, -2.0f, 1.0f, 5.0f;
        buffer.value.setConstant(7.0f);
        nn::ParamList list;
        list.add(p);
        list.add(buffer);
        nn::Adam adam;
        adam.lr = 0.05f;
        nn::SGD sgd;
        sgd.lr = 0.05f;
        sgd.momentum = 0.9f;
        for (int step = 0; step < 400; ++step) {
            nn::zero_grad(list);
            p.grad = 2.0f * p.value;  // d/dp of |p|^2
            buffer.grad.setConstant(1.0f);
            if (which == 0) nn::adam_step(adam, list);
            else nn::sgd_step(sgd, list);
        }
        CAPTURE(which);
        CHECK(p.value.cwiseAbs().maxCoeff() < 0.05f);
        CHECK(buffer.value(0, 0) == 7.0f);
    }
}

TEST_CASE("nn: SGD momentum matches PyTorch's update rule for two steps") {
    nn::Param p;
    nn::param_init(p, "w", {1}, 1, 1);
    p.value(0, 0) = 1.0f;
    nn::ParamList list;
    list.add(p);
    nn::SGD sgd;
    sgd.lr = 0.1f;
    sgd.momentum = 0.5f;
    p.grad(0, 0) = 2.0f;
    nn::sgd_step(sgd, list);  // v = 2, p = 1 - 0.2 = 0.8
    CHECK(p.value(0, 0) == doctest::Approx(0.8f));
    p.grad(0, 0) = 1.0f;
    nn::sgd_step(sgd, list);  // v = 0.5*2 + 1 = 2, p = 0.8 - 0.2 = 0.6
    CHECK(p.value(0, 0) == doctest::Approx(0.6f));
}

TEST_CASE("nn: gradient clipping by global norm") {
    nn::Param a, b;
    nn::param_init(a, "a", {2}, 1, 2);
    nn::param_init(b, "b", {1}, 1, 1);
    a.grad << 3.0f, 0.0f;
    b.grad << 4.0f;
    nn::ParamList list;
    list.add(a);
    list.add(b);
    CHECK(nn::clip_grad_norm(list, 10.0f) == doctest::Approx(5.0f));
    CHECK(a.grad(0, 0) == 3.0f);  // under the limit: untouched
    CHECK(nn::clip_grad_norm(list, 1.0f) == doctest::Approx(5.0f));
    double norm = std::sqrt(a.grad.squaredNorm() + b.grad.squaredNorm());
    CHECK(norm == doctest::Approx(1.0).epsilon(1e-4));
    CHECK(b.grad(0, 0) == doctest::Approx(0.8f).epsilon(1e-4));
}

TEST_CASE("nn: RNG reproduces the PCG32 reference sequence and is seedable") {
    // pcg32-demo (pcg-random.org) with seed 42, stream 54.
    nn::Rng rng(42, 54);
    const uint32_t reference[] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u, 0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
    for (uint32_t expected : reference) CHECK(rng.next_u32() == expected);
    nn::Rng a(7), b(7), c(8);
    bool all_same = true, any_diff = false;
    for (int i = 0; i < 100; ++i) {
        float x = a.normal(), y = b.normal(), z = c.normal();
        all_same = all_same && x == y;
        any_diff = any_diff || x != z;
    }
    CHECK(all_same);
    CHECK(any_diff);
}

TEST_CASE("nn: RNG distributions have the right moments and ranges") {
    nn::Rng rng(123);
    const int n = 200000;
    double sum = 0, sum_sq = 0, usum = 0;
    float umin = 1, umax = 0;
    for (int i = 0; i < n; ++i) {
        double v = rng.normal();
        sum += v;
        sum_sq += v * v;
        float u = rng.uniform();
        usum += u;
        umin = std::min(umin, u);
        umax = std::max(umax, u);
    }
    CHECK(std::fabs(sum / n) < 0.01);
    CHECK(sum_sq / n == doctest::Approx(1.0).epsilon(0.01));
    CHECK(usum / n == doctest::Approx(0.5).epsilon(0.01));
    CHECK(umin >= 0.0f);
    CHECK(umax < 1.0f);
    int counts[3] = {0, 0, 0};
    for (int i = 0; i < 30000; ++i) counts[rng.below(3)]++;
    for (int k : counts) CHECK(k == doctest::Approx(10000).epsilon(0.05));
    std::vector<int> perm = nn::permutation(50, rng);
    std::vector<int> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < 50; ++i) CHECK(sorted[static_cast<size_t>(i)] == i);
    CHECK(perm != sorted);
}
