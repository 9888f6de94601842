// The only door between JS and C++: extern "C" EMSCRIPTEN_KEEPALIVE functions, wrapped as
// window.genlab in web/genlab-loader.js and called by web/genlab-weights.js.
//
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
//
// Returned strings live until the next call of the same function.
#include "app/app.h"
#include "app/app_internal.h"
#include "app/ui_models.h"
#include "schema/panel_schema.h"

#include <emscripten/emscripten.h>

#include <exception>
#include <string>

namespace {

const char* hold(std::string& buffer, const nlohmann::json& value) {
    buffer = value.dump();
    return buffer.c_str();
}

nlohmann::json error_json(const std::string& message) { return {{"error", message}}; }

}  // namespace

extern "C" {

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

EMSCRIPTEN_KEEPALIVE const char* genlab_schema() {
    static std::string buffer;
    return hold(buffer, schema::to_json());
}

EMSCRIPTEN_KEEPALIVE void genlab_weights_progress(const char* file, double received, double total) {
    app::on_weights_progress(file, received, total);
}

// `bytes` is a malloc'd buffer owned by JS (it frees it after the call); copied here.
EMSCRIPTEN_KEEPALIVE void genlab_weights_loaded(const char* file, const uint8_t* bytes, int length) {
    app::on_weights_loaded(file, std::vector<uint8_t>(bytes, bytes + (length > 0 ? length : 0)));
}

EMSCRIPTEN_KEEPALIVE void genlab_weights_failed(const char* file, const char* message) {
    app::on_weights_failed(file, message ? message : "unknown error");
}

EMSCRIPTEN_KEEPALIVE void genlab_data_progress(const char* file, double received, double total) {
    app::on_data_progress(file, received, total);
}

EMSCRIPTEN_KEEPALIVE void genlab_data_loaded(const char* file, const uint8_t* bytes, int length) {
    app::on_data_loaded(file, std::vector<uint8_t>(bytes, bytes + (length > 0 ? length : 0)));
}

EMSCRIPTEN_KEEPALIVE void genlab_data_failed(const char* file, const char* message) {
    app::on_data_failed(file, message ? message : "unknown error");
}

}  // extern "C"
