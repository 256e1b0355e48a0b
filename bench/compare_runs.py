#!/usr/bin/env python3
# bench/compare_runs.py: per-run ratios of two engine_bench builds run interleaved
# (base, after, base, after, ...), and their median; a figure whose median ratio
# is below 0.97 (3% worse) is flagged.
# Usage: bench/compare_runs.py base1.json new1.json base2.json new2.json ...
import json, statistics, sys
files = sys.argv[1:]
pairs = [(json.load(open(files[i])), json.load(open(files[i + 1]))) for i in range(0, len(files), 2)]
def fig(doc):
    out = {}
    for r in doc["results"]:
        m = r.get("median") or {}
        if not r.get("ok"): continue
        out[r["workload"]] = m
    return out
rows = {}
for b, n in pairs:
    fb, fn = fig(b), fig(n)
    for w in fb:
        if w not in fn: continue
        for key in ("ops_per_sec", "p99_us"):
            x, y = fb[w].get(key), fn[w].get(key)
            if x and y:
                ratio = y / x if key == "ops_per_sec" else x / y  # >1 = new better
                rows.setdefault((w, key), []).append(ratio)
print(f"{'workload':20} {'figure':12} {'per-run new/base (>1 better)':40} median")
worst = None
for (w, key), rs in rows.items():
    med = statistics.median(rs)
    flag = "  <-- >3% worse" if med < 0.97 else ""
    print(f"{w:20} {key:12} {' '.join(f'{r:.3f}' for r in rs):40} {med:.3f}{flag}")
