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
