#!/usr/bin/env bash
# Hit ratio under real traffic: a look-to-book workload against the seeded demo schedule
# (SQLite, in-process cache, default cache settings), side by side in one run:
#   - Zipf (s=1) over the schedule's routes, dates concentrated in the next 14 days, cabins
#     80/15/5, mostly 1-2 passengers (bench/mixed.py draws the stream);
#   - ceiling: the stream with no bookings; then 1 booking per N requests (N = 100, 20) on
#     flights drawn with the same skew, fresh Idempotency-Key each (bench/lua/mixed.lua counts
#     X-Cache HIT/MISS, 201s and sold-outs);
#   - after each run an audit compares the cached answers of the 50 most popular searches with
#     GET /v1/flights/{id} (the database): a cached answer that disagrees is stale;
#   - all-hit: one cached search, for the searches/s the mixed run is held against.
#
#   bench/mixed.sh                    # builds rihla (Release) in /tmp/bench-build
#   RIHLA_BIN=path/to/rihla bench/mixed.sh
#
# Environment: WRK_SECONDS (20), WARMUP_SECONDS (10), WRK_THREADS (2), WRK_CONNECTIONS (64),
# MIXED_SEARCHES (400000 drawn searches, replayed in a loop), MIXED_SEED (1), BENCH_KEEP=1,
# BENCH_RESULTS (bench/results/mixed.json; empty: no results file), extra `rihla serve`
# settings through MIXED_RIHLA_ENV ("RIHLA_CACHE_MAX_BYTES=... ...").
# Exit: 0 all bars pass, 1 a bar failed, 2 the bench itself failed.
#
# Loopback only; every process started here is stopped on exit (also on Ctrl-C).
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WRK_SECONDS=${WRK_SECONDS:-20}
WARMUP_SECONDS=${WARMUP_SECONDS:-10}
MIXED_SEARCHES=${MIXED_SEARCHES:-400000}
MIXED_SEED=${MIXED_SEED:-1}
MIXED_RIHLA_ENV=${MIXED_RIHLA_ENV:-}
BENCH_RESULTS=${BENCH_RESULTS-$BENCH_DIR/results/mixed.json}
BAR_HIT_100=0.85       # N=100: hit ratio
BAR_CEILING_100=0.9    # N=100: hit ratio / no-booking ceiling
BAR_HIT_20=0.75        # N=20: hit ratio
BAR_STALE=0            # stale cached answers, all audits
BAR_RPS_RATIO=0.5      # N=100 searches/s / all-hit cached search req/s
RUNS=(ceiling n100 n20)
declare -A RESULT AUDIT

# run_mixed NAME BOOK_EVERY SECONDS: one wrk run of the stream; RESULT[NAME] = its JSON line.
run_mixed() {
  local name=$1 every=$2 seconds=$3 out=$WORK/wrk-$1.txt
  log "wrk: $name (1 booking per $every requests; 0: none), ${seconds}s"
  env BENCH_SEARCHES_FILE="$WORK/searches.txt" BENCH_FLIGHTS_FILE="$WORK/flights.txt" BENCH_BOOK_EVERY="$every" \
    BENCH_TOKEN="$TOKEN" BENCH_KEY_PREFIX="mixed-$name-$$" \
    timeout --signal=INT --kill-after=10 $((seconds + 60)) \
    wrk -t"${WRK_THREADS:-2}" -c"${WRK_CONNECTIONS:-64}" -d"${seconds}s" --timeout 5s --latency \
    -s "$BENCH_DIR/lua/mixed.lua" "$RIHLA_URL" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed ($name)"; }
  RESULT[$name]=$(sed -n 's/^MIXED_RESULT //p' "$out")
  [[ -n ${RESULT[$name]} ]] || { cat "$out" >&2; die "no MIXED_RESULT line from wrk ($name)"; }
}

# audit NAME: AUDIT[NAME] = "audited=.. hits=.. flights=.. stale=.. stale_fresh=..".
audit() {
  AUDIT[$1]=$(timeout 300 python3 "$BENCH_DIR/mixed.py" audit "$RIHLA_URL" "$WORK/popular.txt" 2>"$WORK/audit-$1.err") ||
    { cat "$WORK/audit-$1.err" >&2; die "audit failed ($1)"; }
  log "audit after $1: ${AUDIT[$1]}"
  [[ ! -s $WORK/audit-$1.err ]] || head -n 5 "$WORK/audit-$1.err" >&2
}

# field NAME KEY: a number from RESULT[NAME] (or from AUDIT[NAME] for KEY=stale...).
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "${RESULT[$1]}" "$2"; }
audit_field() { tr ' ' '\n' <<<"${AUDIT[$1]}" | sed -n "s/^$2=//p"; }

figures() {
  local name
  for name in "${RUNS[@]}"; do
    local hits misses dur booked sold errs sock
    hits=$(field "$name" hits) misses=$(field "$name" misses) dur=$(field "$name" duration_s)
    booked=$(field "$name" booked) sold=$(field "$name" sold_out)
    errs=$(($(field "$name" search_errors) + $(field "$name" booking_errors))) sock=$(field "$name" socket_errors)
    HIT[$name]=$(awk -v h="$hits" -v m="$misses" 'BEGIN {printf "%.3f", (h + m) ? h / (h + m) : 0}')
    SPS[$name]=$(awk -v h="$hits" -v m="$misses" -v d="$dur" 'BEGIN {printf "%.0f", (h + m) / d}')
    BPS[$name]=$(awk -v b="$booked" -v s="$sold" -v d="$dur" 'BEGIN {printf "%.1f", (b + s) / d}')
    BOOKED[$name]=$booked SOLD[$name]=$sold ERRS[$name]=$((errs + sock)) P99[$name]=$(field "$name" p99_ms)
    STALE[$name]=$(audit_field "$name" stale) STALE_FRESH[$name]=$(audit_field "$name" stale_fresh)
  done
}

report() {
  declare -gA HIT SPS BPS BOOKED SOLD ERRS P99 STALE STALE_FRESH
  figures
  ALLHIT_RPS=$(wrk_rps "$WORK/wrk-allhit.txt")
  local stale_total=0 errors_total name
  for name in "${RUNS[@]}"; do stale_total=$((stale_total + STALE[$name] + STALE_FRESH[$name])); done
  errors_total=$((ERRS[ceiling] + ERRS[n100] + ERRS[n20] + $(wrk_errors "$WORK/wrk-allhit.txt")))
  CEILING_RATIO=$(awk -v a="${HIT[n100]}" -v b="${HIT[ceiling]}" 'BEGIN {printf "%.3f", b ? a / b : 0}')
  RPS_RATIO=$(ratio "${SPS[n100]}" "$ALLHIT_RPS")
  V1=$(verdict "${HIT[n100]}" ge "$BAR_HIT_100") V2=$(verdict "$CEILING_RATIO" ge "$BAR_CEILING_100")
  V3=$(verdict "${HIT[n20]}" ge "$BAR_HIT_20") V4=$(verdict "$stale_total" le "$BAR_STALE")
  V5=$(verdict "$RPS_RATIO" ge "$BAR_RPS_RATIO")
  ((errors_total == 0)) || { V1=FAIL V2=FAIL V3=FAIL V5=FAIL; }
  STALE_TOTAL=$stale_total ERRORS_TOTAL=$errors_total
  cat <<EOF

== rihla search hit ratio under a look-to-book workload ==
schedule: seeded demo, $ROUTES routes; stream: $MIXED_SEARCHES drawn searches, $DISTINCT distinct (Zipf s=1 routes, 14 hot days, cabins 80/15/5, 1-2 passengers mostly)
wrk -t${WRK_THREADS:-2} -c${WRK_CONNECTIONS:-64} -d${WRK_SECONDS}s after a ${WARMUP_SECONDS}s warm-up; rihla: SQLite, in-process cache, RIHLA_LOG_LEVEL=warn ${MIXED_RIHLA_ENV}
machine: $(nproc) cores, shared with other work (noisy); wrk runs on the same cores

run       book/N  searches/s  bookings/s  hit ratio   p99 ms  booked  sold-out  errors  stale (cached/fresh)
EOF
  for name in "${RUNS[@]}"; do
    local every=0
    [[ $name == n100 ]] && every=100
    [[ $name == n20 ]] && every=20
    printf '%-9s %6s %11s %11s %10s %8.1f %7s %9s %7s  %s/%s\n' "$name" "$every" "${SPS[$name]}" "${BPS[$name]}" \
      "${HIT[$name]}" "${P99[$name]}" "${BOOKED[$name]}" "${SOLD[$name]}" "${ERRS[$name]}" "${STALE[$name]}" \
      "${STALE_FRESH[$name]}"
  done
  cat <<EOF
all-hit   (one cached search)  $ALLHIT_RPS req/s

N=100 hit ratio                     ${HIT[n100]}   (bar >= $BAR_HIT_100)  $V1
N=100 hit ratio / ceiling           $CEILING_RATIO   (bar >= $BAR_CEILING_100)  $V2
N=20 hit ratio                      ${HIT[n20]}   (bar >= $BAR_HIT_20)  $V3
stale answers (all audits)          $stale_total   (bar <= $BAR_STALE)  $V4
N=100 searches/s / all-hit req/s    $RPS_RATIO   (bar >= $BAR_RPS_RATIO)  $V5
EOF
  ((errors_total == 0)) || echo "note: $errors_total error responses (other than sold-out): the runs are not valid (see $WORK)"
  [[ -z $BENCH_RESULTS ]] || write_results
  [[ $V1 == PASS && $V2 == PASS && $V3 == PASS && $V4 == PASS && $V5 == PASS ]]
}

write_results() {
  local rows="" name
  results_meta
  for name in "${RUNS[@]}"; do
    rows+="$name ${SPS[$name]} ${BPS[$name]} ${HIT[$name]} ${P99[$name]} ${BOOKED[$name]} ${SOLD[$name]} ${ERRS[$name]} ${STALE[$name]} ${STALE_FRESH[$name]};"
  done
  env COMMIT="$RESULTS_COMMIT" DIRTY="$RESULTS_DIRTY" DATE="$RESULTS_DATE" CORES="$(nproc)" ROWS="$rows" \
    WRK="${WRK_THREADS:-2} ${WRK_CONNECTIONS:-64} $WRK_SECONDS $WARMUP_SECONDS" \
    STREAM="$MIXED_SEARCHES $DISTINCT $ROUTES" ALLHIT="$ALLHIT_RPS" \
    RATIOS="$CEILING_RATIO $RPS_RATIO $STALE_TOTAL $ERRORS_TOTAL" RIHLA_ENV="$MIXED_RIHLA_ENV" \
    BARS="$BAR_HIT_100 $BAR_CEILING_100 $BAR_HIT_20 $BAR_STALE $BAR_RPS_RATIO" \
    FIGS="${HIT[n100]} $CEILING_RATIO ${HIT[n20]} $STALE_TOTAL $RPS_RATIO" \
    VERDICTS="$V1 $V2 $V3 $V4 $V5" python3 - "$BENCH_RESULTS" <<'PY'
import json, os, sys

e = os.environ
runs = {}
for row in filter(None, e["ROWS"].split(";")):
    name, sps, bps, hit, p99, booked, sold, errs, stale, stale_fresh = row.split()
    runs[name] = {"searches_per_s": float(sps), "bookings_per_s": float(bps), "hit_ratio": float(hit),
                  "p99_ms": float(p99), "booked": int(booked), "sold_out": int(sold), "errors": int(errs),
                  "stale_cached": int(stale), "stale_uncached": int(stale_fresh)}
wrk = [int(x) for x in e["WRK"].split()]
stream = [int(x) for x in e["STREAM"].split()]
ratios = e["RATIOS"].split()
names = ["n100_hit_ratio", "n100_over_ceiling", "n20_hit_ratio", "stale_answers", "n100_searches_over_all_hit"]
ops = [">=", ">=", ">=", "<=", ">="]
result = {
    "bench": "mixed",
    "commit": e["COMMIT"],
    "dirty_tree": e["DIRTY"] == "true",
    "date": e["DATE"],
    "machine": {"cores": int(e["CORES"]), "note": "shared and noisy; wrk runs on the same cores"},
    "wrk": {"threads": wrk[0], "connections": wrk[1], "seconds": wrk[2], "warmup_seconds": wrk[3]},
    "stream": {"searches": stream[0], "distinct": stream[1], "routes": stream[2]},
    "rihla_env": e["RIHLA_ENV"],
    "figures": {
        "runs": runs,
        "all_hit_rps": float(e["ALLHIT"]),
        "n100_over_ceiling": float(ratios[0]),
        "n100_searches_over_all_hit": float(ratios[1]),
        "stale_answers": int(ratios[2]),
        "errors": int(ratios[3]),
    },
    "verdicts": {n: {"bar": f"{op} {b}", "value": float(v), "verdict": vd}
                 for n, op, b, v, vd in zip(names, ops, e["BARS"].split(), e["FIGS"].split(), e["VERDICTS"].split())},
}
with open(sys.argv[1], "w") as out:
    json.dump(result, out, indent=2)
    out.write("\n")
PY
  log "results written to ${BENCH_RESULTS#"$REPO_DIR"/}"
}

main() {
  require wrk curl python3
  bench_init mixed
  ensure_rihla
  rihla_seed "sqlite:$WORK/rihla.db"
  DISTINCT=$(python3 "$BENCH_DIR/mixed.py" workload "$WORK/rihla.db" "$WORK" "$MIXED_SEARCHES" "$MIXED_SEED") ||
    die "drawing the workload failed"
  ROUTES=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
    "SELECT COUNT(*) FROM (SELECT DISTINCT origin, destination FROM flights)").fetchone()[0])' "$WORK/rihla.db")
  log "workload: $MIXED_SEARCHES searches ($DISTINCT distinct) over $ROUTES routes"
  # shellcheck disable=SC2086 # MIXED_RIHLA_ENV is a list of VAR=VALUE words
  start_rihla mixed "sqlite:$WORK/rihla.db" $MIXED_RIHLA_ENV
  TOKEN=$(python3 "$BENCH_DIR/api.py" signup "$RIHLA_URL" "mixed-$$@bench.test") || die "signup failed"
  run_mixed warmup 0 "$WARMUP_SECONDS"
  local name every
  for name in "${RUNS[@]}"; do
    every=0
    [[ $name == n100 ]] && every=100
    [[ $name == n20 ]] && every=20
    run_mixed "$name" "$every" "$WRK_SECONDS"
    audit "$name"
  done
  local top
  top=$(head -n 1 "$WORK/popular.txt")
  curl -sf -o /dev/null "$RIHLA_URL$top" || die "the popular search failed"
  run_wrk "all-hit $top" "$WORK/wrk-allhit.txt" "$RIHLA_URL$top"
  if report; then exit 0; else exit 1; fi
}

main "$@"
