// Panel "Diffusion": latent flow matching over the VAEs (models/diffusion.h).
//   2-D (diffusion2 over vae2): particles start as Gaussian noise (t = 1) and flow along the
//     learned velocity field to the digit clusters of the latent map (t = 0); a time slider and
//     Play move t, trails show each particle's path, the first 16 particles are decoded at the
//     current t. "Train" fits a fresh 2-D model on the page's 6000-digit MNIST training subset
//     (encoded with vae2) while the particles re-flow through the forming field: in a training
//     worker (web/genlab-train.js client "diffusion", the job train::JobKind::Diffusion, whose
//     weights come back every kReflowEvery steps) or, without workers, time-sliced in tick().
//   16-D (diffusion16 over vae16): a grid of samples (same seed -> the pixels of
//     `genlab sample diffusion --seed S`), the denoising strip of the selected sample (the
//     decoded latent after each step), steps / guidance sliders, a digit picker.
//
// query ops: {"op":"particles"} -> {"t", "points": [[x,y]...] at the current t, "count"};
//            {"op":"pixels"} -> {"n", "pixels": [n*784 uint8]} of the 16-D grid;
//            {"op":"labels"} -> {"labels", "confidences"} of the 16-D grid (the classifier);
//            {"op":"to_screen", "point": [x, y]} -> {"x", "y"} on the 2-D map.
#include "app/app_internal.h"
#include "app/bridge.h"
#include "app/plot.h"
#include "app/ui_models.h"

#include "io/image_write.h"
#include "io/safetensors.h"
#include "models/diffusion.h"
#include "schema/panel_schema.h"
#include "train/diffusion_trainer.h"
#include "train/job.h"
#include "train/job_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace app {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kDiffusion2File = "diffusion2.safetensors";
constexpr const char* kDiffusion16File = "diffusion16.safetensors";
constexpr const char* kMnistTrainFile = "mnist-train-subset.bin";  // 6000 training digits
constexpr float kRange = 3.5f;         // the 2-D map shows [-kRange, kRange]^2
const plot::Axis kAxisX{-kRange, kRange, "z1"}, kAxisY{-kRange, kRange, "z2"};
constexpr int kThumbs = 16;            // decoded particles (4 x 4)
constexpr int kStripFrames = 10;       // denoising strip images
constexpr int kTrailParticles = 120;   // particles whose paths are drawn
constexpr double kPlaySeconds = 3.0;   // t from 1 to 0
constexpr double kTrainSliceMs = 9.0;  // page fallback: training time per frame
constexpr int kTrainSteps = train::kDiffusionJobSteps;  // one training run, worker or page
constexpr int kReflowEvery = 50;       // steps between re-flows of the particles while training
constexpr const char* kWorkerClient = "diffusion";  // web/genlab-train.js client name
constexpr double kWorkerStartMs = 30000;            // a worker not ready by then counts as failed

// Where the 2-D model trains: not yet asked, a worker starting or running, or this page.
enum class TrainBackend { None, Starting, Worker, Page };
const char* backend_name(TrainBackend b) {
    return b == TrainBackend::Worker ? "worker" : b == TrainBackend::Page ? "page" : b == TrainBackend::Starting ? "starting" : "";
}

// Loads a diffusion file of the given latent size whenever its slot delivers new bytes.
models::Diffusion* diffusion_model(const char* file, int latent, models::Diffusion& model, int& generation,
                                   models::DiffusionSampleOptions* defaults) {
    return loaded(file, model, generation, [&](models::Diffusion& m, const io::SafetensorsFile& data) {
        models::load_diffusion(m, data);
        if (m.config.latent != latent)
            throw std::runtime_error(data.source + ": " + std::to_string(m.config.latent) +
                                     "-D latents, this view needs " + std::to_string(latent) + "-D");
        if (defaults) *defaults = models::diffusion_default_sampling(data.metadata);
    });
}

class DiffusionPanel final : public Panel, public TrainWorkerClient {
public:
    DiffusionPanel() { register_train_worker_client(kWorkerClient, this); }
    const char* id() const override { return "diffusion"; }
    const char* title() const override { return "  Diffusion  "; }

    void draw() override {
        const bool narrow = narrow_layout();
        if (Control c("space"); c) {
            int space = two_d_ ? 0 : 1;
            ImGui::RadioButton(narrow ? "2-D (vae2)" : "2-D latent (vae2): watch the flow", &space, 0);
            ImGui::SameLine();
            ImGui::RadioButton(narrow ? "16-D (vae16)" : "16-D latent (vae16): samples", &space, 1);
            if ((space == 0) != two_d_) {
                two_d_ = space == 0;
                dirty_ = true;
            }
        }
        if (two_d_) draw_2d(narrow); else draw_16d(narrow);
    }

    nlohmann::json state() const override {
        nlohmann::json s = {{"space", two_d_ ? "2d" : "16d"}, {"seed", seed_}, {"steps", steps_},
                            {"guidance", guidance_}, {"label", label_}, {"t", t_}, {"playing", playing_},
                            {"trails", trails_}, {"n", two_d_ ? particles_ : grid_n_},
                            {"selected", selected_}, {"ready", ready_}, {"training", training_},
                            {"train_step", train_step_}, {"train_loss", train_loss_},
                            {"trained_in_page", trained_in_page_}, {"train_backend", backend_name(backend_)},
                            {"train_note", backend_note_}, {"train_reflows", reflows_},
                            {"train_error", train_error_}, {"sample_ms", sample_ms_}};
        return s;
    }

    std::string describe() override {
        char out[160];
        if (two_d_)
            std::snprintf(out, sizeof out, "2-D latent diffusion: %d particles at t = %.2f (noise at t = 1, digits at t = 0)%s",
                          particles_, t_, playing_ ? ", playing" : "");
        else if (label_ >= 0)
            std::snprintf(out, sizeof out, "16-D latent diffusion: %d samples of the digit %d, seed %d, %d steps", grid_n_,
                          label_, seed_, steps_);
        else
            std::snprintf(out, sizeof out, "16-D latent diffusion: %d samples, seed %d, %d steps", grid_n_, seed_, steps_);
        return out;
    }

    // Keys, types and ranges: schema::panel("diffusion") (src/schema/panel_schema.cpp).
    void set_state(const nlohmann::json& s) override {
        if (s.contains("space")) two_d_ = schema_.key("space").word(s["space"]) == "2d";
        if (s.contains("seed")) seed_ = int(schema_.key("seed").integer(s["seed"]));
        if (s.contains("steps")) steps_ = int(schema_.key("steps").integer(s["steps"]));
        if (s.contains("guidance")) guidance_ = float(schema_.key("guidance").number(s["guidance"]));
        if (s.contains("label")) label_ = int(schema_.key("label").integer(s["label"]));
        if (s.contains("n")) {
            const int n = s["n"].get<int>();
            if (two_d_) {
                if (n < 16 || n > 1000) throw std::invalid_argument("n must be 16..1000 particles");
                particles_ = n;
            } else {
                if (n < 1 || n > 36) throw std::invalid_argument("n must be 1..36 samples");
                grid_n_ = n;
            }
        }
        if (s.contains("t")) t_ = float(schema_.key("t").number(s["t"]));
        if (s.contains("playing")) {
            playing_ = s["playing"].get<bool>();
            if (playing_ && t_ <= 0.0f && !s.contains("t")) t_ = 1.0f;  // play from the noise
        }
        if (s.contains("trails")) trails_ = schema_.key("trails").flag(s["trails"]);
        if (s.contains("selected")) selected_ = std::max(0, s["selected"].get<int>());
        if (s.contains("training")) {
            if (s["training"].get<bool>()) start_training(); else stop_training();
        }
        if (s.value("shipped", false)) use_shipped();
        dirty_ = true;
    }

    nlohmann::json query(const nlohmann::json& request) override {
        const std::string op = request.value("op", "");
        if (op == "particles") {
            if (!ensure_2d()) return {{"error", "diffusion2 / vae2 weights not ready"}};
            nn::Matrix p;
            particles_at(p, t_);
            std::vector<std::vector<float>> points;
            for (Eigen::Index i = 0; i < p.rows(); ++i) points.push_back({p(i, 0), p(i, 1)});
            return {{"t", t_}, {"points", points}, {"count", p.rows()}};
        }
        if (op == "pixels") {
            if (!ensure_16d()) return {{"error", "diffusion16 / vae16 weights not ready"}};
            return {{"n", grid_n_}, {"seed", seed_}, {"pixels", io::floats_to_u8(images_)}};
        }
        if (op == "labels") {
            if (!ensure_16d()) return {{"error", "diffusion16 / vae16 weights not ready"}};
            if (labels_.size() != static_cast<size_t>(images_.rows())) classify_images(images_, labels_, confidences_);
            if (labels_.empty()) return {{"error", "classifier weights not ready"}};
            return {{"labels", labels_}, {"confidences", confidences_}};
        }
        if (op == "to_screen") {
            if (map_size_ <= 0) return {{"error", "the map has not been drawn yet"}};
            const ImVec2 p = to_screen(request.at("point").at(0).get<float>(), request.at("point").at(1).get<float>());
            return {{"x", p.x}, {"y", p.y}};
        }
        throw std::invalid_argument("unknown diffusion query op \"" + op + "\" (particles, pixels, labels, to_screen)");
    }

    void tick(double budget_ms) override {
        if (playing_) {
            t_ -= static_cast<float>(ImGui::GetIO().DeltaTime / kPlaySeconds);
            if (t_ <= 0) {
                t_ = 0;
                playing_ = false;
            }
        }
        if (!training_) return;
        if (backend_ == TrainBackend::Starting && train::now_ms() - worker_started_ms_ > kWorkerStartMs) {
            page::train_worker_stop(kWorkerClient);
            fall_back_to_page("the training worker did not start within 30 s");
        }
        if (backend_ == TrainBackend::Page) train_slice(std::min(kTrainSliceMs, std::max(1.0, budget_ms - 1.0)));
    }

    // ---- the training worker's messages (TrainWorkerClient) ----------------------------------
    void on_worker_status(bool ok, const std::string& message) override {
        if (ok) {
            if (backend_ == TrainBackend::Starting) backend_ = TrainBackend::Worker;
            send_worker_run();
            return;
        }
        if (backend_ == TrainBackend::Page) return;
        page::train_worker_stop(kWorkerClient);
        fall_back_to_page("the training worker failed (" + message + ")");
    }

    void on_snapshot(const std::string& header, const float* floats, size_t count) override {
        train::JobSnapshot s;
        try {
            s = train::unpack_snapshot(nlohmann::json::parse(header), floats, count);
        } catch (const std::exception& e) {
            train_error_ = std::string("training worker snapshot: ") + e.what();
            return;
        }
        if (s.setup_id != setup_id_ || !trained_in_page_) return;  // an earlier run, still in flight
        if (!s.error.empty()) {
            train_error_ = s.error;
            training_ = false;
        }
        if (!s.ready) return;
        train_step_ = s.step;
        if (!s.series.empty())
            for (float loss : s.series[0]) note_loss(loss);
        if (training_ && !s.busy && s.step >= kTrainSteps) training_ = false;
        request_worker_weights(s.busy);
    }

    void on_weights(const std::string& purpose, const std::string&, const std::string&, const std::string& error,
                    std::vector<uint8_t> bytes) override {
        if (purpose != weights_purpose()) return;  // asked for by an earlier run
        weights_pending_ = false;
        if (!error.empty()) {
            train_error_ = "training worker weights: " + error;
            return;
        }
        try {
            models::Diffusion model;
            models::load_diffusion(model, io::parse_safetensors(bytes, "the training worker's diffusion weights"));
            trained2_ = std::move(model);
            ++reflows_;
            dirty_ = true;
        } catch (const std::exception& e) {
            train_error_ = e.what();
        }
    }

    void on_reply(const std::string& reply) override {
        const nlohmann::json r = nlohmann::json::parse(reply, nullptr, false);
        if (r.is_object() && r.contains("error") && r["error"].is_string()) train_error_ = r["error"].get<std::string>();
    }

private:
    const schema::PanelSchema& schema_ = schema::panel("diffusion");
    bool two_d_ = true;
    int seed_ = 1, steps_ = 20, label_ = -1, selected_ = 0;
    float guidance_ = 1.5f, t_ = 0.0f;  // the shipped files' default_guidance
    bool playing_ = false, trails_ = true, dirty_ = true, ready_ = false;
    int particles_ = 300, grid_n_ = 16;
    // What the current samples were made from, to notice changes.
    std::string made_key_;
    int model_generation_ = -1;

    models::Diffusion shipped2_, shipped16_, trained2_;
    models::DiffusionSampleOptions defaults2_, defaults16_;
    int gen2_ = -1, gen16_ = -1;
    bool trained_in_page_ = false;

    std::vector<nn::Matrix> trajectory_;  // K+1 matrices [N, Z], t = 1 .. 0
    nn::Matrix images_;                   // 16-D grid [n, 784]
    std::vector<int> labels_;
    std::vector<float> confidences_;
    std::vector<GrayTexture> textures_;
    GrayTexture thumbs_tex_, strip_tex_;
    float thumbs_t_ = -1;
    int strip_for_ = -1;
    double sample_ms_ = 0;

    nn::Matrix map_points_;  // encoded test digits (vae2), the clusters
    std::vector<int> map_labels_;
    int map_data_generation_ = -1, map_vae_generation_ = -1;
    ImVec2 map_origin_;
    float map_size_ = 0;

    // Training of the 2-D model, in the worker or on the page.
    bool training_ = false;
    TrainBackend backend_ = TrainBackend::None;
    std::string backend_note_;        // why training runs on the page
    double worker_started_ms_ = 0;
    int setup_id_ = 0;                // the current run; the worker echoes it in every snapshot
    bool worker_run_sent_ = false;
    std::vector<uint8_t> latents_wire_;  // the run's latents for the worker (train::pack_latents)
    int64_t weights_step_ = 0;        // the step the worker's last weights were asked for at
    bool weights_pending_ = false;
    int reflows_ = 0;                 // new weights of trained2_ from the worker this run
    nn::Matrix train_latents_;        // raw latents [N, 2] of the run
    train::DiffusionTrainer trainer_; // page fallback
    nn::Matrix train_data_;           // page fallback: train_latents_ normalised by trained2_
    std::vector<int> train_labels_;
    int64_t train_step_ = 0;
    float train_loss_ = 0;
    int64_t flowed_at_step_ = -1;
    io::MnistSplit train_split_;
    bool train_split_ok_ = false;
    int train_data_generation_ = -1;
    std::string train_error_;

    models::DiffusionSampleOptions options(const models::DiffusionSampleOptions& defaults) const {
        models::DiffusionSampleOptions o = defaults;
        o.steps = steps_;
        o.guidance = guidance_;
        return o;
    }

    std::vector<int> labels_for(const models::Diffusion& model, int n) const {
        if (label_ < 0 || model.config.classes == 0) return {};
        return std::vector<int>(static_cast<size_t>(n), label_);
    }

    std::string key(int n) const {
        char buf[128];
        std::snprintf(buf, sizeof buf, "%d/%d/%d/%.4f/%d/%d", two_d_, seed_, steps_, guidance_, label_, n);
        return buf;
    }

    models::Diffusion* model2() {
        models::Diffusion* shipped = diffusion_model(kDiffusion2File, 2, shipped2_, gen2_, &defaults2_);
        if (trained_in_page_) return &trained2_;
        return shipped;
    }

    void sample(models::Diffusion& model, const models::DiffusionSampleOptions& defaults, int n) {
        const auto t0 = Clock::now();
        nn::Matrix noise, latents;
        models::diffusion_sample_noise(noise, n, model.config.latent, static_cast<uint64_t>(seed_));
        models::diffusion_sample(latents, noise, labels_for(model, n), options(defaults), model, &trajectory_);
        sample_ms_ = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        thumbs_t_ = -1;
        strip_for_ = -1;
    }

    // 2-D: trajectories of the particles for the current settings; false while loading.
    bool ensure_2d() {
        models::Diffusion* model = model2();
        models::Vae* vae = vae2_model();
        if (!model || !vae) return ready_ = false;
        // A trained model marks itself dirty_ whenever its weights change (every kReflowEvery steps).
        const int generation = trained_in_page_ ? -2 : gen2_;
        const std::string k = key(particles_);
        if (dirty_ || k != made_key_ || generation != model_generation_) {
            sample(*model, defaults2_, particles_);
            made_key_ = k;
            model_generation_ = generation;
            dirty_ = false;
        }
        return ready_ = true;
    }

    bool ensure_16d() {
        models::Diffusion* model = diffusion_model(kDiffusion16File, 16, shipped16_, gen16_, &defaults16_);
        models::Vae* vae = vae16_model();
        if (!model || !vae) return ready_ = false;
        const std::string k = key(grid_n_);
        if (dirty_ || k != made_key_ || gen16_ != model_generation_) {
            sample(*model, defaults16_, grid_n_);
            models::vae_decode(images_, trajectory_.back(), *vae);
            textures_.resize(static_cast<size_t>(grid_n_));
            for (int i = 0; i < grid_n_; ++i) textures_[i].upload(images_.row(i).data(), 28, 28);
            labels_.clear();
            confidences_.clear();
            made_key_ = k;
            model_generation_ = gen16_;
            dirty_ = false;
        }
        if (labels_.empty() && classifier_model()) classify_images(images_, labels_, confidences_);
        return ready_ = true;
    }

    // Particle positions at time t, linear between the sampler's steps.
    void particles_at(nn::Matrix& p, float t) const {
        const int K = static_cast<int>(trajectory_.size()) - 1;
        const float s = (1.0f - t) * K;
        const int i = std::clamp(static_cast<int>(std::floor(s)), 0, std::max(0, K - 1));
        const float f = std::clamp(s - i, 0.0f, 1.0f);
        if (K <= 0) {
            p = trajectory_.empty() ? nn::Matrix() : trajectory_[0];
            return;
        }
        p = (1.0f - f) * trajectory_[i] + f * trajectory_[i + 1];
    }

    ImVec2 to_screen(float x, float y) const {
        return ImVec2(map_origin_.x + (x + kRange) / (2 * kRange) * map_size_,
                      map_origin_.y + (kRange - y) / (2 * kRange) * map_size_);
    }

    void draw_common_controls(bool conditional) {
        if (Control c("steps"); c) {
            const schema::Key& steps = schema_.key("steps");
            if (ImGui::SliderInt("steps", &steps_, int(steps.slider_lo()), int(steps.slider_hi()))) dirty_ = true;
        }
        if (Control c("guidance"); c) {
            ImGui::BeginDisabled(!conditional || label_ < 0);
            const schema::Key& guidance = schema_.key("guidance");
            if (ImGui::SliderFloat("guidance", &guidance_, guidance.slider_lo(), guidance.slider_hi(), "%.1f")) dirty_ = true;
            ImGui::EndDisabled();
        }
        if (Control c("label"); c) {
            const char* items[] = {"any (unconditional)", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
            int item = label_ + 1;
            ImGui::BeginDisabled(!conditional);
            if (ImGui::Combo("digit", &item, items, 11)) {
                label_ = item - 1;
                dirty_ = true;
            }
            ImGui::EndDisabled();
        }
        if (Control c("seed"); c) {
            if (ImGui::InputInt("seed", &seed_)) {
                seed_ = int(std::clamp<double>(seed_, 0, schema_.key("seed").max));
                dirty_ = true;
            }
            ImGui::SameLine();
            if (ImGui::Button("New noise")) {
                seed_ = static_cast<int>((static_cast<uint32_t>(seed_) * 1664525u + 1013904223u) & 0x7fffffffu) % 1000000;
                dirty_ = true;
            }
        }
    }

    // ---- 2-D ------------------------------------------------------------------------------
    void draw_2d(bool narrow) {
        WeightsSlot& slot = request_weights(kDiffusion2File);
        if (!trained_in_page_ && !weights_gate(slot, "diffusion model (2-D)")) return;
        if (!weights_gate(request_weights(kVae2File), "VAE (2-d)")) return;
        if (!ensure_2d()) return;
        models::Vae* vae = vae2_model();
        update_map_points(*vae);

        const ImVec2 avail = ImGui::GetContentRegionAvail();
        // Wide: the map as tall as the panel, the controls and decodes in the width left over.
        float side_w = narrow ? avail.x : std::clamp(avail.x * 0.34f, 240.0f, 360.0f);
        const float map = narrow ? plot::square_side_for(ImVec2(avail.x, avail.y * 0.55f), kAxisX, kAxisY)
                                 : plot::square_side_for(ImVec2(avail.x - side_w - 20.0f, avail.y - 4.0f), kAxisX, kAxisY);
        if (!narrow) {
            const plot::Margins m = plot::axis_margins(kAxisX, kAxisY);
            side_w = std::max(side_w, avail.x - (m.left + map + m.right) - 24.0f);
        }
        draw_map(map);
        if (!narrow) ImGui::SameLine(0, 20);
        ImGui::BeginGroup();
        ImGui::PushItemWidth(std::min(side_w * 0.55f, 200.0f));
        if (Control c("t"); c) {
            // The slider runs left = noise (t = 1) to right = data (t = 0), the way the flow goes.
            float progress = 1.0f - t_;
            if (ImGui::SliderFloat("##time", &progress, 0.0f, 1.0f, "")) {
                t_ = 1.0f - progress;
                playing_ = false;
            }
            ImGui::SameLine();
            ImGui::Text("t = %.2f", t_);
        }
        if (Control c("play"); c) {
            if (ImGui::Button(playing_ ? "Pause" : "Play noise -> digits")) {
                if (!playing_ && t_ <= 0.0f) t_ = 1.0f;
                playing_ = !playing_;
            }
        }
        if (Control c("trails"); c) ImGui::Checkbox("trails", &trails_);
        models::Diffusion* model = model2();
        draw_common_controls(model && model->config.classes > 0);
        ImGui::PopItemWidth();
        ImGui::TextDisabled("%d particles, %s %d steps, %.1f ms", particles_,
                            models::flow_sampler_name(defaults2_.sampler), steps_, sample_ms_);
        draw_thumbs(*vae, narrow ? 40.0f : std::clamp(std::min(side_w / 4, (avail.y - 380.0f) / 4), 52.0f, 100.0f));
        draw_training();
        ImGui::EndGroup();
    }

    void update_map_points(models::Vae& vae) {
        const io::MnistSplit* digits = mnist_test_digits();
        if (!digits) return;
        const int data_generation = request_data(kMnistTestFile).generation;
        const int vae_generation = request_weights(kVae2File).generation;
        if (data_generation == map_data_generation_ && vae_generation == map_vae_generation_) return;
        map_data_generation_ = data_generation;
        map_vae_generation_ = vae_generation;
        nn::Matrix images = io::mnist_images_to_matrix(*digits, 0, -1), logvar;
        models::vae_encode(map_points_, logvar, images, vae);
        map_labels_.assign(digits->labels.begin(), digits->labels.end());
    }

    // The map as a square of `size` pixels with its axes around it (plot.h).
    void draw_map(float size) {
        const ImVec2 cursor = ImGui::GetCursorScreenPos();
        ImVec2 total;
        const plot::Frame frame = plot::square_frame(cursor, size, kAxisX, kAxisY, &total);
        map_origin_ = frame.min;
        map_size_ = size;
        ImGui::SetCursorScreenPos(frame.min);
        ImGui::InvisibleButton("flowmap", ImVec2(size, size));
        remember_item_rect("diffusion/map");
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const ImVec2 a = map_origin_, b(a.x + size, a.y + size);
        dl->AddRectFilled(a, b, IM_COL32(12, 13, 16, 255));
        dl->PushClipRect(a, b, true);
        const ImVec2 o = to_screen(0, 0);
        dl->AddLine(ImVec2(a.x, o.y), ImVec2(b.x, o.y), IM_COL32(255, 255, 255, 40));
        dl->AddLine(ImVec2(o.x, a.y), ImVec2(o.x, b.y), IM_COL32(255, 255, 255, 40));
        // The data: encoded test digits, faint, coloured by label.
        for (Eigen::Index i = 0; i < map_points_.rows(); ++i)
            dl->AddCircleFilled(to_screen(map_points_(i, 0), map_points_(i, 1)), 2.0f,
                                label_color(map_labels_[i], 0.6f), 6);
        const int K = static_cast<int>(trajectory_.size()) - 1;
        if (trails_ && K > 0) {
            // Path of each of the first particles up to the current t.
            const float s = (1.0f - t_) * K;
            const int upto = std::clamp(static_cast<int>(std::ceil(s)), 0, K);
            const int n = std::min<int>(kTrailParticles, static_cast<int>(trajectory_[0].rows()));
            std::vector<ImVec2> line;
            nn::Matrix now;
            particles_at(now, t_);
            for (int i = 0; i < n; ++i) {
                line.clear();
                for (int k = 0; k < upto; ++k) line.push_back(to_screen(trajectory_[k](i, 0), trajectory_[k](i, 1)));
                line.push_back(to_screen(now(i, 0), now(i, 1)));
                if (line.size() >= 2)
                    dl->AddPolyline(line.data(), static_cast<int>(line.size()), IM_COL32(255, 190, 60, 70), 0, 1.0f);
            }
        }
        nn::Matrix p;
        particles_at(p, t_);
        for (Eigen::Index i = 0; i < p.rows(); ++i) {
            const ImU32 colour = i < kThumbs ? IM_COL32(255, 255, 255, 255) : IM_COL32(255, 190, 60, 220);
            dl->AddCircleFilled(to_screen(p(i, 0), p(i, 1)), i < kThumbs ? 3.2f : 2.2f, colour, 8);
        }
        dl->PopClipRect();
        plot::draw_axes(dl, frame, false);
        char corner[32];
        std::snprintf(corner, sizeof corner, "t = %.2f", t_);
        dl->AddText(ImVec2(a.x + 6, b.y - ImGui::GetTextLineHeight() - 4), IM_COL32(200, 200, 210, 170), corner);
        ImGui::SetCursorScreenPos(cursor);
        ImGui::Dummy(total);
    }

    // The first kThumbs particles decoded at the current t, as a 4 x 4 grid texture.
    void draw_thumbs(models::Vae& vae, float cell) {
        if (thumbs_t_ != t_) {
            nn::Matrix p, decoded;
            particles_at(p, t_);
            const int n = std::min<int>(kThumbs, static_cast<int>(p.rows()));
            models::vae_decode(decoded, p.topRows(n), vae);
            std::vector<float> grid(static_cast<size_t>(4 * 28) * 4 * 28, 0.0f);
            for (int i = 0; i < n; ++i)
                for (int y = 0; y < 28; ++y)
                    for (int x = 0; x < 28; ++x)
                        grid[(static_cast<size_t>(i / 4) * 28 + y) * 4 * 28 + (i % 4) * 28 + x] = decoded(i, y * 28 + x);
            thumbs_tex_.upload(grid.data(), 4 * 28, 4 * 28);
            thumbs_t_ = t_;
        }
        ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "The white particles, decoded");
        digit_image(thumbs_tex_, 4 * cell);
    }

    // ---- in-page training (2-D) -------------------------------------------------------------
    void draw_training() {
        ImGui::Spacing();
        if (Control c("train"); c) {
            const bool have_data = train_digits() != nullptr;
            ImGui::BeginDisabled(!have_data);
            if (ImGui::Button(training_ ? "Stop training" : "Train a 2-D model here")) {
                if (training_) stop_training(); else start_training();
            }
            ImGui::EndDisabled();
            if (!have_data) data_gate(request_data(kMnistTrainFile), "MNIST training subset");
            if (!train_error_.empty()) ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "%s", train_error_.c_str());
            if (trained_in_page_) {
                ImGui::SameLine();
                if (ImGui::Button("Use shipped model")) use_shipped();
            }
        }
        if (trained_in_page_) {
            ImGui::ProgressBar(float(train_step_) / float(kTrainSteps), ImVec2(-1, 0));
            ImGui::Text("step %lld / %d, loss %.3f", static_cast<long long>(train_step_), kTrainSteps, train_loss_);
            ImGui::TextDisabled("on the page's 6000 training digits (shipped file: 60,000)");
            if (backend_ == TrainBackend::Starting)
                ImGui::TextDisabled("Starting the training worker...");
            else if (backend_ == TrainBackend::Worker)
                ImGui::TextDisabled("Training in a background worker: the page stays smooth.");
            else if (backend_ == TrainBackend::Page)
                ImGui::TextWrapped("Training on this page between frames (slower): %s.", backend_note_.c_str());
        }
    }

    // The training subset, parsed once per download; nullptr while it loads (or failed).
    const io::MnistSplit* train_digits() {
        DataSlot& slot = request_data(kMnistTrainFile);
        if (slot.status != WeightsStatus::Ready) return nullptr;
        if (slot.generation != train_data_generation_) {
            train_data_generation_ = slot.generation;
            train_split_ok_ = false;
            try {
                train_split_ = io::parse_mnist_subset(slot.bytes, std::string("data/") + kMnistTrainFile);
                train_split_ok_ = true;
            } catch (const std::exception& e) {
                train_error_ = e.what();
            }
        }
        return train_split_ok_ ? &train_split_ : nullptr;
    }

    void start_training() {
        const io::MnistSplit* digits = train_digits();
        models::Vae* vae = vae2_model();
        if (!digits || !vae) throw std::invalid_argument("training needs the MNIST training subset and vae2 loaded first");
        if (training_) stop_training();
        // ~6000 x 784 through vae2's encoder: a few hundred ms here, once per run.
        train_latents_ = train::encode_latents(io::mnist_images_to_matrix(*digits, 0, -1), *vae);
        train_labels_.assign(digits->labels.begin(), digits->labels.end());
        ++setup_id_;
        train_step_ = 0;
        train_loss_ = 0;
        weights_step_ = 0;
        weights_pending_ = false;
        reflows_ = 0;
        train_error_.clear();
        init_trained_model();  // the untrained field until the first weights (or page steps) arrive
        trained_in_page_ = true;
        training_ = true;
        flowed_at_step_ = -1;
        dirty_ = true;
        ensure_backend();
        if (backend_ == TrainBackend::Page) {
            start_page_run();
        } else {
            latents_wire_ = train::pack_latents(train_latents_, train_labels_);
            worker_run_sent_ = false;
            send_worker_run();
        }
    }

    void stop_training() {
        if (!training_) return;
        training_ = false;
        // The worker keeps the model where it stopped; its last weights follow the snapshot.
        if (backend_ == TrainBackend::Worker && worker_run_sent_) send_worker({{"cmd", "stop"}});
    }

    void use_shipped() {
        stop_training();
        ++setup_id_;  // what the worker still sends is of the abandoned run
        trained_in_page_ = false;
        model_generation_ = -100;
        dirty_ = true;
    }

    // trained2_ as the job initialises it: the same recipe, seed and normalisation.
    void init_trained_model() {
        models::diffusion_init(trained2_, train::job_diffusion_config(2), static_cast<uint64_t>(seed_));
        models::diffusion_set_normalization(trained2_, train_latents_);
    }

    void ensure_backend() {
        if (backend_ != TrainBackend::None) return;
        if (page::train_worker_start(kWorkerClient)) {
            backend_ = TrainBackend::Starting;
            worker_started_ms_ = train::now_ms();
        } else {
            backend_ = TrainBackend::Page;
            backend_note_ = "this browser has no Web Workers";
        }
    }

    void fall_back_to_page(const std::string& why) {
        backend_ = TrainBackend::Page;
        backend_note_ = why;
        if (!training_) return;
        // The run starts again here, from the same initial model.
        train_step_ = 0;
        train_loss_ = 0;
        init_trained_model();
        start_page_run();
        dirty_ = true;
    }

    // ---- worker -------------------------------------------------------------------------------
    void send_worker(const nlohmann::json& command) { page::train_worker_command(kWorkerClient, command.dump()); }

    // The run's setup, data and steps, once the worker is ready.
    void send_worker_run() {
        if (backend_ != TrainBackend::Worker || !training_ || worker_run_sent_) return;
        send_worker({{"cmd", "setup"}, {"kind", "diffusion"}, {"seed", seed_}, {"id", setup_id_}});
        page::train_worker_data(kWorkerClient, "latents", latents_wire_.data(), latents_wire_.size());
        send_worker({{"cmd", "step"}, {"n", kTrainSteps}});
        worker_run_sent_ = true;
    }

    std::string weights_purpose() const { return "flow:" + std::to_string(setup_id_); }

    // New weights every kReflowEvery steps, and once more when the run stops; one at a time.
    void request_worker_weights(bool busy) {
        if (weights_pending_ || train_step_ == weights_step_) return;
        if (busy && train_step_ - weights_step_ < kReflowEvery) return;
        weights_step_ = train_step_;
        weights_pending_ = true;
        page::train_worker_serialise(kWorkerClient, weights_purpose());
    }

    void note_loss(float loss) { train_loss_ = train_step_ <= 1 || train_loss_ == 0 ? loss : 0.95f * train_loss_ + 0.05f * loss; }

    // ---- page fallback ------------------------------------------------------------------------
    void start_page_run() {
        models::diffusion_normalize(train_data_, train_latents_, trained2_);
        const train::JobSettings settings = train::default_job_settings(train::JobKind::Diffusion);
        train::DiffusionTrainOptions options;
        options.batch = settings.batch;
        options.lr = settings.lr;
        options.seed = static_cast<uint64_t>(seed_);
        options.total_steps = kTrainSteps;
        train::diffusion_trainer_init(trainer_, options);
    }

    void train_slice(double budget_ms) {
        const auto t0 = Clock::now();
        while (trainer_.step < kTrainSteps &&
               std::chrono::duration<double, std::milli>(Clock::now() - t0).count() < budget_ms) {
            const train::DiffusionStepStats s = train::diffusion_train_step(trainer_, trained2_, train_data_, train_labels_);
            train_step_ = trainer_.step;
            note_loss(s.loss);
        }
        if (trainer_.step >= kTrainSteps) training_ = false;
        // Re-flow the particles through the forming field every kReflowEvery steps (and at the end).
        if (trainer_.step - flowed_at_step_ >= kReflowEvery || !training_) {
            flowed_at_step_ = trainer_.step;
            dirty_ = true;
            if (two_d_) ensure_2d();
        }
    }

    // ---- 16-D -------------------------------------------------------------------------------
    void draw_16d(bool narrow) {
        if (!weights_gate(request_weights(kDiffusion16File), "diffusion model (16-D)")) return;
        if (!weights_gate(request_weights(kVae16File), "VAE (16-d)")) return;
        if (!ensure_16d()) return;
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const ImVec2 controls_size = narrow ? ImVec2(0, std::clamp(avail.y * 0.4f, 150.0f, 240.0f))
                                            : ImVec2(std::clamp(avail.x * 0.3f, 240.0f, 340.0f), 0);
        ImGui::BeginChild("controls", controls_size, true, ImGuiWindowFlags_NavFlattened);
        ImGui::PushItemWidth(std::min(controls_size.x > 0 ? controls_size.x * 0.5f : 180.0f, 180.0f));
        draw_common_controls(shipped16_.config.classes > 0);
        if (Control c("n"); c) {
            if (ImGui::SliderInt("samples", &grid_n_, 1, 36)) dirty_ = true;
        }
        ImGui::PopItemWidth();
        ImGui::TextDisabled("%s, %d steps: %.1f ms", models::flow_sampler_name(defaults16_.sampler), steps_, sample_ms_);
        ImGui::TextWrapped("Each sample starts as 16 numbers of Gaussian noise; the network's velocity "
                           "field carries them to a digit's latent code, which the VAE decodes.");
        ImGui::EndChild();
        if (!narrow) ImGui::SameLine();
        ImGui::BeginChild("samples", ImVec2(0, 0), false, ImGuiWindowFlags_NavFlattened);
        ensure_16d();
        const float width = ImGui::GetContentRegionAvail().x;
        const int cols = std::max(1, std::min(grid_n_, static_cast<int>(std::ceil(std::sqrt(double(grid_n_))))));
        const float cell = std::clamp((width - 8.0f * cols) / cols, 36.0f, 96.0f);
        selected_ = std::clamp(selected_, 0, grid_n_ - 1);
        for (int i = 0; i < grid_n_ && i < static_cast<int>(textures_.size()); ++i) {
            if (i % cols) ImGui::SameLine();
            ImGui::PushID(i);
            ImGui::BeginGroup();
            if (digit_image(textures_[i], cell, i == selected_)) selected_ = i;
            if (labels_.size() == textures_.size())
                ImGui::TextDisabled("%d %.0f%%", labels_[i], 100.0f * confidences_[i]);
            ImGui::EndGroup();
            ImGui::PopID();
        }
        draw_strip(std::min(width, 10 * 60.0f));
        ImGui::EndChild();
    }

    // Decoded x_t of the selected sample at kStripFrames evenly spaced steps, t = 1 .. 0.
    void draw_strip(float width) {
        models::Vae* vae = vae16_model();
        const int K = static_cast<int>(trajectory_.size()) - 1;
        if (!vae || K <= 0) return;
        if (strip_for_ != selected_) {
            nn::Matrix z(kStripFrames, 16), decoded;
            for (int f = 0; f < kStripFrames; ++f) {
                const int k = static_cast<int>(std::lround(double(f) * K / (kStripFrames - 1)));
                z.row(f) = trajectory_[k].row(selected_);
            }
            models::vae_decode(decoded, z, *vae);
            std::vector<float> strip(static_cast<size_t>(28) * 28 * kStripFrames);
            for (int f = 0; f < kStripFrames; ++f)
                for (int y = 0; y < 28; ++y)
                    for (int x = 0; x < 28; ++x)
                        strip[static_cast<size_t>(y) * 28 * kStripFrames + f * 28 + x] = decoded(f, y * 28 + x);
            strip_tex_.upload(strip.data(), 28 * kStripFrames, 28);
            strip_for_ = selected_;
        }
        ImGui::Spacing();
        ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "Denoising sample %d: t = 1 (noise) -> 0", selected_);
        if (strip_tex_.valid())
            ImGui::Image(strip_tex_.im_id(), ImVec2(width, width / kStripFrames));
    }
};

std::unique_ptr<Panel> make_diffusion_panel() { return std::make_unique<DiffusionPanel>(); }
const bool registered = register_panel(make_diffusion_panel, 35);

}  // namespace
}  // namespace app
