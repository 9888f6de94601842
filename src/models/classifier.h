// A small CNN that recognises MNIST digits. It is GenLab's judge: `genlab eval` uses its
// predictions (label histogram, confidence) and its penultimate features (classifier-FID) to
// score the samples of every generative model (see models/metrics.h).
//
// Architecture (B = batch; images [B, 784] in [0, 1], 0 = background, 1 = ink):
//   conv1  Conv2d(1 -> c1, k5, s2, p2)   28x28 -> 14x14, ReLU     [B, c1*196]
//   conv2  Conv2d(c1 -> c2, k5, s2, p2)  14x14 -> 7x7,   ReLU     [B, c2*49]
//   fc1    Linear(c2*49 -> hidden),      ReLU  = the features     [B, hidden]
//   fc2    Linear(hidden -> 10)          logits                   [B, 10]
// Tensor names follow a PyTorch nn.Module with these attribute names ("conv1.weight", ...).
#pragma once

#include "nn/conv.h"
#include "nn/layers.h"
#include "nn/tensor.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace io {
struct SafetensorsFile;
}

namespace models {

constexpr int kDigitClasses = 10;
constexpr int kImageSide = 28;
constexpr int kImagePixels = kImageSide * kImageSide;

struct ClassifierConfig {
    int channels1 = 16;  // conv1 output channels
    int channels2 = 32;  // conv2 output channels
    int hidden = 128;    // fc1 width = feature dimension for classifier-FID
};

// Everything backward needs from one forward pass.
struct ClassifierActs {
    nn::Matrix conv1_out, relu1;   // [B, c1*196]
    nn::Matrix conv2_out, relu2;   // [B, c2*49]
    nn::Matrix fc1_out, features;  // [B, hidden]
    nn::Matrix logits;             // [B, 10]
};

struct Classifier {
    ClassifierConfig config;
    nn::Conv2d conv1, conv2;
    nn::Linear fc1, fc2;
    nn::ConvScratch scratch;  // reused by every conv call on this model
    ClassifierActs eval_acts;  // scratch for the eval-mode helpers below
};

void classifier_init(Classifier& model, const ClassifierConfig& config, uint64_t seed);
nn::ParamList classifier_params(Classifier& model);

// Training forward/backward on one batch: images [B, 784] -> acts.logits [B, 10].
void classifier_forward_train(ClassifierActs& acts, const nn::Matrix& images, Classifier& model);
// dlogits [B, 10]; accumulates into the parameter gradients.
void classifier_backward(const nn::Matrix& dlogits, const nn::Matrix& images,
                         ClassifierActs& acts, Classifier& model);

// Eval helpers; they process large inputs in chunks so 10,000 images fit in little memory.
void classifier_forward(nn::Matrix& logits, const nn::Matrix& images, Classifier& model);
// Penultimate activations (after fc1 + ReLU), [B, hidden]: the space classifier-FID lives in.
void classifier_features(nn::Matrix& features, const nn::Matrix& images, Classifier& model);
// Both at once (what metrics need), one forward pass.
void classifier_features_and_logits(nn::Matrix& features, nn::Matrix& logits,
                                    const nn::Matrix& images, Classifier& model);
// Argmax label and its softmax probability per image.
void classify(const nn::Matrix& images, Classifier& model, std::vector<int>& labels,
              std::vector<float>& confidences);
// Fraction of images whose argmax equals the label.
double classifier_accuracy(const nn::Matrix& images, const std::vector<int>& labels,
                           Classifier& model);

// Weights-file metadata: {"model": "classifier", "format_version": "1", channels1, channels2,
// hidden}. The reader throws std::runtime_error naming `source` when the file is for another
// model or a field is missing/invalid.
std::map<std::string, std::string> classifier_metadata(const ClassifierConfig& config);
ClassifierConfig classifier_config_from_metadata(const std::map<std::string, std::string>& meta,
                                                 const std::string& source);
// Initialises `model` from the file's metadata and loads its tensors (strict shapes).
void load_classifier(Classifier& model, const io::SafetensorsFile& file);

}  // namespace models
