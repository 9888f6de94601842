#include "nn/conv.h"

#include "nn/gemm.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace nn {

// [B, C*S] (batch-major activations) -> [C, B*S] (channel-major, what the weight-gradient
// GEMMs want).
template <class Rows>
static void batch_to_channel_major(Matrix& out, const Rows& x, int channels, int spatial) {
    const int batch = static_cast<int>(x.rows());
    out.resize(channels, static_cast<Eigen::Index>(batch) * spatial);
    for (int b = 0; b < batch; ++b)
        for (int c = 0; c < channels; ++c)
            out.block(c, static_cast<Eigen::Index>(b) * spatial, 1, spatial) =
                x.block(b, static_cast<Eigen::Index>(c) * spatial, 1, spatial);
}

void im2col(Matrix& cols, const float* images, int batch, int channels, int in_h, int in_w,
            int kernel, int stride, int padding, int out_h, int out_w) {
    const Eigen::Index out_spatial = static_cast<Eigen::Index>(out_h) * out_w;
    cols.resize(static_cast<Eigen::Index>(channels) * kernel * kernel, batch * out_spatial);
    for (int c = 0; c < channels; ++c)
        for (int kh = 0; kh < kernel; ++kh)
            for (int kw = 0; kw < kernel; ++kw) {
                float* row = cols.row((c * kernel + kh) * kernel + kw).data();
                for (int b = 0; b < batch; ++b) {
                    const float* image =
                        images + (static_cast<size_t>(b) * channels + c) * in_h * in_w;
                    float* dst = row + b * out_spatial;
                    for (int oh = 0; oh < out_h; ++oh) {
                        const int ih = oh * stride - padding + kh;
                        const bool row_inside = ih >= 0 && ih < in_h;
                        for (int ow = 0; ow < out_w; ++ow) {
                            const int iw = ow * stride - padding + kw;
                            *dst++ = (row_inside && iw >= 0 && iw < in_w)
                                         ? image[ih * in_w + iw]
                                         : 0.0f;
                        }
                    }
                }
            }
}

void col2im(float* images, const Matrix& cols, int batch, int channels, int in_h, int in_w,
            int kernel, int stride, int padding, int out_h, int out_w) {
    const Eigen::Index out_spatial = static_cast<Eigen::Index>(out_h) * out_w;
    for (int c = 0; c < channels; ++c)
        for (int kh = 0; kh < kernel; ++kh)
            for (int kw = 0; kw < kernel; ++kw) {
                const float* row = cols.row((c * kernel + kh) * kernel + kw).data();
                for (int b = 0; b < batch; ++b) {
                    float* image = images + (static_cast<size_t>(b) * channels + c) * in_h * in_w;
                    const float* src = row + b * out_spatial;
                    for (int oh = 0; oh < out_h; ++oh) {
                        const int ih = oh * stride - padding + kh;
                        if (ih < 0 || ih >= in_h) {
                            src += out_w;
                            continue;
                        }
                        for (int ow = 0; ow < out_w; ++ow, ++src) {
                            const int iw = ow * stride - padding + kw;
                            if (iw >= 0 && iw < in_w) image[ih * in_w + iw] += *src;
                        }
                    }
                }
            }
}

static void check_input(const Matrix& x, int expected_features, const std::string& name) {
    if (x.cols() != expected_features)
        throw std::invalid_argument(name + ": input has " + std::to_string(x.cols()) +
                                    " features, expected " + std::to_string(expected_features));
}

// ---------------------------------------------------------------------------------------------
// Conv2d

void conv2d_init(Conv2d& layer, const std::string& prefix, int in_channels, int out_channels,
                 int kernel, int stride, int padding, int in_h, int in_w, Rng& rng) {
    ConvGeometry& g = layer.g;
    g = ConvGeometry{};
    g.in_channels = in_channels;
    g.out_channels = out_channels;
    g.kernel = kernel;
    g.stride = stride;
    g.padding = padding;
    g.in_h = in_h;
    g.in_w = in_w;
    if (kernel <= 0 || stride <= 0 || padding < 0 || in_h + 2 * padding < kernel ||
        in_w + 2 * padding < kernel)
        throw std::invalid_argument(prefix + ": impossible Conv2d geometry (kernel " +
                                    std::to_string(kernel) + ", stride " + std::to_string(stride) +
                                    ", padding " + std::to_string(padding) + ", input " +
                                    std::to_string(in_h) + "x" + std::to_string(in_w) + ")");
    g.out_h = (in_h + 2 * padding - kernel) / stride + 1;
    g.out_w = (in_w + 2 * padding - kernel) / stride + 1;
    const int fan_in = in_channels * kernel * kernel;
    param_init(layer.weight, prefix + ".weight", {out_channels, in_channels, kernel, kernel},
               out_channels, fan_in);
    param_init(layer.bias, prefix + ".bias", {out_channels}, 1, out_channels);
    const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
    fill_uniform(layer.weight.value, rng, -bound, bound);
    fill_uniform(layer.bias.value, rng, -bound, bound);
}

void conv2d_params(Conv2d& layer, ParamList& list) {
    list.add(layer.weight);
    list.add(layer.bias);
}

void conv2d_forward(Matrix& y, const Matrix& x, const Conv2d& layer, ConvScratch& s) {
    const ConvGeometry& g = layer.g;
    check_input(x, g.in_features(), layer.weight.name);
    const int batch = static_cast<int>(x.rows());
    im2col(s.cols, x.data(), batch, g.in_channels, g.in_h, g.in_w, g.kernel, g.stride, g.padding,
           g.out_h, g.out_w);
    // Sample b's output [O, OH*OW] is row b of y: W [O, C*k*k] x its columns of cols, the
    // bias added on store; no channel-major product to copy back.
    const int spatial = g.out_h * g.out_w, fan_in = static_cast<int>(layer.weight.value.cols());
    y.resize(batch, g.out_features());
    for (int b = 0; b < batch; ++b)
        gemm(Transpose::No, Transpose::No, g.out_channels, spatial, fan_in, 1.0f,
             layer.weight.value.data(), fan_in, s.cols.data() + static_cast<size_t>(b) * spatial,
             batch * spatial, 0.0f, y.row(b).data(), spatial,
             {layer.bias.value.data(), BiasAxis::PerRow, Activation::None});
}

void conv2d_backward(Matrix* dx, const Matrix& dy, const Matrix& x, Conv2d& layer,
                     ConvScratch& s) {
    const ConvGeometry& g = layer.g;
    const int batch = static_cast<int>(x.rows());
    batch_to_channel_major(s.channels, dy, g.out_channels, g.out_h * g.out_w);  // [O, B*OHW]
    im2col(s.cols, x.data(), batch, g.in_channels, g.in_h, g.in_w, g.kernel, g.stride, g.padding,
           g.out_h, g.out_w);
    matmul(layer.weight.grad, s.channels, Transpose::No, s.cols, Transpose::Yes, 1.0f);
    layer.bias.grad.row(0) += s.channels.rowwise().sum().transpose();
    if (dx) {
        matmul(s.cols, layer.weight.value, Transpose::Yes, s.channels, Transpose::No);  // [C*k*k, B*OHW]
        *dx = Matrix::Zero(batch, g.in_features());
        col2im(dx->data(), s.cols, batch, g.in_channels, g.in_h, g.in_w, g.kernel, g.stride,
               g.padding, g.out_h, g.out_w);
    }
}

// ---------------------------------------------------------------------------------------------
// ConvTranspose2d: y = col2im(W^T x); the im2col geometry runs from y (size OH) to x (size H).

void conv_transpose2d_init(ConvTranspose2d& layer, const std::string& prefix, int in_channels,
                           int out_channels, int kernel, int stride, int padding,
                           int output_padding, int in_h, int in_w, Rng& rng) {
    ConvGeometry& g = layer.g;
    g = ConvGeometry{};
    g.in_channels = in_channels;
    g.out_channels = out_channels;
    g.kernel = kernel;
    g.stride = stride;
    g.padding = padding;
    g.output_padding = output_padding;
    g.in_h = in_h;
    g.in_w = in_w;
    g.out_h = (in_h - 1) * stride - 2 * padding + kernel + output_padding;
    g.out_w = (in_w - 1) * stride - 2 * padding + kernel + output_padding;
    if (kernel <= 0 || stride <= 0 || padding < 0 || output_padding < 0 ||
        output_padding >= stride || g.out_h <= 0 || g.out_w <= 0)
        throw std::invalid_argument(
            prefix + ": impossible ConvTranspose2d geometry (kernel " + std::to_string(kernel) +
            ", stride " + std::to_string(stride) + ", padding " + std::to_string(padding) +
            ", output_padding " + std::to_string(output_padding) + " must be < stride)");
    // PyTorch computes fan_in from weight.size(1) * k * k for the transposed layout.
    const int fan_in = out_channels * kernel * kernel;
    param_init(layer.weight, prefix + ".weight", {in_channels, out_channels, kernel, kernel},
               in_channels, out_channels * kernel * kernel);
    param_init(layer.bias, prefix + ".bias", {out_channels}, 1, out_channels);
    const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
    fill_uniform(layer.weight.value, rng, -bound, bound);
    fill_uniform(layer.bias.value, rng, -bound, bound);
}

void conv_transpose2d_params(ConvTranspose2d& layer, ParamList& list) {
    list.add(layer.weight);
    list.add(layer.bias);
}

static float channel_store(float v, int o, const ChannelStore& store) {
    if (store.scale) v = v * store.scale[o] + store.shift[o];
    return store.relu ? std::max(v, 0.0f) : v;
}

// Samples per GEMM + col2im round: the chunk's cols (taps x chunk*H*W: 512 x 392 floats for the
// GAN's deconv1 at 8) stay in L2 between the GEMM that writes them and col2im that reads them;
// 0 = the whole batch at once. CMake GENLAB_DECONV_CHUNK.
#ifndef GENLAB_DECONV_CHUNK
#define GENLAB_DECONV_CHUNK 0
#endif

void conv_transpose2d_forward(Matrix& y, const Matrix& x, const ConvTranspose2d& layer,
                              ConvScratch& s, const ChannelStore& store) {
    const ConvGeometry& g = layer.g;
    check_input(x, g.in_features(), layer.weight.name);
    const int batch = static_cast<int>(x.rows());
    const int in_spatial = g.in_h * g.in_w, out_spatial = g.out_h * g.out_w;
    const int taps = static_cast<int>(layer.weight.value.cols());
    // y starts as the bias and col2im adds the taps into it.
    y.resize(batch, static_cast<Eigen::Index>(g.out_channels) * out_spatial);
    for (int b = 0; b < batch; ++b)
        for (int o = 0; o < g.out_channels; ++o)
            y.block(b, static_cast<Eigen::Index>(o) * out_spatial, 1, out_spatial).setConstant(
                layer.bias.value(0, o));
    const int chunk = GENLAB_DECONV_CHUNK > 0 ? std::min(GENLAB_DECONV_CHUNK, batch) : batch;
    for (int b0 = 0; b0 < batch; b0 += chunk) {
        const int n = std::min(chunk, batch - b0);
        // cols [O*k*k, n*H*W] = W^T [O*k*k, C] x channels [C, n*H*W]: one GEMM for the chunk (a
        // wide N keeps the kernel's tiles full); for one sample, x already is [C, H*W].
        const int columns = n * in_spatial;
        const float* channels = x.row(b0).data();
        if (n > 1) {
            batch_to_channel_major(s.channels, x.middleRows(b0, n), g.in_channels, in_spatial);
            channels = s.channels.data();
        }
        s.cols.resize(taps, columns);
        gemm(Transpose::Yes, Transpose::No, taps, columns, g.in_channels, 1.0f,
             layer.weight.value.data(), taps, channels, columns, 0.0f, s.cols.data(), columns);
        col2im(y.row(b0).data(), s.cols, n, g.out_channels, g.out_h, g.out_w, g.kernel,
               g.stride, g.padding, g.in_h, g.in_w);
        if (!store.scale && !store.relu) continue;
        for (int b = b0; b < b0 + n; ++b)
            for (int o = 0; o < g.out_channels; ++o) {
                float* v = y.row(b).data() + static_cast<size_t>(o) * out_spatial;
                for (int i = 0; i < out_spatial; ++i) v[i] = channel_store(v[i], o, store);
            }
    }
}

void conv_transpose2d_backward(Matrix* dx, const Matrix& dy, const Matrix& x,
                               ConvTranspose2d& layer, ConvScratch& s) {
    const ConvGeometry& g = layer.g;
    const int batch = static_cast<int>(x.rows());
    const int out_spatial = g.out_h * g.out_w;
    for (int b = 0; b < batch; ++b)
        for (int o = 0; o < g.out_channels; ++o)
            layer.bias.grad(0, o) +=
                dy.block(b, static_cast<Eigen::Index>(o) * out_spatial, 1, out_spatial).sum();
    im2col(s.cols, dy.data(), batch, g.out_channels, g.out_h, g.out_w, g.kernel, g.stride,
           g.padding, g.in_h, g.in_w);                                      // [O*k*k, B*H*W]
    batch_to_channel_major(s.channels, x, g.in_channels, g.in_h * g.in_w);  // [C, B*H*W]
    matmul(layer.weight.grad, s.channels, Transpose::No, s.cols, Transpose::Yes, 1.0f);
    if (dx) {
        // sample b's dx [C, H*W] = W [C, O*k*k] x its columns of cols, straight into row b
        const int in_spatial = g.in_h * g.in_w, taps = static_cast<int>(layer.weight.value.cols());
        dx->resize(batch, g.in_features());
        for (int b = 0; b < batch; ++b)
            gemm(Transpose::No, Transpose::No, g.in_channels, in_spatial, taps, 1.0f,
                 layer.weight.value.data(), taps, s.cols.data() + static_cast<size_t>(b) * in_spatial,
                 batch * in_spatial, 0.0f, dx->row(b).data(), in_spatial);
    }
}

}  // namespace nn
