# shellcheck shell=bash
# MariaDB for scripts/services.sh (sourced):
# STATE_DIR/mariadb/{data,tmp,my.cnf,mariadb.sock,mariadb.pid,mariadb.log,port}.
# The functions are those every service file defines (see postgres.sh).

mariadb_installed() { command -v mariadbd mariadb-install-db mariadb-admin mariadb >/dev/null; }

mariadb_pid() {
  local pid
  pid=$(read_pidfile "$STATE/mariadb/mariadb.pid")
  if [[ -n $pid ]] && pid_is "$pid" "$STATE/mariadb/my.cnf"; then echo "$pid"; fi
}

mariadb_log() { echo "$STATE/mariadb/mariadb.log"; }

mariadb_socket() { echo "$(<"$STATE/mariadb/socket_dir")/mariadb.sock"; }

mariadb_write_config() {
  local dir=$STATE/mariadb port=$1 sock
  mkdir -p "$dir/data" "$dir/tmp"
  sock=$(socket_dir mariadb "$dir" "mariadb.sock.lock")
  echo "$sock" >"$dir/socket_dir"
  cat >"$dir/my.cnf" <<CONF
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
CONF
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
  mariadb --no-defaults -u root --socket="$(mariadb_socket)" 9>&- <<'SQL'
CREATE DATABASE IF NOT EXISTS rihla CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'rihla'@'127.0.0.1' IDENTIFIED BY 'rihla';
CREATE USER IF NOT EXISTS 'rihla'@'localhost' IDENTIFIED BY 'rihla';
GRANT ALL PRIVILEGES ON *.* TO 'rihla'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'rihla'@'localhost';
DROP USER IF EXISTS ''@'localhost';
SQL
}

mariadb_stop() {
  local pid
  pid=$(mariadb_pid)
  [[ -n $pid ]] || return 0
  log "mariadb: stopping (pid $pid)"
  stop_pid mariadb "$pid" TERM "$STOP_TIMEOUT" # SIGTERM = clean shutdown
}

mariadb_cleanup() { remove_socket_fallback mariadb; }

mariadb_env_prefix() { echo MYSQL; }
mariadb_url() { echo "mysql://rihla:rihla@127.0.0.1:$1/rihla"; }
