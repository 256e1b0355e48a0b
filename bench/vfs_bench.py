#!/usr/bin/python3
"""The VFS benchmark: file size and a mixed SQL workload, default VFS vs lightning.

usage: bench/vfs_bench.py --ext build/lightning.so --bench build/bench/vfs_bench
                          [--dir /var/tmp/lightning-vfs-bench] [--reps 5] [--ops 40000]
                          [--configs mixed-wal,mixed-delete,batch-wal,read-only]
                          [--contenders plain,zstd,lz4]

The write-heavy configs (write-heavy-wal, write-heavy-delete: vfs_bench --workload write_heavy,
issue 18 item 6) build a new database in every run instead (--ops rows; contender `none` is the
VFS with its default compression, none) and need no text database.

1. Builds the text-heavy database with bench/make_text_db.py (once, ~115 MiB).
2. Makes the contenders with VACUUM INTO, the conversion users run:
     plain.db   VACUUM INTO 'plain.db'                              (default VFS)
     zstd.db    VACUUM INTO 'file:zstd.db?vfs=lightning&compression=zstd'
     lz4.db     VACUUM INTO 'file:lz4.db?vfs=lightning&compression=lz4'
   and reports their sizes on disk (all of a database's files).
3. Runs bench/vfs_bench.cc on fresh copies, contenders interleaved within each
   repetition (so that machine noise hits all alike), and reports the median
   time per contender and its ratio to the default VFS. Timed: --ops operations
   after a warm-up (2x --ops, except the cold config), and closing the database.

The directory must be on a real disk (fsync costs are part of the result).
Prints a markdown report (for bench/RESULTS.md, "The lightning VFS") and writes it with the raw
runs as JSON next to the databases.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

CONFIGS = {
    # name: (vfs_bench arguments, warm-up ops as a multiple of --ops, description)
    "mixed-wal": (["--journal", "wal", "--synchronous", "normal"], 2,
                  "the mix (70% reads, 30% writes), WAL, synchronous=NORMAL, each op its own transaction"),
    "batch-wal": (["--journal", "wal", "--synchronous", "normal", "--batch", "50"], 2,
                  "the mix, WAL, synchronous=NORMAL, 50 ops per transaction (CPU-bound: few fsyncs)"),
    "read-mostly-wal": (["--journal", "wal", "--synchronous", "normal", "--read_mostly"], 2,
                        "90% reads, 10% writes, WAL, synchronous=NORMAL, each op its own transaction"),
    "read-only": (["--journal", "wal", "--synchronous", "normal", "--read_only"], 2,
                  "the reads of the mix only, caches warm"),
    "read-only-cold": (["--journal", "wal", "--synchronous", "normal", "--read_only"], 0,
                       "the reads of the mix only, in a fresh process with no warm-up: the store's cache"
                       " starts empty (the OS cache holds both files)"),
    "mixed-delete": (["--journal", "delete", "--synchronous", "full"], 1,
                     "the mix, rollback journal, synchronous=FULL (SQLite's defaults), each op its own"
                     " transaction (fsync-bound)"),
    "write-heavy-wal": (["--workload", "write_heavy", "--journal", "wal", "--synchronous", "normal",
                         "--batch", "100"], 0,
                        "a new database: --ops unordered inserts into an indexed table, ops/2 updates,"
                        " ops/4 deletes, VACUUM; 100 statements per transaction; WAL, synchronous=NORMAL"),
    "write-heavy-delete": (["--workload", "write_heavy", "--journal", "delete", "--synchronous", "full",
                            "--batch", "100"], 0,
                           "the same in rollback-journal mode, synchronous=FULL"),
}

# contender -> URI suffix of a new database (write-heavy configs)
CREATE = {"plain": "", "none": "?vfs=lightning", "zstd": "?vfs=lightning&compression=zstd",
          "lz4": "?vfs=lightning&compression=lz4"}


def files_of(path):
    d, base = os.path.split(path)
    return [os.path.join(d, f) for f in os.listdir(d) if f == base or f.startswith(base + "-")]


def size_on_disk(path):
    return sum(os.path.getsize(f) for f in files_of(path))


def remove_db(path):
    for f in files_of(path):
        os.remove(f)


def shell(ext, sql, db=":memory:"):
    subprocess.run(["sqlite3", db, f".load {os.path.splitext(ext)[0]}", sql], check=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ext", required=True, help="lightning.so (or any module registering the VFS)")
    p.add_argument("--bench", required=True, help="the vfs_bench binary")
    p.add_argument("--dir", default="/var/tmp/lightning-vfs-bench")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--ops", type=int, default=40000)
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--contenders", default="plain,zstd,lz4")
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    source = os.path.join(a.dir, "text.db")
    configs = a.configs.split(",")
    text_needed = any(not c.startswith("write-heavy") for c in configs)
    if text_needed and not os.path.exists(source):
        subprocess.run([sys.executable, os.path.join(HERE, "make_text_db.py"), source], check=True)

    # contender -> (pristine file, URI suffix for the runs)
    contenders = {
        "plain": ("plain.db", ""),
        "zstd": ("zstd.db", "?vfs=lightning"),
        "zstd-64MB": ("zstd.db", "?vfs=lightning&cache_size=64MB"),
        "zstd-bg64": ("zstd.db", "?vfs=lightning&background_checkpoint=64MB"),
        "lz4": ("lz4.db", "?vfs=lightning"),
        "none": ("none.db", "?vfs=lightning"),
    }
    contenders = {k: v for k, v in contenders.items() if k in a.contenders.split(",")}
    report = {"sizes": {}, "conversion_seconds": {}, "runs": {}}
    for name, target in [] if not text_needed else [("plain.db", "plain.db"),
                         ("zstd.db", "file:zstd.db?vfs=lightning&compression=zstd"),
                         ("lz4.db", "file:lz4.db?vfs=lightning&compression=lz4")]:
        path = os.path.join(a.dir, name)
        remove_db(path)
        t0 = time.monotonic()
        shell(a.ext, f"VACUUM INTO '{target.replace(name, path)}'", db=source)
        report["conversion_seconds"][name] = round(time.monotonic() - t0, 2)
        report["sizes"][name] = size_on_disk(path)

    for config in configs:
        args, warmup, _ = CONFIGS[config]
        ops = a.ops if config != "mixed-delete" else max(2000, a.ops // 10)  # fsync-bound: slow
        runs = {c: [] for c in contenders}
        for rep in range(a.reps):
            for c, (pristine, suffix) in contenders.items():
                run_path = os.path.join(a.dir, "run-" + pristine)
                remove_db(run_path)
                if config.startswith("write-heavy"):
                    suffix = CREATE[c]  # a new database, created with the contender's options
                else:
                    for f in files_of(os.path.join(a.dir, pristine)):
                        shutil.copyfile(f, run_path + f[len(os.path.join(a.dir, pristine)):])
                out = subprocess.run([a.bench, "--uri", f"file:{run_path}{suffix}", "--ext", a.ext,
                                      "--ops", str(ops), "--warmup", str(ops * warmup), "--seed", str(rep + 1)]
                                     + args, check=True, capture_output=True, text=True).stdout
                result = json.loads(out)
                runs[c].append(result)
                print(f"{config} rep {rep + 1} {c}: {result['seconds']:.3f} s", file=sys.stderr)
            checksums = {runs[c][-1]["checksum"] for c in contenders}
            assert len(checksums) == 1, f"contenders read different data: {checksums}"
        report["runs"][config] = runs

    lines = []
    if report["sizes"]:
        lines = ["| file | bytes on disk | vs default VFS | VACUUM INTO seconds |", "|---|---:|---:|---:|"]
        base = report["sizes"]["plain.db"]
        for name, size in report["sizes"].items():
            lines.append(f"| {name} | {size:,} | {size / base:.3f} | {report['conversion_seconds'][name]} |")
    lines += ["", "Median seconds (ratio of medians to the default VFS's, and median of the per-run ratios); in brackets, the part spent closing the"
              " database (the store's final checkpoint compresses what the run wrote) and the CPU seconds.",
              "", "| workload | ops | " + " | ".join(f"{c}" for c in contenders) + " |",
              "|---|---:|" + "---:|" * len(contenders)]
    for config, runs in report["runs"].items():
        def med(c, key):
            return statistics.median(r[key] for r in runs[c])
        def ratio(c):  # median of the per-run ratios (runs of one repetition are interleaved)
            return statistics.median(r["seconds"] / p["seconds"] for r, p in zip(runs[c], runs["plain"]))
        cells = [f"{med(c, 'seconds'):.3f} ({med(c, 'seconds') / med('plain', 'seconds'):.2f}x, per run {ratio(c):.2f}x) "
                 f"[close {med(c, 'close_seconds'):.2f}, cpu {med(c, 'cpu_seconds'):.2f}]" for c in contenders]
        lines.append(f"| {config} | {runs['plain'][0]['ops']} | " + " | ".join(cells) + " |")
    lines.append("")
    for config in report["runs"]:
        lines.append(f"- {config}: {CONFIGS[config][2]}")
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(a.dir, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(a.dir, "report.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
