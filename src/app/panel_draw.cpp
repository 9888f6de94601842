// Panel 4, "Draw": a 28x28 drawing pad (mouse or touch; SDL turns touches into mouse events)
// with a soft round brush, and live encoding of the drawing: the classifier's guess, the vae16
// reconstruction and the vae2 latent point (pinned on the Latent map through SharedDigits).
// Before encoding, the drawing is preprocessed like MNIST: ink box scaled to 20x20 and centred
// by centre of mass in 28x28 (center_like_mnist).
//
// query ops: {"op":"result"} -> {"label", "confidence", "probs", "recon", "point", "ink"}
//            {"op":"set_pixels", "pixels": [784 in 0..1]}; {"op":"clear"}
//            {"op":"pixels"} -> the pad as [784] floats
#include "app/ui_models.h"
#include "schema/panel_schema.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace app {
namespace {

constexpr int kSide = 28;

class DrawPanel final : public Panel {
public:
    DrawPanel() : pad_(kSide * kSide, 0.0f) {}

    const char* id() const override { return "draw"; }
    const char* title() const override { return "  Draw  "; }

    void draw() override {
        classifier_model();
        vae16_model();
        vae2_model();
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        // Narrow (embeds from 320 px): the pad takes the width, the results go below it.
        const bool narrow = narrow_layout();
        const float pad_size = narrow ? std::clamp(std::min(avail.x - 4.0f, avail.y * 0.6f), 140.0f, 520.0f)
                                      : std::clamp(std::min(avail.x * 0.45f, avail.y - 70.0f), 140.0f, 640.0f);

        ImGui::BeginGroup();
        ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "Draw a digit");
        draw_pad(pad_size);
        if (Control c("clear"); c) {
            if (ImGui::Button("Clear", ImVec2(90, 0))) clear();
            remember_item_rect("draw/clear");
            ImGui::SameLine();
        }
        if (Control c("brush"); c) {
            ImGui::PushItemWidth(pad_size - 100.0f);
            ImGui::SliderFloat("##brush", &brush_, schema_.key("brush").slider_lo(), schema_.key("brush").slider_hi(),
                               "brush %.1f px");
            ImGui::PopItemWidth();
        }
        ImGui::EndGroup();

        if (!narrow) ImGui::SameLine(0, 24.0f);
        ImGui::BeginGroup();
        ensure_results();
        draw_results(std::max(200.0f, ImGui::GetContentRegionAvail().x));
        ImGui::EndGroup();
    }

    std::string describe() override {
        if (ink() == 0) return "drawing pad: empty; draw a digit with the mouse or a finger";
        if (label_ < 0) return "drawing pad: your drawing (the classifier is loading)";
        char out[96];
        std::snprintf(out, sizeof out, "drawing pad: the classifier reads your drawing as %d (%.0f%% sure)", label_,
                      confidence_ * 100.0f);
        return out;
    }

    nlohmann::json state() const override {
        return {{"brush", brush_}, {"ink", ink()}, {"label", label_}, {"confidence", confidence_}};
    }

    void set_state(const nlohmann::json& s) override {
        if (s.contains("brush")) brush_ = float(schema_.key("brush").number(s["brush"]));  // schema::panel("draw")
        if (s.value("clear", false)) clear();
    }

    nlohmann::json query(const nlohmann::json& request) override {
        const std::string op = request.value("op", "");
        if (op == "clear") {
            clear();
            return {{"ok", true}};
        }
        if (op == "pixels") return {{"pixels", pad_}};
        if (op == "set_pixels") {
            auto pixels = request.at("pixels").get<std::vector<float>>();
            if (pixels.size() != kSide * kSide) throw std::invalid_argument("pixels must hold 784 values");
            for (float& p : pixels) p = std::clamp(p, 0.0f, 1.0f);
            pad_ = pixels;
            changed();
            return {{"ok", true}};
        }
        if (op == "result") {
            ensure_results();
            nlohmann::json out = {{"ink", ink()}, {"label", label_}, {"confidence", confidence_}, {"probs", probs_}};
            if (recon_.rows() == 1) out["recon"] = row_to_pixels(recon_, 0);
            if (have_point_) out["point"] = {point_[0], point_[1]};
            return out;
        }
        throw std::invalid_argument("unknown draw query op \"" + op + "\" (result, pixels, set_pixels, clear)");
    }

private:
    const schema::PanelSchema& schema_ = schema::panel("draw");
    std::vector<float> pad_;
    float brush_ = 1.3f;
    bool dirty_ = true, painting_ = false;
    ImVec2 last_cell_;
    GrayTexture pad_tex_, centred_tex_, recon_tex_;
    int label_ = -1;
    float confidence_ = 0;
    std::vector<float> probs_;
    nn::Matrix recon_;
    float point_[2] = {0, 0};
    bool have_point_ = false;
    int results_key_ = -1;  // sum of model generations the results were computed with

    double ink() const {
        double s = 0;
        for (float v : pad_) s += v;
        return s;
    }

    void clear() {
        std::fill(pad_.begin(), pad_.end(), 0.0f);
        changed();
    }

    void changed() {
        dirty_ = true;
        SharedDigits& shared = shared_digits();
        if (ink() > 0) shared.drawing = pad_;
        else shared.drawing.clear();
        ++shared.drawing_generation;
    }

    // Soft round brush at `c` (cell units): full ink within radius - 0.5, fading to 0 at
    // radius + 0.5, combined with max so strokes do not saturate into blobs.
    void stamp(ImVec2 c) {
        const float r = brush_;
        const int x0 = std::max(0, int(std::floor(c.x - r - 1))), x1 = std::min(kSide - 1, int(std::ceil(c.x + r + 1)));
        const int y0 = std::max(0, int(std::floor(c.y - r - 1))), y1 = std::min(kSide - 1, int(std::ceil(c.y + r + 1)));
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) {
                const float dx = x + 0.5f - c.x, dy = y + 0.5f - c.y;
                const float d = std::sqrt(dx * dx + dy * dy);
                const float v = std::clamp(r + 0.5f - d, 0.0f, 1.0f);
                float& p = pad_[y * kSide + x];
                p = std::max(p, v);
            }
    }

    void draw_pad(float size) {
        const ImVec2 pos = ImGui::GetCursorScreenPos();
        ImGui::InvisibleButton("pad", ImVec2(size, size));
        remember_item_rect("draw/pad");
        const ImGuiIO& io = ImGui::GetIO();
        const float cell = size / kSide;
        if (ImGui::IsItemActive() && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
            const ImVec2 c((io.MousePos.x - pos.x) / cell, (io.MousePos.y - pos.y) / cell);
            if (!painting_) last_cell_ = c;
            // Stamps every quarter cell between the previous and the current position.
            const float dx = c.x - last_cell_.x, dy = c.y - last_cell_.y;
            const int steps = std::max(1, int(std::ceil(std::sqrt(dx * dx + dy * dy) * 4)));
            for (int i = 1; i <= steps; ++i) stamp(ImVec2(last_cell_.x + dx * i / steps, last_cell_.y + dy * i / steps));
            last_cell_ = c;
            painting_ = true;
            changed();
        } else {
            painting_ = false;
        }
        pad_tex_.upload(pad_.data(), kSide, kSide);
        ImDrawList* dl = ImGui::GetWindowDrawList();
        dl->AddImage(pad_tex_.im_id(), pos, ImVec2(pos.x + size, pos.y + size));
        // The 20x20 box MNIST digits fit in, as a faint guide.
        const float m = 4 * cell;
        dl->AddRect(ImVec2(pos.x + m, pos.y + m), ImVec2(pos.x + size - m, pos.y + size - m), IM_COL32(255, 255, 255, 28));
        dl->AddRect(ImVec2(pos.x - 1, pos.y - 1), ImVec2(pos.x + size + 1, pos.y + size + 1),
                    ImGui::IsItemHovered() ? IM_COL32(140, 160, 200, 255) : IM_COL32(70, 76, 92, 255), 0, 0, 1.5f);
        if (ink() == 0) {
            const char* hint = "draw here with the mouse or a finger";
            const ImVec2 ts = ImGui::CalcTextSize(hint);
            dl->AddText(ImVec2(pos.x + (size - ts.x) * 0.5f, pos.y + (size - ts.y) * 0.5f), IM_COL32(150, 155, 170, 200), hint);
        }
    }

    void ensure_results() {
        models::Classifier* classifier = classifier_model();
        models::Vae* vae16 = vae16_model();
        models::Vae* vae2 = vae2_model();
        const int key = request_weights(kClassifierFile).generation * 7 + request_weights(kVae16File).generation * 131 +
                        request_weights(kVae2File).generation * 1031 + (classifier ? 1 : 0) + (vae16 ? 2 : 0) + (vae2 ? 4 : 0);
        if (!dirty_ && key == results_key_) return;
        results_key_ = key;
        dirty_ = false;
        label_ = -1;
        confidence_ = 0;
        probs_.clear();
        recon_.resize(0, 0);
        have_point_ = false;
        if (ink() == 0) return;
        const std::vector<float> centred = center_like_mnist(pad_);
        centred_tex_.upload(centred.data(), kSide, kSide);
        nn::Matrix x(1, kSide * kSide);
        for (int j = 0; j < kSide * kSide; ++j) x(0, j) = centred[j];
        if (classifier) {
            nn::Matrix logits;
            models::classifier_forward(logits, x, *classifier);
            const float mx = logits.row(0).maxCoeff();
            float sum = 0;
            probs_.resize(10);
            for (int k = 0; k < 10; ++k) sum += probs_[k] = std::exp(logits(0, k) - mx);
            for (int k = 0; k < 10; ++k) probs_[k] /= sum;
            label_ = int(std::max_element(probs_.begin(), probs_.end()) - probs_.begin());
            confidence_ = probs_[label_];
        }
        if (vae16) {
            nn::Matrix mu, logvar;
            models::vae_encode(mu, logvar, x, *vae16);
            models::vae_decode(recon_, mu, *vae16);
            recon_tex_.upload(recon_.row(0).data(), kSide, kSide);
        }
        if (vae2) {
            nn::Matrix mu, logvar;
            models::vae_encode(mu, logvar, x, *vae2);
            point_[0] = mu(0, 0);
            point_[1] = mu(0, 1);
            have_point_ = true;
        }
    }

    void draw_results(float width) {
        const bool any = ink() > 0;
        const float img = std::clamp(width * 0.33f, 84.0f, 240.0f);
        ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "What the models see");
        auto column = [&](const char* caption, const GrayTexture* tex) {
            ImGui::BeginGroup();
            ImGui::TextDisabled("%s", caption);
            if (any && tex && tex->valid()) digit_image(*tex, img);
            else ImGui::Dummy(ImVec2(img, img));
            ImGui::EndGroup();
        };
        column("centred like MNIST", &centred_tex_);
        ImGui::SameLine(0, 16);
        column("VAE reconstruction", recon_.rows() == 1 ? &recon_tex_ : nullptr);
        ImGui::Spacing();

        if (!weights_gate(request_weights(kClassifierFile), "digit classifier")) return;
        if (any && label_ >= 0) {
            ImGui::Text("Classifier: ");
            ImGui::SameLine(0, 0);
            ImGui::TextColored(ImVec4(0.55f, 0.9f, 0.55f, 1.0f), "%d", label_);
            ImGui::SameLine(0, 0);
            ImGui::Text("  (%.0f%% sure)", confidence_ * 100.0f);
            // Probability bars for all ten digits.
            const float bar_w = std::min(width - 40.0f, 2 * img + 16.0f);
            for (int k = 0; k < 10; ++k) {
                ImGui::Text("%d", k);
                ImGui::SameLine();
                char overlay[16];
                std::snprintf(overlay, sizeof overlay, "%.1f%%", probs_[k] * 100.0f);
                ImGui::PushStyleColor(ImGuiCol_PlotHistogram, ImGui::ColorConvertU32ToFloat4(label_color(k)));
                ImGui::ProgressBar(probs_[k], ImVec2(bar_w, ImGui::GetTextLineHeight()), overlay);
                ImGui::PopStyleColor();
            }
        } else {
            ImGui::TextDisabled("Draw a digit to see the classifier's guess.");
        }
        ImGui::Spacing();
        weights_gate(request_weights(kVae16File), "VAE (16-d)");
        if (weights_gate(request_weights(kVae2File), "VAE (2-d)")) {
            if (have_point_) ImGui::Text("2-d latent point: (%.2f, %.2f), pinned on the Latent map", point_[0], point_[1]);
        }
        ImGui::Spacing();
        if (!any) ImGui::BeginDisabled();
        if (ImGui::Button("Use as morph endpoint")) {
            if (Panel* morph = find_panel("morph")) {
                morph->set_state({{"b", {{"drawing", true}}}});
                set_active_panel("morph");
            }
        }
        remember_item_rect("draw/use-as-endpoint");
        ImGui::SameLine();
        if (ImGui::Button("Show on latent map")) set_active_panel("latent");
        if (!any) ImGui::EndDisabled();
    }
};

std::unique_ptr<Panel> make_draw_panel() { return std::make_unique<DrawPanel>(); }
const bool registered = register_panel(make_draw_panel, 40);

}  // namespace
}  // namespace app
