// Panel 2, "Morph": walk the 16-d VAE latent space (vae16) from endpoint A to endpoint B, and,
// side by side, the GAN's latent space between two random z's. Endpoints are a test digit (the
// first 1000 MNIST test images, data/mnist-test-1000.bin), a random sample from the prior, or
// the last drawing (Draw panel). The VAE endpoint of an image is its posterior mean mu.
//
// query ops: {"op":"strip"} -> {"t", "steps", "vae": [[784] x steps], "gan": [[784] x steps]}
//            {"op":"reconstruct", "index": i} -> decode(encode(test digit i)) as [784]
//            {"op":"input", "which": "a"|"b"} -> the endpoint's input image [784] (or null)
#include "app/ui_models.h"

#include "models/latent_path.h"
#include "schema/panel_schema.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace app {
namespace {

enum EndpointSource { EndpointSource_Test, EndpointSource_Random, EndpointSource_Drawing };

struct Endpoint {
    EndpointSource source = EndpointSource_Test;
    int index = 0;       // test digit
    int seed = 1;        // random sample
    std::vector<float> drawing;  // copied when chosen
    GrayTexture input_texture;
};

nlohmann::json endpoint_json(const Endpoint& e) {
    switch (e.source) {
        case EndpointSource_Test: return {{"test", e.index}};
        case EndpointSource_Random: return {{"random", e.seed}};
        case EndpointSource_Drawing: return {{"drawing", true}};
    }
    return nullptr;
}

// "a 7" (a test digit, its label once the data is here), "a random sample", "your drawing".
std::string endpoint_words(const Endpoint& e) {
    switch (e.source) {
        case EndpointSource_Test: {
            const io::MnistSplit* digits = mnist_test_digits();
            if (digits && e.index >= 0 && size_t(e.index) < digits->labels.size())
                return "a " + std::to_string(int(digits->labels[size_t(e.index)])) + " (test digit " +
                       std::to_string(e.index) + ")";
            return "test digit " + std::to_string(e.index);
        }
        case EndpointSource_Random: return "a random sample (seed " + std::to_string(e.seed) + ")";
        case EndpointSource_Drawing: return "your drawing";
    }
    return "?";
}

class MorphPanel final : public Panel {
public:
    MorphPanel() {
        a_.index = 0;   // a 7
        b_.index = 1;   // a 2
        gan_seed_a_ = 11;
        gan_seed_b_ = 12;
    }

    const char* id() const override { return "morph"; }
    const char* title() const override { return "  Morph  "; }

    void draw() override {
        models::Vae* vae = vae16_model();
        models::Gan* gan = gan_model(false);
        const io::MnistSplit* digits = mnist_test_digits();
        check_drawing_handoff();

        // Narrow (embeds from 320 px): A and B side by side, everything else stacked below.
        const bool narrow = narrow_layout();
        const float spacing = ImGui::GetStyle().ItemSpacing.x;
        const float w = ImGui::GetContentRegionAvail().x;
        const float card = narrow ? (w - spacing) * 0.5f : std::clamp(w * 0.26f, 220.0f, 330.0f);
        const bool show_a = !control_hidden("a"), show_b = !control_hidden("b");
        if (show_a) {
            ImGui::BeginChild("A", ImVec2(show_b ? card : 0, card_height()), true, ImGuiWindowFlags_NavFlattened);
            if (Control c("a"); c) draw_endpoint("Endpoint A", a_, digits);
            ImGui::EndChild();
        }
        if (show_b) {
            if (show_a) ImGui::SameLine();
            ImGui::BeginChild("B", ImVec2(narrow || !show_a ? 0 : card, card_height()), true, ImGuiWindowFlags_NavFlattened);
            if (Control c("b"); c) draw_endpoint("Endpoint B", b_, digits);
            ImGui::EndChild();
        }
        if ((show_a || show_b) && !narrow) ImGui::SameLine();
        ImGui::BeginChild("path", ImVec2(0, card_height()), true, ImGuiWindowFlags_NavFlattened);
        draw_path_controls();
        ImGui::EndChild();

        const bool show_gan = !control_hidden("gan");
        const float strip_height = narrow ? std::max(ImGui::GetContentRegionAvail().y, 240.0f) : 0.0f;
        const float half = show_gan && !narrow
                               ? (ImGui::GetContentRegionAvail().x - spacing) * 0.5f : 0.0f;
        ImGui::BeginChild("vae", ImVec2(half, strip_height), true, ImGuiWindowFlags_NavFlattened);
        ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "VAE latent space (16-d)");
        if (weights_gate(request_weights(kVae16File), "VAE (16-d)") &&
            data_gate(request_data(kMnistTestFile), "MNIST test digits") && vae && digits) {
            update_vae(*vae, *digits);
            draw_strip(vae_strip_tex_, vae_preview_tex_);
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
            ImGui::TextWrapped("Decodes along the path from A (t = 0) to B (t = 1); click one to jump there.");
            ImGui::PopStyleColor();
        }
        ImGui::EndChild();
        if (!show_gan) return;
        if (!narrow) ImGui::SameLine();
        ImGui::BeginChild("gan", ImVec2(0, strip_height), true, ImGuiWindowFlags_NavFlattened);
        ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "GAN latent space (two random z)");
        if (weights_gate(request_weights(kGanFile), "GAN") && gan) {
            update_gan(*gan);
            draw_strip(gan_strip_tex_, gan_preview_tex_);
            Control seeds_control("gan_seeds");
            if (!seeds_control) {
                ImGui::EndChild();
                return;
            }
            ImGui::AlignTextToFramePadding();
            ImGui::TextUnformatted("z seeds");
            ImGui::SameLine();
            ImGui::PushItemWidth(ImGui::CalcTextSize("000000").x + 12.0f);
            if (ImGui::InputInt("##seedA", &gan_seed_a_, 0, 0)) gan_dirty_ = true;
            ImGui::SameLine();
            if (ImGui::InputInt("##seedB", &gan_seed_b_, 0, 0)) gan_dirty_ = true;
            ImGui::PopItemWidth();
            ImGui::SameLine();
            if (ImGui::Button("New pair")) {
                gan_seed_a_ = (gan_seed_a_ * 7919 + 17) % 100000;
                gan_seed_b_ = (gan_seed_b_ * 104729 + 31) % 100000;
                gan_dirty_ = true;
            }
        }
        ImGui::EndChild();
    }

    void tick(double) override {
        if (!playing_) return;
        const float dt = ImGui::GetIO().DeltaTime;
        t_ += direction_ * dt / 2.0f;  // 2 s per sweep, back and forth
        if (t_ >= 1.0f) t_ = 1.0f, direction_ = -1.0f;
        if (t_ <= 0.0f) t_ = 0.0f, direction_ = 1.0f;
    }

    nlohmann::json state() const override {
        return {{"t", t_}, {"steps", steps_}, {"slerp", slerp_}, {"playing", playing_},
                {"a", endpoint_json(a_)}, {"b", endpoint_json(b_)},
                {"gan_seeds", {gan_seed_a_, gan_seed_b_}}};
    }

    std::string describe() override {
        char t[32];
        std::snprintf(t, sizeof t, "%.2f", t_);
        return std::string("VAE morph from ") + endpoint_words(a_) + " to " + endpoint_words(b_) + " at t = " + t +
               (playing_ ? ", playing" : "") + (slerp_ ? " (spherical path)" : "");
    }

    // Keys, types and ranges: schema::panel("morph") (src/schema/panel_schema.cpp).
    void set_state(const nlohmann::json& s) override {
        if (s.contains("t")) t_ = float(schema_.key("t").number(s["t"]));
        if (s.contains("slerp")) slerp_ = schema_.key("slerp").flag(s["slerp"]), vae_dirty_ = gan_dirty_ = true;
        if (s.contains("playing")) playing_ = s["playing"].get<bool>();
        if (s.contains("steps")) {
            steps_ = int(schema_.key("steps").integer(s["steps"]));
            vae_dirty_ = gan_dirty_ = true;
        }
        if (s.contains("a")) set_endpoint(a_, s["a"], schema_.key("a"));
        if (s.contains("b")) set_endpoint(b_, s["b"], schema_.key("b"));
        if (s.contains("gan_seeds")) {
            const std::vector<double> seeds = schema_.key("gan_seeds").list(s["gan_seeds"]);
            gan_seed_a_ = int(seeds[0]);
            gan_seed_b_ = int(seeds[1]);
            gan_dirty_ = true;
        }
    }

    nlohmann::json query(const nlohmann::json& request) override {
        const std::string op = request.value("op", "");
        models::Vae* vae = vae16_model();
        const io::MnistSplit* digits = mnist_test_digits();
        if (op == "strip") {
            nlohmann::json out = {{"t", t_}, {"steps", steps_}};
            if (vae && digits) {
                update_vae(*vae, *digits);
                out["vae"] = rows_json(vae_strip_);
            }
            if (models::Gan* gan = gan_model(false)) {
                update_gan(*gan);
                out["gan"] = rows_json(gan_strip_);
            }
            return out;
        }
        if (op == "reconstruct") {
            if (!vae || !digits) return {{"error", "VAE weights or test digits not ready"}};
            const int i = request.at("index").get<int>();
            if (i < 0 || i >= digits->n) throw std::invalid_argument("index out of range");
            nn::Matrix image = test_image(*digits, i), mu, logvar, decoded;
            models::vae_encode(mu, logvar, image, *vae);
            models::vae_decode(decoded, mu, *vae);
            return {{"pixels", row_to_pixels(decoded, 0)}, {"label", digits->labels[i]}};
        }
        if (op == "input") {
            const Endpoint& e = request.value("which", "a") == "b" ? b_ : a_;
            if (!digits) return {{"pixels", nullptr}};
            std::vector<float> image = endpoint_image(e, *digits);
            if (image.empty()) return {{"pixels", nullptr}};
            return {{"pixels", image}};
        }
        throw std::invalid_argument("unknown morph query op \"" + op + "\" (strip, reconstruct, input)");
    }

private:
    const schema::PanelSchema& schema_ = schema::panel("morph");
    Endpoint a_, b_;
    float t_ = 0.5f, direction_ = 1.0f;
    bool playing_ = false, slerp_ = true;
    int steps_ = 9;
    int gan_seed_a_, gan_seed_b_;
    bool vae_dirty_ = true, gan_dirty_ = true;
    int vae_model_generation_ = -1, gan_model_generation_ = -1, drawing_generation_ = -1;
    nn::RowVector vae_za_, vae_zb_, gan_za_, gan_zb_;
    nn::Matrix vae_strip_, gan_strip_;
    std::vector<GrayTexture> vae_strip_tex_, gan_strip_tex_;
    GrayTexture vae_preview_tex_, gan_preview_tex_;
    float vae_preview_t_ = -1, gan_preview_t_ = -1;

    static float card_height() { return ImGui::GetTextLineHeightWithSpacing() * 4 + 110.0f; }

    static nlohmann::json rows_json(const nn::Matrix& m) {
        nlohmann::json rows = nlohmann::json::array();
        for (int r = 0; r < m.rows(); ++r) rows.push_back(row_to_pixels(m, r));
        return rows;
    }

    static nn::Matrix test_image(const io::MnistSplit& digits, int i) {
        nn::Matrix image(1, 784);
        for (int j = 0; j < 784; ++j) image(0, j) = digits.images[static_cast<size_t>(i) * 784 + j] / 255.0f;
        return image;
    }

    void set_endpoint(Endpoint& e, const nlohmann::json& j, const schema::Key& key) {
        if (!j.is_object()) throw std::invalid_argument(key.field + ": an endpoint is {\"test\": i}, {\"random\": seed} or {\"drawing\": true}");
        if (j.contains("test")) {
            e.source = EndpointSource_Test;
            e.index = int(key.index(j["test"]));
        } else if (j.contains("random")) {
            e.source = EndpointSource_Random;
            e.seed = j["random"].get<int>();
        } else if (j.contains("drawing")) {
            if (shared_digits().drawing.size() != 784) throw std::invalid_argument("no drawing yet (Draw panel)");
            e.source = EndpointSource_Drawing;
            e.drawing = shared_digits().drawing;
        } else {
            throw std::invalid_argument("an endpoint is {\"test\": i}, {\"random\": seed} or {\"drawing\": true}");
        }
        vae_dirty_ = true;
    }

    // "Use as morph endpoint" in the Draw panel sets the drawing pending flag.
    void check_drawing_handoff() {
        SharedDigits& shared = shared_digits();
        if (shared.drawing_generation != drawing_generation_) {
            drawing_generation_ = shared.drawing_generation;
            for (Endpoint* e : {&a_, &b_})
                if (e->source == EndpointSource_Drawing && shared.drawing.size() == 784) {
                    e->drawing = shared.drawing;
                    vae_dirty_ = true;
                }
        }
    }

    std::vector<float> endpoint_image(const Endpoint& e, const io::MnistSplit& digits) const {
        if (e.source == EndpointSource_Test) {
            const int i = std::clamp(e.index, 0, digits.n - 1);
            std::vector<float> image(784);
            for (int j = 0; j < 784; ++j) image[j] = digits.images[static_cast<size_t>(i) * 784 + j] / 255.0f;
            return image;
        }
        if (e.source == EndpointSource_Drawing) return center_like_mnist(e.drawing);
        return {};
    }

    nn::RowVector endpoint_latent(const Endpoint& e, const io::MnistSplit& digits, models::Vae& vae) {
        if (e.source == EndpointSource_Random) {
            nn::Matrix z;
            models::vae_sample_latent(z, 1, vae.config.latent, static_cast<uint64_t>(e.seed));
            return z.row(0);
        }
        std::vector<float> image = endpoint_image(e, digits);
        nn::Matrix x(1, 784), mu, logvar;
        for (int j = 0; j < 784; ++j) x(0, j) = image[j];
        models::vae_encode(mu, logvar, x, vae);
        return mu.row(0);
    }

    nn::RowVector path_point(const nn::RowVector& a, const nn::RowVector& b, float t) const {
        return slerp_ ? models::slerp_latent(a, b, t) : models::lerp_latent(a, b, t);
    }

    void update_vae(models::Vae& vae, const io::MnistSplit& digits) {
        const int generation = request_weights(kVae16File).generation;
        if (generation != vae_model_generation_) vae_model_generation_ = generation, vae_dirty_ = true;
        if (vae_dirty_) {
            vae_za_ = endpoint_latent(a_, digits, vae);
            vae_zb_ = endpoint_latent(b_, digits, vae);
            nn::Matrix z(steps_, vae.config.latent);
            for (int i = 0; i < steps_; ++i) z.row(i) = path_point(vae_za_, vae_zb_, float(i) / (steps_ - 1));
            models::vae_decode(vae_strip_, z, vae);
            vae_strip_tex_.resize(static_cast<size_t>(steps_));
            for (int i = 0; i < steps_; ++i) vae_strip_tex_[i].upload(vae_strip_.row(i).data(), 28, 28);
            for (Endpoint* e : {&a_, &b_}) {
                std::vector<float> image = endpoint_image(*e, digits);
                if (image.empty()) {  // random: show its decode as the "input"
                    nn::Matrix zr(1, vae.config.latent), d;
                    zr.row(0) = e == &a_ ? vae_za_ : vae_zb_;
                    models::vae_decode(d, zr, vae);
                    e->input_texture.upload(d.row(0).data(), 28, 28);
                } else {
                    e->input_texture.upload(image.data(), 28, 28);
                }
            }
            vae_dirty_ = false;
            vae_preview_t_ = -1;
        }
        if (vae_preview_t_ != t_) {
            nn::Matrix z(1, vae.config.latent), d;
            z.row(0) = path_point(vae_za_, vae_zb_, t_);
            models::vae_decode(d, z, vae);
            vae_preview_tex_.upload(d.row(0).data(), 28, 28);
            vae_preview_t_ = t_;
        }
    }

    void update_gan(models::Gan& gan) {
        const int generation = request_weights(kGanFile).generation;
        if (generation != gan_model_generation_) gan_model_generation_ = generation, gan_dirty_ = true;
        if (gan_dirty_) {
            nn::Matrix za, zb;
            models::gan_sample_latent(za, 1, gan.config.latent, static_cast<uint64_t>(gan_seed_a_));
            models::gan_sample_latent(zb, 1, gan.config.latent, static_cast<uint64_t>(gan_seed_b_));
            gan_za_ = za.row(0);
            gan_zb_ = zb.row(0);
            nn::Matrix z(steps_, gan.config.latent);
            for (int i = 0; i < steps_; ++i) z.row(i) = path_point(gan_za_, gan_zb_, float(i) / (steps_ - 1));
            models::gan_generate(gan_strip_, z, {}, gan);
            gan_strip_tex_.resize(static_cast<size_t>(steps_));
            for (int i = 0; i < steps_; ++i) gan_strip_tex_[i].upload(gan_strip_.row(i).data(), 28, 28);
            gan_dirty_ = false;
            gan_preview_t_ = -1;
        }
        if (gan_preview_t_ != t_) {
            nn::Matrix z(1, gan.config.latent), d;
            z.row(0) = path_point(gan_za_, gan_zb_, t_);
            models::gan_generate(d, z, {}, gan);
            gan_preview_tex_.upload(d.row(0).data(), 28, 28);
            gan_preview_t_ = t_;
        }
    }

    void draw_endpoint(const char* title, Endpoint& e, const io::MnistSplit* digits) {
        ImGui::PushID(title);
        ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "%s", title);
        // The input image sits to the right of the choices, as large as the card allows.
        const float pad = ImGui::GetStyle().WindowPadding.x;
        const float choices_w = ImGui::CalcTextSize("random sample").x + ImGui::GetFrameHeight() + 16.0f;
        const float image_size = std::clamp(ImGui::GetWindowWidth() - 2 * pad - choices_w, 40.0f, 96.0f);
        const ImVec2 top = ImGui::GetCursorPos();
        ImGui::SetCursorPosX(ImGui::GetWindowWidth() - image_size - pad);
        digit_image(e.input_texture, image_size);
        ImGui::SetCursorPos(top);
        ImGui::PushItemWidth(std::min(choices_w, ImGui::GetWindowWidth() - image_size - 3 * pad));
        int source = e.source;
        const bool have_drawing = shared_digits().drawing.size() == 784;
        if (ImGui::RadioButton("test digit", &source, EndpointSource_Test)) e.source = EndpointSource_Test, vae_dirty_ = true;
        if (ImGui::RadioButton("random sample", &source, EndpointSource_Random)) e.source = EndpointSource_Random, vae_dirty_ = true;
        if (!have_drawing) ImGui::BeginDisabled();
        if (ImGui::RadioButton("my drawing", &source, EndpointSource_Drawing)) {
            e.source = EndpointSource_Drawing;
            e.drawing = shared_digits().drawing;
            vae_dirty_ = true;
        }
        if (!have_drawing) ImGui::EndDisabled();
        if (e.source == EndpointSource_Test) {
            if (ImGui::InputInt("##index", &e.index)) {
                e.index = std::clamp(e.index, 0, digits ? digits->n - 1 : 999);
                vae_dirty_ = true;
            }
            if (digits && e.index < digits->n) ImGui::TextDisabled("test image #%d, a %d", e.index, digits->labels[e.index]);
        } else if (e.source == EndpointSource_Random) {
            if (ImGui::InputInt("##seed", &e.seed)) vae_dirty_ = true;
            ImGui::TextDisabled("seed of z ~ N(0, I)");
        } else {
            ImGui::TextDisabled("from the Draw panel");
        }
        ImGui::PopItemWidth();
        ImGui::PopID();
    }

    void draw_path_controls() {
        ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "Path");
        ImGui::PushItemWidth(-1);
        if (Control c("t"); c) ImGui::SliderFloat("##t", &t_, schema_.key("t").slider_lo(), schema_.key("t").slider_hi(), "t = %.2f");
        ImGui::PopItemWidth();
        if (Control c("play"); c) {
            if (ImGui::Button(playing_ ? "Pause" : "Play", ImVec2(90, 0))) playing_ = !playing_;
            ImGui::SameLine();
        }
        if (Control c("swap"); c) {
            if (ImGui::Button("Swap")) std::swap(a_, b_), vae_dirty_ = true;
        } else {
            ImGui::NewLine();
        }
        if (Control c("kind"); c) {
            int mode = slerp_ ? 1 : 0;
            if (ImGui::RadioButton("linear", &mode, 0)) slerp_ = false, vae_dirty_ = gan_dirty_ = true;
            ImGui::SameLine();
            if (ImGui::RadioButton("spherical (slerp)", &mode, 1)) slerp_ = true, vae_dirty_ = gan_dirty_ = true;
        }
        ImGui::PushItemWidth(-1);
        if (Control c("steps"); c) {
            const schema::Key& steps = schema_.key("steps");
            if (ImGui::SliderInt("##steps", &steps_, int(steps.slider_lo()), int(steps.slider_hi()), "%d steps in the strip"))
                vae_dirty_ = gan_dirty_ = true;
        }
        ImGui::PopItemWidth();
    }

    void draw_strip(const std::vector<GrayTexture>& strip, const GrayTexture& preview) {
        const float avail_w = ImGui::GetContentRegionAvail().x;
        const float preview_size = std::clamp(std::min(avail_w * 0.5f, ImGui::GetContentRegionAvail().y -
                                                       avail_w / steps_ - 80.0f), 64.0f, 400.0f);
        ImGui::SetCursorPosX(ImGui::GetCursorPosX() + (avail_w - preview_size) * 0.5f);
        digit_image(preview, preview_size);
        const float gap = 4.0f;
        const float cell = std::max(16.0f, (avail_w - gap * (steps_ - 1)) / steps_);
        for (size_t i = 0; i < strip.size(); ++i) {
            if (i) ImGui::SameLine(0, gap);
            ImGui::PushID(static_cast<int>(i));
            const float ti = float(i) / float(strip.size() - 1);
            if (digit_image(strip[i], cell, std::fabs(ti - t_) < 0.5f / (strip.size() - 1))) t_ = ti;
            ImGui::PopID();
        }
    }
};

std::unique_ptr<Panel> make_morph_panel() { return std::make_unique<MorphPanel>(); }
const bool registered = register_panel(make_morph_panel, 20);

}  // namespace
}  // namespace app
