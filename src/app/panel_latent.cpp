// Panel 3, "Latent map": the 2-d VAE (vae2). The decoded manifold (a 15x15 grid of decodes over
// [-3, 3]^2) under the encoded test set (posterior means of the first 1000 MNIST test digits),
// coloured by label. Click or drag anywhere to decode that point into the large preview; hover
// shows the decode in a tooltip; the Draw panel's drawing is pinned where it encodes.
//
// query ops: {"op":"preview"} -> {"point": [x, y], "pixels": [784]}
//            {"op":"to_screen", "point": [x, y]} -> {"x", "y"} in CSS pixels (for tests)
//            {"op":"scatter"} -> {"points": n}; {"op":"drawing_point"} -> {"point"} or null
#include "app/plot.h"
#include "app/ui_models.h"
#include "schema/panel_schema.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace app {
namespace {

constexpr int kGrid = 15;
// The map shows [-kRange, kRange]^2: the range the schema gives the point (panel_schema.cpp).
const float kRange = float(schema::panel("latent").key("point").max);
const plot::Axis kAxisX{-kRange, kRange, "z1"}, kAxisY{-kRange, kRange, "z2"};

class LatentPanel final : public Panel {
public:
    const char* id() const override { return "latent"; }
    const char* title() const override { return "  Latent map  "; }

    void draw() override {
        models::Vae* vae = vae2_model();
        const io::MnistSplit* digits = mnist_test_digits();
        if (!weights_gate(request_weights(kVae2File), "VAE (2-d)") || !vae) return;
        update(*vae, digits);

        const ImVec2 avail = ImGui::GetContentRegionAvail();
        // Narrow (embeds from 320 px): the map on top, the decode below it.
        const bool narrow = narrow_layout();
        float side_w = narrow ? avail.x : std::clamp(avail.x * 0.3f, 220.0f, 360.0f);
        const float map = narrow ? plot::square_side_for(ImVec2(avail.x, avail.y * 0.6f), kAxisX, kAxisY)
                                 : plot::square_side_for(ImVec2(avail.x - side_w - 20.0f, avail.y - 4.0f), kAxisX, kAxisY);
        if (!narrow) {  // the map is as tall as the panel; the side column takes the width left
            const plot::Margins m = plot::axis_margins(kAxisX, kAxisY);
            side_w = std::max(side_w, avail.x - (m.left + map + m.right) - 24.0f);
        }
        draw_map(*vae, map);
        if (!narrow) ImGui::SameLine(0, 20);
        ImGui::BeginGroup();
        ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "Decode of the selected point");
        digit_image(preview_tex_, narrow ? 96.0f : std::min(side_w, avail.y * 0.45f));
        ImGui::Text("z = (%.2f, %.2f)", point_[0], point_[1]);
        ImGui::TextDisabled("click or drag on the map");
        ImGui::Spacing();
        if (Control c("layers"); c) {
            ImGui::Checkbox("decoded manifold", &show_manifold_);
            ImGui::Checkbox("test digits (encoded)", &show_scatter_);
        }
        if (!digits) data_gate(request_data(kMnistTestFile), "MNIST test digits");
        if (show_scatter_) {
            ImGui::Spacing();
            for (int k = 0; k < 10; ++k) {
                const ImVec2 p = ImGui::GetCursorScreenPos();
                const float h = ImGui::GetTextLineHeight();
                ImGui::GetWindowDrawList()->AddCircleFilled(ImVec2(p.x + h * 0.5f, p.y + h * 0.5f), h * 0.35f, label_color(k));
                ImGui::Dummy(ImVec2(h, h));
                ImGui::SameLine(0, 4);
                ImGui::Text("%d", k);
                if (k % 5 != 4) ImGui::SameLine(0, 14);
            }
        }
        if (have_drawing_) {
            ImGui::Spacing();
            ImGui::Text("Your drawing: (%.2f, %.2f)", drawing_point_[0], drawing_point_[1]);
            ImGui::TextDisabled("the white ring on the map");
        }
        ImGui::EndGroup();
    }

    nlohmann::json state() const override {
        return {{"point", {point_[0], point_[1]}}, {"manifold", show_manifold_}, {"scatter", show_scatter_},
                {"points", points_.rows()}};
    }

    std::string describe() override {
        char out[160];
        std::snprintf(out, sizeof out, "latent map of the 2-D VAE: the point z = (%.2f, %.2f) decodes to %s",
                      point_[0], point_[1],
                      preview_label_ >= 0 ? ("a digit the classifier reads as " + std::to_string(preview_label_)).c_str()
                                          : "a digit");
        std::string s = out;
        if (have_drawing_) {
            std::snprintf(out, sizeof out, "; your drawing encodes at (%.2f, %.2f)", drawing_point_[0], drawing_point_[1]);
            s += out;
        }
        return s;
    }

    // Keys, types and ranges: schema::panel("latent") (src/schema/panel_schema.cpp).
    void set_state(const nlohmann::json& s) override {
        if (s.contains("point")) {
            const std::vector<double> point = schema_.key("point").list(s["point"]);
            point_[0] = float(point[0]);
            point_[1] = float(point[1]);
            preview_dirty_ = true;
        }
        if (s.contains("manifold")) show_manifold_ = schema_.key("manifold").flag(s["manifold"]);
        if (s.contains("scatter")) show_scatter_ = schema_.key("scatter").flag(s["scatter"]);
    }

    nlohmann::json query(const nlohmann::json& request) override {
        const std::string op = request.value("op", "");
        models::Vae* vae = vae2_model();
        if (op == "preview") {
            if (!vae) return {{"error", "vae2 weights not ready"}};
            update(*vae, mnist_test_digits());
            return {{"point", {point_[0], point_[1]}}, {"pixels", row_to_pixels(preview_, 0)}};
        }
        if (op == "to_screen") {
            if (map_size_ <= 0) return {{"error", "the map has not been drawn yet"}};
            const ImVec2 p = to_screen(request.at("point").at(0).get<float>(), request.at("point").at(1).get<float>());
            return {{"x", p.x}, {"y", p.y}};
        }
        if (op == "scatter") return {{"points", points_.rows()}};
        if (op == "drawing_point") {
            if (!have_drawing_) return {{"point", nullptr}};
            return {{"point", {drawing_point_[0], drawing_point_[1]}}};
        }
        throw std::invalid_argument("unknown latent query op \"" + op + "\" (preview, to_screen, scatter, drawing_point)");
    }

private:
    const schema::PanelSchema& schema_ = schema::panel("latent");
    float point_[2] = {0.0f, 0.0f};
    bool show_manifold_ = true, show_scatter_ = true;
    bool preview_dirty_ = true;
    int model_generation_ = -1, data_generation_ = -1, drawing_generation_ = -1;
    GrayTexture manifold_tex_, preview_tex_, hover_tex_;
    nn::Matrix preview_, points_;
    std::vector<int> point_labels_;
    float drawing_point_[2] = {0, 0};
    bool have_drawing_ = false;
    int preview_label_ = -1;  // the classifier's reading of the preview (-1: not ready)
    ImVec2 map_origin_;
    float map_size_ = 0;

    ImVec2 to_screen(float x, float y) const {
        // Latent x to the right, latent y up; the manifold grid is drawn the same way.
        return ImVec2(map_origin_.x + (x + kRange) / (2 * kRange) * map_size_,
                      map_origin_.y + (kRange - y) / (2 * kRange) * map_size_);
    }

    void from_screen(ImVec2 p, float& x, float& y) const {
        x = std::clamp((p.x - map_origin_.x) / map_size_ * 2 * kRange - kRange, -kRange, kRange);
        y = std::clamp(kRange - (p.y - map_origin_.y) / map_size_ * 2 * kRange, -kRange, kRange);
    }

    static void decode_point(nn::Matrix& out, float x, float y, models::Vae& vae) {
        nn::Matrix z(1, 2);
        z(0, 0) = x;
        z(0, 1) = y;
        models::vae_decode(out, z, vae);
    }

    void update(models::Vae& vae, const io::MnistSplit* digits) {
        const int generation = request_weights(kVae2File).generation;
        if (generation != model_generation_) {
            model_generation_ = generation;
            data_generation_ = -1;
            drawing_generation_ = -1;
            preview_dirty_ = true;
            // Manifold: cell (r, c) decodes z = (x_c, y_r), y decreasing downwards.
            nn::Matrix z(kGrid * kGrid, 2), decoded;
            for (int r = 0; r < kGrid; ++r)
                for (int c = 0; c < kGrid; ++c) {
                    z(r * kGrid + c, 0) = -kRange + (c + 0.5f) * (2 * kRange / kGrid);
                    z(r * kGrid + c, 1) = kRange - (r + 0.5f) * (2 * kRange / kGrid);
                }
            models::vae_decode(decoded, z, vae);
            std::vector<float> grid(static_cast<size_t>(kGrid * 28) * kGrid * 28);
            for (int r = 0; r < kGrid; ++r)
                for (int c = 0; c < kGrid; ++c)
                    for (int y = 0; y < 28; ++y)
                        for (int x = 0; x < 28; ++x)
                            grid[(static_cast<size_t>(r) * 28 + y) * kGrid * 28 + c * 28 + x] = decoded(r * kGrid + c, y * 28 + x);
            manifold_tex_.upload(grid.data(), kGrid * 28, kGrid * 28);
        }
        const int data_generation = digits ? request_data(kMnistTestFile).generation : -1;
        if (digits && data_generation != data_generation_) {
            data_generation_ = data_generation;
            nn::Matrix images = mnist_images_to_matrix_all(*digits), logvar;
            models::vae_encode(points_, logvar, images, vae);
            point_labels_.assign(digits->labels.begin(), digits->labels.end());
        }
        const SharedDigits& shared = shared_digits();
        if (shared.drawing_generation != drawing_generation_) {
            drawing_generation_ = shared.drawing_generation;
            have_drawing_ = shared.drawing.size() == 784;
            if (have_drawing_) {
                const std::vector<float> centred = center_like_mnist(shared.drawing);
                nn::Matrix x(1, 784), mu, logvar;
                for (int j = 0; j < 784; ++j) x(0, j) = centred[j];
                models::vae_encode(mu, logvar, x, vae);
                drawing_point_[0] = mu(0, 0);
                drawing_point_[1] = mu(0, 1);
            }
        }
        if (preview_dirty_) {
            decode_point(preview_, point_[0], point_[1], vae);
            preview_tex_.upload(preview_.row(0).data(), 28, 28);
            preview_dirty_ = false;
            std::vector<int> labels;
            std::vector<float> confidences;
            classify_images(preview_, labels, confidences);
            preview_label_ = labels.empty() ? -1 : labels[0];
        }
    }

    static nn::Matrix mnist_images_to_matrix_all(const io::MnistSplit& digits) {
        return io::mnist_images_to_matrix(digits, 0, -1);
    }

    // The map as a square of `size` pixels with its axes around it (plot.h).
    void draw_map(models::Vae& vae, float size) {
        const ImVec2 cursor = ImGui::GetCursorScreenPos();
        ImVec2 total;
        const plot::Frame frame = plot::square_frame(cursor, size, kAxisX, kAxisY, &total);
        map_origin_ = frame.min;
        map_size_ = size;
        ImGui::SetCursorScreenPos(frame.min);
        ImGui::InvisibleButton("map", ImVec2(size, size));
        remember_item_rect("latent/map");
        const bool hovered = ImGui::IsItemHovered();
        const ImGuiIO& io = ImGui::GetIO();
        if (ImGui::IsItemActive() && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
            from_screen(io.MousePos, point_[0], point_[1]);
            preview_dirty_ = true;
            update(vae, mnist_test_digits());
        }
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const ImVec2 a = map_origin_, b(a.x + size, a.y + size);
        dl->AddRectFilled(a, b, IM_COL32(12, 13, 16, 255));
        if (show_manifold_ && manifold_tex_.valid()) {
            const ImU32 tint = show_scatter_ ? IM_COL32(255, 255, 255, 120) : IM_COL32(255, 255, 255, 255);
            dl->AddImage(manifold_tex_.im_id(), a, b, ImVec2(0, 0), ImVec2(1, 1), tint);
        }
        // Lines through the origin; the ticks are on the axes outside.
        const ImVec2 o = to_screen(0, 0);
        dl->AddLine(ImVec2(a.x, o.y), ImVec2(b.x, o.y), IM_COL32(255, 255, 255, 40));
        dl->AddLine(ImVec2(o.x, a.y), ImVec2(o.x, b.y), IM_COL32(255, 255, 255, 40));
        if (show_scatter_ && points_.rows() > 0) {
            const float r = std::max(1.5f, size / 260.0f);
            dl->PushClipRect(a, b, true);
            for (int i = 0; i < points_.rows(); ++i)
                dl->AddCircleFilled(to_screen(points_(i, 0), points_(i, 1)), r, label_color(point_labels_[i], 0.85f), 8);
            dl->PopClipRect();
        }
        // Selected point: crosshair.
        const ImVec2 s = to_screen(point_[0], point_[1]);
        dl->AddCircle(s, 7.0f, IM_COL32(255, 190, 60, 255), 16, 2.0f);
        dl->AddLine(ImVec2(s.x - 11, s.y), ImVec2(s.x - 4, s.y), IM_COL32(255, 190, 60, 255), 2.0f);
        dl->AddLine(ImVec2(s.x + 4, s.y), ImVec2(s.x + 11, s.y), IM_COL32(255, 190, 60, 255), 2.0f);
        dl->AddLine(ImVec2(s.x, s.y - 11), ImVec2(s.x, s.y - 4), IM_COL32(255, 190, 60, 255), 2.0f);
        dl->AddLine(ImVec2(s.x, s.y + 4), ImVec2(s.x, s.y + 11), IM_COL32(255, 190, 60, 255), 2.0f);
        if (have_drawing_) {
            const ImVec2 d = to_screen(std::clamp(drawing_point_[0], -kRange, kRange),
                                       std::clamp(drawing_point_[1], -kRange, kRange));
            dl->AddCircleFilled(d, 6.0f, IM_COL32(20, 20, 20, 230), 16);
            dl->AddCircle(d, 8.0f, IM_COL32(255, 255, 255, 255), 16, 2.5f);
            dl->AddText(ImVec2(d.x + 10, d.y - 8), IM_COL32(255, 255, 255, 255), "you");
        }
        plot::draw_axes(dl, frame, false);

        if (hovered && !ImGui::IsItemActive()) {
            float x = 0, y = 0;
            from_screen(io.MousePos, x, y);
            nn::Matrix decoded;
            decode_point(decoded, x, y, vae);
            hover_tex_.upload(decoded.row(0).data(), 28, 28);
            ImGui::BeginTooltip();
            ImGui::Text("z = (%.2f, %.2f)", x, y);
            digit_image(hover_tex_, 84.0f);
            ImGui::EndTooltip();
        }
        ImGui::SetCursorScreenPos(cursor);
        ImGui::Dummy(total);
    }
};

std::unique_ptr<Panel> make_latent_panel() { return std::make_unique<LatentPanel>(); }
const bool registered = register_panel(make_latent_panel, 30);

}  // namespace
}  // namespace app
