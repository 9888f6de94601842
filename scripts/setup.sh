#!/usr/bin/env bash
# Sets everything up (idempotent; a second run only checks and rebuilds what changed):
#   1. Debian packages from scripts/apt-packages.txt (only the missing ones)
#   2. npm packages from package-lock.json (npm ci, only when the lock changed)
#   3. the wasm toolchain and deps (source emsdk-env.sh: SDL2 + ImGui built once into a cache)
#   4. native build (build/native, g++, Release) and wasm build (build/wasm, emcmake)
#   5. the web site: web/ + build/wasm/genlab_app.{js,wasm} + weights/ -> build/site/
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || echo 2)
step_start=$SECONDS
step() { echo "setup: $1 ($((SECONDS - step_start)) s so far)"; }

# --- 1. apt packages ---------------------------------------------------------------------------
emsdk_active=false
if [ -n "${EMSDK:-}" ] && command -v emcc >/dev/null 2>&1 && [[ "$(command -v emcc)" == "$EMSDK"/* ]]; then
    emsdk_active=true
fi
if $emsdk_active; then
    bash scripts/install-apt-packages.sh --except emscripten
else
    bash scripts/install-apt-packages.sh
fi
# Node.js/npm: use what is installed (e.g. NodeSource); only a machine without any gets Debian's.
command -v npm >/dev/null 2>&1 || bash scripts/install-apt-packages.sh nodejs npm

# --- 2. npm packages ---------------------------------------------------------------------------
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.genlab-lock-sha256 2>/dev/null)" != "$lock_hash" ]; then
    step "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$lock_hash" > node_modules/.genlab-lock-sha256
fi

# --- 3. wasm toolchain -------------------------------------------------------------------------
# shellcheck source=../emsdk-env.sh
source ./emsdk-env.sh

# --- 4. builds -----------------------------------------------------------------------------------
# Configure only when there is no build dir yet, or when the wasm deps moved (new toolchain);
# otherwise `cmake --build` re-runs CMake itself when a CMakeLists or a GLOB changed.
quiet_build() { grep -v -e '^\[ *[0-9]*%\] Built target' || true; }  # keep pipefail's status
cache_value() { sed -n "s/^$2:[A-Z]*=//p" "$1/CMakeCache.txt" 2>/dev/null; }

mkdir -p build
if [ ! -f build/native/CMakeCache.txt ]; then
    step "configuring build/native"
    cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ \
        -DCMAKE_C_COMPILER=gcc >build/native.configure.log 2>&1 \
        || { cat build/native.configure.log; exit 1; }
fi
step "building build/native"
cmake --build build/native -j "$JOBS" -- --no-print-directory 2>&1 | quiet_build \
    || { echo "setup: native build failed" >&2; exit 1; }

if [ ! -f build/wasm/CMakeCache.txt ] ||
   [ "$(cache_value build/wasm GENLAB_SDL2_DIR)" != "$GENLAB_SDL2_DIR" ] ||
   [ "$(cache_value build/wasm GENLAB_IMGUI_DIR)" != "$GENLAB_IMGUI_DIR" ] ||
   [ "$(cache_value build/wasm GENLAB_WASM_INCLUDE)" != "$GENLAB_WASM_INCLUDE" ]; then
    step "configuring build/wasm"
    emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >build/wasm.configure.log 2>&1 \
        || { cat build/wasm.configure.log; exit 1; }
fi
step "building build/wasm"
cmake --build build/wasm -j "$JOBS" -- --no-print-directory 2>&1 | quiet_build \
    || { echo "setup: wasm build failed" >&2; exit 1; }

# --- 5. the site ---------------------------------------------------------------------------------
# The first 1000 MNIST test digits for the morph and latent-map panels (generated, never committed).
if [ ! -s build/data/mnist-test-1000.bin ]; then
    step "exporting build/data/mnist-test-1000.bin"
    mkdir -p build/data
    build/native/genlab export-subset --split test --count 1000 --out build/data/mnist-test-1000.bin
fi
# In-browser training data (Train panel, fetched on demand): 6,000 MNIST training digits
# (4.7 MB, ~1 MB gzip) and ~200 KB of the cleaned Jargon File for the char-RNN.
if [ ! -s build/data/mnist-train-subset.bin ]; then
    step "exporting build/data/mnist-train-subset.bin"
    mkdir -p build/data
    build/native/genlab export-subset --split train --count 6000 --out build/data/mnist-train-subset.bin
fi
# The excerpt's recipe: a new one (export_subset_command.cpp) re-exports over a cached file.
CORPUS_RECIPE="prose-v1 200000"
if [ ! -s build/data/corpus-excerpt.txt ] || [ "$(cat build/data/corpus-excerpt.recipe 2>/dev/null)" != "$CORPUS_RECIPE" ]; then
    step "exporting build/data/corpus-excerpt.txt"
    mkdir -p build/data
    build/native/genlab export-corpus --bytes 200000 --out build/data/corpus-excerpt.txt
    echo "$CORPUS_RECIPE" > build/data/corpus-excerpt.recipe
fi
rm -rf build/site.tmp && mkdir -p build/site.tmp/data
cp -R web/. build/site.tmp/
cp build/wasm/genlab_app.js build/wasm/genlab_app.wasm build/site.tmp/
# The training worker's module (web/genlab-train-worker.js loads it).
cp build/wasm/genlab_train_worker.js build/wasm/genlab_train_worker.wasm build/site.tmp/
cp build/data/mnist-test-1000.bin build/data/mnist-train-subset.bin build/data/corpus-excerpt.txt \
    build/site.tmp/data/
[ -d weights ] && cp -R weights build/site.tmp/weights
# Until the trained weights ship their manifest, describe the copies (sha256 for the page's cache).
if [ -d build/site.tmp/weights ] && [ ! -f build/site.tmp/weights/manifest.json ]; then
    build/native/genlab manifest build/site.tmp/weights >/dev/null
fi
rm -rf build/site && mv build/site.tmp build/site
step "done: native build in build/native, wasm build in build/wasm, site in build/site"
