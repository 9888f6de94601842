// Panel 5, "Text": a char-RNN (LSTM or GRU) writes text after a prime, streamed a few
// characters per frame inside the tick budget, with live bars of the next-character
// distribution at T = 1 and at the chosen temperature.
//
// [SECTION] Model     — weights slot per cell, loading, failure messages
// [SECTION] Generate  — the same sampling loop as models::generate_text, split across frames,
//                       so a seed gives the text the CLI gives (`genlab sample rnn --seed S`)
// [SECTION] UI        — controls, output, distribution bars, copy
// [SECTION] State     — window.genlab state()/set()/query()
#include "app/app.h"
#include "app/bridge.h"
#include "app/fonts.h"
#include "app/plot.h"
#include "models/char_rnn.h"
#include "nn/rng.h"
#include "schema/panel_schema.h"

#include "imgui.h"

#include <algorithm>
#include <array>
#include <map>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

double now_ms() {
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

// Entropy in bits of a distribution.
double entropy_bits(const std::vector<float>& probs) {
    double h = 0;
    for (float p : probs)
        if (p > 0) h -= double(p) * std::log2(double(p));
    return h;
}

// A character as shown in the bars: visible glyph, or a name for whitespace.
std::string char_label(char c) {
    if (c == '\n') return "\\n";
    if (c == ' ') return "' '";
    return std::string(1, c);
}

constexpr int kBars = 20;

class TextPanel : public app::Panel {
public:
    const char* id() const override { return "text"; }
    const char* title() const override { return "Text"; }

    TextPanel() { std::snprintf(prime_.data(), prime_.size(), "%s", ":hacker: n.\n\n"); }

    void draw() override;
    void tick(double budget_ms) override;
    nlohmann::json state() const override;
    std::string describe() override {
        if (generating_) return "generating " + std::to_string(length_) + " characters of text...";
        if (generated_.empty()) return "text generator: press Generate";
        return "generated text: " + generated_prime_ + generated_;
    }
    void set_state(const nlohmann::json& state) override;
    nlohmann::json query(const nlohmann::json& request) override;

private:
    // [SECTION] Model
    std::string weights_file() const {
        return cell_ == "gru" ? "char_gru.safetensors" : "char_lstm.safetensors";
    }
    models::CharRnn* model();  // nullptr until the current cell's weights are loaded

    // [SECTION] Generate
    bool start_generation();   // false (and error_ set) when the model is not ready
    void generate_some(int max_chars, double deadline_ms);
    void stop_generation() { generating_ = false; }
    void update_distribution();

    // settings (keys, types and ranges: schema::panel("text") in src/schema/panel_schema.cpp)
    const schema::PanelSchema& schema_ = schema::panel("text");
    std::string cell_ = "lstm";
    std::vector<char> prime_ = std::vector<char>(size_t(schema_.key("prime").max) + 1, '\0');  // ImGui's buffer
    float temperature_ = 0.8f;
    int top_k_ = 0;
    int length_ = 400;
    int seed_ = 1;
    int chars_per_frame_ = 4;

    // model per cell
    models::CharRnn models_[2];
    int loaded_generation_[2] = {-1, -1};
    bool wanted_ = false;  // weights asked for (panel shown, or a JS call)
    std::string error_;

    // generation
    bool generating_ = false;
    std::string generated_;
    std::string generated_prime_;  // the prime the current text continues
    int remaining_ = 0;
    models::CharRnnState rnn_state_;
    nn::RowVector logits_;         // next-character logits after the last character fed
    nn::Rng rng_;
    const models::CharRnn* gen_model_ = nullptr;
    double chars_per_second_ = 0;
    double gen_started_ms_ = 0;

    // distribution shown in the bars (recomputed from logits_ every frame: cheap, V < 100)
    std::vector<float> probs_raw_, probs_temp_;
    std::vector<int> bar_ids_;
    bool auto_scroll_ = true;

    // Screen rectangles of the main controls (ImGui units = CSS pixels of the canvas), so e2e
    // tests click the real widgets.
    std::map<std::string, std::array<float, 4>> widgets_;
    void note_widget(const char* name) {
        const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        widgets_[name] = {a.x, a.y, b.x - a.x, b.y - a.y};
    }
};

// ---------------------------------------------------------------------------------------------
// [SECTION] Model

models::CharRnn* TextPanel::model() {
    wanted_ = true;
    const int index = cell_ == "gru" ? 1 : 0;
    app::WeightsSlot& slot = app::request_weights(weights_file());
    if (slot.status != app::WeightsStatus::Ready || !slot.data) return nullptr;
    if (loaded_generation_[index] != slot.generation) {
        try {
            models::CharRnn loaded;
            models::load_char_rnn(loaded, *slot.data);
            if (loaded.config.cell != cell_)
                throw std::invalid_argument(slot.data->source + ": a " + loaded.config.cell +
                                            " char-RNN, expected " + cell_);
            if (generating_ && gen_model_ == &models_[index]) generating_ = false;
            models_[index] = std::move(loaded);
            loaded_generation_[index] = slot.generation;
            logits_.resize(0);
        } catch (const std::exception& e) {
            loaded_generation_[index] = -1;
            app::fail_weights(weights_file(), e.what());
            return nullptr;
        }
    }
    return &models_[index];
}

// ---------------------------------------------------------------------------------------------
// [SECTION] Generate

bool TextPanel::start_generation() {
    models::CharRnn* m = model();
    if (!m) {
        error_ = "the " + cell_ + " weights are not loaded yet (weights/" + weights_file() + ")";
        return false;
    }
    error_.clear();
    gen_model_ = m;
    generated_prime_ = prime_.data();
    generated_.clear();
    // Exactly models::generate_text, one character at a time.
    models::char_rnn_reset(rnn_state_, *m);
    logits_ = models::char_rnn_prime(rnn_state_, generated_prime_, *m);
    if (logits_.size() == 0) models::char_rnn_step(logits_, m->vocab.id_of('\n'), rnn_state_, *m);
    rng_ = nn::Rng(uint64_t(uint32_t(seed_)));
    remaining_ = length_;
    generating_ = remaining_ > 0;
    gen_started_ms_ = now_ms();
    update_distribution();
    return true;
}

void TextPanel::generate_some(int max_chars, double deadline_ms) {
    std::vector<float> probs;
    for (int n = 0; generating_ && n < max_chars; ++n) {
        if (n > 0 && now_ms() > deadline_ms) break;
        models::next_char_distribution(probs, logits_, temperature_, top_k_);
        const int id = models::sample_char(probs, rng_);
        generated_.push_back(gen_model_->vocab.chars[size_t(id)]);
        --remaining_;
        if (remaining_ > 0) {
            models::char_rnn_step(logits_, id, rnn_state_, *gen_model_);
        } else {
            generating_ = false;
        }
    }
    const double seconds = (now_ms() - gen_started_ms_) / 1000.0;
    if (seconds > 0) chars_per_second_ = double(generated_.size()) / seconds;
}

void TextPanel::update_distribution() {
    if (logits_.size() == 0) {
        probs_raw_.clear();
        probs_temp_.clear();
        bar_ids_.clear();
        return;
    }
    models::next_char_distribution(probs_raw_, logits_, 1.0f, 0);
    models::next_char_distribution(probs_temp_, logits_, temperature_, top_k_);
    bar_ids_.resize(probs_raw_.size());
    std::iota(bar_ids_.begin(), bar_ids_.end(), 0);
    std::stable_sort(bar_ids_.begin(), bar_ids_.end(),
                     [&](int a, int b) { return probs_raw_[size_t(a)] > probs_raw_[size_t(b)]; });
    if (int(bar_ids_.size()) > kBars) bar_ids_.resize(kBars);
}

void TextPanel::tick(double budget_ms) {
    if (!wanted_) return;
    if (generating_) {
        if (!gen_model_ || gen_model_ != model()) {
            generating_ = false;
            return;
        }
        const double start = now_ms();
        generate_some(chars_per_frame_, start + std::max(1.0, budget_ms));
        update_distribution();
    }
}

// ---------------------------------------------------------------------------------------------
// [SECTION] UI

void TextPanel::draw() {
    ImGui::TextWrapped("A character-level RNN trained on the Jargon File writes text after your "
                       "prime, one character at a time, sampled from its next-character "
                       "distribution reshaped by the temperature.");
    ImGui::Separator();

    // Controls (left) and the distribution (right).
    // Narrow (embeds from 320 px): the distribution goes below the controls and the output.
    const bool narrow = app::narrow_layout();
    const bool show_distribution = !app::control_hidden("distribution");
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImVec2 left_size = !show_distribution ? ImVec2(0, 0)
                             : narrow ? ImVec2(0, std::floor(avail.y * 0.62f))
                                      : ImVec2(std::max(320.0f, avail.x * 0.55f), 0);
    const float slider_width = narrow ? std::max(100.0f, avail.x * 0.45f) : 200.0f;
    ImGui::BeginChild("text_controls", left_size, false, ImGuiWindowFlags_NavFlattened);

    int cell_index = cell_ == "gru" ? 1 : 0;
    bool cell_changed = false;
    if (app::Control c("model"); c) {
        ImGui::TextUnformatted("Cell");
        ImGui::SameLine();
        cell_changed = ImGui::RadioButton("LSTM", &cell_index, 0);
        ImGui::SameLine();
        cell_changed |= ImGui::RadioButton("GRU", &cell_index, 1);
    }
    if (cell_changed) {
        cell_ = cell_index == 1 ? "gru" : "lstm";
        generating_ = false;
        logits_.resize(0);
    }
    app::WeightsSlot& slot = app::request_weights(weights_file());
    wanted_ = true;
    const bool ready = app::weights_gate(slot, cell_ == "gru" ? "GRU char-RNN" : "LSTM char-RNN");
    models::CharRnn* m = ready ? model() : nullptr;
    if (m)
        ImGui::TextDisabled("%s: %d-layer %s, hidden %d, %d characters", weights_file().c_str(),
                            m->config.layers, m->config.cell.c_str(), m->config.hidden,
                            m->vocab.size());

    if (app::Control c("prime"); c) {
        ImGui::TextUnformatted("Prime (any text; characters the model never saw are mapped)");
        ImGui::PushFont(app::mono_font());
        ImGui::InputTextMultiline("##prime", prime_.data(), prime_.size(),
                                  ImVec2(-1, ImGui::GetTextLineHeight() * 3.5f));
        ImGui::PopFont();
        note_widget("prime");
    }
    if (app::Control c("temperature"); c) {
        ImGui::SetNextItemWidth(slider_width);
        const schema::Key& t = schema_.key("temperature");
        const bool changed = ImGui::SliderFloat("temperature (0 = greedy)", &temperature_, t.slider_lo(), t.slider_hi(), "%.2f");
        note_widget("temperature");
        // Without a Generate button (a lesson's hide=), a new temperature writes a new text.
        if (changed && m && app::control_hidden("generate")) start_generation();
    }
    if (app::Control c("top_k"); c) {
        ImGui::SetNextItemWidth(slider_width);
        ImGui::SliderInt("top-k (0 = all)", &top_k_, int(schema_.key("top_k").slider_lo()), int(schema_.key("top_k").slider_hi()));
    }
    if (app::Control c("length"); c) {
        ImGui::SetNextItemWidth(slider_width);
        ImGui::SliderInt("length", &length_, int(schema_.key("length").slider_lo()), int(schema_.key("length").slider_hi()));
    }
    if (app::Control c("seed"); c) {
        ImGui::SetNextItemWidth(slider_width);
        ImGui::InputInt("seed", &seed_);
    }
    if (app::Control c("speed"); c) {
        ImGui::SetNextItemWidth(slider_width);
        const schema::Key& speed = schema_.key("chars_per_frame");
        ImGui::SliderInt("characters per frame", &chars_per_frame_, int(speed.slider_lo()), int(speed.slider_hi()));
    }

    if (app::Control c("generate"); c) {
        ImGui::BeginDisabled(!m);
        if (!generating_) {
            if (ImGui::Button("Generate", ImVec2(120, 0))) start_generation();
        } else {
            if (ImGui::Button("Stop", ImVec2(120, 0))) stop_generation();
        }
        note_widget("generate");
        ImGui::EndDisabled();
        ImGui::SameLine();
    }
    if (app::Control c("copy"); c) {
        ImGui::BeginDisabled(generated_.empty());
        if (ImGui::Button("Copy", ImVec2(80, 0))) {
            const std::string all = generated_prime_ + generated_;
            ImGui::SetClipboardText(all.c_str());
            app::page::copy_text(all);
        }
        note_widget("copy");
        ImGui::EndDisabled();
        ImGui::SameLine();
    }
    if (generating_)
        ImGui::Text("generating %d / %d  (%.0f chars/s)", int(generated_.size()), length_,
                    chars_per_second_);
    else if (!generated_.empty())
        ImGui::Text("%d characters", int(generated_.size()));
    if (!error_.empty()) ImGui::TextColored(ImVec4(1.0f, 0.55f, 0.5f, 1.0f), "%s", error_.c_str());

    if (app::Control c("follow"); c) ImGui::Checkbox("follow output", &auto_scroll_);
    // Narrow: the controls scroll, and the output keeps at least 8 lines below them.
    const float output_h = narrow ? std::max(ImGui::GetContentRegionAvail().y, 8 * ImGui::GetTextLineHeightWithSpacing()) : 0.0f;
    ImGui::BeginChild("text_output", ImVec2(0, output_h), true, ImGuiWindowFlags_NavFlattened);
    ImGui::PushTextWrapPos(0.0f);
    ImGui::PushFont(app::mono_font());
    if (!generated_prime_.empty() || !generated_.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.55f, 0.75f, 1.0f, 1.0f));
        // The prime as the model read it (normalized: what it conditions on).
        const std::string shown_prime = io::normalize_text(generated_prime_);
        ImGui::TextUnformatted(shown_prime.c_str());
        ImGui::PopStyleColor();
        ImGui::TextUnformatted(generated_.c_str());
    } else {
        ImGui::TextDisabled("Press Generate.");
    }
    ImGui::PopFont();
    ImGui::PopTextWrapPos();
    if (generating_ && auto_scroll_) ImGui::SetScrollHereY(1.0f);
    ImGui::EndChild();
    ImGui::EndChild();

    if (!show_distribution) return;
    if (!narrow) ImGui::SameLine();
    ImGui::BeginChild("text_distribution", ImVec2(0, 0), true, ImGuiWindowFlags_NavFlattened);
    update_distribution();
    ImGui::TextUnformatted("Next-character distribution");
    if (bar_ids_.empty()) {
        ImGui::TextDisabled("(appears once text is generated)");
    } else {
        ImGui::Text("entropy: raw %.2f bits, at T=%.2f %.2f bits", entropy_bits(probs_raw_),
                    temperature_, entropy_bits(probs_temp_));
        // Top characters by their raw probability, each with its bar at T = 1 and at the
        // chosen temperature (plot.h: x axis, hover read-out).
        const models::CharRnn& shown = gen_model_ ? *gen_model_ : models_[cell_ == "gru" ? 1 : 0];
        app::plot::BarChart chart;
        chart.x_label = "probability";
        char at_t_name[48];
        std::snprintf(at_t_name, sizeof at_t_name, "at T = %.2f%s", temperature_, top_k_ > 0 ? " + top-k" : "");
        chart.names[0] = "raw (T = 1)";
        chart.names[1] = at_t_name;
        for (int id : bar_ids_) {
            chart.categories.push_back(char_label(shown.vocab.chars[size_t(id)]));
            chart.values[0].push_back(probs_raw_[size_t(id)]);
            chart.values[1].push_back(probs_temp_[size_t(id)]);
        }
        // Legend: a swatch per series.
        ImDrawList* dl = ImGui::GetWindowDrawList();
        for (int k = 0; k < 2; ++k) {
            if (k) ImGui::SameLine(0, 16);
            const ImVec2 p = ImGui::GetCursorScreenPos();
            const float h = ImGui::GetTextLineHeight();
            dl->AddRectFilled(ImVec2(p.x, p.y + h * 0.2f), ImVec2(p.x + h * 0.6f, p.y + h * 0.8f), chart.colors[k]);
            ImGui::Dummy(ImVec2(h * 0.6f, h));
            ImGui::SameLine(0, 6);
            ImGui::TextUnformatted(chart.names[k]);
        }
        app::plot::bar_chart("bars", ImVec2(0, 0), chart);
    }
    ImGui::EndChild();
}

// ---------------------------------------------------------------------------------------------
// [SECTION] State

nlohmann::json TextPanel::state() const {
    nlohmann::json s = {
        {"cell", cell_},
        {"prime", std::string(prime_.data())},
        {"temperature", temperature_},
        {"top_k", top_k_},
        {"length", length_},
        {"seed", seed_},
        {"chars_per_frame", chars_per_frame_},
        {"generated", generated_},
        {"generating", generating_},
        {"chars_per_second", chars_per_second_},
    };
    if (!error_.empty()) s["error"] = error_;
    nlohmann::json widgets = nlohmann::json::object();
    for (const auto& [name, r] : widgets_) widgets[name] = {r[0], r[1], r[2], r[3]};
    s["widgets"] = widgets;
    if (!bar_ids_.empty()) {
        // Recomputed from the stored logits with the current settings, so a set() of the
        // temperature shows at once (the bars do the same every frame).
        std::vector<float> raw, at_t;
        models::next_char_distribution(raw, logits_, 1.0f, 0);
        models::next_char_distribution(at_t, logits_, temperature_, top_k_);
        const models::CharRnn& m = gen_model_ ? *gen_model_ : models_[cell_ == "gru" ? 1 : 0];
        nlohmann::json bars = nlohmann::json::array();
        for (int id : bar_ids_)
            bars.push_back({{"char", std::string(1, m.vocab.chars[size_t(id)])},
                            {"raw", raw[size_t(id)]},
                            {"p", at_t[size_t(id)]}});
        s["distribution"] = {{"entropy_raw", entropy_bits(raw)},
                             {"entropy", entropy_bits(at_t)},
                             {"top", bars}};
    }
    return s;
}

void TextPanel::set_state(const nlohmann::json& s) {
    if (s.contains("cell")) {
        const std::string cell = schema_.key("cell").word(s["cell"]);
        if (cell != cell_) {
            cell_ = cell;
            generating_ = false;
            logits_.resize(0);
            update_distribution();
        }
        wanted_ = true;
        app::request_weights(weights_file());
    }
    if (s.contains("prime")) {
        const std::string prime = schema_.key("prime").text(s["prime"]);
        std::snprintf(prime_.data(), prime_.size(), "%s", prime.c_str());
    }
    if (s.contains("temperature")) temperature_ = float(schema_.key("temperature").number(s["temperature"]));
    if (s.contains("top_k")) top_k_ = int(schema_.key("top_k").integer(s["top_k"]));
    if (s.contains("length")) length_ = int(schema_.key("length").integer(s["length"]));
    if (s.contains("seed")) seed_ = int(schema_.key("seed").integer(s["seed"]));
    if (s.contains("chars_per_frame")) chars_per_frame_ = int(schema_.key("chars_per_frame").integer(s["chars_per_frame"]));
    if (s.contains("generating")) {
        if (s["generating"].get<bool>()) {
            if (!generating_ && !start_generation()) throw std::invalid_argument(error_);
        } else {
            stop_generation();
        }
    }
    update_distribution();
}

nlohmann::json TextPanel::query(const nlohmann::json& request) {
    const std::string op = request.value("op", "");
    if (op == "generate") {
        // Whole generation at once (tests, embedding); same text as the streamed one.
        if (!request.is_object()) throw std::invalid_argument("query expects an object");
        set_state(nlohmann::json::object());
        nlohmann::json settings = request;
        settings.erase("op");
        set_state(settings);
        if (!start_generation()) return {{"error", error_}};
        generate_some(int(schema_.key("length").max), 1e300);
        update_distribution();
        return {{"text", generated_}, {"length", int(generated_.size())}};
    }
    if (op == "status") {
        wanted_ = true;
        const bool loaded = model() != nullptr;
        return {{"loaded", loaded}, {"file", weights_file()}};
    }
    return {{"error", "text panel: unknown op \"" + op + "\" (generate, status)"}};
}

const bool registered = app::register_panel(
    []() -> std::unique_ptr<app::Panel> { return std::make_unique<TextPanel>(); }, 50);

}  // namespace
