"""The writer of test_crash.py: commits numbered transactions until killed.

usage: crash_writer.py EXT DB JOURNAL_MODE SEED

Prints each transaction number after COMMIT returns (an acknowledged commit).
Transaction k inserts rows (txn=k) into log, rewrites some older rows in place
(same lengths), churns the churn table, and updates meta so that
meta = (k, count(log), sum(length(log.body))) holds in every committed state.
"""
import os
import random
import sqlite3
import sys

ext, path, journal_mode, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
boot = sqlite3.connect(":memory:")
boot.enable_load_extension(True)
boot.load_extension(os.path.splitext(ext)[0])
conn = sqlite3.connect(f"file:{path}?vfs=lightning&compression=zstd&checkpoint_wal_size=256KB",
                       uri=True, isolation_level=None)
conn.execute("PRAGMA busy_timeout=5000")
conn.execute(f"PRAGMA journal_mode={journal_mode}")
conn.execute("PRAGMA cache_size=20")  # spill dirty pages to the file mid-transaction
conn.execute("PRAGMA wal_autocheckpoint=64")
conn.execute("BEGIN IMMEDIATE")
conn.execute("CREATE TABLE IF NOT EXISTS log(txn INT, part INT, body TEXT, PRIMARY KEY(txn, part))")
conn.execute("CREATE INDEX IF NOT EXISTS log_body ON log(substr(body, 1, 10))")
conn.execute("CREATE TABLE IF NOT EXISTS churn(id INTEGER PRIMARY KEY, v TEXT)")
conn.execute("CREATE INDEX IF NOT EXISTS churn_v ON churn(v)")
conn.execute("CREATE TABLE IF NOT EXISTS meta(id INTEGER PRIMARY KEY, txns INT, rows INT, bytes INT)")
conn.execute("INSERT OR IGNORE INTO meta VALUES (1, 0, 0, 0)")
conn.execute("COMMIT")
rng = random.Random(seed)
k = conn.execute("SELECT txns FROM meta").fetchone()[0]
while True:
    k += 1
    parts = rng.choice((1, 1, 1, 3, 40, 250))
    bodies = [f"txn {k} part {p} " + "".join(rng.choice("abcdefgh ") for _ in range(rng.choice((20, 400, 3000))))
              for p in range(parts)]
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO log VALUES (?, ?, ?)", ((k, p, b) for p, b in enumerate(bodies)))
    for _ in range(rng.randrange(3)):
        old = rng.randrange(1, k + 1)
        conn.execute("UPDATE log SET body = upper(body) WHERE txn = ?", (old,))
    conn.execute("DELETE FROM churn WHERE id % 13 = ?", (rng.randrange(13),))
    conn.executemany("INSERT INTO churn(v) VALUES (?)", ((str(rng.random()) * 30,) for _ in range(rng.randrange(30))))
    conn.execute("UPDATE meta SET txns = ?, rows = rows + ?, bytes = bytes + ? WHERE id = 1",
                 (k, parts, sum(len(b) for b in bodies)))
    conn.execute("COMMIT")
    print(k, flush=True)
