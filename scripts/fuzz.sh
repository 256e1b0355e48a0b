#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ (clang, ASan+UBSan) and runs each
# for a bounded time on a fresh copy of its seed corpus.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]
#   scripts/fuzz.sh            # every target, 600 s each
#   scripts/fuzz.sh 60         # the CI run
#   scripts/fuzz.sh 30 fuzz_wal fuzz_codec
#
# Environment: PARALLEL=N targets at a time (default 1), JOBS=N build jobs
# (default 2), BUILD_DIR (default build-fuzz), NICE (default 10).
# Exits non-zero if a target finds anything (crash, sanitizer report, failed
# property, leak, timeout, out-of-memory) or fails to build; prints the input
# that did it. Logs and inputs: $BUILD_DIR/fuzz-runs/<target>/.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-fuzz}
secs=${1:-600}
shift || true
all=(fuzz_store fuzz_wal fuzz_codec fuzz_module_args fuzz_sql)
[[ -f $root/tests/fuzz/fuzz_vfs.cc ]] && all+=(fuzz_vfs)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all[@]}")
nice_level=${NICE:-10}

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLIGHTNING_FUZZ=ON -DLIGHTNING_SANITIZE=address -DLIGHTNING_BUILD_BENCH=OFF >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; echo "fuzz.sh: configure failed" >&2; exit 2; }
nice -n "$nice_level" cmake --build "$build" -j"${JOBS:-2}" --target "${targets[@]}" ||
  { echo "fuzz.sh: build failed" >&2; exit 2; }

run_one() {
  local t=$1 dir=$build/fuzz-runs/$1
  rm -rf "$dir" && mkdir -p "$dir/corpus" "$dir/artifacts"
  cp "$root/tests/fuzz/corpus/$t/"* "$dir/corpus/" 2>/dev/null
  [[ -d $root/tests/fuzz/regressions/$t ]] && cp "$root/tests/fuzz/regressions/$t/"* "$dir/corpus/" 2>/dev/null
  (cd "$dir" && nice -n "$nice_level" "$build/tests/fuzz/$t" -max_total_time="$secs" \
     -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=30 -print_final_stats=1 \
     -artifact_prefix="$dir/artifacts/" corpus >"$dir/log" 2>&1)
  local rc=$?
  local stats
  stats=$(grep -E '^#[0-9]+ +DONE' "$dir/log" | tail -1)
  [[ -z $stats ]] && stats=$(grep -E '^#[0-9]+' "$dir/log" | tail -1)
  if [[ $rc -ne 0 || -n $(ls -A "$dir/artifacts") ]]; then
    echo "FAIL $t (exit $rc): $(grep -m1 -E 'ERROR:|FUZZ PROPERTY|SUMMARY' "$dir/log")"
    for f in "$dir"/artifacts/*; do [[ -e $f ]] && echo "     input: $f  (replay: $build/tests/fuzz/$t $f)"; done
    echo "     log:   $dir/log"
    return 1
  fi
  echo "ok   $t ${secs}s: $stats"
}

status=0
pids=()
names=()
for t in "${targets[@]}"; do
  if [[ ${PARALLEL:-1} -le 1 ]]; then
    run_one "$t" || status=1
  else
    run_one "$t" & pids+=($!); names+=("$t")
    if [[ ${#pids[@]} -ge ${PARALLEL} ]]; then wait "${pids[0]}" || status=1; pids=("${pids[@]:1}"); fi
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
