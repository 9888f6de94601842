#include "train/classifier_trainer.h"

#include "train/epoch_order.h"

#include "nn/losses.h"
#include "train/checkpoint.h"

#include <algorithm>
#include <stdexcept>

namespace train {

using models::kImageSide;
using models::kImagePixels;

void classifier_trainer_init(ClassifierTrainer& t, const ClassifierTrainConfig& config) {
    if (config.batch < 1) throw std::invalid_argument("classifier trainer: batch must be >= 1");
    t = ClassifierTrainer{};
    t.config = config;
    t.opt.lr = config.lr;
}

void shift_image(float* out, const float* in, int dx, int dy) {
    for (int y = 0; y < kImageSide; ++y) {
        const int sy = y - dy;
        for (int x = 0; x < kImageSide; ++x) {
            const int sx = x - dx;
            out[y * kImageSide + x] = (sy >= 0 && sy < kImageSide && sx >= 0 && sx < kImageSide)
                                          ? in[sy * kImageSide + sx]
                                          : 0.0f;
        }
    }
}

ClassifierStepStats classifier_train_step(ClassifierTrainer& t, models::Classifier& model,
                                          const nn::Matrix& images,
                                          const std::vector<int>& labels) {
    const int n = static_cast<int>(images.rows());
    if (n == 0 || images.cols() != kImagePixels || static_cast<int>(labels.size()) != n)
        throw std::invalid_argument("classifier_train_step: expected images [N, 784] and N labels, "
                                    "got [" + std::to_string(images.rows()) + ", " +
                                    std::to_string(images.cols()) + "] and " +
                                    std::to_string(labels.size()) + " labels");
    const int batch = std::min(t.config.batch, n);
    ensure_batch_available(t.order, t.cursor, t.epoch, t.config.seed, n, batch);

    nn::Rng aug(t.config.seed ^ 0x5eedULL, 7 + static_cast<uint64_t>(t.step));
    t.batch.resize(batch, kImagePixels);
    t.batch_labels.resize(static_cast<size_t>(batch));
    const int span = 2 * t.config.max_shift + 1;
    for (int b = 0; b < batch; ++b) {
        const int index = t.order[static_cast<size_t>(t.cursor + b)];
        t.batch_labels[static_cast<size_t>(b)] = labels[static_cast<size_t>(index)];
        if (t.config.max_shift > 0) {
            const int dx = static_cast<int>(aug.below(static_cast<uint32_t>(span))) - t.config.max_shift;
            const int dy = static_cast<int>(aug.below(static_cast<uint32_t>(span))) - t.config.max_shift;
            shift_image(t.batch.row(b).data(), images.row(index).data(), dx, dy);
        } else {
            t.batch.row(b) = images.row(index);
        }
    }
    t.cursor += batch;

    nn::ParamList params = models::classifier_params(model);
    nn::zero_grad(params);
    models::classifier_forward_train(t.acts, t.batch, model);
    ClassifierStepStats stats;
    stats.loss = nn::softmax_cross_entropy(t.acts.logits, t.batch_labels, 1.0f / batch, &t.dlogits);
    int correct = 0;
    for (int b = 0; b < batch; ++b) {
        Eigen::Index best = 0;
        t.acts.logits.row(b).maxCoeff(&best);
        correct += best == t.batch_labels[static_cast<size_t>(b)];
    }
    models::classifier_backward(t.dlogits, t.batch, t.acts, model);
    nn::adam_step(t.opt, params);
    ++t.step;
    stats.accuracy = float(correct) / float(batch);
    stats.batch = batch;
    stats.step = t.step;
    stats.epoch = t.epoch;
    return stats;
}

// The classifier trainer's settings in a checkpoint (one list for saving and loading).
static TrainerSettings classifier_settings(ClassifierTrainConfig& c) {
    TrainerSettings s = common_settings(c);
    s.count("trainer.max_shift", c.max_shift, 0, 27);
    return s;
}

void classifier_save_checkpoint(const std::string& path, const ClassifierTrainer& t,
                                models::Classifier& model,
                                std::map<std::string, std::string> meta) {
    for (const auto& [k, v] : models::classifier_metadata(model.config)) meta[k] = v;
    ClassifierTrainConfig config = t.config;
    CheckpointWriter out(std::move(meta), t.step, classifier_settings(config));
    out.set_epoch_position(t.epoch, t.cursor);
    out.add_model(models::classifier_params(model), t.opt, "optim");
    out.save(path);
}

void classifier_load_checkpoint(const std::string& path, ClassifierTrainer& t,
                                models::Classifier& model) {
    const CheckpointReader in(path, "classifier");
    models::classifier_init(model, models::classifier_config_from_metadata(in.metadata(), path), 0);
    ClassifierTrainConfig config = t.config;
    classifier_settings(config).read(in);
    classifier_trainer_init(t, config);
    t.step = in.step();
    in.read_epoch_position(t.epoch, t.cursor);
    // t.order stays empty: the next step rebuilds this epoch's permutation (it needs N).
    in.load_model(models::classifier_params(model), t.opt, "optim");
}

}  // namespace train
