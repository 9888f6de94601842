// `genlab train|sample|eval diffusion`: latent flow matching over a VAE's latent space
// (models/diffusion.h). Training encodes the MNIST training digits once with the VAE's encoder
// (posterior means) and fits the velocity field; sampling integrates it from noise and decodes
// with the VAE's decoder; eval judges the decoded digits like the GANs' and prints them in one
// table with the VAE's own prior samples and the GANs'.
#include "cli/cli.h"
#include "cli/digits_cli_util.h"
#include "cli/raw_f32.h"
#include "io/image_write.h"
#include "io/safetensors.h"
#include "io/sha256.h"
#include "models/classifier.h"
#include "models/diffusion.h"
#include "models/gan.h"
#include "models/metrics.h"
#include "models/vae.h"
#include "train/diffusion_trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace {

constexpr const char* kClassifierWeights = "weights/classifier.safetensors";
constexpr const char* kDefaultWeights = "weights/diffusion16.safetensors";

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

bool file_exists(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f) std::fclose(f);
    return f != nullptr;
}

// The VAE a diffusion file was trained over: --vae, else the path its metadata records.
// A VAE whose bytes differ from the recorded hash gets a warning: its latent space moved.
models::Vae load_matching_vae(const cli::Args& args, const io::SafetensorsFile& diffusion_file,
                              const models::Diffusion& model) {
    auto it = diffusion_file.metadata.find("vae");
    const std::string recorded = it == diffusion_file.metadata.end() ? "" : it->second;
    const std::string path = args.get("vae", recorded.empty() ? "weights/vae16.safetensors" : recorded);
    cli::require_file(path, "--vae", "genlab train vae");
    io::SafetensorsFile file = io::read_safetensors(path);
    models::Vae vae;
    models::load_vae(vae, file);
    if (vae.config.latent != model.config.latent)
        throw std::invalid_argument(diffusion_file.source + " denoises " +
                                    std::to_string(model.config.latent) + "-D latents, " + path +
                                    " has a " + std::to_string(vae.config.latent) +
                                    "-D latent (pass the VAE it was trained over with --vae)");
    auto sha = diffusion_file.metadata.find("vae_sha256");
    if (sha != diffusion_file.metadata.end() && sha->second != io::sha256_hex(file.bytes))
        std::fprintf(stderr, "warning: %s is not the VAE %s was trained over (sha256 differs); "
                             "samples may not look like digits\n",
                     path.c_str(), diffusion_file.source.c_str());
    return vae;
}

struct LoadedDiffusion {
    models::Diffusion model;
    models::Vae vae;
    models::DiffusionSampleOptions defaults;
    std::string path;
};

LoadedDiffusion load_diffusion_weights(const cli::Args& args) {
    LoadedDiffusion d;
    d.path = args.get("weights", kDefaultWeights);
    cli::require_file(d.path, "--weights", "genlab train diffusion");
    io::SafetensorsFile file = io::read_safetensors(d.path);
    models::load_diffusion(d.model, file);
    d.defaults = models::diffusion_default_sampling(file.metadata);
    d.vae = load_matching_vae(args, file, d.model);
    return d;
}

// --steps, --sampler, --guidance over the file's defaults.
models::DiffusionSampleOptions sample_options(const cli::Args& args, models::DiffusionSampleOptions o) {
    o.steps = static_cast<int>(args.get_int("steps", o.steps, 1, models::kMaxSamplingSteps));
    if (args.has("sampler")) o.sampler = models::flow_sampler_from_name(args.get("sampler", ""));
    o.guidance = static_cast<float>(args.get_double("guidance", o.guidance, 0, 100));
    return o;
}

// --label D (one digit), --label all (0..9 repeating) or none (unconditional: the null label).
std::vector<int> requested_labels(const cli::Args& args, const models::Diffusion& model, int n) {
    if (!args.has("label")) return {};
    if (model.config.classes == 0)
        throw std::invalid_argument("--label needs a class-conditional model; this one has classes = 0");
    const std::string v = args.get("label", "");
    std::vector<int> labels(static_cast<size_t>(n));
    if (v == "all") {
        for (int i = 0; i < n; ++i) labels[i] = i % model.config.classes;
        return labels;
    }
    const int label = static_cast<int>(args.get_int("label", 0, 0, model.config.classes - 1));
    std::fill(labels.begin(), labels.end(), label);
    return labels;
}

nn::Matrix sample_images(LoadedDiffusion& d, int n, uint64_t seed, const std::vector<int>& labels,
                         const models::DiffusionSampleOptions& options) {
    nn::Matrix noise, latents, images;
    models::diffusion_sample_noise(noise, n, d.model.config.latent, seed);
    models::diffusion_sample(latents, noise, labels, options, d.model);
    models::vae_decode(images, latents, d.vae);
    return images;
}

int train_diffusion(const cli::Args& args) {
    args.allow_only({"vae", "hidden", "layers", "time-features", "label-embed", "classes", "steps",
                     "batch", "lr", "seed", "label-drop", "out", "limit", "dtype", "threads",
                     "sample-steps", "sampler", "guidance", "ema", "time-sampling", "logit-mean",
                     "logit-std"});
    cli::use_threads(args, 1);
    const std::string vae_path = args.get("vae", "weights/vae16.safetensors");
    cli::require_file(vae_path, "--vae", "genlab train vae");
    io::SafetensorsFile vae_file = io::read_safetensors(vae_path);
    models::Vae vae;
    models::load_vae(vae, vae_file);
    const std::string dtype = args.get("dtype", "f16");
    if (dtype != "f16" && dtype != "f32") throw std::invalid_argument("--dtype " + dtype + ": expected f16 or f32");

    models::DiffusionConfig config;
    config.latent = vae.config.latent;
    config.hidden = static_cast<int>(args.get_int("hidden", vae.config.latent <= 2 ? 128 : 256, 1, cli::kMaxWidth));
    config.layers = static_cast<int>(args.get_int("layers", 3, 1, 8));
    config.time_features = static_cast<int>(args.get_int("time-features", 32, 2, 1024));
    config.classes = static_cast<int>(args.get_int("classes", 10, 0, 10));
    if (config.classes != 0 && config.classes != 10)
        throw std::invalid_argument("--classes must be 10 (digit labels) or 0 (unconditional)");
    config.label_embed = static_cast<int>(args.get_int("label-embed", 32, 1, 1024));
    train::DiffusionTrainOptions options;
    options.batch = static_cast<int>(args.get_int("batch", 256, 1, cli::kMaxWidth));
    options.lr = static_cast<float>(args.get_double("lr", 2e-3, 1e-7, 1));
    options.seed = static_cast<uint64_t>(args.get_int("seed", 1, 0, cli::kMaxSteps));
    options.label_drop = static_cast<float>(args.get_double("label-drop", 0.1, 0, 1));
    options.total_steps = args.get_int("steps", 20000, 1, cli::kMaxSteps);
    options.ema_decay = static_cast<float>(args.get_double("ema", 0.999, 0, 0.999999));
    options.time_sampling = train::time_sampling_from_name(args.get("time-sampling", "uniform"));
    options.logit_mean = static_cast<float>(args.get_double("logit-mean", 0, -10, 10));
    options.logit_std = static_cast<float>(args.get_double("logit-std", 1, 0.01, 10));
    if (options.time_sampling == train::TimeSampling::Uniform && (args.has("logit-mean") || args.has("logit-std")))
        throw std::invalid_argument("--logit-mean/--logit-std shape --time-sampling logit-normal only");
    models::DiffusionSampleOptions defaults;
    defaults.steps = static_cast<int>(args.get_int("sample-steps", 20, 1, models::kMaxSamplingSteps));
    defaults.sampler = models::flow_sampler_from_name(args.get("sampler", "heun"));
    defaults.guidance = static_cast<float>(args.get_double("guidance", 1.5, 0, 100));

    std::vector<int> labels, test_labels;
    const nn::Matrix images = cli::load_mnist_matrix(true, labels, args.get_int("limit", 0, 0, cli::kMnistTrain));
    const nn::Matrix test_images = cli::load_mnist_matrix(false, test_labels);
    auto t0 = std::chrono::steady_clock::now();
    const nn::Matrix latents = train::encode_latents(images, vae);
    const nn::Matrix test_latents = train::encode_latents(test_images, vae);
    const double encode_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    models::Diffusion model;
    models::diffusion_init(model, config, options.seed);
    models::diffusion_set_normalization(model, latents);
    nn::Matrix data, test_data;
    models::diffusion_normalize(data, latents, model);
    models::diffusion_normalize(test_data, test_latents, model);
    train::DiffusionTrainer trainer;
    train::diffusion_trainer_init(trainer, options);
    std::fprintf(stderr, "diffusion over %s (%d-D latents, %lld digits encoded in %s): hidden %d layers %d, "
                         "%lld params, %lld steps, label drop %g, %s times\n",
                 vae_path.c_str(), config.latent, static_cast<long long>(latents.rows()),
                 cli::format_duration(encode_seconds).c_str(), config.hidden, config.layers,
                 static_cast<long long>(models::diffusion_params(model).numel(true)),
                 static_cast<long long>(options.total_steps), options.label_drop,
                 train::time_sampling_name(options.time_sampling));

    const auto start = std::chrono::steady_clock::now();
    cli::ProgressBar bar("train diffusion", options.total_steps);
    double avg = 0;
    while (trainer.step < options.total_steps) {
        train::DiffusionStepStats s = train::diffusion_train_step(trainer, model, data, labels);
        const double k = trainer.step < 50 ? 1.0 / double(trainer.step) : 0.02;
        avg += k * (s.loss - avg);
        bar.update(trainer.step, trainer.step * options.batch, "loss " + fmt("%.4f", avg));
    }
    bar.finish("loss " + fmt("%.4f", avg));
    const float val_raw = train::diffusion_validation_loss(model, test_data, test_labels);
    train::diffusion_apply_ema(trainer, model);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const float val32 = train::diffusion_validation_loss(model, test_data, test_labels);
    if (dtype == "f16") cli::round_params_to_f16(models::diffusion_params(model));
    const float val = train::diffusion_validation_loss(model, test_data, test_labels);

    const std::string out = args.get("out", "diffusion" + std::to_string(config.latent) + ".safetensors");
    std::map<std::string, std::string> extra = {
        {"trained_with", cli::command_line(args)},
        {"vae", vae_path},
        {"vae_sha256", io::sha256_hex(vae_file.bytes)},
        {"train_seconds", fmt("%.0f", seconds)},
        {"train_steps", std::to_string(trainer.step)},
        {"trainer.batch", std::to_string(options.batch)},
        {"trainer.lr", fmt("%g", options.lr)},
        {"trainer.label_drop", fmt("%g", options.label_drop)},
        {"trainer.seed", std::to_string(options.seed)},
        {"trainer.time_sampling", train::time_sampling_name(options.time_sampling)},
        {"default_steps", std::to_string(defaults.steps)},
        {"default_sampler", models::flow_sampler_name(defaults.sampler)},
        {"default_guidance", fmt("%g", defaults.guidance)},
        {"metric.test_flow_loss", fmt("%.5f", val)},
        {"metric.test_flow_loss_f32", fmt("%.5f", val32)},
        {"metric.test_flow_loss_raw_f32", fmt("%.5f", val_raw)},
        {"ema_decay", fmt("%g", options.ema_decay)},
        {"dtype", dtype == "f16" ? "F16" : "F32"}};
    if (options.time_sampling == train::TimeSampling::LogitNormal) {
        extra["trainer.logit_mean"] = fmt("%g", options.logit_mean);
        extra["trainer.logit_std"] = fmt("%g", options.logit_std);
    }
    io::save_safetensors(out, models::diffusion_params(model), models::diffusion_metadata(config, extra),
                         dtype == "f16" ? io::Dtype::F16 : io::Dtype::F32);
    std::printf("wrote %s (%s) after %s: test flow-matching loss %.5f (F32 %.5f, without the EMA %.5f)\n",
                out.c_str(), extra["dtype"].c_str(), cli::format_duration(seconds).c_str(), val, val32, val_raw);
    return 0;
}

int sample_diffusion(const cli::Args& args) {
    args.allow_only({"weights", "vae", "n", "seed", "label", "guidance", "steps", "sampler", "out",
                     "cols", "latents-out", "z"});
    const std::string out = args.get("out", "");
    if (out.empty()) throw std::invalid_argument("--out FILE.png|FILE.pgm|FILE.bin|FILE.f32 is required");
    int n = static_cast<int>(args.get_int("n", 64, 1, cli::kMaxImages));
    const uint64_t seed = static_cast<uint64_t>(args.get_int("seed", 1, 0, cli::kMaxSteps));
    LoadedDiffusion d = load_diffusion_weights(args);
    const models::DiffusionSampleOptions options = sample_options(args, d.defaults);
    nn::Matrix noise, latents, images;
    if (args.has("z"))  // explicit starting noise, raw float32 [N, latent], instead of the seed
        noise = cli::read_z_option(args, d.model.config.latent, n);
    else
        models::diffusion_sample_noise(noise, n, d.model.config.latent, seed);
    const std::vector<int> labels = requested_labels(args, d.model, n);
    models::diffusion_sample(latents, noise, labels, options, d.model);
    models::vae_decode(images, latents, d.vae);
    const int cols = static_cast<int>(
        args.get_int("cols", std::max(1, static_cast<int>(std::ceil(std::sqrt(double(n))))), 1, cli::kMaxImages));
    cli::write_digit_images(out, images, cols);
    if (args.has("latents-out")) cli::write_raw_f32(args.get("latents-out", ""), latents);
    std::printf("wrote %s (%d samples, seed %llu, %s %d steps%s)\n", out.c_str(), n,
                static_cast<unsigned long long>(seed), models::flow_sampler_name(options.sampler),
                options.steps,
                labels.empty() ? ", unconditional"
                               : (", label " + args.get("label", "") + ", guidance " + fmt("%g", options.guidance)).c_str());
    return 0;
}

struct Row {
    std::string name;
    models::DigitSampleQuality q;
};

std::string table_row(const Row& r) {
    double lo = 1, hi = 0;
    for (double f : r.q.class_fraction) lo = std::min(lo, f), hi = std::max(hi, f);
    char buf[320];
    std::snprintf(buf, sizeof buf, "| %-44s | %7.2f | %6.1f%% | %4.1f - %4.1f%% | %8s | %5s | %5s |\n",
                  r.name.c_str(), r.q.fid, 100 * r.q.confident_fraction, 100 * lo, 100 * hi,
                  r.q.label_accuracy >= 0 ? fmt("%.1f%%", 100 * r.q.label_accuracy).c_str() : "-",
                  r.q.pr.precision >= 0 ? fmt("%.3f", r.q.pr.precision).c_str() : "-",
                  r.q.pr.recall >= 0 ? fmt("%.3f", r.q.pr.recall).c_str() : "-");
    return buf;
}

int eval_diffusion(const cli::Args& args) {
    args.allow_only({"weights", "vae", "n", "seed", "guidance", "steps", "sampler", "classifier",
                     "gan", "cgan", "no-compare", "record", "threads"});
    cli::use_threads(args, 1);
    const int n = static_cast<int>(args.get_int("n", 10000, 6, cli::kMaxImages));
    const uint64_t seed = static_cast<uint64_t>(args.get_int("seed", 1, 0, cli::kMaxSteps));
    if (args.has("record") && (n != 10000 || seed != 1))
        throw std::invalid_argument("--record stores the metrics of --n 10000 --seed 1 only");
    LoadedDiffusion d = load_diffusion_weights(args);
    const models::DiffusionSampleOptions options = sample_options(args, d.defaults);
    const std::string judge_path = args.get("classifier", kClassifierWeights);
    cli::require_file(judge_path, "--classifier", "genlab train classifier");
    models::Classifier judge;
    models::load_classifier(judge, io::read_safetensors(judge_path));
    std::vector<int> test_labels;
    const nn::Matrix test = cli::load_mnist_matrix(false, test_labels);
    const models::FeatureStats reference = models::reference_feature_stats(test, judge, true);
    auto judge_images = [&](const nn::Matrix& images, const std::vector<int>& labels) {
        return models::digit_sample_quality(images, judge, reference, labels);
    };

    std::vector<Row> rows;
    {
        std::vector<int> train_labels;
        rows.push_back({"MNIST training images (floor)",
                        judge_images(cli::load_mnist_matrix(true, train_labels, n), train_labels)});
    }
    const std::string sampler = std::string(models::flow_sampler_name(options.sampler)) + " " +
                                std::to_string(options.steps);
    const auto t0 = std::chrono::steady_clock::now();
    const models::DigitSampleQuality unconditional = judge_images(sample_images(d, n, seed, {}, options), {});
    const double uncond_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rows.push_back({"diffusion, unconditional (" + sampler + ")", unconditional});
    models::DigitSampleQuality guided;
    if (d.model.config.classes > 0) {
        std::vector<int> labels(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i) labels[i] = i % d.model.config.classes;
        guided = judge_images(sample_images(d, n, seed, labels, options), labels);
        rows.push_back({"diffusion, labels 0-9, guidance " + fmt("%g", options.guidance), guided});
    }
    if (!args.has("no-compare")) {
        nn::Matrix z, images;
        models::vae_sample_latent(z, n, d.vae.config.latent, seed);
        models::vae_decode(images, z, d.vae);
        rows.push_back({"VAE prior N(0, I) samples, same decoder", judge_images(images, {})});
        for (const char* kind : {"gan", "cgan"}) {
            const std::string path = args.get(kind, std::string("weights/") + kind + ".safetensors");
            if (!file_exists(path)) continue;
            models::Gan gan;
            models::load_gan_generator(gan, io::read_safetensors(path));
            std::vector<int> labels;
            for (int i = 0; gan.config.classes > 0 && i < n; ++i) labels.push_back(i % gan.config.classes);
            models::gan_sample_latent(z, n, gan.config.latent, seed);
            models::gan_generate(images, z, labels, gan);
            rows.push_back({path, judge_images(images, labels)});
        }
    }
    std::printf("%s over %s: %d samples, seed %llu, %s steps, judged by %s (%s for the unconditional set)\n",
                d.path.c_str(), args.get("vae", "its VAE").c_str(), n, static_cast<unsigned long long>(seed),
                sampler.c_str(), judge_path.c_str(), cli::format_duration(uncond_seconds).c_str());
    std::printf("unconditional samples:\n%s", models::format_digit_sample_quality(unconditional, &rows[0].q).c_str());
    std::printf("\n| %-44s | FID     | conf.   | classes       | label acc | prec. | rec.  |\n", "samples");
    std::printf("|---|---|---|---|---|---|---|\n");
    for (const Row& r : rows) std::printf("%s", table_row(r).c_str());

    if (args.has("record")) {
        io::SafetensorsFile file = io::read_safetensors(d.path);
        bool f16 = false;
        for (const io::TensorInfo& t : file.tensors) f16 = f16 || t.dtype == "F16";
        std::map<std::string, std::string> meta = file.metadata;
        auto put = [&](const std::string& prefix, const models::DigitSampleQuality& q) {
            double lo = 1, hi = 0;
            for (double f : q.class_fraction) lo = std::min(lo, f), hi = std::max(hi, f);
            meta["metric." + prefix + "classifier_fid"] = fmt("%.3f", q.fid);
            meta["metric." + prefix + "confident_fraction"] = fmt("%.4f", q.confident_fraction);
            meta["metric." + prefix + "class_fraction_min"] = fmt("%.4f", lo);
            meta["metric." + prefix + "class_fraction_max"] = fmt("%.4f", hi);
            if (q.label_accuracy >= 0) meta["metric." + prefix + "label_accuracy"] = fmt("%.4f", q.label_accuracy);
            if (q.pr.precision >= 0) {
                meta["metric." + prefix + "precision"] = fmt("%.4f", q.pr.precision);
                meta["metric." + prefix + "recall"] = fmt("%.4f", q.pr.recall);
            }
        };
        put("", unconditional);
        if (d.model.config.classes > 0) put("guided_", guided);
        meta["metric.note"] = "10,000 samples, seed 1, " + sampler + " steps, guided: labels 0..9 repeating at guidance " +
                              fmt("%g", options.guidance) + "; judged by the shipped classifier";
        io::save_safetensors(d.path, models::diffusion_params(d.model), meta, f16 ? io::Dtype::F16 : io::Dtype::F32);
        std::printf("recorded the metrics in %s\n", d.path.c_str());
    }
    return 0;
}

// forward diffusion --x X.f32 [N,Z] --t T.f32 [N,1] [--labels L.f32 [N,1], digits as floats,
// classes = null] --out V.f32 [N,Z]: the denoiser's velocity, for the PyTorch twin check.
int forward_diffusion(const cli::Args& args) {
    args.allow_only({"weights", "x", "t", "labels", "out"});
    const std::string out = args.get("out", "");
    if (out.empty() || !args.has("x") || !args.has("t"))
        throw std::invalid_argument("--x X.f32 --t T.f32 --out V.f32 are required");
    models::Diffusion model;
    const std::string path = args.get("weights", kDefaultWeights);
    cli::require_file(path, "--weights", "genlab train diffusion");
    models::load_diffusion(model, io::read_safetensors(path));
    const nn::Matrix x = cli::read_raw_f32(args.get("x", ""), model.config.latent, "--x", cli::kMaxImages);
    const nn::Matrix t = cli::read_raw_f32(args.get("t", ""), 1, "--t", cli::kMaxImages);
    if (t.rows() != x.rows())
        throw std::invalid_argument("--t has " + std::to_string(t.rows()) + " rows, --x " + std::to_string(x.rows()));
    std::vector<float> times(t.data(), t.data() + t.size());
    std::vector<int> labels;
    if (model.config.classes > 0) {
        labels.assign(static_cast<size_t>(x.rows()), models::diffusion_null_label(model));
        if (args.has("labels")) {
            const nn::Matrix l = cli::read_raw_f32(args.get("labels", ""), 1, "--labels", cli::kMaxImages);
            if (l.rows() != x.rows()) throw std::invalid_argument("--labels needs one row per --x row");
            for (Eigen::Index i = 0; i < l.rows(); ++i) labels[i] = static_cast<int>(std::lround(l(i, 0)));
        }
    }
    models::DiffusionCache cache;
    models::diffusion_forward(cache, x, times, labels, model);
    cli::write_raw_f32(out, cache.velocity);
    std::printf("wrote velocities [%lld, %d] to %s\n", static_cast<long long>(x.rows()), model.config.latent, out.c_str());
    return 0;
}

const bool r4 = cli::register_command(
    "forward", "diffusion", "velocity of the denoiser at --x --t [--labels], raw float32", forward_diffusion);
const bool r1 = cli::register_command(
    "train", "diffusion", "latent flow matching over a VAE (--vae weights/vae16.safetensors)", train_diffusion);
const bool r2 = cli::register_command(
    "sample", "diffusion", "digits from latent diffusion (--n --seed [--label D|all --guidance G] [--steps K] --out .png|.pgm|.bin|.f32)",
    sample_diffusion);
const bool r3 = cli::register_command(
    "eval", "diffusion", "classifier-FID, confidence, classes, label accuracy, P/R beside the VAE's and GANs' samples",
    eval_diffusion);

}  // namespace
