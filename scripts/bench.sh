#!/usr/bin/env bash
# Eigen sgemm GFLOP/s natively and in wasm (under node), side by side with the ratio.
#   bash scripts/bench.sh [--quick]        (after scripts/setup.sh has built both)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
native=build/native/genlab_bench_gemm
wasm=build/wasm/genlab_bench_gemm.js
[ -x "$native" ] && [ -f "$wasm" ] || { echo "bench: build first: bash scripts/setup.sh" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$native" "$@" | tee "$tmp/native"
node --no-experimental-fetch "$wasm" "$@" | tee "$tmp/wasm"
echo
printf '%-26s %10s %10s %12s\n' "case (M x K x N)" "native" "wasm" "native/wasm"
# Rows are "name ... gflops"; both runs list the same cases in the same order.
paste -d'|' <(tail -n +3 "$tmp/native") <(tail -n +3 "$tmp/wasm") | awk -F'|' '{
    n = split($1, a, " "); nb = split($2, b, " ");
    name = a[1]; for (i = 2; i < n; i++) name = name " " a[i];
    printf "%-26s %10.2f %10.2f %11.2fx\n", name, a[n], b[nb], (b[nb] > 0 ? a[n] / b[nb] : 0) }'
