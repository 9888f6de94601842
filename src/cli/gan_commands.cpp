// `genlab train|sample|eval gan|cgan` and `genlab eval mnist` (the real-data floor).
#include "cli/cli.h"
#include "cli/digits_cli_util.h"
#include "cli/raw_f32.h"
#include "io/image_write.h"
#include "io/safetensors.h"
#include "models/classifier.h"
#include "models/gan.h"
#include "models/metadata_fields.h"
#include "models/metrics.h"
#include "models/vae.h"
#include "train/gan_trainer.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace {

constexpr const char* kClassifierWeights = "weights/classifier.safetensors";
// Training's defaults: the discriminator's passes in 2 shards (train/gan_trainer.h) on 2 threads,
// what measured fastest on the 2-core machine (weights/README.md). The shards fix the numbers;
// the threads only how fast they come (any --threads gives the same file).
constexpr int kTrainShards = 2, kTrainThreads = 2;

std::string default_weights(const std::string& model) { return "weights/" + model + ".safetensors"; }

bool file_exists(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f) std::fclose(f);
    return f != nullptr;
}

// Labels for n cGAN samples: all `label` when given (>= 0), else 0,1,...,9,0,1,... so a grid
// with 10 columns shows one digit per column and 10,000 samples are exactly balanced.
std::vector<int> sample_labels(const models::Gan& gan, int n, int label) {
    std::vector<int> labels;
    if (gan.config.classes == 0) return labels;
    for (int i = 0; i < n; ++i) labels.push_back(label >= 0 ? label : i % gan.config.classes);
    return labels;
}

struct Judge {
    models::Classifier classifier;
    models::FeatureStats reference;  // MNIST test set features
};

void load_judge(Judge& judge, const std::string& path) {
    cli::require_file(path, "--classifier", "genlab train classifier");
    models::load_classifier(judge.classifier, io::read_safetensors(path));
    std::vector<int> labels;
    nn::Matrix test = cli::load_mnist_matrix(false, labels);
    judge.reference = models::reference_feature_stats(test, judge.classifier, /*keep_features=*/true);
}

// The same numbers for n real MNIST training images (with their true labels as "requested"
// labels, so label accuracy = the judge's accuracy on them): what a perfect generator scores.
models::DigitSampleQuality mnist_floor(Judge& judge, int64_t n) {
    std::vector<int> labels;
    nn::Matrix train = cli::load_mnist_matrix(true, labels, n);
    return models::digit_sample_quality(train, judge.classifier, judge.reference, labels);
}

models::DigitSampleQuality generator_quality(models::Gan& gan, Judge& judge, int n, uint64_t seed) {
    nn::Matrix z, images;
    models::gan_sample_latent(z, n, gan.config.latent, seed);
    std::vector<int> labels = sample_labels(gan, n, -1);
    models::gan_generate(images, z, labels, gan);
    return models::digit_sample_quality(images, judge.classifier, judge.reference, labels);
}

void put_quality(std::map<std::string, std::string>& meta, const std::string& suffix,
                 const models::DigitSampleQuality& q) {
    meta["metric.classifier_fid" + suffix] = std::to_string(q.fid);
    meta["metric.confident_fraction" + suffix] = std::to_string(q.confident_fraction);
    double lo = 1, hi = 0;
    for (double f : q.class_fraction) lo = std::min(lo, f), hi = std::max(hi, f);
    meta["metric.class_fraction_min" + suffix] = std::to_string(lo);
    meta["metric.class_fraction_max" + suffix] = std::to_string(hi);
    if (q.label_accuracy >= 0) meta["metric.label_accuracy" + suffix] = std::to_string(q.label_accuracy);
    if (q.pr.precision >= 0) {
        meta["metric.precision" + suffix] = std::to_string(q.pr.precision);
        meta["metric.recall" + suffix] = std::to_string(q.pr.recall);
    }
}

int train_gan(const cli::Args& args) {
    args.allow_only({"epochs", "steps", "seed", "out", "batch", "lr", "checkpoint", "resume",
                     "limit", "checkpoint-every", "latent", "channels", "d-channels", "f32",
                     "real-label", "classifier", "ema", "pack", "feature-matching", "feature-matching-1",
                     "latent-matching", "latent-matching-vae", "class-weights", "threads",
                     "lr-d", "beta1", "beta2", "loss", "r1", "r1-every", "spectral-norm",
                     "minibatch-std", "shards"});
    const int threads = cli::use_threads(args, kTrainThreads);
    const bool conditional = args.model == "cgan";
    const std::string out = args.get("out", default_weights(args.model));
    const std::string checkpoint = args.get("checkpoint", "");
    const int64_t checkpoint_every = args.get_int("checkpoint-every", 500, 1, cli::kMaxSteps);
    const bool f32 = args.has("f32");
    std::vector<int> labels;
    nn::Matrix images = cli::load_mnist_matrix(true, labels, args.get_int("limit", 0, 0, cli::kMnistTrain));

    models::Gan gan;
    train::GanTrainer trainer;
    if (args.has("resume")) {
        train::gan_load_checkpoint(args.get("resume", ""), trainer, gan);
        if ((gan.config.classes > 0) != conditional)
            throw std::runtime_error(args.get("resume", "") + " is a checkpoint of a " +
                                     (conditional ? "gan" : "cgan") + ", not of a " + args.model);
        std::fprintf(stderr, "resumed from %s at step %lld\n", args.get("resume", "").c_str(),
                     static_cast<long long>(trainer.step));
    } else {
        models::GanConfig config;
        config.classes = conditional ? 10 : 0;
        config.latent = static_cast<int>(args.get_int("latent", config.latent, 1, cli::kMaxWidth));
        config.channels = static_cast<int>(args.get_int("channels", config.channels, 1, cli::kMaxWidth));
        config.d_channels = static_cast<int>(args.get_int("d-channels", config.d_channels, 1, cli::kMaxWidth));
        config.d_pack = static_cast<int>(args.get_int("pack", config.d_pack, 1, 64));
        config.d_spectral_norm = args.has("spectral-norm");
        config.d_minibatch_std = args.has("minibatch-std");
        train::GanTrainConfig tc;
        tc.seed = static_cast<uint64_t>(args.get_int("seed", 1));
        tc.batch = static_cast<int>(args.get_int("batch", tc.batch, 1, cli::kMaxWidth));
        tc.lr = static_cast<float>(args.get_double("lr", tc.lr, 0, 10));
        tc.lr_d = static_cast<float>(args.get_double("lr-d", tc.lr_d, 0, 10));
        tc.beta1 = static_cast<float>(args.get_double("beta1", tc.beta1, 0, 0.9999));
        tc.beta2 = static_cast<float>(args.get_double("beta2", tc.beta2, 0, 0.9999));
        tc.loss = train::parse_gan_loss(args.get("loss", "bce"));
        tc.r1 = static_cast<float>(args.get_double("r1", 0, 0, 1e4));
        tc.r1_every = static_cast<int>(args.get_int("r1-every", 1, 1, 1000));
        tc.shards = static_cast<int>(args.get_int("shards", kTrainShards, 1, 64));
        tc.real_label = static_cast<float>(args.get_double("real-label", tc.real_label, 0, 1));
        tc.ema_decay = static_cast<float>(args.get_double("ema", 0.999));
        models::gan_init(gan, config, tc.seed);
        train::gan_trainer_init(trainer, tc);
        if (tc.r1 > 0 && (config.d_minibatch_std || config.d_pack != 1))
            throw std::invalid_argument("--r1 does not work with --minibatch-std or --pack > 1");
    }
    for (const char* flag : {"lr-d", "beta1", "beta2", "loss", "r1", "r1-every", "spectral-norm",
                             "minibatch-std", "lr", "batch", "latent", "channels", "d-channels", "pack", "shards"})
        if (args.has("resume") && args.has(flag))
            throw std::invalid_argument(std::string("--") + flag + " is fixed by the checkpoint; a "
                                        "--resume run continues with what it was trained with");
    // New runs and resumes alike: given G-step weights replace the defaults (0 = off) or what the
    // checkpoint had; --ema on a resume switches the average on (or changes its decay).
    if (args.has("ema")) trainer.config.ema_decay = static_cast<float>(args.get_double("ema", 0));
    for (auto [flag, weight] : {std::pair<const char*, float*>{"feature-matching", &trainer.config.feature_matching},
                                {"feature-matching-1", &trainer.config.feature_matching_1},
                                {"latent-matching", &trainer.config.latent_matching}}) {
        if (args.has(flag)) *weight = static_cast<float>(args.get_double(flag, 0, 0, 1000));
    }
    if (args.has("class-weights")) {  // new runs and resumes: replaces the checkpoint's
        std::vector<float> weights =
            models::meta::parse_float_list(args.get("class-weights", ""), "--class-weights");
        if (conditional) throw std::invalid_argument("--class-weights is for the unconditional gan "
                                                     "(a cgan is told the class)");
        if (weights.size() != 10)
            throw std::invalid_argument("--class-weights needs 10 weights (digits 0..9), got " +
                                        std::to_string(weights.size()));
        for (float w : weights)
            if (!(w > 0 && w <= 100))
                throw std::invalid_argument("--class-weights must each be in (0, 100], got " +
                                            args.get("class-weights", ""));
        if (gan.config.d_pack != 1)
            throw std::invalid_argument("--class-weights does not work with --pack > 1");
        trainer.config.class_weights = weights;
    }
    const std::string latent_vae = args.get("latent-matching-vae", "weights/vae16.safetensors");
    if (trainer.config.latent_matching > 0) {
        // The frozen encoder and its target, the mean latent of the training images.
        cli::require_file(latent_vae, "--latent-matching-vae", "genlab train vae");
        models::Vae encoder;
        models::load_vae(encoder, io::read_safetensors(latent_vae));
        train::gan_trainer_set_latent_encoder(trainer, encoder, images);
    } else if (args.has("latent-matching-vae")) {
        throw std::invalid_argument("--latent-matching-vae needs --latent-matching L > 0");
    }
    if (!(trainer.config.ema_decay >= 0 && trainer.config.ema_decay < 1))
        throw std::invalid_argument("--ema must be in [0, 1) (0 = off), got " + args.get("ema", ""));
    const int64_t steps_per_epoch =
        images.rows() / std::min<int64_t>(trainer.config.batch, images.rows());
    const int64_t total = args.has("steps")
                              ? args.get_int("steps", 0, 0, cli::kMaxSteps)
                              : steps_per_epoch * args.get_int("epochs", conditional ? 5 : 10, 0, 100'000);
    const std::string command = cli::training_command(args);
    std::printf("%s: generator %lld params, discriminator %lld params, %lld images, %lld steps "
                "of batch %d, %d thread%s\n",
                args.model.c_str(),
                static_cast<long long>(models::gan_generator_params(gan).numel(true)),
                static_cast<long long>(models::gan_discriminator_params(gan).numel(true)),
                static_cast<long long>(images.rows()), static_cast<long long>(total),
                trainer.config.batch, threads, threads == 1 ? "" : "s");

    const auto start = std::chrono::steady_clock::now();
    const int64_t first_step = trainer.step;
    cli::ProgressBar bar("train " + args.model, total, first_step);
    train::GanStepStats avg;
    while (trainer.step < total) {
        train::GanStepStats s = train::gan_train_step(trainer, gan, images, labels);
        const float k = trainer.step == first_step + 1 ? 1.0f : 0.02f;
        avg.d_loss += k * (s.d_loss - avg.d_loss);
        avg.g_loss += k * (s.g_loss - avg.g_loss);
        avg.d_real += k * (s.d_real - avg.d_real);
        avg.d_fake += k * (s.d_fake - avg.d_fake);
        avg.fm_loss += k * (s.fm_loss - avg.fm_loss);
        avg.lm_loss += k * (s.lm_loss - avg.lm_loss);
        char stats[192], fm[32] = "", lm[32] = "";
        if (trainer.config.feature_matching > 0 || trainer.config.feature_matching_1 > 0)
            std::snprintf(fm, sizeof fm, " FM %.4f", avg.fm_loss);
        if (trainer.config.latent_matching > 0) std::snprintf(lm, sizeof lm, " LM %.4f", avg.lm_loss);
        std::snprintf(stats, sizeof stats, "D %.3f G %.3f D(x) %.2f D(G(z)) %.2f%s%s epoch %lld",
                      avg.d_loss, avg.g_loss, avg.d_real, avg.d_fake, fm, lm,
                      static_cast<long long>(s.epoch));
        bar.update(trainer.step, (trainer.step - first_step) * s.batch, stats);
        if (!checkpoint.empty() && trainer.step % checkpoint_every == 0)
            train::gan_save_checkpoint(checkpoint, trainer, gan, {{"trained_with", command}});
    }
    char final_stats[128];
    std::snprintf(final_stats, sizeof final_stats, "D %.3f G %.3f D(x) %.2f D(G(z)) %.2f",
                  avg.d_loss, avg.g_loss, avg.d_real, avg.d_fake);
    bar.finish(final_stats);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!checkpoint.empty())
        train::gan_save_checkpoint(checkpoint, trainer, gan, {{"trained_with", command}});

    std::map<std::string, std::string> meta = models::gan_metadata(gan.config);
    meta["trained_with"] = command;
    if (trainer.config.latent_matching > 0) meta["latent_matching_vae"] = latent_vae;
    if (!trainer.config.class_weights.empty()) {
        std::string list;
        for (float w : trainer.config.class_weights) {
            char item[32];
            std::snprintf(item, sizeof item, "%s%g", list.empty() ? "" : ",", w);
            list += item;
        }
        meta["class_weights"] = list;
    }
    meta["train_seconds"] = std::to_string(static_cast<int>(seconds));
    meta["train_steps"] = std::to_string(trainer.step);
    meta["train_threads"] = std::to_string(threads);  // bit-for-bit repeatable for this count
#ifdef GENLAB_BUILD_FLAGS
    meta["train_build"] = GENLAB_BUILD_FLAGS;  // e.g. "-O2 -DNDEBUG" (the default build)
#endif
    nn::ParamList g_params = models::gan_generator_params(gan);
    const std::string judge_path = args.get("classifier", kClassifierWeights);
    const bool have_judge = file_exists(judge_path);
    Judge judge;
    if (have_judge) load_judge(judge, judge_path);
    if (!trainer.ema.empty()) {
        // What the EMA bought: the raw generator's numbers go into the metadata too.
        if (have_judge) {
            models::DigitSampleQuality raw = generator_quality(gan, judge, 10000, 1);
            put_quality(meta, "_raw_f32", raw);
            std::printf("raw generator (no EMA), F32:\n%s", models::format_digit_sample_quality(raw).c_str());
        }
        train::gan_apply_ema(trainer, gan);
        char decay[32];
        std::snprintf(decay, sizeof decay, "%g", trainer.config.ema_decay);
        meta["ema_decay"] = decay;
    }
    if (have_judge) {
        // Metrics on 10,000 samples, seed 1, for the F32 weights and the shipped F16 ones.
        models::DigitSampleQuality q32 = generator_quality(gan, judge, 10000, 1);
        put_quality(meta, "_f32", q32);
        std::printf("F32 weights:\n%s", models::format_digit_sample_quality(q32).c_str());
        if (!f32) {
            cli::round_params_to_f16(g_params);
            models::DigitSampleQuality q16 = generator_quality(gan, judge, 10000, 1);
            put_quality(meta, "", q16);
            std::printf("F16 weights (shipped):\n%s", models::format_digit_sample_quality(q16).c_str());
        } else {
            put_quality(meta, "", q32);
        }
    } else {
        std::printf("(no %s: metrics skipped; train the classifier first to record them)\n",
                    judge_path.c_str());
        if (!f32) cli::round_params_to_f16(g_params);
    }
    io::save_safetensors(out, g_params, meta, f32 ? io::Dtype::F32 : io::Dtype::F16);
    std::printf("wall %s -> %s\n", cli::format_duration(seconds).c_str(), out.c_str());
    return 0;
}

void load_generator_weights(models::Gan& gan, const cli::Args& args) {
    const std::string path = args.get("weights", default_weights(args.model));
    cli::require_file(path, "--weights", "genlab train " + args.model);
    models::load_gan_generator(gan, io::read_safetensors(path));
    if ((gan.config.classes > 0) != (args.model == "cgan"))
        throw std::runtime_error(path + " holds a " + (gan.config.classes > 0 ? "cgan" : "gan") +
                                 " generator; use `genlab " + args.verb + " " +
                                 (gan.config.classes > 0 ? "cgan" : "gan") + "`");
}

int sample_gan(const cli::Args& args) {
    args.allow_only({"n", "seed", "label", "weights", "out", "cols", "z"});
    int n = static_cast<int>(args.get_int("n", 64, 1, cli::kMaxImages));
    const uint64_t seed = static_cast<uint64_t>(args.get_int("seed", 1));
    const int label = static_cast<int>(args.get_int("label", -1, -1, 9));
    const std::string out = args.get("out", "");
    if (out.empty()) throw std::invalid_argument("--out FILE.png|FILE.pgm|FILE.bin|FILE.f32 is required");
    models::Gan gan;
    load_generator_weights(gan, args);
    if (args.has("label") && gan.config.classes == 0)
        throw std::invalid_argument("--label needs a class-conditional model (genlab sample cgan)");
    if (label < -1 || label >= std::max(gan.config.classes, 1) || (args.has("label") && label < 0))
        throw std::invalid_argument("--label must be a digit 0..9, got " + args.get("label", ""));
    nn::Matrix z, images;
    if (args.has("z"))  // explicit latents, raw float32 [N, latent], instead of the seed
        z = cli::read_z_option(args, gan.config.latent, n);
    else
        models::gan_sample_latent(z, n, gan.config.latent, seed);
    const int cols = static_cast<int>(args.get_int("cols", std::min(n, 10), 1, cli::kMaxImages));
    models::gan_generate(images, z, sample_labels(gan, n, label), gan);
    std::vector<uint8_t> bytes = io::floats_to_u8(images);
    auto ends_with = [&](const char* ext) {
        const std::string e(ext);
        return out.size() >= e.size() && out.compare(out.size() - e.size(), e.size(), e) == 0;
    };
    if (cli::is_raw_f32_path(out)) {  // float32 [N, 784] in [0, 1], unrounded
        cli::write_raw_f32(out, images);
    } else if (ends_with(".bin")) {
        io::write_raw_bin(out, bytes);
    } else if (ends_with(".png") || ends_with(".pgm")) {
        io::GrayImage grid = io::make_grid(bytes, n, 28, 28, cols, 2, 0);
        if (ends_with(".png"))
            io::write_png(out, grid);
        else
            io::write_pgm(out, grid);
    } else {
        throw std::invalid_argument("--out must end in .png, .pgm, .bin or .f32, got " + out);
    }
    const std::string from = args.has("z") ? "z from " + args.get("z", "") : "seed " + std::to_string(seed);
    std::printf("wrote %d samples (%s%s) to %s\n", n, from.c_str(),
                label >= 0 ? (", label " + std::to_string(label)).c_str() : "", out.c_str());
    return 0;
}

int eval_gan(const cli::Args& args) {
    args.allow_only({"n", "seed", "weights", "classifier", "no-floor", "record", "threads"});
    cli::use_threads(args, 1);
    const int n = static_cast<int>(args.get_int("n", 10000, 6, cli::kMaxImages));
    const uint64_t seed = static_cast<uint64_t>(args.get_int("seed", 1));
    const std::string weights = args.get("weights", default_weights(args.model));
    // The shipped numbers are 10,000 samples of seed 1; anything else would mislabel them.
    if (args.has("record") && (n != 10000 || seed != 1))
        throw std::invalid_argument("--record stores the metrics of --n 10000 --seed 1 only");
    models::Gan gan;
    load_generator_weights(gan, args);
    Judge judge;
    load_judge(judge, args.get("classifier", kClassifierWeights));
    models::DigitSampleQuality q = generator_quality(gan, judge, n, seed);
    models::DigitSampleQuality floor;
    if (!args.has("no-floor")) floor = mnist_floor(judge, std::min<int64_t>(n, cli::kMnistTrain));
    std::printf("%s %s vs MNIST test features (%d samples, seed %llu):\n%s", args.model.c_str(),
                weights.c_str(), n, static_cast<unsigned long long>(seed),
                models::format_digit_sample_quality(q, args.has("no-floor") ? nullptr : &floor).c_str());
    if (args.has("record")) {
        io::SafetensorsFile file = io::read_safetensors(weights);
        bool f16 = false;
        for (const io::TensorInfo& t : file.tensors) f16 = f16 || t.dtype == "F16";
        std::map<std::string, std::string> meta = file.metadata;
        put_quality(meta, "", q);
        // F16 -> F32 -> F16 is exact, so rewriting the file does not change the weights.
        io::save_safetensors(weights, models::gan_generator_params(gan), meta,
                             f16 ? io::Dtype::F16 : io::Dtype::F32);
        std::printf("recorded the metrics in %s\n", weights.c_str());
    }
    return 0;
}

int eval_mnist(const cli::Args& args) {
    args.allow_only({"n", "classifier", "threads"});
    cli::use_threads(args, 1);
    Judge judge;
    load_judge(judge, args.get("classifier", kClassifierWeights));
    models::DigitSampleQuality q = mnist_floor(judge, args.get_int("n", 10000, 6, cli::kMnistTrain));
    std::printf("MNIST training images (the floor) vs MNIST test features:\n%s",
                models::format_digit_sample_quality(q).c_str());
    return 0;
}

const bool r1 = cli::register_command("train", "gan", "train the DCGAN on MNIST", train_gan);
const bool r2 = cli::register_command("train", "cgan", "train the class-conditional DCGAN", train_gan);
const bool r3 = cli::register_command("sample", "gan", "digits from the GAN (--n --seed | --z FILE, --out .png|.pgm|.bin|.f32)", sample_gan);
const bool r4 = cli::register_command("sample", "cgan", "digits from the cGAN (--label D for one digit)", sample_gan);
const bool r5 = cli::register_command("eval", "gan", "classifier-FID, confidence, class histogram, precision/recall, beside the MNIST floor", eval_gan);
const bool r6 = cli::register_command("eval", "cgan", "as eval gan, plus label accuracy", eval_gan);
const bool r7 = cli::register_command("eval", "mnist", "the same numbers for real MNIST images (floor)", eval_mnist);

}  // namespace
