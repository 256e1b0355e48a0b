"""Acceptance 1: one randomized SQL workload on the default VFS and on lightning.

Tables with indexes (rowid and WITHOUT ROWID), inserts with overflow-sized
values, updates, deletes, upserts, savepoints, rollbacks, index churn, VACUUM,
checkpoints and reopens — the same statements on both databases; every query
result must be identical, and PRAGMA integrity_check must say ok on the
lightning database at the end. Run in rollback-journal and WAL modes, with a
tiny SQLite page cache so that pages really go through the VFS (and spill to
the file in the middle of transactions). LIGHTNING_SEED repeats a run.
"""
import os
import random

import pytest

from conftest import connect_lightning, connect_plain

SCHEMA = [
    "CREATE TABLE t1(id INTEGER PRIMARY KEY, a INT, b TEXT, c REAL, d BLOB)",
    "CREATE INDEX t1_a ON t1(a)",
    "CREATE INDEX t1_bc ON t1(substr(b, 1, 8), c)",
    "CREATE TABLE t2(k TEXT PRIMARY KEY, v INT, w TEXT) WITHOUT ROWID",
    "CREATE INDEX t2_v ON t2(v)",
]

QUERIES = [
    ("SELECT id, a, length(b), substr(b, 1, 30), c, hex(substr(d, 1, 16)) FROM t1"
     " WHERE a BETWEEN ? AND ? ORDER BY id", 2),
    ("SELECT count(*), sum(a), total(c), sum(length(b)), sum(length(d)) FROM t1", 0),
    ("SELECT a, count(*) FROM t1 GROUP BY a ORDER BY a LIMIT 40", 0),
    ("SELECT k, v, length(w) FROM t2 WHERE v > ? ORDER BY v, k LIMIT 60", 1),
    ("SELECT count(*), sum(v) FROM t2", 0),
    ("SELECT t1.id, t2.k FROM t1 JOIN t2 ON t2.v = t1.a WHERE t1.id % 7 = ? ORDER BY 1, 2 LIMIT 80", 1),
]


def text(rng, n):
    words = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india")
    out = []
    while sum(len(w) + 1 for w in out) < n:
        out.append(rng.choice(words) + str(rng.randrange(1000)))
    return " ".join(out)[:n]


class Workload:
    def __init__(self, seed, ops):
        self.rng = random.Random(seed)
        self.ops = ops
        self.next_id = 1

    def row(self):
        rng = self.rng
        size = rng.choice((0, 10, 100, 700, 2500, 6000))  # 6000 > page: overflow chain
        return (self.next_id, rng.randrange(-50, 200), text(rng, size), rng.random() * 1e6,
                rng.randbytes(rng.choice((0, 8, 300, 5000))))

    def statements(self):
        """Yields (kind, sql, params) — kind: 'exec', 'many', 'query', 'vacuum', 'reopen', 'ckpt'."""
        rng = self.rng
        in_txn = False
        savepoints = 0
        for _ in range(self.ops):
            r = rng.random()
            if r < 0.22:
                rows = []
                for _ in range(rng.randrange(1, 40)):
                    rows.append(self.row())
                    self.next_id += rng.randrange(1, 4)
                yield "many", "INSERT INTO t1 VALUES (?, ?, ?, ?, ?)", rows
            elif r < 0.32:
                lo = rng.randrange(self.next_id + 1)
                yield "exec", "UPDATE t1 SET b = ?, a = a + ?, c = c / 2 WHERE id BETWEEN ? AND ?", (
                    text(rng, rng.choice((5, 300, 4500))), rng.randrange(-3, 4), lo, lo + rng.randrange(60))
            elif r < 0.38:
                yield "exec", "DELETE FROM t1 WHERE a % ? = ?", (rng.randrange(5, 40), rng.randrange(5))
            elif r < 0.42:
                lo = rng.randrange(self.next_id + 1)
                yield "exec", "DELETE FROM t1 WHERE id BETWEEN ? AND ?", (lo, lo + rng.randrange(200))
            elif r < 0.52:
                rows = [(f"k{rng.randrange(3000):05d}", rng.randrange(200), text(rng, rng.choice((3, 200, 1500))))
                        for _ in range(rng.randrange(1, 30))]
                yield "many", ("INSERT INTO t2(k, v, w) VALUES (?, ?, ?) ON CONFLICT(k) DO UPDATE"
                               " SET v = v + excluded.v, w = excluded.w"), rows
            elif r < 0.55:
                yield "exec", "DELETE FROM t2 WHERE v BETWEEN ? AND ?", (lambda x: (x, x + 10))(rng.randrange(200))
            elif r < 0.61 and not in_txn:
                in_txn = True
                yield "exec", "BEGIN", ()
            elif r < 0.66 and in_txn:
                in_txn = False
                savepoints = 0
                yield "exec", rng.choice(("COMMIT", "COMMIT", "ROLLBACK")), ()
            elif r < 0.69 and in_txn:
                savepoints += 1
                yield "exec", f"SAVEPOINT s{savepoints}", ()
            elif r < 0.71 and in_txn and savepoints:
                yield "exec", rng.choice((f"ROLLBACK TO s{savepoints}", f"RELEASE s{savepoints}")), ()
                savepoints -= 1
            elif r < 0.72 and not in_txn:
                yield "exec", rng.choice(("DROP INDEX IF EXISTS t1_a", "CREATE INDEX IF NOT EXISTS t1_a ON t1(a)",
                                          "CREATE INDEX IF NOT EXISTS t2_w ON t2(w)", "DROP INDEX IF EXISTS t2_w")), ()
            elif r < 0.73 and not in_txn:
                yield "vacuum", "VACUUM", ()
            elif r < 0.74 and not in_txn:
                yield "reopen", None, ()
            elif r < 0.75 and not in_txn:
                yield "ckpt", None, ()
            else:
                sql, nparams = rng.choice(QUERIES)
                params = tuple(sorted(rng.randrange(-60, 220) for _ in range(nparams)))
                yield "query", sql, params
        if in_txn:
            yield "exec", "COMMIT", ()


def open_pair(tmp_path, journal_mode, page_size):
    plain = connect_plain(str(tmp_path / "plain.db"))
    light = connect_lightning(str(tmp_path / "light.db"), compression="zstd",
                              checkpoint_wal_size="256KB", cache_size="2MB")
    for conn in (plain, light):
        conn.execute(f"PRAGMA page_size={page_size}")
        assert conn.execute(f"PRAGMA journal_mode={journal_mode}").fetchone() == (journal_mode,)
        conn.execute("PRAGMA cache_size=16")  # pages: SQLite keeps almost nothing
        conn.execute("PRAGMA wal_autocheckpoint=50")
    return plain, light


@pytest.mark.parametrize("journal_mode,page_size", [("delete", 4096), ("wal", 4096),
                                                    ("truncate", 1024), ("wal", 8192)])
def test_same_results_as_the_default_vfs(tmp_path, journal_mode, page_size):
    seed = int(os.environ.get("LIGHTNING_SEED", random.randrange(1 << 30)))
    print(f"LIGHTNING_SEED={seed}")
    plain, light = open_pair(tmp_path, journal_mode, page_size)
    for conn in (plain, light):
        for sql in SCHEMA:
            conn.execute(sql)
    reader = connect_lightning(str(tmp_path / "light.db")) if journal_mode == "wal" else None
    queries = 0
    for step, (kind, sql, params) in enumerate(Workload(seed, 1500).statements()):
        where = f"seed {seed} step {step}: {sql} {str(params)[:80]}"
        if kind == "reopen":
            plain.close()
            light.close()
            plain, light = open_pair(tmp_path, journal_mode, page_size)
            continue
        if kind == "ckpt":
            if journal_mode == "wal":
                for conn in (plain, light):
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            continue
        results = []
        for conn in (plain, light):
            if kind == "many":
                conn.executemany(sql, params)
            else:
                results.append(conn.execute(sql, params).fetchall())
        if kind == "query":
            queries += 1
            assert results[0] == results[1], where
            if reader is not None and light.in_transaction is False:
                assert reader.execute(sql, params).fetchall() == results[0], "reader: " + where
    dump = "SELECT * FROM t1 ORDER BY id"
    assert plain.execute(dump).fetchall() == light.execute(dump).fetchall()
    dump = "SELECT * FROM t2 ORDER BY k"
    assert plain.execute(dump).fetchall() == light.execute(dump).fetchall()
    assert light.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert queries > 100
    if reader is not None:
        reader.close()
    plain.close()
    light.close()
    light = connect_lightning(str(tmp_path / "light.db"))
    assert light.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    light.close()
