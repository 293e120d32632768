# shellcheck shell=bash
# Common library of rihla's shell scripts (scripts/, bench/): sourced, never run. It sets
# `set -Eeuo pipefail` and an ERR trap, so a step that stops a script is named on stderr:
#
#   setup.sh: line 37: apt-get install ... failed (exit 100)
#   services.sh: line 52 of scripts/services/postgres.sh: initdb ... failed (exit 1)
#
# The trap reports only failures that end the script (errexit is on): a command tested by
# `if`, `while`, `&&`, `||` or `!` never triggers it, and neither does one inside `$(...)`,
# where bash turns errexit off; the assignment that receives a failed `$(...)` is reported.
#
# Also: log/die, process helpers (alive, stop), port picking, polling for readiness, running a
# command as another OS user. Callers may set LOG_TAG (default: the script's name), LOG_TIME=1
# (timestamped lines) and DIE_STATUS (exit status of `die`, default 1) after sourcing.
set -Eeuo pipefail

RIHLA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
RIHLA_SCRIPT_NAME=$(basename "$0")
LOG_TAG=$RIHLA_SCRIPT_NAME
LOG_TIME=0
DIE_STATUS=1

# on_err STATUS LINE SOURCE MAIN COMMAND: the ERR trap. SOURCE is the file of the failed
# command, MAIN the script that was run. Keeps STATUS (errexit exits with it).
on_err() {
  local status=$1 line=$2 src=$3 main=$4 cmd=$5 where
  [[ $- == *e* ]] || return "$status" # not fatal here (e.g. inside $(...))
  [[ $cmd != *$'\n'* ]] || cmd="${cmd%%$'\n'*} ..." # first line of a here-document command
  if [[ $src == "$main" ]]; then
    where="line $line"
  else
    where="line $line of ${src#"$RIHLA_ROOT"/}"
  fi
  printf '%s: %s: %s failed (exit %s)\n' "$RIHLA_SCRIPT_NAME" "$where" "$cmd" "$status" >&2
  return "$status"
}
trap 'on_err "$?" "$LINENO" "${BASH_SOURCE[0]:-$0}" "${BASH_SOURCE[-1]:-$0}" "$BASH_COMMAND"' ERR

log() {
  if [[ $LOG_TIME == 1 ]]; then
    printf '[%s %(%H:%M:%S)T] %s\n' "$LOG_TAG" -1 "$*" >&2
  else
    printf '%s: %s\n' "$LOG_TAG" "$*" >&2
  fi
}
die() {
  log "error: $*"
  exit "$DIE_STATUS"
}

is_root() { [[ $EUID -eq 0 ]]; }

# as_user USER CMD...: runs CMD as USER when root (e.g. PostgreSQL refuses to run as root),
# from / so the user need not reach the current directory; as the caller otherwise.
as_user() {
  local user=$1
  shift
  if is_root; then
    (cd / && runuser -u "$user" -- "$@")
  else
    "$@"
  fi
}

# ---------------------------------------------------------------------------------------
# Processes

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

# wait_gone PID SECONDS: polls until PID has exited; fails after SECONDS.
wait_gone() {
  local pid=$1 deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# stop_pid WHAT PID SIGNAL SECONDS: sends SIGNAL, waits up to SECONDS, then SIGKILLs the
# process group PID leads (servers started with setsid) or else the process. Never fails.
stop_pid() {
  local what=$1 pid=$2 sig=$3 timeout=$4
  pid_alive "$pid" || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  wait_gone "$pid" "$timeout" && return 0
  log "$what (pid $pid) did not stop within ${timeout}s; killing it"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 || log "$what (pid $pid) survived SIGKILL"
}

# show_log FILE: prints the last lines of a server's log to stderr.
show_log() {
  local file=$1
  if [[ -s $file ]]; then
    log "last lines of $file:"
    tail -n 40 "$file" | sed 's/^/    /' >&2
  else
    log "(no log output in $file)"
  fi
}

# wait_for SECONDS WHAT PID CMD...: polls CMD until it succeeds; fails early if PID (may be
# empty) dies, and after SECONDS. Logs why it failed.
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

# ---------------------------------------------------------------------------------------
# Ports: picked below the Linux ephemeral range (32768-60999), so outgoing connections do
# not grab them between picking and listening.

PORT_MIN=20000
PORT_SPAN=12000

# True if something listens on 127.0.0.1:PORT.
port_in_use() {
  local port=$1
  if command -v ss >/dev/null && [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]; then
    return 0
  fi
  timeout 2 bash -c ": <>/dev/tcp/127.0.0.1/$port" 2>/dev/null
}

# pick_port CLAIMED: prints a random free port that is not in CLAIMED (space-separated ports).
pick_port() {
  local claimed=" $1 " port i
  for ((i = 0; i < 500; i++)); do
    port=$((PORT_MIN + (RANDOM * 32768 + RANDOM) % PORT_SPAN))
    [[ $claimed == *" $port "* ]] && continue
    port_in_use "$port" && continue
    echo "$port"
    return 0
  done
  die "could not find a free port in $PORT_MIN-$((PORT_MIN + PORT_SPAN - 1))"
}
