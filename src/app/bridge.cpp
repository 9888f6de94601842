// The only door between JS and C++. Both directions live here (and, on the page, in
// web/genlab-bridge.js, which every other web file goes through):
//
// JS -> C++: extern "C" EMSCRIPTEN_KEEPALIVE functions, called as GenlabBridge.app.*
//   genlab_ready()                 -> 1 once the first frame is drawn
//   genlab_state()                 -> JSON {"panel": id, "panels": [...], "weights": {...},
//                                           "state": <active panel's state()>}
//   genlab_set(json)               -> JSON {"ok": true} or {"error": "..."}; "panel" switches
//                                     the tab, the rest goes to that panel's set_state()
//   genlab_query(panel, json)      -> the panel's query() result, or {"error": "..."}
//   genlab_schema()                -> the panels' state schema (src/schema/panel_schema.h), the
//                                     same JSON as build/site/genlab-schema.js (`genlab schema`)
//   genlab_ui(json)                -> lesson flags and page messages (lesson.cpp), set from the URL
//                                     by web/genlab-url.js: view, hide, show, lock, theme, notes, ...
//   genlab_weights_progress/loaded/failed(file, ...)  weights hand-off (JS fetches; progress is
//                                                     (received bytes, expected total or 0))
//   genlab_data_progress/loaded/failed(file, ...)     data files (MNIST test subset)
//   genlab_train_upload(bytes, n, name)               the Train panel's Upload file chooser
//   genlab_train_worker_status / _on_snapshot / _on_weights / _on_reply(client, ...)   a
//                                                     training worker's messages (web/genlab-train.js),
//                                                     to the panel registered as `client`
//   genlab_font_loaded(name, bytes, n) / genlab_font_failed(name, message)   the page's answer,
//                                                     during the call, to page::request_font
// Returned strings live until the next call of the same function; byte buffers belong to JS
// (it frees them after the call) and are copied here.
//
// C++ -> JS: the app::page functions (bridge.h), each one call of genlab_page_call(), the only
// EM_JS, which runs GenlabBridge.page[name](...args, bytes).
#include "app/app.h"
#include "app/app_internal.h"
#include "app/bridge.h"
#include "app/fonts.h"
#include "app/ui_models.h"
#include "schema/panel_schema.h"

#include <emscripten/emscripten.h>
#include <emscripten/heap.h>

#include <algorithm>
#include <exception>
#include <string>

namespace {

const char* hold(std::string& buffer, const nlohmann::json& value) {
    buffer = value.dump();
    return buffer.c_str();
}

nlohmann::json error_json(const std::string& message) { return {{"error", message}}; }

std::vector<uint8_t> copy_bytes(const uint8_t* bytes, int length) {
    return std::vector<uint8_t>(bytes, bytes + std::max(0, length));
}

// GenlabBridge.page[name](...args, bytes) in web/genlab-bridge.js, `args` a JSON array of strings; 1 when
// it returned something truthy, 0 when it returned nothing or threw (logged to the console: a
// page without some helper keeps the app running).
EM_JS(int, genlab_page_call, (const char* name, const char* args_json, const uint8_t* bytes, int length), {
    const what = UTF8ToString(name);
    try {
        const page = window.GenlabBridge && window.GenlabBridge.page;
        if (!page || !page[what]) throw new Error('genlab-bridge.js has no page.' + what);
        return page[what].apply(null, JSON.parse(UTF8ToString(args_json)).concat([HEAPU8.subarray(bytes, bytes + length)])) ? 1 : 0;
    } catch (e) {
        console.warn('GenLab: page.' + what + ': ' + (e && e.message || e));
        return 0;
    }
});

bool call_page(const char* name, const std::vector<std::string>& args, const uint8_t* bytes = nullptr,
               size_t length = 0) {
    return genlab_page_call(name, nlohmann::json(args).dump().c_str(), bytes, int(length)) != 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// C++ -> JS

namespace app::page {

void fetch_file(const std::string& file, const std::string& kind) { call_page("fetchFile", {file, kind}); }
void clear_weights_cache() { call_page("clearWeightsCache", {}); }
void share(const std::string& what) { call_page("share", {what}); }
void copy_text(const std::string& text) { call_page("copyText", {text}); }
void download(const std::vector<uint8_t>& bytes, const std::string& name) {
    call_page("download", {name}, bytes.data(), bytes.size());
}
void open_upload(const std::string& accept) { call_page("openUpload", {accept}); }
bool train_worker_start(const std::string& client) { return call_page("trainStart", {client}); }
void train_worker_stop(const std::string& client) { call_page("trainStop", {client}); }
void train_worker_command(const std::string& client, const std::string& json) {
    call_page("trainCommand", {client, json});
}
void train_worker_data(const std::string& client, const std::string& what, const uint8_t* bytes, size_t length) {
    call_page("trainData", {client, what}, bytes, length);
}
void train_worker_serialise(const std::string& client, const std::string& purpose) {
    call_page("trainSerialise", {client, purpose});
}
void request_font(const std::string& name) { call_page("font", {name}); }
void announce(const std::string& text) { call_page("announce", {text}); }
double device_pixel_ratio() { return emscripten_get_device_pixel_ratio(); }
double heap_bytes() { return double(emscripten_get_heap_size()); }

}  // namespace app::page

// ---------------------------------------------------------------------------------------------
// JS -> C++

extern "C" {

EMSCRIPTEN_KEEPALIVE int genlab_ready() { return app::first_frame_done() ? 1 : 0; }

EMSCRIPTEN_KEEPALIVE const char* genlab_state() {
    static std::string buffer;
    nlohmann::json out;
    try {
        app::Panel* active = app::active_panel();
        out["panel"] = active ? active->id() : "";
        nlohmann::json ids = nlohmann::json::array();
        for (auto& p : app::panels()) ids.push_back(p->id());
        out["panels"] = ids;
        out["weights"] = app::weights_state();
        out["timing"] = app::frame_timing();
        out["fonts"] = app::fonts_json();
        out["state"] = active ? active->state() : nlohmann::json::object();
    } catch (const std::exception& e) {
        out = error_json(e.what());
    }
    return hold(buffer, out);
}

EMSCRIPTEN_KEEPALIVE const char* genlab_set(const char* json_text) {
    static std::string buffer;
    try {
        nlohmann::json request = nlohmann::json::parse(json_text ? json_text : "");
        if (!request.is_object()) return hold(buffer, error_json("genlab.set expects a JSON object"));
        if (request.contains("panel")) {
            if (!request["panel"].is_string())
                return hold(buffer, error_json("\"panel\" must be a string such as \"gan\""));
            app::set_active_panel(request["panel"].get<std::string>());
            request.erase("panel");
        }
        app::Panel* active = app::active_panel();
        if (active && !request.empty()) active->set_state(request);
        return hold(buffer, {{"ok", true}});
    } catch (const std::exception& e) {
        return hold(buffer, error_json(e.what()));
    }
}

EMSCRIPTEN_KEEPALIVE const char* genlab_query(const char* panel_id, const char* json_text) {
    static std::string buffer;
    try {
        app::Panel* panel = app::find_panel(panel_id ? panel_id : "");
        if (!panel) return hold(buffer, error_json(std::string("no panel \"") + (panel_id ? panel_id : "") + "\""));
        nlohmann::json request = nlohmann::json::parse(json_text ? json_text : "{}");
        if (request.is_object() && request.value("op", "") == "rect")  // test hook, any panel
            return hold(buffer, app::item_rect(std::string(panel_id) + "/" + request.value("name", "")));
        return hold(buffer, panel->query(request));
    } catch (const std::exception& e) {
        return hold(buffer, error_json(e.what()));
    }
}

// genlab_ui(json) -> the flags after applying json ({} just reads them), or {"error": ...}.
EMSCRIPTEN_KEEPALIVE const char* genlab_ui(const char* json_text) {
    static std::string buffer;
    try {
        app::apply_lesson_flags(nlohmann::json::parse(json_text ? json_text : "{}"));
        return hold(buffer, app::lesson_flags_json());
    } catch (const std::exception& e) {
        return hold(buffer, error_json(e.what()));
    }
}

EMSCRIPTEN_KEEPALIVE const char* genlab_schema() {
    static std::string buffer;
    return hold(buffer, schema::to_json());
}

EMSCRIPTEN_KEEPALIVE void genlab_weights_progress(const char* file, double received, double total) {
    app::on_weights_progress(file, received, total);
}

// `bytes` is a malloc'd buffer owned by JS (it frees it after the call); copied here.
EMSCRIPTEN_KEEPALIVE void genlab_weights_loaded(const char* file, const uint8_t* bytes, int length) {
    app::on_weights_loaded(file, copy_bytes(bytes, length));
}

EMSCRIPTEN_KEEPALIVE void genlab_weights_failed(const char* file, const char* message) {
    app::on_weights_failed(file, message ? message : "unknown error");
}

EMSCRIPTEN_KEEPALIVE void genlab_data_progress(const char* file, double received, double total) {
    app::on_data_progress(file, received, total);
}

EMSCRIPTEN_KEEPALIVE void genlab_data_loaded(const char* file, const uint8_t* bytes, int length) {
    app::on_data_loaded(file, copy_bytes(bytes, length));
}

EMSCRIPTEN_KEEPALIVE void genlab_data_failed(const char* file, const char* message) {
    app::on_data_failed(file, message ? message : "unknown error");
}

EMSCRIPTEN_KEEPALIVE void genlab_train_upload(const uint8_t* bytes, int length, const char* name) {
    app::on_train_upload(copy_bytes(bytes, length), name ? name : "upload.safetensors");
}

// The training worker client `client`'s messages (web/genlab-train.js); dropped when no panel
// is registered under that name.
EMSCRIPTEN_KEEPALIVE void genlab_train_worker_status(const char* client, int ok, const char* message) {
    if (app::TrainWorkerClient* c = app::train_worker_client(client ? client : ""))
        c->on_worker_status(ok != 0, message ? message : "");
}

EMSCRIPTEN_KEEPALIVE void genlab_train_on_snapshot(const char* client, const char* header, const float* floats,
                                                   int count) {
    if (app::TrainWorkerClient* c = app::train_worker_client(client ? client : ""))
        c->on_snapshot(header ? header : "{}", floats, size_t(std::max(0, count)));
}

EMSCRIPTEN_KEEPALIVE void genlab_train_on_weights(const char* client, const char* purpose, const char* file,
                                                  const char* label, const char* error, const uint8_t* bytes,
                                                  int length) {
    if (app::TrainWorkerClient* c = app::train_worker_client(client ? client : ""))
        c->on_weights(purpose ? purpose : "", file ? file : "", label ? label : "", error ? error : "",
                      copy_bytes(bytes, length));
}

EMSCRIPTEN_KEEPALIVE void genlab_train_on_reply(const char* client, const char* reply) {
    if (app::TrainWorkerClient* c = app::train_worker_client(client ? client : "")) c->on_reply(reply ? reply : "{}");
}

EMSCRIPTEN_KEEPALIVE void genlab_font_loaded(const char* name, const uint8_t* bytes, int length) {
    app::on_font_loaded(name ? name : "", copy_bytes(bytes, length));
}

EMSCRIPTEN_KEEPALIVE void genlab_font_failed(const char* name, const char* message) {
    app::on_font_failed(name ? name : "", message ? message : "unknown error");
}

}  // extern "C"
