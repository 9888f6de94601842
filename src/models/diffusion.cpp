#include "models/diffusion.h"

#include "models/metadata_fields.h"
#include "nn/silu.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace models {

FlowSampler flow_sampler_from_name(const std::string& name) {
    if (name == "euler") return FlowSampler::Euler;
    if (name == "heun") return FlowSampler::Heun;
    throw std::invalid_argument("sampler \"" + name + "\": expected euler or heun");
}

const char* flow_sampler_name(FlowSampler sampler) {
    return sampler == FlowSampler::Euler ? "euler" : "heun";
}

void diffusion_check_config(const DiffusionConfig& c) {
    auto bad = [](const std::string& field, int v, const std::string& range) {
        throw std::invalid_argument("DiffusionConfig." + field + " = " + std::to_string(v) +
                                    ", expected " + range);
    };
    if (c.latent < 1 || c.latent > 1024) bad("latent", c.latent, "1..1024");
    if (c.hidden < 1 || c.hidden > 8192) bad("hidden", c.hidden, "1..8192");
    if (c.layers < 1 || c.layers > 8) bad("layers", c.layers, "1..8");
    if (c.time_features < 2 || c.time_features > 1024 || c.time_features % 2 != 0)
        bad("time_features", c.time_features, "an even number in 2..1024");
    if (c.classes < 0 || c.classes > 1000) bad("classes", c.classes, "0..1000 (0 = unconditional)");
    if (c.classes > 0 && (c.label_embed < 1 || c.label_embed > 1024))
        bad("label_embed", c.label_embed, "1..1024");
}

static int input_width(const DiffusionConfig& c) {
    return c.latent + c.time_features + (c.classes > 0 ? c.label_embed : 0);
}

int diffusion_null_label(const Diffusion& model) { return model.config.classes; }

void diffusion_init(Diffusion& model, const DiffusionConfig& config, uint64_t seed) {
    diffusion_check_config(config);
    model = Diffusion{};
    model.config = config;
    nn::Rng rng(seed);
    if (config.classes > 0)
        nn::embedding_init(model.label_embed, "label_embed", config.classes + 1, config.label_embed, rng);
    model.net.resize(static_cast<size_t>(config.layers) + 1);
    for (int l = 0; l <= config.layers; ++l)
        nn::linear_init(model.net[l], "net." + std::to_string(2 * l),
                        l == 0 ? input_width(config) : config.hidden,
                        l == config.layers ? config.latent : config.hidden, rng);
    nn::param_init(model.latent_mean, "latent_mean", {config.latent}, 1, config.latent, false);
    nn::param_init(model.latent_std, "latent_std", {config.latent}, 1, config.latent, false);
    model.latent_std.value.setOnes();
}

nn::ParamList diffusion_params(Diffusion& model) {
    nn::ParamList list;
    if (model.config.classes > 0) nn::embedding_params(model.label_embed, list);
    for (auto& layer : model.net) nn::linear_params(layer, list);
    list.add(model.latent_mean);
    list.add(model.latent_std);
    return list;
}

void time_features(nn::Matrix& features, const std::vector<float>& t, int count) {
    const int half = count / 2;
    features.resize(static_cast<Eigen::Index>(t.size()), count);
    for (size_t b = 0; b < t.size(); ++b)
        for (int k = 0; k < half; ++k) {
            const double w = std::pow(10000.0, -double(k) / double(half));
            const double a = 1000.0 * double(t[b]) * w;
            features(static_cast<Eigen::Index>(b), k) = static_cast<float>(std::sin(a));
            features(static_cast<Eigen::Index>(b), half + k) = static_cast<float>(std::cos(a));
        }
}

void diffusion_forward(DiffusionCache& cache, const nn::Matrix& x, const std::vector<float>& t,
                       const std::vector<int>& labels, const Diffusion& model) {
    const DiffusionConfig& c = model.config;
    const Eigen::Index B = x.rows();
    if (x.cols() != c.latent)
        throw std::invalid_argument("diffusion_forward: x has " + std::to_string(x.cols()) +
                                    " columns, expected latent size " + std::to_string(c.latent));
    if (static_cast<Eigen::Index>(t.size()) != B)
        throw std::invalid_argument("diffusion_forward: " + std::to_string(t.size()) +
                                    " times for " + std::to_string(B) + " rows");
    if (c.classes > 0 && static_cast<Eigen::Index>(labels.size()) != B)
        throw std::invalid_argument("diffusion_forward: " + std::to_string(labels.size()) +
                                    " labels for " + std::to_string(B) + " rows");
    cache.labels = labels;
    nn::Matrix tf;
    time_features(tf, t, c.time_features);
    cache.input.resize(B, input_width(c));
    cache.input.leftCols(c.latent) = x;
    cache.input.middleCols(c.latent, c.time_features) = tf;
    if (c.classes > 0) {
        nn::Matrix e;
        nn::embedding_forward(e, labels, model.label_embed);  // throws for a label outside 0..classes
        cache.input.rightCols(c.label_embed) = e;
    }
    const size_t L = model.net.size() - 1;
    cache.pre.resize(L);
    cache.act.resize(L);
    for (size_t l = 0; l < L; ++l) {
        nn::linear_forward(cache.pre[l], l == 0 ? cache.input : cache.act[l - 1], model.net[l]);
        nn::silu_forward(cache.act[l], cache.pre[l]);
    }
    nn::linear_forward(cache.velocity, cache.act[L - 1], model.net[L]);
}

void diffusion_backward(nn::Matrix* dx, const nn::Matrix& dvelocity, DiffusionCache& cache,
                        Diffusion& model) {
    const DiffusionConfig& c = model.config;
    const size_t L = model.net.size() - 1;
    nn::linear_backward(&cache.dh, dvelocity, cache.act[L - 1], model.net[L]);
    for (size_t l = L; l-- > 0;) {
        nn::silu_backward(cache.dh2, cache.dh, cache.pre[l]);
        const bool first = l == 0;
        // The first layer's input gradient is needed for the label embedding or dx only.
        nn::Matrix* d_in = first ? ((c.classes > 0 || dx) ? &cache.dinput : nullptr) : &cache.dh;
        nn::linear_backward(d_in, cache.dh2, first ? cache.input : cache.act[l - 1], model.net[l]);
    }
    if (c.classes > 0)
        nn::embedding_backward(cache.dinput.rightCols(c.label_embed), cache.labels, model.label_embed);
    if (dx) *dx = cache.dinput.leftCols(c.latent);
}

float flow_matching_loss(const nn::Matrix& x0, const nn::Matrix& x1, const std::vector<float>& t,
                         const std::vector<int>& labels, Diffusion& model, DiffusionCache& cache,
                         bool backward) {
    const Eigen::Index B = x0.rows(), Z = x0.cols();
    if (B == 0) throw std::invalid_argument("flow_matching_loss: empty batch");
    if (x1.rows() != B || x1.cols() != Z)
        throw std::invalid_argument("flow_matching_loss: noise is [" + std::to_string(x1.rows()) +
                                    "," + std::to_string(x1.cols()) + "], data [" +
                                    std::to_string(B) + "," + std::to_string(Z) + "]");
    nn::Matrix xt(B, Z);
    for (Eigen::Index b = 0; b < B; ++b) {
        if (static_cast<Eigen::Index>(t.size()) != B) break;  // diffusion_forward reports it
        xt.row(b) = (1.0f - t[b]) * x0.row(b) + t[b] * x1.row(b);
    }
    diffusion_forward(cache, xt, t, labels, model);
    const nn::Matrix diff = cache.velocity - (x1 - x0);  // [B,Z]
    const double n = double(B) * double(Z);
    const float loss = static_cast<float>(diff.cast<double>().squaredNorm() / n);
    if (backward) {
        const nn::Matrix dv = diff * static_cast<float>(2.0 / n);
        diffusion_backward(nullptr, dv, cache, model);
    }
    return loss;
}

void flow_integrate(nn::Matrix& x, int steps, FlowSampler sampler, const VelocityField& velocity,
                    std::vector<nn::Matrix>* trajectory) {
    if (steps < kMinSamplingSteps || steps > kMaxSamplingSteps)
        throw std::invalid_argument("steps = " + std::to_string(steps) + ", expected " +
                                    std::to_string(kMinSamplingSteps) + ".." +
                                    std::to_string(kMaxSamplingSteps));
    if (trajectory) {
        trajectory->clear();
        trajectory->push_back(x);
    }
    nn::Matrix v1, v2, predicted;
    for (int i = 0; i < steps; ++i) {
        const float t = 1.0f - float(i) / float(steps);
        const float t_next = 1.0f - float(i + 1) / float(steps);
        const float dt = t_next - t;  // negative: time runs from 1 to 0
        velocity(v1, x, t);
        if (sampler == FlowSampler::Euler) {
            x += dt * v1;
        } else {
            predicted = x + dt * v1;
            velocity(v2, predicted, t_next);
            x += (0.5f * dt) * (v1 + v2);
        }
        if (trajectory) trajectory->push_back(x);
    }
}

void diffusion_sample_noise(nn::Matrix& noise, int n, int latent, uint64_t seed) {
    if (n < 0 || latent < 1)
        throw std::invalid_argument("diffusion_sample_noise: n = " + std::to_string(n) +
                                    ", latent = " + std::to_string(latent));
    noise.resize(n, latent);
    nn::Rng rng(seed);
    nn::fill_normal(noise, rng);
}

void diffusion_sample(nn::Matrix& latents, const nn::Matrix& noise, const std::vector<int>& labels,
                      const DiffusionSampleOptions& options, Diffusion& model,
                      std::vector<nn::Matrix>* trajectory) {
    const DiffusionConfig& c = model.config;
    const Eigen::Index N = noise.rows();
    if (noise.cols() != c.latent)
        throw std::invalid_argument("diffusion_sample: noise has " + std::to_string(noise.cols()) +
                                    " columns, expected latent size " + std::to_string(c.latent));
    if (!labels.empty() && static_cast<Eigen::Index>(labels.size()) != N)
        throw std::invalid_argument("diffusion_sample: " + std::to_string(labels.size()) +
                                    " labels for " + std::to_string(N) + " samples");
    if (!std::isfinite(options.guidance) || options.guidance < 0 || options.guidance > 100)
        throw std::invalid_argument("guidance must be in 0..100");
    const int null_label = diffusion_null_label(model);
    std::vector<int> null_labels(static_cast<size_t>(N), null_label);
    const std::vector<int>& wanted = labels.empty() ? null_labels : labels;
    for (int label : wanted)
        if (label < 0 || label > std::max(null_label, 0))
            throw std::invalid_argument("diffusion_sample: label " + std::to_string(label) +
                                        ", expected 0.." + std::to_string(null_label - 1) +
                                        " (or " + std::to_string(null_label) + " = none)");
    // Guided rows are evaluated twice in one batch: [x | x] with labels [c | null].
    std::vector<Eigen::Index> guided;
    for (Eigen::Index i = 0; i < N; ++i)
        if (c.classes > 0 && wanted[i] != null_label && options.guidance != 1.0f) guided.push_back(i);
    std::vector<int> batch_labels = wanted;
    batch_labels.insert(batch_labels.end(), guided.size(), null_label);
    DiffusionCache cache;
    nn::Matrix batch;
    const float g = options.guidance;
    VelocityField velocity = [&](nn::Matrix& v, const nn::Matrix& x, float t) {
        batch.resize(N + static_cast<Eigen::Index>(guided.size()), c.latent);
        batch.topRows(N) = x;
        for (size_t k = 0; k < guided.size(); ++k) batch.row(N + k) = x.row(guided[k]);
        std::vector<float> times(static_cast<size_t>(batch.rows()), t);
        diffusion_forward(cache, batch, times, batch_labels, model);
        v = cache.velocity.topRows(N);
        for (size_t k = 0; k < guided.size(); ++k) {
            const auto uncond = cache.velocity.row(N + k);
            v.row(guided[k]) = uncond + g * (cache.velocity.row(guided[k]) - uncond);
        }
    };
    nn::Matrix x = noise;
    flow_integrate(x, options.steps, options.sampler, velocity, trajectory);
    auto denormalize = [&](nn::Matrix& m) {
        m = (m.array().rowwise() * model.latent_std.value.row(0).array()).rowwise() +
            model.latent_mean.value.row(0).array();
    };
    denormalize(x);
    latents = std::move(x);
    if (trajectory)
        for (nn::Matrix& m : *trajectory) denormalize(m);
}

void diffusion_set_normalization(Diffusion& model, const nn::Matrix& latents) {
    if (latents.rows() < 2 || latents.cols() != model.config.latent)
        throw std::invalid_argument("diffusion_set_normalization: latents are [" +
                                    std::to_string(latents.rows()) + "," +
                                    std::to_string(latents.cols()) + "], expected [N >= 2, " +
                                    std::to_string(model.config.latent) + "]");
    const Eigen::RowVectorXd mean = latents.cast<double>().colwise().mean();
    const Eigen::MatrixXd centred = latents.cast<double>().rowwise() - mean;
    const Eigen::RowVectorXd var = centred.array().square().colwise().sum() / double(latents.rows() - 1);
    model.latent_mean.value.row(0) = mean.cast<float>();
    model.latent_std.value.row(0) = var.array().sqrt().max(1e-3).cast<float>();
}

void diffusion_normalize(nn::Matrix& x, const nn::Matrix& latents, const Diffusion& model) {
    if (latents.cols() != model.config.latent)
        throw std::invalid_argument("diffusion_normalize: latents have " +
                                    std::to_string(latents.cols()) + " columns, expected " +
                                    std::to_string(model.config.latent));
    x = (latents.array().rowwise() - model.latent_mean.value.row(0).array()).rowwise() /
        model.latent_std.value.row(0).array();
}

std::map<std::string, std::string> diffusion_metadata(const DiffusionConfig& config,
                                                      const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> m = extra;
    m["model"] = "diffusion";
    m["format_version"] = "1";
    m["latent"] = std::to_string(config.latent);
    m["hidden"] = std::to_string(config.hidden);
    m["layers"] = std::to_string(config.layers);
    m["time_features"] = std::to_string(config.time_features);
    m["classes"] = std::to_string(config.classes);
    m["label_embed"] = std::to_string(config.label_embed);
    m["objective"] = "flow matching (rectified flow), velocity prediction, x_t = (1-t) x0 + t noise";
    return m;
}

DiffusionConfig diffusion_config_from_metadata(const std::map<std::string, std::string>& metadata,
                                               const std::string& source) {
    meta::require_kind(metadata, "diffusion", source);
    DiffusionConfig c;
    c.latent = meta::require_int(metadata, "latent", source, 1, 1024);
    c.hidden = meta::require_int(metadata, "hidden", source, 1, 8192);
    c.layers = meta::require_int(metadata, "layers", source, 1, 8);
    c.time_features = meta::require_int(metadata, "time_features", source, 2, 1024);
    c.classes = meta::require_int(metadata, "classes", source, 0, 1000);
    c.label_embed = meta::require_int(metadata, "label_embed", source, 0, 1024);
    try {
        diffusion_check_config(c);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(source + ": " + e.what());
    }
    return c;
}

DiffusionSampleOptions diffusion_default_sampling(const std::map<std::string, std::string>& metadata) {
    DiffusionSampleOptions o;
    auto it = metadata.find("default_sampler");
    if (it != metadata.end()) o.sampler = flow_sampler_from_name(it->second);
    it = metadata.find("default_steps");
    if (it != metadata.end()) o.steps = std::clamp(std::atoi(it->second.c_str()), 1, kMaxSamplingSteps);
    it = metadata.find("default_guidance");
    if (it != metadata.end()) {
        const float g = std::strtof(it->second.c_str(), nullptr);
        if (std::isfinite(g) && g >= 0 && g <= 100) o.guidance = g;
    }
    return o;
}

void load_diffusion(Diffusion& model, const io::SafetensorsFile& file) {
    DiffusionConfig config = diffusion_config_from_metadata(file.metadata, file.source);
    Diffusion loaded;
    diffusion_init(loaded, config, 0);
    io::load_params(file, diffusion_params(loaded));
    if (!(loaded.latent_std.value.array() > 0).all() || !loaded.latent_std.value.allFinite() ||
        !loaded.latent_mean.value.allFinite())
        throw std::invalid_argument(file.source + ": latent_std must be positive and finite");
    model = std::move(loaded);
}

}  // namespace models
