// Minibatch standard deviation (Karras et al. 2018, "Progressive Growing of GANs", sec. 3):
// the discriminator sees one extra feature map holding how varied the whole batch is, so a
// generator that draws too-similar samples (mode collapse) is easy to tell from real data.
//
// x [B, C*S] (C channels of S = H*W values each, PyTorch order) -> y [B, (C+1)*S]:
//   y = [x, s ... s],  s = mean over the C*S features f of sqrt(var_b(x[:, f]) + eps),
// with the biased variance over the batch (one group = the whole batch); s is the same for every
// row and all S positions of the extra channel. S = 1 appends one feature to a flat vector.
// Needs B >= 2.
#pragma once

#include "nn/tensor.h"

namespace nn {

struct MinibatchStddevCache {
    RowVector mean, stddev;  // [C*S] per-feature batch mean and sqrt(var + eps)
    float s = 0;             // the appended statistic
    int spatial = 1;
};

void minibatch_stddev_forward(Matrix& y, const Matrix& x, int spatial, MinibatchStddevCache& cache,
                              float eps = 1e-8f);
// dy [B, (C+1)*S] -> dx [B, C*S] (overwritten); x is the forward's input.
void minibatch_stddev_backward(Matrix& dx, const Matrix& dy, const Matrix& x,
                               const MinibatchStddevCache& cache);

}  // namespace nn
