#include "nn/batchnorm.h"

#include <cmath>
#include <stdexcept>

namespace nn {

void batchnorm_init(BatchNorm& layer, const std::string& prefix, int channels, int spatial) {
    layer.channels = channels;
    layer.spatial = spatial;
    param_init(layer.weight, prefix + ".weight", {channels}, 1, channels);
    param_init(layer.bias, prefix + ".bias", {channels}, 1, channels);
    param_init(layer.running_mean, prefix + ".running_mean", {channels}, 1, channels, false);
    param_init(layer.running_var, prefix + ".running_var", {channels}, 1, channels, false);
    layer.weight.value.setOnes();
    layer.running_var.value.setOnes();
}

void batchnorm_params(BatchNorm& layer, ParamList& list) {
    list.add(layer.weight);
    list.add(layer.bias);
    list.add(layer.running_mean);
    list.add(layer.running_var);
}

void batchnorm_forward(Matrix& y, const Matrix& x, BatchNorm& layer, BatchNormCache& cache,
                       bool training) {
    const int C = layer.channels, S = layer.spatial;
    const Eigen::Index B = x.rows();
    if (x.cols() != static_cast<Eigen::Index>(C) * S)
        throw std::invalid_argument(layer.weight.name + ": input has " +
                                    std::to_string(x.cols()) + " features, expected " +
                                    std::to_string(C * S));
    const double count = static_cast<double>(B) * S;
    if (training && count < 2)
        throw std::invalid_argument(layer.weight.name +
                                    ": training-mode batch norm needs more than one value per "
                                    "channel (use a batch of at least 2)");
    cache.training = training;
    cache.rstd.resize(C);
    cache.x_hat.resize(B, x.cols());
    y.resize(B, x.cols());
    for (int c = 0; c < C; ++c) {
        auto block = x.middleCols(static_cast<Eigen::Index>(c) * S, S);
        float mean, var;
        if (training) {
            // Accumulate in double: B*S can be tens of thousands of values.
            double sum = 0, sum_sq = 0;
            for (Eigen::Index b = 0; b < B; ++b)
                for (int s = 0; s < S; ++s) {
                    double v = block(b, s);
                    sum += v;
                    sum_sq += v * v;
                }
            double m = sum / count;
            double biased = std::max(0.0, sum_sq / count - m * m);
            mean = static_cast<float>(m);
            var = static_cast<float>(biased);
            float unbiased = static_cast<float>(biased * count / (count - 1));
            float mom = layer.momentum;
            layer.running_mean.value(0, c) = (1 - mom) * layer.running_mean.value(0, c) + mom * mean;
            layer.running_var.value(0, c) = (1 - mom) * layer.running_var.value(0, c) + mom * unbiased;
        } else {
            mean = layer.running_mean.value(0, c);
            var = layer.running_var.value(0, c);
        }
        const float rstd = 1.0f / std::sqrt(var + layer.eps);
        cache.rstd(c) = rstd;
        auto x_hat = cache.x_hat.middleCols(static_cast<Eigen::Index>(c) * S, S);
        x_hat = (block.array() - mean) * rstd;
        y.middleCols(static_cast<Eigen::Index>(c) * S, S) =
            x_hat.array() * layer.weight.value(0, c) + layer.bias.value(0, c);
    }
}

void batchnorm_backward(Matrix* dx, const Matrix& dy, BatchNorm& layer,
                        const BatchNormCache& cache) {
    const int C = layer.channels, S = layer.spatial;
    const Eigen::Index B = dy.rows();
    const float count = static_cast<float>(B * S);
    if (dx) dx->resize(B, dy.cols());
    for (int c = 0; c < C; ++c) {
        auto dyc = dy.middleCols(static_cast<Eigen::Index>(c) * S, S);
        auto x_hat = cache.x_hat.middleCols(static_cast<Eigen::Index>(c) * S, S);
        const float sum_dy = dyc.sum();
        const float sum_dy_xhat = (dyc.array() * x_hat.array()).sum();
        layer.weight.grad(0, c) += sum_dy_xhat;
        layer.bias.grad(0, c) += sum_dy;
        if (!dx) continue;
        const float gamma = layer.weight.value(0, c);
        auto dxc = dx->middleCols(static_cast<Eigen::Index>(c) * S, S);
        if (cache.training) {
            // dx = gamma*rstd/N * (N*dy - sum(dy) - x_hat*sum(dy*x_hat))
            dxc = (gamma * cache.rstd(c) / count) *
                  (count * dyc.array() - sum_dy - x_hat.array() * sum_dy_xhat);
        } else {
            dxc = dyc * (gamma * cache.rstd(c));
        }
    }
}

void batchnorm_eval_affine(const BatchNorm& layer, std::vector<float>& scale,
                           std::vector<float>& shift) {
    scale.resize(static_cast<size_t>(layer.channels));
    shift.resize(static_cast<size_t>(layer.channels));
    for (int c = 0; c < layer.channels; ++c) {
        const float rstd = 1.0f / std::sqrt(layer.running_var.value(0, c) + layer.eps);
        scale[c] = layer.weight.value(0, c) * rstd;
        shift[c] = layer.bias.value(0, c) - layer.running_mean.value(0, c) * scale[c];
    }
}

void channel_affine_forward(Matrix& x, const std::vector<float>& scale,
                            const std::vector<float>& shift, int spatial, bool relu) {
    const int channels = static_cast<int>(scale.size());
    if (x.cols() != static_cast<Eigen::Index>(channels) * spatial)
        throw std::invalid_argument("channel affine: input has " + std::to_string(x.cols()) +
                                    " features, expected " + std::to_string(channels * spatial));
    for (Eigen::Index b = 0; b < x.rows(); ++b)
        for (int c = 0; c < channels; ++c) {
            auto v = x.row(b).segment(static_cast<Eigen::Index>(c) * spatial, spatial).array();
            if (relu) v = (v * scale[c] + shift[c]).cwiseMax(0.0f);
            else v = v * scale[c] + shift[c];
        }
}

}  // namespace nn
