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
#pragma once

#include "models/classifier.h"
#include "nn/tensor.h"

#include <Eigen/Core>

#include <array>
#include <string>
#include <vector>

namespace models {

// A Gaussian fitted to feature rows: mean [F], covariance [F, F] (unbiased, divides by n-1).
struct FeatureStats {
    Eigen::VectorXd mean;
    Eigen::MatrixXd cov;
    int64_t count = 0;
};

// features [N, F], N >= 2.
FeatureStats feature_stats(const nn::Matrix& features);
// Classifier features of `images` [N, 784], then feature_stats (the reference side of FID).
FeatureStats reference_feature_stats(const nn::Matrix& images, Classifier& classifier);

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
    float confidence_threshold = 0.9f;
};

// images [N, 784] in [0, 1], N >= 2 (use 10,000 for numbers comparable with the table in
// weights/README.md). requested_labels: empty, or N digits the samples were conditioned on.
DigitSampleQuality digit_sample_quality(const nn::Matrix& images, Classifier& classifier,
                                        const FeatureStats& reference,
                                        const std::vector<int>& requested_labels = {},
                                        float confidence_threshold = 0.9f);

// Multi-line human-readable report (FID, confidence, histogram, label accuracy).
std::string format_digit_sample_quality(const DigitSampleQuality& quality);

}  // namespace models
