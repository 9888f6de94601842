// Panel 6, "Train": trains a tiny VAE or GAN on an MNIST subset, or a char-RNN on pasted text
// (default: a Jargon File excerpt), live in the page. Training runs in time slices inside the
// frame loop (tick): optimiser steps while the slice lasts, so the UI keeps its frame rate
// without workers or COOP/COEP. Trained weights download as safetensors (with the model
// metadata, so every panel and the CLI accept them) or go straight into the other panels.
//
// [SECTION] JS        — browser download (Blob) and upload (<input type=file>), EM_JS
// [SECTION] Models    — the tiny configs trained here and their lifecycle
// [SECTION] Data      — MNIST subset and corpus excerpt, fetched from data/ on demand
// [SECTION] Training  — steps in a time slice, loss history, throughput
// [SECTION] Previews  — samples, 2-D latent map, text samples, refreshed while training
// [SECTION] UI
// [SECTION] State     — window.genlab state()/set()/query()
#include "app/app.h"
#include "app/app_internal.h"
#include "app/textures.h"
#include "app/ui_models.h"
#include "io/idx.h"
#include "io/image_write.h"
#include "io/safetensors.h"
#include "io/text_corpus.h"
#include "models/char_rnn.h"
#include "models/gan.h"
#include "models/vae.h"
#include "train/char_rnn_trainer.h"
#include "train/gan_trainer.h"
#include "train/vae_trainer.h"

#include <emscripten/emscripten.h>

#include "imgui.h"

#include <algorithm>
#include <array>
#include <map>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

// ---------------------------------------------------------------------------------------------
// [SECTION] JS

namespace {

// Saves bytes as a file through a Blob URL and a temporary <a download>.
EM_JS(void, genlab_train_download_js, (const uint8_t* bytes, int length, const char* name), {
    try {
        const data = HEAPU8.slice(bytes, bytes + length);
        const url = URL.createObjectURL(new Blob([data], {type: 'application/octet-stream'}));
        const a = document.createElement('a');
        a.href = url;
        a.download = UTF8ToString(name);
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    } catch (e) {
        console.warn('GenLab: download failed: ' + e);
    }
});

// Opens a file chooser; the chosen file's bytes go to genlab_train_upload().
EM_JS(void, genlab_train_open_upload_js, (), {
    try {
        const input = document.createElement('input');
        input.type = 'file';
        input.accept = '.safetensors';
        input.style.display = 'none';
        input.addEventListener('change', function () {
            const file = input.files && input.files[0];
            input.remove();
            if (!file) return;
            file.arrayBuffer().then(function (buffer) {
                const bytes = new Uint8Array(buffer);
                const ptr = Module['_malloc'](Math.max(1, bytes.length));
                HEAPU8.set(bytes, ptr);
                const nameLength = lengthBytesUTF8(file.name) + 1;
                const namePtr = Module['_malloc'](nameLength);
                stringToUTF8(file.name, namePtr, nameLength);
                Module['_genlab_train_upload'](ptr, bytes.length, namePtr);
                Module['_free'](namePtr);
                Module['_free'](ptr);
            }).catch(function (e) { console.warn('GenLab: could not read ' + file.name + ': ' + e); });
        });
        document.body.appendChild(input);
        input.click();
    } catch (e) {
        console.warn('GenLab: upload failed: ' + e);
    }
});

double now_ms() {
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------------------------------------
// [SECTION] Models

enum class Kind { Vae, Gan, Rnn };
const char* kind_name(Kind k) { return k == Kind::Vae ? "vae" : k == Kind::Gan ? "gan" : "rnn"; }

constexpr const char* kMnistTrainFile = "mnist-train-subset.bin";
constexpr const char* kCorpusFile = "corpus-excerpt.txt";
constexpr double kSliceMs = 9.0;       // training time per frame (of the ~12 ms tick budget)
constexpr int kScatterPoints = 300;    // encoded training digits on the 2-D latent map
constexpr int kScatterPerTick = 20;
constexpr int kManifold = 8;           // 8x8 decoded grid for the 2-D VAE
constexpr size_t kMaxHistory = 200000;

// Tiny configs: a step fits in a few ms of wasm so several run per frame.
models::VaeConfig browser_vae_config() {
    models::VaeConfig c;
    c.latent = 2;
    c.hidden = 128;
    c.layers = 1;
    return c;
}
models::GanConfig browser_gan_config() {
    models::GanConfig c;
    c.latent = 16;
    c.classes = 0;
    c.channels = 16;
    c.d_channels = 8;
    return c;
}
models::CharRnnConfig browser_rnn_config() {
    models::CharRnnConfig c;
    c.cell = "lstm";
    c.embed = 16;
    c.hidden = 96;
    c.layers = 1;
    return c;
}

struct Settings {
    float lr;
    int batch;
};

class TrainPanel : public app::Panel {
public:
    const char* id() const override { return "train"; }
    const char* title() const override { return "Train"; }

    TrainPanel();
    void draw() override;
    void tick(double budget_ms) override;
    nlohmann::json state() const override;
    void set_state(const nlohmann::json& state) override;
    nlohmann::json query(const nlohmann::json& request) override;

    void on_upload(std::vector<uint8_t> bytes, const std::string& name);

private:
    // models
    bool ensure_data();          // data for the current kind loaded and parsed
    bool ensure_model();         // model + trainer initialised (needs data)
    void reset();
    int run_steps(int max_steps, double deadline_ms);
    std::vector<uint8_t> serialize_model(std::string& file, std::string& label);
    void use_in_panel();
    void download();
    void refresh_previews(bool force);
    void update_scatter(int count);
    float last_loss() const;

    Kind kind_ = Kind::Vae;
    Settings settings_[3] = {{1e-3f, 32}, {5e-4f, 16}, {3e-3f, 8}};
    int rnn_cell_ = 0;           // 0 lstm, 1 gru
    bool running_ = false;
    bool wanted_ = false;
    bool initialised_ = false;
    uint64_t seed_ = 1;
    std::string error_, message_;

    // data
    io::MnistSplit mnist_;
    nn::Matrix images_;          // [N, 784] in [0, 1]
    int mnist_generation_ = -1;
    std::string corpus_;         // normalized default corpus excerpt
    int corpus_generation_ = -1;
    std::vector<char> user_text_ = std::vector<char>(65536, '\0');
    bool use_user_text_ = false;
    std::string rnn_text_;       // the text the char-RNN trains on

    // models and trainers
    models::Vae vae_;
    train::VaeTrainer vae_trainer_;
    models::Gan gan_;
    train::GanTrainer gan_trainer_;
    models::CharRnn rnn_;
    train::CharRnnTrainer rnn_trainer_;

    // history (per step)
    std::vector<float> loss_, loss2_;  // VAE: loss, kl; GAN: D, G; RNN: bits/char
    int64_t step_ = 0;

    // throughput: steps over the last window of wall time while running
    double window_start_ms_ = 0;
    int64_t window_steps_ = 0;
    double steps_per_second_ = 0;
    double compute_ms_ = 0;           // time inside the step functions (all time)
    int64_t compute_steps_ = 0;

    // previews
    app::GrayTexture samples_texture_;
    std::vector<float> samples_pixels_;
    double last_preview_ms_ = 0;
    nn::Matrix scatter_mu_;           // [kScatterPoints, 2]
    int scatter_cursor_ = 0;
    int scatter_filled_ = 0;
    std::string rnn_sample_;

    // Screen rectangles of the main controls (ImGui units = CSS pixels of the canvas), so e2e
    // tests click the real widgets.
    std::map<std::string, std::array<float, 4>> widgets_;
    void note_widget(const char* name) {
        const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        widgets_[name] = {a.x, a.y, b.x - a.x, b.y - a.y};
    }
};

TrainPanel* g_train_panel = nullptr;

TrainPanel::TrainPanel() {
    g_train_panel = this;
    const char* hint = "Paste your own text here (a few KB or more), then tick the box above "
                       "and press Reset.";
    std::snprintf(user_text_.data(), user_text_.size(), "%s", hint);
}

// ---------------------------------------------------------------------------------------------
// [SECTION] Data

bool TrainPanel::ensure_data() {
    wanted_ = true;
    if (kind_ != Kind::Rnn) {
        app::DataSlot& slot = app::request_data(kMnistTrainFile);
        if (slot.status != app::WeightsStatus::Ready) return false;
        if (mnist_generation_ != slot.generation) {
            mnist_generation_ = slot.generation;
            try {
                mnist_ = io::parse_mnist_subset(slot.bytes, std::string("data/") + kMnistTrainFile);
                images_ = io::mnist_images_to_matrix(mnist_);
                error_.clear();
            } catch (const std::exception& e) {
                images_.resize(0, 0);
                error_ = e.what();
            }
            initialised_ = false;
        }
        return images_.rows() >= 2;
    }
    if (use_user_text_) {
        // Read at Reset (rnn_text_ cleared), not every frame.
        if (rnn_text_.empty()) rnn_text_ = io::normalize_text(std::string(user_text_.data()));
        if (rnn_text_.size() < 2) {
            error_ = "the pasted text is too short: paste at least a few sentences, then Reset";
            return false;
        }
        return true;
    }
    app::DataSlot& slot = app::request_data(kCorpusFile);
    if (slot.status != app::WeightsStatus::Ready) return false;
    if (corpus_generation_ != slot.generation) {
        corpus_generation_ = slot.generation;
        corpus_ = io::normalize_text(std::string(slot.bytes.begin(), slot.bytes.end()));
        initialised_ = false;
        rnn_text_.clear();
    }
    if (corpus_.size() < 2) {
        error_ = std::string("data/") + kCorpusFile + " is empty";
        return false;
    }
    if (rnn_text_.empty()) rnn_text_ = corpus_;
    return true;
}

bool TrainPanel::ensure_model() {
    if (!ensure_data()) return false;
    if (initialised_) return true;
    try {
        const Settings& s = settings_[int(kind_)];
        loss_.clear();
        loss2_.clear();
        step_ = 0;
        samples_pixels_.clear();
        scatter_filled_ = scatter_cursor_ = 0;
        rnn_sample_.clear();
        if (kind_ == Kind::Vae) {
            models::vae_init(vae_, browser_vae_config(), seed_);
            train::VaeTrainOptions o;
            o.batch = s.batch;
            o.lr = s.lr;
            o.seed = seed_;
            vae_trainer_ = train::VaeTrainer();
            train::vae_trainer_init(vae_trainer_, o);
        } else if (kind_ == Kind::Gan) {
            models::gan_init(gan_, browser_gan_config(), seed_);
            train::GanTrainConfig c;
            c.batch = std::max(2, s.batch);
            c.lr = s.lr;
            c.seed = seed_;
            gan_trainer_ = train::GanTrainer();
            train::gan_trainer_init(gan_trainer_, c);
        } else {
            models::CharRnnConfig config = browser_rnn_config();
            config.cell = rnn_cell_ == 1 ? "gru" : "lstm";
            models::char_rnn_init(rnn_, config, io::build_vocab(rnn_text_), seed_);
            train::CharRnnTrainOptions o;
            o.steps = 32;
            o.batch = s.batch;
            o.lr = s.lr;
            o.seed = seed_;
            rnn_trainer_ = train::CharRnnTrainer();
            train::char_rnn_trainer_init(rnn_trainer_, rnn_, rnn_text_, o);
        }
        initialised_ = true;
        error_.clear();
        refresh_previews(true);
    } catch (const std::exception& e) {
        error_ = e.what();
        running_ = false;
        return false;
    }
    return true;
}

void TrainPanel::reset() {
    running_ = false;
    initialised_ = false;
    if (kind_ == Kind::Rnn) rnn_text_.clear();
    message_.clear();
    ensure_model();
}

// ---------------------------------------------------------------------------------------------
// [SECTION] Training

int TrainPanel::run_steps(int max_steps, double deadline_ms) {
    if (!ensure_model()) return 0;
    const Settings& s = settings_[int(kind_)];
    int done = 0;
    const double t0 = now_ms();
    try {
        for (; done < max_steps; ++done) {
            if (done > 0 && now_ms() > deadline_ms) break;
            if (kind_ == Kind::Vae) {
                vae_trainer_.options.lr = s.lr;
                vae_trainer_.options.batch = s.batch;
                const train::VaeStepStats st = train::vae_train_step(vae_trainer_, vae_, images_);
                loss_.push_back(st.loss);
                loss2_.push_back(st.kl);
            } else if (kind_ == Kind::Gan) {
                gan_trainer_.config.batch = std::max(2, s.batch);
                gan_trainer_.config.lr = s.lr;
                gan_trainer_.opt_g.lr = gan_trainer_.opt_d.lr = s.lr;
                const train::GanStepStats st = train::gan_train_step(gan_trainer_, gan_, images_, {});
                loss_.push_back(st.d_loss);
                loss2_.push_back(st.g_loss);
            } else {
                rnn_trainer_.options.lr = s.lr;
                const train::CharRnnStepStats st = train::char_rnn_train_step(rnn_trainer_, rnn_);
                loss_.push_back(st.bits_per_char);
            }
            ++step_;
            if (!std::isfinite(loss_.back())) {
                running_ = false;
                error_ = "the loss became " + std::to_string(loss_.back()) +
                         ": lower the learning rate and press Reset";
                ++done;
                break;
            }
        }
    } catch (const std::exception& e) {
        running_ = false;
        error_ = e.what();
    }
    if (loss_.size() > kMaxHistory) {
        loss_.erase(loss_.begin(), loss_.begin() + kMaxHistory / 2);
        if (loss2_.size() > kMaxHistory / 2) loss2_.erase(loss2_.begin(), loss2_.begin() + kMaxHistory / 2);
    }
    compute_ms_ += now_ms() - t0;
    compute_steps_ += done;
    return done;
}

// Items one step consumes: images for VAE/GAN, predicted characters for the char-RNN.
int64_t items_per_step(Kind kind, const Settings& s, const train::CharRnnTrainer& rnn) {
    if (kind == Kind::Rnn) return int64_t(rnn.streams) * rnn.chunk;
    return s.batch;
}

void TrainPanel::tick(double budget_ms) {
    if (!wanted_) return;
    ensure_data();  // keeps parsing state current once the fetch completes
    const double now = now_ms();
    if (running_) {
        if (window_start_ms_ == 0) window_start_ms_ = now;
        // Previews first (a bounded few ms), then steps for the rest of the slice.
        if (initialised_ && kind_ == Kind::Vae) update_scatter(kScatterPerTick);
        refresh_previews(false);
        const double slice = std::min(kSliceMs, std::max(1.0, budget_ms - 1.0));
        window_steps_ += run_steps(1 << 20, now + slice);
        const double elapsed = now_ms() - window_start_ms_;
        if (elapsed > 1000) {
            steps_per_second_ = window_steps_ * 1000.0 / elapsed;
            window_start_ms_ = now_ms();
            window_steps_ = 0;
        }
    } else {
        window_start_ms_ = 0;
        window_steps_ = 0;
    }
}

float TrainPanel::last_loss() const {
    if (loss_.empty()) return NAN;
    // Mean of the last 20 steps: one minibatch is noisy.
    const size_t n = std::min<size_t>(20, loss_.size());
    double sum = 0;
    for (size_t i = loss_.size() - n; i < loss_.size(); ++i) sum += loss_[i];
    return float(sum / double(n));
}

// ---------------------------------------------------------------------------------------------
// [SECTION] Previews

void TrainPanel::update_scatter(int count) {
    if (images_.rows() == 0 || vae_.config.latent != 2) return;
    const int n = std::min<int>(kScatterPoints, int(images_.rows()));
    if (scatter_mu_.rows() != n) scatter_mu_.resize(n, 2);
    count = std::min(count, n);
    nn::Matrix batch(count, images_.cols()), mu, logvar;
    for (int i = 0; i < count; ++i) batch.row(i) = images_.row((scatter_cursor_ + i) % n);
    models::vae_encode(mu, logvar, batch, vae_);
    for (int i = 0; i < count; ++i) scatter_mu_.row((scatter_cursor_ + i) % n) = mu.row(i);
    scatter_cursor_ = (scatter_cursor_ + count) % n;
    scatter_filled_ = std::min(n, scatter_filled_ + count);
}

void TrainPanel::refresh_previews(bool force) {
    const double now = now_ms();
    if (!initialised_ || (!force && now - last_preview_ms_ < (kind_ == Kind::Rnn ? 1500 : 400))) return;
    last_preview_ms_ = now;
    try {
        if (kind_ == Kind::Vae) {
            // 8x8 grid of decodes over [-2.5, 2.5]^2 (the prior's bulk), as one image.
            nn::Matrix z(kManifold * kManifold, 2), decoded;
            for (int r = 0; r < kManifold; ++r)
                for (int c = 0; c < kManifold; ++c) {
                    z(r * kManifold + c, 0) = -2.5f + 5.0f * c / (kManifold - 1);
                    z(r * kManifold + c, 1) = 2.5f - 5.0f * r / (kManifold - 1);
                }
            models::vae_decode(decoded, z, vae_);
            const int side = kManifold * 28;
            samples_pixels_.assign(size_t(side) * side, 0.0f);
            for (int i = 0; i < kManifold * kManifold; ++i)
                for (int y = 0; y < 28; ++y)
                    for (int x = 0; x < 28; ++x)
                        samples_pixels_[size_t((i / kManifold * 28 + y) * side + i % kManifold * 28 + x)] =
                            decoded(i, y * 28 + x);
            if (force) update_scatter(kScatterPoints);
        } else if (kind_ == Kind::Gan) {
            nn::Matrix z, generated;
            models::gan_sample_latent(z, 16, gan_.config.latent, 1234);
            models::gan_generate(generated, z, {}, gan_);
            const int side = 4 * 28;
            samples_pixels_.assign(size_t(side) * side, 0.0f);
            for (int i = 0; i < 16; ++i)
                for (int y = 0; y < 28; ++y)
                    for (int x = 0; x < 28; ++x)
                        samples_pixels_[size_t((i / 4 * 28 + y) * side + i % 4 * 28 + x)] =
                            generated(i, y * 28 + x);
        } else {
            rnn_sample_ = models::generate_text(rnn_, "\n", 240, 0.8f, 0, uint64_t(step_) + 1);
        }
    } catch (const std::exception& e) {
        error_ = e.what();
    }
}

// ---------------------------------------------------------------------------------------------
// Weights out: download, hand to another panel

std::vector<uint8_t> TrainPanel::serialize_model(std::string& file, std::string& label) {
    const std::map<std::string, std::string> extra = {
        {"trained_with", "GenLab browser, " + std::to_string(step_) + " steps"}};
    if (kind_ == Kind::Vae) {
        file = vae_.config.latent == 2 ? "vae2.safetensors" : "vae16.safetensors";
        label = "browser-trained VAE";
        return io::serialize_safetensors(models::vae_params(vae_), models::vae_metadata(vae_.config, extra));
    }
    if (kind_ == Kind::Gan) {
        file = "gan.safetensors";
        label = "browser-trained GAN";
        std::map<std::string, std::string> meta = models::gan_metadata(gan_.config);
        meta.insert(extra.begin(), extra.end());
        return io::serialize_safetensors(models::gan_generator_params(gan_), meta);
    }
    file = rnn_.config.cell == "gru" ? "char_gru.safetensors" : "char_lstm.safetensors";
    label = "browser-trained char-RNN";
    return io::serialize_safetensors(models::char_rnn_params(rnn_), models::char_rnn_metadata(rnn_, extra));
}

void TrainPanel::download() {
    if (!initialised_) return;
    try {
        std::string file, label;
        const std::vector<uint8_t> bytes = serialize_model(file, label);
        const std::string name = "browser-" + file;
        genlab_train_download_js(bytes.data(), int(bytes.size()), name.c_str());
        message_ = "downloaded " + name + " (" + std::to_string(bytes.size()) + " bytes)";
    } catch (const std::exception& e) {
        error_ = e.what();
    }
}

void TrainPanel::use_in_panel() {
    if (!initialised_) return;
    try {
        std::string file, label;
        std::vector<uint8_t> bytes = serialize_model(file, label);
        app::provide_weights(file, std::move(bytes), label);
        message_ = "the " + label + " now replaces weights/" + file + " in the other panels";
    } catch (const std::exception& e) {
        error_ = e.what();
    }
}

// Validates an uploaded file, works out which panel it belongs to, and hands it over.
void TrainPanel::on_upload(std::vector<uint8_t> bytes, const std::string& name) {
    try {
        const io::SafetensorsFile parsed = io::parse_safetensors(bytes, name);
        auto model = parsed.metadata.find("model");
        if (model == parsed.metadata.end())
            throw std::invalid_argument(name + ": no \"model\" in __metadata__; expected a GenLab "
                                        "weights file (vae, gan, cgan, char_rnn, classifier)");
        std::string file;
        const std::string& kind = model->second;
        if (kind == "vae") {
            models::Vae check;
            models::load_vae(check, parsed);
            file = check.config.latent == 2 ? "vae2.safetensors" : "vae16.safetensors";
        } else if (kind == "gan" || kind == "cgan") {
            models::Gan check;
            models::load_gan_generator(check, parsed);
            file = kind + ".safetensors";
        } else if (kind == "char_rnn") {
            models::CharRnn check;
            models::load_char_rnn(check, parsed);
            file = check.config.cell == "gru" ? "char_gru.safetensors" : "char_lstm.safetensors";
        } else if (kind == "classifier") {
            file = "classifier.safetensors";
        } else {
            throw std::invalid_argument(name + ": __metadata__ model is \"" + kind +
                                        "\"; expected vae, gan, cgan, char_rnn or classifier");
        }
        app::provide_weights(file, std::move(bytes), "uploaded " + name);
        message_ = "loaded " + name + " as weights/" + file;
        error_.clear();
    } catch (const std::exception& e) {
        error_ = std::string("upload rejected: ") + e.what();
        message_.clear();
    }
}

// ---------------------------------------------------------------------------------------------
// [SECTION] UI

// PlotLines over at most `width` buckets (bucket means), so long histories stay cheap.
void plot_history(const char* label, const std::vector<float>& values, const char* overlay,
                  float height) {
    static std::vector<float> buckets;
    const int width = std::max(50, int(ImGui::GetContentRegionAvail().x));
    const size_t n = values.size();
    buckets.clear();
    if (n <= size_t(width)) {
        buckets.assign(values.begin(), values.end());
    } else {
        for (int b = 0; b < width; ++b) {
            const size_t lo = n * size_t(b) / size_t(width), hi = n * size_t(b + 1) / size_t(width);
            double sum = 0;
            for (size_t i = lo; i < hi; ++i) sum += values[i];
            buckets.push_back(float(sum / double(std::max<size_t>(1, hi - lo))));
        }
    }
    float lo = 0, hi = 1;
    if (!buckets.empty()) {
        // Scale to the recent part of the curve: the first steps are far higher.
        std::vector<float> sorted(buckets.begin() + buckets.size() / 10, buckets.end());
        if (sorted.empty()) sorted = buckets;
        std::sort(sorted.begin(), sorted.end());
        lo = sorted.front();
        hi = sorted.back();
        if (hi - lo < 1e-6f) hi = lo + 1;
        const float pad = (hi - lo) * 0.1f;
        lo -= pad;
        hi += pad;
    }
    // PlotLines takes the frame size literally (no "-1 = fill" in ImGui 1.86).
    ImGui::PlotLines(label, buckets.data(), int(buckets.size()), 0, overlay, lo, hi,
                     ImVec2(float(width), height));
}

void TrainPanel::draw() {
    wanted_ = true;
    ImGui::TextWrapped("Train a tiny model right here: every step runs in this page, between "
                       "frames. Loss curves, samples and the latent map update as it learns.");
    const bool narrow = app::narrow_layout();
    int kind = int(kind_);
    bool changed = false;
    if (app::Control c("model"); c) {
        ImGui::TextUnformatted("Model");
        ImGui::SameLine();
        changed = ImGui::RadioButton("VAE (2-D latent)", &kind, 0);
        note_widget("kind_vae");
        ImGui::SameLine();
        changed |= ImGui::RadioButton("GAN", &kind, 1);
        note_widget("kind_gan");
        if (!narrow) ImGui::SameLine();
        changed |= ImGui::RadioButton("char-RNN", &kind, 2);
        note_widget("kind_rnn");
    }
    if (changed && kind != int(kind_)) {
        kind_ = Kind(kind);
        running_ = false;
        initialised_ = false;
        message_.clear();
        error_.clear();
    }

    // Data status.
    if (kind_ != Kind::Rnn) {
        app::DataSlot& slot = app::request_data(kMnistTrainFile);
        if (!app::data_gate(slot, "MNIST training subset")) return;
    } else {
        bool cell_changed = false;
        if (app::Control c("cell"); c) {
            ImGui::TextUnformatted("Cell");
            ImGui::SameLine();
            cell_changed = ImGui::RadioButton("LSTM", &rnn_cell_, 0);
            ImGui::SameLine();
            cell_changed |= ImGui::RadioButton("GRU", &rnn_cell_, 1);
            ImGui::SameLine();
        }
        if (app::Control c("text"); c) ImGui::Checkbox("train on my text (below)", &use_user_text_);
        else ImGui::NewLine();
        if (cell_changed) reset();
        if (!use_user_text_) {
            app::DataSlot& slot = app::request_data(kCorpusFile);
            if (!app::data_gate(slot, "default corpus (Jargon File excerpt)")) return;
        }
    }
    ensure_model();

    Settings& s = settings_[int(kind_)];
    if (app::Control c("play"); c) {
        ImGui::BeginDisabled(!initialised_);
        if (ImGui::Button(running_ ? "Pause" : "Play", ImVec2(80, 0))) running_ = !running_;
        note_widget("play");
        ImGui::SameLine();
        if (ImGui::Button("Step", ImVec2(60, 0))) {
            running_ = false;
            run_steps(1, 1e300);
            refresh_previews(true);
        }
        note_widget("step");
        ImGui::SameLine();
        ImGui::EndDisabled();
    }
    if (app::Control c("reset"); c) {
        if (ImGui::Button("Reset", ImVec2(60, 0))) reset();
        note_widget("reset");
        if (!narrow) ImGui::SameLine();
    }
    if (app::Control c("lr"); c) {
        ImGui::SetNextItemWidth(140);
        float log_lr = std::log10(s.lr);
        char lr_text[32];
        std::snprintf(lr_text, sizeof lr_text, "lr %.1e", s.lr);
        if (ImGui::SliderFloat("##lr", &log_lr, -5.0f, -1.5f, lr_text)) s.lr = std::pow(10.0f, log_lr);
        ImGui::SameLine();
    }
    if (app::Control c("batch"); c) {
        ImGui::SetNextItemWidth(110);
        ImGui::SliderInt(kind_ == Kind::Rnn ? "streams (on Reset)" : "batch", &s.batch, 2, 256);
    } else {
        ImGui::NewLine();
    }

    // Throughput.
    const int64_t items = items_per_step(kind_, s, rnn_trainer_);
    ImGui::Text("step %lld   %.1f steps/s   %.0f %s/s   (%.1f ms per step)", (long long)step_,
                steps_per_second_, steps_per_second_ * double(items),
                kind_ == Kind::Rnn ? "chars" : "samples",
                compute_steps_ > 0 ? compute_ms_ / double(compute_steps_) : 0.0);
    if (!error_.empty()) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(ImVec4(1.0f, 0.55f, 0.5f, 1.0f), "%s", error_.c_str());
        ImGui::PopTextWrapPos();
    }
    if (!message_.empty()) ImGui::TextColored(ImVec4(0.6f, 0.9f, 0.6f, 1.0f), "%s", message_.c_str());

    // Weights out / in.
    if (app::Control c("weights"); c) {
        ImGui::BeginDisabled(!initialised_);
        if (ImGui::Button("Download .safetensors")) download();
        note_widget("download");
        ImGui::SameLine();
        const char* use_label = kind_ == Kind::Vae ? "Use in the latent map / VAE panels"
                                : kind_ == Kind::Gan ? "Use in the GAN panel"
                                                     : "Use in the Text panel";
        if (ImGui::Button(use_label)) use_in_panel();
        note_widget("use");
        ImGui::EndDisabled();
        if (!narrow) ImGui::SameLine();
        if (ImGui::Button("Upload .safetensors...")) genlab_train_open_upload_js();
        note_widget("upload");
    }

    ImGui::Separator();
    // Left: loss curves; right: samples.
    // Narrow: curves above the samples instead of beside them.
    const ImVec2 below = ImGui::GetContentRegionAvail();
    const ImVec2 curves_size = narrow ? ImVec2(0, std::max(200.0f, below.y * 0.5f))
                                      : ImVec2(std::max(260.0f, below.x * 0.5f), 0);
    ImGui::BeginChild("train_curves", curves_size, false);
    char overlay[96];
    if (kind_ == Kind::Vae) {
        std::snprintf(overlay, sizeof overlay, "-ELBO %.1f nats", loss_.empty() ? 0.0f : last_loss());
        plot_history("##loss", loss_, overlay, 120);
        std::snprintf(overlay, sizeof overlay, "KL %.2f nats", loss2_.empty() ? 0.0f : loss2_.back());
        plot_history("##kl", loss2_, overlay, 60);
    } else if (kind_ == Kind::Gan) {
        std::snprintf(overlay, sizeof overlay, "D loss %.3f", loss_.empty() ? 0.0f : last_loss());
        plot_history("##d", loss_, overlay, 90);
        std::snprintf(overlay, sizeof overlay, "G loss %.3f", loss2_.empty() ? 0.0f : loss2_.back());
        plot_history("##g", loss2_, overlay, 90);
    } else {
        std::snprintf(overlay, sizeof overlay, "%.3f bits/char", loss_.empty() ? 0.0f : last_loss());
        plot_history("##bpc", loss_, overlay, 120);
        ImGui::TextDisabled("vocabulary %d characters, text %zu characters", rnn_.vocab.size(),
                            rnn_text_.size());
        ImGui::TextUnformatted("Your text:");
        ImGui::InputTextMultiline("##user_text", user_text_.data(), user_text_.size(),
                                  ImVec2(-1, -1));
    }
    if (kind_ == Kind::Vae && scatter_filled_ > 0) {
        // Latent map: the encoded training digits, coloured by label.
        ImGui::TextUnformatted("latent map (means of 300 training digits)");
        const float size = std::min(ImGui::GetContentRegionAvail().x, 260.0f);
        const ImVec2 o = ImGui::GetCursorScreenPos();
        ImDrawList* dl = ImGui::GetWindowDrawList();
        dl->AddRectFilled(o, ImVec2(o.x + size, o.y + size), IM_COL32(20, 22, 28, 255));
        dl->AddRect(o, ImVec2(o.x + size, o.y + size), IM_COL32(90, 90, 100, 255));
        float range = 3.0f;  // the prior's bulk, widened to fit every point
        for (int i = 0; i < scatter_filled_; ++i)
            range = std::max({range, std::abs(scatter_mu_(i, 0)), std::abs(scatter_mu_(i, 1))});
        range *= 1.05f;
        for (int i = 0; i < scatter_filled_; ++i) {
            const float x = std::clamp(scatter_mu_(i, 0) / range, -1.0f, 1.0f);
            const float y = std::clamp(scatter_mu_(i, 1) / range, -1.0f, 1.0f);
            dl->AddCircleFilled(ImVec2(o.x + (x + 1) * 0.5f * size, o.y + (1 - y) * 0.5f * size),
                                2.5f, app::label_color(mnist_.labels[size_t(i)], 0.9f));
        }
        ImGui::Dummy(ImVec2(size, size));
    }
    ImGui::EndChild();
    if (!narrow) ImGui::SameLine();
    ImGui::BeginChild("train_samples", ImVec2(0, narrow ? std::max(200.0f, below.y * 0.5f) : 0.0f), false);
    if (kind_ == Kind::Rnn) {
        ImGui::TextUnformatted("sample (T = 0.8)");
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextUnformatted(rnn_sample_.c_str());
        ImGui::PopTextWrapPos();
    } else if (!samples_pixels_.empty()) {
        const int side = int(std::lround(std::sqrt(double(samples_pixels_.size()))));
        samples_texture_.upload(samples_pixels_.data(), side, side);
        ImGui::TextUnformatted(kind_ == Kind::Vae ? "decoded latent grid, z in [-2.5, 2.5]^2"
                                                  : "16 samples from fixed z");
        const float size = std::min(ImGui::GetContentRegionAvail().x, 320.0f);
        ImGui::Image(samples_texture_.im_id(), ImVec2(size, size));
    }
    ImGui::EndChild();
}

// ---------------------------------------------------------------------------------------------
// [SECTION] State

nlohmann::json TrainPanel::state() const {
    const Settings& s = settings_[int(kind_)];
    const int64_t items = items_per_step(kind_, s, rnn_trainer_);
    nlohmann::json out = {
        {"kind", kind_name(kind_)},
        {"lr", s.lr},
        {"batch", s.batch},
        {"running", running_},
        {"step", step_},
        {"ready", initialised_},
        {"steps_per_second", steps_per_second_},
        {"items_per_step", items},
        {"items_per_second", steps_per_second_ * double(items)},
        {"ms_per_step", compute_steps_ > 0 ? compute_ms_ / double(compute_steps_) : 0.0},
        {"history", loss_.size()},
        {"use_user_text", use_user_text_},
        {"cell", rnn_cell_ == 1 ? "gru" : "lstm"},
    };
    if (!loss_.empty()) {
        out["last_loss"] = last_loss();
        if (!loss2_.empty()) out["last_loss2"] = loss2_.back();
    }
    if (!error_.empty()) out["error"] = error_;
    if (!message_.empty()) out["message"] = message_;
    if (kind_ == Kind::Rnn) out["sample"] = rnn_sample_;
    nlohmann::json widgets = nlohmann::json::object();
    for (const auto& [name, r] : widgets_) widgets[name] = {r[0], r[1], r[2], r[3]};
    out["widgets"] = widgets;
    return out;
}

void TrainPanel::set_state(const nlohmann::json& st) {
    wanted_ = true;
    if (st.contains("kind")) {
        const std::string k = st["kind"].get<std::string>();
        Kind kind;
        if (k == "vae") kind = Kind::Vae;
        else if (k == "gan") kind = Kind::Gan;
        else if (k == "rnn" || k == "char_rnn") kind = Kind::Rnn;
        else throw std::invalid_argument("kind must be \"vae\", \"gan\" or \"rnn\", got \"" + k + "\"");
        if (kind != kind_) {
            kind_ = kind;
            running_ = false;
            initialised_ = false;
            error_.clear();
            message_.clear();
        }
    }
    Settings& s = settings_[int(kind_)];
    if (st.contains("lr")) {
        const float lr = st["lr"].get<float>();
        if (!(lr > 0.0f && lr < 1.0f)) throw std::invalid_argument("lr must be in (0, 1)");
        s.lr = lr;
    }
    if (st.contains("batch")) {
        const int b = st["batch"].get<int>();
        if (b < 2 || b > 1024) throw std::invalid_argument("batch must be in [2, 1024]");
        s.batch = b;
    }
    if (st.contains("cell")) {
        const std::string c = st["cell"].get<std::string>();
        if (c != "lstm" && c != "gru") throw std::invalid_argument("cell must be \"lstm\" or \"gru\"");
        rnn_cell_ = c == "gru" ? 1 : 0;
        if (kind_ == Kind::Rnn) initialised_ = false;
    }
    if (st.contains("text")) {
        const std::string t = st["text"].get<std::string>();
        std::snprintf(user_text_.data(), user_text_.size(), "%s", t.c_str());
        use_user_text_ = true;
        if (kind_ == Kind::Rnn) {
            initialised_ = false;
            rnn_text_.clear();
        }
    }
    if (st.contains("running")) running_ = st["running"].get<bool>() && ensure_model();
}

nlohmann::json TrainPanel::query(const nlohmann::json& request) {
    wanted_ = true;
    const std::string op = request.value("op", "");
    if (op == "steps") {
        const int n = request.value("n", 1);
        if (n < 1 || n > 100000) return {{"error", "n must be in [1, 100000]"}};
        if (!ensure_model())
            return {{"error", error_.empty() ? "training data not loaded yet" : error_}};
        const size_t before = loss_.size();
        const double t0 = now_ms();
        const int done = run_steps(n, 1e300);
        const double ms = now_ms() - t0;
        refresh_previews(true);
        nlohmann::json losses = nlohmann::json::array(), losses2 = nlohmann::json::array();
        for (size_t i = before; i < loss_.size(); ++i) losses.push_back(loss_[i]);
        for (size_t i = before; i < loss2_.size() && !loss2_.empty(); ++i) losses2.push_back(loss2_[i]);
        nlohmann::json out = {{"steps", done}, {"ms", ms}, {"losses", losses},
                              {"items_per_step", items_per_step(kind_, settings_[int(kind_)], rnn_trainer_)}};
        if (!losses2.empty()) out["losses2"] = losses2;
        if (!error_.empty()) out["error"] = error_;
        return out;
    }
    if (op == "history") {
        return {{"losses", loss_}, {"losses2", loss2_}, {"step", step_}};
    }
    if (op == "reset") {
        reset();
        return {{"ok", initialised_}};
    }
    if (op == "use") {
        use_in_panel();
        return {{"ok", error_.empty()}, {"message", message_}};
    }
    if (op == "upload_base64") {
        // Tests: the same path as the Upload button, bytes given as base64.
        const std::string b64 = request.value("data", "");
        std::vector<uint8_t> bytes;
        int val = 0, bits = -8;
        for (unsigned char c : b64) {
            int d;
            if (c >= 'A' && c <= 'Z') d = c - 'A';
            else if (c >= 'a' && c <= 'z') d = c - 'a' + 26;
            else if (c >= '0' && c <= '9') d = c - '0' + 52;
            else if (c == '+') d = 62;
            else if (c == '/') d = 63;
            else continue;
            val = (val << 6) | d;
            bits += 6;
            if (bits >= 0) {
                bytes.push_back(uint8_t((val >> bits) & 0xFF));
                bits -= 8;
            }
        }
        on_upload(std::move(bytes), request.value("name", "upload.safetensors"));
        return {{"ok", error_.empty()}, {"message", message_}, {"error", error_}};
    }
    return {{"error", "train panel: unknown op \"" + op + "\" (steps, history, reset, use, upload_base64)"}};
}

const bool registered = app::register_panel(
    []() -> std::unique_ptr<app::Panel> { return std::make_unique<TrainPanel>(); }, 60);

}  // namespace

// Called by the upload file chooser (genlab_train_open_upload_js) with the file's bytes.
extern "C" EMSCRIPTEN_KEEPALIVE void genlab_train_upload(const uint8_t* bytes, int length,
                                                         const char* name) {
    if (!g_train_panel) return;
    g_train_panel->on_upload(std::vector<uint8_t>(bytes, bytes + std::max(0, length)),
                             name ? name : "upload.safetensors");
}
