// Step-based training of the digit classifier: one call = one Adam step on one mini-batch,
// so the CLI loops it under a progress bar and the browser calls it in time slices.
// Loss: softmax cross-entropy (mean over the batch). Augmentation: each training image is
// shifted by a random (dx, dy) in [-max_shift, max_shift]^2 pixels, zero fill.
#pragma once

#include "models/classifier.h"
#include "nn/optim.h"
#include "nn/rng.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace train {

struct ClassifierTrainConfig {
    int batch = 64;
    float lr = 1e-3f;
    int max_shift = 2;  // 0 disables augmentation
    uint64_t seed = 1;  // data order and augmentation
};

struct ClassifierTrainer {
    ClassifierTrainConfig config;
    nn::Adam opt;
    int64_t step = 0;        // optimiser steps taken
    int64_t epoch = 0;       // passes over the data started
    int cursor = 0;          // next position in `order`
    std::vector<int> order;  // this epoch's permutation of the dataset
    models::ClassifierActs acts;
    nn::Matrix batch, dlogits;
    std::vector<int> batch_labels;
};

struct ClassifierStepStats {
    float loss = 0;      // mean cross-entropy of the batch (before the step)
    float accuracy = 0;  // batch accuracy (before the step)
    int batch = 0;
    int64_t step = 0, epoch = 0;
};

void classifier_trainer_init(ClassifierTrainer& trainer, const ClassifierTrainConfig& config);
// images [N, 784] in [0, 1], labels [N] in 0..9 (the whole training set; the trainer walks it in
// shuffled mini-batches, reshuffling each epoch deterministically from the seed).
ClassifierStepStats classifier_train_step(ClassifierTrainer& trainer, models::Classifier& model,
                                          const nn::Matrix& images,
                                          const std::vector<int>& labels);

// Shifts a 28x28 image by (dx, dy) pixels (content moves right/down for positive), zero fill.
void shift_image(float* out, const float* in, int dx, int dy);

// Checkpoint = model params + Adam moments + trainer position (metadata "trainer.*").
void classifier_save_checkpoint(const std::string& path, const ClassifierTrainer& trainer,
                                models::Classifier& model,
                                std::map<std::string, std::string> extra_metadata);
// Initialises model and trainer from a checkpoint (config from its metadata).
void classifier_load_checkpoint(const std::string& path, ClassifierTrainer& trainer,
                                models::Classifier& model);

}  // namespace train
