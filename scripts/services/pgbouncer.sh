# shellcheck shell=bash
# PgBouncer for scripts/services.sh (sourced), in front of the PostgreSQL of the same STATE_DIR
# (start it first: `start DIR postgres pgbouncer`). pool_mode = transaction, on 127.0.0.1, every
# database name routed to that server (the tests create one database per test), clients and
# server both authenticated with SCRAM as the rihla role of postgres.sh.
#
# PgBouncer refuses to run as root, so it runs as the postgres OS user, like the server, with
# its files where that user can write: STATE_DIR/pgbouncer/port for services.sh, and
# pgbouncer.ini, userlist.txt, pgbouncer.pid and pgbouncer.log in $(postgres_dir)/pgbouncer.
# The functions are those every service file defines (see postgres.sh).

pgbouncer_installed() { [[ -x /usr/sbin/pgbouncer ]] || command -v pgbouncer >/dev/null; }

pgbouncer_bin() { if [[ -x /usr/sbin/pgbouncer ]]; then echo /usr/sbin/pgbouncer; else command -v pgbouncer; fi; }

pgbouncer_dir() { echo "$(postgres_dir)/pgbouncer"; }

pgbouncer_pid() {
  local pid
  [[ -e $STATE/postgres ]] || return 0
  pid=$(read_pidfile "$(pgbouncer_dir)/pgbouncer.pid")
  if [[ -n $pid ]] && pid_is "$pid" "$(pgbouncer_dir)/pgbouncer.ini"; then echo "$pid"; fi
}

pgbouncer_log() { echo "$(pgbouncer_dir)/pgbouncer.log"; }

pgbouncer_prepare() {
  local port=$1 dir pg_port
  [[ -f $STATE/postgres/port ]] || die "pgbouncer: start postgres first (services.sh start DIR postgres pgbouncer)"
  pg_port=$(<"$STATE/postgres/port")
  dir=$(pgbouncer_dir)
  as_pg mkdir -p "$dir"
  # Plain-text password: PgBouncer then answers the client's SCRAM and logs in to the server
  # with SCRAM itself (test role only).
  as_pg tee "$dir/userlist.txt" >/dev/null <<'USERS'
"rihla" "rihla"
USERS
  as_pg tee "$dir/pgbouncer.ini" >/dev/null <<CONF
; Written by scripts/services.sh on every start.
[databases]
* = host=127.0.0.1 port=$pg_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
max_db_connections = 40
; a restarted PostgreSQL is retried after 1 s, not 15
server_login_retry = 1
query_wait_timeout = 10
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
CONF
}

pgbouncer_launch() {
  local dir
  dir=$(pgbouncer_dir)
  as_pg rm -f "$dir/pgbouncer.pid"
  # -d: daemonizes once it listens (and writes the pid file).
  if ! as_pg "$(pgbouncer_bin)" -d "$dir/pgbouncer.ini" </dev/null >>"$dir/launch.log" 2>&1 9>&-; then
    show_log "$dir/launch.log"
    return 1
  fi
  wait_for "$READY_TIMEOUT" "pgbouncer" "" pgbouncer_ready "$(<"$STATE/pgbouncer/port")"
}

# Ready when it runs and a query through it reaches PostgreSQL.
pgbouncer_ready() {
  [[ -n $(pgbouncer_pid) ]] &&
    PGPASSWORD=rihla psql -X -q -At -h 127.0.0.1 -p "$1" -U rihla -d rihla -c 'SELECT 1' 2>/dev/null | grep -qx 1
}

pgbouncer_provision() { :; }

pgbouncer_stop() {
  local pid
  pid=$(pgbouncer_pid)
  [[ -n $pid ]] || return 0
  log "pgbouncer: stopping (pid $pid)"
  # SIGTERM: immediate shutdown, clients are disconnected (what a restart looks like to them).
  stop_pid pgbouncer "$pid" TERM "$STOP_TIMEOUT"
}

pgbouncer_cleanup() { :; }

pgbouncer_env_prefix() { echo PGBOUNCER; }
pgbouncer_url() { echo "postgresql://rihla:rihla@127.0.0.1:$1/rihla"; }
