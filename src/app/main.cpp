// GenLab browser app (minimal shell): SDL2 window + WebGL2 context + Dear ImGui, one window
// "GenLab" with a line of text and the frame rate. The real app replaces the body of
// draw_ui(); the loop structure follows ImGui's example_sdl2_opengl3.
//
// JS door: genlab_ready() returns 1 once a frame has been rendered (web/index.html exposes it
// as window.genlab.ready()).
#include <SDL.h>
#include <SDL_opengles2.h>
#include <emscripten/emscripten.h>

#include "imgui.h"
#include "imgui_impl_opengl3.h"
#include "imgui_impl_sdl.h"

#include <cstdio>

namespace {

struct App {
    SDL_Window* window = nullptr;
    SDL_GLContext gl = nullptr;
    bool first_frame_done = false;
};

App g_app;

void draw_ui() {
    ImGui::SetNextWindowPos(ImVec2(20, 20), ImGuiCond_FirstUseEver);
    ImGui::Begin("GenLab");
    ImGui::TextUnformatted("Generative models in the browser: GAN, VAE, char-RNN.");
    ImGui::Text("%.1f FPS (%.2f ms/frame)", ImGui::GetIO().Framerate,
                1000.0f / ImGui::GetIO().Framerate);
    ImGui::End();
}

void frame() {
    SDL_Event event;
    while (SDL_PollEvent(&event)) ImGui_ImplSDL2_ProcessEvent(&event);

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplSDL2_NewFrame();  // reads window and drawable size: HiDPI scale comes from here
    ImGui::NewFrame();
    draw_ui();
    ImGui::Render();

    int width = 0, height = 0;
    SDL_GL_GetDrawableSize(g_app.window, &width, &height);
    glViewport(0, 0, width, height);
    glClearColor(0.09f, 0.10f, 0.12f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    SDL_GL_SwapWindow(g_app.window);
    g_app.first_frame_done = true;
}

}  // namespace

extern "C" EMSCRIPTEN_KEEPALIVE int genlab_ready() { return g_app.first_frame_done ? 1 : 0; }

int main(int, char**) {
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
    ImGui::StyleColorsDark();
    ImGui_ImplSDL2_InitForOpenGL(g_app.window, g_app.gl);
    ImGui_ImplOpenGL3_Init("#version 300 es");

    emscripten_set_main_loop(frame, 0, true);  // 0: browser's frame rate; never returns
    return 0;
}
