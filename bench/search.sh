#!/usr/bin/env bash
# Cached flight search: rihla vs nginx serving the same bytes as a static file, twice side by
# side in one run: without per-request logs (rihla at warn, nginx access_log off) and with them
# (rihla at info, an access line per request to a file; nginx access_log on, buffer=64k).
#
#   bench/search.sh                 # builds rihla (Release) in /tmp/bench-build
#   RIHLA_BIN=path/to/rihla bench/search.sh
#
# Environment: WRK_SECONDS (10), WRK_ROUNDS (2), WRK_THREADS (2), WRK_CONNECTIONS (64),
# WARMUP_SECONDS (3), IDLE_CONNS (1000), IDLE_HOLD (5), BENCH_KEEP=1 keeps the temp dir,
# BENCH_RESULTS (bench/results/search.json; set it empty to write no results file).
# Exit: 0 all bars pass, 1 a bar failed, 2 the bench itself failed.
#
# Loopback only; every process started here is stopped on exit (also on Ctrl-C).
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WRK_SECONDS=${WRK_SECONDS:-10}
WRK_ROUNDS=${WRK_ROUNDS:-2}
WARMUP_SECONDS=${WARMUP_SECONDS:-3}
IDLE_CONNS=${IDLE_CONNS:-1000}
IDLE_HOLD=${IDLE_HOLD:-5}
BENCH_RESULTS=${BENCH_RESULTS-$BENCH_DIR/results/search.json}
BAR_RPS_RATIO=0.85     # logging off: rihla req/s >= 0.85 x nginx (access_log off)
BAR_P99_RATIO=1.5      # logging off: rihla p99 <= 1.5 x nginx
BAR_LOG_RPS_RATIO=0.80 # logging on: rihla req/s >= 0.80 x nginx (access_log on, buffer=64k)
BAR_LOG_P99_RATIO=1.5  # logging on: rihla p99 <= 1.5 x nginx
BAR_RSS_MB=64          # rihla RSS with IDLE_CONNS idle keep-alive connections
TARGETS=(nginx rihla nginx-log rihla-log)

# Two rihla servers on copies of one seeded database, so that both answer the same bytes:
# `rihla` at warn (no per-request lines) and `rihla-log` at info, its stdout (an access line
# per request) going to a file.
start_search_rihla() {
  rihla_seed "sqlite:$WORK/rihla.db"
  cp "$WORK/rihla.db" "$WORK/rihla-log.db"
  start_rihla search-log "sqlite:$WORK/rihla-log.db" RIHLA_LOG_LEVEL=info
  RIHLA_LOG_URL=$RIHLA_URL
  RIHLA_LOG_FILE=$WORK/rihla-search-log.log
  start_rihla search "sqlite:$WORK/rihla.db"
}

# Fetches the search twice from each rihla (MISS, then HIT) and saves the cached body.
fetch_cached_body() {
  SEARCH_PATH="/v1/flights/search?from=RUH&to=JED&date=$(tomorrow)"
  local headers=$WORK/search.headers url body
  mkdir -p "$WORK/www"
  for url in "$RIHLA_URL" "$RIHLA_LOG_URL"; do
    [[ $url == "$RIHLA_URL" ]] && body=$WORK/www/search.json || body=$WORK/search-log.json
    curl -sf -o /dev/null "$url$SEARCH_PATH" || die "search request failed ($url)"
    curl -sf -D "$headers" -o "$body" "$url$SEARCH_PATH" || die "search request failed ($url)"
    grep -qi '^x-cache: *HIT' "$headers" || die "second search was not a cache hit: $(cat "$headers")"
  done
  cmp -s "$WORK/www/search.json" "$WORK/search-log.json" || die "the two rihla servers answer different bytes"
  chmod 755 "$WORK/www" && chmod 644 "$WORK/www/search.json"
  SEARCH_BYTES=$(stat -c %s "$WORK/www/search.json")
  local count
  count=$(json_field count <"$WORK/www/search.json")
  ((count > 0)) || die "the search returned no flights (is the seed schedule loaded?)"
  log "cached search body: $SEARCH_BYTES bytes, $count flights"
}

# start_nginx NAME ACCESS_LOG: a minimal nginx serving the static file with the given
# `access_log` directive; worker_processes auto, keep-alive not capped. Sets NGINX_URL.
start_nginx() {
  local name=$1 access_log=$2 dir=$WORK/$1 pid
  mkdir -p "$dir/tmp"
  chmod 777 "$dir" # nginx opens the access log as root, but keep it writable for its workers too
  NGINX_PORT=$(free_port)
  cat >"$dir/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log $access_log;
  default_type application/json;
  sendfile on;
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      root $WORK/www;
      try_files /search.json =404;
    }
  }
}
EOF
  nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 &
  pid=$!
  track_pid "$pid"
  NGINX_URL=http://127.0.0.1:$NGINX_PORT
  wait_http "$NGINX_URL/" 30 || { cat "$dir/error.log" >&2; die "nginx ($name) did not start"; }
  cmp -s <(curl -sf "$NGINX_URL$SEARCH_PATH") "$WORK/www/search.json" || die "nginx ($name) does not serve the same bytes"
  log "nginx ($name) pid $pid on $NGINX_URL ($(nproc) workers, access_log $access_log)"
}

start_nginxes() {
  start_nginx nginx off
  NGINX_OFF_URL=$NGINX_URL
  NGINX_ACCESS_LOG=$WORK/nginx-log/access.log
  start_nginx nginx-log "$NGINX_ACCESS_LOG combined buffer=64k"
  NGINX_LOG_URL=$NGINX_URL
}

target_url() {
  case $1 in
    nginx) echo "$NGINX_OFF_URL" ;;
    rihla) echo "$RIHLA_URL" ;;
    nginx-log) echo "$NGINX_LOG_URL" ;;
    rihla-log) echo "$RIHLA_LOG_URL" ;;
  esac
}

warm_up() {
  local saved=$WRK_SECONDS target
  WRK_SECONDS=$WARMUP_SECONDS
  for target in "${TARGETS[@]}"; do
    run_wrk "warm-up $target" "$WORK/warmup-$target.txt" "$(target_url "$target")$SEARCH_PATH"
  done
  WRK_SECONDS=$saved
  WARMUP_REQS_LOG=$(wrk_requests "$WORK/warmup-rihla-log.txt")
}

# Alternates nginx, rihla, nginx-log, rihla-log, nginx, ... Per target: RPS[t] and P99[t]
# hold the figures of each round (space-separated), REQS[t] the requests wrk completed.
declare -A RPS P99 REQS
run_rounds() {
  local round target out rps p99 errs reqs
  ERRORS=0
  for target in "${TARGETS[@]}"; do RPS[$target]="" P99[$target]="" REQS[$target]=0; done
  for ((round = 1; round <= WRK_ROUNDS; round++)); do
    for target in "${TARGETS[@]}"; do
      out=$WORK/wrk-$target-$round.txt
      run_wrk "$target round $round" "$out" "$(target_url "$target")$SEARCH_PATH"
      rps=$(wrk_rps "$out") p99=$(wrk_p99_ms "$out") errs=$(wrk_errors "$out") reqs=$(wrk_requests "$out")
      [[ -n $rps && -n $p99 && -n $reqs ]] || { cat "$out" >&2; die "could not parse wrk output"; }
      ERRORS=$((ERRORS + errs))
      RPS[$target]+=" $rps" P99[$target]+=" $p99" REQS[$target]=$((REQS[$target] + reqs))
      ROWS+=("$(printf '%-9s %5s %12.0f %10.2f %8s' "$target" "$round" "$rps" "$p99" "$errs")")
    done
  done
}

# What the logging runs wrote: rihla's access lines (read after rihla's writer caught up: it
# writes every few milliseconds) and drops, and nginx's access log so far.
count_log_lines() {
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    RIHLA_ACCESS_LINES=$(grep -c '"msg":"request"' "$RIHLA_LOG_FILE" || true)
    ((RIHLA_ACCESS_LINES >= ${REQS[rihla-log]} + WARMUP_REQS_LOG)) && break
    sleep 0.5 # polling a file another process appends to; bounded
  done
  RIHLA_LOG_BYTES=$(stat -c %s "$RIHLA_LOG_FILE")
  RIHLA_LOG_DROPPED=$(curl -sf "$RIHLA_LOG_URL/metrics" | awk '$1 == "rihla_log_dropped_total" {print $2}' || true)
  RIHLA_LOG_DROPPED=${RIHLA_LOG_DROPPED:-unknown}
  NGINX_ACCESS_LINES=$(wc -l <"$NGINX_ACCESS_LOG")
}

measure_idle_rss() {
  log "opening $IDLE_CONNS idle keep-alive connections to rihla for ${IDLE_HOLD}s"
  RSS_LINE=$(timeout 120 python3 "$BENCH_DIR/idle_conns.py" "$RIHLA_PID" 127.0.0.1 "$RIHLA_PORT" "$SEARCH_PATH" \
    "$IDLE_CONNS" "$IDLE_HOLD") || die "idle connection test failed"
  local kv
  for kv in $RSS_LINE; do
    case $kv in
      before=*) RSS_BEFORE=${kv#*=} ;;
      peak=*) RSS_PEAK=${kv#*=} ;;
      alive=*) RSS_ALIVE=${kv#*=} ;;
      statuses=*) RSS_STATUSES=${kv#*=} ;;
    esac
  done
}

# mean_of TARGET rps|p99: the mean over the rounds.
mean_of() {
  # shellcheck disable=SC2086 # the lists are space-separated numbers
  if [[ $2 == rps ]]; then mean ${RPS[$1]}; else mean ${P99[$1]}; fi
}

report() {
  local t n_rps n_p99 r_rps r_p99 nl_rps nl_p99 rl_rps rl_p99
  n_rps=$(mean_of nginx rps) n_p99=$(mean_of nginx p99)
  r_rps=$(mean_of rihla rps) r_p99=$(mean_of rihla p99)
  nl_rps=$(mean_of nginx-log rps) nl_p99=$(mean_of nginx-log p99)
  rl_rps=$(mean_of rihla-log rps) rl_p99=$(mean_of rihla-log p99)
  RPS_RATIO=$(ratio "$r_rps" "$n_rps") P99_RATIO=$(ratio "$r_p99" "$n_p99")
  LOG_RPS_RATIO=$(ratio "$rl_rps" "$nl_rps") LOG_P99_RATIO=$(ratio "$rl_p99" "$nl_p99")
  # What logging costs each server itself, same run (a figure, not a bar; steadier than the
  # cross-server ratios on a noisy machine).
  RIHLA_LOG_COST=$(ratio "$rl_rps" "$r_rps") NGINX_LOG_COST=$(ratio "$nl_rps" "$n_rps")
  RSS_MB=$(awk -v k="$RSS_PEAK" 'BEGIN {printf "%.1f", k / 1024}')
  RSS_BEFORE_MB=$(awk -v k="$RSS_BEFORE" 'BEGIN {printf "%.1f", k / 1024}')
  V1=$(verdict "$RPS_RATIO" ge "$BAR_RPS_RATIO") V2=$(verdict "$P99_RATIO" le "$BAR_P99_RATIO")
  V3=$(verdict "$LOG_RPS_RATIO" ge "$BAR_LOG_RPS_RATIO") V4=$(verdict "$LOG_P99_RATIO" le "$BAR_LOG_P99_RATIO")
  V5=$(verdict "$RSS_MB" le "$BAR_RSS_MB")
  ((ERRORS == 0)) || { V1=FAIL V2=FAIL V3=FAIL V4=FAIL; }
  # The logging runs count only if rihla logged every request wrk saw answered.
  LOGGED_ALL=$(((RIHLA_ACCESS_LINES >= ${REQS[rihla-log]} + WARMUP_REQS_LOG) ? 1 : 0))
  ((LOGGED_ALL)) || { V3=FAIL V4=FAIL; }
  ((RSS_ALIVE == IDLE_CONNS)) || V5=FAIL

  cat <<EOF

== rihla cached search vs nginx static file ==
GET $SEARCH_PATH  ($SEARCH_BYTES-byte body, identical bytes from all four servers)
wrk -t${WRK_THREADS:-2} -c${WRK_CONNECTIONS:-64} -d${WRK_SECONDS}s --latency, alternating ${TARGETS[*]}, $WRK_ROUNDS rounds each, after a ${WARMUP_SECONDS}s warm-up each
logging off: nginx access_log off; rihla RIHLA_LOG_LEVEL=warn (no per-request lines)
logging on:  nginx-log access_log (combined) to a file, buffer=64k; rihla-log RIHLA_LOG_LEVEL=info, stdout (an access line per request) to a file
  rihla-log: $RIHLA_ACCESS_LINES access lines ($RIHLA_LOG_BYTES bytes) for $((${REQS[rihla-log]} + WARMUP_REQS_LOG)) requests answered to wrk (warm-up included); rihla_log_dropped_total $RIHLA_LOG_DROPPED
  nginx-log: $NGINX_ACCESS_LINES lines in access.log so far (the rest still in its 64k buffers)
nginx: worker_processes auto ($(nproc)), keepalive_requests 1000000; rihla: RIHLA_THREADS default ($(nproc)), SQLite, in-process cache
machine: $(nproc) cores, shared with other work (noisy); wrk runs on the same cores

target    round        req/s     p99 ms   errors
EOF
  printf '%s\n' "${ROWS[@]}"
  for t in "${TARGETS[@]}"; do
    printf '%-9s %5s %12.0f %10.2f\n' "$t" mean "$(mean_of "$t" rps)" "$(mean_of "$t" p99)"
  done
  cat <<EOF

logging off: rps ratio rihla/nginx          $RPS_RATIO   (bar >= $BAR_RPS_RATIO)  $V1
logging off: p99 ratio rihla/nginx          $P99_RATIO   (bar <= $BAR_P99_RATIO)   $V2
logging on:  rps ratio rihla-log/nginx-log  $LOG_RPS_RATIO   (bar >= $BAR_LOG_RPS_RATIO)  $V3
logging on:  p99 ratio rihla-log/nginx-log  $LOG_P99_RATIO   (bar <= $BAR_LOG_P99_RATIO)   $V4
req/s with logging / without: rihla $RIHLA_LOG_COST, nginx $NGINX_LOG_COST  (figure, no bar)
rihla RSS with $IDLE_CONNS idle keep-alive connections: $RSS_MB MiB peak (before: $RSS_BEFORE_MB MiB; responses $RSS_STATUSES; $RSS_ALIVE still open after ${IDLE_HOLD}s)  (bar <= $BAR_RSS_MB MiB)  $V5
EOF
  ((ERRORS == 0)) || echo "note: $ERRORS wrk errors/non-2xx responses: the runs are not valid (see $WORK)"
  ((LOGGED_ALL)) || echo "note: rihla-log wrote fewer access lines than requests: the logging runs are not valid"
  [[ -z $BENCH_RESULTS ]] || write_results "$n_rps" "$r_rps" "$n_p99" "$r_p99" "$nl_rps" "$rl_rps" "$nl_p99" "$rl_p99"
  [[ $V1 == PASS && $V2 == PASS && $V3 == PASS && $V4 == PASS && $V5 == PASS ]]
}

# write_results N_RPS R_RPS N_P99 R_P99 NL_RPS RL_RPS NL_P99 RL_P99: this run's figures and
# verdicts as JSON in $BENCH_RESULTS (commit, date, figures, verdicts).
write_results() {
  local commit dirty=false
  commit=$(git -C "$REPO_DIR" rev-parse HEAD 2>/dev/null || echo unknown)
  [[ -z $(git -C "$REPO_DIR" status --porcelain --untracked-files=no 2>/dev/null) ]] || dirty=true
  mkdir -p "$(dirname "$BENCH_RESULTS")"
  env COMMIT="$commit" DIRTY="$dirty" DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)" CORES="$(nproc)" \
    WRK="${WRK_THREADS:-2} ${WRK_CONNECTIONS:-64} $WRK_SECONDS $WRK_ROUNDS" BODY="$SEARCH_BYTES" \
    FIG="$* $RPS_RATIO $P99_RATIO $LOG_RPS_RATIO $LOG_P99_RATIO $RIHLA_LOG_COST $NGINX_LOG_COST" \
    LOGS="$RIHLA_ACCESS_LINES ${REQS[rihla-log]} $RIHLA_LOG_DROPPED $NGINX_ACCESS_LINES" \
    RSS="$RSS_MB $RSS_BEFORE_MB $IDLE_CONNS ${RSS_ALIVE:-0}" ERRS="$ERRORS" \
    BARS="$BAR_RPS_RATIO $BAR_P99_RATIO $BAR_LOG_RPS_RATIO $BAR_LOG_P99_RATIO $BAR_RSS_MB" \
    VERDICTS="$V1 $V2 $V3 $V4 $V5" \
    python3 - "$BENCH_RESULTS" <<'PY'
import json, os, sys

def num(x):
    try:
        return float(x)
    except ValueError:
        return None

e = os.environ
fig = [num(x) for x in e["FIG"].split()]
logs = [num(x) for x in e["LOGS"].split()]
rss = [num(x) for x in e["RSS"].split()]
wrk = [int(x) for x in e["WRK"].split()]
bars = e["BARS"].split()
verdicts = e["VERDICTS"].split()
names = ["logging_off_rps_ratio", "logging_off_p99_ratio", "logging_on_rps_ratio", "logging_on_p99_ratio",
         "idle_rss_mib"]
ops = [">=", "<=", ">=", "<=", "<="]
result = {
    "bench": "search",
    "commit": e["COMMIT"],
    "dirty_tree": e["DIRTY"] == "true",
    "date": e["DATE"],
    "machine": {"cores": int(e["CORES"]), "note": "shared and noisy; wrk runs on the same cores"},
    "wrk": {"threads": wrk[0], "connections": wrk[1], "seconds": wrk[2], "rounds": wrk[3]},
    "body_bytes": int(e["BODY"]),
    "figures": {
        "logging_off": {"nginx_rps": fig[0], "rihla_rps": fig[1], "nginx_p99_ms": fig[2], "rihla_p99_ms": fig[3],
                        "rps_ratio": fig[8], "p99_ratio": fig[9]},
        "logging_on": {"nginx_rps": fig[4], "rihla_rps": fig[5], "nginx_p99_ms": fig[6], "rihla_p99_ms": fig[7],
                       "rps_ratio": fig[10], "p99_ratio": fig[11], "rihla_access_lines": logs[0],
                       "rihla_requests_measured": logs[1], "rihla_log_dropped": logs[2],
                       "nginx_access_lines_flushed": logs[3]},
        "rps_with_logging_over_without": {"rihla": fig[12], "nginx": fig[13]},
        "idle_rss_mib": {"peak": rss[0], "before": rss[1], "connections": rss[2], "still_open": rss[3]},
        "wrk_errors": int(e["ERRS"]),
    },
    "verdicts": {n: {"bar": f"{op} {b}", "verdict": v} for n, op, b, v in zip(names, ops, bars, verdicts)},
}
with open(sys.argv[1], "w") as out:
    json.dump(result, out, indent=2)
    out.write("\n")
PY
  log "results written to ${BENCH_RESULTS#"$REPO_DIR"/}"
}

main() {
  require wrk nginx curl python3
  bench_init search
  ensure_rihla
  start_search_rihla
  fetch_cached_body
  start_nginxes
  warm_up
  ROWS=()
  run_rounds
  count_log_lines
  measure_idle_rss
  if report; then exit 0; else exit 1; fi
}

main "$@"
