"""Fault injection through SQL (issue 7): the store files behind a lightning
virtual table fail, one I/O call at a time.

A driver process (this file run as a script) is started with
LD_PRELOAD=libfaultshim.so (fault_shim.c), which fails the k-th pwrite,
fdatasync or ftruncate of the store's files. lightning.so itself has no test
hook. For each operation — SQL commits, lightning_checkpoint(), and the first
statements after a crash (recovery) — the driver counts the calls once, then
for every k and every fault (EIO on write, short write, torn write, ENOSPC,
failed fsync, failed ftruncate) runs the operation on a fresh copy of the
database and checks:

  - the statement that met the fault fails with the right SQLite code:
    SQLITE_FULL for ENOSPC, SQLITE_IOERR (any extended code) otherwise —
    SQLITE_CANTOPEN when the fault hits the open (recovery); a later
    statement on the failed store may get SQLITE_READONLY naming the cause.
    No error without a fault;
  - after a crash at that instant (the files copied while the connection is
    open, as kill -9 leaves them) and after closing and reopening, the table
    holds exactly the acknowledged transactions (the failed one at most,
    whole), lightning_check says ok, and a new INSERT works.

Knobs: LIGHTNING_EXT (the module), LIGHTNING_FAULT_SHIM (libfaultshim.so),
LIGHTNING_SEED.
"""
import ctypes
import json
import os
import shutil
import sqlite3
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
EXT = os.environ.get("LIGHTNING_EXT", os.path.join(REPO, "build", "lightning.so"))
SHIM = os.environ.get("LIGHTNING_FAULT_SHIM", os.path.join(REPO, "build", "tests", "fault", "libfaultshim.so"))

SQLITE_IOERR, SQLITE_FULL, SQLITE_READONLY, SQLITE_CANTOPEN = 10, 13, 8, 14
MODES = {1: "fail-write", 2: "short-write", 3: "torn-write", 4: "enospc", 5: "fail-fsync", 6: "fail-truncate"}
STORE = "app.db-lightning"
SCHEMA = "CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v TEXT, b BLOB, checkpoint_wal_size='{wal}')"


def connect(path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(os.path.splitext(EXT)[0])
    conn.enable_load_extension(False)
    return conn


def rows(conn):
    return dict((k, (v, b)) for k, v, b in conn.execute("SELECT k, v, b FROM t"))


def value(k, version, big=False):
    return (f"v{k}.{version}", bytes([(k * 31 + version) % 251]) * (40000 if big else 50 + k % 300))


# Each transaction: a list of (sql, params); a model function applies it to a dict.
def transactions():
    def ins(lo, hi, ver, big_at=None):
        stmts = [("INSERT OR REPLACE INTO t VALUES (?, ?, ?)", (k, *value(k, ver, k == big_at))) for k in range(lo, hi)]
        return stmts, lambda m: m.update({k: value(k, ver, k == big_at) for k in range(lo, hi)})

    def dele(lo, hi):
        return [("DELETE FROM t WHERE k >= ? AND k < ?", (lo, hi))], lambda m: [m.pop(k, None) for k in range(lo, hi)]

    return [ins(1000, 1030, 1), ins(5, 25, 2, big_at=7), dele(100, 140), ins(2000, 2003, 3)]


class Driver:
    def __init__(self, workdir, seed):
        self.dir = workdir
        self.seed = seed
        self.shim = ctypes.CDLL(SHIM)
        self.shim.lt_fault_arm.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_long, ctypes.c_ulonglong]

    def arm(self, mode, k):
        self.shim.lt_fault_arm(STORE.encode(), mode, k, self.seed ^ (k * 7919 + mode))

    def counts(self):
        c = [ctypes.c_long() for _ in range(4)]
        self.shim.lt_fault_counts(*[ctypes.byref(x) for x in c])
        return [x.value for x in c]

    def build_start(self, name, wal_size, crash):
        """The starting database: 300 rows checkpointed, two transactions in the WAL."""
        d = os.path.join(self.dir, name)
        os.makedirs(d)
        script = f"""
import sqlite3, os, sys
conn = sqlite3.connect({os.path.join(d, 'app.db')!r}, isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension({os.path.splitext(EXT)[0]!r})
conn.execute({SCHEMA.format(wal=wal_size)!r})
for base in range(0, 300, 100):
    conn.execute("BEGIN")
    for k in range(base, base + 100):
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (k, f"v{{k}}.0", bytes([(k * 31) % 251]) * (50 + k % 300)))
    conn.execute("COMMIT")
conn.execute("SELECT lightning_checkpoint('t')").fetchall()
for ver in (1, 2):
    conn.execute("UPDATE t SET v = 'v' || k || '.' || ? WHERE k % 3 = ?", (ver, ver))
if {crash!r}:
    os._exit(0)   # no clean close: the next open replays the WAL
conn.close()
"""
        subprocess.run([sys.executable, "-c", script], check=True)  # the shim is not armed there
        if crash:  # and a torn record at the end of the WAL: recovery cuts it (truncate, fsync)
            with open(os.path.join(d, STORE + "-wal"), "ab") as f:
                f.write(bytes([80, 0, 0, 0]) + bytes(range(16, 136)))
        model = {k: (f"v{k}.0", bytes([(k * 31) % 251]) * (50 + k % 300)) for k in range(300)}
        for ver in (1, 2):
            for k in range(300):
                if k % 3 == ver:
                    model[k] = (f"v{k}.{ver}", model[k][1])
        return d, model

    def run_op(self, op, work):
        """Runs `op` in `work`. Returns (acked model steps, failed step or None, error or None, conn)."""
        conn = None
        acked, failed, error = 0, None, None
        self.at_open = True
        txns = transactions()
        try:
            conn = connect(os.path.join(work, "app.db"))
            conn.execute("SELECT count(*) FROM t").fetchone()  # opens the store (recovery)
            self.at_open = False
            for i, (stmts, _) in enumerate(txns):
                if op == "checkpoint" and i in (0, 2):
                    conn.execute("SELECT lightning_checkpoint('t')").fetchall()
                failed = i
                conn.execute("BEGIN")
                for sql, params in stmts:
                    conn.execute(sql, params)
                conn.execute("COMMIT")
                acked, failed = i + 1, None
            if op == "checkpoint":
                conn.execute("SELECT lightning_checkpoint('t')").fetchall()
        except sqlite3.Error as e:
            error = e
            if conn is not None and conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
        return acked, failed, error, conn

    def verify(self, work, start_model, acked, failed, ctx):
        txns = transactions()
        model = dict(start_model)
        for _, apply in txns[:acked]:
            apply(model)
        allowed = [model]
        if failed is not None:
            maybe = dict(model)
            txns[failed][1](maybe)
            allowed.append(maybe)
        conn = connect(os.path.join(work, "app.db"))
        try:
            got = rows(conn)
            if got not in allowed:
                return f"{ctx}: {len(got)} rows, expected {[len(a) for a in allowed]} (acked {acked}, failed {failed})"
            check = conn.execute("SELECT problem FROM lightning_check('t')").fetchall()
            if check != [("ok",)]:
                return f"{ctx}: lightning_check: {check}"
            conn.execute("INSERT INTO t VALUES (999999, 'after', NULL)")
        except sqlite3.Error as e:
            return f"{ctx}: reopen: {e} ({getattr(e, 'sqlite_errorname', '?')})"
        finally:
            conn.close()
        return None

    def scenario(self, op):
        start, model = self.build_start(op, "64KB" if op == "recovery" else "64MB", op == "recovery")
        work = os.path.join(self.dir, op + "-work")
        crash = os.path.join(self.dir, op + "-crash")

        def fresh():
            for d in (work, crash):
                shutil.rmtree(d, ignore_errors=True)
            shutil.copytree(start, work)

        fresh()
        self.arm(0, 0)
        acked, failed, error, conn = self.run_op(op, work)
        writes, syncs, truncates, _ = self.counts()
        self.arm(0, 0)
        if conn:
            conn.close()
        problems = [] if error is None else [f"{op}: error without a fault: {error}"]
        points = reported = deferred = harmless = 0
        codes = {}  # "mode: SQLITE_..." -> count
        examples = {}  # ... -> the first message
        plan = [(m, writes) for m in (1, 2, 3, 4)] + [(5, syncs), (6, truncates)]
        for mode, n in plan:
            for k in range(1, n + 1):
                fresh()
                ctx = f"{op} {MODES[mode]} at {k}"
                self.arm(mode, k)
                acked, failed, error, conn = self.run_op(op, work)
                fired = self.counts()[3]
                self.arm(0, 0)
                points += 1
                if error is None and fired and conn is not None:
                    # Nobody was told (a checkpoint after a durable commit):
                    # the next statement reports it, or the fault was harmless.
                    try:
                        conn.execute("INSERT INTO t VALUES (999998, 'probe', NULL)")
                        conn.execute("DELETE FROM t WHERE k = 999998")  # out of the comparison
                        harmless += 1
                        print(f"harmless: {ctx}", file=sys.stderr)
                    except sqlite3.Error as e:
                        deferred += 1
                        if e.sqlite_errorcode & 0xFF not in (SQLITE_IOERR, SQLITE_FULL, SQLITE_READONLY):
                            problems.append(f"{ctx}: deferred error {e.sqlite_errorname} ({e})")
                elif error is not None:
                    key = f"{MODES[mode]}: {error.sqlite_errorname}"
                    codes[key] = codes.get(key, 0) + 1
                    examples.setdefault(key, str(error))
                    code = error.sqlite_errorcode & 0xFF
                    want = SQLITE_FULL if mode == 4 else SQLITE_IOERR
                    if not fired:
                        problems.append(f"{ctx}: error without a fault: {error}")
                    elif code != want and not (code == SQLITE_READONLY and ("NoSpace" in str(error) or "IOError" in str(error))) \
                            and not (self.at_open and code == SQLITE_CANTOPEN and mode != 4):
                        problems.append(f"{ctx}: {error.sqlite_errorname} ({error}), expected "
                                        f"{'SQLITE_FULL' if mode == 4 else 'SQLITE_IOERR*'}")
                    else:
                        reported += 1
                # kill -9 now: the files as the process leaves them.
                shutil.copytree(work, crash)
                if conn is not None:
                    conn.close()
                problems.append(self.verify(crash, model, acked, failed, ctx + ", crash"))
                problems.append(self.verify(work, model, acked, failed, ctx + ", reopen"))
        problems = [p for p in problems if p]
        print(json.dumps({"op": op, "writes": writes, "syncs": syncs, "truncates": truncates,
                          "points": points, "reported": reported, "deferred": deferred,
                          "harmless": harmless, "codes": codes,
                          "examples": examples, "problems": problems}), flush=True)


def test_sql_faults(tmp_path):
    assert os.path.exists(EXT), f"{EXT} not built (set LIGHTNING_EXT)"
    assert os.path.exists(SHIM), f"{SHIM} not built (set LIGHTNING_FAULT_SHIM)"
    env = dict(os.environ)
    env["LD_PRELOAD"] = ":".join(p for p in (env.get("LD_PRELOAD"), SHIM) if p)
    seed = os.environ.get("LIGHTNING_SEED", "20261124")
    proc = subprocess.run([sys.executable, __file__, str(tmp_path), seed], env=env,
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-4000:]
    total = 0
    failures = []
    for line in proc.stdout.splitlines():
        r = json.loads(line)
        total += r["points"]
        print(f"{r['op']}: {r['writes']} writes, {r['syncs']} syncs, {r['truncates']} truncates -> "
              f"{r['points']} injection points: {r['reported']} reported, {r['deferred']} deferred, "
              f"{r['harmless']} harmless; errors seen: {r['codes']}")
        for key, message in r["examples"].items():
            print(f"  {key}: {message}")
        failures += r["problems"]
    print(f"SQL fault injection: {total} injection points visited")
    assert total > 0
    assert not failures, "\n".join(failures[:20])


if __name__ == "__main__":
    driver = Driver(sys.argv[1], int(sys.argv[2]))
    for op in ("commit", "checkpoint", "recovery"):
        driver.scenario(op)
