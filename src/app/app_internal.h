// App-core internals shared by main.cpp, bridge.cpp and the panels of app-core: data files
// (non-weights downloads), the hand-off callbacks bridge.cpp forwards from JS, tab switching.
#pragma once

#include "app/app.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace app {

// A downloaded non-weights file (data/<file>, e.g. the MNIST test subset), same life cycle as
// a WeightsSlot but the bytes are not parsed.
struct DataSlot {
    std::string file;
    WeightsStatus status = WeightsStatus::Idle;
    double progress = 0.0;               // 0..1 while Loading, when the total is known
    double received_bytes = 0.0;         // while Loading; shown alone when the total is unknown
    bool total_known = false;
    std::string error;
    std::vector<uint8_t> bytes;
    int generation = 0;
};
DataSlot& request_data(const std::string& file);
void retry_data(const std::string& file);
bool data_gate(DataSlot& slot, const char* what);

// JS -> C++ hand-offs (bridge.cpp).
// `total` is 0 when unknown (a compressing host and no manifest size).
void on_weights_progress(const std::string& file, double received, double total);
void on_weights_loaded(const std::string& file, std::vector<uint8_t> bytes);
void on_weights_failed(const std::string& file, const std::string& message);
void on_data_progress(const std::string& file, double received, double total);
void on_data_loaded(const std::string& file, std::vector<uint8_t> bytes);
void on_data_failed(const std::string& file, const std::string& message);
nlohmann::json weights_state();  // {"gan.safetensors": {"status", "progress", "error"}, ...}
// The Train panel (panel_train.cpp): a file chosen with its Upload button.
void on_train_upload(std::vector<uint8_t> bytes, const std::string& name);
// A panel that trains in a training worker: web/genlab-train.js runs one worker per client name
// ("train": the Train panel, "diffusion": the Diffusion panel's 2-D model) and bridge.cpp hands
// each client's messages to the panel registered under that name: the worker's status, its
// snapshots (a JSON header + floats), weights files and command replies.
class TrainWorkerClient {
public:
    virtual ~TrainWorkerClient() = default;
    virtual void on_worker_status(bool ok, const std::string& message) = 0;
    virtual void on_snapshot(const std::string& header, const float* floats, size_t count) = 0;
    virtual void on_weights(const std::string& purpose, const std::string& file, const std::string& label,
                            const std::string& error, std::vector<uint8_t> bytes) = 0;
    virtual void on_reply(const std::string& reply) = 0;
};
void register_train_worker_client(const std::string& name, TrainWorkerClient* client);
TrainWorkerClient* train_worker_client(const std::string& name);  // nullptr: none by that name
// main.cpp: true once the first frame is drawn (genlab_ready()).
bool first_frame_done();

// The tab bar (main.cpp) reports the tab the user selected; set_active_panel() asks the tab
// bar to select a tab on the next frame.
void note_active_panel(const std::string& id);
void request_tab_switch(const std::string& id);
std::string take_tab_switch();  // "" when none pending

// The page's answer to page::request_font (fonts.cpp): the font's bytes, or why it has none.
void on_font_loaded(const std::string& name, std::vector<uint8_t> bytes);
void on_font_failed(const std::string& name, const std::string& message);

// Smoothed CPU time of one frame (UI, panel ticks, GL submit) in ms, for the status line and
// genlab.state().frame_ms.
double frame_cpu_ms();
nlohmann::json frame_timing();  // {"frame_ms", "ui_ms", "tick_ms", "render_ms"}, smoothed

// Lesson flags and page messages (lesson.cpp), set from the URL through genlab_ui().
struct LessonFlags {
    std::string view;                       // "" = the full app, else the only panel shown
    std::set<std::string> hide, show, lock; // control names; hide "all" = every named control
    std::string theme = "dark";             // "dark" | "light"
    std::vector<std::string> notes;         // ignored / clamped URL parameters, shown as a banner
    std::string offline;                    // e.g. "available offline" once the service worker cached the app
    std::string flash;                      // short message ("Link copied") until flash_until
    double flash_until = 0;
};
const LessonFlags& lesson_flags();
void apply_lesson_flags(const nlohmann::json& flags);  // throws std::invalid_argument
nlohmann::json lesson_flags_json();
void draw_url_notes();             // the banner of URL notes, with Dismiss
void draw_share_buttons();         // Copy link, Copy embed code, Lesson
void draw_open_full_app_button();  // embed mode: the same state in the full app, new tab
void draw_page_messages();         // "Link copied", "available offline" (SameLine'd)

}  // namespace app
