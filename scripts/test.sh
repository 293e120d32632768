#!/usr/bin/env bash
# Installs what is missing, builds with AddressSanitizer + UndefinedBehaviorSanitizer (and the
# test-only fault points), starts PostgreSQL, MariaDB and Redis on loopback in a temporary
# directory, runs every test with ctest, and stops the servers again.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/setup.sh --test
cmake -S . -B build/test -DCMAKE_BUILD_TYPE=Debug -DRIHLA_SANITIZE=ON -DRIHLA_FAULT_POINTS=ON >/dev/null
cmake --build build/test -j"$(nproc)"

state=$(mktemp -d /tmp/rihla-test.XXXXXX)
cleanup() { "$root/scripts/services.sh" stop "$state" >/dev/null 2>&1 || true; rm -rf "$state"; }
trap cleanup EXIT
env_file=$(scripts/services.sh start "$state" postgres mariadb redis)
# shellcheck disable=SC1090
source "$env_file"
export RIHLA_TEST_POSTGRES_URL RIHLA_TEST_MYSQL_URL RIHLA_TEST_REDIS_URL

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd "$root/build/test"
ctest --output-on-failure --timeout 900 "$@"
