#!/usr/bin/env bash
# scripts/test.sh — runs every test; what CI runs (.ci/run).
#
#   1. scripts/setup.sh, then scripts/format.sh --check (clang-format)
#   2. release build/       ctest: every test
#   3. asan    build-asan/  ctest -LE long         (ASan + UBSan)
#   4. tsan    build-tsan/  ctest -L concurrency   (TSan)
#   5. fuzz    build-fuzz/  scripts/fuzz.sh: every libFuzzer target for
#                           LIGHTNING_FUZZ_SECONDS (default 60) s, two at a time
#
# Stops with a non-zero exit at the first phase that fails. Each phase's ctest
# output is kept in <build dir>/ctest.log; the summaries are repeated at the
# end, the release one last. LIGHTNING_CTEST_JOBS sets ctest's parallelism
# (default: the number of cores).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs=${LIGHTNING_CTEST_JOBS:-$(nproc)}
# A test that hangs fails after this many seconds instead of eating CI's time.
# Tests that need longer set their own TIMEOUT property, which takes precedence.
per_test_timeout=600

# Command prefix for ctest (the tsan phase sets it).
launcher=()

# Runs ctest in build dir $1 with the remaining arguments, output teed to
# $1/ctest.log. Exits the script when a test fails.
run_ctest() {
  local dir=$1
  shift
  echo "test: ctest $* in $dir/"
  if ! (cd "$dir" && "${launcher[@]}" ctest --output-on-failure -j "$jobs" \
      --timeout "$per_test_timeout" "$@") 2>&1 | tee "$dir/ctest.log"; then
    echo "test: FAILED in $dir/ (log: $dir/ctest.log)" >&2
    exit 1
  fi
}

# The "N% tests passed, ..." line of the ctest run in dir $1.
summary() {
  grep -E '^[0-9]+% tests passed' "$1/ctest.log" | tail -n 1 || echo "no tests ran"
}

scripts/setup.sh
scripts/format.sh --check

scripts/build.sh release
run_ctest build --no-tests=error

scripts/build.sh asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest build-asan --no-tests=error -LE long

scripts/build.sh tsan
# TSan's runtime rejects some randomised address layouts ("unexpected memory
# mapping"); running without ASLR avoids that.
if setarch "$(uname -m)" -R true 2>/dev/null; then launcher=(setarch "$(uname -m)" -R); fi
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  run_ctest build-tsan -L concurrency

# Short fuzzing runs (the 10-minute ones run locally: scripts/fuzz.sh).
echo "test: fuzz, ${LIGHTNING_FUZZ_SECONDS:-60} s per target"
if ! PARALLEL=2 scripts/fuzz.sh "${LIGHTNING_FUZZ_SECONDS:-60}" 2>&1 | tee build-fuzz.log; then
  echo "test: FAILED in fuzzing (log: build-fuzz.log)" >&2
  exit 1
fi

echo
echo "== test.sh summary =="
echo "asan    (-LE long):       $(summary build-asan)"
echo "tsan    (-L concurrency): $(summary build-tsan)"
echo "fuzz    ($(grep -c '^ok ' build-fuzz.log) targets ok): see build-fuzz.log"
echo "release (every test):"
summary build
