// Fonts: bytes from the page (bridge.h page::request_font), a container check (io::sfnt_problem) so a damaged
// file never reaches stb_truetype, then one atlas at devicePixelRatio.
#include "app/fonts.h"

#include "app/app_internal.h"
#include "app/bridge.h"
#include "io/sfnt.h"

#include "imgui.h"

#include <cmath>
#include <cstdio>
#include <vector>

namespace {

// Code points asked of each face; scripts/fonts.sh subsets the files to the same set (keep
// the two in step). ImGui draws '?' for a code point outside these.
const ImWchar kUiRanges[] = {
    0x0020, 0x007E, 0x00A0, 0x00FF,  // ASCII, Latin-1 (×, °, ·, ±)
    0x0391, 0x03A9, 0x03B1, 0x03C9,  // Greek (θ, σ, μ)
    0x2010, 0x2027,                  // dashes, quotes, bullet, ellipsis
    0x2190, 0x2193,                  // arrows
    0x2212, 0x2212,                  // minus
    0x2264, 0x2265,                  // ≤ ≥
    0,
};
const ImWchar kMonoRanges[] = {0x0020, 0x007E, 0};

// The atlas keeps pointers into these (FontDataOwnedByAtlas = false): they live as long as
// the program, so ImGui never frees memory it did not allocate and never reads freed bytes.
std::vector<uint8_t> g_ui_bytes, g_mono_bytes;
ImFont* g_mono = nullptr;
const char* g_ui_name = "imgui-default";
const char* g_mono_name = "imgui-default";

// The page's answer to page::request_font, which arrives during that call.
struct FontAnswer {
    bool answered = false;
    std::vector<uint8_t> bytes;
    std::string error;  // set when the page has no bytes for the font
};
FontAnswer g_answer;

// The file's bytes when the page fetched them and they pass the container check, else empty
// (with the reason on the console).
std::vector<uint8_t> checked_font(const char* name, const char* file) {
    g_answer = FontAnswer{};
    app::page::request_font(name);
    std::string error = !g_answer.answered ? std::string(file) + ": the page did not answer for the font"
                                           : g_answer.error;
    std::vector<uint8_t> bytes = std::move(g_answer.bytes);
    if (error.empty()) error = io::sfnt_problem(bytes.data(), bytes.size(), file);
    if (!error.empty()) {
        std::fprintf(stderr, "GenLab: %s; using ImGui's built-in font instead\n", error.c_str());
        bytes.clear();
    }
    return bytes;
}

ImFont* add_font(std::vector<uint8_t>& bytes, float size_px, const ImWchar* ranges) {
    ImFontConfig config;
    config.FontDataOwnedByAtlas = false;
    // 2x horizontal oversampling: glyphs placed at fractional x stay sharp at DPR 1.
    config.OversampleH = 2;
    config.OversampleV = 1;
    return ImGui::GetIO().Fonts->AddFontFromMemoryTTF(bytes.data(), int(bytes.size()), size_px, &config, ranges);
}

void use_default_font(float dpr) {
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    ImFontConfig config;
    config.SizePixels = std::round(13.0f * dpr);
    config.OversampleH = config.OversampleV = 1;
    config.PixelSnapH = true;
    io.Fonts->AddFontDefault(&config);
    g_mono = nullptr;
    g_ui_name = g_mono_name = "imgui-default";
}

}  // namespace

namespace app {

void on_font_loaded(const std::string&, std::vector<uint8_t> bytes) {
    g_answer.answered = true;
    g_answer.bytes = std::move(bytes);
}

void on_font_failed(const std::string&, const std::string& message) {
    g_answer.answered = true;
    g_answer.error = message;
}

void load_fonts(float dpr) {
    ImGuiIO& io = ImGui::GetIO();
    // ImGui works in CSS pixels (DisplayFramebufferScale = drawable / window size): glyphs
    // rasterised at size x dpr and drawn at 1/dpr map 1:1 to device pixels.
    io.FontGlobalScale = 1.0f / dpr;
    g_ui_bytes = checked_font("ui", "fonts/inter-ui.otf");
    g_mono_bytes = checked_font("mono", "fonts/dejavu-sans-mono.ttf");
    if (g_ui_bytes.empty()) {
        use_default_font(dpr);
        return;
    }
    io.Fonts->Clear();
    add_font(g_ui_bytes, std::round(kUiFontPx * dpr), kUiRanges);  // first font = the default
    g_ui_name = "inter";
    if (!g_mono_bytes.empty()) {
        g_mono = add_font(g_mono_bytes, std::round(kMonoFontPx * dpr), kMonoRanges);
        g_mono_name = "dejavu-mono";
    }
    // Build now rather than on the first frame, so a font stb_truetype cannot read (past the
    // container check) falls back here instead of leaving a blank atlas.
    if (!io.Fonts->Build() || !io.Fonts->Fonts[0]->FindGlyphNoFallback('A')) {
        std::fprintf(stderr, "GenLab: the UI fonts could not be rasterised; using ImGui's built-in font instead\n");
        use_default_font(dpr);
    }
}

ImFont* mono_font() { return g_mono ? g_mono : ImGui::GetFont(); }

nlohmann::json fonts_json() {
    const ImFontAtlas* atlas = ImGui::GetIO().Fonts;
    return {{"ui", g_ui_name},
            {"mono", g_mono ? g_mono_name : g_ui_name},
            {"raster_px", atlas->Fonts.empty() ? 0.0f : atlas->Fonts[0]->FontSize},
            {"atlas", {atlas->TexWidth, atlas->TexHeight}}};
}

}  // namespace app
