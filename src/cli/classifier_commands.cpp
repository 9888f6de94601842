// `genlab train classifier` and `genlab eval classifier`.
#include "cli/cli.h"
#include "cli/digits_cli_util.h"
#include "io/safetensors.h"
#include "models/classifier.h"
#include "train/classifier_trainer.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace {

constexpr const char* kDefaultWeights = "weights/classifier.safetensors";

int train_classifier(const cli::Args& args) {
    args.allow_only({"epochs", "seed", "out", "batch", "lr", "checkpoint", "resume", "limit",
                     "checkpoint-every", "f32"});
    const int epochs = static_cast<int>(args.get_int("epochs", 8, 0, cli::kMaxSteps));  // the shipped recipe
    const std::string out = args.get("out", kDefaultWeights);
    const std::string checkpoint = args.get("checkpoint", "");
    const int64_t checkpoint_every = args.get_int("checkpoint-every", 500, 1, cli::kMaxSteps);
    const bool f32 = args.has("f32");

    std::vector<int> train_labels, test_labels;
    nn::Matrix train_images = cli::load_mnist_matrix(true, train_labels, args.get_int("limit", 0, 0, cli::kMnistTrain));
    nn::Matrix test_images = cli::load_mnist_matrix(false, test_labels);

    models::Classifier model;
    train::ClassifierTrainer trainer;
    if (args.has("resume")) {
        train::classifier_load_checkpoint(args.get("resume", ""), trainer, model);
        std::fprintf(stderr, "resumed from %s at step %lld\n", args.get("resume", "").c_str(),
                     static_cast<long long>(trainer.step));
    } else {
        train::ClassifierTrainConfig config;
        config.seed = static_cast<uint64_t>(args.get_int("seed", 1));
        config.batch = static_cast<int>(args.get_int("batch", 64, 1, cli::kMaxWidth));
        config.lr = static_cast<float>(args.get_double("lr", 1e-3, 0, 10));
        models::classifier_init(model, models::ClassifierConfig{}, config.seed);
        train::classifier_trainer_init(trainer, config);
    }
    const int64_t steps_per_epoch = train_images.rows() / std::min<int64_t>(trainer.config.batch, train_images.rows());
    const int64_t total = steps_per_epoch * epochs;
    const std::string command = cli::training_command(args);

    std::printf("classifier: %lld params, %lld training images, %lld steps of batch %d\n",
                static_cast<long long>(models::classifier_params(model).numel(true)),
                static_cast<long long>(train_images.rows()), static_cast<long long>(total),
                trainer.config.batch);
    const auto start = std::chrono::steady_clock::now();
    const int64_t first_step = trainer.step;
    cli::ProgressBar bar("train classifier", total, first_step);
    double loss_avg = 0, acc_avg = 0;
    while (trainer.step < total) {
        train::ClassifierStepStats s =
            train::classifier_train_step(trainer, model, train_images, train_labels);
        loss_avg = trainer.step == first_step + 1 ? s.loss : 0.98 * loss_avg + 0.02 * s.loss;
        acc_avg = trainer.step == first_step + 1 ? s.accuracy : 0.98 * acc_avg + 0.02 * s.accuracy;
        char stats[96];
        std::snprintf(stats, sizeof stats, "loss %.4f acc %.3f epoch %lld", loss_avg, acc_avg,
                      static_cast<long long>(s.epoch));
        bar.update(trainer.step, (trainer.step - first_step) * s.batch, stats);
        if (!checkpoint.empty() && trainer.step % checkpoint_every == 0)
            train::classifier_save_checkpoint(checkpoint, trainer, model, {{"trained_with", command}});
    }
    bar.finish("loss " + std::to_string(loss_avg));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!checkpoint.empty())
        train::classifier_save_checkpoint(checkpoint, trainer, model, {{"trained_with", command}});

    const double acc32 = models::classifier_accuracy(test_images, test_labels, model);
    nn::ParamList params = models::classifier_params(model);
    std::map<std::string, std::string> meta = models::classifier_metadata(model.config);
    meta["trained_with"] = command;
    meta["train_seconds"] = std::to_string(static_cast<int>(seconds));
    meta["train_steps"] = std::to_string(trainer.step);
    meta["metric.test_accuracy_f32"] = std::to_string(acc32);
    double shipped = acc32;
    if (!f32) {
        cli::round_params_to_f16(params);
        shipped = models::classifier_accuracy(test_images, test_labels, model);
        meta["metric.test_accuracy_f16"] = std::to_string(shipped);
    }
    meta["metric.test_accuracy"] = std::to_string(shipped);
    io::save_safetensors(out, params, meta, f32 ? io::Dtype::F32 : io::Dtype::F16);
    std::printf("test accuracy: %.4f (F32 %.4f)  wall %s  -> %s\n", shipped, acc32,
                cli::format_duration(seconds).c_str(), out.c_str());
    return 0;
}

int eval_classifier(const cli::Args& args) {
    args.allow_only({"weights", "n"});
    const std::string path = args.get("weights", kDefaultWeights);
    cli::require_file(path, "--weights", "genlab train classifier");
    models::Classifier model;
    models::load_classifier(model, io::read_safetensors(path));
    std::vector<int> labels;
    nn::Matrix images = cli::load_mnist_matrix(false, labels, args.get_int("n", 0, 0, cli::kMnistTest));
    const double acc = models::classifier_accuracy(images, labels, model);
    std::printf("classifier %s: MNIST test accuracy %.4f on %lld images\n", path.c_str(), acc,
                static_cast<long long>(images.rows()));
    return 0;
}

const bool registered_train = cli::register_command(
    "train", "classifier", "train the digit classifier (judge for eval) on MNIST", train_classifier);
const bool registered_eval = cli::register_command(
    "eval", "classifier", "MNIST test accuracy of the digit classifier", eval_classifier);

}  // namespace
