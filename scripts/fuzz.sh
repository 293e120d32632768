#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-14 (coverage, ASan, UBSan) in build/fuzz
# and runs each for a bounded time, starting from its seed corpus in tests/fuzz/corpus/<target>.
# Fails, naming the target, on any crash, failed invariant, leak, timeout or out-of-memory; the
# input that did it is kept in build/fuzz/artifacts/ (add it to the seed corpus and to a unit
# test in tests/unit/ once fixed).
#
# Usage: scripts/fuzz.sh [--no-build] [target...]     (default: every target)
#   FUZZ_SECONDS  fuzzing time per target (default 20)
#   FUZZ_TIMEOUT  seconds one input may take (default 5); a timeout fails the run only if
#                 the input also times out when replayed alone (else it was host overload)
#   FUZZ_JOBS     parallel build jobs (default: nproc)
# New inputs the fuzzer finds go to build/fuzz/corpus/<target> (reused by the next run), never
# into the seed corpus.
set -Eeuo pipefail
trap 'echo "fuzz.sh: line $LINENO: \"$BASH_COMMAND\" failed (exit $?)" >&2' ERR

cd "$(dirname "$0")/.."
root=$(pwd -P)
build="$root/build/fuzz"
seconds=${FUZZ_SECONDS:-20}
timeout=${FUZZ_TIMEOUT:-5}
jobs=${FUZZ_JOBS:-$(nproc)}

log() { printf 'fuzz.sh: %s\n' "$*" >&2; }

build_it=1
if [[ ${1:-} == --no-build ]]; then
  build_it=0
  shift
fi

all_targets=()
for f in "$root"/tests/fuzz/*_fuzz.cpp; do
  name=$(basename "$f" _fuzz.cpp)
  all_targets+=("$name")
done
targets=("$@")
((${#targets[@]} > 0)) || targets=("${all_targets[@]}")

if [[ $build_it == 1 ]]; then
  command -v clang++-14 >/dev/null || { log "clang++-14 is missing (apt-get install clang-14 libclang-rt-14-dev)"; exit 1; }
  log "configuring $build (clang-14, -fsanitize=fuzzer-no-link,address,undefined)"
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g" \
    -DRIHLA_FUZZ=ON -DRIHLA_SANITIZE=OFF -DRIHLA_BUILD_TESTS=OFF >/dev/null
  log "building (-j$jobs)"
  cmake --build "$build" -j"$jobs"  # the fuzz build holds only the targets and their library
fi

# Leaks are reported at exit of each input batch; any UBSan finding is fatal.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

mkdir -p "$build/artifacts" "$build/logs"
failed=()
for name in "${targets[@]}"; do
  bin="$build/tests/fuzz/${name}_fuzz"
  seeds="$root/tests/fuzz/corpus/$name"
  work="$build/corpus/$name"
  [[ -x $bin ]] || { log "$name: no binary $bin (build first)"; exit 1; }
  [[ -d $seeds ]] || { log "$name: no seed corpus $seeds"; exit 1; }
  mkdir -p "$work"
  args=(-max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1
    -artifact_prefix="$build/artifacts/$name-")
  # The HTTP target must reach the 8 KiB header and 64 KiB body limits.
  [[ $name == http_request ]] && args+=(-max_len=70000)
  [[ -f $root/tests/fuzz/$name.dict ]] && args+=(-dict="$root/tests/fuzz/$name.dict")
  log "$name: fuzzing for ${seconds}s"
  if "$bin" "${args[@]}" "$work" "$seeds" >"$build/logs/$name.log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/logs/$name.log" | grep -o '[0-9]*$' || true)
    log "$name: ok (${runs:-?} inputs)"
  else
    status=$?
    artifact=$(grep -o "Test unit written to .*" "$build/logs/$name.log" | tail -1 | sed 's/^Test unit written to //' || true)
    # A timeout that the input does not reproduce on its own was the machine (a starved
    # process on a loaded host), not the input: replay it once with the same limit to tell.
    if [[ $status == 70 && -f $artifact ]] &&
      "$bin" -timeout="$timeout" -rss_limit_mb=2048 "$artifact" >"$build/logs/$name.replay.log" 2>&1; then
      log "$name: ok (a ${timeout}s timeout did not reproduce on replay of $artifact: host overload)"
      continue
    fi
    log "$name: FAILED (exit $status); log $build/logs/$name.log:"
    grep -E 'ERROR|SUMMARY|invariant failed|Test unit written|==[0-9]+==' "$build/logs/$name.log" | head -40 >&2 || true
    failed+=("$name")
  fi
done

if ((${#failed[@]} > 0)); then
  log "FAILED targets: ${failed[*]} (inputs in $build/artifacts/)"
  exit 1
fi
log "passed: ${targets[*]}"
