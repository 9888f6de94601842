#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then runs every test suite and prints a summary:
#   native   doctest unit tests, g++ Release           build/native/genlab_tests
#   wasm     the same tests compiled with emcc, node    build/wasm/genlab_tests.js
#   cli      the native genlab command line, node       tests/cli/*.test.mjs (node --test)
#   scripts  set-up and server scripts, node            tests/scripts/*.test.mjs (deb-src, steps, Node, encodings)
#   torch    the PyTorch twins and DDP training, pytest   python/tests (Debian's python3-torch)
#   e2e      Playwright + headless Chromium on build/site  tests/e2e/*.test.mjs (node --test)
#   asan     the unit tests with ASan + UBSan           build/asan (GENLAB_SKIP_ASAN=1 skips)
# Every suite runs even if an earlier one fails; any failure makes the exit status non-zero.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$SECONDS
JOBS=$(nproc 2>/dev/null || echo 2)

bash scripts/setup.sh || { echo "test: setup failed (its report is above)"; exit 1; }
# shellcheck source=node-env.sh
source scripts/node-env.sh && genlab_node_check || exit 1

logs=build/test-logs
mkdir -p "$logs"
results=()
tests_passed=0 tests_failed=0 failed_suites=0 suite_passed=0 suite_failed=0

# pytest's last line: "3 passed, 1 failed in 12.3s" (with -q; "=== ... ===" without).
pytest_summary='^(=+ )?[0-9]+ (passed|failed|errors?)(, [0-9]+ [a-z]+)* in [0-9.]+s( \([0-9:]+\))?( =+)?$'
# Reads the closing counts of a doctest, pytest or node --test log into suite_passed/suite_failed and
# adds them to the totals.
count_tests() {
    local log="$1" text p f
    text=$(sed 's/\x1b\[[0-9;]*m//g' "$log")   # doctest colours its summary under node
    if grep -q '^\[doctest\] test cases:' <<<"$text"; then
        p=$(sed -n 's/^\[doctest\] test cases: *[0-9]* *| *\([0-9]*\) passed.*/\1/p' <<<"$text" | tail -1)
        f=$(sed -n 's/^\[doctest\] test cases:.*| *\([0-9]*\) failed.*/\1/p' <<<"$text" | tail -1)
    elif grep -qE "$pytest_summary" <<<"$text"; then
        local line n
        line=$(grep -E "$pytest_summary" <<<"$text" | tail -1)
        p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
        f=0
        for n in $(grep -oE '[0-9]+ (failed|errors?)' <<<"$line" | grep -oE '^[0-9]+'); do f=$((f + n)); done
    else
        p=$(sed -n 's/^\(# \|ℹ \)pass \([0-9]*\)$/\2/p' <<<"$text" | tail -1)
        f=$(sed -n 's/^\(# \|ℹ \)fail \([0-9]*\)$/\2/p' <<<"$text" | tail -1)
    fi
    suite_passed=${p:-0} suite_failed=${f:-0}
    tests_passed=$((tests_passed + suite_passed)); tests_failed=$((tests_failed + suite_failed))
}

# run_suite NAME COMMAND...: runs it with output shown and logged, records the outcome.
run_suite() {
    local name="$1"; shift
    local log="$logs/$name.log" t0=$SECONDS rc counts
    echo
    echo "=== $name: $*"
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    count_tests "$log"
    counts="$suite_passed passed, $suite_failed failed"
    if [ "$rc" -eq 0 ]; then
        results+=("$(printf '  %-7s ok      %-24s %4d s' "$name" "$counts" $((SECONDS - t0)))")
    else
        failed_suites=$((failed_suites + 1))
        results+=("$(printf '  %-7s FAILED  %-24s %4d s  (exit %d, log %s)' "$name" "$counts" $((SECONDS - t0)) "$rc" "$log")")
    fi
}

run_suite native build/native/genlab_tests
# --no-colors: under node doctest takes the pipe for a terminal.
run_suite wasm node --no-experimental-fetch build/wasm/genlab_tests.js --no-colors
# Files, not folders: Node 22's --test takes a folder for a module to run (MODULE_NOT_FOUND).
run_suite cli node --test --test-reporter=spec tests/cli/*.test.mjs
run_suite scripts node --test --test-reporter=spec tests/scripts/*.test.mjs
# Debian's interpreter, where apt puts python3-torch (a python3 earlier on PATH may lack it).
torch_suite() {
    local python=${GENLAB_PYTHON:-/usr/bin/python3}
    "$python" -c 'import torch, numpy, pytest' || {
        echo "torch: $python cannot import torch, numpy and pytest; scripts/setup.sh installs" \
             "python3-torch python3-numpy python3-pytest (scripts/apt-packages.txt)"; return 1; }
    PYTHONDONTWRITEBYTECODE=1 "$python" -m pytest python/tests -q -p no:cacheprovider
}
run_suite torch torch_suite
run_suite e2e node --test --test-reporter=spec tests/e2e/*.test.mjs

if [ "${GENLAB_SKIP_ASAN:-0}" != 1 ]; then
    build_asan() {
        if [ ! -f build/asan/CMakeCache.txt ]; then
            cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Release -DGENLAB_SANITIZE=ON \
                -DCMAKE_CXX_COMPILER=g++ -DCMAKE_C_COMPILER=gcc >/dev/null || return 1
        fi
        cmake --build build/asan -j "$JOBS" --target genlab_tests -- --no-print-directory 2>&1 |
            { grep -v -e '^\[ *[0-9]*%\] Built target' || true; } || return 1
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
            build/asan/genlab_tests
    }
    run_suite asan build_asan
fi

echo
echo "=== summary ($((SECONDS - start)) s in all; logs in $logs/)"
printf '%s\n' "${results[@]}"
echo "tests: $tests_passed passed, $tests_failed failed"
[ "$failed_suites" -eq 0 ] && [ "$tests_failed" -eq 0 ]
