#!/usr/bin/env bash
# Booking creation with idempotency: rihla (SQLite and MariaDB) vs a typical Node/Express +
# Redis + MySQL(MariaDB) implementation of the same POST /v1/bookings (bench/node-baseline/).
#
#   bench/booking.sh                 # builds rihla (Release) in /tmp/bench-build
#   RIHLA_BIN=path/to/rihla bench/booking.sh
#
# For each target: (a) fresh keys - every request a new Idempotency-Key (bench/lua/fresh.lua),
# flights used round-robin so none sells out; (b) replays - one key repeated (bench/lua/replay.lua).
# Then checks the seat counts: every fresh request created exactly one booking, replays none.
#
# Environment: WRK_SECONDS (10), WRK_THREADS (2), WRK_CONNECTIONS (64), WARMUP_SECONDS (3),
# BENCH_FLIGHTS_COUNT (100 flights x 1000 seats), BENCH_KEEP=1 keeps the temp dir.
# Exit: 0 all bars pass, 1 a bar failed, 2 the bench itself failed.
#
# Loopback only; every process started here (rihla, node, MariaDB, Redis) is stopped on exit.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WRK_SECONDS=${WRK_SECONDS:-10}
WARMUP_SECONDS=${WARMUP_SECONDS:-3}
FLIGHTS_COUNT=${BENCH_FLIGHTS_COUNT:-100}
SEATS_PER_FLIGHT=1000  # rihla's maximum seats_total
ADMIN_TOKEN=bench-admin
BAR_NODE_RATIO=4  # rihla (MariaDB) fresh-key req/s >= 4 x node
NODE_DIR=$BENCH_DIR/node-baseline
RUN_ID=$(date +%s%N)

# ---------------------------------------------------------------------------------------
# setup

install_node_deps() {
  if [[ -d $NODE_DIR/node_modules/express && -d $NODE_DIR/node_modules/mysql2 && -d $NODE_DIR/node_modules/ioredis &&
    $NODE_DIR/node_modules/.package-lock.json -nt $NODE_DIR/package.json ]]; then
    return
  fi
  log "npm ci in $NODE_DIR (package-lock.json)"
  (cd "$NODE_DIR" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >"$WORK/npm.log" 2>&1) ||
    { cat "$WORK/npm.log" >&2; die "npm install failed"; }
}

start_services() {
  local env_file
  CLEANUP_HOOKS+=("'$REPO_DIR/scripts/services.sh' stop '$WORK/services' >/dev/null 2>&1")
  env_file=$("$REPO_DIR/scripts/services.sh" start "$WORK/services" mariadb redis 2>"$WORK/services.log") ||
    { cat "$WORK/services.log" >&2; die "scripts/services.sh could not start MariaDB and Redis"; }
  # shellcheck disable=SC1090
  source "$env_file"
  log "MariaDB on port $RIHLA_TEST_MYSQL_PORT, Redis on port $RIHLA_TEST_REDIS_PORT"
}

# prepare_target BASE_URL: signs a user up and creates the flights. Sets TOKEN, FLIGHT_IDS.
prepare_target() {
  TOKEN=$(python3 "$BENCH_DIR/api.py" signup "$1" "bench-$RUN_ID@example.com") || die "signup failed at $1"
  FLIGHT_IDS=$(python3 "$BENCH_DIR/api.py" create-flights "$1" "$ADMIN_TOKEN" "$FLIGHTS_COUNT" "$SEATS_PER_FLIGHT" \
    "$(tomorrow)") || die "creating flights failed at $1"
}

# seats_left BASE_URL: sum of seats_available over the bench flights.
seats_left() { python3 "$BENCH_DIR/api.py" seats "$1" "$FLIGHT_IDS" || die "reading seats failed at $1"; }

# cpu_ticks PID: user+system CPU time of a process (all threads), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
mysql_questions() {
  mariadb --no-defaults -h 127.0.0.1 -P "$RIHLA_TEST_MYSQL_PORT" -u rihla -prihla -N -e "SHOW GLOBAL STATUS LIKE 'Questions'" |
    awk '{print $2}'
}
redis_commands() { redis-cli -p "$RIHLA_TEST_REDIS_PORT" info stats | awk -F: '/^total_commands_processed/ {print $2 + 0}'; }

# counters_snapshot APP_PID: "app_ticks db_ticks questions redis_cmds"
counters_snapshot() {
  echo "$(cpu_ticks "$1") $(cpu_ticks "$RIHLA_TEST_MYSQL_PID") $(mysql_questions) $(redis_commands)"
}

# per_request BEFORE AFTER REQUESTS USES_MARIADB: sets COST to
# "app-CPU-us/req DB-CPU-us/req SQL/req Redis/req" (the counters' own queries are subtracted).
per_request() {
  local -a b a
  read -ra b <<<"$1"
  read -ra a <<<"$2"
  COST=$(awk -v n="$3" -v t="$(getconf CLK_TCK)" -v db="$4" -v a0="${b[0]}" -v a1="${a[0]}" -v d0="${b[1]}" \
    -v d1="${a[1]}" -v q0="${b[2]}" -v q1="${a[2]}" -v r0="${b[3]}" -v r1="${a[3]}" 'BEGIN {
      app = (a1 - a0) * 1e6 / t / n
      if (db == 1) printf "%.0f %.0f %.1f %.1f", app, (d1 - d0) * 1e6 / t / n, (q1 - q0 - 1) / n, (r1 - r0 - 1) / n
      else printf "%.0f - - -", app
    }')
}

# post_booking BASE_URL KEY BODY HEADERS_FILE: prints the status code.
post_booking() {
  curl -s -o /dev/null -D "$4" -w '%{http_code}' -X POST "$1/v1/bookings" -H "Authorization: Bearer $TOKEN" \
    -H "Idempotency-Key: $2" -H 'Content-Type: application/json' -d "$3"
}

# ---------------------------------------------------------------------------------------
# the measurement, the same for every target

# bench_target NAME LABEL BASE_URL APP_PID USES_MARIADB(0|1): fills the arrays below for NAME.
declare -A FRESH_RPS FRESH_P99 FRESH_ERR REPLAY_RPS REPLAY_P99 REPLAY_ERR CHECK LABEL FRESH_COST REPLAY_COST
bench_target() {
  local name=$1 base=$3 pid=$4 db=$5 out before after_warm after_fresh after_replay requests code c0 c1
  LABEL[$name]=$2
  prepare_target "$base"
  export BENCH_TOKEN=$TOKEN BENCH_FLIGHTS=$FLIGHT_IDS
  before=$(seats_left "$base")

  export BENCH_KEY_PREFIX=warm-$RUN_ID
  local saved=$WRK_SECONDS
  WRK_SECONDS=$WARMUP_SECONDS
  run_wrk "$name warm-up (fresh keys)" "$WORK/wrk-$name-warmup.txt" -s "$BENCH_DIR/lua/fresh.lua" "$base"
  WRK_SECONDS=$saved
  sleep 1 # let requests cut off by wrk's deadline finish
  after_warm=$(seats_left "$base")

  export BENCH_KEY_PREFIX=fresh-$RUN_ID
  out=$WORK/wrk-$name-fresh.txt
  c0=$(counters_snapshot "$pid")
  run_wrk "$name fresh keys" "$out" -s "$BENCH_DIR/lua/fresh.lua" "$base"
  c1=$(counters_snapshot "$pid")
  FRESH_RPS[$name]=$(wrk_rps "$out") FRESH_P99[$name]=$(wrk_p99_ms "$out") FRESH_ERR[$name]=$(wrk_errors "$out")
  requests=$(wrk_requests "$out")
  per_request "$c0" "$c1" "$requests" "$db"
  FRESH_COST[$name]=$COST
  sleep 1 # let requests cut off by wrk's deadline finish
  after_fresh=$(seats_left "$base")

  # The replayed request: executed once here (201), then repeated by wrk.
  export BENCH_REPLAY_KEY=replay-$RUN_ID
  export BENCH_REPLAY_BODY="{\"flight_id\":\"${FLIGHT_IDS%%,*}\",\"passengers\":[{\"given_name\":\"Re\",\"family_name\":\"Play\"}]}"
  code=$(post_booking "$base" "$BENCH_REPLAY_KEY" "$BENCH_REPLAY_BODY" "$WORK/replay-first.headers")
  [[ $code == 201 ]] || die "$name: the first booking for the replay key answered $code"
  code=$(post_booking "$base" "$BENCH_REPLAY_KEY" "$BENCH_REPLAY_BODY" "$WORK/replay-second.headers")
  if [[ $code != 201 ]] || ! grep -qi '^idempotent-replayed: *true' "$WORK/replay-second.headers"; then
    die "$name: the repeat was not a replay (status $code)"
  fi
  after_replay=$(seats_left "$base")
  out=$WORK/wrk-$name-replay.txt
  c0=$(counters_snapshot "$pid")
  run_wrk "$name replays of one key" "$out" -s "$BENCH_DIR/lua/replay.lua" "$base"
  c1=$(counters_snapshot "$pid")
  REPLAY_RPS[$name]=$(wrk_rps "$out") REPLAY_P99[$name]=$(wrk_p99_ms "$out") REPLAY_ERR[$name]=$(wrk_errors "$out")
  per_request "$c0" "$c1" "$(wrk_requests "$out")" "$db"
  REPLAY_COST[$name]=$COST
  sleep 1

  # Every fresh request books one seat (wrk does not count the few requests still in flight at
  # its deadline, so the seat count may be up to one per connection higher); replays book none.
  local booked=$((after_warm - after_fresh)) replay_booked
  replay_booked=$(($(seats_left "$base") - after_replay))
  CHECK[$name]="fresh: $requests responses, $booked seats booked; replays: $((-replay_booked)) seats booked"
  if ((booked < requests || booked > requests + ${WRK_CONNECTIONS:-64} || replay_booked != 0)); then
    CHECK[$name]+=" - MISMATCH"
  fi
  ((before - after_warm > 0)) || die "$name: the warm-up booked nothing"
  log "$name: ${CHECK[$name]}"
}

bench_rihla_sqlite() {
  rihla_seed "sqlite:$WORK/rihla.db"
  start_rihla sqlite "sqlite:$WORK/rihla.db"
  bench_target rihla-sqlite "rihla, SQLite (in-process cache)" "$RIHLA_URL" "$RIHLA_PID" 0
  untrack_and_stop "$RIHLA_PID"
}

bench_rihla_mariadb() {
  rihla_seed "$RIHLA_TEST_MYSQL_URL"
  start_rihla mariadb "$RIHLA_TEST_MYSQL_URL" RIHLA_REDIS_URL="$RIHLA_TEST_REDIS_URL"
  local clients
  clients=$(redis-cli -p "$RIHLA_TEST_REDIS_PORT" info clients | awk -F: '/^connected_clients/ {print $2+0}')
  RIHLA_REDIS_NOTE="rihla was given RIHLA_REDIS_URL; Redis saw $((clients - 1)) connection(s) from it"
  bench_target rihla-mariadb "rihla, MariaDB + Redis" "$RIHLA_URL" "$RIHLA_PID" 1
  untrack_and_stop "$RIHLA_PID"
}

bench_node() {
  local port logf=$WORK/node.log
  port=$(free_port)
  (cd "$NODE_DIR" && exec env NODE_ENV=production PORT="$port" ADMIN_TOKEN="$ADMIN_TOKEN" \
    MYSQL_URL="mysql://rihla:rihla@127.0.0.1:$RIHLA_TEST_MYSQL_PORT/nodebench" \
    REDIS_URL="$RIHLA_TEST_REDIS_URL" node server.js) >"$logf" 2>&1 &
  NODE_PID=$!
  track_pid "$NODE_PID"
  wait_http "http://127.0.0.1:$port/healthz" 60 || { cat "$logf" >&2; die "the node baseline did not start"; }
  log "node baseline pid $NODE_PID on http://127.0.0.1:$port ($(node --version))"
  bench_target node "node $(node --version) Express + ioredis + mysql2, MariaDB + Redis" "http://127.0.0.1:$port" \
    "$NODE_PID" 1
  untrack_and_stop "$NODE_PID"
}

# ---------------------------------------------------------------------------------------

report() {
  local t ratio_db ratio_lite v
  cat <<EOF

== POST /v1/bookings with Idempotency-Key: rihla vs Node/Express + Redis + MySQL ==
wrk -t${WRK_THREADS:-2} -c${WRK_CONNECTIONS:-64} -d${WRK_SECONDS}s --latency per run (after a ${WARMUP_SECONDS}s fresh-key warm-up); 1 passenger per booking;
$FLIGHTS_COUNT flights x $SEATS_PER_FLIGHT seats used round-robin; logging: rihla RIHLA_LOG_LEVEL=warn, node none (no per-request logs)
MariaDB $(mariadbd --version 2>/dev/null | awk '{print $3}') and Redis from scripts/services.sh (fsync relaxed: innodb_flush_log_at_trx_commit=2); rihla SQLite: WAL, synchronous=NORMAL
$RIHLA_REDIS_NOTE
machine: $(nproc) cores, shared with other work (noisy); wrk and the databases run on the same cores

target          fresh req/s   p99 ms  errors   replay req/s   p99 ms  errors
EOF
  for t in rihla-sqlite rihla-mariadb node; do
    printf '%-14s %12.0f %8.2f %7s %14.0f %8.2f %7s\n' "$t" "${FRESH_RPS[$t]}" "${FRESH_P99[$t]}" "${FRESH_ERR[$t]}" \
      "${REPLAY_RPS[$t]}" "${REPLAY_P99[$t]}" "${REPLAY_ERR[$t]}"
  done
  cat <<EOF

cost per request (CPU time from /proc/PID/stat; SQL = MariaDB 'Questions'; Redis = commands processed)
               ----------- fresh keys ------------   ------------- replays --------------
target         app us  MariaDB us   SQL/req Redis/req   app us  MariaDB us   SQL/req Redis/req
EOF
  for t in rihla-sqlite rihla-mariadb node; do
    # shellcheck disable=SC2086
    printf '%-14s %6s %11s %9s %9s   %6s %11s %9s %9s\n' "$t" ${FRESH_COST[$t]} ${REPLAY_COST[$t]}
  done
  echo
  for t in rihla-sqlite rihla-mariadb node; do printf '%-14s %s; %s\n' "$t" "${LABEL[$t]}" "${CHECK[$t]}"; done
  ratio_db=$(ratio "${FRESH_RPS[rihla-mariadb]}" "${FRESH_RPS[node]}")
  ratio_lite=$(ratio "${FRESH_RPS[rihla-sqlite]}" "${FRESH_RPS[node]}")
  v=$(verdict "$ratio_db" ge "$BAR_NODE_RATIO")
  local errs=0
  for t in rihla-sqlite rihla-mariadb node; do
    errs=$((errs + ${FRESH_ERR[$t]} + ${REPLAY_ERR[$t]}))
    [[ ${CHECK[$t]} != *MISMATCH* ]] || errs=$((errs + 1))
  done
  ((errs == 0)) || v=FAIL
  cat <<EOF

fresh-key req/s ratio rihla(MariaDB)/node  $ratio_db   (bar >= $BAR_NODE_RATIO)  $v
fresh-key req/s ratio rihla(SQLite)/node   $ratio_lite   (for information)
fresh-key p99 ratio rihla(MariaDB)/node    $(ratio "${FRESH_P99[rihla-mariadb]}" "${FRESH_P99[node]}")
replay req/s ratio rihla(MariaDB)/node     $(ratio "${REPLAY_RPS[rihla-mariadb]}" "${REPLAY_RPS[node]}")
EOF
  ((errs == 0)) || echo "note: errors, non-2xx responses or seat mismatches: the runs are not valid (see $WORK)"
  [[ $v == PASS ]]
}

main() {
  require wrk curl python3 node npm
  bench_init booking
  ensure_rihla
  install_node_deps
  start_services
  bench_rihla_sqlite
  bench_rihla_mariadb
  bench_node
  if report; then exit 0; else exit 1; fi
}

main "$@"
