#!/usr/bin/env bash
# Builds the static distribution dist/: the site of scripts/setup.sh (HTML, JS, wasm, weights,
# data, embed.js, examples/) plus an offline cache (service worker), with relative paths only,
# so it can be copied as-is to any static host (GitHub Pages: no custom headers, no COOP/COEP).
# Prints every file's size raw / gzip / brotli and the totals.
#   bash scripts/dist.sh              (GENLAB_SKIP_SETUP=1: use the existing build/site)
#   OUT=/tmp/genlab-dist bash scripts/dist.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "${GENLAB_SKIP_SETUP:-0}" != 1 ]; then
    bash scripts/setup.sh
fi
source scripts/node-env.sh && genlab_node_check
exec node scripts/dist.mjs build/site "${OUT:-dist}"
