# shellcheck shell=bash
# Redis for scripts/services.sh (sourced): STATE_DIR/redis/{redis.conf,redis.pid,redis.log,port}.
# Runs without persistence, so a restarted Redis comes back empty.
# The functions are those every service file defines (see postgres.sh).

redis_installed() { command -v redis-server redis-cli >/dev/null; }

redis_pid() {
  local pid
  pid=$(read_pidfile "$STATE/redis/redis.pid")
  if [[ -n $pid && -f $STATE/redis/port ]] && pid_is "$pid" "127.0.0.1:$(<"$STATE/redis/port")"; then
    echo "$pid"
  fi
}

redis_log() { echo "$STATE/redis/redis.log"; }

redis_prepare() {
  local dir=$STATE/redis port=$1
  mkdir -p "$dir"
  cat >"$dir/redis.conf" <<CONF
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
CONF
}

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
  stop_pid redis "$pid" TERM "$STOP_TIMEOUT"
}

redis_cleanup() { :; }

redis_env_prefix() { echo REDIS; }
redis_url() { echo "redis://127.0.0.1:$1"; }

# Shared with redis-cluster.sh and redis-sentinel.sh.
# redis_stop_one WHAT PID: SIGTERM, then SIGKILL after STOP_TIMEOUT; nothing when PID is empty.
redis_stop_one() {
  [[ -n $2 ]] || return 0
  log "$1: stopping (pid $2)"
  stop_pid "$1" "$2" TERM "$STOP_TIMEOUT"
}

# redis_loopback_list PORT...: 127.0.0.1:PORT,127.0.0.1:PORT...
redis_loopback_list() {
  local port list=""
  for port in "$@"; do list+="${list:+,}127.0.0.1:$port"; done
  echo "$list"
}
