# shellcheck shell=bash
# Redis under Sentinel for scripts/services.sh (sourced), as the service redis-sentinel: one
# primary, one replica and three sentinels on 127.0.0.1, without persistence, in
# STATE_DIR/redis_sentinel/{port,ports,primary,replica,sentinel0..2}/. The sentinels monitor the
# primary as "rihla" with quorum 2, down-after-milliseconds 1000 and failover-timeout 5000, so a
# dead primary is replaced within a few seconds. launch waits until the replica is in sync and
# every sentinel knows the replica and the two other sentinels. A restart makes a new setup.
# The functions are those every service file defines (see postgres.sh), plus
# redis_sentinel_env_extra: RIHLA_TEST_REDIS_SENTINEL_{PRIMARY,REPLICA}_{PORT,PID},
# RIHLA_TEST_REDIS_SENTINEL_PORTS (the sentinels) and RIHLA_TEST_REDIS_SENTINEL_MASTER.
#
# The service's port (STATE_DIR/redis_sentinel/port) is the first sentinel's.

REDIS_SENTINEL_MASTER=rihla
REDIS_SENTINEL_NODES=(primary replica sentinel0 sentinel1 sentinel2)

redis_sentinel_installed() { command -v redis-server redis-cli redis-sentinel >/dev/null; }

redis_sentinel_dir() { echo "$STATE/redis_sentinel"; }

# node_port NAME / node_pid NAME: of one of REDIS_SENTINEL_NODES.
redis_sentinel_node_port() { cat "$(redis_sentinel_dir)/$1/port" 2>/dev/null || true; }

redis_sentinel_node_pid() {
  local dir pid port
  dir=$(redis_sentinel_dir)/$1
  pid=$(read_pidfile "$dir/redis.pid")
  port=$(redis_sentinel_node_port "$1")
  if [[ -n $pid && -n $port ]] && pid_is "$pid" ":$port"; then echo "$pid"; fi
}

# The first sentinel's pid when every process runs.
redis_sentinel_pid() {
  local node
  [[ -f $(redis_sentinel_dir)/ports ]] || return 0
  for node in "${REDIS_SENTINEL_NODES[@]}"; do
    [[ -n $(redis_sentinel_node_pid "$node") ]] || return 0
  done
  redis_sentinel_node_pid sentinel0
}

redis_sentinel_log() { echo "$(redis_sentinel_dir)/sentinel0/redis.log"; }

# conf_common NAME PORT: the lines every process's configuration starts with.
redis_sentinel_conf_common() {
  local dir
  dir=$(redis_sentinel_dir)/$1
  cat <<CONF
# Written by scripts/services.sh on every start.
bind 127.0.0.1
port $2
protected-mode yes
daemonize no
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
CONF
}

redis_sentinel_prepare() {
  local first=$1 dir node port claimed primary_port sentinel_ports=()
  dir=$(redis_sentinel_dir)
  claimed="$(claimed_ports) $first"
  for node in "${REDIS_SENTINEL_NODES[@]}"; do
    if [[ $node == sentinel0 ]]; then port=$first; else port=$(pick_port "$claimed"); fi
    claimed+=" $port"
    mkdir -p "$dir/$node"
    rm -f "$dir/$node/redis.pid"
    echo "$port" >"$dir/$node/port"
  done
  primary_port=$(redis_sentinel_node_port primary)
  {
    redis_sentinel_conf_common primary "$primary_port"
    printf 'save ""\nappendonly no\nrepl-diskless-sync-delay 0\n'
  } >"$dir/primary/redis.conf"
  {
    redis_sentinel_conf_common replica "$(redis_sentinel_node_port replica)"
    printf 'save ""\nappendonly no\nreplicaof 127.0.0.1 %s\nreplica-read-only yes\n' "$primary_port"
  } >"$dir/replica/redis.conf"
  for node in sentinel0 sentinel1 sentinel2; do
    sentinel_ports+=("$(redis_sentinel_node_port "$node")")
    {
      redis_sentinel_conf_common "$node" "$(redis_sentinel_node_port "$node")"
      cat <<CONF
sentinel monitor $REDIS_SENTINEL_MASTER 127.0.0.1 $primary_port 2
sentinel down-after-milliseconds $REDIS_SENTINEL_MASTER 1000
sentinel failover-timeout $REDIS_SENTINEL_MASTER 5000
sentinel parallel-syncs $REDIS_SENTINEL_MASTER 1
CONF
    } >"$dir/$node/sentinel.conf" # sentinels rewrite their file: a fresh one on every start
  done
  echo "${sentinel_ports[*]}" >"$dir/ports"
}

redis_sentinel_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }

redis_sentinel_replica_synced() {
  [[ $(redis-cli -h 127.0.0.1 -p "$1" info replication 2>/dev/null) == *master_link_status:up* ]]
}

# sentinel_ready PORT: the sentinel sees the primary, its replica and the two other sentinels.
redis_sentinel_ready() {
  local info
  info=$(redis-cli -h 127.0.0.1 -p "$1" sentinel master "$REDIS_SENTINEL_MASTER" 2>/dev/null | tr '\n' ' ') || return 1
  [[ $info == *"num-slaves 1 "* && $info == *"num-other-sentinels 2 "* ]]
}

redis_sentinel_launch() {
  local dir node pid
  dir=$(redis_sentinel_dir)
  for node in primary replica; do
    setsid redis-server "$dir/$node/redis.conf" </dev/null >>"$dir/$node/redis.log" 2>&1 9>&- &
    pid=$!
    wait_for "$READY_TIMEOUT" "redis-sentinel $node" "$pid" redis_sentinel_ping "$(redis_sentinel_node_port "$node")" ||
      return 1
  done
  wait_for "$READY_TIMEOUT" "redis-sentinel replica sync" "" redis_sentinel_replica_synced \
    "$(redis_sentinel_node_port replica)" || return 1
  for node in sentinel0 sentinel1 sentinel2; do
    setsid redis-sentinel "$dir/$node/sentinel.conf" </dev/null >>"$dir/$node/redis.log" 2>&1 9>&- &
  done
  for node in sentinel0 sentinel1 sentinel2; do
    wait_for "$READY_TIMEOUT" "redis-sentinel $node" "" redis_sentinel_ready "$(redis_sentinel_node_port "$node")" ||
      return 1
  done
}

redis_sentinel_provision() { :; }

redis_sentinel_stop() {
  local node
  for node in sentinel2 sentinel1 sentinel0 replica primary; do
    redis_stop_one "redis-sentinel $node" "$(redis_sentinel_node_pid "$node")"
  done
}

redis_sentinel_cleanup() { :; }

redis_sentinel_env_prefix() { echo REDIS_SENTINEL; }

redis_sentinel_url() {
  # shellcheck disable=SC2046 # the ports are words
  echo "redis-sentinel://$(redis_loopback_list $(cat "$(redis_sentinel_dir)/ports" 2>/dev/null || true))/$REDIS_SENTINEL_MASTER"
}

redis_sentinel_env_extra() {
  local node upper
  for node in primary replica; do
    upper=${node^^}
    emit "RIHLA_TEST_REDIS_SENTINEL_${upper}_PORT" "$(redis_sentinel_node_port "$node")"
    emit "RIHLA_TEST_REDIS_SENTINEL_${upper}_PID" "$(redis_sentinel_node_pid "$node")"
  done
  emit RIHLA_TEST_REDIS_SENTINEL_PORTS "$(cat "$(redis_sentinel_dir)/ports" 2>/dev/null || true)"
  emit RIHLA_TEST_REDIS_SENTINEL_MASTER "$REDIS_SENTINEL_MASTER"
}
