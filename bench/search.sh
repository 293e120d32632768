#!/usr/bin/env bash
# Cached flight search: rihla vs nginx serving the same bytes as a static file.
#
#   bench/search.sh                 # builds rihla (Release) in /tmp/bench-build
#   RIHLA_BIN=path/to/rihla bench/search.sh
#
# Environment: WRK_SECONDS (10), WRK_ROUNDS (2), WRK_THREADS (2), WRK_CONNECTIONS (64),
# WARMUP_SECONDS (3), IDLE_CONNS (1000), IDLE_HOLD (5), BENCH_KEEP=1 keeps the temp dir.
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
BAR_RPS_RATIO=0.60  # rihla req/s >= 0.60 x nginx
BAR_P99_RATIO=1.5   # rihla p99 <= 1.5 x nginx
BAR_RSS_MB=64       # rihla RSS with IDLE_CONNS idle keep-alive connections

start_search_rihla() {
  rihla_seed "sqlite:$WORK/rihla.db"
  start_rihla search "sqlite:$WORK/rihla.db"
}

# Fetches the search twice from rihla (MISS, then HIT) and saves the cached body.
fetch_cached_body() {
  SEARCH_PATH="/v1/flights/search?from=RUH&to=JED&date=$(tomorrow)"
  curl -sf -o /dev/null "$RIHLA_URL$SEARCH_PATH" || die "search request failed"
  local headers=$WORK/search.headers
  mkdir -p "$WORK/www"
  curl -sf -D "$headers" -o "$WORK/www/search.json" "$RIHLA_URL$SEARCH_PATH" || die "search request failed"
  grep -qi '^x-cache: *HIT' "$headers" || die "second search was not a cache hit: $(cat "$headers")"
  chmod 755 "$WORK/www" && chmod 644 "$WORK/www/search.json"
  SEARCH_BYTES=$(stat -c %s "$WORK/www/search.json")
  local count
  count=$(json_field count <"$WORK/www/search.json")
  ((count > 0)) || die "the search returned no flights (is the seed schedule loaded?)"
  log "cached search body: $SEARCH_BYTES bytes, $count flights"
}

# Minimal nginx: static file, access_log off, worker_processes auto, keep-alive not capped.
start_nginx() {
  local dir=$WORK/nginx
  mkdir -p "$dir/tmp"
  NGINX_PORT=$(free_port)
  cat >"$dir/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
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
  NGINX_PID=$!
  track_pid "$NGINX_PID"
  NGINX_URL=http://127.0.0.1:$NGINX_PORT
  wait_http "$NGINX_URL/" 30 || { cat "$dir/error.log" >&2; die "nginx did not start"; }
  cmp -s <(curl -sf "$NGINX_URL$SEARCH_PATH") "$WORK/www/search.json" || die "nginx does not serve the same bytes"
  log "nginx pid $NGINX_PID on $NGINX_URL ($(nproc) workers)"
}

warm_up() {
  local saved=$WRK_SECONDS
  WRK_SECONDS=$WARMUP_SECONDS
  run_wrk "warm-up nginx" "$WORK/warmup-nginx.txt" "$NGINX_URL$SEARCH_PATH"
  run_wrk "warm-up rihla" "$WORK/warmup-rihla.txt" "$RIHLA_URL$SEARCH_PATH"
  WRK_SECONDS=$saved
}

# Alternates nginx, rihla, nginx, rihla, ... and prints one row per run.
run_rounds() {
  local round target url out
  NGINX_RPS=() NGINX_P99=() RIHLA_RPS=() RIHLA_P99=() ERRORS=0
  for ((round = 1; round <= WRK_ROUNDS; round++)); do
    for target in nginx rihla; do
      [[ $target == nginx ]] && url=$NGINX_URL || url=$RIHLA_URL
      out=$WORK/wrk-$target-$round.txt
      run_wrk "$target round $round" "$out" "$url$SEARCH_PATH"
      local rps p99 errs
      rps=$(wrk_rps "$out") p99=$(wrk_p99_ms "$out") errs=$(wrk_errors "$out")
      [[ -n $rps && -n $p99 ]] || { cat "$out" >&2; die "could not parse wrk output"; }
      ERRORS=$((ERRORS + errs))
      if [[ $target == nginx ]]; then NGINX_RPS+=("$rps") NGINX_P99+=("$p99"); else RIHLA_RPS+=("$rps") RIHLA_P99+=("$p99"); fi
      ROWS+=("$(printf '%-7s %5s %12.0f %10.2f %8s' "$target" "$round" "$rps" "$p99" "$errs")")
    done
  done
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

report() {
  local n_rps n_p99 r_rps r_p99 rps_ratio p99_ratio rss_mb rss_before_mb v1 v2 v3
  n_rps=$(mean "${NGINX_RPS[@]}") n_p99=$(mean "${NGINX_P99[@]}")
  r_rps=$(mean "${RIHLA_RPS[@]}") r_p99=$(mean "${RIHLA_P99[@]}")
  rps_ratio=$(ratio "$r_rps" "$n_rps") p99_ratio=$(ratio "$r_p99" "$n_p99")
  rss_mb=$(awk -v k="$RSS_PEAK" 'BEGIN {printf "%.1f", k / 1024}')
  rss_before_mb=$(awk -v k="$RSS_BEFORE" 'BEGIN {printf "%.1f", k / 1024}')
  v1=$(verdict "$rps_ratio" ge "$BAR_RPS_RATIO") v2=$(verdict "$p99_ratio" le "$BAR_P99_RATIO")
  v3=$(verdict "$rss_mb" le "$BAR_RSS_MB")
  ((ERRORS == 0)) || { v1=FAIL v2=FAIL; }
  ((RSS_ALIVE == IDLE_CONNS)) || v3=FAIL

  cat <<EOF

== rihla cached search vs nginx static file ==
GET $SEARCH_PATH  ($SEARCH_BYTES-byte body, identical bytes from both)
wrk -t${WRK_THREADS:-2} -c${WRK_CONNECTIONS:-64} -d${WRK_SECONDS}s --latency, alternating nginx/rihla, $WRK_ROUNDS rounds each, after a ${WARMUP_SECONDS}s warm-up each
logging: nginx access_log off; rihla RIHLA_LOG_LEVEL=warn (no per-request lines) - neither writes per-request logs
nginx: worker_processes auto ($(nproc)), keepalive_requests 1000000; rihla: RIHLA_THREADS default ($(nproc)), SQLite, in-process cache
machine: $(nproc) cores, shared with other work (noisy); wrk runs on the same cores

target  round        req/s     p99 ms   errors
EOF
  printf '%s\n' "${ROWS[@]}"
  printf '%-7s %5s %12.0f %10.2f\n' nginx mean "$n_rps" "$n_p99"
  printf '%-7s %5s %12.0f %10.2f\n' rihla mean "$r_rps" "$r_p99"
  cat <<EOF

rps ratio rihla/nginx  $rps_ratio   (bar >= $BAR_RPS_RATIO)  $v1
p99 ratio rihla/nginx  $p99_ratio   (bar <= $BAR_P99_RATIO)   $v2
rihla RSS with $IDLE_CONNS idle keep-alive connections: $rss_mb MiB peak (before: $rss_before_mb MiB; responses $RSS_STATUSES; $RSS_ALIVE still open after ${IDLE_HOLD}s)  (bar <= $BAR_RSS_MB MiB)  $v3
EOF
  ((ERRORS == 0)) || echo "note: $ERRORS wrk errors/non-2xx responses: the runs are not valid (see $WORK)"
  [[ $v1 == PASS && $v2 == PASS && $v3 == PASS ]]
}

main() {
  require wrk nginx curl python3
  bench_init search
  ensure_rihla
  start_search_rihla
  fetch_cached_body
  start_nginx
  warm_up
  ROWS=()
  run_rounds
  measure_idle_rss
  if report; then exit 0; else exit 1; fi
}

main "$@"
