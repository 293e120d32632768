#!/usr/bin/env bash
# 10,000 idle keep-alive connections: rihla's RSS while they are open, and cached search from 64
# other connections meanwhile, against nginx serving the same bytes under the same idle load,
# side by side in one run (bench/idle_conns.py opens and holds the idle connections).
#
#   bench/idle_load.sh                # builds rihla (Release) in /tmp/bench-build
#   RIHLA_BIN=path/to/rihla bench/idle_load.sh
#
# Environment: IDLE_CONNS (10000), WRK_SECONDS (10), WRK_THREADS (2), WRK_CONNECTIONS (64),
# BENCH_KEEP=1, BENCH_RESULTS (bench/results/idle_load.json; empty: none).
# Exit: 0 all bars pass, 1 a bar failed, 2 the bench itself failed.
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WRK_SECONDS=${WRK_SECONDS:-10}
IDLE_CONNS=${IDLE_CONNS:-10000}
BENCH_RESULTS=${BENCH_RESULTS-$BENCH_DIR/results/idle_load.json}
BAR_RSS_MB=128   # rihla RSS with IDLE_CONNS idle connections open and the search load on
BAR_RPS_RATIO=0.6 # rihla cached search req/s / nginx, both under the idle load
declare -A RPS P99 PEAK ALIVE ERRS

start_idle_nginx() {
  local dir=$WORK/nginx pid
  mkdir -p "$dir/tmp" && chmod 777 "$dir"
  NGINX_PORT=$(free_port)
  cat >"$dir/nginx.conf" <<EOF
daemon off;
worker_processes auto;
worker_rlimit_nofile $((IDLE_CONNS + 1000));
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $((IDLE_CONNS + 1000)); }
http {
  access_log off;
  default_type application/json;
  keepalive_timeout 300s;
  keepalive_requests 1000000;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { root $WORK/www; try_files /search.json =404; }
  }
}
EOF
  nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 &
  pid=$!
  track_pid "$pid"
  NGINX_PID=$pid
  wait_http "http://127.0.0.1:$NGINX_PORT/" 30 || { cat "$dir/error.log" >&2; die "nginx did not start"; }
}

established() { ss -Htn state established "( sport = :$1 )" | wc -l; }

# under_idle_load NAME PID PORT: opens IDLE_CONNS idle connections to PORT, waits until they are
# all established, runs wrk on the cached search from WRK_CONNECTIONS others, then collects
# idle_conns.py's RSS line.
under_idle_load() {
  local name=$1 pid=$2 port=$3 idle_pid line kv out=$WORK/wrk-$1.txt
  timeout $((WRK_SECONDS + 240)) python3 "$BENCH_DIR/idle_conns.py" "$pid" 127.0.0.1 "$port" "$SEARCH_PATH" \
    "$IDLE_CONNS" $((WRK_SECONDS + 30)) >"$WORK/idle-$name.txt" 2>&1 &
  idle_pid=$!
  track_pid "$idle_pid"
  wait_for 120 "$IDLE_CONNS idle connections to $name" "$idle_pid" \
    bash -c "(( \$(ss -Htn state established '( sport = :$port )' | wc -l) >= $IDLE_CONNS ))" ||
    { cat "$WORK/idle-$name.txt" >&2; die "the idle connections to $name did not open"; }
  log "$name: $(established "$port") connections established"
  run_wrk "$name cached search under idle load" "$out" "http://127.0.0.1:$port$SEARCH_PATH"
  RPS[$name]=$(wrk_rps "$out") P99[$name]=$(wrk_p99_ms "$out") ERRS[$name]=$(wrk_errors "$out")
  wait "$idle_pid" || { cat "$WORK/idle-$name.txt" >&2; die "idle_conns.py failed ($name)"; }
  line=$(tail -n 1 "$WORK/idle-$name.txt")
  for kv in $line; do
    case $kv in
      peak=*) PEAK[$name]=$(awk -v k="${kv#*=}" 'BEGIN {printf "%.1f", k / 1024}') ;;
      alive=*) ALIVE[$name]=${kv#*=} ;;
    esac
  done
  log "$name: $line"
}

report() {
  RPS_RATIO=$(ratio "${RPS[rihla]}" "${RPS[nginx]}")
  V1=$(verdict "${PEAK[rihla]}" le "$BAR_RSS_MB") V2=$(verdict "$RPS_RATIO" ge "$BAR_RPS_RATIO")
  ((ALIVE[rihla] == IDLE_CONNS)) || V1=FAIL
  ((ERRS[rihla] + ERRS[nginx] == 0)) || V2=FAIL
  cat <<EOF

== $IDLE_CONNS idle keep-alive connections + cached search from ${WRK_CONNECTIONS:-64} others ==
GET $SEARCH_PATH; wrk -t${WRK_THREADS:-2} -c${WRK_CONNECTIONS:-64} -d${WRK_SECONDS}s; nginx access_log off, same bytes, same idle load
machine: $(nproc) cores, shared with other work (noisy); wrk and the idle client run on the same cores

target   req/s    p99 ms  errors  idle still open  RSS peak MiB (rihla; nginx: master only)
EOF
  local t
  for t in nginx rihla; do
    printf '%-6s %8.0f %9.2f %7s %16s %8s\n' "$t" "${RPS[$t]}" "${P99[$t]}" "${ERRS[$t]}" "${ALIVE[$t]}" "${PEAK[$t]}"
  done
  cat <<EOF

rihla RSS with $IDLE_CONNS idle connections   ${PEAK[rihla]} MiB   (bar <= $BAR_RSS_MB)  $V1
cached search req/s rihla/nginx            $RPS_RATIO   (bar >= $BAR_RPS_RATIO)  $V2
EOF
  [[ -z $BENCH_RESULTS ]] || write_results
  [[ $V1 == PASS && $V2 == PASS ]]
}

write_results() {
  results_meta
  env COMMIT="$RESULTS_COMMIT" DIRTY="$RESULTS_DIRTY" DATE="$RESULTS_DATE" CORES="$(nproc)" \
    WRK="${WRK_THREADS:-2} ${WRK_CONNECTIONS:-64} $WRK_SECONDS $IDLE_CONNS" \
    NGINX="${RPS[nginx]} ${P99[nginx]} ${ERRS[nginx]} ${ALIVE[nginx]}" \
    RIHLA="${RPS[rihla]} ${P99[rihla]} ${ERRS[rihla]} ${ALIVE[rihla]} ${PEAK[rihla]}" \
    FIGS="${PEAK[rihla]} $RPS_RATIO" BARS="$BAR_RSS_MB $BAR_RPS_RATIO" VERDICTS="$V1 $V2" \
    python3 - "$BENCH_RESULTS" <<'PY'
import json, os, sys

e = os.environ
wrk = [int(x) for x in e["WRK"].split()]
n = e["NGINX"].split()
r = e["RIHLA"].split()
figs = [float(x) for x in e["FIGS"].split()]
bars = e["BARS"].split()
verdicts = e["VERDICTS"].split()
result = {
    "bench": "idle_load",
    "commit": e["COMMIT"],
    "dirty_tree": e["DIRTY"] == "true",
    "date": e["DATE"],
    "machine": {"cores": int(e["CORES"]), "note": "shared and noisy; wrk runs on the same cores"},
    "wrk": {"threads": wrk[0], "connections": wrk[1], "seconds": wrk[2]},
    "idle_connections": wrk[3],
    "figures": {
        "nginx": {"rps": float(n[0]), "p99_ms": float(n[1]), "errors": int(n[2]), "idle_still_open": int(n[3])},
        "rihla": {"rps": float(r[0]), "p99_ms": float(r[1]), "errors": int(r[2]), "idle_still_open": int(r[3]),
                  "rss_peak_mib": float(r[4])},
        "rps_ratio": figs[1],
    },
    "verdicts": {
        "rihla_rss_mib": {"bar": "<= " + bars[0], "value": figs[0], "verdict": verdicts[0]},
        "rps_ratio": {"bar": ">= " + bars[1], "value": figs[1], "verdict": verdicts[1]},
    },
}
with open(sys.argv[1], "w") as out:
    json.dump(result, out, indent=2)
    out.write("\n")
PY
  log "results written to ${BENCH_RESULTS#"$REPO_DIR"/}"
}

main() {
  require wrk nginx curl python3 ss
  bench_init idle_load
  ulimit -n $((IDLE_CONNS * 2 + 1000)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  ensure_rihla
  rihla_seed "sqlite:$WORK/rihla.db"
  # Idle keep-alives live for RIHLA_READ_TIMEOUT_MS (15 s by default): keep them for the whole run,
  # as nginx's keepalive_timeout 300s does.
  start_rihla idle "sqlite:$WORK/rihla.db" RIHLA_MAX_CONNECTIONS=$((IDLE_CONNS + 1000)) RIHLA_READ_TIMEOUT_MS=300000
  SEARCH_PATH="/v1/flights/search?from=RUH&to=JED&date=$(tomorrow)"
  mkdir -p "$WORK/www" && chmod 755 "$WORK/www"
  curl -sf -o /dev/null "$RIHLA_URL$SEARCH_PATH" || die "search failed"
  curl -sf -o "$WORK/www/search.json" "$RIHLA_URL$SEARCH_PATH" || die "search failed"
  chmod 644 "$WORK/www/search.json"
  start_idle_nginx
  under_idle_load nginx "$NGINX_PID" "$NGINX_PORT"
  under_idle_load rihla "$RIHLA_PID" "$RIHLA_PORT"
  if report; then exit 0; else exit 1; fi
}

main "$@"
