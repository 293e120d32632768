# shellcheck shell=bash
# PostgreSQL for scripts/services.sh (sourced): STATE_DIR/postgres/{data,sock,port,postgres.log}.
# The server runs as the postgres OS user, which must be able to reach STATE_DIR/postgres.
# If it cannot (e.g. STATE_DIR is under /root), STATE_DIR/postgres becomes a symlink to a
# /tmp/rihla-pg.* dir, which `stop` deletes.
#
# Every service file defines, for its NAME: NAME_installed, NAME_pid, NAME_log,
# NAME_prepare PORT, NAME_launch, NAME_provision, NAME_stop, NAME_cleanup, and
# NAME_env_prefix / NAME_url PORT for env.sh. They use STATE, READY_TIMEOUT and STOP_TIMEOUT
# from services.sh.

# Prints the newest /usr/lib/postgresql/NN/bin that has pg_ctl, or nothing.
postgres_bindir() {
  local dir
  dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n1)
  if [[ -x $dir/pg_ctl ]]; then echo "$dir"; fi
}

postgres_installed() { [[ -n $(postgres_bindir) ]] && command -v psql pg_isready >/dev/null; }

postgres_bin() {
  local dir
  dir=$(postgres_bindir)
  [[ -n $dir ]] || die "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin"
  echo "$dir"
}

postgres_dir() { readlink -f "$STATE/postgres"; }

postgres_superuser() { if is_root; then echo postgres; else id -un; fi; }

as_pg() { as_user postgres "$@"; }

postgres_pid() {
  local dir pid
  dir=$(postgres_dir)
  pid=$(read_pidfile "$dir/data/postmaster.pid")
  if [[ -n $pid ]] && pid_is "$pid" "$dir/data"; then echo "$pid"; fi
}

postgres_log() { echo "$(postgres_dir)/postgres.log"; }

# Makes STATE_DIR/postgres owned by and reachable for the postgres OS user.
postgres_make_dir() {
  local dir=$STATE/postgres fallback
  mkdir -p "$dir"
  is_root || return 0
  chown postgres: "$(postgres_dir)"
  chmod 700 "$(postgres_dir)"
  runuser -u postgres -- test -w "$(postgres_dir)/" 2>/dev/null && return 0
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

postgres_init() {
  local dir
  [[ -f $STATE/postgres/initialized ]] && return 0
  postgres_make_dir
  dir=$(postgres_dir)
  log "postgres: initdb in $dir/data"
  rm -rf "$dir/data" # a half-finished earlier attempt
  if ! as_pg "$(postgres_bin)/initdb" -D "$dir/data" -U "$(postgres_superuser)" --encoding=UTF8 --locale=C \
    --auth-local=peer --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 9>&-; then
    show_log "$dir/initdb.log"
    die "postgres initdb failed"
  fi
  echo "include 'rihla.conf'" >>"$dir/data/postgresql.conf"
  touch "$dir/initialized"
}

postgres_write_config() {
  local dir port=$1 sock
  dir=$(postgres_dir)
  as_pg mkdir -p "$dir/sock"
  sock=$(socket_dir postgres "$dir/sock" ".s.PGSQL.$port.lock")
  if is_root; then chown postgres: "$sock"; fi
  echo "$sock" >"$dir/socket_dir"
  as_pg tee "$dir/data/rihla.conf" >/dev/null <<CONF
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
CONF
}

postgres_prepare() {
  postgres_init
  postgres_write_config "$1"
}

postgres_launch() {
  local dir
  dir=$(postgres_dir)
  # pg_ctl -w polls until the server accepts connections (or has died).
  if ! as_pg "$(postgres_bin)/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t "$READY_TIMEOUT" -s start \
    </dev/null >>"$dir/pg_ctl.log" 2>&1 9>&-; then
    return 1
  fi
  wait_for "$READY_TIMEOUT" "postgres" "$(postgres_pid)" pg_isready -q -h 127.0.0.1 -p "$(<"$dir/port")" -t 2
}

postgres_provision() {
  local dir
  dir=$(postgres_dir)
  as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$(<"$dir/socket_dir")" -p "$(<"$dir/port")" \
    -U "$(postgres_superuser)" -d postgres 9>&- <<'SQL'
SELECT 'CREATE ROLE rihla' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rihla')
\gexec
ALTER ROLE rihla LOGIN CREATEDB PASSWORD 'rihla';
SELECT 'CREATE DATABASE rihla OWNER rihla' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'rihla')
\gexec
SQL
}

postgres_stop() {
  local dir pid
  dir=$(postgres_dir)
  pid=$(postgres_pid)
  [[ -n $pid ]] || return 0
  log "postgres: stopping (pid $pid)"
  as_pg "$(postgres_bin)/pg_ctl" -D "$dir/data" -m fast -w -t "$STOP_TIMEOUT" -s stop \
    </dev/null >>"$dir/pg_ctl.log" 2>&1 9>&- && return 0
  stop_pid postgres "$pid" QUIT "$STOP_TIMEOUT" # immediate shutdown
}

# Removes the /tmp fallbacks for a too-long socket path and an unreachable STATE_DIR.
postgres_cleanup() {
  remove_socket_fallback postgres
  if [[ -L $STATE/postgres && $(postgres_dir) == /tmp/rihla-pg.* && -z $(postgres_pid) ]]; then
    rm -rf "$(postgres_dir)" "$STATE/postgres"
  fi
  return 0
}

postgres_env_prefix() { echo POSTGRES; }
postgres_url() { echo "postgresql://rihla:rihla@127.0.0.1:$1/rihla"; }
