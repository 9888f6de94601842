// genlab train vae|vae2, sample vae, eval vae.
#include "cli/cli.h"
#include "cli/digits_cli_util.h"
#include "cli/raw_f32.h"
#include "io/idx.h"
#include "io/image_write.h"
#include "io/safetensors.h"
#include "models/classifier.h"
#include "models/metrics.h"
#include "models/vae.h"
#include "train/vae_trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace {

constexpr uint64_t kEvalSeed = 1234;  // noise of the 1-sample test ELBO, fixed for comparability

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

// The first `limit` images of the split (limit <= 0: all of them).
nn::Matrix load_mnist_images(io::MnistPart part, int limit = 0) {
    io::MnistSplit split = io::load_mnist_part(io::find_mnist_dir(), part);
    return io::mnist_images_to_matrix(split, 0, limit <= 0 ? -1 : std::min(limit, split.n));
}

int train_vae_impl(const cli::Args& args, int default_latent, int default_hidden) {
    args.allow_only({"latent", "hidden", "layers", "epochs", "seed", "out", "batch", "lr",
                     "checkpoint", "checkpoint-every", "resume", "limit", "dtype"});
    const int epochs = static_cast<int>(args.get_int("epochs", 20, 0, 100000));
    const std::string dtype = args.get("dtype", "f16");
    if (dtype != "f16" && dtype != "f32")
        throw std::invalid_argument("--dtype " + dtype + ": expected f16 or f32");
    models::Vae vae;
    train::VaeTrainer trainer;
    if (args.has("resume")) {
        train::load_vae_checkpoint(args.get("resume", ""), trainer, vae);
        std::fprintf(stderr, "resumed %s at step %lld\n", args.get("resume", "").c_str(),
                     static_cast<long long>(trainer.step));
    } else {
        models::VaeConfig config;
        config.latent = static_cast<int>(args.get_int("latent", default_latent, 1, cli::kMaxWidth));
        config.hidden = static_cast<int>(args.get_int("hidden", default_hidden, 1, cli::kMaxWidth));
        config.layers = static_cast<int>(args.get_int("layers", 2, 1, 8));
        train::VaeTrainOptions options;
        options.batch = static_cast<int>(args.get_int("batch", 128, 1, cli::kMaxWidth));
        options.lr = static_cast<float>(args.get_double("lr", 1e-3, 0, 10));
        options.seed = static_cast<uint64_t>(args.get_int("seed", 1));
        models::vae_init(vae, config, options.seed);
        train::vae_trainer_init(trainer, options);
    }
    const nn::Matrix train_images =
        load_mnist_images(io::MnistPart::Train, static_cast<int>(args.get_int("limit", 0, 0, cli::kMnistTrain)));
    const int64_t per_epoch = train::vae_steps_per_epoch(trainer, train_images.rows());
    const int64_t total = per_epoch * epochs;
    // Cosine schedule over the whole run; a resumed run keeps the schedule it was started with.
    if (!args.has("resume")) trainer.options.total_steps = total;
    const std::string out =
        args.get("out", "vae" + std::to_string(vae.config.latent) + ".safetensors");
    const nn::Matrix test_images = load_mnist_images(io::MnistPart::Test);
    const std::string checkpoint = args.get("checkpoint", "");
    const int64_t checkpoint_every = args.get_int("checkpoint-every", per_epoch, 1, cli::kMaxSteps);
    const std::string trained_with = cli::training_command(args);
    std::fprintf(stderr, "VAE latent %d hidden %d layers %d: %lld params, %lld train images, %lld steps\n",
                 vae.config.latent, vae.config.hidden, vae.config.layers,
                 static_cast<long long>(vae_params(vae).numel()),
                 static_cast<long long>(train_images.rows()), static_cast<long long>(total));

    const auto start = std::chrono::steady_clock::now();

    double avg = 0, avg_kl = 0;
    const int64_t first = trainer.step;
    cli::ProgressBar bar("train vae", total, first);
    while (trainer.step < total) {
        train::VaeStepStats s = train::vae_train_step(trainer, vae, train_images);
        const double k = trainer.step - first < 50 ? 1.0 / double(trainer.step - first) : 0.02;
        avg += k * (s.loss - avg);
        avg_kl += k * (s.kl - avg_kl);
        bar.update(trainer.step, (trainer.step - first) * trainer.options.batch,
                   "epoch " + std::to_string(s.epoch + 1) + " -elbo " + fmt("%.2f", avg) + " kl " +
                       fmt("%.2f", avg_kl));
        if (!checkpoint.empty() && checkpoint_every > 0 && trainer.step % checkpoint_every == 0)
            train::save_vae_checkpoint(checkpoint, trainer, vae, {{"trained_with", trained_with}});
    }
    bar.finish("-elbo " + fmt("%.2f", avg));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!checkpoint.empty())
        train::save_vae_checkpoint(checkpoint, trainer, vae, {{"trained_with", trained_with}});

    const models::VaeLoss f32 = models::vae_evaluate(test_images, vae, kEvalSeed);
    std::map<std::string, std::string> extra = {
        {"trained_with", trained_with},
        {"train_seconds", fmt("%.0f", seconds)},
        {"train_steps", std::to_string(trainer.step)},
        {"metric.test_neg_elbo_nats_f32", fmt("%.3f", f32.loss)},
        {"metric.test_recon_nats_f32", fmt("%.3f", f32.recon)},
        {"metric.test_kl_nats_f32", fmt("%.3f", f32.kl)},
        {"metric.note", "1-sample negative ELBO per test image (10000 MNIST test digits), "
                        "Bernoulli likelihood on the continuous [0,1] intensities, nats"}};
    models::VaeLoss stored = f32;
    if (dtype == "f16") {
        // Round-trip through F16 and measure what the shipped file scores.
        auto bytes = io::serialize_safetensors(vae_params(vae), models::vae_metadata(vae.config, {}),
                                               io::Dtype::F16);
        models::Vae half;
        models::load_vae(half, io::parse_safetensors(std::move(bytes), "f16 round trip"));
        stored = models::vae_evaluate(test_images, half, kEvalSeed);
        vae = std::move(half);
    }
    extra["metric.test_neg_elbo_nats"] = fmt("%.3f", stored.loss);
    extra["metric.test_recon_nats"] = fmt("%.3f", stored.recon);
    extra["metric.test_kl_nats"] = fmt("%.3f", stored.kl);
    extra["dtype"] = dtype == "f16" ? "F16" : "F32";
    io::save_safetensors(out, vae_params(vae), models::vae_metadata(vae.config, extra),
                         dtype == "f16" ? io::Dtype::F16 : io::Dtype::F32);
    std::printf("wrote %s (%s) after %s: test -ELBO %.3f nats (recon %.3f + KL %.3f); F32 %.3f\n",
                out.c_str(), extra["dtype"].c_str(), cli::format_duration(seconds).c_str(),
                stored.loss, stored.recon, stored.kl, f32.loss);
    return 0;
}

int train_vae(const cli::Args& args) { return train_vae_impl(args, 16, 192); }
int train_vae2(const cli::Args& args) { return train_vae_impl(args, 2, 128); }

models::Vae load_vae_file(const std::string& path) {
    models::Vae vae;
    models::load_vae(vae, io::read_safetensors(path));
    return vae;
}

int sample_vae(const cli::Args& args) {
    args.allow_only({"n", "seed", "weights", "out", "mode", "cols", "range", "z"});
    const std::string weights = args.get("weights", "weights/vae16.safetensors");
    models::Vae vae = load_vae_file(weights);
    const std::string mode = args.get("mode", "samples");
    const std::string out = args.get("out", "samples.png");
    const uint64_t seed = static_cast<uint64_t>(args.get_int("seed", 0));
    nn::Matrix images;
    int cols = static_cast<int>(args.get_int("cols", 0, 0, cli::kMaxImages));
    if (args.has("z") && mode != "samples")
        throw std::invalid_argument("--z decodes the given latents; it goes with --mode samples");
    if (mode == "samples") {
        int n = static_cast<int>(args.get_int("n", 64, 1, cli::kMaxImages));
        nn::Matrix z;
        if (args.has("z"))  // explicit latents, raw float32 [N, latent], instead of the seed
            z = cli::read_z_option(args, vae.config.latent, n);
        else
            models::vae_sample_latent(z, n, vae.config.latent, seed);
        models::vae_decode(images, z, vae);
        if (cols <= 0) cols = std::max(1, static_cast<int>(std::ceil(std::sqrt(double(n)))));
    } else if (mode == "reconstructions") {
        // Rows of pairs: test digit, its reconstruction (decoded posterior mean).
        const int n = static_cast<int>(args.get_int("n", 50, 1, cli::kMnistTest));
        nn::Matrix x = load_mnist_images(io::MnistPart::Test, n), mu, logvar, recon;
        models::vae_encode(mu, logvar, x, vae);
        models::vae_decode(recon, mu, vae);
        images.resize(2 * x.rows(), x.cols());
        if (cols <= 0) cols = 10;
        // Alternate a row of originals with a row of their reconstructions.
        int out_row = 0;
        for (int start = 0; start < x.rows(); start += cols) {
            const int k = std::min<int>(cols, static_cast<int>(x.rows()) - start);
            for (int i = 0; i < k; ++i) images.row(out_row + i) = x.row(start + i);
            for (int i = 0; i < k; ++i) images.row(out_row + k + i) = recon.row(start + i);
            out_row += 2 * k;
        }
    } else if (mode == "latent-map") {
        if (vae.config.latent != 2)
            throw std::invalid_argument(weights + ": --mode latent-map needs a 2-D latent, this VAE has " +
                                        std::to_string(vae.config.latent) + " (use weights/vae2.safetensors)");
        const int n = static_cast<int>(args.get_int("n", 20, 2, 200));
        const double range = args.get_double("range", 3.0, 0, 1000);
        nn::Matrix z(n * n, 2);
        // Row r (top to bottom) has z2 from +range to -range; column c has z1 from -range to +range.
        for (int r = 0; r < n; ++r)
            for (int c = 0; c < n; ++c) {
                z(r * n + c, 0) = static_cast<float>(-range + 2 * range * c / std::max(1, n - 1));
                z(r * n + c, 1) = static_cast<float>(range - 2 * range * r / std::max(1, n - 1));
            }
        models::vae_decode(images, z, vae);
        cols = n;
    } else {
        throw std::invalid_argument("--mode " + mode + ": expected samples, reconstructions or latent-map");
    }
    cli::write_digit_images(out, images, cols);
    std::printf("wrote %s (%lld images, %s)\n", out.c_str(), static_cast<long long>(images.rows()),
                mode.c_str());
    return 0;
}

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

int eval_vae(const cli::Args& args) {
    args.allow_only({"weights", "seed", "n", "classifier", "record"});
    const std::string weights = args.get("weights", "weights/vae16.safetensors");
    io::SafetensorsFile file = io::read_safetensors(weights);
    models::Vae vae;
    models::load_vae(vae, file);
    const nn::Matrix test = load_mnist_images(io::MnistPart::Test);
    const models::VaeLoss l =
        models::vae_evaluate(test, vae, static_cast<uint64_t>(args.get_int("seed", kEvalSeed)));
    std::printf("%s: VAE latent %d hidden %d layers %d\n", weights.c_str(), vae.config.latent,
                vae.config.hidden, vae.config.layers);
    std::printf("test negative ELBO %.3f nats/image (reconstruction %.3f + KL %.3f), 1 sample,\n"
                "Bernoulli likelihood on the [0,1] intensities of the %lld MNIST test digits\n",
                l.loss, l.recon, l.kl, static_cast<long long>(test.rows()));
    std::map<std::string, std::string> metrics = {
        {"metric.test_neg_elbo_nats", fmt("%.3f", l.loss)},
        {"metric.test_recon_nats", fmt("%.3f", l.recon)},
        {"metric.test_kl_nats", fmt("%.3f", l.kl)}};

    // Sample quality of prior samples, judged by the shipped digit classifier.
    const std::string classifier_path = args.get("classifier", "weights/classifier.safetensors");
    if (!file_exists(classifier_path)) {
        std::printf("sample quality: skipped, %s not found (train it with `genlab train classifier`)\n",
                    classifier_path.c_str());
    } else {
        models::Classifier judge;
        models::load_classifier(judge, io::read_safetensors(classifier_path));
        const models::FeatureStats reference = models::reference_feature_stats(test, judge);
        const int n = static_cast<int>(args.get_int("n", 10000, 2, cli::kMaxImages));
        const uint64_t seed = static_cast<uint64_t>(args.get_int("seed", 0));
        nn::Matrix z, samples;
        models::vae_sample_latent(z, n, vae.config.latent, seed);
        models::vae_decode(samples, z, vae);  // Bernoulli means, as the app shows them
        const models::DigitSampleQuality q = models::digit_sample_quality(samples, judge, reference);
        std::printf("sample quality of %d decoded N(0, I) samples (seed %llu), judged by %s:\n%s",
                    n, static_cast<unsigned long long>(seed), classifier_path.c_str(),
                    models::format_digit_sample_quality(q).c_str());
        metrics["metric.samples_classifier_fid"] = fmt("%.3f", q.fid);
        metrics["metric.samples_confident_fraction"] = fmt("%.4f", q.confident_fraction);
        metrics["metric.samples_mean_confidence"] = fmt("%.4f", q.mean_confidence);
        std::string hist;
        for (double f : q.class_fraction) hist += (hist.empty() ? "" : ",") + fmt("%.4f", f);
        metrics["metric.samples_class_fraction"] = hist;
        metrics["metric.samples_note"] = std::to_string(n) + " samples, seed " + std::to_string(seed) +
                                         ", sigmoid means; reference = MNIST test set";
    }
    if (args.has("record")) {
        // Rewrite the weights file with the metrics added, in its own dtype (F16 -> F32 -> F16
        // is exact, so the weights do not change).
        bool f16 = false;
        for (const io::TensorInfo& t : file.tensors) f16 = f16 || t.dtype == "F16";
        std::map<std::string, std::string> meta = file.metadata;
        for (const auto& [k, v] : metrics) meta[k] = v;
        io::save_safetensors(weights, vae_params(vae), meta, f16 ? io::Dtype::F16 : io::Dtype::F32);
        std::printf("recorded the metrics in %s\n", weights.c_str());
    }
    return 0;
}

const bool registered_train = cli::register_command(
    "train", "vae", "train the 16-D-latent MNIST VAE (--latent N to change)", train_vae);
const bool registered_train2 = cli::register_command(
    "train", "vae2", "train the 2-D-latent MNIST VAE (for the latent map)", train_vae2);
const bool registered_sample = cli::register_command(
    "sample", "vae", "decode prior samples (--seed or --z FILE), reconstructions or a latent map to PNG/PGM/.bin/.f32",
    sample_vae);
const bool registered_eval = cli::register_command(
    "eval", "vae", "test-set negative ELBO (nats) and sample quality (classifier-FID) of a VAE", eval_vae);

}  // namespace
