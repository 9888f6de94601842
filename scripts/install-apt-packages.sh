#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages listed in scripts/apt-packages.txt that are missing.
# Idempotent and quick when everything is there. Never upgrades what is installed (a
# preinstalled NodeSource Node.js stays). Used by emsdk-env.sh and scripts/setup.sh.
#   scripts/install-apt-packages.sh [--except PKG]... [EXTRA_PKG...]
set -euo pipefail

list="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/apt-packages.txt"
logs="${XDG_CACHE_HOME:-$HOME/.cache}/genlab/logs"
except=() extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --except) except+=("$2"); shift 2 ;;
        *) extra+=("$1"); shift ;;
    esac
done

wanted=$( { sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list"; printf '%s\n' "${extra[@]}"; } | grep -v '^$' || true)
missing=()
for pkg in $wanted; do
    for skip in "${except[@]}"; do [ "$pkg" = "$skip" ] && continue 2; done
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in *" installed") ;; *) missing+=("$pkg") ;; esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-apt-packages: not a Debian/Ubuntu system; install the equivalents of: ${missing[*]}" >&2
    exit 1
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-apt-packages: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
fi
mkdir -p "$logs"
echo "install-apt-packages: installing ${missing[*]} (log: $logs/apt-install.log)" >&2
install() {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        "${missing[@]}" >"$logs/apt-install.log" 2>&1
}
update() { "${sudo[@]}" apt-get update >"$logs/apt-update.log" 2>&1 || { tail -20 "$logs/apt-update.log" >&2; exit 1; }; }
# Update first only when there are no package lists at all; otherwise retry after an update
# (stale lists on a fresh machine).
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then update; fi
if ! install; then
    update
    install || { tail -30 "$logs/apt-install.log" >&2; echo "install-apt-packages: apt-get install failed" >&2; exit 1; }
fi
