# shellcheck shell=bash
# A 3-primary Redis Cluster (no replicas) for scripts/services.sh (sourced), as the service
# redis-cluster: STATE_DIR/redis_cluster/{port,ports,node0..2/{redis.conf,redis.pid,redis.log}}.
# Each node runs `redis-server --cluster-enabled yes` on 127.0.0.1 without persistence, with its
# cluster bus on a port of its own; `redis-cli --cluster create` splits the slots between them,
# and launch waits until every node reports cluster_state:ok. A restart makes a new, empty
# cluster. The functions are those every service file defines (see postgres.sh), plus
# redis_cluster_env_extra (RIHLA_TEST_REDIS_CLUSTER_PORTS / _PIDS: the nodes, in order).

REDIS_CLUSTER_NODES=3

redis_cluster_installed() { command -v redis-server redis-cli >/dev/null; }

redis_cluster_dir() { echo "$STATE/redis_cluster"; }

# The client ports of the nodes, space-separated (the first one is the service's port).
redis_cluster_ports() { cat "$(redis_cluster_dir)/ports" 2>/dev/null || true; }

# node_pid I: the pid of node I if it runs.
redis_cluster_node_pid() {
  local dir pid port
  dir=$(redis_cluster_dir)/node$1
  pid=$(read_pidfile "$dir/redis.pid")
  port=$(cat "$dir/port" 2>/dev/null || true)
  if [[ -n $pid && -n $port ]] && pid_is "$pid" "127.0.0.1:$port"; then echo "$pid"; fi
}

# The pid of node 0 when every node runs.
redis_cluster_pid() {
  local i pid first=""
  [[ -f $(redis_cluster_dir)/ports ]] || return 0
  for ((i = 0; i < REDIS_CLUSTER_NODES; i++)); do
    pid=$(redis_cluster_node_pid "$i")
    [[ -n $pid ]] || return 0
    [[ -n $first ]] || first=$pid
  done
  echo "$first"
}

redis_cluster_log() { echo "$(redis_cluster_dir)/node0/redis.log"; }

redis_cluster_prepare() {
  local base=$1 dir i port bus claimed ports=()
  dir=$(redis_cluster_dir)
  claimed="$(claimed_ports) $base"
  for ((i = 0; i < REDIS_CLUSTER_NODES; i++)); do
    if ((i == 0)); then port=$base; else port=$(pick_port "$claimed"); fi
    claimed+=" $port"
    bus=$(pick_port "$claimed")
    claimed+=" $bus"
    ports+=("$port")
    mkdir -p "$dir/node$i"
    rm -f "$dir/node$i/nodes.conf" "$dir/node$i/redis.pid"
    echo "$port" >"$dir/node$i/port"
    cat >"$dir/node$i/redis.conf" <<CONF
# Written by scripts/services.sh on every start.
bind 127.0.0.1
port $port
protected-mode yes
daemonize no
pidfile $dir/node$i/redis.pid
logfile $dir/node$i/redis.log
dir $dir/node$i
save ""
appendonly no
cluster-enabled yes
cluster-port $bus
cluster-config-file nodes.conf
cluster-node-timeout 2000
CONF
  done
  echo "${ports[*]}" >"$dir/ports"
}

redis_cluster_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }

# cluster_ok PORT...: every node says cluster_state:ok and knows all its peers.
redis_cluster_ok() {
  local port info
  for port in "$@"; do
    info=$(redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null) || return 1
    [[ $info == *cluster_state:ok* && $info == *"cluster_known_nodes:$#"* ]] || return 1
  done
}

redis_cluster_launch() {
  local dir i pid ports=() addrs=()
  dir=$(redis_cluster_dir)
  read -r -a ports <"$dir/ports"
  for ((i = 0; i < REDIS_CLUSTER_NODES; i++)); do
    setsid redis-server "$dir/node$i/redis.conf" </dev/null >>"$dir/node$i/redis.log" 2>&1 9>&- &
    pid=$!
    wait_for "$READY_TIMEOUT" "redis-cluster node $i" "$pid" redis_cluster_ping "${ports[i]}" || return 1
    addrs+=("127.0.0.1:${ports[i]}")
  done
  redis-cli --cluster create "${addrs[@]}" --cluster-yes >>"$dir/create.log" 2>&1 || {
    show_log "$dir/create.log"
    return 1
  }
  wait_for "$READY_TIMEOUT" "redis-cluster (cluster_state:ok)" "" redis_cluster_ok "${ports[@]}"
}

redis_cluster_provision() { :; }

redis_cluster_stop() {
  local i
  for ((i = 0; i < REDIS_CLUSTER_NODES; i++)); do
    redis_stop_one "redis-cluster node $i" "$(redis_cluster_node_pid "$i")"
  done
}

redis_cluster_cleanup() { :; }

redis_cluster_env_prefix() { echo REDIS_CLUSTER; }

redis_cluster_url() {
  # shellcheck disable=SC2046 # the ports are words
  echo "redis-cluster://$(redis_loopback_list $(redis_cluster_ports))"
}

redis_cluster_env_extra() {
  local i pids=()
  for ((i = 0; i < REDIS_CLUSTER_NODES; i++)); do pids+=("$(redis_cluster_node_pid "$i")"); done
  emit RIHLA_TEST_REDIS_CLUSTER_PORTS "$(redis_cluster_ports)"
  emit RIHLA_TEST_REDIS_CLUSTER_PIDS "${pids[*]}"
}
