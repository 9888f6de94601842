#include "models/metrics.h"

#include "nn/losses.h"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
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

FeatureStats reference_feature_stats(const nn::Matrix& images, Classifier& classifier,
                                     bool keep_features) {
    nn::Matrix features;
    classifier_features(features, images, classifier);
    FeatureStats s = feature_stats(features);
    if (keep_features) s.features = std::move(features);
    return s;
}

// ---------------------------------------------------------------------------------------------
// Precision and recall on k-NN manifolds.

namespace {

constexpr Eigen::Index kDistanceBlock = 512;  // rows per block: [512, N] doubles at a time

// out [rows, Nb] = squared distances between rows first..first+rows of `a` and every row of
// `b` (both [N, F] col-major doubles), |a|^2 + |b|^2 - 2 a.b clamped at 0.
void squared_distances(Eigen::MatrixXd& out, const Eigen::MatrixXd& a, Eigen::Index first,
                       Eigen::Index rows, const Eigen::MatrixXd& b, const Eigen::VectorXd& b_norms) {
    const auto block = a.middleRows(first, rows);
    out.noalias() = -2.0 * block * b.transpose();
    out.colwise() += block.rowwise().squaredNorm();
    out.rowwise() += b_norms.transpose();
    out = out.cwiseMax(0.0);
}

void check_pr_inputs(const nn::Matrix& x, int k, const char* what) {
    if (k < 1 || x.rows() <= k)
        throw std::invalid_argument(std::string("precision/recall: ") + what + " has " +
                                    std::to_string(x.rows()) + " rows, need more than k = " +
                                    std::to_string(k));
}

}  // namespace

std::vector<double> knn_radii(const nn::Matrix& features, int k) {
    check_pr_inputs(features, k, "the feature set");
    const Eigen::MatrixXd x = features.cast<double>();
    const Eigen::VectorXd norms = x.rowwise().squaredNorm();
    const Eigen::Index n = x.rows();
    std::vector<double> radii(static_cast<size_t>(n));
    Eigen::MatrixXd d;
    std::vector<double> row(static_cast<size_t>(n));
    for (Eigen::Index first = 0; first < n; first += kDistanceBlock) {
        const Eigen::Index rows = std::min(kDistanceBlock, n - first);
        squared_distances(d, x, first, rows, x, norms);
        for (Eigen::Index i = 0; i < rows; ++i) {
            for (Eigen::Index j = 0; j < n; ++j) row[static_cast<size_t>(j)] = d(i, j);
            row[static_cast<size_t>(first + i)] = std::numeric_limits<double>::infinity();  // not itself
            std::nth_element(row.begin(), row.begin() + (k - 1), row.end());
            radii[static_cast<size_t>(first + i)] = row[static_cast<size_t>(k - 1)];
        }
    }
    return radii;
}

PrecisionRecall precision_recall(const nn::Matrix& real, const nn::Matrix& fake, int k) {
    check_pr_inputs(real, k, "the reference set");
    check_pr_inputs(fake, k, "the sample set");
    if (real.cols() != fake.cols())
        throw std::invalid_argument("precision/recall: feature dimensions differ (" +
                                    std::to_string(real.cols()) + " vs " +
                                    std::to_string(fake.cols()) + ")");
    const std::vector<double> real_radii = knn_radii(real, k), fake_radii = knn_radii(fake, k);
    const Eigen::MatrixXd r = real.cast<double>(), f = fake.cast<double>();
    const Eigen::VectorXd r_norms = r.rowwise().squaredNorm();
    // One pass over the fake x real distances answers both questions.
    std::vector<char> real_covered(static_cast<size_t>(r.rows()), 0);
    int64_t fake_inside = 0;
    Eigen::MatrixXd d;
    for (Eigen::Index first = 0; first < f.rows(); first += kDistanceBlock) {
        const Eigen::Index rows = std::min(kDistanceBlock, f.rows() - first);
        squared_distances(d, f, first, rows, r, r_norms);
        for (Eigen::Index i = 0; i < rows; ++i) {
            const double fake_radius = fake_radii[static_cast<size_t>(first + i)];
            bool inside = false;
            for (Eigen::Index j = 0; j < r.rows(); ++j) {
                const double dist = d(i, j);
                inside = inside || dist <= real_radii[static_cast<size_t>(j)];
                if (dist <= fake_radius) real_covered[static_cast<size_t>(j)] = 1;
            }
            fake_inside += inside;
        }
    }
    int64_t covered = 0;
    for (char c : real_covered) covered += c;
    PrecisionRecall pr;
    pr.k = k;
    pr.precision = double(fake_inside) / double(f.rows());
    pr.recall = double(covered) / double(r.rows());
    return pr;
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
                                        float confidence_threshold, int pr_k) {
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
    if (reference.features.rows() > 0) q.pr = precision_recall(reference.features, features, pr_k);
    return q;
}

namespace {

std::string format_value(const char* format, double value) {
    char text[64];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

}  // namespace

std::string format_digit_sample_quality(const DigitSampleQuality& q, const DigitSampleQuality* floor) {
    std::string s;
    // "label  value", then "   (MNIST floor value)" when a floor is given.
    auto row = [&](const std::string& label, const std::string& own, const std::string& real) {
        s += label;
        s.append(label.size() < 21 ? 21 - label.size() : 1, ' ');
        s += own;
        if (floor) s += "   (MNIST floor " + real + ")";
        s += "\n";
    };
    auto range = [](const std::array<double, kDigitClasses>& f) {
        return format_value("%.1f%%", 100 * *std::min_element(f.begin(), f.end())) + " .. " +
               format_value("%.1f%%", 100 * *std::max_element(f.begin(), f.end()));
    };
    const DigitSampleQuality& f = floor ? *floor : q;
    row("samples", std::to_string(q.count), std::to_string(f.count));
    row("classifier-FID", format_value("%.3f", q.fid), format_value("%.3f", f.fid));
    row(format_value("confident (p>=%.2f)", q.confidence_threshold),
        format_value("%.4f", q.confident_fraction), format_value("%.4f", f.confident_fraction));
    row("mean confidence", format_value("%.4f", q.mean_confidence),
        format_value("%.4f", f.mean_confidence));
    std::string histogram;
    for (int d = 0; d < kDigitClasses; ++d)
        histogram += (d ? " " : "") + std::to_string(d) + ":" +
                     format_value("%4.1f%%", 100.0 * q.class_fraction[static_cast<size_t>(d)]);
    s += "class histogram      " + histogram + "\n";
    row("class range", range(q.class_fraction), range(f.class_fraction));
    if (q.pr.precision >= 0) {
        const std::string k = "(k=" + std::to_string(q.pr.k) + ")";
        row("precision " + k, format_value("%.4f", q.pr.precision), format_value("%.4f", f.pr.precision));
        row("recall " + k, format_value("%.4f", q.pr.recall), format_value("%.4f", f.pr.recall));
    }
    if (q.label_accuracy >= 0)
        row("label accuracy", format_value("%.4f", q.label_accuracy),
            format_value("%.4f", f.label_accuracy));
    return s;
}

}  // namespace models
