// The UI's fonts: Inter for the interface and DejaVu Sans Mono for generated text, fetched by
// the page (web/genlab-loader.js, before the module starts) from fonts/ (scripts/fonts.sh makes
// them at build time), rasterised once at devicePixelRatio; ImGui's built-in font when a file
// is missing or malformed (a console message says why).
#pragma once

#include <nlohmann/json.hpp>

struct ImFont;

namespace app {

constexpr float kUiFontPx = 15.0f;    // CSS pixels: readable on a projector, beside lesson text
constexpr float kMonoFontPx = 15.0f;

// Builds the font atlas at `dpr` device pixels per CSS pixel (call once, before the first frame).
void load_fonts(float dpr);
// The face for generated text (the UI font when the mono file did not load).
ImFont* mono_font();
// For genlab.state().fonts (tests): {"ui": "inter" | "imgui-default", "mono": "dejavu-mono" |
// the UI font's name, "raster_px": the UI font's size in the atlas (CSS size x DPR),
// "atlas": [width, height]}.
nlohmann::json fonts_json();

}  // namespace app
