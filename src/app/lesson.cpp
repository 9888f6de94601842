// Lesson flags and sharing (issue 5): what a course author puts in the URL besides the panel
// state, handed over by web/genlab-url.js through genlab_ui():
//   view=gan         one panel only: no header, no tab bar (embed mode)
//   hide=a,b / lock=a,b   controls hidden / shown read-only (app::Control); hide=all hides
//                    every named control, show=a,b then brings some back
//   theme=light|dark
// plus what the page reports back: the URL notes (ignored or clamped parameters), the offline
// status of the service worker, and a short "copied" message.
//
// [SECTION] Flags    — storage, Control, apply_lesson_flags (genlab_ui() in bridge.cpp)
// [SECTION] Widgets  — notes banner, share buttons, offline note
#include "app/app.h"
#include "app/app_internal.h"
#include "app/bridge.h"
#include "app/ui_models.h"

#include "imgui.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace app {

// ---------------------------------------------------------------------------------------------
// [SECTION] Flags

namespace {

std::set<std::string> string_set(const nlohmann::json& list, const char* field) {
    if (!list.is_array()) throw std::invalid_argument(std::string("\"") + field + "\" must be a list of names");
    std::set<std::string> out;
    for (const auto& item : list) {
        if (!item.is_string()) throw std::invalid_argument(std::string("\"") + field + "\" must hold strings");
        out.insert(item.get<std::string>());
    }
    return out;
}

LessonFlags& mutable_flags() {
    static LessonFlags flags;
    return flags;
}

}  // namespace

const LessonFlags& lesson_flags() { return mutable_flags(); }

bool control_hidden(const char* name) {
    const LessonFlags& f = lesson_flags();
    if (f.show.count(name)) return false;
    return f.hide.count(name) > 0 || f.hide.count("all") > 0;
}

bool control_locked(const char* name) {
    const LessonFlags& f = lesson_flags();
    return f.lock.count(name) > 0 || f.lock.count("all") > 0;
}

Control::Control(const char* name) : visible_(!control_hidden(name)) {
    locked_ = visible_ && control_locked(name);
    if (locked_) ImGui::BeginDisabled();
}

Control::~Control() {
    if (locked_) ImGui::EndDisabled();
}

bool narrow_layout() { return ImGui::GetMainViewport()->WorkSize.x < 620.0f; }

void apply_lesson_flags(const nlohmann::json& j) {
    if (!j.is_object()) throw std::invalid_argument("genlab_ui expects a JSON object");
    LessonFlags next = lesson_flags();
    if (j.contains("view")) {
        if (!j["view"].is_string()) throw std::invalid_argument("\"view\" must be a panel id or \"\"");
        const std::string view = j["view"].get<std::string>();
        if (!view.empty()) set_active_panel(view);  // throws for an unknown panel
        next.view = view;
    }
    if (j.contains("hide")) next.hide = string_set(j["hide"], "hide");
    if (j.contains("show")) next.show = string_set(j["show"], "show");
    if (j.contains("lock")) next.lock = string_set(j["lock"], "lock");
    if (j.contains("theme")) {
        const std::string theme = j["theme"].is_string() ? j["theme"].get<std::string>() : "";
        if (theme != "light" && theme != "dark") throw std::invalid_argument("theme must be \"light\" or \"dark\"");
        next.theme = theme;
    }
    if (j.contains("notes")) {
        next.notes.clear();
        for (const auto& n : j["notes"])
            if (n.is_string()) next.notes.push_back(n.get<std::string>());
    }
    if (j.contains("offline")) next.offline = j["offline"].get<std::string>();
    if (j.contains("flash")) {
        next.flash = j["flash"].get<std::string>();
        next.flash_until = ImGui::GetTime() + 4.0;
    }
    mutable_flags() = std::move(next);
}

nlohmann::json lesson_flags_json() {
    const LessonFlags& f = lesson_flags();
    return {{"view", f.view},   {"hide", f.hide},       {"show", f.show},
            {"lock", f.lock},   {"theme", f.theme},     {"notes", f.notes},
            {"offline", f.offline}, {"flash", f.flash}};
}

// ---------------------------------------------------------------------------------------------
// [SECTION] Widgets

namespace {
// Remembered under the visible panel's id (genlab.query(panel, {op: "rect", name})), for tests.
void remember_button(const char* name) {
    if (Panel* p = active_panel()) remember_item_rect(std::string(p->id()) + "/" + name);
}

void ask_page(const char* what) { page::share(what); }
}  // namespace

void draw_url_notes() {
    LessonFlags& f = mutable_flags();
    if (f.notes.empty()) return;
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.75f, 0.30f, 1.0f));
    ImGui::PushTextWrapPos(0.0f);
    for (const std::string& note : f.notes) ImGui::Text("URL: %s", note.c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
    if (ImGui::SmallButton("Dismiss")) f.notes.clear();
    remember_button("dismiss_notes");
}

void draw_share_buttons() {
    if (ImGui::SmallButton("Copy link")) ask_page("link");
    remember_button("copy_link");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("A link to exactly this view (the state lives in the URL)");
    ImGui::SameLine();
    if (ImGui::SmallButton("Copy embed code")) ask_page("embed");
    remember_button("copy_embed");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("An <iframe> snippet of this panel for a course page");
    ImGui::SameLine();
    if (ImGui::SmallButton("Lesson")) ask_page("lesson");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("A short lesson on generative models with embedded widgets");
}

void draw_open_full_app_button() {
    if (ImGui::SmallButton("Open in GenLab")) ask_page("open");
    remember_button("open_full_app");
}

void draw_page_messages() {
    const LessonFlags& f = lesson_flags();
    if (!f.flash.empty() && ImGui::GetTime() < f.flash_until) {
        ImGui::SameLine();
        ImGui::TextColored(ImVec4(0.55f, 0.85f, 0.55f, 1.0f), "%s", f.flash.c_str());
    }
    if (!f.offline.empty()) {
        ImGui::SameLine();
        ImGui::TextDisabled("%s", f.offline.c_str());
    }
}

}  // namespace app
