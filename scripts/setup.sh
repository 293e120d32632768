#!/usr/bin/env bash
# Installs the Debian 12 packages rihla needs to build; with --test also what the tests need
# (database servers, Redis, shellcheck), with --bench what bench/ needs. Installs only what is
# missing. The only script that installs packages: services.sh and bench/ call this one.
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LOG_TAG=setup

packages=(build-essential cmake pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsoci-dev libsqlite3-dev libpq-dev libmariadb-dev libhiredis-dev
  libssl-dev libsodium-dev libcli11-dev libgtest-dev sqlite3 curl)
case "${1:-}" in
  --test)
    packages+=(postgresql mariadb-server redis-server redis-sentinel nginx-light haproxy pgbouncer
      wrk shellcheck clang-14 libclang-rt-14-dev prometheus jq chromium)
    # The contract and page tests run the pinned npm tools (tools/): Node from the machine, or Debian's.
    command -v node >/dev/null || packages+=(nodejs)
    command -v npm >/dev/null || packages+=(npm)
    ;;
  --bench)
    packages+=(postgresql mariadb-server redis-server redis-sentinel nginx-light haproxy pgbouncer
      wrk linux-perf)
    # Node and Python may come from elsewhere on the machine: install Debian's only if absent.
    command -v python3 >/dev/null || packages+=(python3)
    command -v node >/dev/null || packages+=(nodejs)
    command -v npm >/dev/null || packages+=(npm)
    ;;
  "") ;;
  *) die "unknown option '$1' (expected nothing, --test or --bench)" ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  # Packaged servers must not start system-wide instances: the tests start their own on loopback.
  # The one we create is removed again on exit, also when apt-get fails.
  if [[ ! -e /usr/sbin/policy-rc.d && $(id -u) -eq 0 ]]; then
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
