#!/usr/bin/env bash
# scripts/bench.sh — sets everything up, builds the release flavour and runs
# both benchmarks, each RUNS times (default 3; medians are reported):
#
#   engine_bench  Lightning vs LMDB, RocksDB, LevelDB and SQLite's C API
#   sql_bench     the same SQL against a native table and a lightning table,
#                 at sync=off and at sync=full
#
# Results go to bench/results/<what>-<UTC date and time>.{json,txt}; compare a
# later run with one of them through engine_bench --baseline FILE. Run it on a
# quiet machine: other work on the same cores moves the figures by 20-50 %.
#
#   RUNS=5 scripts/bench.sh                  # more runs
#   ENGINE_ARGS='--engines lightning,lmdb' scripts/bench.sh
#   SQL=0 scripts/bench.sh                   # engine_bench only
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
scripts/build.sh release

runs=${RUNS:-3}
stamp=$(date -u +%Y-%m-%dT%H%M)
out=bench/results
mkdir -p "$out"

echo "bench: engine_bench, $runs runs -> $out/engine-$stamp.{json,txt}"
# shellcheck disable=SC2086  # ENGINE_ARGS is a list of flags
build/bench/engine_bench --runs "$runs" --json "$out/engine-$stamp.json" ${ENGINE_ARGS:-} \
  2>&1 | tee "$out/engine-$stamp.txt"

if [[ ${SQL:-1} != 0 ]]; then
  for sync in off full; do
    echo "bench: sql_bench sync=$sync, $runs runs -> $out/sql-sync-$sync-$stamp.{json,txt}"
    build/bench/sql_bench --runs "$runs" --sync "$sync" --extension build/lightning.so \
      --json "$out/sql-sync-$sync-$stamp.json" 2>&1 | tee "$out/sql-sync-$sync-$stamp.txt"
  done
fi
