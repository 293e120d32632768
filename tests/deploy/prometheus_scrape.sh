#!/usr/bin/env bash
# Usage: prometheus_scrape.sh RIHLA_BINARY
# Starts rihla on loopback (temporary SQLite; RIHLA_REDIS_URL at a closed port, so the cache
# is degraded and the Redis families exist too; /metrics on its own RIHLA_METRICS_LISTEN port,
# so the main port answers it 404 and the metrics port serves nothing else), then:
#   1. every metric named in deploy/prometheus/rules.yml and deploy/grafana/*.json is one that
#      rihla's /metrics exports (a `# TYPE` family, histograms with _bucket/_sum/_count);
#   2. Debian's prometheus, on loopback, scrapes rihla: through its HTTP API the key series exist
#      with the expected labels, and a request moves http_requests_total.
# Needs: curl, jq, prometheus.
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
rihla=${1:?usage: prometheus_scrape.sh RIHLA_BINARY}
cd "$RIHLA_ROOT"
for tool in curl jq prometheus; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup.sh --test installs it)"
done

work=$(mktemp -d /tmp/rihla-prom.XXXXXX)
rihla_pid=""
prom_pid=""
cleanup() {
  [[ -z $prom_pid ]] || stop_pid prometheus "$prom_pid" TERM 10
  [[ -z $rihla_pid ]] || stop_pid rihla "$rihla_pid" TERM 10
  rm -rf "$work"
}
trap cleanup EXIT

# --- rihla ---
dead_redis=$(pick_port "")
port=$(pick_port "$dead_redis")
metrics_port=$(pick_port "$dead_redis $port")
RIHLA_DATABASE_URL="sqlite:$work/rihla.db" RIHLA_REDIS_URL="redis://127.0.0.1:$dead_redis" \
  RIHLA_METRICS_LISTEN="127.0.0.1:$metrics_port" \
  setsid "$rihla" serve --listen "127.0.0.1:$port" >"$work/rihla.log" 2>&1 &
rihla_pid=$!
wait_for 60 rihla "$rihla_pid" curl -fsS "http://127.0.0.1:$port/healthz" || {
  show_log "$work/rihla.log"
  die "rihla did not start"
}
curl -fsS "http://127.0.0.1:$port/v1/airports" >/dev/null
wait_for 30 "the metrics listener" "$rihla_pid" curl -fsS "http://127.0.0.1:$metrics_port/metrics"
status_of() { curl -s -o /dev/null -w '%{http_code}' "$1"; }
[[ $(status_of "http://127.0.0.1:$port/metrics") == 404 ]] || die "the main listener serves /metrics despite RIHLA_METRICS_LISTEN"
[[ $(status_of "http://127.0.0.1:$metrics_port/healthz") == 404 ]] || die "the metrics listener serves more than /metrics"

# --- 1. metric names ---
curl -fsS "http://127.0.0.1:$metrics_port/metrics" >"$work/metrics.txt"
awk '$1 == "#" && $2 == "TYPE" {
       print $3
       if ($4 == "histogram") { print $3 "_bucket"; print $3 "_sum"; print $3 "_count" }
     }' "$work/metrics.txt" | sort -u >"$work/exported.txt"
# (comments of rules.yml left out: they may name metrics to come)
{ grep -v '^ *#' deploy/prometheus/rules.yml; cat deploy/grafana/*.json; } |
  grep -Eo '\b(http|rihla)_[a-z0-9_]+' | sort -u >"$work/named.txt"
[[ -s $work/named.txt ]] || die "no metric names found in the rules and dashboards"
missing=$(comm -23 "$work/named.txt" "$work/exported.txt")
[[ -z $missing ]] || die "named in deploy/ but not exported by /metrics: $(echo "$missing" | tr '\n' ' ')"
log "$(wc -l <"$work/named.txt") metric names in deploy/ are all exported by /metrics"

# --- 2. a real Prometheus scrapes rihla ---
prom_port=$(pick_port "$dead_redis $port $metrics_port")
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["$RIHLA_ROOT/deploy/prometheus/rules.yml"]
scrape_configs:
  - job_name: rihla
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
YAML
setsid prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
prom_pid=$!
api="http://127.0.0.1:$prom_port/api/v1"

# query EXPR: prints the result vector of an instant query as JSON.
query() { curl -fsS --data-urlencode "query=$1" "$api/query" | jq -c '.data.result'; }
# value EXPR: prints the first sample's value of EXPR, or nothing.
value() { query "$1" | jq -r '.[0].value[1] // empty'; }
target_up() { [[ $(value 'up{job="rihla"}') == 1 ]]; }
wait_for 60 "prometheus scraping rihla" "$prom_pid" target_up || {
  show_log "$work/prometheus.log"
  die "prometheus never saw rihla up"
}

# Key series and their labels.
series=$(query 'http_requests_total{job="rihla",method="GET",route="/v1/airports",status="200"}')
[[ $(jq length <<<"$series") == 1 ]] || die "no http_requests_total series for GET /v1/airports 200: $series"
jq -e '.[0].metric | has("instance") and .job == "rihla"' <<<"$series" >/dev/null || die "labels: $series"
for expr in 'rihla_db_pool_size{job="rihla"}' 'rihla_workers_busy{job="rihla"}' \
  'rihla_cache_requests_total{job="rihla",result="miss"}' 'rihla_load_shed_total{job="rihla"}' \
  'http_request_duration_seconds_bucket{job="rihla",route="/v1/airports",le="+Inf"}'; do
  [[ -n $(value "$expr") ]] || die "prometheus has no series $expr"
done
degraded_now() { [[ $(value 'rihla_cache_degraded{job="rihla"}') == 1 ]]; }
wait_for 30 "rihla_cache_degraded to be 1 (Redis is unreachable)" "" degraded_now ||
  die "rihla_cache_degraded is $(value 'rihla_cache_degraded{job="rihla"}'), expected 1"

# A request moves its counter.
expr='http_requests_total{job="rihla",method="GET",route="/healthz",status="200"}'
before=$(value "$expr")
before=${before:-0}
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null
moved() { [[ $(value "$expr") -gt $before ]]; }
wait_for 30 "GET /healthz to show up in prometheus" "" moved || die "$expr stayed at $before"

# The rules load in a real Prometheus too.
rules=$(curl -fsS "$api/rules" | jq '[.data.groups[].rules[] | select(.type == "alerting")] | length')
((rules >= 8)) || die "prometheus loaded $rules alerting rules, expected at least 8"
log "prometheus scraped rihla: series, labels, a moving counter and $rules alert rules checked"
