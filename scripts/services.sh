#!/usr/bin/env bash
# Starts throw-away PostgreSQL / MariaDB / Redis servers for the rihla test suites.
#
# Usage:
#   scripts/services.sh start     STATE_DIR [postgres] [pgbouncer] [mariadb] [redis] [redis-cluster] [redis-sentinel] [nginx]
#   scripts/services.sh stop      STATE_DIR
#   scripts/services.sh stop-one  STATE_DIR NAME
#   scripts/services.sh start-one STATE_DIR NAME
#   scripts/services.sh status    STATE_DIR
#
# start (no names = postgres mariadb redis) runs scripts/setup.sh --test if a server is not
# installed, then starts each server on 127.0.0.1 on a free port, with all data, sockets, pid
# files and logs under STATE_DIR/<name>/, waits until it accepts connections, writes
# STATE_DIR/env.sh and prints its path on stdout (progress and errors go to stderr), e.g.
# `. "$(services.sh start DIR)"`:
#
#   RIHLA_TEST_POSTGRES_URL  postgresql://rihla:rihla@127.0.0.1:PORT/rihla  (role has CREATEDB)
#   RIHLA_TEST_MYSQL_URL     mysql://rihla:rihla@127.0.0.1:PORT/rihla       (ALL on *.*)
#   RIHLA_TEST_REDIS_URL     redis://127.0.0.1:PORT
#   RIHLA_TEST_PGBOUNCER_URL postgresql://rihla:rihla@127.0.0.1:PORT/rihla  (PgBouncer, transaction
#                            pooling, in front of that PostgreSQL; any database name; after postgres)
#   RIHLA_TEST_REDIS_CLUSTER_URL   redis-cluster://127.0.0.1:P1,...  (3 primaries, no replicas;
#                                  + _PORTS, _PIDS of the nodes)
#   RIHLA_TEST_REDIS_SENTINEL_URL  redis-sentinel://127.0.0.1:S1,.../rihla (1 primary, 1 replica,
#                                  3 sentinels; + _PRIMARY_PORT/_PID, _REPLICA_PORT/_PID, _PORTS)
#   RIHLA_TEST_<X>_HOST, _PORT, _PID          for X in POSTGRES PGBOUNCER MYSQL REDIS
#   RIHLA_TEST_<X>_STOP_CMD, _START_CMD       shell commands running stop-one / start-one
#   RIHLA_TEST_SERVICES_SCRIPT, RIHLA_TEST_SERVICES_STATE_DIR
#   RIHLA_TEST_NGINX_BIN                      only when nginx was requested
#
# NAME for stop-one/start-one is postgres, pgbouncer, mariadb (alias mysql), redis, redis-cluster or
# redis-sentinel (the last two come back as a new, empty setup). start-one
# restarts on the same port with the same data and waits until it accepts connections
# (Redis runs without persistence, so it comes back empty). The _PID values in env.sh are
# rewritten by start-one; a copy sourced earlier keeps the old pid.
#
# stop shuts everything down cleanly (kill after a timeout), never fails, and keeps the
# data; the caller removes STATE_DIR. Server stdio goes to log files, never to the caller.
#
# Environment: RIHLA_SERVICES_TIMEOUT (default 120) = seconds to wait for a server.
#
# This file is the command line; each service is one file in scripts/services/ (postgres.sh,
# pgbouncer.sh, mariadb.sh, redis.sh, redis-cluster.sh, redis-sentinel.sh, nginx.sh; the functions each defines are listed in postgres.sh), and
# the helpers shared with bench/ (ERR trap, log/die, ports, polling) are scripts/lib/common.sh.

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
SERVICES_DIR=$(dirname "$SCRIPT")/services
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$SCRIPT")/lib/common.sh"
# shellcheck source=scripts/services/postgres.sh
source "$SERVICES_DIR/postgres.sh"
# shellcheck source=scripts/services/pgbouncer.sh
source "$SERVICES_DIR/pgbouncer.sh"
# shellcheck source=scripts/services/mariadb.sh
source "$SERVICES_DIR/mariadb.sh"
# shellcheck source=scripts/services/redis.sh
source "$SERVICES_DIR/redis.sh"
# shellcheck source=scripts/services/redis-cluster.sh
source "$SERVICES_DIR/redis-cluster.sh"
# shellcheck source=scripts/services/redis-sentinel.sh
source "$SERVICES_DIR/redis-sentinel.sh"
# shellcheck source=scripts/services/nginx.sh
source "$SERVICES_DIR/nginx.sh"

READY_TIMEOUT=${RIHLA_SERVICES_TIMEOUT:-120}
STOP_TIMEOUT=60
SERVERS=(postgres pgbouncer mariadb redis redis_cluster redis_sentinel) # the services this script runs, in env.sh order
DEFAULT_SERVERS=(postgres mariadb redis)                                  # `start` without names
STATE=""
STARTED_NOW=() # services launched by this invocation (stopped again if `start` fails)

# ---------------------------------------------------------------------------------------
# Helpers for the service files

# Unix socket paths are limited to 107 bytes; use a short /tmp dir when STATE_DIR is deep.
# Prints the directory to use for a socket named NAME (at most 20 chars) of service SVC.
socket_dir() {
  local svc=$1 wanted=$2 name=$3 fallback
  if ((${#wanted} + 1 + ${#name} <= 100)); then
    echo "$wanted"
    return
  fi
  fallback=$(cat "$STATE/$svc/socket_fallback" 2>/dev/null || true)
  if [[ -z $fallback || ! -d $fallback ]]; then
    fallback=$(mktemp -d /tmp/rihla-sock.XXXXXX)
    echo "$fallback" >"$STATE/$svc/socket_fallback"
  fi
  echo "$fallback"
}

# remove_socket_fallback SVC: deletes the /tmp dir socket_dir made for SVC, if any.
remove_socket_fallback() {
  local dir
  dir=$(cat "$STATE/$1/socket_fallback" 2>/dev/null || true)
  if [[ $dir == /tmp/rihla-sock.* ]]; then rm -rf "$dir" "$STATE/$1/socket_fallback"; fi
}

emit() { printf 'export %s=%q\n' "$1" "$2"; }

# ---------------------------------------------------------------------------------------
# Service dispatch

canonical() {
  case $1 in
    postgres | postgresql | pg) echo postgres ;;
    pgbouncer) echo pgbouncer ;;
    mariadb | mysql) echo mariadb ;;
    redis) echo redis ;;
    redis-cluster | redis_cluster) echo redis_cluster ;;
    redis-sentinel | redis_sentinel) echo redis_sentinel ;;
    nginx) echo nginx ;;
    *) die "unknown service '$1' (expected postgres, pgbouncer, mariadb, redis, redis-cluster, redis-sentinel or nginx)" ;;
  esac
}

# Only scripts/setup.sh installs packages: run it when a requested service is missing.
ensure_installed() {
  local svc missing=()
  for svc in "$@"; do "${svc}_installed" || missing+=("$svc"); done
  ((${#missing[@]})) || return 0
  log "${missing[*]} not installed: running scripts/setup.sh --test"
  "$RIHLA_ROOT/scripts/setup.sh" --test </dev/null >&2
  for svc in "${missing[@]}"; do "${svc}_installed" || die "$svc is still not installed after setup.sh"; done
}

claimed_ports() { { cat "$STATE"/*/port 2>/dev/null || true; } | tr '\n' ' '; }

# Starts a configured-or-new service. NEW_PORT_OK=1 lets it move to another port if its
# recorded port is taken (used by `start`; start-one insists on the same port).
start_service() {
  local svc=$1 new_port_ok=$2 dir=$STATE/$1 port attempt
  if [[ -n $("${svc}_pid") ]]; then
    log "$svc: already running (pid $("${svc}_pid"), port $(<"$dir/port"))"
    return 0
  fi
  [[ -f $dir/port ]] || [[ $new_port_ok == 1 ]] || die "$svc was never started in $STATE"
  mkdir -p "$dir"
  for attempt in 1 2 3; do
    port=$(cat "$dir/port" 2>/dev/null || true)
    if [[ -z $port ]] || port_in_use "$port"; then
      [[ -z $port || $new_port_ok == 1 ]] || die "$svc: port $port is already in use by another process"
      [[ -n $port ]] && log "$svc: port $port is taken, picking another"
      rm -f "$dir/port"
      port=$(pick_port "$(claimed_ports)")
    fi
    echo "$port" >"$dir/port"
    "${svc}_prepare" "$port"
    log "$svc: starting on 127.0.0.1:$port"
    STARTED_NOW+=("$svc")
    if "${svc}_launch"; then
      log "$svc: ready (pid $("${svc}_pid"))"
      return 0
    fi
    "${svc}_stop" || true
    # Lost a race for the port against another process: try a different one.
    if [[ $new_port_ok == 1 && $attempt -lt 3 ]] && port_in_use "$port"; then
      log "$svc: port $port was grabbed by another process, retrying"
      rm -f "$dir/port"
      continue
    fi
    show_log "$("${svc}_log")"
    die "$svc failed to start on port $port"
  done
}

write_env() {
  local tmp=$STATE/env.sh.tmp svc port prefix
  {
    echo "# Generated by scripts/services.sh; source this file."
    emit RIHLA_TEST_SERVICES_SCRIPT "$SCRIPT"
    emit RIHLA_TEST_SERVICES_STATE_DIR "$STATE"
    for svc in "${SERVERS[@]}"; do
      [[ -f $STATE/$svc/port ]] || continue
      port=$(<"$STATE/$svc/port")
      prefix=$("${svc}_env_prefix")
      emit "RIHLA_TEST_${prefix}_URL" "$("${svc}_url" "$port")"
      emit "RIHLA_TEST_${prefix}_HOST" 127.0.0.1
      emit "RIHLA_TEST_${prefix}_PORT" "$port"
      emit "RIHLA_TEST_${prefix}_PID" "$("${svc}_pid")"
      emit "RIHLA_TEST_${prefix}_STOP_CMD" "$(printf '%q %q %q %q' "$SCRIPT" stop-one "$STATE" "$svc")"
      emit "RIHLA_TEST_${prefix}_START_CMD" "$(printf '%q %q %q %q' "$SCRIPT" start-one "$STATE" "$svc")"
      if declare -F "${svc}_env_extra" >/dev/null; then "${svc}_env_extra"; fi
    done
    nginx_env
  } >"$tmp"
  mv -f "$tmp" "$STATE/env.sh"
}

configured_services() {
  local svc
  for svc in "${SERVERS[@]}"; do
    [[ -f $STATE/$svc/port ]] && echo "$svc"
  done
  return 0
}

# On a failed `start`, stop what this invocation launched so nothing is left running.
cleanup_on_failure() {
  local rc=$? svc
  ((rc != 0)) || return 0
  for svc in "${STARTED_NOW[@]}"; do
    "${svc}_stop" 2>/dev/null || true
  done
  exit "$rc"
}

# ---------------------------------------------------------------------------------------
# Commands

cmd_start() {
  local requested=() svc
  for svc in "$@"; do requested+=("$(canonical "$svc")"); done
  ((${#requested[@]})) || requested=("${DEFAULT_SERVERS[@]}")
  ensure_installed "${requested[@]}"
  trap cleanup_on_failure EXIT
  for svc in "${requested[@]}"; do
    case $svc in
      nginx) nginx_request ;;
      *)
        start_service "$svc" 1
        "${svc}_provision" || {
          show_log "$("${svc}_log")"
          die "$svc: creating the rihla user/database failed"
        }
        ;;
    esac
  done
  write_env
  trap - EXIT
  log "wrote $STATE/env.sh"
  echo "$STATE/env.sh"
}

cmd_start_one() {
  local svc
  svc=$(canonical "$1")
  [[ $svc != nginx ]] || die "start-one does not manage nginx"
  start_service "$svc" 0
  write_env
}

cmd_stop_one() {
  local svc
  svc=$(canonical "$1")
  [[ $svc != nginx ]] || die "stop-one does not manage nginx"
  "${svc}_stop" || true
  write_env || true
}

cmd_stop() {
  local svc
  for svc in redis_sentinel redis_cluster redis mariadb pgbouncer postgres; do
    "${svc}_stop" || log "$svc: stop reported an error (ignored)"
  done
  for svc in "${SERVERS[@]}"; do "${svc}_cleanup" || true; done
  if [[ -f $STATE/env.sh ]]; then write_env || true; fi
  return 0
}

cmd_status() {
  local svc pid state
  for svc in $(configured_services); do
    pid=$("${svc}_pid")
    state=stopped
    [[ -n $pid ]] && state="running (pid $pid)"
    printf '%-9s port %-6s %s\n' "$svc" "$(<"$STATE/$svc/port")" "$state"
  done
}

usage() {
  sed -n '2,9p' "$SCRIPT" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  (($# >= 2)) || usage
  local cmd=$1 state=$2
  shift 2
  if [[ $cmd == stop || $cmd == status ]] && [[ ! -d $state ]]; then
    return 0 # nothing was ever started there
  fi
  mkdir -p "$state"
  STATE=$(cd "$state" && pwd -P)
  # Serialize invocations on one STATE_DIR. Servers are launched with fd 9 closed.
  exec 9>"$STATE/.services.lock"
  flock -w 600 9 || die "timed out waiting for another services.sh on $STATE"
  case $cmd in
    start) cmd_start "$@" ;;
    stop) cmd_stop || true ;;
    start-one)
      (($# == 1)) || usage
      cmd_start_one "$1"
      ;;
    stop-one)
      (($# == 1)) || usage
      cmd_stop_one "$1"
      ;;
    status) cmd_status ;;
    *) usage ;;
  esac
}

main "$@"
