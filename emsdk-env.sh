# shellcheck shell=bash
# GenLab toolchain environment. Source it (bash):   source emsdk-env.sh
#
# - An active emsdk (EMSDK set and its emcc first on PATH) is used as it is.
# - Otherwise Debian/Ubuntu's `emscripten` package is made usable: missing apt packages from
#   scripts/apt-packages.txt are installed, a project-owned EM_CONFIG points emcc at a writable
#   cache (Debian's own cache is frozen) seeded with Debian's prebuilt system libraries.
# - SDL2 and zlib (static, built with emcc from `apt-get source libsdl2` / `apt-get source zlib`)
#   and Dear ImGui (`apt-get source imgui`) are prepared once into the cache, keyed by toolchain
#   and package version.
#
# Exports for CMake: GENLAB_DEPS, GENLAB_SDL2_DIR, GENLAB_ZLIB_DIR, GENLAB_IMGUI_DIR,
# GENLAB_WASM_INCLUDE.
# Everything slow happens once; sourcing again takes about a second. On failure it returns
# non-zero with a message saying what to install; it never exits the calling shell.
# Logs of the one-time steps: $GENLAB_DEPS/logs/.

_genlab_say() { printf 'genlab-env: %s\n' "$*" >&2; }

# Runs a command with its output going to a log; on failure shows the log's tail.
_genlab_logged() {
    local log="$1"; shift
    mkdir -p "$(dirname "$log")"
    if ! "$@" >"$log" 2>&1; then
        tail -c 3000 "$log" >&2; echo >&2
        _genlab_say "failed: $* (full log: $log)"
        return 1
    fi
}

_genlab_as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else _genlab_say "need root (or sudo) to run: $*"; return 1
    fi
}

# Makes `apt-get source` work: writes deb-src entries that mirror this machine's own `deb`
# entries (scripts/deb-src-entries.sh: classic sources.list and deb822 *.sources), then updates
# the lists. Does nothing when source packages are already reachable. Never guesses a mirror.
_genlab_ensure_deb_src() {
    if apt-get source --print-uris "$1" >/dev/null 2>&1; then return 0; fi
    local root entries
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    entries=$(bash "$root/scripts/deb-src-entries.sh" /etc/apt) || return 1
    _genlab_say "adding deb-src entries that mirror this machine's deb entries" \
        "(/etc/apt/sources.list.d/genlab-deb-src.sources) to fetch source packages"
    printf '%s\n' "$entries" | _genlab_as_root tee /etc/apt/sources.list.d/genlab-deb-src.sources >/dev/null || {
        _genlab_say "could not write /etc/apt/sources.list.d/genlab-deb-src.sources"; return 1; }
    _genlab_logged "${GENLAB_DEPS_ROOT}/logs/apt-update.log" _genlab_as_root apt-get update || return 1
    apt-get source --print-uris "$1" >/dev/null 2>&1 || {
        _genlab_say "apt-get source $1 still does not work after adding deb-src entries" \
            "(/etc/apt/sources.list.d/genlab-deb-src.sources); does your mirror carry source packages?"; return 1; }
}

# Candidate version of a source package, e.g. 2.26.5+dfsg-1.
_genlab_src_version() {
    apt-cache showsrc "$1" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -V | tail -n 1
}

# Unpacks `apt-get source PKG` (or PKG=VERSION) into DEST (once). DEST/.genlab-complete marks success.
_genlab_fetch_source() {
    local pkg="$1" dest="$2" version="${3:-}" tmp dir
    [ -f "$dest/.genlab-complete" ] && return 0
    _genlab_ensure_deb_src "$pkg" || return 1
    tmp="$dest.tmp.$$"
    rm -rf "$tmp" "$dest"; mkdir -p "$tmp"
    (cd "$tmp" && _genlab_logged "${GENLAB_DEPS_ROOT}/logs/source-$pkg.log" apt-get source "$pkg${version:+=$version}") || { rm -rf "$tmp"; return 1; }
    dir=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    [ -n "$dir" ] || { _genlab_say "apt-get source $pkg unpacked nothing"; rm -rf "$tmp"; return 1; }
    mv "$dir" "$dest" && rm -rf "$tmp" && touch "$dest/.genlab-complete"
}

# Builds SDL2 as a static wasm library into $1 (an install prefix), from Debian's source.
_genlab_build_sdl2() {
    local prefix="$1" src="$1.src" build="$1.build"
    [ -f "$prefix/.genlab-complete" ] && return 0
    _genlab_fetch_source libsdl2 "$src" || return 1
    _genlab_say "building SDL2 for wasm once (5-10 minutes on 2 cores; log: ${GENLAB_DEPS_ROOT}/logs/sdl2-build.log)"
    rm -rf "$build" "$prefix"
    _genlab_logged "${GENLAB_DEPS_ROOT}/logs/sdl2-build.log" sh -c '
        emcmake cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$3" \
            -DSDL_SHARED=OFF -DSDL_STATIC=ON -DSDL_TEST=OFF -DSDL2_DISABLE_SDL2MAIN=ON &&
        cmake --build "$2" -j "$(nproc)" && cmake --install "$2"' sh "$src" "$build" "$prefix" || return 1
    [ -f "$prefix/lib/libSDL2.a" ] && [ -f "$prefix/include/SDL2/SDL.h" ] || {
        _genlab_say "SDL2 build finished without lib/libSDL2.a or include/SDL2/SDL.h in $prefix"; return 1; }
    rm -rf "$build" "$src"
    touch "$prefix/.genlab-complete"
}

# Builds zlib as a static wasm library into $1 (an install prefix) from Debian's source, version $2.
# zlib's own configure script, as Emscripten's documentation builds it: its CMakeLists makes a
# shared and a static library both named libz, which collide once emcmake turns shared into static.
_genlab_build_zlib() {
    local prefix="$1" version="$2" src="$1.src"
    [ -f "$prefix/.genlab-complete" ] && return 0
    _genlab_fetch_source zlib "$src" "$version" || return 1
    _genlab_say "building zlib $version for wasm once (about a minute; log: ${GENLAB_DEPS_ROOT}/logs/zlib-build.log)"
    rm -rf "$prefix"
    _genlab_logged "${GENLAB_DEPS_ROOT}/logs/zlib-build.log" sh -c '
        cd "$1" && emconfigure ./configure --static --prefix="$2" &&
        emmake make -j "$(nproc)" libz.a && emmake make install' sh "$src" "$prefix" || return 1
    [ -f "$prefix/lib/libz.a" ] && [ -f "$prefix/include/zlib.h" ] || {
        _genlab_say "zlib build finished without lib/libz.a or include/zlib.h in $prefix"; return 1; }
    rm -rf "$src"
    touch "$prefix/.genlab-complete"
}

# zlib source versions to try, best first: the one the native build links (zlib1g-dev), then
# every version the deb-src entries list, newest first (a security mirror may serve a newer
# binary package but not its source).
_genlab_zlib_versions() {
    { dpkg-query -W -f='${source:Version}\n' zlib1g-dev 2>/dev/null
      apt-cache showsrc zlib 2>/dev/null | awk '/^Version:/ {print $2}' | sort -rV; } | awk 'NF && !seen[$0]++'
}

# A private include dir of symlinks: only these headers are visible to emcc (never /usr/include).
_genlab_make_wasm_include() {
    local dir="$1" name target pair
    mkdir -p "$dir"
    for pair in Eigen:/usr/include/eigen3/Eigen unsupported:/usr/include/eigen3/unsupported \
                doctest:/usr/include/doctest nlohmann:/usr/include/nlohmann stb:/usr/include/stb; do
        name=${pair%%:*}; target=${pair#*:}
        if [ ! -e "$target" ]; then
            _genlab_say "missing $target: install the Eigen 3, doctest, nlohmann-json and stb headers" \
                "(Debian/Ubuntu: apt-get install libeigen3-dev doctest-dev nlohmann-json3-dev libstb-dev)"
            return 1
        fi
        [ "$(readlink "$dir/$name" 2>/dev/null)" = "$target" ] || ln -sfn "$target" "$dir/$name"
    done
}

# Writes the project-owned emscripten config (Debian's with an unfrozen, writable cache) and
# seeds that cache with symlinks to Debian's prebuilt system libraries, so libc & co. are not
# rebuilt. emcc only ever adds files to the cache; erasing it removes just the symlinks.
_genlab_debian_emscripten_config() {
    local cache="$1" config="$2" sys=/usr/share/emscripten
    mkdir -p "$cache"
    local wanted
    wanted=$(sed -e '/^FROZEN_CACHE/d' -e '/^CACHE *=/d' "$sys/.emscripten"
             printf "\n# GenLab: writable cache (Debian's is frozen).\nFROZEN_CACHE = False\nCACHE = '%s'\n" "$cache")
    [ "$(cat "$config" 2>/dev/null)" = "$wanted" ] || printf '%s\n' "$wanted" >"$config"
    if [ ! -f "$cache/.genlab-seeded" ] && [ -d "$sys/cache/sysroot" ]; then
        cp -as "$sys/cache/sysroot" "$cache/" && cp -a "$sys/cache/sysroot_install.stamp" "$cache/" 2>/dev/null
        touch "$cache/.genlab-seeded"
    fi
}

# First emcc link with the flags we use: runs emcc's sanity check and builds any system
# library the seed lacks, so the first real build does not pay for it.
_genlab_prewarm() {
    local stamp="$GENLAB_DEPS/.prewarmed" tmp
    [ -f "$stamp" ] && return 0
    tmp=$(mktemp -d)
    printf '#include <cstdio>\n#include <string>\nint main(){ std::string s("ok"); std::printf("%%s\\n", s.c_str()); }\n' >"$tmp/p.cpp"
    _genlab_logged "${GENLAB_DEPS_ROOT}/logs/prewarm.log" sh -c '
        em++ -O2 -msimd128 "$1/p.cpp" -o "$1/p.js" -sALLOW_MEMORY_GROWTH=1 -sNODERAWFS=1 -sEXIT_RUNTIME=1 &&
        em++ -O2 "$1/p.cpp" -o "$1/q.js" -sALLOW_MEMORY_GROWTH=1 -sUSE_WEBGL2=1 -sFULL_ES3=1 &&
        node --no-experimental-fetch "$1/p.js"' sh "$tmp" || { rm -rf "$tmp"; return 1; }
    rm -rf "$tmp"; touch "$stamp"
}

_genlab_env_main() {
    local root mode found did=""
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    GENLAB_DEPS_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/genlab"
    mkdir -p "$GENLAB_DEPS_ROOT/logs"

    # --- 1. the toolchain -------------------------------------------------------------------
    local emcc_path; emcc_path=$(command -v emcc 2>/dev/null || true)
    if [ -n "${EMSDK:-}" ] && [ -n "$emcc_path" ] && case "$emcc_path" in "$EMSDK"/*) true ;; *) false ;; esac; then
        mode=emsdk
    elif command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
        mode=debian
        local before; before=$(dpkg-query -W -f='${Status}\n' emscripten 2>/dev/null || true)
        bash "$root/scripts/install-apt-packages.sh" || {
            _genlab_say "could not install the packages in scripts/apt-packages.txt"; return 1; }
        case "$before" in *" installed") ;; *) did="installed apt packages; " ;; esac
        [ -f /usr/share/emscripten/emcc.py ] || {
            _genlab_say "Debian's emscripten package is not installed (apt-get install emscripten)"; return 1; }
    else
        _genlab_say "no emscripten found. Install emsdk (https://emscripten.org/docs/getting_started/downloads.html)," \
            "run 'source ./emsdk_env.sh' in it, then source this file again; or use Debian/Ubuntu, where this" \
            "file installs everything with apt."
        return 1
    fi

    local toolchain
    if [ "$mode" = debian ]; then
        toolchain="emscripten-$(dpkg-query -W -f='${Version}' emscripten | tr '~+:' '___')"
        export GENLAB_DEPS="$GENLAB_DEPS_ROOT/$toolchain"
        export EM_CONFIG="$GENLAB_DEPS/emscripten.config"
        export EMSDK_PYTHON=/usr/bin/python3     # emcc's wrapper otherwise takes any python3 on PATH
        case ":${NODE_PATH:-}:" in *:/usr/share/nodejs:*) ;; *) export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}" ;; esac
        mkdir -p "$GENLAB_DEPS"
        _genlab_debian_emscripten_config "$GENLAB_DEPS/emcache" "$EM_CONFIG" || return 1
    else
        toolchain="emsdk-$(emcc --version 2>/dev/null | head -n 1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1)"
        export GENLAB_DEPS="$GENLAB_DEPS_ROOT/$toolchain"
        mkdir -p "$GENLAB_DEPS"
    fi

    # --- 2. headers for the wasm build ---------------------------------------------------------
    export GENLAB_WASM_INCLUDE="$GENLAB_DEPS/include"
    _genlab_make_wasm_include "$GENLAB_WASM_INCLUDE" || return 1

    # --- 3. SDL2, zlib and Dear ImGui ----------------------------------------------------------
    # Reuse what is cached without asking apt; otherwise fetch the candidate version.
    local sdl zlib imgui ver dir
    sdl=$(ls -d "$GENLAB_DEPS"/sdl2-*/.genlab-complete 2>/dev/null | sort -V | tail -n 1)
    zlib=$(ls -d "$GENLAB_DEPS"/zlib-*/.genlab-complete 2>/dev/null | sort -V | tail -n 1)
    imgui=$(ls -d "$GENLAB_DEPS"/imgui-*/.genlab-complete 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$sdl" ] || [ -z "$zlib" ] || [ -z "$imgui" ]; then
        command -v apt-get >/dev/null 2>&1 || {
            _genlab_say "SDL2, zlib and Dear ImGui sources come from 'apt-get source' (Debian/Ubuntu). Elsewhere set" \
                "GENLAB_SDL2_DIR (an emscripten SDL2 install prefix), GENLAB_ZLIB_DIR (likewise for zlib) and" \
                "GENLAB_IMGUI_DIR (imgui 1.86 source) yourself."
            [ -n "${GENLAB_SDL2_DIR:-}" ] && [ -n "${GENLAB_ZLIB_DIR:-}" ] && [ -n "${GENLAB_IMGUI_DIR:-}" ] || return 1
        }
    fi
    if [ -z "$sdl" ]; then
        _genlab_ensure_deb_src libsdl2 || return 1
        ver=$(_genlab_src_version libsdl2 | tr '~+:' '___')
        _genlab_build_sdl2 "$GENLAB_DEPS/sdl2-$ver" || return 1
        sdl="$GENLAB_DEPS/sdl2-$ver/.genlab-complete"; did="${did}built SDL2; "
    fi
    if [ -z "$zlib" ]; then
        _genlab_ensure_deb_src zlib || return 1
        for ver in $(_genlab_zlib_versions); do
            dir="$GENLAB_DEPS/zlib-$(printf '%s' "$ver" | tr '~+:' '___')"
            if _genlab_build_zlib "$dir" "$ver"; then zlib="$dir/.genlab-complete"; break; fi
            rm -rf "$dir.src"
            _genlab_say "zlib $ver: no usable source; trying the next version 'apt-cache showsrc zlib' lists"
        done
        [ -n "$zlib" ] || { _genlab_say "could not build zlib for wasm from any 'apt-get source zlib' version"; return 1; }
        did="${did}built zlib; "
    fi
    if [ -z "$imgui" ]; then
        _genlab_ensure_deb_src imgui || return 1
        ver=$(_genlab_src_version imgui | tr '~+:' '___')
        _genlab_fetch_source imgui "$GENLAB_DEPS/imgui-$ver" || return 1
        imgui="$GENLAB_DEPS/imgui-$ver/.genlab-complete"; did="${did}unpacked ImGui; "
    fi
    export GENLAB_SDL2_DIR="${GENLAB_SDL2_DIR_OVERRIDE:-$(dirname "$sdl")}"
    export GENLAB_ZLIB_DIR="${GENLAB_ZLIB_DIR_OVERRIDE:-$(dirname "$zlib")}"
    export GENLAB_IMGUI_DIR="${GENLAB_IMGUI_DIR_OVERRIDE:-$(dirname "$imgui")}"

    # --- 4. system libraries in the emscripten cache ----------------------------------------------
    if [ ! -f "$GENLAB_DEPS/.prewarmed" ]; then
        _genlab_prewarm || return 1
        did="${did}warmed emcc cache; "
    fi

    found="$(basename "$GENLAB_DEPS") ($mode), SDL2 $(basename "$GENLAB_SDL2_DIR" | sed 's/^sdl2-//'), zlib $(basename "$GENLAB_ZLIB_DIR" | sed 's/^zlib-//'), ImGui $(basename "$GENLAB_IMGUI_DIR" | sed 's/^imgui-//')"
    _genlab_say "ready: ${found}; ${did:-all cached; }deps in $GENLAB_DEPS"
}

# Called in an `||` list so a caller's `set -e` does not abort half-way: errors are handled
# inside and reported through the return status.
_genlab_env_rc=0
_genlab_env_main "$@" || _genlab_env_rc=$?
unset -f _genlab_env_main _genlab_say _genlab_logged _genlab_as_root \
    _genlab_ensure_deb_src _genlab_src_version _genlab_fetch_source \
    _genlab_build_sdl2 _genlab_build_zlib _genlab_zlib_versions _genlab_make_wasm_include _genlab_debian_emscripten_config _genlab_prewarm
unset GENLAB_DEPS_ROOT
# shellcheck disable=SC2317
return "$_genlab_env_rc" 2>/dev/null || exit "$_genlab_env_rc"
