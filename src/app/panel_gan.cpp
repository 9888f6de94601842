// Panel 1, "GAN sampler": a grid of N digits from the GAN (or the class-conditional GAN), the
// seed that makes them (same seed -> same pixels as `genlab sample gan --seed S`), per-dimension
// z sliders for the selected sample, and the classifier's label + confidence under each digit.
//
// query ops: {"op":"pixels"} -> {"n", "pixels": [n*784 uint8]} (row-major, io::float_to_u8);
//            {"op":"labels"} -> {"labels", "confidences"};
//            {"op":"classify", "pixels": [784 floats in 0..1]} -> {"label", "confidence"};
//            {"op":"bench", "n": 64, "reps": 5} -> {"ms_per_batch"}.
#include "app/ui_models.h"

#include "io/image_write.h"
#include "schema/panel_schema.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace app {
namespace {

using Clock = std::chrono::steady_clock;

class GanPanel final : public Panel {
public:
    const char* id() const override { return "gan"; }
    const char* title() const override { return "  GAN sampler  "; }

    void draw() override {
        WeightsSlot& slot = request_weights(conditional_ ? kCganFile : kGanFile);
        classifier_model();  // start fetching the judge alongside
        // Narrow (embeds from 320 px): controls above the grid instead of beside it.
        const bool narrow = narrow_layout();
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const ImVec2 controls_size = narrow ? ImVec2(0, std::clamp(avail.y * 0.42f, 150.0f, 260.0f))
                                            : ImVec2(std::clamp(avail.x * 0.28f, 230.0f, 330.0f), 0);
        ImGui::BeginChild("controls", controls_size, true, ImGuiWindowFlags_NavFlattened);
        draw_controls();
        ImGui::EndChild();
        if (!narrow) ImGui::SameLine();
        ImGui::BeginChild("grid", ImVec2(0, 0), false, ImGuiWindowFlags_NavFlattened);
        if (weights_gate(slot, conditional_ ? "conditional GAN" : "GAN")) {
            if (ensure_samples(false)) draw_grid();
        }
        ImGui::EndChild();
    }

    nlohmann::json state() const override {
        return {{"n", n_},
                {"seed", seed_},
                {"conditional", conditional_},
                {"class", digit_class_},
                {"selected", selected_},
                {"ready", rows_done_ == n_ && !dirty_},
                {"sample_ms", last_sample_ms_},
                {"labels", labels_},
                {"z", z_edit_},
                {"z_row", z_edit_.empty() ? -1 : z_edit_row_}};
    }

    std::string describe() override {
        if (rows_done_ != n_ || dirty_) return "GAN sampler: making " + std::to_string(n_) + " digits";
        std::string out = std::to_string(n_) + (n_ == 1 ? " digit" : " digits") + " from the " +
                          (conditional_ ? "class-conditional GAN" : "GAN") + ", seed " + std::to_string(seed_);
        if (conditional_ && digit_class_ >= 0) out += ", all asked to be " + std::to_string(digit_class_);
        if (!labels_.empty()) {
            out += "; the classifier reads";
            for (size_t i = 0; i < labels_.size() && i < 16; ++i) out += " " + std::to_string(labels_[i]);
            if (labels_.size() > 16) out += " ...";
        }
        return out;
    }

    // Keys, types and ranges: schema::panel("gan") (src/schema/panel_schema.cpp).
    void set_state(const nlohmann::json& s) override {
        if (s.contains("n")) {
            n_ = int(schema_.key("n").integer(s["n"]));
            resample_latents_ = true;
            z_edit_.clear();  // a new n / seed / model: the edit is gone
        }
        if (s.contains("seed")) {
            seed_ = int(schema_.key("seed").integer(s["seed"]));
            resample_latents_ = true;
            z_edit_.clear();
        }
        if (s.contains("conditional")) {
            conditional_ = schema_.key("conditional").flag(s["conditional"]);
            resample_latents_ = true;
            z_edit_.clear();
        }
        if (s.contains("class")) {
            digit_class_ = int(schema_.key("class").integer(s["class"]));
            dirty_ = true;
        }
        if (s.contains("selected")) selected_ = std::clamp(s["selected"].get<int>(), 0, n_ - 1);
        if (s.value("resample", false)) resample();
        if (s.contains("z")) {
            // An edited latent of one sample (the URL's z=): applied over the seed's latents.
            const std::vector<double> z = schema_.key("z").list(s["z"]);
            z_edit_.assign(z.begin(), z.end());
            const int row = s.contains("z_row") ? int(schema_.key("z_row").integer(s["z_row"])) : selected_;
            z_edit_row_ = std::clamp(row, 0, n_ - 1);
            if (!z_edit_.empty()) selected_ = z_edit_row_;
            resample_latents_ = true;
        }
        dirty_ = true;
    }

    nlohmann::json query(const nlohmann::json& request) override {
        const std::string op = request.value("op", "");
        if (op == "pixels") {
            if (!ensure_samples()) return {{"error", "GAN weights not ready"}, {"ready", false}};
            std::vector<uint8_t> bytes = io::floats_to_u8(images_);
            return {{"n", n_}, {"seed", seed_}, {"pixels", bytes}};
        }
        if (op == "labels") {
            ensure_samples();
            return {{"labels", labels_}, {"confidences", confidences_}};
        }
        if (op == "classify") {
            const auto pixels = request.at("pixels").get<std::vector<float>>();
            if (pixels.size() != 784) throw std::invalid_argument("pixels must hold 784 values");
            if (!classifier_model()) return {{"error", "classifier weights not ready"}};
            nn::Matrix image(1, 784);
            for (int i = 0; i < 784; ++i) image(0, i) = pixels[i];
            std::vector<int> labels;
            std::vector<float> conf;
            classify_images(image, labels, conf);
            return {{"label", labels.at(0)}, {"confidence", conf.at(0)}};
        }
        if (op == "bench") {
            models::Gan* gan = gan_model(conditional_);
            if (!gan) return {{"error", "GAN weights not ready"}};
            const int n = request.value("n", 64), reps = std::max(1, request.value("reps", 5));
            nn::Matrix z, images;
            models::gan_sample_latent(z, n, gan->config.latent, 1);
            const auto t0 = Clock::now();
            for (int r = 0; r < reps; ++r) models::gan_generate(images, z, labels_for(*gan, n), *gan);
            const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / reps;
            return {{"ms_per_batch", ms}, {"n", n}};
        }
        throw std::invalid_argument("unknown gan query op \"" + op + "\" (pixels, labels, classify, bench)");
    }

private:
    const schema::PanelSchema& schema_ = schema::panel("gan");
    int n_ = 16;
    int seed_ = 1;
    bool conditional_ = false;
    int digit_class_ = -1;  // cGAN: -1 = one of each digit in turn, else every sample this digit
    int selected_ = 0;
    std::vector<float> z_edit_;  // the z sliders' edit of sample z_edit_row_; empty = none
    int z_edit_row_ = 0;
    bool dirty_ = true, resample_latents_ = true;
    nn::Matrix z_, images_;
    std::vector<int> labels_;
    std::vector<float> confidences_;
    std::vector<GrayTexture> textures_;
    double last_sample_ms_ = 0;
    int model_generation_ = -1, judge_generation_ = -1;
    int rows_done_ = 0;
    double ms_per_row_ = 2.0, sample_ms_accum_ = 0;
    const models::Gan* last_model_ = nullptr;

    std::vector<int> labels_for(const models::Gan& gan, int n) const {
        // As the CLI (gan_commands.cpp sample_labels): all `class`, or 0,1,..,9,0,...
        std::vector<int> labels;
        if (gan.config.classes == 0) return labels;
        for (int i = 0; i < n; ++i) labels.push_back(digit_class_ >= 0 ? digit_class_ : i % gan.config.classes);
        return labels;
    }

    void resample() {
        // A new seed from a 32-bit LCG step over the current one (reproducible, no clock).
        seed_ = static_cast<int>((static_cast<uint32_t>(seed_) * 1664525u + 1013904223u) & 0x7fffffffu) % 1000000;
        resample_latents_ = true;
        z_edit_.clear();
        dirty_ = true;
    }

    // Prepares the grid when something changed; false while the weights are not ready. The
    // rows are generated in time slices by tick() (a batch of 64 takes ~0.1-0.2 s in wasm, too
    // long for one frame), or all at once when `sync` (queries).
    bool ensure_samples(bool sync = true) {
        models::Gan* gan = gan_model(conditional_);
        if (!gan) return false;
        const int generation = request_weights(conditional_ ? kCganFile : kGanFile).generation;
        if (gan != last_model_ || generation != model_generation_) {
            last_model_ = gan;
            model_generation_ = generation;
            resample_latents_ = true;
        }
        if (resample_latents_ || z_.rows() != n_ || z_.cols() != gan->config.latent) {
            models::gan_sample_latent(z_, n_, gan->config.latent, static_cast<uint64_t>(seed_));
            if (z_edit_.size() == static_cast<size_t>(z_.cols()) && z_edit_row_ < n_)
                for (int j = 0; j < z_.cols(); ++j) z_(z_edit_row_, j) = z_edit_[static_cast<size_t>(j)];
            resample_latents_ = false;
            dirty_ = true;
        }
        const int judge_generation = classifier_model() ? request_weights(kClassifierFile).generation : -1;
        if (judge_generation != judge_generation_) {
            judge_generation_ = judge_generation;
            if (!dirty_ && rows_done_ == n_) classify_images(images_, labels_, confidences_);
        }
        if (dirty_) {
            images_.resize(n_, models::kImagePixels);
            rows_done_ = 0;
            sample_ms_accum_ = 0;
            labels_.clear();
            confidences_.clear();
            textures_.resize(static_cast<size_t>(n_));
            selected_ = std::clamp(selected_, 0, n_ - 1);
            dirty_ = false;
        }
        if (sync) generate_rows(*gan, 1e9);
        return true;
    }

    // Generates pending rows for up to `budget_ms`, in chunks sized from the measured cost.
    void generate_rows(models::Gan& gan, double budget_ms) {
        const auto t0 = Clock::now();
        auto elapsed = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); };
        const std::vector<int> all_labels = labels_for(gan, n_);
        nn::Matrix chunk_images;
        while (rows_done_ < n_) {
            const double left = budget_ms - elapsed();
            int rows = std::clamp(int(left / std::max(ms_per_row_, 0.05)), 1, n_ - rows_done_);
            if (rows_done_ > 0 && left <= 0) break;
            const auto c0 = Clock::now();
            std::vector<int> labels;
            if (!all_labels.empty()) labels.assign(all_labels.begin() + rows_done_, all_labels.begin() + rows_done_ + rows);
            models::gan_generate(chunk_images, z_.middleRows(rows_done_, rows), labels, gan);
            const double ms = std::chrono::duration<double, std::milli>(Clock::now() - c0).count();
            ms_per_row_ = ms / rows;
            sample_ms_accum_ += ms;
            images_.middleRows(rows_done_, rows) = chunk_images;
            for (int i = rows_done_; i < rows_done_ + rows; ++i) textures_[i].upload(images_.row(i).data(), 28, 28);
            rows_done_ += rows;
        }
        if (rows_done_ == n_ && labels_.size() != static_cast<size_t>(n_)) {
            last_sample_ms_ = sample_ms_accum_;
            classify_images(images_, labels_, confidences_);
        }
    }

    void regenerate_row(int row) {
        models::Gan* gan = gan_model(conditional_);
        if (!gan || rows_done_ != n_ || row < 0 || row >= n_) return;
        std::vector<int> labels;
        if (gan->config.classes > 0) labels.push_back(labels_for(*gan, n_)[row]);
        nn::Matrix image;
        models::gan_generate(image, z_.middleRows(row, 1), labels, *gan);
        images_.row(row) = image.row(0);
        textures_[row].upload(images_.row(row).data(), 28, 28);
        std::vector<int> l;
        std::vector<float> c;
        classify_images(image, l, c);
        if (!l.empty() && labels_.size() == static_cast<size_t>(n_)) labels_[row] = l[0], confidences_[row] = c[0];
    }

public:
    void tick(double budget_ms) override {
        if (rows_done_ >= n_ || dirty_) return;
        if (models::Gan* gan = gan_model(conditional_)) generate_rows(*gan, budget_ms);
    }

private:
    void draw_controls() {
        // Narrow: no title, labels beside their fields, so model, n, seed and Resample fit
        // without scrolling.
        const bool narrow = narrow_layout();
        const auto label = [narrow](const char* text) {
            if (narrow) ImGui::AlignTextToFramePadding();
            ImGui::TextUnformatted(text);
            if (narrow) ImGui::SameLine(ImGui::CalcTextSize("Digits").x + ImGui::GetStyle().ItemSpacing.x * 2);
        };
        if (!narrow) {
            ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "Sample digits from a DCGAN");
            ImGui::Spacing();
        }
        int model = conditional_ ? 1 : 0;
        if (Control c("model"); c) {
            if (ImGui::RadioButton("GAN", &model, 0)) set_conditional(false);
            ImGui::SameLine();
            if (ImGui::RadioButton("conditional GAN", &model, 1)) set_conditional(true);
        }

        ImGui::PushItemWidth(-1);
        if (Control c("n"); c) {
            label("Digits");
            const schema::Key& n = schema_.key("n");
            if (ImGui::SliderInt("##n", &n_, int(n.slider_lo()), int(n.slider_hi()))) resample_latents_ = true, z_edit_.clear();
        }
        if (Control c("seed"); c) {
            label("Seed");
            if (ImGui::InputInt("##seed", &seed_)) {
                seed_ = std::max(0, seed_);
                resample_latents_ = true;
                z_edit_.clear();
            }
        }
        ImGui::PopItemWidth();
        if (Control c("resample"); c) {
            if (ImGui::Button("Resample", ImVec2(-1, 0))) resample();
            remember_item_rect("gan/resample");
        }

        if (Control c("class"); c && conditional_) {
            ImGui::Spacing();
            ImGui::TextUnformatted("Class");
            if (ImGui::RadioButton("any", digit_class_ < 0)) digit_class_ = -1, dirty_ = true;
            for (int d = 0; d < 10; ++d) {
                if (d % 5 != 0 || d == 0) ImGui::SameLine();
                char label[4] = {char('0' + d), 0};
                if (ImGui::RadioButton(label, digit_class_ == d)) digit_class_ = d, dirty_ = true;
            }
        }

        Control z_control("z");
        if (!z_control) return;
        ImGui::Separator();
        ImGui::Text("Latent z of sample #%d", selected_ + 1);
        ImGui::TextDisabled("click a digit to select it");
        if (z_.rows() == n_ && selected_ < z_.rows()) {
            ImGui::BeginChild("z", ImVec2(0, 0), false, ImGuiWindowFlags_NavFlattened);
            ImGui::PushItemWidth(-1);
            bool changed = false;
            for (int j = 0; j < z_.cols(); ++j) {
                char format[24];
                std::snprintf(format, sizeof format, "z%d = %%.2f", j);
                ImGui::PushID(j);
                changed |= ImGui::SliderFloat("##z", &z_(selected_, j), schema_.key("z").slider_lo(),
                                              schema_.key("z").slider_hi(), format);
                ImGui::PopID();
            }
            ImGui::PopItemWidth();
            ImGui::EndChild();
            if (changed) {
                regenerate_row(selected_);
                z_edit_row_ = selected_;
                z_edit_.assign(z_.row(selected_).data(), z_.row(selected_).data() + z_.cols());
            }
        }
    }

    void set_conditional(bool conditional) {
        if (conditional == conditional_) return;
        conditional_ = conditional;
        resample_latents_ = true;
        z_edit_.clear();
        dirty_ = true;
    }

    void draw_grid() {
        ImVec2 avail = ImGui::GetContentRegionAvail();
        avail.x -= 4;  // the selection outline is drawn just outside a cell
        avail.y -= ImGui::GetTextLineHeightWithSpacing() + ImGui::GetStyle().ItemSpacing.y;  // caption line
        const float text_h = ImGui::GetTextLineHeight();
        const float gap = 10.0f;
        // The column count that gives the largest cells in the space there is (each cell is a
        // square digit plus its label line).
        auto cell_for = [&](int columns) {
            const int r = (n_ + columns - 1) / columns;
            return std::min((avail.x - gap * (columns - 1)) / columns, (avail.y - r * (text_h + gap)) / r);
        };
        int cols = 1;
        for (int c = 2; c <= n_; ++c)
            if (cell_for(c) > cell_for(cols)) cols = c;
        const int rows = (n_ + cols - 1) / cols;
        const float cell = std::clamp(cell_for(cols), 28.0f, 260.0f);
        const ImVec2 origin = ImGui::GetCursorScreenPos();
        const bool have_labels = labels_.size() == static_cast<size_t>(n_);
        for (int i = 0; i < n_; ++i) {
            const int r = i / cols, c = i % cols;
            ImGui::SetCursorScreenPos(ImVec2(origin.x + c * (cell + gap), origin.y + r * (cell + text_h + gap)));
            ImGui::PushID(i);
            if (i < rows_done_) {
                if (digit_image(textures_[i], cell, i == selected_)) selected_ = i;
            } else {
                const ImVec2 p = ImGui::GetCursorScreenPos();
                ImGui::GetWindowDrawList()->AddRectFilled(p, ImVec2(p.x + cell, p.y + cell), IM_COL32(30, 33, 40, 255));
                ImGui::Dummy(ImVec2(cell, cell));
            }
            ImGui::PopID();
            if (have_labels) {
                const float conf = confidences_[i];
                const ImVec4 color = conf > 0.9f ? ImVec4(0.55f, 0.85f, 0.55f, 1) :
                                     conf > 0.6f ? ImVec4(0.9f, 0.8f, 0.45f, 1) : ImVec4(0.95f, 0.55f, 0.5f, 1);
                char text[32];
                std::snprintf(text, sizeof text, cell > 60 ? "%d  %.0f%%" : "%d", labels_[i], conf * 100.0f);
                const float tw = ImGui::CalcTextSize(text).x;
                ImGui::SetCursorScreenPos(ImVec2(origin.x + c * (cell + gap) + (cell - tw) * 0.5f,
                                                 origin.y + r * (cell + text_h + gap) + cell + 2));
                ImGui::TextColored(color, "%s", text);
            }
        }
        ImGui::SetCursorScreenPos(ImVec2(origin.x, origin.y + rows * (cell + text_h + gap)));
        if (!have_labels) {
            WeightsSlot& judge = request_weights(kClassifierFile);
            weights_gate(judge, "digit classifier");
        } else {
            ImGui::TextDisabled("label + confidence from a CNN classifier; batch of %d sampled in %.1f ms",
                                n_, last_sample_ms_);
        }
    }
};

std::unique_ptr<Panel> make_gan_panel() { return std::make_unique<GanPanel>(); }
const bool registered = register_panel(make_gan_panel, 10);

}  // namespace
}  // namespace app
