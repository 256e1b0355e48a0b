#!/usr/bin/env bash
# bench/lookup_misses.sh [BINARY] [NUM] [GETS] — cache misses per random point
# lookup on a warm store, by valgrind's cachegrind (exact and repeatable; this
# VM has no hardware counters).
#
# Runs BINARY (default build/bench/lookup_misses; `cmake --build build
# --target lookup_misses`) twice under cachegrind, with --gets=0 and
# --gets=GETS, and prints the difference divided by GETS: instructions, data
# references, D1 misses and last-level data misses per lookup (each lookup in
# its own read transaction). Simulated caches: D1 32 KiB 8-way, LL 8 MiB
# 16-way, 64-byte lines (fixed, so figures compare across machines).
#
# Valgrind 3.19 cannot decode rdtscp, which libhwy executes when it loads
# (hwy::platform::TimerResolution); a preloaded stub replaces that function.
# Extra arguments after GETS go to the binary (e.g. --cache_size 1MB).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=${1:-build/bench/lookup_misses}
num=${2:-200000}
gets=${3:-100000}
shift $(($# < 3 ? $# : 3))

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/stub.cc" <<'EOF'
#include <cstdint>
namespace hwy::platform {
__attribute__((visibility("default"))) uint64_t TimerResolution() { return 1; }
}  // namespace hwy::platform
EOF
g++ -O2 -shared -fPIC -o "$tmp/stub.so" "$tmp/stub.cc"

run() {  # run GETS [ARGS] -> "Ir Dr D1mr+D1mw DLmr+DLmw" of the whole run
  local g=$1
  shift
  LD_PRELOAD=$tmp/stub.so valgrind --tool=cachegrind --cache-sim=yes \
    --D1=32768,8,64 --LL=8388608,16,64 --cachegrind-out-file="$tmp/cg.$g" \
    "$bin" --num "$num" --gets "$g" "$@" >/dev/null 2>"$tmp/log.$g" ||
    { cat "$tmp/log.$g" >&2; exit 1; }
  # events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw
  awk '/^summary:/ {print $2, $5 + $8, $6 + $9, $7 + $10}' "$tmp/cg.$g"
}
read -r i0 d0 m0 l0 < <(run 0 "$@")
read -r i1 d1 m1 l1 < <(run "$gets" "$@")
awk -v g="$gets" -v i="$((i1 - i0))" -v d="$((d1 - d0))" -v m="$((m1 - m0))" -v l="$((l1 - l0))" \
  'BEGIN { printf "per lookup: instructions %.1f  data refs %.1f  D1 misses %.2f  LL data misses %.2f\n",
           i / g, d / g, m / g, l / g }'
