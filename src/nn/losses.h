// Losses. Each returns scale * (sum of per-element losses) and, when the gradient pointer is
// given, writes d(loss)/d(input) (overwriting). The caller picks `scale`: 1/numel for a mean,
// 1/B for "sum per sample, mean over the batch" (what a VAE's ELBO wants).
#pragma once

#include "nn/tensor.h"

#include <vector>

namespace nn {

// Binary cross-entropy on logits, stable form: max(x,0) - x*t + log(1 + exp(-|x|)).
// row_weights [N, 1] (optional): row n's losses count w_n times (importance weights).
float bce_with_logits(const Matrix& logits, const Matrix& targets, float scale,
                      Matrix* dlogits, const Matrix* row_weights = nullptr);

float mse(const Matrix& prediction, const Matrix& target, float scale, Matrix* dprediction);

// Softmax cross-entropy: logits [N, C], labels [N] in [0, C). Throws std::out_of_range on a
// bad label. Returns scale * sum_n -log softmax(logits_n)[label_n].
float softmax_cross_entropy(const Matrix& logits, const std::vector<int>& labels, float scale,
                            Matrix* dlogits);

// Row-wise softmax (max-subtracted), temperature-free.
void softmax_rows(Matrix& probs, const Matrix& logits);

// KL(N(mu, exp(logvar)) || N(0, 1)) = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)), times scale.
float gaussian_kl(const Matrix& mu, const Matrix& logvar, float scale, Matrix* dmu,
                  Matrix* dlogvar);

// Reparameterisation: z = mu + exp(0.5 logvar) * eps, with eps ~ N(0, 1) given by the caller.
void reparameterize_forward(Matrix& z, const Matrix& mu, const Matrix& logvar,
                            const Matrix& eps);
// Adds the gradient through z into dmu and dlogvar (which must already have mu's shape).
void reparameterize_backward(Matrix& dmu, Matrix& dlogvar, const Matrix& dz,
                             const Matrix& logvar, const Matrix& eps);

}  // namespace nn
