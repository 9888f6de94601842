# shellcheck shell=bash
# Source it: run_step NAME COMMAND... runs one set-up step with its output in
# $GENLAB_SETUP_LOGS/NAME.log (and on the screen with STEP_SHOW=1). On failure it prints the
# step, the command, the log's last lines and its path, and returns the command's status.
# Runs in the calling shell (a sourced script's exports survive).
GENLAB_SETUP_LOGS=${GENLAB_SETUP_LOGS:-build/setup-logs}
run_step() {
    local name="$1"; shift
    local file=${name//[^A-Za-z0-9._-]/-}
    local log="$GENLAB_SETUP_LOGS/$file.log" rc=0
    case "$log" in /*) ;; *) log="$PWD/$log" ;; esac
    mkdir -p "$GENLAB_SETUP_LOGS"
    echo "setup: $name ($SECONDS s so far)"
    if [ "${STEP_SHOW:-0}" = 1 ]; then
        "$@" > >(tee "$log") 2>&1 || rc=$?
        sleep 0.2                         # let tee finish writing (and showing) the output
    else
        "$@" >"$log" 2>&1 || rc=$?
    fi
    [ "$rc" -eq 0 ] && return 0
    {
        echo "setup: step '$name' FAILED (exit $rc)"
        echo "  command: $*"
        echo "  log:     $log"
        echo "--- last 25 lines of the log ---"
        tail -n 25 "$log" | sed 's/^/  | /'
        echo "--- end of log; fix the cause and run the same command again (setup is idempotent) ---"
    } >&2
    return "$rc"
}
