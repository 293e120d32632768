#!/usr/bin/env bash
# Scale: p99 of uncached search and of fresh-key booking at 1,000,000 flights against the same at
# the seeded demo schedule (~30k flights), side by side in one run (SQLite, RIHLA_CACHE=off so
# every search reads the database).
#   small: `rihla seed` (60 days of the demo schedule, ~32k flights)
#   big:   a copy of it, filled to SCALE_FLIGHTS by bench/load_flights.py (bulk insert)
# Both answer the same search stream (bench/mixed.py over the small schedule: Zipf routes, the
# next 14 days, cabins 80/15/5, 1-2 passengers mostly) and the same booking load
# (bench/lua/fresh.lua on SCALE_BOOK_FLIGHTS new flights of 1000 seats each: enough seats that
# none sells out during the run, since a sold-out answer is counted as an error).
#
#   bench/scale.sh                    # builds rihla (Release) in /tmp/bench-build
#   RIHLA_BIN=path/to/rihla bench/scale.sh
#
# Environment: WRK_SECONDS (15), WARMUP_SECONDS (3), WRK_THREADS (2), WRK_CONNECTIONS (64),
# SCALE_FLIGHTS (1000000), SCALE_BOOK_FLIGHTS (600), BENCH_KEEP=1, BENCH_RESULTS (bench/results/scale.json; empty: none).
# Exit: 0 all bars pass, 1 a bar failed, 2 the bench itself failed.
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WRK_SECONDS=${WRK_SECONDS:-15}
WARMUP_SECONDS=${WARMUP_SECONDS:-3}
SCALE_FLIGHTS=${SCALE_FLIGHTS:-1000000}
SCALE_BOOK_FLIGHTS=${SCALE_BOOK_FLIGHTS:-600}
BENCH_RESULTS=${BENCH_RESULTS-$BENCH_DIR/results/scale.json}
BAR_P99_RATIO=2 # p99 at SCALE_FLIGHTS <= 2 x p99 at the demo schedule, search and booking
declare -A FLIGHTS SEARCH_P99 SEARCH_RPS BOOK_P99 BOOK_RPS ERRS

flight_count() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
  "SELECT COUNT(*) FROM flights").fetchone()[0])' "$1"; }

# measure SIZE: starts rihla on $WORK/SIZE.db, runs the search stream and the booking load.
measure() {
  local size=$1 out token ids saved=$WRK_SECONDS
  start_rihla "$size" "sqlite:$WORK/$size.db" RIHLA_CACHE=off
  token=$(python3 "$BENCH_DIR/api.py" signup "$RIHLA_URL" "scale-$size-$$@bench.test") || die "signup failed"
  ids=$(python3 "$BENCH_DIR/api.py" create-flights "$RIHLA_URL" bench-admin "$SCALE_BOOK_FLIGHTS" 1000 "$(tomorrow)") ||
    die "creating the booking flights failed"
  WRK_SECONDS=$WARMUP_SECONDS
  out=$WORK/wrk-$size-search-warmup.txt
  search_run "$out" "$token"
  WRK_SECONDS=$saved
  out=$WORK/wrk-$size-search.txt
  search_run "$out" "$token"
  SEARCH_P99[$size]=$(result_field "$out" p99_ms)
  SEARCH_RPS[$size]=$(awk -v h="$(result_field "$out" hits)" -v m="$(result_field "$out" misses)" \
    -v d="$(result_field "$out" duration_s)" 'BEGIN {printf "%.0f", (h + m) / d}')
  ERRS[$size]=$(($(result_field "$out" search_errors) + $(result_field "$out" socket_errors)))
  ((${ERRS[$size]} == 0)) || die "searches failed at $size: see $out"
  [[ $(result_field "$out" hits) == 0 ]] || die "RIHLA_CACHE=off answered cache hits"
  out=$WORK/wrk-$size-book.txt
  BENCH_TOKEN=$token BENCH_FLIGHTS=$ids BENCH_KEY_PREFIX="scale-$size-$$" \
    run_wrk "$size fresh-key bookings" "$out" -s "$BENCH_DIR/lua/fresh.lua" "$RIHLA_URL"
  BOOK_P99[$size]=$(wrk_p99_ms "$out") BOOK_RPS[$size]=$(wrk_rps "$out")
  ERRS[$size]=$((ERRS[$size] + $(wrk_errors "$out")))
  untrack_and_stop "$RIHLA_PID"
}

search_run() {
  env BENCH_SEARCHES_FILE="$WORK/searches.txt" BENCH_BOOK_EVERY=0 BENCH_TOKEN="$2" \
    timeout --signal=INT --kill-after=10 $((WRK_SECONDS + 60)) \
    wrk -t"${WRK_THREADS:-2}" -c"${WRK_CONNECTIONS:-64}" -d"${WRK_SECONDS}s" --timeout 5s --latency \
    -s "$BENCH_DIR/lua/mixed.lua" "$RIHLA_URL" >"$1" 2>&1 || { cat "$1" >&2; die "wrk failed (search)"; }
}

result_field() {
  python3 -c 'import json,sys
for line in open(sys.argv[1]):
    if line.startswith("MIXED_RESULT "):
        print(json.loads(line[13:])[sys.argv[2]])' "$1" "$2"
}

report() {
  SEARCH_RATIO=$(ratio "${SEARCH_P99[big]}" "${SEARCH_P99[small]}")
  BOOK_RATIO=$(ratio "${BOOK_P99[big]}" "${BOOK_P99[small]}")
  V1=$(verdict "$SEARCH_RATIO" le "$BAR_P99_RATIO") V2=$(verdict "$BOOK_RATIO" le "$BAR_P99_RATIO")
  ((ERRS[small] + ERRS[big] == 0)) || { V1=FAIL V2=FAIL; }
  cat <<EOF

== rihla at ${FLIGHTS[big]} flights vs ${FLIGHTS[small]} (SQLite, RIHLA_CACHE=off) ==
wrk -t${WRK_THREADS:-2} -c${WRK_CONNECTIONS:-64} -d${WRK_SECONDS}s --latency after a ${WARMUP_SECONDS}s warm-up
machine: $(nproc) cores, shared with other work (noisy); wrk runs on the same cores

size     flights   search/s  search p99 ms  book/s  book p99 ms  errors
EOF
  local s
  for s in small big; do
    printf '%-6s %9s %10s %14s %7.0f %12s %7s\n' "$s" "${FLIGHTS[$s]}" "${SEARCH_RPS[$s]}" "${SEARCH_P99[$s]}" \
      "${BOOK_RPS[$s]}" "${BOOK_P99[$s]}" "${ERRS[$s]}"
  done
  cat <<EOF

uncached search p99 big/small   $SEARCH_RATIO   (bar <= $BAR_P99_RATIO)  $V1
fresh-key booking p99 big/small $BOOK_RATIO   (bar <= $BAR_P99_RATIO)  $V2
EOF
  [[ -z $BENCH_RESULTS ]] || write_results
  [[ $V1 == PASS && $V2 == PASS ]]
}

write_results() {
  results_meta
  env COMMIT="$RESULTS_COMMIT" DIRTY="$RESULTS_DIRTY" DATE="$RESULTS_DATE" CORES="$(nproc)" \
    WRK="${WRK_THREADS:-2} ${WRK_CONNECTIONS:-64} $WRK_SECONDS" \
    SMALL="${FLIGHTS[small]} ${SEARCH_RPS[small]} ${SEARCH_P99[small]} ${BOOK_RPS[small]} ${BOOK_P99[small]} ${ERRS[small]}" \
    BIG="${FLIGHTS[big]} ${SEARCH_RPS[big]} ${SEARCH_P99[big]} ${BOOK_RPS[big]} ${BOOK_P99[big]} ${ERRS[big]}" \
    FIGS="$SEARCH_RATIO $BOOK_RATIO" BAR="$BAR_P99_RATIO" VERDICTS="$V1 $V2" python3 - "$BENCH_RESULTS" <<'PY'
import json, os, sys

e = os.environ
def size(text):
    n, srps, sp99, brps, bp99, errs = text.split()
    return {"flights": int(n), "search_rps": float(srps), "search_p99_ms": float(sp99), "booking_rps": float(brps),
            "booking_p99_ms": float(bp99), "errors": int(errs)}
wrk = [int(x) for x in e["WRK"].split()]
figs = [float(x) for x in e["FIGS"].split()]
verdicts = e["VERDICTS"].split()
result = {
    "bench": "scale",
    "commit": e["COMMIT"],
    "dirty_tree": e["DIRTY"] == "true",
    "date": e["DATE"],
    "machine": {"cores": int(e["CORES"]), "note": "shared and noisy; wrk runs on the same cores"},
    "wrk": {"threads": wrk[0], "connections": wrk[1], "seconds": wrk[2]},
    "figures": {"small": size(e["SMALL"]), "big": size(e["BIG"]),
                "search_p99_ratio": figs[0], "booking_p99_ratio": figs[1]},
    "verdicts": {
        "search_p99_ratio": {"bar": "<= " + e["BAR"], "value": figs[0], "verdict": verdicts[0]},
        "booking_p99_ratio": {"bar": "<= " + e["BAR"], "value": figs[1], "verdict": verdicts[1]},
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
  bench_init scale
  ensure_rihla
  rihla_seed "sqlite:$WORK/small.db"
  cp "$WORK/small.db" "$WORK/big.db"
  log "loading flights into the big database, up to $SCALE_FLIGHTS"
  python3 "$BENCH_DIR/load_flights.py" sqlite "$WORK/big.db" "$SCALE_FLIGHTS" >/dev/null || die "loading flights failed"
  FLIGHTS[small]=$(flight_count "$WORK/small.db") FLIGHTS[big]=$(flight_count "$WORK/big.db")
  log "flights: small ${FLIGHTS[small]}, big ${FLIGHTS[big]}"
  python3 "$BENCH_DIR/mixed.py" workload "$WORK/small.db" "$WORK" 200000 3 >/dev/null || die "drawing searches failed"
  measure small
  measure big
  if report; then exit 0; else exit 1; fi
}

main "$@"
