// The models app-core's panels share, loaded once from their weights slots: each accessor asks
// for the file (first call starts the fetch), and returns the model once the slot is Ready and
// the file validated as that model, else nullptr (weights_gate shows why). A file that parses
// but is the wrong model or has bad shapes marks its slot Failed with the message.
// Also the MNIST test subset (data/mnist-test-1000.bin) and small drawing helpers.
#pragma once

#include "app/app.h"
#include "app/app_internal.h"
#include "app/textures.h"
#include "io/idx.h"
#include "models/classifier.h"
#include "models/gan.h"
#include "models/vae.h"

#include "imgui.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace app {

constexpr const char* kGanFile = "gan.safetensors";
constexpr const char* kCganFile = "cgan.safetensors";
constexpr const char* kVae16File = "vae16.safetensors";
constexpr const char* kVae2File = "vae2.safetensors";
constexpr const char* kClassifierFile = "classifier.safetensors";
constexpr const char* kMnistTestFile = "mnist-test-1000.bin";

// Loads `file` into `model` with `load` whenever the slot delivers new bytes; a load error
// fails the slot (the panel's gate then shows it with Retry). Null until the model is usable.
template <class Model, class Load>
Model* loaded(const char* file, Model& model, int& generation, Load load) {
    WeightsSlot& slot = request_weights(file);
    if (slot.status != WeightsStatus::Ready || !slot.data) return nullptr;
    if (generation != slot.generation) {
        try {
            load(model, *slot.data);
            generation = slot.generation;
        } catch (const std::exception& e) {
            generation = -1;
            fail_weights(file, e.what());
            return nullptr;
        }
    }
    return &model;
}

models::Gan* gan_model(bool conditional);  // gan.safetensors or cgan.safetensors
models::Vae* vae16_model();
models::Vae* vae2_model();
models::Classifier* classifier_model();
const io::MnistSplit* mnist_test_digits();  // nullptr until loaded (data_gate shows progress)

// Draws a grayscale texture at `size` with a thin border; returns true when clicked.
bool digit_image(const GrayTexture& texture, float size, bool selected = false);

// Classifies rows of `images` [B, 784]; empty vectors when the classifier is not ready.
void classify_images(const nn::Matrix& images, std::vector<int>& labels,
                     std::vector<float>& confidences);

// A decoded/sampled image row as uint8 pixels (io::float_to_u8), 784 values.
std::vector<int> row_to_pixels(const nn::Matrix& images, int row);

// Colours for digit labels 0..9 (scatter plots, legends).
ImU32 label_color(int label, float alpha = 1.0f);

// MNIST-style preprocessing of a drawing: crop to the ink, scale the box to fit 20x20 keeping
// the aspect ratio, and centre by centre of mass in 28x28 (LeCun et al. 1998).
std::vector<float> center_like_mnist(const std::vector<float>& drawing);

// Test hooks: remember the screen rectangle (CSS pixels) of the last ImGui item under a name,
// so e2e tests can click real widgets: genlab.query(panel, {"op": "rect", "name": ...}).
void remember_item_rect(const std::string& name);
nlohmann::json item_rect(const std::string& name);  // {"x","y","w","h"} or {"error"}

}  // namespace app
