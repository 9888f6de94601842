// metrics: Fréchet distance against closed forms, feature statistics, histograms.
#include "models/metrics.h"
#include "nn/rng.h"

#include <doctest/doctest.h>

#include <cmath>

namespace {

models::FeatureStats gaussian(std::initializer_list<double> mean, std::initializer_list<double> var) {
    models::FeatureStats s;
    s.mean = Eigen::VectorXd::Map(mean.begin(), static_cast<Eigen::Index>(mean.size()));
    s.cov = Eigen::VectorXd::Map(var.begin(), static_cast<Eigen::Index>(var.size())).asDiagonal();
    s.count = 100;
    return s;
}

}  // namespace

TEST_CASE("metrics: Frechet distance of identical Gaussians is 0") {
    // A full (non-diagonal) covariance, so the matrix square roots are exercised.
    nn::Matrix x(500, 6);
    nn::Rng rng(3);
    nn::fill_normal(x, rng);
    x.col(1) += 0.8f * x.col(0);
    x.col(4) -= 0.5f * x.col(2);
    models::FeatureStats s = models::feature_stats(x);
    CHECK(std::abs(models::frechet_distance(s, s)) < 1e-9);
}

TEST_CASE("metrics: Frechet distance of 1-D Gaussians matches (m1-m2)^2 + (s1-s2)^2") {
    const double m1 = 0.5, s1 = 2.0, m2 = -1.0, s2 = 0.5;
    const double expected = (m1 - m2) * (m1 - m2) + (s1 - s2) * (s1 - s2);  // 2.25 + 2.25
    CHECK(models::frechet_distance(gaussian({m1}, {s1 * s1}), gaussian({m2}, {s2 * s2})) ==
          doctest::Approx(expected).epsilon(1e-12));
    // Diagonal covariances: the distance is the sum over dimensions; symmetric.
    models::FeatureStats a = gaussian({0, 1, 2}, {1, 4, 9}), b = gaussian({1, 1, 0}, {4, 4, 1});
    const double diag = (1 + 1) + (0 + 0) + (4 + 4);  // (dm^2 + (s1-s2)^2) per dimension
    CHECK(models::frechet_distance(a, b) == doctest::Approx(diag).epsilon(1e-12));
    CHECK(models::frechet_distance(b, a) == doctest::Approx(diag).epsilon(1e-12));
}

TEST_CASE("metrics: Frechet distance of a rotated Gaussian with the same spectrum") {
    // Sigma2 = R Sigma1 R^T with a 90-degree rotation swaps the variances: for diag(1,4) vs
    // diag(4,1), d = (1-2)^2 + (2-1)^2 = 2 (commuting case).
    models::FeatureStats a = gaussian({0, 0}, {1, 4});
    models::FeatureStats b = gaussian({0, 0}, {4, 1});
    CHECK(models::frechet_distance(a, b) == doctest::Approx(2.0).epsilon(1e-12));
    // A non-commuting pair against a brute-force trace: tr sqrt(S1 S2) with S1 = I is tr sqrt(S2).
    models::FeatureStats eye = gaussian({0, 0}, {1, 1});
    models::FeatureStats c;
    c.mean = Eigen::VectorXd::Zero(2);
    c.cov.resize(2, 2);
    c.cov << 2.0, 1.0, 1.0, 2.0;  // eigenvalues 3 and 1
    const double expected = 2.0 + 4.0 - 2.0 * (std::sqrt(3.0) + 1.0);
    CHECK(models::frechet_distance(eye, c) == doctest::Approx(expected).epsilon(1e-12));
}

TEST_CASE("metrics: feature_stats recovers mean and unbiased covariance") {
    nn::Matrix x(4, 2);
    x << 1, 2, 3, 2, 5, 6, 7, 6;
    models::FeatureStats s = models::feature_stats(x);
    CHECK(s.mean(0) == doctest::Approx(4.0));
    CHECK(s.mean(1) == doctest::Approx(4.0));
    CHECK(s.cov(0, 0) == doctest::Approx(20.0 / 3.0));  // (9+1+1+9)/3
    CHECK(s.cov(0, 1) == doctest::Approx(16.0 / 3.0));  // (6+2+2+6)/3
    CHECK(s.cov(1, 1) == doctest::Approx(16.0 / 3.0));
    CHECK_THROWS_AS(models::feature_stats(nn::Matrix(1, 2)), std::invalid_argument);
    CHECK_THROWS_AS(models::frechet_distance(gaussian({0}, {1}), gaussian({0, 0}, {1, 1})),
                    std::invalid_argument);
}

TEST_CASE("metrics: class histogram") {
    auto h = models::class_histogram({0, 1, 1, 9, 9, 9, 3, 3});
    CHECK(h[0] == doctest::Approx(0.125));
    CHECK(h[1] == doctest::Approx(0.25));
    CHECK(h[9] == doctest::Approx(0.375));
    CHECK(h[3] == doctest::Approx(0.25));
    CHECK(h[5] == 0.0);
    double total = 0;
    for (double v : h) total += v;
    CHECK(total == doctest::Approx(1.0));
    CHECK_THROWS_AS(models::class_histogram({0, 10}), std::out_of_range);
}

namespace {

nn::Matrix column(std::initializer_list<float> values) {
    nn::Matrix m(static_cast<Eigen::Index>(values.size()), 1);
    Eigen::Index i = 0;
    for (float v : values) m(i++, 0) = v;
    return m;
}

nn::Matrix gaussian_cloud(int n, int dims, float centre, uint64_t seed) {
    nn::Matrix x(n, dims);
    nn::Rng rng(seed);
    nn::fill_normal(x, rng);
    x.array() += centre;
    return x;
}

}  // namespace

TEST_CASE("metrics: k-NN radii by hand (1-D, self excluded)") {
    // Points 0, 1, 3, 6: squared distances to the others are {1,9,36}, {1,4,25}, {9,4,9}, {36,25,9}.
    const nn::Matrix x = column({0, 1, 3, 6});
    std::vector<double> k1 = models::knn_radii(x, 1), k2 = models::knn_radii(x, 2);
    CHECK(k1 == std::vector<double>{1, 1, 4, 9});
    CHECK(k2 == std::vector<double>{9, 4, 9, 25});
    CHECK_THROWS_AS(models::knn_radii(x, 4), std::invalid_argument);  // needs more than k rows
    CHECK_THROWS_AS(models::knn_radii(x, 0), std::invalid_argument);
}

TEST_CASE("metrics: precision and recall of identical sets are 1") {
    // More rows than one distance block (512), so the block edges are exercised.
    const nn::Matrix x = gaussian_cloud(700, 8, 0.0f, 11);
    models::PrecisionRecall pr = models::precision_recall(x, x, 5);
    CHECK(pr.precision == 1.0);
    CHECK(pr.recall == 1.0);
    CHECK(pr.k == 5);
}

TEST_CASE("metrics: precision and recall of disjoint clusters are 0") {
    const nn::Matrix real = gaussian_cloud(300, 8, 0.0f, 1), fake = gaussian_cloud(200, 8, 50.0f, 2);
    models::PrecisionRecall pr = models::precision_recall(real, fake, 5);
    CHECK(pr.precision == 0.0);
    CHECK(pr.recall == 0.0);
}

TEST_CASE("metrics: a generator that covers one of two modes: precision ~1, recall ~1/2") {
    nn::Matrix real(600, 4);
    real << gaussian_cloud(300, 4, 0.0f, 3), gaussian_cloud(300, 4, 40.0f, 4);
    const nn::Matrix fake = gaussian_cloud(400, 4, 0.0f, 5);  // only the first mode
    models::PrecisionRecall pr = models::precision_recall(real, fake, 5);
    CHECK(pr.precision > 0.95);
    CHECK(pr.recall > 0.45);
    CHECK(pr.recall <= 0.5);  // nothing of the second mode is covered
    // Swapped roles: every real point of the one mode is covered by the two-mode "samples";
    // the second mode's samples lie outside the real manifold.
    models::PrecisionRecall swapped = models::precision_recall(fake, real, 5);
    CHECK(swapped.precision <= 0.5);
    CHECK(swapped.precision > 0.45);
    CHECK(swapped.recall > 0.95);
}

TEST_CASE("metrics: precision and recall by hand (1-D, k = 1), and errors") {
    // real 0,1,2,3: every radius is 1. fake 0.5, 10, 11, 12.5: radii 9.5^2, 1, 1, 1.5^2.
    // Precision: only 0.5 lies within a real radius (0.25 <= 1) -> 1/4.
    // Recall: the outlier 0.5's radius (90.25) covers every real point -> 1 (the known weakness
    // of k-NN recall to outliers, which is why k stays small).
    const nn::Matrix real = column({0, 1, 2, 3}), fake = column({0.5f, 10, 11, 12.5f});
    models::PrecisionRecall pr = models::precision_recall(real, fake, 1);
    CHECK(pr.precision == 0.25);
    CHECK(pr.recall == 1.0);
    // On the radius counts as inside: real 0, 2, 4 have radius 2^2; fake 6 is exactly 2^2 from 4.
    CHECK(models::precision_recall(column({0, 2, 4}), column({6, 30, 31}), 1).precision ==
          doctest::Approx(1.0 / 3.0));
    CHECK_THROWS_AS(models::precision_recall(real, nn::Matrix::Zero(4, 2), 1), std::invalid_argument);
    CHECK_THROWS_AS(models::precision_recall(real, fake, 4), std::invalid_argument);
}
