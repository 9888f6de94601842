#!/usr/bin/env bash
# Runs the README's two Quick-start commands on a fresh Debian 12 as a new user would: a
# `debootstrap --variant=minbase bookworm` root (classic /etc/apt/sources.list, no Node, no git),
# this repository's HEAD cloned into /root/genlab inside it, each command run as root in a chroot
# with /proc, /sys, /dev, /dev/pts and a tmpfs /dev/shm mounted. `bash scripts/serve.sh` is checked
# by fetching the page and the wasm from inside the root, then stopped; `bash scripts/test.sh`
# runs to the end. Prints each command's time and result and the test totals.
#   sudo bash scripts/check-fresh-machine.sh [--fresh] [--root DIR]
#     --fresh     build a new root (default: reuse DIR when it is complete, with its caches:
#                 ~/.cache/genlab, node_modules and build/ inside the clone; the clone is moved
#                 to the current HEAD)
#     --root DIR  where the root lives (default /var/tmp/genlab-fresh-bookworm, ~3 GB when done)
# Too long for CI (~25-40 min from a fresh root on 2 cores); uncommitted changes are not tested.
# Needs root, debootstrap (installed with apt-get when missing) and the Debian and npm registries.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=/var/tmp/genlab-fresh-bookworm
fresh=false
while [ $# -gt 0 ]; do
    case "$1" in
        --fresh) fresh=true; shift ;;
        --root) root=$2; shift 2 ;;
        *) echo "usage: $0 [--fresh] [--root DIR]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "check-fresh-machine: run as root (debootstrap, mount, chroot)" >&2; exit 1; }
say() { printf 'check-fresh-machine: %s\n' "$*"; }
logs="$root.logs"
mkdir -p "$logs"

# --- mounts, undone on any exit ---------------------------------------------------------------
serve_pid=""
mounted=()
cleanup() {
    if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then kill -- "-$serve_pid" 2>/dev/null || true; sleep 1; fi
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null || say "could not unmount ${mounted[i]}"
    done
    mounted=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mount_in_root() {  # mount_in_root TARGET MOUNT-ARGS...
    local target="$root$1"; shift
    mkdir -p "$target"
    mount "$@" "$target"
    mounted+=("$target")
}
mount_all() {
    mount_in_root /proc -t proc proc
    mount_in_root /sys -t sysfs sysfs
    mount_in_root /dev --bind /dev
    mount --make-private "$root/dev"       # what is mounted below stays out of the host's /dev
    mount_in_root /dev/pts --bind /dev/pts
    mount_in_root /dev/shm -t tmpfs -o mode=1777,size=2g tmpfs
}
in_root() {  # a login-like root shell in the clone, with nothing of the host's environment
    env -i HOME=/root TERM=dumb LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        ${PORT:+PORT=$PORT} ${host_ca:+NODE_EXTRA_CA_CERTS=$host_ca} chroot "$root" /bin/bash -c "cd /root/genlab && $1"
}

# --- 1. the root ----------------------------------------------------------------------------------
if $fresh || [ ! -f "$root/.genlab-root-complete" ]; then
    if grep -qs " $root/" /proc/mounts; then echo "check-fresh-machine: $root has mounts; unmount them first" >&2; exit 1; fi
    command -v debootstrap >/dev/null 2>&1 || {
        say "installing debootstrap (apt-get)"
        apt-get install -y --no-install-recommends debootstrap >"$logs/debootstrap-install.log" 2>&1 ||
            { apt-get update >>"$logs/debootstrap-install.log" 2>&1 &&
              apt-get install -y --no-install-recommends debootstrap >>"$logs/debootstrap-install.log" 2>&1; } ||
            { tail -20 "$logs/debootstrap-install.log"; exit 1; }
    }
    # The host's own Debian mirror (its first deb entry for bookworm), as the installer would use.
    mirror=$(bash "$repo/scripts/deb-src-entries.sh" /etc/apt bookworm 2>/dev/null | awk '/^URIs:/ {print $2; exit}')
    mirror=${mirror:-http://deb.debian.org/debian}
    case "$mirror" in *security*) mirror=http://deb.debian.org/debian ;; esac
    say "debootstrap --variant=minbase bookworm $root $mirror (log: $logs/debootstrap.log)"
    rm -rf "$root"
    t0=$SECONDS
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$logs/debootstrap.log" 2>&1 ||
        { tail -30 "$logs/debootstrap.log"; say "debootstrap failed"; exit 1; }
    say "root ready in $((SECONDS - t0)) s; its apt sources:"
    sed 's/^/    /' "$root/etc/apt/sources.list"
    ls "$root/etc/apt/sources.list.d/" 2>/dev/null | sed 's/^/    sources.list.d: /'
    touch "$root/.genlab-root-complete"
    reused=false
else
    reused=true
    say "reusing the root in $root (--fresh rebuilds it)"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The host's CA bundle: where HTTPS goes through a TLS-inspecting proxy (as on the machine this
# was written on), Node (npm) inside the root must trust the proxy's CA as the host's Node does.
# Kept under its own name: the root's ca-certificates package regenerates the standard bundle.
host_ca=""
ca_file=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
if [ -f "$ca_file" ]; then
    mkdir -p "$root/etc/ssl" && cp "$ca_file" "$root/etc/ssl/genlab-host-ca.crt"
    [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && host_ca=/etc/ssl/genlab-host-ca.crt
fi

# --- 2. the clone (committed HEAD only) ---------------------------------------------------------
head=$(git -C "$repo" rev-parse HEAD)
if [ ! -d "$root/root/genlab/.git" ]; then
    git clone --quiet --no-hardlinks "$repo" "$root/root/genlab"
fi
git -C "$root/root/genlab" fetch --quiet "$repo" "$head"
git -C "$root/root/genlab" checkout --quiet --force --detach "$head"
git -C "$root/root/genlab" clean --quiet -fd   # untracked sources only; ignored caches stay
say "clone at $(git -C "$root/root/genlab" log -1 --format='%h %s' | cut -c1-90)"
if $reused; then
    say "caches in the root: $(du -sh "$root/root/.cache/genlab" 2>/dev/null | cut -f1 || echo none) ~/.cache/genlab," \
        "$(du -sh "$root/root/genlab/build" 2>/dev/null | cut -f1 || echo none) build/, node_modules $( [ -d "$root/root/genlab/node_modules" ] && echo present || echo absent)"
fi
mount_all

# --- 3. the README's commands ---------------------------------------------------------------------
# The first ```sh block of "## Quick start", comments removed.
mapfile -t commands < <(awk '/^## Quick start/ {q = 1; next} q && /^```sh/ {b = 1; next} b && /^```/ {exit} b' \
                          "$root/root/genlab/README.md" | sed -e 's/[[:space:]]*#.*//' -e '/^[[:space:]]*$/d')
[ "${#commands[@]}" -eq 2 ] || { say "expected two commands in README.md's Quick start, found: ${commands[*]:-none}"; exit 1; }
say "README commands: ${commands[0]} | ${commands[1]}"
results=()

# serve: in the background until the page and the wasm can be fetched from inside the root.
# PORT: a free port (the chroot shares the host's network; 8080 may be taken on the host).
export PORT
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080)
serve_log="$logs/serve.log"
say "running '${commands[0]}' (PORT=$PORT; log: $serve_log)"
t0=$SECONDS
setsid bash -c "$(declare -f in_root); root='$root'; host_ca='$host_ca'; in_root '${commands[0]}'" >"$serve_log" 2>&1 &
serve_pid=$!
probe='source scripts/node-env.sh >/dev/null 2>&1; node -e "
  const base = \"http://127.0.0.1:\" + process.env.PORT + \"/\";
  (async () => {
    const page = await fetch(base);
    const html = await page.text();
    const wasm = await fetch(base + \"genlab_app.wasm\");
    const bytes = new Uint8Array(await wasm.arrayBuffer());
    const ok = page.ok && html.includes(\"genlab-loader.js\") && wasm.ok &&
      wasm.headers.get(\"content-type\") === \"application/wasm\" && bytes[0] === 0 && bytes[1] === 0x61;
    console.log(\"GET / -> \" + page.status + \" (\" + html.length + \" bytes), GET /genlab_app.wasm -> \" + wasm.status + \" \" +
      wasm.headers.get(\"content-type\") + \" (\" + bytes.length + \" bytes)\");
    process.exit(ok ? 0 : 1);
  })().catch(() => process.exit(2));"'
serve_result=FAILED
while kill -0 "$serve_pid" 2>/dev/null; do
    if grep -qs '^serving ' "$serve_log" && fetched=$(in_root "$probe" 2>&1); then serve_result=ok; break; fi
    [ $((SECONDS - t0)) -gt 5400 ] && { say "serve: no page after 90 min"; break; }
    sleep 10
done
serve_time=$((SECONDS - t0))
if [ "$serve_result" = ok ]; then
    say "serve: $fetched"
else
    tail -40 "$serve_log"
fi
kill -- "-$serve_pid" 2>/dev/null || true
wait "$serve_pid" 2>/dev/null || true
serve_pid=""
setup_line=$(grep -E '^setup: done in' "$serve_log" | tail -1 || true)
results+=("$(printf '%-26s %-7s %5d s   %s' "${commands[0]}" "$serve_result" "$serve_time" "${setup_line:-}")")

test_log="$logs/test.log"
say "running '${commands[1]}' (log: $test_log)"
t0=$SECONDS
if in_root "${commands[1]}" >"$test_log" 2>&1; then test_result=ok; else test_result=FAILED; fi
test_time=$((SECONDS - t0))
setup_line=$(grep -E '^setup: done in' "$test_log" | tail -1 || true)
results+=("$(printf '%-26s %-7s %5d s   %s' "${commands[1]}" "$test_result" "$test_time" "${setup_line:-}")")
[ "$test_result" = ok ] || grep -E 'FAILED|not ok|^# fail|setup:' "$test_log" | tail -30

echo
say "summary ($($reused && echo 'reused root' || echo 'fresh root'), HEAD $(git -C "$repo" rev-parse --short HEAD), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores)"
printf '  %s\n' "${results[@]}"
sed -n '/^=== summary/,$p' "$test_log" | sed 's/^/  /'
[ "$serve_result" = ok ] && [ "$test_result" = ok ]
