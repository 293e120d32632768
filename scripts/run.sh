#!/usr/bin/env bash
# Installs what is missing, builds a Release binary, creates var/rihla.db with all migrations and
# the demo data, and serves the API on 127.0.0.1:8080 (override with RIHLA_LISTEN).
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$RIHLA_ROOT"

scripts/setup.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DRIHLA_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target rihla

export RIHLA_DATABASE_URL="${RIHLA_DATABASE_URL:-sqlite:var/rihla.db}"
export RIHLA_LISTEN="${RIHLA_LISTEN:-127.0.0.1:8080}"
export RIHLA_ADMIN_TOKEN="${RIHLA_ADMIN_TOKEN:-demo-admin-token}"
export RIHLA_WEBHOOK_SECRET="${RIHLA_WEBHOOK_SECRET:-demo-webhook-secret}"
# The booking page's demo "pay" button, only where nobody else can reach it (rihla refuses it
# on any other address).
case "$RIHLA_LISTEN" in
  127.*:* | localhost:* | "[::1]":*) export RIHLA_DEMO_PAYMENTS="${RIHLA_DEMO_PAYMENTS:-1}" ;;
esac
build/release/rihla seed

tomorrow=$(date -u -d tomorrow +%F)
cat >&2 <<MSG

rihla is starting on http://${RIHLA_LISTEN}  (database: ${RIHLA_DATABASE_URL})
Book a flight in a browser: http://${RIHLA_LISTEN}/  API reference: http://${RIHLA_LISTEN}/docs
Try:
  curl -s 'http://${RIHLA_LISTEN}/v1/flights/search?from=RUH&to=JED&date=${tomorrow}'
Admin token: \$RIHLA_ADMIN_TOKEN (demo value unless you set one). Stop with Ctrl-C.

MSG
exec build/release/rihla serve
