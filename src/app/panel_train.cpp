// Panel 6, "Train": trains a tiny VAE or GAN on an MNIST subset, or a char-RNN on pasted text
// (default: a Jargon File excerpt), live in the page. The training itself is a train::TrainJob
// driven by a train::JobRunner (src/train/job*.cpp): in a Web Worker (web/genlab-train.js ->
// web/genlab-train-worker.js -> src/worker/worker_main.cpp) so the page keeps its frame rate,
// or, when workers are unavailable, the same runner here in time slices of each frame. This file
// keeps only the UI and its state: the commands it sends and the snapshots it draws.
// Trained weights download as safetensors (with the model metadata, so every panel and the CLI
// accept them) or go straight into the other panels.
//
// The page side (download, the Upload file chooser, the worker client) is app::page (bridge.h);
// bridge.cpp hands the upload and the worker's messages to app::on_train_*() at the end.
//
// [SECTION] Backend   — worker or page: commands out, snapshots and weights in
// [SECTION] Data      — MNIST subset and corpus excerpt, fetched from data/ and handed over
// [SECTION] UI
// [SECTION] State     — window.genlab state()/set()/query()
#include "app/app.h"
#include "app/fonts.h"
#include "app/plot.h"
#include "app/app_internal.h"
#include "app/bridge.h"
#include "app/textures.h"
#include "app/ui_models.h"
#include "io/safetensors.h"
#include "io/text_corpus.h"
#include "models/char_rnn.h"
#include "models/gan.h"
#include "models/vae.h"
#include "schema/panel_schema.h"
#include "train/job_runner.h"

#include "imgui.h"

#include <malloc.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using train::JobKind;

constexpr const char* kWorkerClient = "train";  // web/genlab-train.js client name
constexpr const char* kMnistTrainFile = "mnist-train-subset.bin";
constexpr const char* kCorpusFile = "corpus-excerpt.txt";
constexpr double kSliceMs = 9.0;            // page fallback: training time per frame
constexpr double kWorkerStartMs = 30000;    // a worker not ready by then counts as failed
constexpr size_t kMaxHistory = 200000;

enum class Backend { None, Starting, Worker, Page };

double ms_now() { return train::now_ms(); }

class TrainPanel : public app::Panel, public app::TrainWorkerClient {
public:
    const char* id() const override { return "train"; }
    const char* title() const override { return "Train"; }

    TrainPanel();
    void draw() override;
    void tick(double budget_ms) override;
    nlohmann::json state() const override;
    std::string describe() override {
        const char* model = kind_ == JobKind::Vae ? "VAE" : kind_ == JobKind::Gan ? "GAN" : "char-RNN";
        const char* units = kind_ == JobKind::Vae ? " nats (-ELBO)" : kind_ == JobKind::Gan ? " (D loss)" : " bits/char";
        char out[160];
        // While running, the step in hundreds: a screen reader hears progress, not a counter.
        const long long step = running_ ? (long long)(step_ / 100 * 100) : (long long)step_;
        const float loss = last_loss(0);
        if (std::isfinite(loss))
            std::snprintf(out, sizeof out, "%s the %s in the page: step %lld, loss %.3g%s", running_ ? "training" : "paused:",
                          model, step, double(loss), units);
        else
            std::snprintf(out, sizeof out, "%s the %s in the page: step %lld", running_ ? "training" : "ready to train",
                          model, step);
        return out;
    }
    void set_state(const nlohmann::json& state) override;
    nlohmann::json query(const nlohmann::json& request) override;

    void on_upload(std::vector<uint8_t> bytes, const std::string& name);
    // From the worker client "train" (app::TrainWorkerClient).
    void on_worker_status(bool ok, const std::string& message) override;
    void on_snapshot(const std::string& header, const float* floats, size_t count) override;
    void on_weights(const std::string& purpose, const std::string& file, const std::string& label,
                    const std::string& error, std::vector<uint8_t> bytes) override;
    void on_reply(const std::string& reply) override;

private:
    // backend
    void ensure_backend();
    void fall_back_to_page(const std::string& why);
    bool backend_ready() const { return backend_ == Backend::Worker || backend_ == Backend::Page; }
    void send(const nlohmann::json& command);
    void send_setup();
    void sync_data();
    void apply_snapshot(const train::JobSnapshot& s);
    void request_weights(const char* purpose);
    void deliver_weights(const std::string& purpose, const std::string& file, const std::string& label,
                         std::vector<uint8_t> bytes);
    // actions
    void reset();
    void set_running(bool running);
    void download() { request_weights("download"); }
    void use_in_panel() { request_weights("use"); }
    float last_loss(size_t series = 0) const;
    void draw_latent_preview(float width, float height);

    const schema::PanelSchema& schema_ = schema::panel("train");
    JobKind kind_ = JobKind::Vae;
    train::JobSettings settings_[3] = {train::default_job_settings(JobKind::Vae),
                                       train::default_job_settings(JobKind::Gan),
                                       train::default_job_settings(JobKind::Rnn)};
    int rnn_cell_ = train::default_job_settings(JobKind::Rnn).cell == "gru" ? 1 : 0;  // 0 lstm, 1 gru
    bool running_ = false;       // what the learner asked for
    bool wanted_ = false;        // the panel was shown or driven: fetch data, start the backend
    uint64_t seed_ = 1;
    std::string error_, message_;

    // backend
    Backend backend_ = Backend::None;
    bool force_page_ = false;    // state {"backend": "page"}: benchmarks of the old path
    std::string backend_note_;   // why training runs on the page
    double worker_started_ms_ = 0;
    train::JobRunner local_;     // the page fallback
    int setup_id_ = 0;
    bool setup_dirty_ = true, text_dirty_ = true;
    int mnist_sent_generation_ = -1;
    int corpus_generation_ = -1;
    nlohmann::json worker_heap_ = nullptr;

    // data
    std::vector<char> user_text_ = std::vector<char>(65536, '\0');
    bool use_user_text_ = false;
    size_t text_length_ = 0;

    // the mirror of the job (from snapshots)
    bool ready_ = false;
    int64_t step_ = 0;
    std::vector<std::string> series_names_;
    std::vector<std::vector<float>> series_;
    train::JobPreview preview_;
    bool preview_dirty_ = false;
    double steps_per_second_ = 0, ms_per_step_ = 0;
    int64_t items_per_step_ = 0;
    std::string describe_, guard_message_;
    int guard_events_ = 0;
    int64_t snapshots_ = 0;

    // UI-thread time spent on training per frame (tick + snapshot handling), smoothed
    double train_ms_accum_ = 0, train_ms_ = 0, train_ms_max_ = 0;

    app::GrayTexture samples_texture_;

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
    app::register_train_worker_client(kWorkerClient, this);
    const char* hint = "Paste your own text here (a few KB or more), then tick the box above "
                       "and press Reset.";
    std::snprintf(user_text_.data(), user_text_.size(), "%s", hint);
}

// ---------------------------------------------------------------------------------------------
// [SECTION] Backend

void TrainPanel::ensure_backend() {
    if (backend_ == Backend::None) {
        if (force_page_) {
            fall_back_to_page("page training was asked for (backend=page)");
        } else if (app::page::train_worker_start(kWorkerClient)) {
            backend_ = Backend::Starting;
            worker_started_ms_ = ms_now();
        } else {
            fall_back_to_page("this browser has no Web Workers");
        }
    } else if (backend_ == Backend::Starting && ms_now() - worker_started_ms_ > kWorkerStartMs) {
        app::page::train_worker_stop(kWorkerClient);
        fall_back_to_page("the training worker did not start within 30 s");
    }
}

void TrainPanel::fall_back_to_page(const std::string& why) {
    backend_ = Backend::Page;
    backend_note_ = why;
    local_ = train::JobRunner();
    // Everything the worker had goes to the page runner.
    setup_dirty_ = true;
    text_dirty_ = true;
    mnist_sent_generation_ = -1;
}

void TrainPanel::on_worker_status(bool ok, const std::string& message) {
    if (ok) {
        if (backend_ == Backend::Starting) backend_ = Backend::Worker;
        return;
    }
    if (backend_ == Backend::Page) return;
    app::page::train_worker_stop(kWorkerClient);
    fall_back_to_page("the training worker failed (" + message + ")");
}

void TrainPanel::send(const nlohmann::json& command) {
    if (backend_ == Backend::Worker) {
        app::page::train_worker_command(kWorkerClient, command.dump());
    } else if (backend_ == Backend::Page) {
        const nlohmann::json reply = local_.command(command);
        if (reply.contains("error")) error_ = reply["error"].get<std::string>();
    }
}

void TrainPanel::send_setup() {
    const train::JobSettings& s = settings_[int(kind_)];
    ++setup_id_;
    ready_ = false;
    step_ = 0;
    series_.clear();
    series_names_.clear();
    preview_ = train::JobPreview();
    preview_dirty_ = true;
    steps_per_second_ = ms_per_step_ = 0;
    guard_events_ = 0;
    guard_message_.clear();
    send({{"cmd", "setup"}, {"kind", train::job_kind_name(kind_)}, {"seed", seed_}, {"id", setup_id_},
          {"hparams", {{"lr", s.lr}, {"batch", s.batch}, {"cell", rnn_cell_ == 1 ? "gru" : "lstm"}}}});
    if (running_) send({{"cmd", "play"}});
    setup_dirty_ = false;
}

// Hands the data of the current kind to the backend once it is fetched (and again when it
// changes); the runner resets the job when its data arrives.
void TrainPanel::sync_data() {
    if (!backend_ready()) return;
    if (setup_dirty_) send_setup();
    auto hand_over = [&](const char* what, const std::vector<uint8_t>& bytes) {
        if (backend_ == Backend::Worker) {
            app::page::train_worker_data(kWorkerClient, what, bytes.data(), bytes.size());
        } else {
            const std::string e = std::string(what) == "mnist"
                                      ? local_.set_mnist_bytes(bytes)
                                      : local_.set_text(std::string(bytes.begin(), bytes.end()));
            if (!e.empty()) error_ = e;
        }
    };
    if (kind_ != JobKind::Rnn) {
        app::DataSlot& slot = app::request_data(kMnistTrainFile);
        if (slot.status == app::WeightsStatus::Ready && mnist_sent_generation_ != slot.generation) {
            mnist_sent_generation_ = slot.generation;
            hand_over("mnist", slot.bytes);
        }
        return;
    }
    if (use_user_text_) {
        if (!text_dirty_) return;
        text_dirty_ = false;
        const std::string text(user_text_.data());
        text_length_ = io::normalize_text(text).size();
        if (text_length_ < 2) {
            error_ = "the pasted text is too short: paste at least a few sentences, then Reset";
            return;
        }
        hand_over("text", std::vector<uint8_t>(text.begin(), text.end()));
        return;
    }
    app::DataSlot& slot = app::request_data(kCorpusFile);
    if (slot.status != app::WeightsStatus::Ready) return;
    if (text_dirty_ || corpus_generation_ != slot.generation) {
        text_dirty_ = false;
        corpus_generation_ = slot.generation;
        text_length_ = slot.bytes.size();
        hand_over("text", slot.bytes);
    }
}

void TrainPanel::apply_snapshot(const train::JobSnapshot& s) {
    if (s.setup_id != setup_id_) return;  // from an earlier setup, still in flight
    ++snapshots_;
    if (!s.error.empty()) {
        error_ = s.error;
        running_ = running_ && s.running;
    }
    ready_ = s.ready;
    step_ = s.step;
    if (!s.ready) return;
    if (s.series_names != series_names_) {
        series_names_ = s.series_names;
        series_.assign(series_names_.size(), {});
    }
    for (size_t k = 0; k < series_.size() && k < s.series.size(); ++k) {
        std::vector<float>& h = series_[k];
        // The NaN guard rewinds: drop the history after the restored step.
        const size_t from = size_t(std::max<int64_t>(0, s.series_from));
        if (h.size() > from) h.resize(from);
        h.insert(h.end(), s.series[k].begin(), s.series[k].end());
        if (h.size() > kMaxHistory) h.erase(h.begin(), h.begin() + kMaxHistory / 2);
    }
    if (s.has_preview) {
        preview_ = s.preview;
        preview_dirty_ = true;
    }
    steps_per_second_ = s.steps_per_second;
    ms_per_step_ = s.ms_per_step;
    items_per_step_ = s.items_per_step;
    describe_ = s.describe;
    if (s.guard_events > guard_events_) {
        message_ = "NaN guard: " + s.guard_message;
        settings_[int(kind_)].lr = s.lr;  // the guard halved it
    }
    guard_events_ = s.guard_events;
    guard_message_ = s.guard_message;
}

void TrainPanel::on_snapshot(const std::string& header, const float* floats, size_t count) {
    const double t0 = ms_now();
    try {
        const nlohmann::json h = nlohmann::json::parse(header);
        if (h.contains("heap")) worker_heap_ = h["heap"];
        apply_snapshot(train::unpack_snapshot(h, floats, count));
    } catch (const std::exception& e) {
        error_ = std::string("training worker snapshot: ") + e.what();
    }
    train_ms_accum_ += ms_now() - t0;
}

void TrainPanel::on_reply(const std::string& reply) {
    const nlohmann::json r = nlohmann::json::parse(reply, nullptr, false);
    if (r.is_object() && r.contains("error") && r["error"].is_string()) error_ = r["error"].get<std::string>();
}

void TrainPanel::request_weights(const char* purpose) {
    if (!ready_) return;
    if (backend_ == Backend::Worker) {
        app::page::train_worker_serialise(kWorkerClient, purpose);
        return;
    }
    try {
        std::string file, label;
        std::vector<uint8_t> bytes = local_.serialise(file, label);
        deliver_weights(purpose, file, label, std::move(bytes));
    } catch (const std::exception& e) {
        error_ = e.what();
    }
}

void TrainPanel::on_weights(const std::string& purpose, const std::string& file, const std::string& label,
                            const std::string& error, std::vector<uint8_t> bytes) {
    if (!error.empty()) {
        error_ = error;
        return;
    }
    deliver_weights(purpose, file, label, std::move(bytes));
}

void TrainPanel::deliver_weights(const std::string& purpose, const std::string& file,
                                 const std::string& label, std::vector<uint8_t> bytes) {
    try {
        if (purpose == "download") {
            const std::string name = "browser-" + file;
            app::page::download(bytes, name);
            message_ = "downloaded " + name + " (" + std::to_string(bytes.size()) + " bytes)";
        } else {
            app::provide_weights(file, std::move(bytes), label);
            message_ = "the " + label + " now replaces weights/" + file + " in the other panels";
        }
    } catch (const std::exception& e) {
        error_ = e.what();
    }
}

void TrainPanel::reset() {
    running_ = false;
    message_.clear();
    error_.clear();
    setup_dirty_ = true;
    if (kind_ == JobKind::Rnn) text_dirty_ = true;
    sync_data();
}

void TrainPanel::set_running(bool running) {
    running_ = running;
    send({{"cmd", running ? "play" : "pause"}});
}

void TrainPanel::tick(double budget_ms) {
    // What the last frame spent on training outside tick (snapshot handling) plus its tick.
    train_ms_ = 0.9 * train_ms_ + 0.1 * train_ms_accum_;
    train_ms_max_ = std::max(train_ms_max_ * 0.999, train_ms_accum_);
    train_ms_accum_ = 0;
    if (!wanted_) return;
    const double t0 = ms_now();
    ensure_backend();
    sync_data();
    if (backend_ == Backend::Page) {
        const double slice = std::min(kSliceMs, std::max(1.0, budget_ms - 1.0));
        local_.run(slice);
        if (local_.snapshot_due(false)) apply_snapshot(local_.take_snapshot());
    }
    train_ms_accum_ += ms_now() - t0;
}

float TrainPanel::last_loss(size_t k) const {
    if (k >= series_.size() || series_[k].empty()) return NAN;
    // Mean of the last 20 steps: one minibatch is noisy.
    const std::vector<float>& v = series_[k];
    const size_t n = std::min<size_t>(20, v.size());
    double sum = 0;
    for (size_t i = v.size() - n; i < v.size(); ++i) sum += v[i];
    return float(sum / double(n));
}

// ---------------------------------------------------------------------------------------------
// Weights in: an uploaded file goes to the panel it belongs to

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

// Colours of the curves: the main loss, a second series, D(real), D(fake).
constexpr ImU32 kLossColor = IM_COL32(90, 170, 255, 255);
constexpr ImU32 kSecondColor = IM_COL32(235, 130, 90, 255);
constexpr ImU32 kRealColor = IM_COL32(110, 200, 120, 255);
constexpr ImU32 kFakeColor = IM_COL32(235, 130, 90, 255);

// The VAE's latent map: the encoded training digits, coloured by label, with axes, in a box of
// about width x height.
void TrainPanel::draw_latent_preview(float width, float height) {
    // Latent map: the encoded training digits, coloured by label.
    const int n = int(preview_.points.size() / 2);
    ImGui::Text("latent map (means of %d training digits)", n);
    float range = 3.0f;  // the prior's bulk, widened to fit every point
    for (float v : preview_.points) range = std::max(range, std::abs(v));
    range = std::ceil(range * 1.05f);
    const app::plot::Axis zx{-range, range, "z1"}, zy{-range, range, "z2"};
    const float side = app::plot::square_side_for(ImVec2(width, height), zx, zy);
    ImVec2 total;
    const app::plot::Frame f = app::plot::square_frame(ImGui::GetCursorScreenPos(), side, zx, zy, &total);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(f.min, f.max, IM_COL32(20, 22, 28, 255));
    app::plot::draw_axes(dl, f, true);
    dl->PushClipRect(f.min, f.max, true);
    for (int i = 0; i < n; ++i) {
        const int label = i < int(preview_.point_labels.size()) ? int(preview_.point_labels[size_t(i)]) : 0;
        dl->AddCircleFilled(f.to_screen(preview_.points[size_t(2 * i)], preview_.points[size_t(2 * i + 1)]), 2.5f,
                            app::label_color(label, 0.9f));
    }
    dl->PopClipRect();
    ImGui::Dummy(total);
}

void TrainPanel::draw() {
    wanted_ = true;
    ImGui::TextWrapped("Train a tiny model right here: every step runs in this page. Loss curves, "
                       "samples and the latent map update as it learns.");
    if (backend_ == Backend::Worker)
        ImGui::TextDisabled("Training runs in a Web Worker, so the page stays smooth.");
    else if (backend_ == Backend::Starting)
        ImGui::TextDisabled("Starting the training worker...");
    else if (backend_ == Backend::Page)
        ImGui::TextColored(ImVec4(0.95f, 0.8f, 0.4f, 1.0f),
                           "Training on this page between frames (slower): %s.", backend_note_.c_str());
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
        kind_ = JobKind(kind);
        reset();
    }

    // Data status.
    if (kind_ != JobKind::Rnn) {
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

    train::JobSettings& s = settings_[int(kind_)];
    if (app::Control c("play"); c) {
        ImGui::BeginDisabled(!ready_);
        if (ImGui::Button(running_ ? "Pause" : "Play", ImVec2(80, 0))) set_running(!running_);
        note_widget("play");
        ImGui::SameLine();
        if (ImGui::Button("Step", ImVec2(60, 0))) {
            set_running(false);
            send({{"cmd", "step"}, {"n", 1}});
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
        const schema::Key& lr = schema_.key("lr");  // a log10 slider over the one lr range
        if (ImGui::SliderFloat("##lr", &log_lr, lr.slider_lo(), lr.slider_hi(), lr_text)) {
            s.lr = std::pow(10.0f, log_lr);
            send({{"cmd", "hparams"}, {"hparams", {{"lr", s.lr}}}});
        }
        ImGui::SameLine();
    }
    if (app::Control c("batch"); c) {
        ImGui::SetNextItemWidth(110);
        const schema::Key& batch = schema_.key("batch");
        if (ImGui::SliderInt(kind_ == JobKind::Rnn ? "streams (on Reset)" : "batch", &s.batch,
                             int(batch.slider_lo()), int(batch.slider_hi())) &&
            kind_ != JobKind::Rnn)
            send({{"cmd", "hparams"}, {"hparams", {{"batch", s.batch}}}});
    } else {
        ImGui::NewLine();
    }

    // Throughput.
    ImGui::Text("step %lld   %.1f steps/s   %.0f %s/s   (%.1f ms per step)", (long long)step_,
                steps_per_second_, steps_per_second_ * double(items_per_step_),
                kind_ == JobKind::Rnn ? "chars" : "samples", ms_per_step_);
    if (!describe_.empty()) ImGui::TextDisabled("%s", describe_.c_str());
    if (!error_.empty()) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(ImVec4(1.0f, 0.55f, 0.5f, 1.0f), "%s", error_.c_str());
        ImGui::PopTextWrapPos();
    }
    if (!message_.empty()) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(ImVec4(0.6f, 0.9f, 0.6f, 1.0f), "%s", message_.c_str());
        ImGui::PopTextWrapPos();
    }

    // Weights out / in.
    if (app::Control c("weights"); c) {
        ImGui::BeginDisabled(!ready_);
        if (ImGui::Button("Download .safetensors")) download();
        note_widget("download");
        ImGui::SameLine();
        const char* use_label = kind_ == JobKind::Vae   ? (narrow ? "Use in the VAE panels" : "Use in the latent map / VAE panels")
                                : kind_ == JobKind::Gan ? "Use in the GAN panel"
                                                        : "Use in the Text panel";
        if (ImGui::Button(use_label)) use_in_panel();
        note_widget("use");
        ImGui::EndDisabled();
        if (!narrow) ImGui::SameLine();
        if (ImGui::Button("Upload .safetensors...")) app::page::open_upload(".safetensors");
        note_widget("upload");
    }

    ImGui::Separator();
    // Left: loss curves; right: samples. Narrow: curves above the samples instead of beside them.
    const ImVec2 below = ImGui::GetContentRegionAvail();
    // Narrow: the panel scrolls, so each part gets the height it needs.
    const ImVec2 curves_size = narrow ? ImVec2(0, std::max(340.0f, below.y * 0.5f))
                                      : ImVec2(std::max(260.0f, below.x * 0.45f), 0);
    ImGui::BeginChild("train_curves", curves_size, false, ImGuiWindowFlags_NavFlattened);
    static const std::vector<float> none;
    auto series = [&](size_t k) -> const std::vector<float>& { return k < series_.size() ? series_[k] : none; };
    // Losses on a log scale: the first steps are orders of magnitude above the rest. The GAN's
    // losses do not fall (the game stays near log 4 and log 2), so they keep a linear scale.
    const ImVec2 room = ImGui::GetContentRegionAvail();
    app::plot::LineChart chart;
    chart.x_label = "step";
    const float line_h = ImGui::GetTextLineHeight();
    if (kind_ == JobKind::Vae) {
        chart.y_label = "-ELBO (nats)";
        chart.units = " nats";
        chart.log_y = true;
        app::plot::line_chart("loss", ImVec2(0, std::max(8 * line_h, room.y * 0.58f)), chart,
                         {{&series(0), kLossColor, "-ELBO", last_loss(0)}});
        chart.y_label = "KL (nats)";
        app::plot::line_chart("kl", ImVec2(0, 0), chart,
                         {{&series(1), kSecondColor, "KL", last_loss(1)}});
    } else if (kind_ == JobKind::Gan) {
        chart.y_label = "loss (nats)";
        app::plot::line_chart("losses", ImVec2(0, std::max(8 * line_h, room.y * 0.45f)), chart,
                         {{&series(0), kLossColor, "D", last_loss(0)}, {&series(1), kSecondColor, "G", last_loss(1)}});
        chart.y_label = "D's mean score (0.5 = balanced game)";
        chart.fixed_y = true;
        chart.y_lo = 0;
        chart.y_hi = 1;
        app::plot::line_chart("scores", ImVec2(0, 0), chart,
                         {{&series(2), kRealColor, "D(real)", last_loss(2)}, {&series(3), kFakeColor, "D(fake)", last_loss(3)}});
    } else {
        chart.y_label = "loss (bits/char)";
        chart.units = " bits/char";
        chart.log_y = true;
        app::plot::line_chart("bpc", ImVec2(0, std::max(8 * line_h, room.y * 0.4f)), chart,
                         {{&series(0), kLossColor, "loss", last_loss(0)}});
        if (!series(1).empty()) ImGui::TextDisabled("learning rate now %.1e (warm-up, then cosine decay)", series(1).back());
        ImGui::TextDisabled("text %zu characters", text_length_);
        ImGui::TextUnformatted("Your text:");
        ImGui::PushFont(app::mono_font());
        ImGui::InputTextMultiline("##user_text", user_text_.data(), user_text_.size(), ImVec2(-1, -1));
        ImGui::PopFont();
    }
    ImGui::EndChild();
    if (!narrow) ImGui::SameLine();
    ImGui::BeginChild("train_samples", ImVec2(0, narrow ? std::max(260.0f, below.x * 0.55f + 3 * ImGui::GetTextLineHeight()) : 0.0f), false,
                      ImGuiWindowFlags_NavFlattened);
    if (kind_ == JobKind::Rnn) {
        ImGui::TextUnformatted("sample (T = 0.8)");
        ImGui::PushTextWrapPos(0.0f);
        ImGui::PushFont(app::mono_font());
        ImGui::TextUnformatted(preview_.text.c_str());
        ImGui::PopFont();
        ImGui::PopTextWrapPos();
    } else if (preview_.image_side > 0) {
        const int side = preview_.image_side;
        if (preview_dirty_) samples_texture_.upload(preview_.image.data(), side, side);
        preview_dirty_ = false;
        // VAE: the decoded grid and the latent map side by side, as large as the space allows.
        const ImVec2 space = ImGui::GetContentRegionAvail();
        const float line = ImGui::GetTextLineHeightWithSpacing();
        const bool with_map = kind_ == JobKind::Vae && !preview_.points.empty();
        const float gap = ImGui::GetStyle().ItemSpacing.x * 2;
        const float size = std::max(80.0f, std::min(with_map ? (space.x - gap) * 0.5f : space.x, space.y - line - 4));
        ImGui::BeginGroup();
        ImGui::TextUnformatted(kind_ == JobKind::Vae ? "decoded latent grid, z in [-2.5, 2.5]^2"
                                                     : "16 samples from fixed z (EMA generator)");
        ImGui::Image(samples_texture_.im_id(), ImVec2(size, size));
        ImGui::EndGroup();
        if (with_map) {
            ImGui::SameLine(0, gap);
            ImGui::BeginGroup();
            draw_latent_preview(size, space.y - line);
            ImGui::EndGroup();
        }
    }
    ImGui::EndChild();
}

// ---------------------------------------------------------------------------------------------
// [SECTION] State

nlohmann::json TrainPanel::state() const {
    const train::JobSettings& s = settings_[int(kind_)];
    const char* backend = backend_ == Backend::Worker ? "worker" : backend_ == Backend::Page ? "page"
                          : backend_ == Backend::Starting ? "starting" : "none";
    const struct mallinfo info = mallinfo();
    nlohmann::json out = {
        {"kind", train::job_kind_name(kind_)},
        {"lr", s.lr},
        {"batch", s.batch},
        {"running", running_},
        {"step", step_},
        {"ready", ready_},
        {"backend", backend},
        {"steps_per_second", steps_per_second_},
        {"items_per_step", items_per_step_},
        {"items_per_second", steps_per_second_ * double(items_per_step_)},
        {"ms_per_step", ms_per_step_},
        {"history", series_.empty() ? size_t(0) : series_[0].size()},
        {"use_user_text", use_user_text_},
        {"cell", rnn_cell_ == 1 ? "gru" : "lstm"},
        {"guard_events", guard_events_},
        {"snapshots", snapshots_},
        // UI-thread milliseconds per frame spent on training (tick + snapshot handling).
        {"train_ms", train_ms_},
        {"train_ms_max", train_ms_max_},
        {"page_heap", {{"heap_bytes", app::page::heap_bytes()}, {"heap_used", double(info.uordblks)}}},
    };
    if (!backend_note_.empty()) out["backend_note"] = backend_note_;
    if (!worker_heap_.is_null()) out["worker_heap"] = worker_heap_;
    if (!guard_message_.empty()) out["guard_message"] = guard_message_;
    if (!series_.empty() && !series_[0].empty()) {
        out["last_loss"] = last_loss(0);
        if (series_.size() > 1 && !series_[1].empty()) out["last_loss2"] = series_[1].back();
        if (kind_ == JobKind::Gan && series_.size() == 4) {
            out["d_real"] = last_loss(2);
            out["d_fake"] = last_loss(3);
        }
    }
    if (!error_.empty()) out["error"] = error_;
    if (!message_.empty()) out["message"] = message_;
    if (kind_ == JobKind::Rnn) out["sample"] = preview_.text;
    nlohmann::json widgets = nlohmann::json::object();
    for (const auto& [name, r] : widgets_) widgets[name] = {r[0], r[1], r[2], r[3]};
    out["widgets"] = widgets;
    return out;
}

void TrainPanel::set_state(const nlohmann::json& st) {
    wanted_ = true;
    if (st.contains("backend")) {
        // Only before training started: "page" forces the time-sliced path (benchmarks).
        const std::string b = st["backend"].get<std::string>();
        if (b != "page" && b != "worker") throw std::invalid_argument("backend must be \"worker\" or \"page\"");
        if (b == "page" && backend_ != Backend::Page) {
            if (backend_ == Backend::Starting || backend_ == Backend::Worker) app::page::train_worker_stop(kWorkerClient);
            force_page_ = true;
            fall_back_to_page("page training was asked for (backend=page)");
        }
    }
    bool setup = false;
    // Keys, types and ranges: schema::panel("train") (src/schema/panel_schema.cpp).
    if (st.contains("kind")) {
        const JobKind kind = train::parse_job_kind(schema_.key("kind").word(st["kind"]));
        if (kind != kind_) {
            kind_ = kind;
            running_ = false;
            error_.clear();
            message_.clear();
            setup = true;
        }
    }
    train::JobSettings& s = settings_[int(kind_)];
    nlohmann::json live = nlohmann::json::object();
    if (st.contains("lr")) {
        const float lr = float(schema_.key("lr").number(st["lr"]));
        s.lr = live["lr"] = lr;
    }
    if (st.contains("batch")) {
        const int b = int(schema_.key("batch").integer(st["batch"]));
        s.batch = b;
        if (kind_ == JobKind::Rnn) setup = true;
        else live["batch"] = b;
    }
    if (st.contains("cell")) {
        const int cell = schema_.key("cell").word(st["cell"]) == "gru" ? 1 : 0;
        if (cell != rnn_cell_ && kind_ == JobKind::Rnn) setup = true;
        rnn_cell_ = cell;
    }
    if (st.contains("text")) {
        const std::string t = st["text"].get<std::string>();
        std::snprintf(user_text_.data(), user_text_.size(), "%s", t.c_str());
        use_user_text_ = true;
        text_dirty_ = true;
        if (kind_ == JobKind::Rnn) setup = true;
    }
    if (setup) {
        setup_dirty_ = true;
    } else if (!live.empty()) {
        send({{"cmd", "hparams"}, {"hparams", live}});
    }
    if (st.contains("running")) {
        running_ = st["running"].get<bool>();
        if (!setup_dirty_) send({{"cmd", running_ ? "play" : "pause"}});
    }
    ensure_backend();
    sync_data();
}

nlohmann::json TrainPanel::query(const nlohmann::json& request) {
    wanted_ = true;
    const std::string op = request.value("op", "");
    if (op == "steps") {
        const int n = request.value("n", 1);
        if (n < 1 || n > 100000) return {{"error", "n must be in [1, 100000]"}};
        ensure_backend();
        sync_data();
        if (!ready_ && backend_ != Backend::Page)
            return {{"error", error_.empty() ? "training data not loaded yet" : error_}};
        if (backend_ != Backend::Page) {
            // The worker steps asynchronously: the steps show up in state().step and history.
            send({{"cmd", "step"}, {"n", n}});
            return {{"queued", n}, {"backend", "worker"}, {"from_step", step_}};
        }
        if (!local_.job() || !local_.job()->ready())
            return {{"error", error_.empty() ? "training data not loaded yet" : error_}};
        const size_t before = series_.empty() ? 0 : series_[0].size();
        const double t0 = ms_now();
        send({{"cmd", "step"}, {"n", n}});
        const int done = local_.run(1e300);
        const double ms = ms_now() - t0;
        apply_snapshot(local_.take_snapshot());
        nlohmann::json out = {{"steps", done}, {"ms", ms}, {"backend", "page"}, {"items_per_step", items_per_step_}};
        for (size_t k = 0; k < series_.size() && k < 2; ++k) {
            nlohmann::json v = nlohmann::json::array();
            for (size_t i = std::min(before, series_[k].size()); i < series_[k].size(); ++i) v.push_back(series_[k][i]);
            out[k == 0 ? "losses" : "losses2"] = v;
        }
        if (!error_.empty()) out["error"] = error_;
        return out;
    }
    if (op == "history") {
        nlohmann::json named = nlohmann::json::object();
        for (size_t k = 0; k < series_.size() && k < series_names_.size(); ++k) named[series_names_[k]] = series_[k];
        static const std::vector<float> none;
        return {{"losses", series_.size() > 0 ? series_[0] : none},
                {"losses2", series_.size() > 1 ? series_[1] : none},
                {"series", named},
                {"step", step_}};
    }
    if (op == "reset") {
        reset();
        return {{"ok", true}};
    }
    if (op == "use" || op == "download") {
        if (!ready_) return {{"ok", false}, {"error", "nothing trained yet"}};
        request_weights(op.c_str());
        return {{"ok", error_.empty()}, {"message", message_}, {"pending", backend_ == Backend::Worker}};
    }
    if (op == "command") {
        // Tests: a raw command to the runner (bad ones must come back as an error, not a crash).
        send(request.value("command", nlohmann::json()));
        return {{"ok", true}, {"backend", backend_ == Backend::Worker ? "worker" : "page"}};
    }
    return {{"error", "train panel: unknown op \"" + op + "\" (steps, history, reset, use, download, command)"}};
}

const bool registered = app::register_panel(
    []() -> std::unique_ptr<app::Panel> { return std::make_unique<TrainPanel>(); }, 60);

}  // namespace

// From the page, through bridge.cpp: the upload file chooser.
void app::on_train_upload(std::vector<uint8_t> bytes, const std::string& name) {
    if (g_train_panel) g_train_panel->on_upload(std::move(bytes), name);
}
