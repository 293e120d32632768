#!/usr/bin/env bash
# Starts throw-away PostgreSQL / MariaDB / Redis servers for the rihla test suites.
#
# Usage:
#   scripts/services.sh start     STATE_DIR [postgres] [mariadb] [redis] [nginx]
#   scripts/services.sh stop      STATE_DIR
#   scripts/services.sh stop-one  STATE_DIR NAME
#   scripts/services.sh start-one STATE_DIR NAME
#   scripts/services.sh status    STATE_DIR
#
# start (no names = postgres mariadb redis) installs missing Debian packages, then starts
# each server on 127.0.0.1 on a free port, with all data, sockets, pid files and logs under
# STATE_DIR/<name>/, waits until it accepts connections, writes STATE_DIR/env.sh and prints
# its path on stdout (progress and errors go to stderr), e.g. `. "$(services.sh start DIR)"`:
#
#   RIHLA_TEST_POSTGRES_URL  postgresql://rihla:rihla@127.0.0.1:PORT/rihla  (role has CREATEDB)
#   RIHLA_TEST_MYSQL_URL     mysql://rihla:rihla@127.0.0.1:PORT/rihla       (ALL on *.*)
#   RIHLA_TEST_REDIS_URL     redis://127.0.0.1:PORT
#   RIHLA_TEST_<X>_HOST, _PORT, _PID          for X in POSTGRES MYSQL REDIS
#   RIHLA_TEST_<X>_STOP_CMD, _START_CMD       shell commands running stop-one / start-one
#   RIHLA_TEST_SERVICES_SCRIPT, RIHLA_TEST_SERVICES_STATE_DIR
#   RIHLA_TEST_NGINX_BIN                      only when nginx was requested
#
# NAME for stop-one/start-one is postgres, mariadb (alias mysql) or redis. start-one
# restarts on the same port with the same data and waits until it accepts connections
# (Redis runs without persistence, so it comes back empty). The _PID values in env.sh are
# rewritten by start-one; a copy sourced earlier keeps the old pid.
#
# stop shuts everything down cleanly (kill after a timeout), never fails, and keeps the
# data; the caller removes STATE_DIR. Server stdio goes to log files, never to the caller.
#
# Environment: RIHLA_SERVICES_TIMEOUT (default 120) = seconds to wait for a server.
set -euo pipefail

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
READY_TIMEOUT=${RIHLA_SERVICES_TIMEOUT:-120}
STOP_TIMEOUT=60
PORT_MIN=20000   # below the Linux ephemeral range (32768-60999),
PORT_SPAN=12000  # so outgoing connections do not grab our ports later
STATE=""
STARTED_NOW=()   # services launched by this invocation (stopped again if `start` fails)

log() { printf 'services.sh: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
is_root() { [[ $EUID -eq 0 ]]; }

# ---------------------------------------------------------------------------------------
# Generic helpers

# Runs a command as the postgres OS user (PostgreSQL refuses to run as root).
as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# True if PID is a live (non-zombie) process.
pid_alive() {
  local pid=$1 stat
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# True if PID is alive and its command line contains MARKER (guards against reused pids).
pid_is() {
  local pid=$1 marker=$2
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"
}

# Prints the first line of a pid file, or nothing.
read_pidfile() {
  if [[ -r $1 ]]; then head -n1 "$1" 2>/dev/null | tr -dc '0-9'; fi
}

port_in_use() {
  local port=$1
  if command -v ss >/dev/null && [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]; then
    return 0
  fi
  timeout 2 bash -c ": <>/dev/tcp/127.0.0.1/$port" 2>/dev/null
}

# Picks a free port that no service in STATE_DIR has claimed yet.
pick_port() {
  local claimed port i
  claimed=" $(cat "$STATE"/*/port 2>/dev/null | tr '\n' ' ') "
  for ((i = 0; i < 500; i++)); do
    port=$((PORT_MIN + (RANDOM * 32768 + RANDOM) % PORT_SPAN))
    [[ $claimed == *" $port "* ]] && continue
    port_in_use "$port" && continue
    echo "$port"
    return 0
  done
  die "could not find a free port in $PORT_MIN-$((PORT_MIN + PORT_SPAN - 1))"
}

# wait_for SECONDS WHAT PID CMD...: polls CMD until it succeeds; fails early if PID dies.
wait_for() {
  local timeout=$1 what=$2 pid=$3
  shift 3
  local deadline=$((SECONDS + timeout))
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    if [[ -n $pid ]] && ! pid_alive "$pid"; then
      log "$what exited during startup"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.1
  done
}

# wait_gone PID SECONDS: polls until PID has exited.
wait_gone() {
  local pid=$1 deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# stop_pid WHAT PID SIGNAL: sends SIGNAL, waits, then SIGKILLs the process (group).
stop_pid() {
  local what=$1 pid=$2 sig=$3
  pid_alive "$pid" || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  wait_gone "$pid" "$STOP_TIMEOUT" && return 0
  log "$what (pid $pid) did not stop within ${STOP_TIMEOUT}s; killing it"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 || log "$what (pid $pid) survived SIGKILL"
}

show_log() {
  local file=$1
  if [[ -s $file ]]; then
    log "last lines of $file:"
    tail -n 40 "$file" | sed 's/^/    /' >&2
  else
    log "(no log output in $file)"
  fi
}

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

# ---------------------------------------------------------------------------------------
# Packages

packages_for() {
  case $1 in
    postgres) echo postgresql ;;   # pulls in postgresql-NN and its client
    mariadb) echo mariadb-server ;; # pulls in mariadb-client
    redis) echo redis-server ;;     # pulls in redis-tools (redis-cli)
    nginx) command -v nginx >/dev/null || echo nginx-light ;;
  esac
}

ensure_packages() {
  local missing=() pkg svc
  for svc in "$@"; do
    for pkg in $(packages_for "$svc"); do
      dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
    done
  done
  ((${#missing[@]})) || return 0
  is_root || die "missing packages (${missing[*]}) and not root: install them with apt-get"
  log "installing ${missing[*]}"
  # Keep the packages' maintainer scripts from starting system-wide servers.
  local policy=/usr/sbin/policy-rc.d added_policy=""
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    added_policy=1
  fi
  local rc=0
  {
    apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  } </dev/null >&2 || rc=$?
  [[ -n $added_policy ]] && rm -f "$policy"
  ((rc == 0)) || die "apt-get failed to install ${missing[*]}"
}

# ---------------------------------------------------------------------------------------
# PostgreSQL: STATE_DIR/postgres/{data,sock,port,postgres.log}
# The server runs as the postgres OS user, which must be able to reach STATE_DIR/postgres.
# If it cannot (e.g. STATE_DIR is under /root), STATE_DIR/postgres becomes a symlink to a
# /tmp/rihla-pg.* dir, which `stop` deletes.

pg_bin() {
  local dir
  dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n1)
  [[ -x $dir/pg_ctl ]] || die "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin"
  echo "$dir"
}

pg_dir() { readlink -f "$STATE/postgres"; }

pg_superuser() { if is_root; then echo postgres; else id -un; fi; }

pg_pid() {
  local dir pid
  dir=$(pg_dir)
  pid=$(read_pidfile "$dir/data/postmaster.pid")
  if [[ -n $pid ]] && pid_is "$pid" "$dir/data"; then echo "$pid"; fi
}

# Makes STATE_DIR/postgres owned by and reachable for the postgres OS user.
pg_make_dir() {
  local dir=$STATE/postgres fallback
  mkdir -p "$dir"
  is_root || return 0
  chown postgres: "$(pg_dir)"
  chmod 700 "$(pg_dir)"
  runuser -u postgres -- test -w "$(pg_dir)/" 2>/dev/null && return 0
  log "note: adding o+x to $STATE so the postgres user can reach its data dir"
  chmod o+x "$STATE"
  runuser -u postgres -- test -w "$dir/" 2>/dev/null && return 0
  fallback=$(mktemp -d /tmp/rihla-pg.XXXXXX)
  log "note: the postgres user cannot reach $STATE (check its parent dirs); using $fallback"
  cp -a "$dir/." "$fallback/"
  rm -rf "$dir"
  ln -s "$fallback" "$dir"
  chown postgres: "$fallback"
}

pg_init() {
  local dir
  [[ -f $STATE/postgres/initialized ]] && return 0
  pg_make_dir
  dir=$(pg_dir)
  log "postgres: initdb in $dir/data"
  rm -rf "$dir/data" # a half-finished earlier attempt
  if ! as_pg "$(pg_bin)/initdb" -D "$dir/data" -U "$(pg_superuser)" --encoding=UTF8 --locale=C \
    --auth-local=peer --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 9>&-; then
    show_log "$dir/initdb.log"
    die "postgres initdb failed"
  fi
  echo "include 'rihla.conf'" >>"$dir/data/postgresql.conf"
  touch "$dir/initialized"
}

pg_write_config() {
  local dir port=$1 sock
  dir=$(pg_dir)
  as_pg mkdir -p "$dir/sock"
  sock=$(socket_dir postgres "$dir/sock" ".s.PGSQL.$port.lock")
  if is_root; then chown postgres: "$sock"; fi
  echo "$sock" >"$dir/socket_dir"
  as_pg tee "$dir/data/rihla.conf" >/dev/null <<EOF
# Written by scripts/services.sh on every start.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
max_connections = 300
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
max_parallel_workers_per_gather = 0
logging_collector = off
EOF
}

pg_prepare() {
  pg_init
  pg_write_config "$1"
}

pg_launch() {
  local dir
  dir=$(pg_dir)
  # pg_ctl -w polls until the server accepts connections (or has died).
  if ! as_pg "$(pg_bin)/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t "$READY_TIMEOUT" -s start \
    </dev/null >>"$dir/pg_ctl.log" 2>&1 9>&-; then
    return 1
  fi
  wait_for "$READY_TIMEOUT" "postgres" "$(pg_pid)" pg_isready -q -h 127.0.0.1 -p "$(<"$dir/port")" -t 2
}

pg_provision() {
  local dir
  dir=$(pg_dir)
  as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$(<"$dir/socket_dir")" -p "$(<"$dir/port")" \
    -U "$(pg_superuser)" -d postgres 9>&- <<'EOF'
SELECT 'CREATE ROLE rihla' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rihla')
\gexec
ALTER ROLE rihla LOGIN CREATEDB PASSWORD 'rihla';
SELECT 'CREATE DATABASE rihla OWNER rihla' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'rihla')
\gexec
EOF
}

pg_stop() {
  local dir pid
  dir=$(pg_dir)
  pid=$(pg_pid)
  [[ -n $pid ]] || return 0
  log "postgres: stopping (pid $pid)"
  as_pg "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w -t "$STOP_TIMEOUT" -s stop \
    </dev/null >>"$dir/pg_ctl.log" 2>&1 9>&- && return 0
  stop_pid postgres "$pid" QUIT # immediate shutdown
}

# ---------------------------------------------------------------------------------------
# MariaDB: STATE_DIR/mariadb/{data,tmp,my.cnf,mariadb.sock,mariadb.pid,mariadb.log,port}

mariadb_pid() {
  local pid
  pid=$(read_pidfile "$STATE/mariadb/mariadb.pid")
  if [[ -n $pid ]] && pid_is "$pid" "$STATE/mariadb/my.cnf"; then echo "$pid"; fi
}

mariadb_socket() { echo "$(<"$STATE/mariadb/socket_dir")/mariadb.sock"; }

mariadb_write_config() {
  local dir=$STATE/mariadb port=$1 sock
  mkdir -p "$dir/data" "$dir/tmp"
  sock=$(socket_dir mariadb "$dir" "mariadb.sock.lock")
  echo "$sock" >"$dir/socket_dir"
  cat >"$dir/my.cnf" <<EOF
# Written by scripts/services.sh on every start.
[mysqld]
$(is_root && echo "user = root")
datadir = $dir/data
tmpdir = $dir/tmp
socket = $sock/mariadb.sock
pid-file = $dir/mariadb.pid
log-error = $dir/mariadb.log
port = $port
bind-address = 127.0.0.1
skip-networking = 0
skip-name-resolve
max_connections = 400
character-set-server = utf8mb4
collation-server = utf8mb4_bin
innodb_buffer_pool_size = 64M
innodb_log_file_size = 48M
innodb_flush_log_at_trx_commit = 2
innodb_doublewrite = 0
innodb_use_native_aio = 0
performance_schema = OFF
EOF
}

mariadb_init() {
  local dir=$STATE/mariadb
  [[ -f $dir/initialized ]] && return 0
  rm -rf "$dir/data" # a half-finished earlier attempt
  mkdir -p "$dir/data"
  log "mariadb: mariadb-install-db in $dir/data"
  local user_opt=()
  is_root && user_opt=(--user=root)
  if ! mariadb-install-db --defaults-file="$dir/my.cnf" --datadir="$dir/data" "${user_opt[@]}" \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
    </dev/null >"$dir/install-db.log" 2>&1 9>&-; then
    show_log "$dir/install-db.log"
    die "mariadb-install-db failed"
  fi
  touch "$dir/initialized"
}

mariadb_prepare() {
  mariadb_write_config "$1"
  mariadb_init
}

mariadb_launch() {
  local dir=$STATE/mariadb pid
  rm -f "$dir/mariadb.pid"
  setsid mariadbd --defaults-file="$dir/my.cnf" </dev/null >>"$dir/mariadb.log" 2>&1 9>&- &
  pid=$!
  # mariadb-admin ping succeeds once the server answers on TCP (even without credentials).
  wait_for "$READY_TIMEOUT" "mariadb" "$pid" \
    mariadb-admin --no-defaults --protocol=tcp -h 127.0.0.1 -P "$(<"$dir/port")" \
    --connect-timeout=2 -u root ping
}

mariadb_provision() {
  mariadb --no-defaults -u root --socket="$(mariadb_socket)" 9>&- <<'EOF'
CREATE DATABASE IF NOT EXISTS rihla CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'rihla'@'127.0.0.1' IDENTIFIED BY 'rihla';
CREATE USER IF NOT EXISTS 'rihla'@'localhost' IDENTIFIED BY 'rihla';
GRANT ALL PRIVILEGES ON *.* TO 'rihla'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'rihla'@'localhost';
DROP USER IF EXISTS ''@'localhost';
EOF
}

mariadb_stop() {
  local pid
  pid=$(mariadb_pid)
  [[ -n $pid ]] || return 0
  log "mariadb: stopping (pid $pid)"
  stop_pid mariadb "$pid" TERM # SIGTERM = clean shutdown
}

# ---------------------------------------------------------------------------------------
# Redis: STATE_DIR/redis/{redis.conf,redis.pid,redis.log,port}

redis_pid() {
  local pid
  pid=$(read_pidfile "$STATE/redis/redis.pid")
  if [[ -n $pid && -f $STATE/redis/port ]] && pid_is "$pid" "127.0.0.1:$(<"$STATE/redis/port")"; then
    echo "$pid"
  fi
}

redis_write_config() {
  local dir=$STATE/redis port=$1
  mkdir -p "$dir"
  cat >"$dir/redis.conf" <<EOF
# Written by scripts/services.sh on every start.
bind 127.0.0.1
port $port
protected-mode yes
daemonize no
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
save ""
appendonly no
EOF
}

redis_prepare() { redis_write_config "$1"; }

redis_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }

redis_launch() {
  local dir=$STATE/redis pid
  rm -f "$dir/redis.pid"
  setsid redis-server "$dir/redis.conf" </dev/null >>"$dir/redis.log" 2>&1 9>&- &
  pid=$!
  wait_for "$READY_TIMEOUT" "redis" "$pid" redis_ping "$(<"$dir/port")"
}

redis_provision() { :; }

redis_stop() {
  local pid
  pid=$(redis_pid)
  [[ -n $pid ]] || return 0
  log "redis: stopping (pid $pid)"
  stop_pid redis "$pid" TERM
}

# ---------------------------------------------------------------------------------------
# Service dispatch

canonical() {
  case $1 in
    postgres | postgresql | pg) echo postgres ;;
    mariadb | mysql) echo mariadb ;;
    redis) echo redis ;;
    nginx) echo nginx ;;
    *) die "unknown service '$1' (expected postgres, mariadb, redis or nginx)" ;;
  esac
}

svc_pid() {
  case $1 in
    postgres) pg_pid ;;
    mariadb) mariadb_pid ;;
    redis) redis_pid ;;
  esac
}

svc_log() {
  case $1 in
    postgres) echo "$(pg_dir)/postgres.log" ;;
    mariadb) echo "$STATE/mariadb/mariadb.log" ;;
    redis) echo "$STATE/redis/redis.log" ;;
  esac
}

svc_fn() { # svc_fn SERVICE ACTION -> function name
  case $1 in
    postgres) echo "pg_$2" ;;
    *) echo "$1_$2" ;;
  esac
}

# Starts a configured-or-new service. NEW_PORT_OK=1 lets it move to another port if its
# recorded port is taken (used by `start`; start-one insists on the same port).
start_service() {
  local svc=$1 new_port_ok=$2 dir=$STATE/$1 port attempt
  if [[ -n $(svc_pid "$svc") ]]; then
    log "$svc: already running (pid $(svc_pid "$svc"), port $(<"$dir/port"))"
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
      port=$(pick_port)
    fi
    echo "$port" >"$dir/port"
    "$(svc_fn "$svc" prepare)" "$port"
    log "$svc: starting on 127.0.0.1:$port"
    STARTED_NOW+=("$svc")
    if "$(svc_fn "$svc" launch)"; then
      log "$svc: ready (pid $(svc_pid "$svc"))"
      return 0
    fi
    "$(svc_fn "$svc" stop)" || true
    # Lost a race for the port against another process: try a different one.
    if [[ $new_port_ok == 1 && $attempt -lt 3 ]] && port_in_use "$port"; then
      log "$svc: port $port was grabbed by another process, retrying"
      rm -f "$dir/port"
      continue
    fi
    show_log "$(svc_log "$svc")"
    die "$svc failed to start on port $port"
  done
}

write_env() {
  local tmp=$STATE/env.sh.tmp svc port prefix url
  {
    echo "# Generated by scripts/services.sh; source this file."
    emit RIHLA_TEST_SERVICES_SCRIPT "$SCRIPT"
    emit RIHLA_TEST_SERVICES_STATE_DIR "$STATE"
    for svc in postgres mariadb redis; do
      [[ -f $STATE/$svc/port ]] || continue
      port=$(<"$STATE/$svc/port")
      case $svc in
        postgres) prefix=POSTGRES url=postgresql://rihla:rihla@127.0.0.1:$port/rihla ;;
        mariadb) prefix=MYSQL url=mysql://rihla:rihla@127.0.0.1:$port/rihla ;;
        redis) prefix=REDIS url=redis://127.0.0.1:$port ;;
      esac
      emit "RIHLA_TEST_${prefix}_URL" "$url"
      emit "RIHLA_TEST_${prefix}_HOST" 127.0.0.1
      emit "RIHLA_TEST_${prefix}_PORT" "$port"
      emit "RIHLA_TEST_${prefix}_PID" "$(svc_pid "$svc")"
      emit "RIHLA_TEST_${prefix}_STOP_CMD" "$(printf '%q %q %q %q' "$SCRIPT" stop-one "$STATE" "$svc")"
      emit "RIHLA_TEST_${prefix}_START_CMD" "$(printf '%q %q %q %q' "$SCRIPT" start-one "$STATE" "$svc")"
    done
    if [[ -f $STATE/nginx.requested ]] && command -v nginx >/dev/null; then
      emit RIHLA_TEST_NGINX_BIN "$(command -v nginx)"
    fi
  } >"$tmp"
  mv -f "$tmp" "$STATE/env.sh"
}

emit() { printf 'export %s=%q\n' "$1" "$2"; }

configured_services() {
  local svc
  for svc in postgres mariadb redis; do
    [[ -f $STATE/$svc/port ]] && echo "$svc"
  done
  return 0
}

# On a failed `start`, stop what this invocation launched so nothing is left running.
cleanup_on_failure() {
  local rc=$? svc
  ((rc != 0)) || return 0
  for svc in "${STARTED_NOW[@]}"; do
    "$(svc_fn "$svc" stop)" 2>/dev/null || true
  done
  exit "$rc"
}

# ---------------------------------------------------------------------------------------
# Commands

cmd_start() {
  local requested=() svc
  for svc in "$@"; do requested+=("$(canonical "$svc")"); done
  ((${#requested[@]})) || requested=(postgres mariadb redis)
  ensure_packages "${requested[@]}"
  trap cleanup_on_failure EXIT
  for svc in "${requested[@]}"; do
    case $svc in
      nginx) touch "$STATE/nginx.requested" ;; # bench scripts configure nginx themselves
      *)
        start_service "$svc" 1
        "$(svc_fn "$svc" provision)" || {
          show_log "$(svc_log "$svc")"
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
  "$(svc_fn "$svc" stop)" || true
  write_env || true
}

cmd_stop() {
  local svc dir
  for svc in redis mariadb postgres; do
    "$(svc_fn "$svc" stop)" || log "$svc: stop reported an error (ignored)"
  done
  # Remove the /tmp fallbacks for too-long socket paths and an unreachable STATE_DIR.
  for svc in postgres mariadb; do
    dir=$(cat "$STATE/$svc/socket_fallback" 2>/dev/null || true)
    if [[ $dir == /tmp/rihla-sock.* ]]; then rm -rf "$dir" "$STATE/$svc/socket_fallback"; fi
  done
  if [[ -L $STATE/postgres && $(pg_dir) == /tmp/rihla-pg.* && -z $(pg_pid) ]]; then
    rm -rf "$(pg_dir)" "$STATE/postgres"
  fi
  [[ -f $STATE/env.sh ]] && { write_env || true; }
  return 0
}

cmd_status() {
  local svc pid state
  for svc in $(configured_services); do
    pid=$(svc_pid "$svc")
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
