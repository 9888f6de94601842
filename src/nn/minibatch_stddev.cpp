#include "nn/minibatch_stddev.h"

#include <stdexcept>
#include <string>

namespace nn {

void minibatch_stddev_forward(Matrix& y, const Matrix& x, int spatial, MinibatchStddevCache& c,
                              float eps) {
    const Eigen::Index B = x.rows(), F = x.cols();
    if (B < 2 || spatial < 1 || F % spatial != 0)
        throw std::invalid_argument("minibatch_stddev_forward: need a batch >= 2 and features [" +
                                    std::to_string(F) + "] a multiple of spatial = " +
                                    std::to_string(spatial) + " (batch " + std::to_string(B) + ")");
    c.spatial = spatial;
    c.mean = x.colwise().mean();
    c.stddev = ((x.rowwise() - c.mean).array().square().colwise().mean() + eps).sqrt().matrix();
    c.s = c.stddev.mean();
    y.resize(B, F + spatial);
    y.leftCols(F) = x;
    y.rightCols(spatial).setConstant(c.s);
}

void minibatch_stddev_backward(Matrix& dx, const Matrix& dy, const Matrix& x,
                               const MinibatchStddevCache& c) {
    const Eigen::Index B = x.rows(), F = x.cols();
    if (dy.rows() != B || dy.cols() != F + c.spatial)
        throw std::invalid_argument("minibatch_stddev_backward: dy must be [" + std::to_string(B) +
                                    ", " + std::to_string(F + c.spatial) + "]");
    // ds/dx_bf = (x_bf - mean_f) / (F * B * stddev_f)
    const float ds = dy.rightCols(c.spatial).sum();
    const RowVector coeff = (ds / static_cast<float>(F * B)) * c.stddev.cwiseInverse();
    dx = dy.leftCols(F);
    dx.array() += (x.rowwise() - c.mean).array().rowwise() * coeff.array();
}

}  // namespace nn
