#include "models/classifier.h"

#include "io/safetensors.h"
#include "models/metadata_fields.h"
#include "nn/losses.h"

#include <algorithm>
#include <stdexcept>

namespace models {

void classifier_init(Classifier& model, const ClassifierConfig& config, uint64_t seed) {
    if (config.channels1 < 1 || config.channels2 < 1 || config.hidden < 1)
        throw std::invalid_argument("classifier_init: channels1, channels2 and hidden must be >= 1");
    model.config = config;
    nn::Rng rng(seed);
    nn::conv2d_init(model.conv1, "conv1", 1, config.channels1, 5, 2, 2, kImageSide, kImageSide,
                    rng);
    nn::conv2d_init(model.conv2, "conv2", config.channels1, config.channels2, 5, 2, 2,
                    model.conv1.g.out_h, model.conv1.g.out_w, rng);
    nn::linear_init(model.fc1, "fc1", model.conv2.g.out_features(), config.hidden, rng);
    nn::linear_init(model.fc2, "fc2", config.hidden, kDigitClasses, rng);
}

nn::ParamList classifier_params(Classifier& model) {
    nn::ParamList list;
    nn::conv2d_params(model.conv1, list);
    nn::conv2d_params(model.conv2, list);
    nn::linear_params(model.fc1, list);
    nn::linear_params(model.fc2, list);
    return list;
}

static void check_images(const nn::Matrix& images, const char* who) {
    if (images.cols() != kImagePixels)
        throw std::invalid_argument(std::string(who) + ": images have " +
                                    std::to_string(images.cols()) +
                                    " columns, expected 784 (28x28 MNIST-style images)");
}

void classifier_forward_train(ClassifierActs& a, const nn::Matrix& images, Classifier& m) {
    check_images(images, "classifier_forward");
    nn::conv2d_forward(a.conv1_out, images, m.conv1, m.scratch);
    nn::relu_forward(a.relu1, a.conv1_out);
    nn::conv2d_forward(a.conv2_out, a.relu1, m.conv2, m.scratch);
    nn::relu_forward(a.relu2, a.conv2_out);
    nn::linear_forward(a.fc1_out, a.relu2, m.fc1);
    nn::relu_forward(a.features, a.fc1_out);
    nn::linear_forward(a.logits, a.features, m.fc2);
}

void classifier_backward(const nn::Matrix& dlogits, const nn::Matrix& images,
                         ClassifierActs& a, Classifier& m) {
    nn::Matrix d_features, d_fc1, d_relu2, d_conv2, d_relu1, d_conv1;
    nn::linear_backward(&d_features, dlogits, a.features, m.fc2);
    nn::relu_backward(d_fc1, d_features, a.fc1_out);
    nn::linear_backward(&d_relu2, d_fc1, a.relu2, m.fc1);
    nn::relu_backward(d_conv2, d_relu2, a.conv2_out);
    nn::conv2d_backward(&d_relu1, d_conv2, a.relu1, m.conv2, m.scratch);
    nn::relu_backward(d_conv1, d_relu1, a.conv1_out);
    nn::conv2d_backward(nullptr, d_conv1, images, m.conv1, m.scratch);
}

// 256 images at a time keeps conv2's im2col buffer ([c1*25, 256*49] floats) around 2 MB.
constexpr int kEvalChunk = 256;

void classifier_features_and_logits(nn::Matrix& features, nn::Matrix& logits,
                                    const nn::Matrix& images, Classifier& m) {
    check_images(images, "classifier_features");
    const Eigen::Index n = images.rows();
    features.resize(n, m.config.hidden);
    logits.resize(n, kDigitClasses);
    nn::Matrix chunk;
    for (Eigen::Index first = 0; first < n; first += kEvalChunk) {
        const Eigen::Index count = std::min<Eigen::Index>(kEvalChunk, n - first);
        chunk = images.middleRows(first, count);
        classifier_forward_train(m.eval_acts, chunk, m);  // no dropout/BN: train == eval
        features.middleRows(first, count) = m.eval_acts.features;
        logits.middleRows(first, count) = m.eval_acts.logits;
    }
}

void classifier_forward(nn::Matrix& logits, const nn::Matrix& images, Classifier& m) {
    nn::Matrix features;
    classifier_features_and_logits(features, logits, images, m);
}

void classifier_features(nn::Matrix& features, const nn::Matrix& images, Classifier& m) {
    nn::Matrix logits;
    classifier_features_and_logits(features, logits, images, m);
}

void classify(const nn::Matrix& images, Classifier& m, std::vector<int>& labels,
              std::vector<float>& confidences) {
    nn::Matrix logits, probs;
    classifier_forward(logits, images, m);
    nn::softmax_rows(probs, logits);
    labels.resize(static_cast<size_t>(probs.rows()));
    confidences.resize(labels.size());
    for (Eigen::Index i = 0; i < probs.rows(); ++i) {
        Eigen::Index best = 0;
        confidences[static_cast<size_t>(i)] = probs.row(i).maxCoeff(&best);
        labels[static_cast<size_t>(i)] = static_cast<int>(best);
    }
}

double classifier_accuracy(const nn::Matrix& images, const std::vector<int>& labels,
                           Classifier& m) {
    if (static_cast<Eigen::Index>(labels.size()) != images.rows())
        throw std::invalid_argument("classifier_accuracy: " + std::to_string(images.rows()) +
                                    " images but " + std::to_string(labels.size()) + " labels");
    std::vector<int> predicted;
    std::vector<float> confidence;
    classify(images, m, predicted, confidence);
    int64_t correct = 0;
    for (size_t i = 0; i < labels.size(); ++i) correct += predicted[i] == labels[i];
    return labels.empty() ? 0.0 : double(correct) / double(labels.size());
}

std::map<std::string, std::string> classifier_metadata(const ClassifierConfig& c) {
    return {{"model", "classifier"},
            {"format_version", "1"},
            {"channels1", std::to_string(c.channels1)},
            {"channels2", std::to_string(c.channels2)},
            {"hidden", std::to_string(c.hidden)}};
}

ClassifierConfig classifier_config_from_metadata(const std::map<std::string, std::string>& meta,
                                                 const std::string& source) {
    meta::require_kind(meta, "classifier", source);
    ClassifierConfig c;
    c.channels1 = meta::require_int(meta, "channels1", source, 1, 1024);
    c.channels2 = meta::require_int(meta, "channels2", source, 1, 1024);
    c.hidden = meta::require_int(meta, "hidden", source, 1, 65536);
    return c;
}

void load_classifier(Classifier& model, const io::SafetensorsFile& file) {
    classifier_init(model, classifier_config_from_metadata(file.metadata, file.source), 0);
    io::load_params(file, classifier_params(model));
}

}  // namespace models
