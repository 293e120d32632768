#!/usr/bin/env bash
# A load balancer on loopback in front of rihla instances, from the shipped configuration:
# deploy/nginx.conf or deploy/haproxy.cfg, rendered with real ports into a state directory.
#
# Usage:
#   scripts/lb.sh start DIR nginx|haproxy PORT...   # the instances' ports (127.0.0.1)
#   scripts/lb.sh stop  DIR
#
# start renders the file into DIR (every upstream `server` line of the example is replaced by
# one line per PORT with the same options; the listen address becomes 127.0.0.1 and a free
# port), starts the balancer in the foreground of its own session, waits until GET /healthz
# answers 200 through it, and prints the balancer's port on stdout (DIR/port; its pid is in
# DIR/pid, its logs in DIR/). stop stops it (SIGTERM, then SIGKILL) and never fails.
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/services/nginx.sh
source "$RIHLA_ROOT/scripts/services/nginx.sh"

usage() { die "usage: lb.sh start DIR nginx|haproxy PORT... | lb.sh stop DIR"; }

# render_servers FILE PATTERN PORT...: FILE with the lines matching PATTERN (the example's
# upstream servers, 127.0.0.1:8081...) replaced by one copy of the first of them per PORT.
render_servers() {
  local file=$1 pattern=$2
  shift 2
  awk -v pattern="$pattern" -v ports="$*" '
    $0 ~ pattern {
      if (!done) {
        n = split(ports, p, " ")
        for (i = 1; i <= n; i++) {
          line = $0
          sub(/127[.]0[.]0[.]1:[0-9]+/, "127.0.0.1:" p[i], line)
          sub(/rihla[0-9]+ /, "rihla" i " ", line)
          print line
        }
        done = 1
      }
      next
    }
    { print }' "$file"
}

# render KIND DIR PORT PORT...: the shipped file of KIND with one upstream line per instance
# PORT and the listen address 127.0.0.1:PORT, written into DIR; prints the rendered file's path.
render() {
  local kind=$1 dir=$2 port=$3 src out servers listen
  shift 3
  case $kind in
    nginx)
      src=nginx.conf out=rihla.conf servers='^ *server 127[.]0[.]0[.]1:[0-9]+'
      listen="s/^( *)listen 80;/\1listen 127.0.0.1:$port;/"
      ;;
    haproxy)
      src=haproxy.cfg out=haproxy.cfg servers='^ *server rihla[0-9]+ 127[.]0[.]0[.]1:[0-9]+'
      listen="s/^( *)bind :80$/\1bind 127.0.0.1:$port/"
      ;;
  esac
  render_servers "$RIHLA_ROOT/deploy/$src" "$servers" "$@" | sed -E "$listen" >"$dir/$out"
  grep -Eq "(listen|bind) 127.0.0.1:$port" "$dir/$out" || die "deploy/$src has no listen line to render"
  echo "$dir/$out"
}

# start_nginx DIR PORT PORT...: prints the pid.
start_nginx() {
  local dir=$1 conf
  conf=$(render nginx "$@")
  nginx_main_conf "$dir" "$conf"
  nginx_launch "$dir"
}

# start_haproxy DIR PORT PORT...: prints the pid.
start_haproxy() {
  local dir=$1 conf
  conf=$(render haproxy "$@")
  haproxy -c -f "$conf" >"$dir/check.log" 2>&1 || { cat "$dir/check.log" >&2; return 1; }
  setsid haproxy -db -f "$conf" >"$dir/haproxy.log" 2>&1 </dev/null &
  echo "$!"
}

cmd_start() {
  local dir=$1 kind=$2 port pid
  shift 2
  (($# > 0)) || usage
  command -v "$kind" >/dev/null || die "$kind is not installed (scripts/setup.sh --test installs it)"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  port=$(pick_port "$*")
  case $kind in
    nginx) pid=$(start_nginx "$dir" "$port" "$@") ;;
    haproxy) pid=$(start_haproxy "$dir" "$port" "$@") ;;
    *) usage ;;
  esac
  echo "$pid" >"$dir/pid"
  echo "$port" >"$dir/port"
  if ! wait_for 30 "$kind" "$pid" curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then
    show_log "$dir/error.log"
    show_log "$dir/haproxy.log"
    cmd_stop "$dir"
    die "$kind did not answer /healthz on 127.0.0.1:$port"
  fi
  log "$kind pid $pid on 127.0.0.1:$port in front of $*"
  echo "$port"
}

cmd_stop() {
  local dir=$1 pid
  pid=$(read_pidfile "$dir/pid")
  [[ -n $pid ]] || return 0
  stop_pid "load balancer" "$pid" TERM 10
  rm -f "$dir/pid"
}

main() {
  (($# >= 2)) || usage
  local cmd=$1
  shift
  case $cmd in
    start) (($# >= 3)) || usage; cmd_start "$@" ;;
    stop) cmd_stop "$1" ;;
    *) usage ;;
  esac
}

main "$@"
