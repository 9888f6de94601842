#include "models/metrics.h"

#include "nn/losses.h"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace models {

FeatureStats feature_stats(const nn::Matrix& features) {
    const Eigen::Index n = features.rows();
    if (n < 2)
        throw std::invalid_argument("feature_stats: need at least 2 rows, got " + std::to_string(n));
    const Eigen::MatrixXd x = features.cast<double>();
    FeatureStats s;
    s.count = n;
    s.mean = x.colwise().mean().transpose();
    const Eigen::MatrixXd centred = x.rowwise() - s.mean.transpose();
    s.cov = (centred.transpose() * centred) / double(n - 1);
    return s;
}

FeatureStats reference_feature_stats(const nn::Matrix& images, Classifier& classifier) {
    nn::Matrix features;
    classifier_features(features, images, classifier);
    return feature_stats(features);
}

// Square root of a symmetric positive semi-definite matrix (symmetrised first; negative
// eigenvalues from rounding are clamped to 0).
static Eigen::MatrixXd sqrt_psd(const Eigen::MatrixXd& m) {
    const Eigen::MatrixXd sym = 0.5 * (m + m.transpose());
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(sym);
    const Eigen::VectorXd roots = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
    return eig.eigenvectors() * roots.asDiagonal() * eig.eigenvectors().transpose();
}

double frechet_distance(const FeatureStats& a, const FeatureStats& b) {
    if (a.mean.size() != b.mean.size() || a.cov.rows() != a.mean.size() ||
        b.cov.rows() != b.mean.size())
        throw std::invalid_argument("frechet_distance: feature dimensions differ (" +
                                    std::to_string(a.mean.size()) + " vs " +
                                    std::to_string(b.mean.size()) + ")");
    // tr sqrt(S1 S2) = tr sqrt(S1^1/2 S2 S1^1/2); the latter is symmetric PSD.
    const Eigen::MatrixXd root1 = sqrt_psd(a.cov);
    const Eigen::MatrixXd inner = root1 * b.cov * root1;
    const Eigen::MatrixXd sym = 0.5 * (inner + inner.transpose());
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(sym, Eigen::EigenvaluesOnly);
    const double trace_sqrt = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
    const double d = (a.mean - b.mean).squaredNorm() + a.cov.trace() + b.cov.trace() - 2.0 * trace_sqrt;
    return std::max(0.0, d);
}

std::array<double, kDigitClasses> class_histogram(const std::vector<int>& labels) {
    std::array<double, kDigitClasses> h{};
    for (int label : labels) {
        if (label < 0 || label >= kDigitClasses)
            throw std::out_of_range("class_histogram: label " + std::to_string(label) +
                                    " outside 0..9");
        h[static_cast<size_t>(label)] += 1.0;
    }
    if (!labels.empty())
        for (double& v : h) v /= double(labels.size());
    return h;
}

DigitSampleQuality digit_sample_quality(const nn::Matrix& images, Classifier& classifier,
                                        const FeatureStats& reference,
                                        const std::vector<int>& requested_labels,
                                        float confidence_threshold) {
    const Eigen::Index n = images.rows();
    if (!requested_labels.empty() && static_cast<Eigen::Index>(requested_labels.size()) != n)
        throw std::invalid_argument("digit_sample_quality: " + std::to_string(n) + " images but " +
                                    std::to_string(requested_labels.size()) + " requested labels");
    nn::Matrix features, logits, probs;
    classifier_features_and_logits(features, logits, images, classifier);
    nn::softmax_rows(probs, logits);
    DigitSampleQuality q;
    q.count = n;
    q.confidence_threshold = confidence_threshold;
    q.fid = frechet_distance(feature_stats(features), reference);
    std::vector<int> predicted(static_cast<size_t>(n));
    int64_t confident = 0, correct = 0;
    double confidence_sum = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
        Eigen::Index best = 0;
        const float p = probs.row(i).maxCoeff(&best);
        predicted[static_cast<size_t>(i)] = static_cast<int>(best);
        confident += p >= confidence_threshold;
        confidence_sum += p;
        if (!requested_labels.empty()) correct += requested_labels[static_cast<size_t>(i)] == best;
    }
    q.confident_fraction = double(confident) / double(n);
    q.mean_confidence = confidence_sum / double(n);
    q.class_fraction = class_histogram(predicted);
    if (!requested_labels.empty()) q.label_accuracy = double(correct) / double(n);
    return q;
}

std::string format_digit_sample_quality(const DigitSampleQuality& q) {
    char line[160];
    std::string s;
    std::snprintf(line, sizeof line, "samples              %lld\n", static_cast<long long>(q.count));
    s += line;
    std::snprintf(line, sizeof line, "classifier-FID       %.3f\n", q.fid);
    s += line;
    std::snprintf(line, sizeof line, "confident (p>=%.2f)  %.4f   mean confidence %.4f\n",
                  q.confidence_threshold, q.confident_fraction, q.mean_confidence);
    s += line;
    s += "class histogram     ";
    double lo = 1, hi = 0;
    for (int d = 0; d < kDigitClasses; ++d) {
        std::snprintf(line, sizeof line, " %d:%4.1f%%", d, 100.0 * q.class_fraction[static_cast<size_t>(d)]);
        s += line;
        lo = std::min(lo, q.class_fraction[static_cast<size_t>(d)]);
        hi = std::max(hi, q.class_fraction[static_cast<size_t>(d)]);
    }
    std::snprintf(line, sizeof line, "\nclass range          %.1f%% .. %.1f%%\n", 100 * lo, 100 * hi);
    s += line;
    if (q.label_accuracy >= 0) {
        std::snprintf(line, sizeof line, "label accuracy       %.4f\n", q.label_accuracy);
        s += line;
    }
    return s;
}

}  // namespace models
