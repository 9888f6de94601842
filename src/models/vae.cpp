#include "models/vae.h"

#include "models/metadata_fields.h"
#include "nn/losses.h"

#include <algorithm>
#include <stdexcept>

namespace models {

void vae_check_config(const VaeConfig& c) {
    auto bad = [](const std::string& field, int v, const std::string& range) {
        throw std::invalid_argument("VaeConfig." + field + " = " + std::to_string(v) +
                                    ", expected " + range);
    };
    if (c.latent < 1 || c.latent > 1024) bad("latent", c.latent, "1..1024");
    if (c.hidden < 1 || c.hidden > 8192) bad("hidden", c.hidden, "1..8192");
    if (c.layers < 1 || c.layers > 8) bad("layers", c.layers, "1..8");
    if (c.image_size < 1) bad("image_size", c.image_size, ">= 1");
}

void vae_init(Vae& vae, const VaeConfig& config, uint64_t seed) {
    vae_check_config(config);
    vae = Vae{};
    vae.config = config;
    nn::Rng rng(seed);
    const int F = config.image_size, Hd = config.hidden, Z = config.latent;
    vae.encoder.resize(static_cast<size_t>(config.layers));
    for (int l = 0; l < config.layers; ++l)
        nn::linear_init(vae.encoder[l], "encoder." + std::to_string(2 * l), l == 0 ? F : Hd, Hd, rng);
    nn::linear_init(vae.fc_mu, "fc_mu", Hd, Z, rng);
    nn::linear_init(vae.fc_logvar, "fc_logvar", Hd, Z, rng);
    vae.decoder.resize(static_cast<size_t>(config.layers) + 1);
    for (int l = 0; l <= config.layers; ++l)
        nn::linear_init(vae.decoder[l], "decoder." + std::to_string(2 * l), l == 0 ? Z : Hd,
                        l == config.layers ? F : Hd, rng);
}

nn::ParamList vae_params(Vae& vae) {
    nn::ParamList list;
    for (auto& layer : vae.encoder) nn::linear_params(layer, list);
    nn::linear_params(vae.fc_mu, list);
    nn::linear_params(vae.fc_logvar, list);
    for (auto& layer : vae.decoder) nn::linear_params(layer, list);
    return list;
}

static void check_images(const nn::Matrix& images, const Vae& vae, const char* what) {
    if (images.cols() != vae.config.image_size)
        throw std::invalid_argument(std::string(what) + ": images have " +
                                    std::to_string(images.cols()) + " columns, expected " +
                                    std::to_string(vae.config.image_size) + " (28x28 pixels per row)");
}

static void check_latent(const nn::Matrix& z, const Vae& vae, const char* what) {
    if (z.cols() != vae.config.latent)
        throw std::invalid_argument(std::string(what) + ": z has " + std::to_string(z.cols()) +
                                    " columns, expected latent size " +
                                    std::to_string(vae.config.latent));
}

// x [B,F] -> cache.enc_pre/enc_act, cache.mu, cache.logvar.
static void encoder_forward(VaeCache& cache, const nn::Matrix& x, const Vae& vae) {
    const size_t L = vae.encoder.size();
    cache.enc_pre.resize(L);
    cache.enc_act.resize(L);
    for (size_t l = 0; l < L; ++l) {
        nn::linear_forward(cache.enc_pre[l], l == 0 ? x : cache.enc_act[l - 1], vae.encoder[l]);
        nn::relu_forward(cache.enc_act[l], cache.enc_pre[l]);
    }
    nn::linear_forward(cache.mu, cache.enc_act[L - 1], vae.fc_mu);
    nn::linear_forward(cache.logvar, cache.enc_act[L - 1], vae.fc_logvar);
}

// z [B,Z] -> cache.dec_pre/dec_act (hidden layers), logits [B,F].
static void decoder_forward(VaeCache& cache, nn::Matrix& logits, const nn::Matrix& z,
                            const Vae& vae) {
    const size_t L = vae.decoder.size() - 1;  // hidden layers
    cache.dec_pre.resize(L);
    cache.dec_act.resize(L);
    for (size_t l = 0; l < L; ++l) {
        nn::linear_forward(cache.dec_pre[l], l == 0 ? z : cache.dec_act[l - 1], vae.decoder[l]);
        nn::relu_forward(cache.dec_act[l], cache.dec_pre[l]);
    }
    nn::linear_forward(logits, cache.dec_act[L - 1], vae.decoder[L]);
}

void vae_encode(nn::Matrix& mu, nn::Matrix& logvar, const nn::Matrix& images, Vae& vae) {
    check_images(images, vae, "vae_encode");
    VaeCache cache;
    encoder_forward(cache, images, vae);
    mu = std::move(cache.mu);
    logvar = std::move(cache.logvar);
}

void vae_encode_mu_cached(VaeCache& cache, const nn::Matrix& images, const Vae& vae) {
    check_images(images, vae, "vae_encode_mu_cached");
    encoder_forward(cache, images, vae);
}

void vae_encode_mu_backward_input(nn::Matrix& dimages, const nn::Matrix& dmu, VaeCache& cache,
                                  const Vae& vae) {
    if (dmu.rows() != cache.mu.rows() || dmu.cols() != cache.mu.cols())
        throw std::invalid_argument("vae_encode_mu_backward_input: dmu is " +
                                    std::to_string(dmu.rows()) + "x" + std::to_string(dmu.cols()) +
                                    ", the cached mu " + std::to_string(cache.mu.rows()) + "x" +
                                    std::to_string(cache.mu.cols()));
    // y = x W^T + b  ->  dx = dy W; ReLU passes the gradient where its input was > 0.
    cache.dh.noalias() = dmu * vae.fc_mu.weight.value;  // [B,Hd]
    for (size_t l = vae.encoder.size(); l-- > 0;) {
        cache.dh2 = (cache.enc_pre[l].array() > 0.0f).select(cache.dh, 0.0f);
        nn::Matrix& next = l == 0 ? dimages : cache.dh;
        next.noalias() = cache.dh2 * vae.encoder[l].weight.value;
    }
}

void vae_decode_logits(nn::Matrix& logits, const nn::Matrix& z, Vae& vae) {
    check_latent(z, vae, "vae_decode");
    VaeCache cache;
    decoder_forward(cache, logits, z, vae);
}

void vae_decode(nn::Matrix& images, const nn::Matrix& z, Vae& vae) {
    nn::Matrix logits;
    vae_decode_logits(logits, z, vae);
    nn::sigmoid_forward(images, logits);
}

void vae_sample_latent(nn::Matrix& z, int n, int latent, uint64_t seed) {
    if (n < 0 || latent < 1)
        throw std::invalid_argument("vae_sample_latent: n = " + std::to_string(n) + ", latent = " +
                                    std::to_string(latent) + "; expected n >= 0 and latent >= 1");
    z.resize(n, latent);
    nn::Rng rng(seed);
    nn::fill_normal(z, rng);  // row-major fill: row i depends only on the draws before it
}

VaeLoss vae_elbo(const nn::Matrix& images, const nn::Matrix& eps, Vae& vae, VaeCache& cache,
                 bool backward) {
    check_images(images, vae, "vae_elbo");
    const int B = static_cast<int>(images.rows());
    if (B == 0) throw std::invalid_argument("vae_elbo: empty batch");
    if (eps.rows() != B || eps.cols() != vae.config.latent)
        throw std::invalid_argument("vae_elbo: eps is [" + std::to_string(eps.rows()) + "," +
                                    std::to_string(eps.cols()) + "], expected [" +
                                    std::to_string(B) + "," + std::to_string(vae.config.latent) + "]");
    const float scale = 1.0f / static_cast<float>(B);
    encoder_forward(cache, images, vae);
    cache.eps = eps;
    nn::reparameterize_forward(cache.z, cache.mu, cache.logvar, eps);
    decoder_forward(cache, cache.logits, cache.z, vae);

    VaeLoss out;
    if (!backward) {
        out.recon = nn::bce_with_logits(cache.logits, images, scale, nullptr);
        out.kl = nn::gaussian_kl(cache.mu, cache.logvar, scale, nullptr, nullptr);
        out.loss = out.recon + out.kl;
        return out;
    }
    out.recon = nn::bce_with_logits(cache.logits, images, scale, &cache.dlogits);
    out.kl = nn::gaussian_kl(cache.mu, cache.logvar, scale, &cache.dmu, &cache.dlogvar);
    out.loss = out.recon + out.kl;

    // Decoder backward: logits <- hidden layers <- z.
    const size_t Ld = vae.decoder.size() - 1;
    nn::linear_backward(&cache.dh, cache.dlogits, cache.dec_act[Ld - 1], vae.decoder[Ld]);
    for (size_t l = Ld; l-- > 0;) {
        nn::relu_backward(cache.dh2, cache.dh, cache.dec_pre[l]);
        nn::linear_backward(&cache.dh, cache.dh2, l == 0 ? cache.z : cache.dec_act[l - 1],
                            vae.decoder[l]);
    }
    // cache.dh is now dz; through the reparameterisation into dmu/dlogvar (which hold the KL
    // gradient already).
    nn::reparameterize_backward(cache.dmu, cache.dlogvar, cache.dh, cache.logvar, cache.eps);

    // Encoder backward.
    const size_t Le = vae.encoder.size();
    const nn::Matrix& top = cache.enc_act[Le - 1];
    nn::linear_backward(&cache.dh, cache.dmu, top, vae.fc_mu);
    nn::linear_backward(&cache.dh2, cache.dlogvar, top, vae.fc_logvar);
    cache.dh += cache.dh2;
    for (size_t l = Le; l-- > 0;) {
        nn::relu_backward(cache.dh2, cache.dh, cache.enc_pre[l]);
        if (l == 0) {
            nn::linear_backward(nullptr, cache.dh2, images, vae.encoder[0]);
        } else {
            nn::linear_backward(&cache.dh, cache.dh2, cache.enc_act[l - 1], vae.encoder[l]);
        }
    }
    return out;
}

VaeLoss vae_evaluate(const nn::Matrix& images, Vae& vae, uint64_t seed, int batch) {
    check_images(images, vae, "vae_evaluate");
    if (batch < 1) batch = 500;
    VaeCache cache;
    nn::Rng rng(seed);
    double loss = 0, recon = 0, kl = 0;
    const Eigen::Index N = images.rows();
    for (Eigen::Index start = 0; start < N; start += batch) {
        const Eigen::Index rows = std::min<Eigen::Index>(batch, N - start);
        nn::Matrix x = images.middleRows(start, rows);
        nn::Matrix eps(rows, vae.config.latent);
        nn::fill_normal(eps, rng);
        VaeLoss l = vae_elbo(x, eps, vae, cache, false);
        loss += double(l.loss) * rows;
        recon += double(l.recon) * rows;
        kl += double(l.kl) * rows;
    }
    VaeLoss out;
    if (N > 0) {
        out.loss = static_cast<float>(loss / N);
        out.recon = static_cast<float>(recon / N);
        out.kl = static_cast<float>(kl / N);
    }
    return out;
}

std::map<std::string, std::string> vae_metadata(const VaeConfig& config,
                                                const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> m = extra;
    m["model"] = "vae";
    m["format_version"] = "1";
    m["latent"] = std::to_string(config.latent);
    m["hidden"] = std::to_string(config.hidden);
    m["layers"] = std::to_string(config.layers);
    m["image_size"] = std::to_string(config.image_size);
    m["likelihood"] = "bernoulli on [0,1] intensities";
    return m;
}

VaeConfig vae_config_from_metadata(const std::map<std::string, std::string>& metadata,
                                   const std::string& source) {
    meta::require_kind(metadata, "vae", source);
    VaeConfig c;
    c.latent = meta::require_int(metadata, "latent", source, 1, 1024);
    c.hidden = meta::require_int(metadata, "hidden", source, 1, 8192);
    c.layers = meta::require_int(metadata, "layers", source, 1, 8);
    c.image_size = meta::require_int(metadata, "image_size", source, 1, 1 << 20);
    return c;
}

void load_vae(Vae& vae, const io::SafetensorsFile& file) {
    VaeConfig config = vae_config_from_metadata(file.metadata, file.source);
    Vae loaded;
    vae_init(loaded, config, 0);
    io::load_params(file, vae_params(loaded));
    vae = std::move(loaded);
}

}  // namespace models
