// GenLab browser app: SDL2 window + WebGL2 context + Dear ImGui; one full-window ImGui window
// with a tab per registered panel (app.h) and a status line. The loop structure follows
// ImGui's example_sdl2_opengl3; the web build hands frame() to emscripten_set_main_loop.
//
// [SECTION] Frame budget — every panel's tick(budget_ms) runs each frame, budgets shrink as
//                          the frame fills so the whole frame stays within ~16 ms
// [SECTION] UI           — header, tab bar, active panel, status line
// [SECTION] main         — SDL/GL/ImGui setup, HiDPI fonts (fonts.cpp), touch
#include <SDL.h>
#include <SDL_opengles2.h>
#include <emscripten/emscripten.h>  // emscripten_set_main_loop

#include "app/app.h"
#include "app/app_internal.h"
#include "app/bridge.h"
#include "app/fonts.h"

#include "imgui.h"
#include "imgui_impl_opengl3.h"
#include "imgui_impl_sdl.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

namespace {

struct App {
    SDL_Window* window = nullptr;
    SDL_GLContext gl = nullptr;
    bool first_frame_done = false;
    float font_scale = 1.0f;  // devicePixelRatio the font atlas was built for
    double cpu_ms = 0.0;      // smoothed time our frame() takes (UI + ticks + GL submit)
    double ui_ms = 0.0, tick_ms = 0.0;  // its parts: building the UI, panel ticks
    std::string theme;                  // applied colour theme ("dark" | "light")
    ImVec4 clear_color;
};

App g_app;

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// ---------------------------------------------------------------------------------------------
// [SECTION] Frame budget

constexpr double kFrameBudgetMs = 16.0;
constexpr double kRenderReserveMs = 4.0;  // ImGui render + GL submit + browser compositing

void tick_panels(Clock::time_point frame_start) {
    app::Panel* visible = app::active_panel();
    // The visible panel goes first so its animation/streaming gets the larger share.
    auto tick = [&](app::Panel* p) {
        const double left = kFrameBudgetMs - kRenderReserveMs - ms_since(frame_start);
        p->tick(std::max(1.0, left));
    };
    if (visible) tick(visible);
    for (auto& p : app::panels())
        if (p.get() != visible) tick(p.get());
}

// ---------------------------------------------------------------------------------------------
// [SECTION] UI

void draw_status_line() {
    const ImGuiIO& io = ImGui::GetIO();
    int loading = 0, failed = 0;
    const nlohmann::json weights = app::weights_state();
    for (const auto& slot : weights) {
        if (slot["status"] == "loading") ++loading;
        if (slot["status"] == "failed") ++failed;
    }
    ImGui::Separator();
    ImGui::TextDisabled("%.0f fps  %.1f ms/frame (app %.1f ms)", io.Framerate,
                        1000.0f / std::max(io.Framerate, 1.0f), g_app.cpu_ms);
    ImGui::SameLine();
    if (loading) ImGui::TextDisabled("  |  downloading %d weights file%s", loading, loading > 1 ? "s" : "");
    else if (!app::narrow_layout()) ImGui::TextDisabled("  |  every model runs in your browser");
    app::draw_page_messages();
    if (failed) {
        ImGui::SameLine();
        ImGui::TextColored(ImVec4(1.0f, 0.55f, 0.5f, 1.0f), "  |  %d file%s failed to load", failed,
                           failed > 1 ? "s" : "");
    }
    // The Cache API keeps downloaded weights across reloads (web/genlab-weights.js).
    const char* clear_label = "Clear weights cache";
    const float clear_w = ImGui::CalcTextSize(clear_label).x + ImGui::GetStyle().FramePadding.x * 2;
    const float last_end = ImGui::GetItemRectMax().x - ImGui::GetWindowPos().x + ImGui::GetStyle().ItemSpacing.x;
    ImGui::SameLine(std::max(last_end, ImGui::GetWindowContentRegionMax().x - clear_w));
    if (ImGui::SmallButton(clear_label)) {
        app::page::clear_weights_cache();
    }
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Downloaded weights are cached in the browser (keyed by sha256);\nthis forgets them so the next visit downloads again.");
}

void draw_ui() {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->WorkPos);
    ImGui::SetNextWindowSize(vp->WorkSize);
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                   ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoSavedSettings |
                                   ImGuiWindowFlags_NoBringToFrontOnFocus;
    ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0.0f);
    ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 0.0f);
    // Focused from the start, so the arrow keys navigate before anything was clicked. The panels'
    // child windows are NavFlattened: the arrows cross into them as if they were one window.
    if (!g_app.first_frame_done) ImGui::SetNextWindowFocus();
    ImGui::Begin("GenLab", nullptr, flags);
    ImGui::PopStyleVar(2);

    const app::LessonFlags& lesson = app::lesson_flags();
    const float status_height = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().ItemSpacing.y;
    if (!lesson.view.empty()) {
        // Embed mode (URL view=): the one panel, no header, no tab bar.
        app::take_tab_switch();
        app::draw_url_notes();
        if (app::Panel* panel = app::active_panel()) {
            ImGui::BeginChild("panel", ImVec2(0, -status_height), false, ImGuiWindowFlags_NavFlattened);
            ImGui::PushID(panel->id());
            panel->draw();
            ImGui::PopID();
            ImGui::EndChild();
        }
        ImGui::SetCursorPosY(ImGui::GetWindowHeight() - status_height - ImGui::GetStyle().WindowPadding.y + 4);
        ImGui::Separator();
        app::draw_open_full_app_button();
        app::draw_page_messages();
        ImGui::End();
        return;
    }

    ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "GenLab");
    if (!app::narrow_layout()) {
        ImGui::SameLine();
        ImGui::TextDisabled("generative models in your browser");
    }
    ImGui::SameLine();
    app::draw_share_buttons();
    app::draw_url_notes();

    const std::string switch_to = app::take_tab_switch();
    if (ImGui::BeginTabBar("panels", ImGuiTabBarFlags_FittingPolicyScroll)) {
        for (auto& panel : app::panels()) {
            const ImGuiTabItemFlags tab_flags =
                switch_to == panel->id() ? ImGuiTabItemFlags_SetSelected : ImGuiTabItemFlags_None;
            if (ImGui::BeginTabItem(panel->title(), nullptr, tab_flags)) {
                if (switch_to.empty() || switch_to == panel->id()) app::note_active_panel(panel->id());
                ImGui::BeginChild("panel", ImVec2(0, -status_height), false, ImGuiWindowFlags_NavFlattened);
                ImGui::PushID(panel->id());
                panel->draw();
                ImGui::PopID();
                ImGui::EndChild();
                ImGui::EndTabItem();
            }
        }
        ImGui::EndTabBar();
    }
    ImGui::SetCursorPosY(ImGui::GetWindowHeight() - status_height - ImGui::GetStyle().WindowPadding.y + 4);
    draw_status_line();
    ImGui::End();
}

// The visible panel's describe() into the page's live region (#genlab-live), when it changes
// and at most every kLiveRegionMs, so a screen reader hears each new output once.
constexpr double kLiveRegionMs = 500.0;

void update_live_region() {
    static std::string sent;
    static Clock::time_point sent_at;
    app::Panel* panel = app::active_panel();
    if (!panel) return;
    std::string title = panel->title();  // tab labels carry padding spaces
    title.erase(0, title.find_first_not_of(' '));
    title.erase(title.find_last_not_of(' ') + 1);
    const std::string text = title + ": " + panel->describe();
    if (text == sent || ms_since(sent_at) < kLiveRegionMs) return;
    app::page::announce(text);
    sent = text;
    sent_at = Clock::now();
}

void apply_theme(const std::string& theme);

void frame() {
    const Clock::time_point frame_start = Clock::now();
    SDL_Event event;
    while (SDL_PollEvent(&event)) ImGui_ImplSDL2_ProcessEvent(&event);

    if (app::lesson_flags().theme != g_app.theme) apply_theme(app::lesson_flags().theme);
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplSDL2_NewFrame();  // reads window and drawable size: HiDPI scale comes from here
    ImGui::NewFrame();
    draw_ui();
    const double ui_ms = ms_since(frame_start);
    tick_panels(frame_start);
    update_live_region();
    ImGui::Render();
    const double tick_ms = ms_since(frame_start) - ui_ms;

    int width = 0, height = 0;
    SDL_GL_GetDrawableSize(g_app.window, &width, &height);
    glViewport(0, 0, width, height);
    glClearColor(g_app.clear_color.x, g_app.clear_color.y, g_app.clear_color.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    SDL_GL_SwapWindow(g_app.window);
    g_app.first_frame_done = true;
    const double total_ms = ms_since(frame_start);
    g_app.cpu_ms = 0.9 * g_app.cpu_ms + 0.1 * total_ms;
    g_app.ui_ms = 0.9 * g_app.ui_ms + 0.1 * ui_ms;
    g_app.tick_ms = 0.9 * g_app.tick_ms + 0.1 * tick_ms;
}

// Colours of the URL theme (theme=light|dark); applied again whenever the theme changes.
void apply_theme(const std::string& theme) {
    ImGuiStyle& style = ImGui::GetStyle();
    ImVec4* c = style.Colors;
    if (theme == "light") {
        ImGui::StyleColorsLight(&style);
        c[ImGuiCol_WindowBg] = ImVec4(0.97f, 0.97f, 0.98f, 1.0f);
        c[ImGuiCol_ChildBg] = ImVec4(0.0f, 0.0f, 0.0f, 0.0f);
        c[ImGuiCol_TabActive] = ImVec4(0.62f, 0.75f, 0.95f, 1.0f);
        c[ImGuiCol_NavHighlight] = ImVec4(0.80f, 0.38f, 0.0f, 1.0f);  // keyboard focus: dark orange
        g_app.clear_color = ImVec4(0.97f, 0.97f, 0.98f, 1.0f);
    } else {
        ImGui::StyleColorsDark(&style);
        c[ImGuiCol_WindowBg] = ImVec4(0.09f, 0.10f, 0.12f, 1.0f);
        c[ImGuiCol_ChildBg] = ImVec4(0.0f, 0.0f, 0.0f, 0.0f);
        c[ImGuiCol_FrameBg] = ImVec4(0.16f, 0.18f, 0.22f, 1.0f);
        c[ImGuiCol_Tab] = ImVec4(0.14f, 0.16f, 0.20f, 1.0f);
        c[ImGuiCol_TabActive] = ImVec4(0.22f, 0.36f, 0.58f, 1.0f);
        c[ImGuiCol_TabHovered] = ImVec4(0.28f, 0.45f, 0.70f, 1.0f);
        c[ImGuiCol_NavHighlight] = ImVec4(1.0f, 0.72f, 0.2f, 1.0f);  // keyboard focus: amber
        g_app.clear_color = ImVec4(0.09f, 0.10f, 0.12f, 1.0f);
    }
    g_app.theme = theme;
}

void setup_style(float dpr) {
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowPadding = ImVec2(14, 10);
    style.FramePadding = ImVec2(8, 5);
    style.ItemSpacing = ImVec2(10, 7);
    style.ItemInnerSpacing = ImVec2(6, 5);
    style.FrameRounding = 4.0f;
    style.GrabRounding = 4.0f;
    style.TabRounding = 5.0f;
    style.ChildRounding = 4.0f;
    style.ScrollbarSize = 14.0f;
    style.GrabMinSize = 12.0f;
    apply_theme("dark");

    // One font atlas rasterised at devicePixelRatio (fonts.cpp).
    app::load_fonts(dpr);
    g_app.font_scale = dpr;
}

}  // namespace

double app::frame_cpu_ms() { return g_app.cpu_ms; }
nlohmann::json app::frame_timing() {
    return {{"frame_ms", g_app.cpu_ms}, {"ui_ms", g_app.ui_ms}, {"tick_ms", g_app.tick_ms},
            {"render_ms", g_app.cpu_ms - g_app.ui_ms - g_app.tick_ms}};
}

bool app::first_frame_done() { return g_app.first_frame_done; }

// ---------------------------------------------------------------------------------------------
// [SECTION] main

int main(int, char**) {
    // Touch: SDL turns touches into mouse events (SDL_TOUCH_MOUSEID), which ImGui's SDL backend
    // reads like a mouse; a finger drag on a slider or the drawing pad behaves like a mouse drag.
    SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "1");
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_TIMER) != 0) {
        std::fprintf(stderr, "SDL_Init failed: %s\n", SDL_GetError());
        return 1;
    }
    // WebGL2 == OpenGL ES 3.0; ImGui's backend then uses GLSL "#version 300 es".
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_FLAGS, 0);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_ES);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 0);
    SDL_GL_SetAttribute(SDL_GL_STENCIL_SIZE, 0);

    // The page sizes the canvas (CSS pixels); SDL sizes its backing store by devicePixelRatio.
    const auto flags = SDL_WindowFlags(SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE |
                                       SDL_WINDOW_ALLOW_HIGHDPI);
    g_app.window = SDL_CreateWindow("GenLab", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                    1280, 720, flags);
    if (!g_app.window) {
        std::fprintf(stderr, "SDL_CreateWindow failed: %s\n", SDL_GetError());
        return 1;
    }
    g_app.gl = SDL_GL_CreateContext(g_app.window);
    if (!g_app.gl) {
        std::fprintf(stderr, "WebGL2 context creation failed: %s\n", SDL_GetError());
        return 1;
    }
    SDL_GL_MakeCurrent(g_app.window, g_app.gl);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // no imgui.ini in the browser
    // Arrow keys move between widgets, Space/Enter press them (the focused one is outlined in
    // ImGuiCol_NavHighlight); web/genlab-loader.js leaves Tab to the browser.
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    const double dpr = app::page::device_pixel_ratio();
    setup_style(static_cast<float>(std::clamp(dpr, 1.0, 4.0)));
    ImGui_ImplSDL2_InitForOpenGL(g_app.window, g_app.gl);
    ImGui_ImplOpenGL3_Init("#version 300 es");

    app::panels();  // build the registered panels before the first frame
    emscripten_set_main_loop(frame, 0, true);  // 0: browser's frame rate; never returns
    return 0;
}
