#include "nn/gan_losses.h"

#include <stdexcept>
#include <string>

namespace nn {

float hinge_d_loss(const Matrix& logits, bool real, float scale, Matrix* dlogits,
                   const Matrix* row_weights) {
    if (row_weights && (row_weights->rows() != logits.rows() || row_weights->cols() != 1))
        throw std::invalid_argument("hinge_d_loss: row weights must be [" +
                                    std::to_string(logits.rows()) + ", 1], got [" +
                                    std::to_string(row_weights->rows()) + ", " +
                                    std::to_string(row_weights->cols()) + "]");
    const float sign = real ? 1.0f : -1.0f;  // loss = relu(1 - sign * x)
    double total = 0;
    if (dlogits) dlogits->resize(logits.rows(), logits.cols());
    for (Eigen::Index n = 0; n < logits.rows(); ++n)
        for (Eigen::Index c = 0; c < logits.cols(); ++c) {
            const float margin = 1.0f - sign * logits(n, c);
            const float w = row_weights ? (*row_weights)(n, 0) : 1.0f;
            if (margin > 0) total += double(w) * margin;
            if (dlogits) (*dlogits)(n, c) = margin > 0 ? -sign * scale * w : 0.0f;
        }
    return static_cast<float>(total * scale);
}

float hinge_g_loss(const Matrix& logits, float scale, Matrix* dlogits) {
    if (dlogits) *dlogits = Matrix::Constant(logits.rows(), logits.cols(), -scale);
    return static_cast<float>(-double(scale) * logits.cast<double>().sum());
}

}  // namespace nn
