#include "nn/losses.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "nn/layers.h"

namespace nn {

static void check_same_shape(const Matrix& a, const Matrix& b, const char* what) {
    if (a.rows() != b.rows() || a.cols() != b.cols())
        throw std::invalid_argument(std::string(what) + ": shapes differ ([" +
                                    std::to_string(a.rows()) + ", " + std::to_string(a.cols()) +
                                    "] vs [" + std::to_string(b.rows()) + ", " +
                                    std::to_string(b.cols()) + "])");
}

float bce_with_logits(const Matrix& logits, const Matrix& targets, float scale,
                      Matrix* dlogits, const Matrix* row_weights) {
    check_same_shape(logits, targets, "bce_with_logits");
    if (row_weights && (row_weights->rows() != logits.rows() || row_weights->cols() != 1))
        throw std::invalid_argument("bce_with_logits: row weights must be [" +
                                    std::to_string(logits.rows()) + ", 1], got [" +
                                    std::to_string(row_weights->rows()) + ", " +
                                    std::to_string(row_weights->cols()) + "]");
    double total = 0;
    if (dlogits) dlogits->resize(logits.rows(), logits.cols());
    for (Eigen::Index n = 0; n < logits.rows(); ++n) {  // storage order (row-major)
        for (Eigen::Index c = 0; c < logits.cols(); ++c) {
            const float x = logits(n, c), t = targets(n, c);
            const float w = row_weights ? (*row_weights)(n, 0) : 1.0f;
            total += w * (std::max(x, 0.0f) - x * t + std::log1p(std::exp(-std::fabs(x))));
            if (dlogits) (*dlogits)(n, c) = scale * w * (sigmoid(x) - t);
        }
    }
    return static_cast<float>(total * scale);
}

float mse(const Matrix& prediction, const Matrix& target, float scale, Matrix* dprediction) {
    check_same_shape(prediction, target, "mse");
    Matrix diff = prediction - target;
    if (dprediction) *dprediction = (2.0f * scale) * diff;
    return scale * static_cast<float>(diff.cast<double>().squaredNorm());
}

void softmax_rows(Matrix& probs, const Matrix& logits) {
    probs.resize(logits.rows(), logits.cols());
    for (Eigen::Index n = 0; n < logits.rows(); ++n) {
        const float max_logit = logits.row(n).maxCoeff();
        probs.row(n) = (logits.row(n).array() - max_logit).exp();
        probs.row(n) /= probs.row(n).sum();
    }
}

float softmax_cross_entropy(const Matrix& logits, const std::vector<int>& labels, float scale,
                            Matrix* dlogits) {
    if (static_cast<Eigen::Index>(labels.size()) != logits.rows())
        throw std::invalid_argument("softmax_cross_entropy: " + std::to_string(labels.size()) +
                                    " labels for " + std::to_string(logits.rows()) + " rows");
    const int classes = static_cast<int>(logits.cols());
    double total = 0;
    if (dlogits) dlogits->resize(logits.rows(), logits.cols());
    for (Eigen::Index n = 0; n < logits.rows(); ++n) {
        const int label = labels[static_cast<size_t>(n)];
        if (label < 0 || label >= classes)
            throw std::out_of_range("softmax_cross_entropy: label " + std::to_string(label) +
                                    " is outside [0, " + std::to_string(classes) + ")");
        const float max_logit = logits.row(n).maxCoeff();
        double sum = 0;
        for (int c = 0; c < classes; ++c) sum += std::exp(double(logits(n, c)) - max_logit);
        const double log_sum = std::log(sum) + max_logit;
        total += log_sum - logits(n, label);
        if (dlogits) {
            for (int c = 0; c < classes; ++c)
                (*dlogits)(n, c) =
                    scale * static_cast<float>(std::exp(double(logits(n, c)) - log_sum));
            (*dlogits)(n, label) -= scale;
        }
    }
    return static_cast<float>(total * scale);
}

float gaussian_kl(const Matrix& mu, const Matrix& logvar, float scale, Matrix* dmu,
                  Matrix* dlogvar) {
    check_same_shape(mu, logvar, "gaussian_kl");
    double total = 0;
    for (Eigen::Index i = 0; i < mu.size(); ++i) {
        const double m = mu.data()[i], lv = logvar.data()[i];
        total += -0.5 * (1.0 + lv - m * m - std::exp(lv));
    }
    if (dmu) *dmu = scale * mu;
    if (dlogvar) *dlogvar = (0.5f * scale) * (logvar.array().exp() - 1.0f).matrix();
    return static_cast<float>(total * scale);
}

void reparameterize_forward(Matrix& z, const Matrix& mu, const Matrix& logvar,
                            const Matrix& eps) {
    check_same_shape(mu, logvar, "reparameterize");
    check_same_shape(mu, eps, "reparameterize");
    z = mu.array() + (0.5f * logvar.array()).exp() * eps.array();
}

void reparameterize_backward(Matrix& dmu, Matrix& dlogvar, const Matrix& dz,
                             const Matrix& logvar, const Matrix& eps) {
    dmu += dz;
    dlogvar.array() += dz.array() * eps.array() * 0.5f * (0.5f * logvar.array()).exp();
}

}  // namespace nn
