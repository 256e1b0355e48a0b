#!/usr/bin/env python3
# bench/callgrind_ops.py: instructions per operation of engine_bench workloads,
# counted by callgrind, for one or more builds side by side. Instruction counts
# do not depend on the machine's load, so two builds can be compared on a busy
# machine where wall-clock pairs scatter by 20-50%.
#
# USAGE
#   bench/callgrind_ops.py [--num 200000] [--out DIR] BIN [BIN ...]
#     BIN: an engine_bench executable (or LABEL=PATH). The first is the base;
#     the other columns are divided by it.
#
# Each build runs twice under valgrind --tool=callgrind, in one process each
# (--no_fork): fillrandom,readrandom,readseq,mixed_80_20 on one store, then
# durable_1w,fillseq. The figures are the inclusive instruction counts of the
# workload's own function, divided by its operations:
#   fillrandom   Fill() / num                 readrandom  the reader thread / num
#   readseq      FullScans() / num (1 pass)   mixed_80_20 Mixed() minus its closing
#   durable_1w   the writer thread / durable_ops           VerifyAll, / num
#   fillseq      Fill() / num
#   mixed write  (BeginWrite + Put + Commit) / write transactions, in mixed_80_20
#   mixed get    Get / gets, in mixed_80_20
# With --num 200000 a build takes about 5 minutes under callgrind.
#
# IMPLEMENTATION NOTES
#   libhwy's static initializer calls hwy::platform::TimerResolution(), which
#   executes RDTSCP; valgrind 3.19 does not decode it when the CPU's CPUID does
#   not announce it (KVM guests), and the program dies with SIGILL before main.
#   The engine never uses Highway's timers, so a preloaded one-function library
#   (built here with c++) answers that call instead (the call goes through the
#   PLT, so it can be interposed). Highway's dispatch then picks what valgrind
#   announces (AVX2, not AVX-512) for every build alike.
#   The workloads draw keys from fixed seeds, so two builds whose bench/
#   draws the same way do the same operations; a build whose ShuffledOrder
#   differs loads the keys in another order (compare fillrandom with care).
import argparse, os, re, subprocess, sys, tempfile

SHIM = r'''
#include <cstdint>
namespace hwy { namespace platform {
__attribute__((visibility("default"))) uint64_t TimerResolution() { return 1; }
}}
'''


def build_shim(dirname):
    src, ver, so = (os.path.join(dirname, n) for n in ("shim.cc", "shim.map", "hwy_timer_shim.so"))
    open(src, "w").write(SHIM)
    # libhwy's symbols carry the version HWY_0; the interposer must too.
    open(ver, "w").write("HWY_0 { global: _ZN3hwy8platform15TimerResolutionEv; };\n")
    subprocess.run(["c++", "-O2", "-fPIC", "-shared", "-Wl,--version-script=" + ver, "-o", so, src],
                   check=True)
    return so


def run(binary, shim, out, workloads, num, dirname):
    store = tempfile.mkdtemp(prefix="store.", dir=dirname)
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, binary,
           "--engines", "lightning", "--workloads", workloads, "--num", str(num),
           "--min_scan_seconds", "0", "--no_fork", "--dir", store]
    env = dict(os.environ, LD_PRELOAD=shim)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    subprocess.run(["rm", "-rf", store])
    if r.returncode != 0:
        sys.exit(f"callgrind_ops: {' '.join(cmd)} failed (exit {r.returncode}):\n{r.stdout}{r.stderr[-3000:]}")
    return subprocess.run(["callgrind_annotate", "--tree=calling", "--inclusive=yes",
                           "--threshold=100", out], capture_output=True, text=True, check=True).stdout


def block(tree, pattern):
    """The lines of one function's entry: its inclusive cost, then its callees."""
    lines = tree.splitlines()
    for i, line in enumerate(lines):
        if "*  " in line and re.search(pattern, line):
            out = [line]
            for nxt in lines[i + 1:]:
                if not nxt.strip():
                    break
                out.append(nxt)
            return out
    sys.exit(f"callgrind_ops: no function matching {pattern!r} in the profile")


def cost(line):
    return int(line.split()[0].replace(",", ""))


def calls(line):
    m = re.search(r"\(([\d,]+)x\)", line)
    return int(m.group(1).replace(",", "")) if m else 0


def callees(blk, pattern):
    hits = [l for l in blk[1:] if re.search(pattern, l)]
    return sum(cost(l) for l in hits), sum(calls(l) for l in hits)


def measure(core, durable, num, durable_ops):
    r = {}
    r["fillrandom"] = cost(block(core, r"lightning_bench::Fill\(")[0]) / num
    r["readrandom"] = cost(block(core, r"ReadRandom\(.*lambda\(int\)#1\}>::_M_invoke")[0]) / num
    r["readseq (per row)"] = cost(block(core, r"::FullScans\(")[0]) / num
    b = block(core, r"::Mixed\(")
    r["mixed_80_20"] = (cost(b[0]) - callees(b, r"VerifyAll")[0]) / num
    w, _ = callees(b, r"LightningSession::(BeginWrite|Put)\(")
    c, n = callees(b, r"LightningSession::Commit\(")
    r["  mixed: per write transaction"] = (w + c) / n
    g, n = callees(b, r"LightningSession::Get\(")
    r["  mixed: per get"] = g / n
    r["durable_1w"] = cost(block(durable, r"DurableCommits\(.*lambda\(int\)#1\}>::_M_invoke")[0]) / durable_ops
    r["fillseq"] = cost(block(durable, r"lightning_bench::Fill\(")[0]) / num
    return r


def main():
    ap = argparse.ArgumentParser(description="instructions per operation of engine_bench workloads, by callgrind")
    ap.add_argument("--num", type=int, default=200000)
    ap.add_argument("--out", default=None, help="keep the callgrind files here")
    ap.add_argument("builds", nargs="+", help="engine_bench paths, or LABEL=PATH")
    a = ap.parse_args()
    dirname = a.out or tempfile.mkdtemp(prefix="callgrind_ops.")
    os.makedirs(dirname, exist_ok=True)
    shim = build_shim(dirname)
    results = []
    for i, spec in enumerate(a.builds):
        label, _, path = spec.rpartition("=")
        label = label or f"build{i + 1}"
        core = run(path, shim, os.path.join(dirname, f"{label}.core.out"),
                   "fillrandom,readrandom,readseq,mixed_80_20", a.num, dirname)
        dur = run(path, shim, os.path.join(dirname, f"{label}.durable.out"), "durable_1w,fillseq",
                  a.num, dirname)
        results.append((label, measure(core, dur, a.num, 2000)))
        print(f"callgrind_ops: {label} done", file=sys.stderr)
    base = results[0][1]
    head = f"{'instructions per op':34}" + "".join(f"{l:>14}" for l, _ in results)
    head += "".join(f"{l + '/' + results[0][0]:>18}" for l, _ in results[1:])
    print(head)
    for k in base:
        row = f"{k:34}" + "".join(f"{r[k]:>14,.1f}" for _, r in results)
        row += "".join(f"{r[k] / base[k]:>18.4f}" for _, r in results[1:])
        print(row)


if __name__ == "__main__":
    main()
