#!/usr/bin/env bash
# Prints a deb822 sources file with a `deb-src` entry for every enabled `deb` entry of this
# distribution release (suite CODENAME or CODENAME-*) found in APT_DIR: the classic
# sources.list and sources.list.d/*.list, and deb822 sources.list.d/*.sources. The machine's own
# mirrors, options and keys are kept; no mirror is ever guessed. Third-party repositories
# (other suites, e.g. NodeSource's "nodistro") are left out: they rarely carry sources.
#   scripts/deb-src-entries.sh [APT_DIR=/etc/apt] [CODENAME=from /etc/os-release]
# Exit 1 with a message on stderr when there is no such `deb` entry.
set -euo pipefail
apt_dir=${1:-/etc/apt}
codename=${2:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}
[ -n "$codename" ] || { echo "deb-src-entries: cannot tell the release codename (VERSION_CODENAME in /etc/os-release)" >&2; exit 1; }

files=()
[ -f "$apt_dir/sources.list" ] && files+=("$apt_dir/sources.list")
for f in "$apt_dir"/sources.list.d/*.list "$apt_dir"/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
done

# Each classic line and each deb822 stanza becomes one stanza "Types: deb-src" with the same
# URIs, the suites of this release, the same components and options. Classic options
# ([signed-by=/k.gpg]) map to deb822 fields (Signed-By:); binary architectures are dropped.
entries=$(awk -v codename="$codename" '
    function ours(suite) { return suite == codename || index(suite, codename "-") == 1 }
    function emit(uris, suites, comps, opts, src,    n, s, i, kept) {
        n = split(suites, s, " "); kept = ""
        for (i = 1; i <= n; i++) if (ours(s[i])) kept = kept (kept == "" ? "" : " ") s[i]
        if (kept == "" || uris == "") return
        printf "# mirrors the deb entry in %s\nTypes: deb-src\nURIs: %s\nSuites: %s\n", src, uris, kept
        if (comps != "") printf "Components: %s\n", comps
        if (opts != "") printf "%s", opts
        printf "\n"
    }
    function classic_option(kv,    eq, key, value) {
        eq = index(kv, "="); if (eq == 0) return ""
        key = tolower(substr(kv, 1, eq - 1)); value = substr(kv, eq + 1)
        sub(/[+-]$/, "", key)
        if (key == "arch") return ""   # binary architectures: not for deb-src
        if (key == "lang") key = "Languages"
        else if (key == "target") key = "Targets"
        else if (key == "signed-by") key = "Signed-By"
        if (key == "Languages" || key == "Targets") gsub(/,/, " ", value)
        return key ": " value "\n"
    }
    function flush() {
        if (in_stanza && is_deb && enabled) emit(uris, suites, comps, opts, stanza_file)
        in_stanza = 0; is_deb = 0; enabled = 1; uris = suites = comps = opts = ""; field = ""
    }
    FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
    # --- classic one-line format ---
    !deb822 {
        line = $0; sub(/#.*/, "", line)
        n = split(line, w, /[ \t]+/); i = 1
        if (w[1] == "") i = 2
        if (w[i] != "deb") next
        i++; opts = ""
        if (substr(w[i], 1, 1) == "[") {
            o = ""
            while (i <= n) { o = o " " w[i]; if (w[i] ~ /\]$/) { i++; break } i++ }
            gsub(/[\[\]]/, "", o); m = split(o, kv, " ")
            for (j = 1; j <= m; j++) opts = opts classic_option(kv[j])
        }
        uri = w[i]; suite = w[i + 1]; comps = ""
        for (j = i + 2; j <= n; j++) if (w[j] != "") comps = comps (comps == "" ? "" : " ") w[j]
        emit(uri, suite, comps, opts, FILENAME)
        next
    }
    # --- deb822 ---
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { flush(); next }
    /^[ \t]/ {   # continuation line (multi-line Signed-By key, long URIs lists)
        if (field == "Signed-By" || field == "other") opts = opts $0 "\n"
        else if (field == "URIs") { v = $0; gsub(/^[ \t]+/, "", v); uris = uris " " v }
        next
    }
    {
        if (!in_stanza) stanza_file = FILENAME
        in_stanza = 1
        colon = index($0, ":"); key = substr($0, 1, colon - 1); value = substr($0, colon + 1)
        gsub(/^[ \t]+|[ \t]+$/, "", value); k = tolower(key)
        if (k == "types") { field = "Types"; is_deb = (" " value " " ~ / deb /) }
        else if (k == "uris") { field = "URIs"; uris = value }
        else if (k == "suites") { field = "Suites"; suites = value }
        else if (k == "components") { field = "Components"; comps = value }
        else if (k == "enabled") { field = "Enabled"; enabled = (tolower(value) != "no") }
        else if (k == "architectures") field = "Architectures"
        else if (k == "signed-by") { field = "Signed-By"; opts = opts "Signed-By: " value "\n" }
        else { field = "other"; opts = opts key ": " value "\n" }
    }
    END { flush() }
' "${files[@]+"${files[@]}"}" /dev/null)

if [ -z "$entries" ]; then
    cat >&2 <<EOF
deb-src-entries: no enabled \`deb\` entry for $codename in $apt_dir/sources.list or $apt_dir/sources.list.d/*.{list,sources},
so there is no mirror to fetch the SDL2 and Dear ImGui source packages from. Add your mirror, e.g. the line
    deb http://deb.debian.org/debian $codename main
to $apt_dir/sources.list (or the one your installer uses), run apt-get update, and run setup again.
EOF
    exit 1
fi
echo "# Added by GenLab's emsdk-env.sh: source packages (SDL2, Dear ImGui) for the wasm build,"
echo "# mirroring this machine's own deb entries."
echo
printf '%s\n' "$entries"
