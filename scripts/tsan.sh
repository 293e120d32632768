#!/usr/bin/env bash
# Builds rihla with ThreadSanitizer in build/tsan (GCC, the compiler of the regular build) and
# runs, once, the unit tests and the concurrency tests: the functional tests that race requests
# (those in tests/functional that call Race(...) or start threads), on SQLite. The functional
# tests start the real binary, which is the TSan build too, so races in the server count too.
#
# Every report of every process (test runner or spawned server) is written under the run's
# report directory; the run fails when any unsuppressed report appears, or when a test fails
# (a server stopped by halt_on_error fails its test). Suppressions, each with its reason, are
# in tests/tsan.supp.
#
# Usage: scripts/tsan.sh [--no-build] [extra ctest arguments...]
#   TSAN_JOBS   parallel build jobs (default: nproc)
set -Eeuo pipefail
trap 'echo "tsan.sh: line $LINENO: \"$BASH_COMMAND\" failed (exit $?)" >&2' ERR

cd "$(dirname "$0")/.."
root=$(pwd -P)
build="$root/build/tsan"
jobs=${TSAN_JOBS:-$(nproc)}

build_it=1
if [[ ${1:-} == --no-build ]]; then
  build_it=0
  shift
fi

log() { printf 'tsan.sh: %s\n' "$*" >&2; }

if [[ $build_it == 1 ]]; then
  log "configuring $build"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" \
    -DRIHLA_TSAN=ON -DRIHLA_SANITIZE=OFF -DRIHLA_FAULT_POINTS=ON >/dev/null
  log "building (-j$jobs)"
  cmake --build "$build" -j"$jobs"  # all: rihla, rihla_unit_tests, rihla_functional_tests
fi

# The concurrency tests: every TEST/TEST_F in tests/functional whose body races requests
# (Race(...)) or starts threads, plus the tests that race through a shared helper function.
race_helpers=(CacheFreshness.FillRacingAnInvalidationIsNeverServed)
mapfile -t race_tests < <({
  awk '
    /^TEST(_F|_P)?\(/ { s = $0; sub(/^TEST(_F|_P)?\(/, "", s); sub(/\).*/, "", s); gsub(/ /, "", s); sub(/,/, ".", s); name = s; next }
    /^[A-Za-z].*\{$/ { name = "" }  # a helper function: not part of a test
    (/[^A-Za-z_]Race\(/ || /std::thread/) && name != "" { print name; name = "" }
  ' tests/functional/*.cpp
  printf '%s\n' "${race_helpers[@]}"
} | sort -u)
((${#race_tests[@]} > 0)) || { log "no concurrency tests found in tests/functional"; exit 1; }
filter=$(printf 'sqlite.%s|' "${race_tests[@]}")
filter="^(${filter%|})\$"
log "concurrency tests: ${race_tests[*]}"

reports=$(mktemp -d /tmp/rihla-tsan.XXXXXX)
# ASLR with more than 28 random bits breaks the TSan runtime of GCC 12 and clang 14 ("unexpected
# memory mapping"); run without ASLR there (children inherit it).
run=()
if [[ $(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28) -gt 28 ]]; then
  run=(setarch "$(uname -m)" -R)
fi
# halt_on_error: the first unsuppressed report ends that process with exitcode 66.
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 history_size=4 suppressions=$root/tests/tsan.supp log_path=$reports/tsan"
export RIHLA_TEST_BACKEND=sqlite

status=0
log "unit tests"
"${run[@]}" "$build/tests/rihla_unit_tests" --gtest_brief=1 || status=$?
log "concurrency tests on SQLite"
# A failed test runs once more: TSan slows everything 5-15x, and CacheStampede's count of
# database queries is already timing-sensitive without it (issue 13, section 6). A race is
# caught by its report file below whether or not the test passes on the second run.
(cd "$build/tests" && "${run[@]}" ctest -R "$filter" --repeat until-pass:2 --output-on-failure --timeout 900 "$@") ||
  status=$?

shopt -s nullglob
found=("$reports"/tsan*)
if ((${#found[@]} > 0)); then
  for f in "${found[@]}"; do
    log "report in $f:"
    cat "$f" >&2
  done
  log "FAILED: ${#found[@]} process(es) reported data races or other TSan errors (see above)"
  exit 1
fi
rm -rf "$reports"
if [[ $status != 0 ]]; then
  log "FAILED: tests failed under TSan (exit $status)"
  exit "$status"
fi
log "passed: no ThreadSanitizer reports"
