// The browser app's shared frame: panels, the per-file weights loader, and the JS door.
//
// [SECTION] Panels   — one source file per panel (panel_*.cpp), each registers itself:
//                      static const bool registered = app::register_panel(make_text_panel);
// [SECTION] Weights  — weights are fetched by JS (web/genlab-weights.js: streamed fetch with
//                      progress, Cache API keyed by URL + sha256 from weights/manifest.json)
//                      and handed to C++; a panel asks for a file and polls its slot.
// [SECTION] Bridge   — every JS <-> C++ call: bridge.cpp (extern "C" functions in, app::page in
//                      bridge.h out) and web/genlab-bridge.js on the page; window.genlab
//                      (web/genlab-loader.js) is built on it.
// [SECTION] Lesson   — flags from the URL (web/genlab-url.js -> genlab_ui): one panel only,
//                      hidden and locked controls, theme; implemented in lesson.cpp.
//
// Panels and the loader know nothing about GL except to upload textures (see textures.h).
#pragma once

#include "io/safetensors.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace app {

// ---------------------------------------------------------------------------------------------
// [SECTION] Weights

enum class WeightsStatus { Idle, Loading, Ready, Failed };

struct WeightsSlot {
    std::string file;                    // e.g. "gan.safetensors" (relative to weights/)
    WeightsStatus status = WeightsStatus::Idle;
    double progress = 0.0;               // 0..1 while Loading, when the total is known
    double received_bytes = 0.0;         // while Loading; shown alone when the total is unknown
    bool total_known = false;            // manifest size or an uncompressed Content-Length
    std::string error;                   // set when Failed: what went wrong, in words
    std::shared_ptr<io::SafetensorsFile> data;  // set when Ready (already validated)
    int generation = 0;                  // bumps on every (re)load, so panels notice new data
};

// Starts a fetch the first time a file is asked for; returns the slot to poll every frame.
WeightsSlot& request_weights(const std::string& file);
// Fetches again after a failure (the panel's Retry button).
void retry_weights(const std::string& file);
// A panel that finds the data unusable (wrong model kind, failed shape check) marks it failed
// with the message to show; the slot then offers Retry like a failed fetch.
void fail_weights(const std::string& file, const std::string& message);
// Replaces a slot's data with user-provided bytes (upload / trained in the browser). Throws
// io::SafetensorsError when the bytes do not validate.
void provide_weights(const std::string& file, std::vector<uint8_t> bytes, const std::string& label);

// Draws the standard status for a slot that is not Ready (progress bar, or the error and a
// Retry button). Returns true when the slot is Ready.
bool weights_gate(WeightsSlot& slot, const char* what);

// ---------------------------------------------------------------------------------------------
// [SECTION] Panels

struct Panel {
    virtual ~Panel() = default;
    virtual const char* id() const = 0;     // "gan", "morph", "latent", "draw", "text", "train"
    virtual const char* title() const = 0;  // tab label
    // Called every frame for the visible panel, inside its tab.
    virtual void draw() = 0;
    // Called every frame for every panel (visible or not) with a time budget in ms, for
    // incremental work: streaming text generation, training slices, animation.
    virtual void tick(double budget_ms) { (void)budget_ms; }
    // JSON state for window.genlab.state() / set(), and so for the URL hash: the keys a link
    // carries, their types and ranges are the panel's schema (src/schema/panel_schema.cpp), which
    // set_state() validates with and web/genlab-url.js reads.
    virtual nlohmann::json state() const { return nlohmann::json::object(); }
    // Applies the fields it knows; throws std::invalid_argument with a message for bad values.
    virtual void set_state(const nlohmann::json& state) { (void)state; }
    // The panel's current output in words, for screen readers (the page's ARIA live region,
    // #genlab-live): "16 digits from the GAN, seed 1; the classifier reads 4 2 3 9 ...".
    // Called every frame for the visible panel; the page is told only when the text changes.
    virtual std::string describe() { return title(); }
    // Panel-specific test/embedding queries (window.genlab.query(panel, json)).
    virtual nlohmann::json query(const nlohmann::json& request) {
        (void)request;
        return nlohmann::json::object();
    }
};

using PanelFactory = std::unique_ptr<Panel> (*)();
bool register_panel(PanelFactory factory, int order);
std::vector<std::unique_ptr<Panel>>& panels();   // sorted by order
Panel* find_panel(const std::string& id);
Panel* active_panel();
void set_active_panel(const std::string& id);

// Hand-offs between panels (e.g. Draw -> "use as morph endpoint").
struct SharedDigits {
    std::vector<float> drawing;     // last drawing, 784 floats in [0,1]; empty if none
    int drawing_generation = 0;     // bumps on every change
};
SharedDigits& shared_digits();

// ---------------------------------------------------------------------------------------------
// [SECTION] Lesson

// Wraps one named control of the visible panel so a lesson author can hide it (URL `hide=`) or
// show it read-only (`lock=`). Names are the URL parameter names ("seed", "temperature", ...).
//   if (app::Control c("seed"); c) { ImGui::InputInt(...); }
// A hidden control is not drawn; a locked one is drawn inside ImGui::BeginDisabled().
class Control {
public:
    explicit Control(const char* name);
    ~Control();
    Control(const Control&) = delete;
    Control& operator=(const Control&) = delete;
    explicit operator bool() const { return visible_; }

private:
    bool visible_ = true;
    bool locked_ = false;
};
bool control_hidden(const char* name);
bool control_locked(const char* name);

// True below this content width (CSS pixels): panels stack their columns (embeds from 320 px).
bool narrow_layout();

}  // namespace app
