# shellcheck shell=bash
# Shared helpers for the bench scripts (sourced, not run). Loopback only. Builds on
# scripts/lib/common.sh (set -Eeuo pipefail, the ERR trap naming a failed step, log/die,
# stop_pid, pick_port, wait_for), which scripts/services.sh uses too.
#
# Every process a bench starts is registered with `track_pid`; `bench_cleanup` (installed as
# the EXIT trap by `bench_init`) stops them by pid, so Ctrl-C or a failure leaves nothing behind.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/common.sh
source "$BENCH_DIR/../scripts/lib/common.sh"
REPO_DIR=$RIHLA_ROOT
LOG_TAG=bench
LOG_TIME=1
DIE_STATUS=2      # exit 2 = the bench itself failed (1 = a bar failed)
WORK=""           # temp dir of this run (removed on exit unless BENCH_KEEP=1)
TRACKED_PIDS=()   # processes to stop on exit
CLEANUP_HOOKS=()  # extra commands to run on exit (e.g. stopping services.sh)

# bench_init NAME: creates the temp dir and installs the traps.
bench_init() {
  WORK=$(mktemp -d "/tmp/rihla-bench-$1.XXXXXX")
  chmod 755 "$WORK" # nginx workers (user nobody) read the static file from here
  trap bench_cleanup EXIT
  trap 'log "interrupted"; exit 130' INT TERM HUP
}

track_pid() { TRACKED_PIDS+=("$1"); }

# stop_tracked PID: SIGTERM, wait up to 10 s, then SIGKILL.
stop_tracked() { stop_pid process "$1" TERM 10; }

# untrack_and_stop PID: stops one tracked process now (e.g. between phases).
untrack_and_stop() {
  local pid=$1 rest=() p
  stop_tracked "$pid"
  wait "$pid" 2>/dev/null || true
  for p in "${TRACKED_PIDS[@]}"; do [[ $p == "$pid" ]] || rest+=("$p"); done
  TRACKED_PIDS=("${rest[@]}")
}

bench_cleanup() {
  local rc=$? pid hook i
  trap - EXIT INT TERM HUP
  for ((i = ${#TRACKED_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${TRACKED_PIDS[i]}
    stop_tracked "$pid"
  done
  for hook in "${CLEANUP_HOOKS[@]}"; do eval "$hook" || true; done
  if [[ -n $WORK && -d $WORK ]]; then
    if [[ ${BENCH_KEEP:-0} == 1 || $rc -ne 0 ]]; then
      log "logs and data kept in $WORK"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}

# require CMD...: installs the benchmark packages (scripts/setup.sh --bench, the only script that
# installs packages) when a command is missing, then checks again.
require() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null || { "$REPO_DIR/scripts/setup.sh" --bench </dev/null >&2 || die "setup failed"; break; }
  done
  for c in "$@"; do command -v "$c" >/dev/null || die "$c is not installed"; done
}

# ---------------------------------------------------------------------------------------
# rihla

# ensure_rihla: sets RIHLA_BIN (given, or a Release build in /tmp/bench-build).
# A compile error in a file someone is editing is retried a few times, a minute apart.
ensure_rihla() {
  if [[ -n ${RIHLA_BIN:-} ]]; then
    [[ -x $RIHLA_BIN ]] || die "RIHLA_BIN=$RIHLA_BIN is not executable"
    return
  fi
  local build=${BENCH_BUILD_DIR:-/tmp/bench-build} attempt
  log "building rihla (Release) in $build"
  cmake -S "$REPO_DIR" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRIHLA_BUILD_TESTS=OFF >"$WORK/cmake.log" 2>&1 ||
    { tail -n 30 "$WORK/cmake.log" >&2; die "cmake configure failed"; }
  for attempt in 1 2 3 4; do
    if cmake --build "$build" -j"${BENCH_BUILD_JOBS:-1}" --target rihla >"$WORK/build.log" 2>&1; then
      RIHLA_BIN=$build/rihla
      return
    fi
    ((attempt < 4)) || break
    log "build failed (someone may be mid-edit); retrying in 60 s"
    sleep 60
  done
  tail -n 30 "$WORK/build.log" >&2
  die "building rihla failed"
}

# rihla_seed DATABASE_URL
rihla_seed() {
  RIHLA_DATABASE_URL=$1 RIHLA_LOG_LEVEL=warn "$RIHLA_BIN" seed >"$WORK/seed.log" 2>&1 ||
    { cat "$WORK/seed.log" >&2; die "rihla seed failed"; }
}

# start_rihla NAME DATABASE_URL [VAR=VALUE...]: starts `rihla serve` on a free loopback port
# and waits for /healthz. Sets RIHLA_PID, RIHLA_PORT, RIHLA_URL. Per-request logs are off
# (RIHLA_LOG_LEVEL=warn; this also hides the info-level "listening" line, so the port is
# picked here rather than read from the log).
start_rihla() {
  local name=$1 db=$2 logf attempt
  shift 2
  logf=$WORK/rihla-$name.log
  for attempt in 1 2 3; do
    RIHLA_PORT=$(free_port)
    env RIHLA_DATABASE_URL="$db" RIHLA_LISTEN="127.0.0.1:$RIHLA_PORT" RIHLA_ADMIN_TOKEN=bench-admin \
      RIHLA_WEBHOOK_SECRET=bench-webhook RIHLA_LOG_LEVEL=warn "$@" "$RIHLA_BIN" serve >"$logf" 2>&1 &
    RIHLA_PID=$!
    track_pid "$RIHLA_PID"
    RIHLA_URL=http://127.0.0.1:$RIHLA_PORT
    if wait_for 60 "rihla ($name)" "$RIHLA_PID" http_ok "$RIHLA_URL/healthz"; then
      log "rihla ($name) pid $RIHLA_PID on $RIHLA_URL"
      return 0
    fi
    untrack_and_stop "$RIHLA_PID"
    grep -q 'cannot listen' "$logf" && continue  # lost the port to another process: pick again
    break
  done
  cat "$logf" >&2
  die "rihla ($name) did not become healthy"
}

# ---------------------------------------------------------------------------------------
# misc

# free_port: a free loopback port (see pick_port).
free_port() { pick_port ""; }

# http_ok URL: true if URL answers 200.
http_ok() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1") == 200 ]]; }

# wait_http URL [SECONDS]: polls until URL answers with any HTTP status.
wait_http() { wait_for "${2:-30}" "$1" "" curl -s -o /dev/null --max-time 2 "$1"; }

tomorrow() { date -u -d tomorrow +%F; }

# json_field FIELD: reads one JSON object on stdin, prints a top-level string/number field.
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# rss_kb PID: VmRSS of a process in kB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# ---------------------------------------------------------------------------------------
# wrk

# run_wrk LABEL OUTFILE [wrk args...] URL: runs wrk (bounded by `timeout`) and saves its output.
run_wrk() {
  local label=$1 out=$2
  shift 2
  log "wrk: $label"
  timeout --signal=INT --kill-after=10 $((WRK_SECONDS + 60)) \
    wrk -t"${WRK_THREADS:-2}" -c"${WRK_CONNECTIONS:-64}" -d"${WRK_SECONDS}s" --timeout 5s --latency "$@" >"$out" 2>&1 ||
    { cat "$out" >&2; die "wrk failed ($label)"; }
}

# wrk_rps FILE / wrk_p99_ms FILE / wrk_errors FILE: values from a saved wrk --latency output.
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
wrk_p99_ms() {
  awk '$1 == "99%" {
    v = $2
    if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v) }
    else if (v ~ /m$/) { sub(/m$/, "", v); v = v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
    printf "%.3f\n", v
  }' "$1"
}
# Non-2xx/3xx responses plus socket errors (connect/read/write/timeout); 0 if none.
wrk_errors() {
  awk '/Non-2xx or 3xx responses:/ {n += $NF}
       /Socket errors:/ {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) {x = $i; sub(/,/, "", x); n += x}}
       END {print n + 0}' "$1"
}
wrk_requests() { awk '/requests in/ {print $1}' "$1"; }

# results_meta: for a bench's write_results: RESULTS_COMMIT (HEAD or "unknown"), RESULTS_DIRTY
# (true when tracked files other than bench/results/ have uncommitted changes: another bench's
# fresh results are output, not code), RESULTS_DATE (UTC), and the directory of $BENCH_RESULTS
# created.
# shellcheck disable=SC2034 # read by the sourcing bench's write_results
results_meta() {
  RESULTS_COMMIT=$(git -C "$REPO_DIR" rev-parse HEAD 2>/dev/null || echo unknown)
  RESULTS_DIRTY=false
  [[ -z $(git -C "$REPO_DIR" status --porcelain --untracked-files=no -- . ':!bench/results' 2>/dev/null) ]] ||
    RESULTS_DIRTY=true
  RESULTS_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  mkdir -p "$(dirname "$BENCH_RESULTS")"
}

# mean X... ; ratio A B (A/B)
mean() { printf '%s\n' "$@" | awk '{s += $1; n++} END {printf "%.3f\n", (n ? s / n : 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b == 0) print "inf"; else printf "%.2f\n", a / b}'; }
# verdict VALUE OP BAR: PASS/FAIL for VALUE >= BAR (OP ge) or VALUE <= BAR (OP le).
verdict() {
  awk -v v="$1" -v op="$2" -v bar="$3" 'BEGIN {
    ok = (op == "ge") ? (v + 0 >= bar + 0) : (v + 0 <= bar + 0)
    print (v == "inf" && op == "ge") || (ok && v != "inf") ? "PASS" : "FAIL"
  }'
}
