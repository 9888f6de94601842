# Third-party dependencies as targets that look the same in both builds:
#   genlab::eigen, genlab::json, genlab::doctest   (header-only)
#   genlab::zlib                                     (gunzip, PNG deflate in src/io)
#   genlab::stb                                      (header-only: stb_image_write, stb_image)
#   genlab::imgui_sdl2                               (wasm only: Dear ImGui + SDL2 + WebGL2)
#   genlab::onnx                                     (native only: ONNX protobuf classes +
#                                                     checker, Debian libonnx-dev, for export)
#
# Native: the distribution's CMake packages (Debian: libeigen3-dev, nlohmann-json3-dev,
# doctest-dev, zlib1g-dev, libstb-dev). Wasm: emsdk-env.sh prepares everything and exports
#   GENLAB_WASM_INCLUDE  private include dir of symlinks (Eigen/, doctest/, nlohmann/, stb/); the
#                        host's /usr/include is never put on an emcc command line
#   GENLAB_SDL2_DIR      SDL2 built with emcc (lib/libSDL2.a, include/SDL2/)
#   GENLAB_ZLIB_DIR      zlib built with emcc (lib/libz.a, include/zlib.h)
#   GENLAB_IMGUI_DIR     Dear ImGui source tree (imgui.cpp, backends/)
# Each can also be given as a CMake cache variable of the same name.

foreach(dep eigen json doctest zlib stb)
  add_library(genlab_dep_${dep} INTERFACE)
  add_library(genlab::${dep} ALIAS genlab_dep_${dep})
endforeach()

if(NOT EMSCRIPTEN)
  find_package(Eigen3 3.3 REQUIRED NO_MODULE)
  find_package(nlohmann_json 3 REQUIRED)
  find_package(doctest REQUIRED)
  target_link_libraries(genlab_dep_eigen INTERFACE Eigen3::Eigen)
  # OpenMP for nn::parallel_for (nn/threads.h: every program starts with 1 thread; `genlab train
  # gan --threads N`). Linked with Eigen so every target that can use it has it. Native only:
  # the wasm build stays single-threaded.
  find_package(OpenMP REQUIRED COMPONENTS CXX)
  target_link_libraries(genlab_dep_eigen INTERFACE OpenMP::OpenMP_CXX)
  target_link_libraries(genlab_dep_json INTERFACE nlohmann_json::nlohmann_json)
  target_link_libraries(genlab_dep_doctest INTERFACE doctest::doctest)
  find_package(ZLIB REQUIRED)
  target_link_libraries(genlab_dep_zlib INTERFACE ZLIB::ZLIB)
  # Debian's libstb-dev: /usr/include/stb/*.h, included as <stb/stb_image_write.h>.
  find_path(GENLAB_STB_INCLUDE_DIR stb/stb_image_write.h REQUIRED)
  target_include_directories(genlab_dep_stb SYSTEM INTERFACE "${GENLAB_STB_INCLUDE_DIR}")
  # ONNX export in the CLI. ONNXTargets.cmake names protobuf::libprotobuf, so Protobuf first.
  find_package(Protobuf REQUIRED)
  find_package(ONNX 1.12 REQUIRED CONFIG)
  add_library(genlab_dep_onnx INTERFACE)
  add_library(genlab::onnx ALIAS genlab_dep_onnx)
  target_link_libraries(genlab_dep_onnx INTERFACE onnx onnx_proto protobuf::libprotobuf)
  return()
endif()

function(genlab_dep_path var what)
  # The environment (emsdk-env.sh) wins, so a new toolchain or cache location is picked up.
  if(DEFINED ENV{${var}} AND NOT "$ENV{${var}}" STREQUAL "${${var}}")
    set(${var} "$ENV{${var}}" CACHE PATH "${what}" FORCE)
  endif()
  if(NOT ${var} OR NOT EXISTS "${${var}}")
    message(FATAL_ERROR "${var} (${what}) is not set or missing: '${${var}}'. "
                        "Run 'source emsdk-env.sh' before 'emcmake cmake', or pass -D${var}=...")
  endif()
endfunction()
genlab_dep_path(GENLAB_WASM_INCLUDE "include dir with Eigen/, doctest/, nlohmann/")
genlab_dep_path(GENLAB_SDL2_DIR "SDL2 install prefix built with emcc")
genlab_dep_path(GENLAB_IMGUI_DIR "Dear ImGui source tree")
genlab_dep_path(GENLAB_ZLIB_DIR "zlib install prefix built with emcc")

foreach(dep eigen json doctest stb)
  target_include_directories(genlab_dep_${dep} SYSTEM INTERFACE "${GENLAB_WASM_INCLUDE}")
endforeach()
target_include_directories(genlab_dep_zlib SYSTEM INTERFACE "${GENLAB_ZLIB_DIR}/include")
target_link_libraries(genlab_dep_zlib INTERFACE "${GENLAB_ZLIB_DIR}/lib/libz.a")

# Dear ImGui with the SDL2 platform and OpenGL3 (WebGL2, GLSL "#version 300 es") backends.
# Third-party: compiled without our warnings; its headers are SYSTEM for our code.
set(imgui "${GENLAB_IMGUI_DIR}")
add_library(genlab_imgui STATIC
  "${imgui}/imgui.cpp" "${imgui}/imgui_draw.cpp" "${imgui}/imgui_tables.cpp"
  "${imgui}/imgui_widgets.cpp" "${imgui}/imgui_demo.cpp"
  "${imgui}/backends/imgui_impl_sdl.cpp" "${imgui}/backends/imgui_impl_opengl3.cpp")
target_compile_options(genlab_imgui PRIVATE -w)
target_compile_definitions(genlab_imgui PUBLIC IMGUI_IMPL_OPENGL_ES3)
target_include_directories(genlab_imgui SYSTEM PUBLIC "${imgui}" "${imgui}/backends")
# SDL2's own include/SDL2 must come first (plain -I, not -isystem), or emcc's bundled SDL1
# <SDL.h> wins.
target_include_directories(genlab_imgui BEFORE PUBLIC "${GENLAB_SDL2_DIR}/include/SDL2"
                                                      "${GENLAB_SDL2_DIR}/include")
target_link_libraries(genlab_imgui PUBLIC "${GENLAB_SDL2_DIR}/lib/libSDL2.a")
add_library(genlab::imgui_sdl2 ALIAS genlab_imgui)
