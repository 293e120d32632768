# shellcheck shell=bash
# nginx for scripts/services.sh (sourced). services.sh does not run nginx: the bench scripts
# configure and start their own. `start DIR nginx` only makes sure it is installed and puts
# RIHLA_TEST_NGINX_BIN into env.sh.

nginx_installed() { command -v nginx >/dev/null; }

nginx_request() { touch "$STATE/nginx.requested"; }

nginx_env() {
  if [[ -f $STATE/nginx.requested ]] && nginx_installed; then
    emit RIHLA_TEST_NGINX_BIN "$(command -v nginx)"
  fi
}

# nginx_main_conf DIR INCLUDE [WORKERS]: writes DIR/nginx.conf, the main context of a throw-away
# nginx whose every file (pid, logs, temp dirs) lives under DIR, running in the foreground and
# including the http-context file INCLUDE (e.g. a rendered deploy/nginx.conf). Start it with
# nginx_launch DIR.
nginx_main_conf() {
  local dir=$1 include=$2 workers=${3:-2}
  mkdir -p "$dir/tmp"
  chmod 777 "$dir" "$dir/tmp" # the workers (user nobody) write the temp dirs
  cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log $dir/access.log;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  include $include;
}
CONF
}

# nginx_launch DIR: checks DIR/nginx.conf and starts nginx on it in the background, in its own
# session (stop it by the pid in DIR/nginx.pid). Prints the master's pid.
nginx_launch() {
  local dir=$1
  nginx -t -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$dir/check.log" 2>&1 ||
    { cat "$dir/check.log" >&2; return 1; }
  setsid nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 </dev/null &
  echo "$!"
}
