"""Stress through SQL (issue 7): several threads, each with its own connection
to one database (so one shared store), mixing transfers inside transactions
with savepoints rolled back or released, snapshot reads that check the total,
and lightning_checkpoint() calls, for a bounded time (LIGHTNING_STRESS_MS,
default 4000). Writers that find the store's writer lock taken past
busy_timeout get SQLITE_BUSY and retry. At the end the total is unchanged,
lightning_check says ok, and a reopened database agrees."""
import os
import random
import sqlite3
import threading
import time

from conftest import connect

ACCOUNTS, INITIAL = 200, 1000
SQLITE_BUSY = 5


def test_threads_and_connections_mixing_everything(tmp_path, ext_path):
    path = str(tmp_path / "bank.db")
    setup = connect(path)
    setup.execute("CREATE VIRTUAL TABLE acct USING lightning(id INTEGER PRIMARY KEY, bal INTEGER NOT NULL, "
                  "note TEXT, busy_timeout=100, checkpoint_wal_size='256KB')")
    setup.execute("BEGIN")
    setup.executemany("INSERT INTO acct VALUES (?, ?, '')", [(i, INITIAL) for i in range(ACCOUNTS)])
    setup.execute("COMMIT")
    deadline = time.monotonic() + int(os.environ.get("LIGHTNING_STRESS_MS", "4000")) / 1000
    seed = int(os.environ.get("LIGHTNING_SEED", "99"))
    counts = {"commits": 0, "busy": 0, "rollbacks": 0, "reads": 0, "checkpoints": 0}
    errors = []
    lock = threading.Lock()

    def bump(key):
        with lock:
            counts[key] += 1

    def writer(n):
        rng = random.Random(seed * 100 + n)
        conn = connect(path, check_same_thread=False)
        while time.monotonic() < deadline and not errors:
            try:
                conn.execute("BEGIN")
                for level in range(rng.randint(1, 3)):
                    conn.execute(f"SAVEPOINT s{level}")
                    a, b, amount = rng.randrange(ACCOUNTS), rng.randrange(ACCOUNTS), rng.randint(1, 50)
                    conn.execute("UPDATE acct SET bal = bal - ?, note = ? WHERE id = ?", (amount, "x" * rng.randint(0, 300), a))
                    conn.execute("UPDATE acct SET bal = bal + ? WHERE id = ?", (amount, b))
                    if rng.random() < 0.3:
                        conn.execute(f"ROLLBACK TO s{level}")
                        bump("rollbacks")
                    elif rng.random() < 0.3:
                        conn.execute(f"RELEASE s{level}")
                if rng.random() < 0.1:
                    conn.execute("ROLLBACK")
                else:
                    conn.execute("COMMIT")
                    bump("commits")
            except sqlite3.OperationalError as e:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if e.sqlite_errorcode & 0xFF != SQLITE_BUSY:
                    errors.append(f"writer {n}: {e} ({e.sqlite_errorname})")
                bump("busy")
        conn.close()

    def reader(n):
        conn = connect(path, check_same_thread=False)
        while time.monotonic() < deadline and not errors:
            total, rows = conn.execute("SELECT sum(bal), count(*) FROM acct").fetchone()
            if (total, rows) != (ACCOUNTS * INITIAL, ACCOUNTS):
                errors.append(f"reader {n}: total {total} over {rows} rows")
            bump("reads")
        conn.close()

    def checkpointer():
        conn = connect(path, check_same_thread=False)
        while time.monotonic() < deadline and not errors:
            try:
                conn.execute("SELECT lightning_checkpoint('acct')").fetchone()
                bump("checkpoints")
            except sqlite3.OperationalError as e:
                if e.sqlite_errorcode & 0xFF != SQLITE_BUSY:
                    errors.append(f"checkpoint: {e}")
            time.sleep(0.05)
        conn.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(3)]
    threads += [threading.Thread(target=reader, args=(i,)) for i in range(2)]
    threads.append(threading.Thread(target=checkpointer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(counts)
    assert not errors, errors[:5]
    assert counts["commits"] > 0 and counts["reads"] > 0
    assert setup.execute("SELECT sum(bal) FROM acct").fetchone() == (ACCOUNTS * INITIAL,)
    assert setup.execute("SELECT problem FROM lightning_check('acct')").fetchall() == [("ok",)]
    setup.close()
    again = connect(path)
    assert again.execute("SELECT sum(bal), count(*) FROM acct").fetchone() == (ACCOUNTS * INITIAL, ACCOUNTS)
    again.close()
