#!/usr/bin/env bash
# Soak: the mixed look-to-book workload of bench/mixed.sh (1 booking per 100 requests) for
# SOAK_SECONDS against one rihla (SQLite, in-process cache, default settings), sampling its RSS
# every SOAK_SAMPLE seconds. Bars: RSS drift after the first minute <= 5 % (last sample against
# the one at 60 s), and no error response other than sold-out.
#
#   bench/soak.sh                      # 10 minutes; builds rihla (Release) in /tmp/bench-build
#   SOAK_SECONDS=180 bench/soak.sh     # a 3-minute try
#
# Environment: SOAK_SECONDS (600), SOAK_SAMPLE (5), SOAK_BOOK_EVERY (100), WRK_THREADS (2),
# WRK_CONNECTIONS (64), BENCH_KEEP=1, BENCH_RESULTS (bench/results/soak.json; empty: none),
# extra `rihla serve` settings through SOAK_RIHLA_ENV.
# Exit: 0 all bars pass, 1 a bar failed, 2 the bench itself failed.
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_SAMPLE=${SOAK_SAMPLE:-5}
SOAK_BOOK_EVERY=${SOAK_BOOK_EVERY:-100}
SOAK_RIHLA_ENV=${SOAK_RIHLA_ENV:-}
BENCH_RESULTS=${BENCH_RESULTS-$BENCH_DIR/results/soak.json}
BAR_DRIFT_PCT=5 # RSS growth from 60 s to the end, percent
BAR_ERRORS=0    # error responses other than sold-out (and socket errors)
BASELINE_AT=60  # seconds: the first minute is warm-up (cache filling, pools, arenas)

report() {
  local result errors
  result=$(sed -n 's/^MIXED_RESULT //p' "$WORK/wrk-soak.txt")
  [[ -n $result ]] || { cat "$WORK/wrk-soak.txt" >&2; die "no MIXED_RESULT line from wrk"; }
  read -r HITS MISSES BOOKED SOLD ERRORS DURATION < <(python3 -c 'import json,sys
r = json.loads(sys.argv[1])
print(r["hits"], r["misses"], r["booked"], r["sold_out"],
      r["search_errors"] + r["booking_errors"] + r["socket_errors"], r["duration_s"])' "$result")
  RSS_BASE=$(awk -v at="$BASELINE_AT" '$1 >= at {print $2; exit}' "$WORK/rss.txt")
  RSS_END=$(tail -n 1 "$WORK/rss.txt" | awk '{print $2}')
  RSS_MAX=$(awk -v at="$BASELINE_AT" '$1 >= at && $2 > m {m = $2} END {print m + 0}' "$WORK/rss.txt")
  [[ -n $RSS_BASE && -n $RSS_END ]] || die "too few RSS samples (is SOAK_SECONDS > $BASELINE_AT?)"
  DRIFT=$(awk -v a="$RSS_BASE" -v b="$RSS_END" 'BEGIN {printf "%.2f", (b - a) * 100 / a}')
  V1=$(verdict "$DRIFT" le "$BAR_DRIFT_PCT") V2=$(verdict "$ERRORS" le "$BAR_ERRORS")
  errors=$ERRORS
  cat <<EOF

== rihla soak: mixed workload for ${SOAK_SECONDS}s (1 booking per $SOAK_BOOK_EVERY requests) ==
wrk -t${WRK_THREADS:-2} -c${WRK_CONNECTIONS:-64}; SQLite, in-process cache ${SOAK_RIHLA_ENV}; RSS every ${SOAK_SAMPLE}s
searches $((HITS + MISSES)) (hit ratio $(awk -v h="$HITS" -v m="$MISSES" 'BEGIN {printf "%.3f", h / (h + m)}')), booked $BOOKED, sold-out $SOLD, in ${DURATION}s
RSS (MiB): at ${BASELINE_AT}s $(mib "$RSS_BASE"), max after $(mib "$RSS_MAX"), end $(mib "$RSS_END")  (samples in rss.txt: seconds kB)

RSS drift after the first minute   $DRIFT %   (bar <= $BAR_DRIFT_PCT)  $V1
errors other than sold-out         $errors   (bar <= $BAR_ERRORS)  $V2
EOF
  [[ -z $BENCH_RESULTS ]] || write_results
  [[ $V1 == PASS && $V2 == PASS ]]
}

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

write_results() {
  results_meta
  env COMMIT="$RESULTS_COMMIT" DIRTY="$RESULTS_DIRTY" DATE="$RESULTS_DATE" CORES="$(nproc)" \
    RUN="$SOAK_SECONDS $SOAK_BOOK_EVERY ${WRK_THREADS:-2} ${WRK_CONNECTIONS:-64} $DURATION" \
    COUNTS="$HITS $MISSES $BOOKED $SOLD $ERRORS" RSS="$RSS_BASE $RSS_MAX $RSS_END" FIGS="$DRIFT $ERRORS" \
    BARS="$BAR_DRIFT_PCT $BAR_ERRORS" VERDICTS="$V1 $V2" RIHLA_ENV="$SOAK_RIHLA_ENV" SAMPLES="$WORK/rss.txt" \
    python3 - "$BENCH_RESULTS" <<'PY'
import json, os, sys

e = os.environ
run = e["RUN"].split()
c = [int(x) for x in e["COUNTS"].split()]
rss = [int(x) for x in e["RSS"].split()]
figs = e["FIGS"].split()
bars = e["BARS"].split()
verdicts = e["VERDICTS"].split()
samples = [[float(v) for v in line.split()] for line in open(e["SAMPLES"]) if line.strip()]
result = {
    "bench": "soak",
    "commit": e["COMMIT"],
    "dirty_tree": e["DIRTY"] == "true",
    "date": e["DATE"],
    "machine": {"cores": int(e["CORES"]), "note": "shared and noisy; wrk runs on the same cores"},
    "run": {"seconds": int(run[0]), "booking_every": int(run[1]), "wrk_threads": int(run[2]),
            "wrk_connections": int(run[3]), "measured_seconds": float(run[4])},
    "rihla_env": e["RIHLA_ENV"],
    "figures": {
        "hits": c[0], "misses": c[1], "booked": c[2], "sold_out": c[3], "errors": c[4],
        "rss_kib": {"at_60s": rss[0], "max_after_60s": rss[1], "end": rss[2]},
        "rss_drift_pct": float(figs[0]),
        "rss_samples_s_kib": samples,
    },
    "verdicts": {
        "rss_drift_pct": {"bar": "<= " + bars[0], "value": float(figs[0]), "verdict": verdicts[0]},
        "errors_other_than_sold_out": {"bar": "<= " + bars[1], "value": int(figs[1]), "verdict": verdicts[1]},
    },
}
with open(sys.argv[1], "w") as out:
    json.dump(result, out, indent=2)
    out.write("\n")
PY
  log "results written to ${BENCH_RESULTS#"$REPO_DIR"/}"
}

main() {
  require wrk curl python3
  bench_init soak
  ensure_rihla
  rihla_seed "sqlite:$WORK/rihla.db"
  python3 "$BENCH_DIR/mixed.py" workload "$WORK/rihla.db" "$WORK" 400000 2 >/dev/null || die "drawing the workload failed"
  # shellcheck disable=SC2086 # SOAK_RIHLA_ENV is a list of VAR=VALUE words
  start_rihla soak "sqlite:$WORK/rihla.db" $SOAK_RIHLA_ENV
  local token wrk_pid start now
  token=$(python3 "$BENCH_DIR/api.py" signup "$RIHLA_URL" "soak-$$@bench.test") || die "signup failed"
  log "soak: ${SOAK_SECONDS}s of the mixed workload, RSS every ${SOAK_SAMPLE}s"
  env BENCH_SEARCHES_FILE="$WORK/searches.txt" BENCH_FLIGHTS_FILE="$WORK/flights.txt" \
    BENCH_BOOK_EVERY="$SOAK_BOOK_EVERY" BENCH_TOKEN="$token" BENCH_KEY_PREFIX="soak-$$" \
    timeout --signal=INT --kill-after=10 $((SOAK_SECONDS + 60)) \
    wrk -t"${WRK_THREADS:-2}" -c"${WRK_CONNECTIONS:-64}" -d"${SOAK_SECONDS}s" --timeout 5s --latency \
    -s "$BENCH_DIR/lua/mixed.lua" "$RIHLA_URL" >"$WORK/wrk-soak.txt" 2>&1 &
  wrk_pid=$!
  track_pid "$wrk_pid"
  start=$SECONDS
  : >"$WORK/rss.txt"
  while pid_alive "$wrk_pid"; do
    now=$((SECONDS - start))
    echo "$now $(rss_kb "$RIHLA_PID")" >>"$WORK/rss.txt"
    sleep "$SOAK_SAMPLE" # sampling period of the RSS series, not a synchronisation
  done
  wait "$wrk_pid" || { cat "$WORK/wrk-soak.txt" >&2; die "wrk failed"; }
  if report; then exit 0; else exit 1; fi
}

main "$@"
