// Sample-quality numbers for any model that draws MNIST-style digits (GAN, cGAN, VAE, ...),
// judged by the digit classifier (models/classifier.h). What `genlab eval` prints.
//
// How to evaluate a generative model's samples (e.g. a VAE's decoded N(0, I) latents):
//
//   models::Classifier judge;
//   models::load_classifier(judge, io::read_safetensors("weights/classifier.safetensors"));
//   // reference = the MNIST test set, 10,000 images [10000, 784] in [0, 1]
//   models::FeatureStats reference = models::reference_feature_stats(test_images, judge);
//   nn::Matrix samples = ...;   // [10000, 784] in [0, 1], 0 = background, 1 = ink
//   models::DigitSampleQuality q = models::digit_sample_quality(samples, judge, reference);
//   std::printf("%s", models::format_digit_sample_quality(q).c_str());
//
// The numbers:
//   fid                 classifier-FID: Fréchet distance between Gaussians fitted to the
//                       classifier's penultimate features (fc1 after ReLU) of the samples and of
//                       the reference, ||mu1-mu2||^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2),
//                       computed in double. Lower is better; real MNIST training images against
//                       the test set give the floor (`genlab eval mnist`). Not comparable with
//                       Inception-FID numbers from papers.
//   confident_fraction  fraction of samples whose top softmax probability is >= 0.9
//                       ("recognisable digits").
//   class_fraction[d]   fraction of samples classified as digit d (mode coverage: each should
//                       be about 10%, 7-13% is fine; a collapsed GAN shows a few big bins).
//   label_accuracy      only when requested labels are given (cGAN): fraction of samples whose
//                       predicted digit equals the label they were generated for; else -1.
//   precision, recall   improved precision and recall (Kynkäänniemi et al. 2019) on the same
//                       classifier features, k = 5: precision = fraction of samples that fall
//                       inside the real manifold (the union of balls around each reference
//                       feature reaching its k-th nearest reference neighbour); recall = fraction
//                       of reference features inside the samples' manifold. Precision measures
//                       quality (no broken blends), recall coverage (no missing styles/digits).
//                       Both in [0, 1], higher is better; real MNIST training images against the
//                       test set give the floor. -1 when the reference has no features kept.
#pragma once

#include "models/classifier.h"
#include "nn/tensor.h"

#include <Eigen/Core>

#include <array>
#include <string>
#include <vector>

namespace models {

// Improved precision and recall (Kynkäänniemi et al. 2019) between two feature sets.
struct PrecisionRecall {
    double precision = -1, recall = -1;
    int k = 5;
};

// Squared Euclidean distance from each row of `features` [N, F] to its k-th nearest other row
// (the row itself excluded), N > k. Brute force in row blocks (a 10,000 x 10,000 problem is a
// few GEMMs), computed in double.
std::vector<double> knn_radii(const nn::Matrix& features, int k);

// real [Nr, F] (the reference, e.g. MNIST test features), fake [Nf, F] (the samples'), both
// with more than k rows: precision = fraction of fake rows within the k-NN radius of some real
// row; recall = fraction of real rows within the k-NN radius of some fake row. A point exactly
// on a radius counts as inside. Throws std::invalid_argument for too few rows or F mismatch.
PrecisionRecall precision_recall(const nn::Matrix& real, const nn::Matrix& fake, int k = 5);

// A Gaussian fitted to feature rows: mean [F], covariance [F, F] (unbiased, divides by n-1).
struct FeatureStats {
    Eigen::VectorXd mean;
    Eigen::MatrixXd cov;
    int64_t count = 0;
    nn::Matrix features;  // [N, F], only when asked for (reference_feature_stats)
};

// features [N, F], N >= 2.
FeatureStats feature_stats(const nn::Matrix& features);
// Classifier features of `images` [N, 784], then feature_stats (the reference side of FID).
// With `keep_features`, the features themselves are kept too (the reference side of
// precision/recall).
FeatureStats reference_feature_stats(const nn::Matrix& images, Classifier& classifier,
                                     bool keep_features = false);

// Fréchet distance between N(a.mean, a.cov) and N(b.mean, b.cov). The matrix square root goes
// through two symmetric eigendecompositions (S1^1/2, then (S1^1/2 S2 S1^1/2)^1/2), negative
// eigenvalues from rounding clamped to 0, so the result is >= 0 up to rounding.
// Throws std::invalid_argument when the dimensions differ.
double frechet_distance(const FeatureStats& a, const FeatureStats& b);

// Fraction per class of `labels` (values in 0..9; others throw std::out_of_range).
std::array<double, kDigitClasses> class_histogram(const std::vector<int>& labels);

struct DigitSampleQuality {
    int64_t count = 0;
    double fid = 0;
    double confident_fraction = 0;  // top probability >= confidence_threshold
    double mean_confidence = 0;
    std::array<double, kDigitClasses> class_fraction{};
    double label_accuracy = -1;  // -1 when no requested labels were given
    PrecisionRecall pr;          // -1s when the reference kept no features
    float confidence_threshold = 0.9f;
};

// images [N, 784] in [0, 1], N >= 2 (use 10,000 for numbers comparable with the table in
// weights/README.md). requested_labels: empty, or N digits the samples were conditioned on.
// Precision and recall are computed when the reference kept its features (k = pr_k).
DigitSampleQuality digit_sample_quality(const nn::Matrix& images, Classifier& classifier,
                                        const FeatureStats& reference,
                                        const std::vector<int>& requested_labels = {},
                                        float confidence_threshold = 0.9f, int pr_k = 5);

// Multi-line human-readable report (FID, confidence, histogram, label accuracy, precision and
// recall). With `floor`, a second column shows the same numbers for real images (the MNIST
// floor of `genlab eval mnist`) beside each line.
std::string format_digit_sample_quality(const DigitSampleQuality& quality,
                                        const DigitSampleQuality* floor = nullptr);

}  // namespace models
