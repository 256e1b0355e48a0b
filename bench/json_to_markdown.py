#!/usr/bin/env python3
"""Turns a JSON report of engine_bench or sql_bench into Markdown tables.

USAGE
  python3 bench/json_to_markdown.py bench/results/full-2026-11-23.json > tables.md

Prints: the ops/s matrix (workload x engine, medians), a latency table for the
workloads that time every operation, file sizes and peak RSS, and the goals
with their verdicts. Only figures present in the JSON are printed; a missing
or failed cell says so.
"""
import json
import sys


def fmt_int(v):
    return "-" if v is None else f"{v:,.0f}"


def fmt_us(v):
    if v is None:
        return "-"
    return f"{v:.2f}" if v < 100 else f"{v:,.0f}"


def fmt_mib(v):
    return "-" if v is None else f"{v / 1048576:.1f}"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        report = json.load(f)
    results = report["results"]
    engines, workloads = [], []
    cell = {}
    for r in results:
        if r["engine"] not in engines:
            engines.append(r["engine"])
        if r["workload"] not in workloads:
            workloads.append(r["workload"])
        cell[(r["workload"], r["engine"])] = r

    def row_cells(w, value):
        out = []
        for e in engines:
            r = cell.get((w, e))
            if r is None:
                out.append("")
            elif not r["ok"]:
                out.append("FAILED")
            else:
                out.append(value(r["median"]))
        return out

    print("| ops/s (median) | " + " | ".join(engines) + " |")
    print("|---|" + "---:|" * len(engines))
    for w in workloads:
        print(f"| {w} | " + " | ".join(row_cells(w, lambda m: fmt_int(m.get("ops_per_sec")))) + " |")

    timed = [w for w in workloads
             if any(cell.get((w, e), {}).get("median", {}).get("p99_us") is not None for e in engines)]
    if timed:
        print()
        print("| latency p50 / p99 / p99.9 (us) | " + " | ".join(engines) + " |")
        print("|---|" + "---:|" * len(engines))
        for w in timed:
            print(f"| {w} | " + " | ".join(row_cells(
                w, lambda m: f"{fmt_us(m.get('p50_us'))} / {fmt_us(m.get('p99_us'))} / {fmt_us(m.get('p999_us'))}"))
                + " |")

    sized = [w for w in workloads
             if any(cell.get((w, e), {}).get("median", {}).get("file_bytes") is not None for e in engines)]
    if sized:
        print()
        print("| file MiB / peak RSS MiB | " + " | ".join(engines) + " |")
        print("|---|" + "---:|" * len(engines))
        for w in sized:
            print(f"| {w} | " + " | ".join(row_cells(
                w, lambda m: f"{fmt_mib(m.get('file_bytes'))} / {fmt_mib(m.get('peak_rss_bytes'))}")) + " |")

    mbps = [w for w in workloads if w in ("read1m_view", "fill1m", "readrandom4k", "fill4k")]
    if mbps:
        print()
        print("| MB/s (10^6 bytes/s) | " + " | ".join(engines) + " |")
        print("|---|" + "---:|" * len(engines))
        for w in mbps:
            print(f"| {w} | " + " | ".join(row_cells(w, lambda m: fmt_int(m.get("mb_per_sec")))) + " |")

    if report.get("goals"):
        print()
        print("| goal | measured | verdict |")
        print("|---|---|---|")
        for g in report["goals"]:
            print(f"| {g['goal']} | {g['measured'] or '-'} | {g['verdict']} |")


if __name__ == "__main__":
    main()
