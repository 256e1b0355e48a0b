#!/usr/bin/env bash
# scripts/crashloop.sh <minutes> [engine|sql|vfs|all] — long kill -9 loops.
#
# Runs the short crash tests of CI over and over, each batch with a new seed,
# until <minutes> have passed (a batch started before then runs to its end),
# and stops at the first failure (its seed and log are printed so that the
# batch can be repeated alone):
#
#   engine  build/tests/engine/engine_crash_test (LIGHTNING_CRASH_ROUNDS kills per
#           batch): a child commits with sync=full and checkpoints; it is
#           SIGKILLed at random; every acknowledged transaction must be there,
#           no transaction partly visible, DB::Check clean.
#   sql     tests/python/test_crash.py: a Python writer on a lightning virtual
#           table, SIGKILLed at random; every acknowledged batch of rows present,
#           no partial batch (6 kills per batch).
#   vfs     tests/vfs/test_crash.py (LIGHTNING_CRASH_ROUNDS kills per batch and
#           journal mode): SQLite on the lightning VFS, integrity_check ok,
#           acknowledged transactions present.
#   all     engine, then sql, then vfs: each for <minutes> (3x the time in all).
#
# Environment: LIGHTNING_BUILD_DIR (default build/), LIGHTNING_SEED (first
# seed; default: from the clock), CRASHLOOP_ROUNDS (kills per engine/vfs batch,
# default 40), CRASHLOOP_LOG (directory for batch logs, default a mktemp dir).
# Runs under `nice -n 10`. Exit status 0 iff every batch passed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

usage() {
  echo "usage: scripts/crashloop.sh <minutes> [engine|sql|vfs|all]" >&2
  exit 2
}
[[ $# -ge 1 && $1 =~ ^[0-9]+(\.[0-9]+)?$ ]] || usage
minutes=$1
which=${2:-all}
case $which in engine | sql | vfs | all) ;; *) usage ;; esac

build=${LIGHTNING_BUILD_DIR:-build}
[[ $build = /* ]] || build=$repo/$build
rounds=${CRASHLOOP_ROUNDS:-40}
seed=${LIGHTNING_SEED:-$(date +%s)}
logdir=${CRASHLOOP_LOG:-$(mktemp -d /tmp/crashloop-XXXXXX)}
mkdir -p "$logdir"
python=/usr/bin/python3  # Debian's: its sqlite3 can load extensions

# The binaries are copied at the start, so that a rebuild during a long run
# does not pull a half-linked file from under it.
snapshot() {  # snapshot <built file> -> prints the copy's path
  [[ -f $1 ]] || { echo "missing $1: build first (scripts/build.sh)" >&2; return 1; }
  mkdir -p "$logdir/bin"
  cp -f "$1" "$logdir/bin/" && echo "$logdir/bin/$(basename "$1")"
}
export PYTHONDONTWRITEBYTECODE=1

seconds_for() { awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }'; }

# run_loop <name> <command builder function>: batches until the deadline.
# The builder runs one batch with $batch_seed and sets kills/txns from its log.
run_loop() {
  local name=$1 batch_fn=$2
  local deadline=$(($(date +%s) + $(seconds_for)))
  local batches=0 total_kills=0 total_txns=0 start=$(date +%s)
  echo "crashloop $name: ${minutes} min, first seed $seed, logs in $logdir"
  while (($(date +%s) < deadline)); do
    batch_seed=$((seed + batches))
    local log=$logdir/$name-$batch_seed.log
    kills=0 txns=0
    if ! $batch_fn "$log"; then
      echo "crashloop $name: FAILED in batch $((batches + 1)) (seed $batch_seed); log: $log" >&2
      tail -n 40 "$log" >&2
      return 1
    fi
    batches=$((batches + 1))
    total_kills=$((total_kills + kills))
    total_txns=$((total_txns + txns))
    echo "  batch $batches (seed $batch_seed): $kills kills, $txns transactions verified" \
      "[total $total_kills kills, $total_txns transactions, $(($(date +%s) - start)) s]"
  done
  echo "crashloop $name: PASSED $batches batches, $total_kills kills, $total_txns transactions" \
    "verified in $(($(date +%s) - start)) s"
}

# engine: "[ done ] N kills in S s, T transactions survived" per batch.
engine_batch() {
  LIGHTNING_SEED=$batch_seed LIGHTNING_CRASH_ROUNDS=$rounds nice -n 10 "$engine_bin" >"$1" 2>&1 || return 1
  local done_line
  done_line=$(grep '\[ done' "$1") || return 1
  kills=$(sed -E 's/.*\] ([0-9]+) kills.*/\1/' <<<"$done_line")
  txns=$(sed -E 's/.*, ([0-9]+) transactions survived.*/\1/' <<<"$done_line")
}

# sql: "round r: A batches acknowledged, B batches on disk" per kill.
sql_batch() {
  LIGHTNING_EXT=$sql_ext LIGHTNING_DIFF_SEED=$batch_seed nice -n 10 "$python" -m pytest -q -s \
    -p no:cacheprovider "$repo/tests/python/test_crash.py" >"$1" 2>&1 || return 1
  kills=$(grep -c '^round [0-9]*:' "$1")
  txns=$(grep '^round [0-9]*:' "$1" | tail -n 1 | sed -E 's/.*, ([0-9]+) batches on disk.*/\1/')
  [[ $kills -gt 0 && -n $txns ]]
}

# vfs: "<mode>: N kills, T transactions survive" per journal mode.
vfs_batch() {
  LIGHTNING_VFS_EXT=$vfs_ext LIGHTNING_SEED=$batch_seed LIGHTNING_CRASH_ROUNDS=$rounds \
    nice -n 10 "$python" -m pytest -q -s -p no:cacheprovider "$repo/tests/vfs/test_crash.py" \
    >"$1" 2>&1 || return 1
  kills=$(grep -E '^(delete|wal): [0-9]+ kills' "$1" | sed -E 's/.*: ([0-9]+) kills.*/\1/' |
    awk '{ s += $1 } END { print s + 0 }')
  txns=$(grep -E '^(delete|wal): [0-9]+ kills' "$1" | sed -E 's/.*, ([0-9]+) transactions.*/\1/' |
    awk '{ s += $1 } END { print s + 0 }')
  [[ $kills -gt 0 ]]
}

status=0
for kind in engine sql vfs; do
  [[ $which = all || $which = "$kind" ]] || continue
  case $kind in
    engine) engine_bin=$(snapshot "$build/tests/engine/engine_crash_test") || { status=1; continue; } ;;
    sql) sql_ext=$(snapshot "$build/lightning.so") || { status=1; continue; } ;;
    vfs) vfs_ext=$(snapshot "$build/tests/vfs/lightning_vfs_test.so") || { status=1; continue; } ;;
  esac
  run_loop "$kind" "${kind}_batch" || status=1
done
exit $status
