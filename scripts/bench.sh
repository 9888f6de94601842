#!/usr/bin/env bash
# The side-by-side bench (after scripts/setup.sh has built everything):
#   GenLab native (build/native/genlab_bench_models) on the bench workloads,
#   Eigen GEMM GFLOP/s native vs wasm (genlab_bench_gemm under node),
#   then ONE headless Chromium run of tests/bench/web/bench.html: GenLab wasm vs TensorFlow.js
#   (wasm SIMD and cpu backends) vs onnxruntime-web (wasm), same weights and inputs,
#   and the page weight per panel. Prints markdown tables; writes build/bench/results.json.
#
#   bash scripts/bench.sh [--runs N] [--warmup N] [--quick]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for f in build/native/genlab build/native/genlab_bench_models build/native/genlab_bench_gemm \
         build/wasm/genlab_bench_gemm.js build/wasm/genlab_bench_web.mjs build/data/corpus-excerpt.txt; do
    [ -e "$f" ] || { echo "bench: $f is missing; build first: bash scripts/setup.sh" >&2; exit 1; }
done
exec node scripts/bench-web.mjs "$@"
