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
