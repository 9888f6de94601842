#!/usr/bin/env bash
# Sets everything up (idempotent; a second run only checks and rebuilds what changed):
#   1. Debian packages from scripts/apt-packages.txt (only the missing ones)
#   2. Node.js >= 20 (scripts/node-env.sh: the machine's, or a pinned one from the npm registry)
#      and the npm packages from package-lock.json (npm ci, only when the lock changed)
#   3. the wasm toolchain and deps (source emsdk-env.sh: SDL2, zlib + ImGui built once into a cache)
#   4. native build (build/native, g++, Release) and wasm build (build/wasm, emcmake)
#   5. the web site: web/ + build/wasm/genlab_app.{js,wasm} + weights/ + genlab-schema.js + fonts
#      -> build/site/
# Every step logs to build/setup-logs/<step>.log; a failing step prints its name, the command,
# the log's tail and its path (scripts/setup-step.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || echo 2)
SECONDS=0
# shellcheck source=setup-step.sh
source scripts/setup-step.sh
fail() { echo "setup: failed; see the step report above" >&2; exit 1; }

# --- 1. apt packages ---------------------------------------------------------------------------
emsdk_active=false
if [ -n "${EMSDK:-}" ] && command -v emcc >/dev/null 2>&1 && [[ "$(command -v emcc)" == "$EMSDK"/* ]]; then
    emsdk_active=true
fi
if $emsdk_active; then
    STEP_SHOW=1 run_step "apt packages" bash scripts/install-apt-packages.sh --except emscripten || fail
else
    STEP_SHOW=1 run_step "apt packages" bash scripts/install-apt-packages.sh || fail
fi
# Node.js/npm: use what is installed (e.g. NodeSource); only a machine without any gets Debian's.
if ! command -v npm >/dev/null 2>&1; then
    STEP_SHOW=1 run_step "apt nodejs npm" bash scripts/install-apt-packages.sh nodejs npm || fail
fi

# --- 2. Node.js and npm packages ------------------------------------------------------------
# shellcheck source=node-env.sh
source scripts/node-env.sh
if ! genlab_node_use; then
    STEP_SHOW=1 run_step "node" genlab_node_install || fail
fi
genlab_node_check || fail
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.genlab-lock-sha256 2>/dev/null)" != "$lock_hash" ]; then
    run_step "npm ci" npm ci --no-audit --no-fund --loglevel=error || fail
    echo "$lock_hash" > node_modules/.genlab-lock-sha256
fi

# --- 3. wasm toolchain -------------------------------------------------------------------------
# Sourced in this shell (its exports are needed below); its one-time steps log on their own.
# shellcheck source=../emsdk-env.sh
STEP_SHOW=1 run_step "wasm toolchain" source ./emsdk-env.sh || fail

# --- 4. builds -----------------------------------------------------------------------------------
# Configure only when there is no build dir yet, or when the wasm deps moved (new toolchain);
# otherwise `cmake --build` re-runs CMake itself when a CMakeLists or a GLOB changed.
cache_value() { sed -n "s/^$2:[A-Z]*=//p" "$1/CMakeCache.txt" 2>/dev/null; }
build_dir() {  # the build's output without the "Built target" noise; keeps cmake's status
    cmake --build "$1" -j "$JOBS" -- --no-print-directory 2>&1 |
        { grep --line-buffered -v -e '^\[ *[0-9]*%\] Built target' || true; }
}

mkdir -p build
if [ ! -f build/native/CMakeCache.txt ]; then
    run_step "configure native" cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_COMPILER=g++ -DCMAKE_C_COMPILER=gcc || fail
fi
STEP_SHOW=1 run_step "build native" build_dir build/native || fail

if [ ! -f build/wasm/CMakeCache.txt ] ||
   [ "$(cache_value build/wasm GENLAB_SDL2_DIR)" != "$GENLAB_SDL2_DIR" ] ||
   [ "$(cache_value build/wasm GENLAB_IMGUI_DIR)" != "$GENLAB_IMGUI_DIR" ] ||
   [ "$(cache_value build/wasm GENLAB_ZLIB_DIR)" != "$GENLAB_ZLIB_DIR" ] ||
   [ "$(cache_value build/wasm GENLAB_WASM_INCLUDE)" != "$GENLAB_WASM_INCLUDE" ]; then
    run_step "configure wasm" emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release || fail
fi
STEP_SHOW=1 run_step "build wasm" build_dir build/wasm || fail

# --- 5. the site ---------------------------------------------------------------------------------
# The first 1000 MNIST test digits for the morph and latent-map panels (generated, never committed).
mkdir -p build/data
if [ ! -s build/data/mnist-test-1000.bin ]; then
    run_step "export mnist-test-1000" build/native/genlab export-subset --split test --count 1000 \
        --out build/data/mnist-test-1000.bin || fail
fi
# In-browser training data (Train panel, fetched on demand): 6,000 MNIST training digits
# (4.7 MB, ~1 MB gzip) and ~200 KB of the cleaned Jargon File for the char-RNN.
if [ ! -s build/data/mnist-train-subset.bin ]; then
    run_step "export mnist-train-subset" build/native/genlab export-subset --split train --count 6000 \
        --out build/data/mnist-train-subset.bin || fail
fi
# The excerpt's recipe: a new one (export_subset_command.cpp) re-exports over a cached file.
CORPUS_RECIPE="prose-v1 200000"
if [ ! -s build/data/corpus-excerpt.txt ] || [ "$(cat build/data/corpus-excerpt.recipe 2>/dev/null)" != "$CORPUS_RECIPE" ]; then
    run_step "export corpus-excerpt" build/native/genlab export-corpus --bytes 200000 \
        --out build/data/corpus-excerpt.txt || fail
    echo "$CORPUS_RECIPE" > build/data/corpus-excerpt.recipe
fi
# The UI fonts (Inter, DejaVu Sans Mono), subset to the glyphs the app draws (scripts/fonts.sh).
run_step "fonts" bash scripts/fonts.sh build/fonts || fail
assemble_site() {
    rm -rf build/site.tmp && mkdir -p build/site.tmp/data &&
    cp -R web/. build/site.tmp/ &&
    cp build/wasm/genlab_app.js build/wasm/genlab_app.wasm build/site.tmp/ &&
    # The training worker's module (web/genlab-train-worker.js loads it).
    cp build/wasm/genlab_train_worker.js build/wasm/genlab_train_worker.wasm build/site.tmp/ &&
    cp build/data/mnist-test-1000.bin build/data/mnist-train-subset.bin build/data/corpus-excerpt.txt \
        build/site.tmp/data/ &&
    # The panels' state schema for web/genlab-url.js and web/embed.js (src/schema/panel_schema.cpp).
    build/native/genlab schema --js --out build/site.tmp/genlab-schema.js &&
    mkdir -p build/site.tmp/fonts && cp build/fonts/inter-ui.otf build/fonts/dejavu-sans-mono.ttf build/site.tmp/fonts/ &&
    { [ ! -d weights ] || cp -R weights build/site.tmp/weights; } &&
    # Until the trained weights ship their manifest, describe the copies (sha256 for the page's cache).
    { [ ! -d build/site.tmp/weights ] || [ -f build/site.tmp/weights/manifest.json ] ||
      build/native/genlab manifest build/site.tmp/weights; } &&
    rm -rf build/site && mv build/site.tmp build/site
}
run_step "assemble site" assemble_site || fail
echo "setup: done in $SECONDS s: native build in build/native, wasm build in build/wasm, site in build/site" \
     "(Node.js $(node --version) at $(command -v node))"
