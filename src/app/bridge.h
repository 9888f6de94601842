// What the app asks of the page, as plain C++ functions: implemented in bridge.cpp (the only
// file with EM_JS or calls into the page), carried out by web/genlab-bridge.js (GenlabBridge.page).
// The other direction, JS -> C++, is bridge.cpp's extern "C" functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace app::page {

// Weights and data files: web/genlab-weights.js fetches weights/<file> ("weights", checked
// against the manifest) or data/<file> ("data") and hands the bytes back (app_internal.h).
void fetch_file(const std::string& file, const std::string& kind);
void clear_weights_cache();
// The app's share buttons, done by web/genlab-url.js: "link", "embed", "lesson", "open".
void share(const std::string& what);
// The system clipboard (SDL's stays inside the page); a refusal is ignored.
void copy_text(const std::string& text);
// Saves bytes as a file named `name` (a Blob URL and <a download>).
void download(const std::vector<uint8_t>& bytes, const std::string& name);
// Opens a file chooser for `accept` (".safetensors"); the file goes to app::on_train_upload.
void open_upload(const std::string& accept);
// A training worker of web/genlab-train.js, one per client name (app_internal.h,
// TrainWorkerClient); start is false without Web Workers. Its messages come back to the client
// registered under that name.
bool train_worker_start(const std::string& client);
void train_worker_stop(const std::string& client);
void train_worker_command(const std::string& client, const std::string& json);
void train_worker_data(const std::string& client, const std::string& what, const uint8_t* bytes, size_t length);
void train_worker_serialise(const std::string& client, const std::string& purpose);
// Asks for a UI font the page fetched before start-up (web/genlab-loader.js; name "ui" or
// "mono"); the page answers during the call with genlab_font_loaded or genlab_font_failed.
void request_font(const std::string& name);
// Puts `text` into the page's ARIA live region (#genlab-live in index.html), which screen
// readers read out (main.cpp: each panel's describe(), when it changes).
void announce(const std::string& text);
// The browser's devicePixelRatio and the wasm heap's size in bytes.
double device_pixel_ratio();
double heap_bytes();

}  // namespace app::page
