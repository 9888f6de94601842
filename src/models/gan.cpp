#include "models/gan.h"

#include "io/safetensors.h"
#include "models/metadata_fields.h"

#include <algorithm>
#include <utility>
#include <stdexcept>

namespace models {

constexpr int kSide = 28, kPixels = kSide * kSide, kBase = 7;  // 7 -> 14 -> 28
constexpr float kLeakySlope = 0.2f;

static void dcgan_normal(nn::Param& p, nn::Rng& rng, float mean) {
    nn::fill_normal(p.value, rng, mean, 0.02f);
}

void gan_init(Gan& g, const GanConfig& c, uint64_t seed) {
    if (c.latent < 1 || c.latent > 4096)
        throw std::invalid_argument("gan: latent must be in [1, 4096], got " + std::to_string(c.latent));
    if (c.classes != 0 && c.classes != 10)
        throw std::invalid_argument("gan: classes must be 0 (GAN) or 10 (cGAN), got " +
                                    std::to_string(c.classes));
    if (c.channels < 2 || c.channels % 2 != 0)
        throw std::invalid_argument("gan: channels must be even and >= 2, got " +
                                    std::to_string(c.channels));
    if (c.d_channels < 1)
        throw std::invalid_argument("gan: d_channels must be >= 1, got " + std::to_string(c.d_channels));
    if (c.d_pack < 1 || c.d_pack > 16)
        throw std::invalid_argument("gan: d_pack must be in [1, 16], got " + std::to_string(c.d_pack));
    if (c.d_pack > 1 && c.classes > 0)
        throw std::invalid_argument("gan: d_pack > 1 (PacGAN) is for the unconditional GAN only");
    g = Gan{};
    g.config = c;
    nn::Rng rng(seed);
    const int C = c.channels, half = c.channels / 2;
    nn::linear_init(g.g_fc, "generator.fc", c.latent + c.classes, C * kBase * kBase, rng);
    nn::batchnorm_init(g.g_bn0, "generator.bn0", C, kBase * kBase);
    nn::conv_transpose2d_init(g.g_deconv1, "generator.deconv1", C, half, 4, 2, 1, 0, kBase, kBase, rng);
    nn::batchnorm_init(g.g_bn1, "generator.bn1", half, 4 * kBase * kBase);
    nn::conv_transpose2d_init(g.g_deconv2, "generator.deconv2", half, 1, 4, 2, 1, 0, 2 * kBase,
                              2 * kBase, rng);
    const int D = c.d_channels;
    nn::conv2d_init(g.d_conv1, "discriminator.conv1", c.d_pack, D, 4, 2, 1, kSide, kSide, rng);
    const int conv2_in = D + (c.d_minibatch_std ? 1 : 0);
    nn::conv2d_init(g.d_conv2, "discriminator.conv2", conv2_in, 2 * D, 4, 2, 1, kSide / 2, kSide / 2, rng);
    nn::linear_init(g.d_fc, "discriminator.fc", g.d_conv2.g.out_features(), 1, rng);
    if (c.classes > 0)
        nn::embedding_init(g.d_embed, "discriminator.embed", c.classes, g.d_conv2.g.out_features(), rng);

    // DCGAN initialisation.
    for (nn::Param* p : {&g.g_fc.weight, &g.g_deconv1.weight, &g.g_deconv2.weight,
                         &g.d_conv1.weight, &g.d_conv2.weight, &g.d_fc.weight})
        dcgan_normal(*p, rng, 0.0f);
    for (nn::Param* p : {&g.g_fc.bias, &g.g_deconv1.bias, &g.g_deconv2.bias, &g.d_conv1.bias,
                         &g.d_conv2.bias, &g.d_fc.bias})
        p->value.setZero();
    dcgan_normal(g.g_bn0.weight, rng, 1.0f);
    dcgan_normal(g.g_bn1.weight, rng, 1.0f);
    if (c.classes > 0) dcgan_normal(g.d_embed.weight, rng, 0.0f);
    if (c.d_spectral_norm) {
        nn::spectral_norm_init(g.d_sn_conv1, g.d_conv1.weight, rng);
        nn::spectral_norm_init(g.d_sn_conv2, g.d_conv2.weight, rng);
        nn::spectral_norm_init(g.d_sn_fc, g.d_fc.weight, rng);
        if (c.classes > 0) nn::spectral_norm_init(g.d_sn_embed, g.d_embed.weight, rng);
        discriminator_normalize(g, 15);  // as PyTorch's parametrization: u starts converged
    }
}

nn::ParamList gan_generator_params(Gan& g) {
    nn::ParamList list;
    nn::linear_params(g.g_fc, list);
    nn::batchnorm_params(g.g_bn0, list);
    nn::conv_transpose2d_params(g.g_deconv1, list);
    nn::batchnorm_params(g.g_bn1, list);
    nn::conv_transpose2d_params(g.g_deconv2, list);
    return list;
}

nn::ParamList gan_discriminator_layer_params(Gan& g) {
    nn::ParamList list;
    nn::conv2d_params(g.d_conv1, list);
    nn::conv2d_params(g.d_conv2, list);
    nn::linear_params(g.d_fc, list);
    if (g.config.classes > 0) nn::embedding_params(g.d_embed, list);
    return list;
}

nn::ParamList gan_discriminator_params(Gan& g) {
    if (!g.config.d_spectral_norm) return gan_discriminator_layer_params(g);
    nn::ParamList list;
    nn::spectral_norm_params(g.d_sn_conv1, list);
    list.add(g.d_conv1.bias);
    nn::spectral_norm_params(g.d_sn_conv2, list);
    list.add(g.d_conv2.bias);
    nn::spectral_norm_params(g.d_sn_fc, list);
    list.add(g.d_fc.bias);
    if (g.config.classes > 0) nn::spectral_norm_params(g.d_sn_embed, list);
    return list;
}

// The (raw weights, layer weight) pairs under spectral norm.
static std::vector<std::pair<nn::SpectralNorm*, nn::Param*>> spectral_pairs(Gan& g) {
    std::vector<std::pair<nn::SpectralNorm*, nn::Param*>> pairs = {
        {&g.d_sn_conv1, &g.d_conv1.weight}, {&g.d_sn_conv2, &g.d_conv2.weight}, {&g.d_sn_fc, &g.d_fc.weight}};
    if (g.config.classes > 0) pairs.push_back({&g.d_sn_embed, &g.d_embed.weight});
    return pairs;
}

void discriminator_normalize(Gan& g, int power_iterations) {
    if (!g.config.d_spectral_norm) return;
    for (auto [sn, weight] : spectral_pairs(g)) {
        nn::spectral_norm_forward(weight->value, *sn, power_iterations);
        weight->grad.setZero();
    }
}

void discriminator_spectral_backward(Gan& g) {
    if (!g.config.d_spectral_norm) return;
    for (auto [sn, weight] : spectral_pairs(g)) {
        nn::spectral_norm_backward(weight->grad, weight->value, *sn);
        weight->grad.setZero();
    }
}

void gan_sample_latent(nn::Matrix& z, int n, int latent, uint64_t seed) {
    nn::Rng rng(seed);
    z.resize(n, latent);
    nn::fill_normal(z, rng);  // row-major: row i is drawn before row i+1
}

static void check_labels(const std::vector<int>& labels, Eigen::Index batch, const Gan& g,
                         const char* who) {
    if (g.config.classes == 0) {
        if (!labels.empty())
            throw std::invalid_argument(std::string(who) +
                                        ": this GAN is unconditional; pass no labels");
        return;
    }
    if (static_cast<Eigen::Index>(labels.size()) != batch)
        throw std::invalid_argument(std::string(who) + ": a cGAN needs one label per sample (" +
                                    std::to_string(batch) + "), got " +
                                    std::to_string(labels.size()));
}

void generator_forward(GeneratorActs& a, const nn::Matrix& z, const std::vector<int>& labels,
                       Gan& g, bool training) {
    if (z.cols() != g.config.latent)
        throw std::invalid_argument("generator: z has " + std::to_string(z.cols()) +
                                    " columns, expected latent = " + std::to_string(g.config.latent));
    check_labels(labels, z.rows(), g, "generator");
    if (g.config.classes > 0) {
        nn::Matrix onehot;
        nn::one_hot(onehot, labels, g.config.classes);
        nn::concat_columns(a.input, z, onehot);
    } else {
        a.input = z;
    }
    nn::linear_forward(a.fc_out, a.input, g.g_fc);
    nn::batchnorm_forward(a.bn0_out, a.fc_out, g.g_bn0, a.bn0_cache, training);
    nn::relu_forward(a.relu0, a.bn0_out);
    nn::conv_transpose2d_forward(a.deconv1_out, a.relu0, g.g_deconv1, g.scratch);
    nn::batchnorm_forward(a.bn1_out, a.deconv1_out, g.g_bn1, a.bn1_cache, training);
    nn::relu_forward(a.relu1, a.bn1_out);
    nn::conv_transpose2d_forward(a.deconv2_out, a.relu1, g.g_deconv2, g.scratch);
    nn::tanh_forward(a.out, a.deconv2_out);
}

void generator_infer(GeneratorActs& a, const nn::Matrix& z, const std::vector<int>& labels,
                     Gan& g) {
    if (z.cols() != g.config.latent)
        throw std::invalid_argument("generator: z has " + std::to_string(z.cols()) +
                                    " columns, expected latent = " + std::to_string(g.config.latent));
    check_labels(labels, z.rows(), g, "generator");
    const nn::Matrix* input = &z;
    if (g.config.classes > 0) {
        nn::Matrix onehot;
        nn::one_hot(onehot, labels, g.config.classes);
        nn::concat_columns(a.input, z, onehot);
        input = &a.input;
    }
    // The affines are recomputed per call from the parameters (a few dozen floats), so they
    // can never be stale after training or loading.
    nn::batchnorm_eval_affine(g.g_bn0, a.bn0_scale, a.bn0_shift);
    nn::batchnorm_eval_affine(g.g_bn1, a.bn1_scale, a.bn1_shift);
    nn::linear_forward(a.fc_out, *input, g.g_fc);
    nn::channel_affine_forward(a.fc_out, a.bn0_scale, a.bn0_shift, g.g_bn0.spatial, true);
    nn::conv_transpose2d_forward(a.deconv1_out, a.fc_out, g.g_deconv1, g.scratch,
                                 {a.bn1_scale.data(), a.bn1_shift.data(), true});
    nn::conv_transpose2d_forward(a.deconv2_out, a.deconv1_out, g.g_deconv2, g.scratch);
    nn::tanh_forward(a.out, a.deconv2_out);
}

void generator_backward(const nn::Matrix& dout, GeneratorActs& a, Gan& g) {
    nn::Matrix d_pre2, d_relu1, d_bn1, d_deconv1, d_relu0, d_bn0, d_fc;
    nn::tanh_backward(d_pre2, dout, a.out);
    nn::conv_transpose2d_backward(&d_relu1, d_pre2, a.relu1, g.g_deconv2, g.scratch);
    nn::relu_backward(d_bn1, d_relu1, a.bn1_out);
    nn::batchnorm_backward(&d_deconv1, d_bn1, g.g_bn1, a.bn1_cache);
    nn::conv_transpose2d_backward(&d_relu0, d_deconv1, a.relu0, g.g_deconv1, g.scratch);
    nn::relu_backward(d_bn0, d_relu0, a.bn0_out);
    nn::batchnorm_backward(&d_fc, d_bn0, g.g_bn0, a.bn0_cache);
    nn::linear_backward(nullptr, d_fc, a.input, g.g_fc);
}

void discriminator_forward(DiscriminatorActs& a, const nn::Matrix& x,
                           const std::vector<int>& labels, Gan& g) {
    if (x.cols() != kPixels)
        throw std::invalid_argument("discriminator: input has " + std::to_string(x.cols()) +
                                    " columns, expected 784");
    check_labels(labels, x.rows(), g, "discriminator");
    const int P = g.config.d_pack;
    if (x.rows() % P != 0)
        throw std::invalid_argument("discriminator: batch " + std::to_string(x.rows()) +
                                    " is not a multiple of d_pack = " + std::to_string(P));
    if (P > 1)  // row-major: P consecutive images = the P channels of one input
        a.packed = Eigen::Map<const nn::Matrix>(x.data(), x.rows() / P, P * kPixels);
    nn::conv2d_forward(a.conv1_out, P > 1 ? a.packed : x, g.d_conv1, g.scratch);
    nn::leaky_relu_forward(a.relu1, a.conv1_out, kLeakySlope);
    if (g.config.d_minibatch_std)
        nn::minibatch_stddev_forward(a.relu1_std, a.relu1, g.d_conv1.g.out_h * g.d_conv1.g.out_w, a.std_cache);
    nn::conv2d_forward(a.conv2_out, g.config.d_minibatch_std ? a.relu1_std : a.relu1, g.d_conv2, g.scratch);
    nn::leaky_relu_forward(a.h, a.conv2_out, kLeakySlope);
    nn::linear_forward(a.logits, a.h, g.d_fc);
    if (g.config.classes > 0) {
        nn::embedding_forward(a.embed, labels, g.d_embed);
        a.logits.col(0) += (a.embed.array() * a.h.array()).rowwise().sum().matrix();
    }
}

void discriminator_backward(nn::Matrix* dx, const nn::Matrix& dlogits, const nn::Matrix& x,
                            const std::vector<int>& labels, DiscriminatorActs& a, Gan& g,
                            const nn::Matrix* dh_extra, const nn::Matrix* drelu1_extra) {
    nn::Matrix dh, d_conv2, d_relu1, d_conv1;
    nn::linear_backward(&dh, dlogits, a.h, g.d_fc);
    if (dh_extra) dh += *dh_extra;
    if (g.config.classes > 0) {
        // logit_b += sum_f embed[b,f] h[b,f]
        dh.array() += a.embed.array().colwise() * dlogits.col(0).array();
        nn::Matrix d_embed = (a.h.array().colwise() * dlogits.col(0).array()).matrix();
        nn::embedding_backward(d_embed, labels, g.d_embed);
    }
    nn::leaky_relu_backward(d_conv2, dh, a.conv2_out, kLeakySlope);
    if (g.config.d_minibatch_std) {
        nn::Matrix d_relu1_std;
        nn::conv2d_backward(&d_relu1_std, d_conv2, a.relu1_std, g.d_conv2, g.scratch);
        nn::minibatch_stddev_backward(d_relu1, d_relu1_std, a.relu1, a.std_cache);
    } else {
        nn::conv2d_backward(&d_relu1, d_conv2, a.relu1, g.d_conv2, g.scratch);
    }
    if (drelu1_extra) d_relu1 += *drelu1_extra;
    nn::leaky_relu_backward(d_conv1, d_relu1, a.conv1_out, kLeakySlope);
    if (g.config.d_pack == 1) {
        nn::conv2d_backward(dx, d_conv1, x, g.d_conv1, g.scratch);
        return;
    }
    nn::Matrix d_packed;  // [B/P, P*784] -> dx [B, 784]
    nn::conv2d_backward(dx ? &d_packed : nullptr, d_conv1, a.packed, g.d_conv1, g.scratch);
    if (dx) *dx = Eigen::Map<const nn::Matrix>(d_packed.data(), x.rows(), kPixels);
}

// conv2d_backward for its input gradient only: the layer's parameter gradients stay as they were.
static void conv2d_input_gradient(nn::Matrix& dx, const nn::Matrix& dy, const nn::Matrix& x,
                                  nn::Conv2d& layer, nn::ConvScratch& scratch) {
    const nn::Matrix weight_grad = layer.weight.grad, bias_grad = layer.bias.grad;
    nn::conv2d_backward(&dx, dy, x, layer, scratch);
    layer.weight.grad = weight_grad;
    layer.bias.grad = bias_grad;
}

// The convolution's linear part W * x (no bias), and its weight gradient alone: what the R1
// tangent pass needs (a derivative has no bias term).
static void conv2d_forward_linear(nn::Matrix& y, const nn::Matrix& x, nn::Conv2d& layer,
                                  nn::ConvScratch& scratch) {
    nn::Matrix bias = nn::Matrix::Zero(1, layer.bias.value.cols());
    std::swap(bias, layer.bias.value);
    nn::conv2d_forward(y, x, layer, scratch);
    std::swap(bias, layer.bias.value);
}

static void conv2d_weight_gradient(const nn::Matrix& dy, const nn::Matrix& x, nn::Conv2d& layer,
                                   nn::ConvScratch& scratch) {
    const nn::Matrix bias_grad = layer.bias.grad;
    nn::conv2d_backward(nullptr, dy, x, layer, scratch);
    layer.bias.grad = bias_grad;
}

float discriminator_r1(const nn::Matrix& x, const std::vector<int>& labels, Gan& g, float weight,
                       R1Scratch& s) {
    if (g.config.d_minibatch_std || g.config.d_pack != 1)
        throw std::invalid_argument("discriminator_r1: R1 needs a discriminator without minibatch "
                                    "std and with d_pack 1 (it relies on D being piecewise linear "
                                    "in each image)");
    DiscriminatorActs& a = s.acts;
    discriminator_forward(a, x, labels, g);
    const Eigen::Index B = x.rows();
    // g = d logit_b / d x_b: the backward pass of a logit gradient of 1 per row.
    s.dh = g.d_fc.weight.value.replicate(B, 1);  // [B, 2D*49]
    if (g.config.classes > 0) s.dh += a.embed;   // + embed[label_b] (projection)
    nn::leaky_relu_backward(s.d_conv2, s.dh, a.conv2_out, kLeakySlope);
    conv2d_input_gradient(s.d_relu1, s.d_conv2, a.relu1, g.d_conv2, g.scratch);
    nn::leaky_relu_backward(s.d_conv1, s.d_relu1, a.conv1_out, kLeakySlope);
    conv2d_input_gradient(s.grad_x, s.d_conv1, x, g.d_conv1, g.scratch);
    const float penalty = 0.5f * s.grad_x.squaredNorm() / static_cast<float>(B);
    if (weight == 0) return penalty;

    // Tangent pass along g with the forward's LeakyReLU slopes (leaky_relu_backward applies them).
    conv2d_forward_linear(s.t_conv1, s.grad_x, g.d_conv1, g.scratch);
    nn::leaky_relu_backward(s.t_relu1, s.t_conv1, a.conv1_out, kLeakySlope);
    conv2d_forward_linear(s.t_conv2, s.t_relu1, g.d_conv2, g.scratch);
    nn::leaky_relu_backward(s.t_h, s.t_conv2, a.conv2_out, kLeakySlope);
    // d/dtheta of sum_b <dlogit_b/dx_b, g_b>, times weight / B.
    const float c = weight / static_cast<float>(B);
    g.d_fc.weight.grad.row(0) += c * s.t_h.colwise().sum();
    if (g.config.classes > 0) nn::embedding_backward(c * s.t_h, labels, g.d_embed);
    conv2d_weight_gradient(c * s.d_conv2, s.t_relu1, g.d_conv2, g.scratch);
    conv2d_weight_gradient(c * s.d_conv1, s.grad_x, g.d_conv1, g.scratch);
    return penalty;
}

void gan_generate(nn::Matrix& images, const nn::Matrix& z, const std::vector<int>& labels,
                  Gan& g) {
    check_labels(labels, z.rows(), g, "gan_generate");
    constexpr Eigen::Index kChunk = 256;
    const Eigen::Index n = z.rows();
    images.resize(n, kPixels);
    std::vector<int> chunk_labels;
    for (Eigen::Index first = 0; first < n; first += kChunk) {
        const Eigen::Index count = std::min(kChunk, n - first);
        if (!labels.empty())
            chunk_labels.assign(labels.begin() + first, labels.begin() + first + count);
#if defined(GENLAB_FUSED_INFERENCE)
        generator_infer(g.eval_acts, z.middleRows(first, count), chunk_labels, g);
#else
        generator_forward(g.eval_acts, z.middleRows(first, count), chunk_labels, g, false);
#endif
        images.middleRows(first, count) = (g.eval_acts.out.array() + 1.0f) * 0.5f;
    }
}

std::map<std::string, std::string> gan_metadata(const GanConfig& c) {
    std::map<std::string, std::string> m{{"model", c.classes > 0 ? "cgan" : "gan"},
                                         {"format_version", "1"},
                                         {"latent", std::to_string(c.latent)},
                                         {"classes", std::to_string(c.classes)},
                                         {"channels", std::to_string(c.channels)},
                                         {"d_channels", std::to_string(c.d_channels)}};
    if (c.d_pack > 1) m["d_pack"] = std::to_string(c.d_pack);
    if (c.d_spectral_norm) m["d_spectral_norm"] = "1";
    if (c.d_minibatch_std) m["d_minibatch_std"] = "1";
    return m;
}

GanConfig gan_config_from_metadata(const std::map<std::string, std::string>& metadata,
                                   const std::string& source) {
    auto kind = metadata.find("model");
    const bool conditional = kind != metadata.end() && kind->second == "cgan";
    meta::require_kind(metadata, conditional ? "cgan" : "gan", source);
    GanConfig c;
    c.latent = meta::require_int(metadata, "latent", source, 1, 4096);
    c.classes = meta::require_int(metadata, "classes", source, 0, 10);
    c.channels = meta::require_int(metadata, "channels", source, 2, 4096);
    c.d_channels = meta::require_int(metadata, "d_channels", source, 1, 4096);
    if (metadata.count("d_pack")) c.d_pack = meta::require_int(metadata, "d_pack", source, 1, 16);
    if (metadata.count("d_spectral_norm"))
        c.d_spectral_norm = meta::require_int(metadata, "d_spectral_norm", source, 0, 1) == 1;
    if (metadata.count("d_minibatch_std"))
        c.d_minibatch_std = meta::require_int(metadata, "d_minibatch_std", source, 0, 1) == 1;
    if (conditional != (c.classes == 10) || (c.classes != 0 && c.classes != 10))
        throw std::invalid_argument(source + ": model \"" + kind->second + "\" with classes = " +
                                    std::to_string(c.classes) +
                                    " (expected gan with 0 or cgan with 10)");
    if (c.channels % 2 != 0)
        throw std::invalid_argument(source + ": channels = " + std::to_string(c.channels) +
                                    ", expected an even number");
    return c;
}

void load_gan_generator(Gan& gan, const io::SafetensorsFile& file) {
    gan_init(gan, gan_config_from_metadata(file.metadata, file.source), 0);
    io::LoadOptions options;
    options.allow_extra = true;  // a checkpoint also holds the discriminator and Adam moments
    io::load_params(file, gan_generator_params(gan), options);
}

}  // namespace models
