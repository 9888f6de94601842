// Adversarial losses on discriminator logits [N, 1] beside BCE-with-logits (nn/losses.h).
// Same convention as nn/losses.h: the value is scale * (sum of per-row losses) and the gradient,
// when asked for, is written (not accumulated) into dlogits.
//
// Hinge loss (Lim & Ye 2017, used by SNGAN/BigGAN):
//   discriminator, real rows: relu(1 - x);   fake rows: relu(1 + x)
//   generator: -x on its fakes (the "linear" loss: keep raising D's score)
// The discriminator stops pushing a row once it is beyond the margin, so it cannot grow its
// logits without bound, unlike BCE.
#pragma once

#include "nn/tensor.h"

namespace nn {

// real = true: sum relu(1 - x), else sum relu(1 + x). row_weights [N, 1] optional (importance
// weights, as in bce_with_logits). The kink at the margin gets gradient 0.
float hinge_d_loss(const Matrix& logits, bool real, float scale, Matrix* dlogits,
                   const Matrix* row_weights = nullptr);
// scale * sum (-x).
float hinge_g_loss(const Matrix& logits, float scale, Matrix* dlogits);

}  // namespace nn
