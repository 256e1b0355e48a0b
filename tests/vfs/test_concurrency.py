"""Acceptance 5: connections of one process side by side on one lightning database.

A writer thread commits transfers between accounts (the total never changes)
and appends to a log; reader threads on their own connections check, in every
snapshot, that the total is intact and that the log only grows. WAL mode lets
them run truly side by side; rollback mode makes them take turns through
SQLite's locks (busy_timeout), which must work as well.
"""
import random
import threading
import time

import pytest

from conftest import connect_lightning

ACCOUNTS = 200


def make_db(path, journal_mode):
    conn = connect_lightning(path, compression="lz4", checkpoint_wal_size="512KB")
    assert conn.execute(f"PRAGMA journal_mode={journal_mode}").fetchone() == (journal_mode,)
    conn.execute("CREATE TABLE acct(id INTEGER PRIMARY KEY, balance INT NOT NULL, note TEXT)")
    conn.execute("CREATE TABLE log(seq INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("CREATE INDEX log_body ON log(substr(body, 1, 12))")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO acct VALUES (?, 100, ?)", ((i, "x" * 200) for i in range(ACCOUNTS)))
    conn.execute("COMMIT")
    return conn


@pytest.mark.parametrize("journal_mode", ["wal", "delete"])
def test_writer_and_readers_side_by_side(tmp_path, journal_mode):
    path = str(tmp_path / "shared.db")
    writer = make_db(path, journal_mode)
    writer.execute("PRAGMA busy_timeout=10000")
    duration = 6.0
    stop = time.monotonic() + duration
    errors = []
    commits = [0]
    reads = [0, 0]

    def write():
        rng = random.Random(1)
        try:
            seq = 0
            while time.monotonic() < stop:
                a, b, amount = rng.randrange(ACCOUNTS), rng.randrange(ACCOUNTS), rng.randrange(50)
                writer.execute("BEGIN IMMEDIATE")
                writer.execute("UPDATE acct SET balance = balance - ?, note = ? WHERE id = ?",
                               (amount, "n" * rng.randrange(400), a))
                writer.execute("UPDATE acct SET balance = balance + ? WHERE id = ?", (amount, b))
                for _ in range(rng.randrange(1, 6)):
                    seq += 1
                    writer.execute("INSERT INTO log VALUES (?, ?)", (seq, f"transfer {seq} " * 20))
                writer.execute("COMMIT")
                commits[0] += 1
        except Exception as e:  # noqa: BLE001 — reported below
            errors.append(f"writer: {e!r}")

    def read(index):
        conn = connect_lightning(path)
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA cache_size=8")  # read through the VFS, not SQLite's cache
        last_seq = 0
        try:
            while time.monotonic() < stop:
                conn.execute("BEGIN")
                total, = conn.execute("SELECT sum(balance) FROM acct").fetchone()
                seq, n = conn.execute("SELECT coalesce(max(seq), 0), count(*) FROM log").fetchone()
                conn.execute("COMMIT")
                assert total == 100 * ACCOUNTS, f"snapshot total {total}"
                assert seq == n and seq >= last_seq, f"log went from {last_seq} to {seq} ({n} rows)"
                last_seq = seq
                reads[index] += 1
        except Exception as e:  # noqa: BLE001
            errors.append(f"reader {index}: {e!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert commits[0] > 20 and min(reads) > 20, (commits, reads)
    assert writer.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    writer.close()
    conn = connect_lightning(path)
    assert conn.execute("SELECT sum(balance) FROM acct").fetchone() == (100 * ACCOUNTS,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    print(f"{journal_mode}: {commits[0]} commits, reads {reads}")


def test_wal_reader_keeps_its_snapshot_while_the_writer_commits(tmp_path):
    path = str(tmp_path / "snap.db")
    writer = make_db(path, "wal")
    reader = connect_lightning(path)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM log").fetchone() == (0,)
    for i in range(300):  # enough to trigger WAL checkpoints and engine checkpoints
        writer.execute("INSERT INTO log VALUES (?, ?)", (i + 1, "y" * 3000))
    writer.execute("PRAGMA wal_checkpoint(PASSIVE)")
    assert reader.execute("SELECT count(*) FROM log").fetchone() == (0,)  # still its snapshot
    reader.execute("COMMIT")
    assert reader.execute("SELECT count(*) FROM log").fetchone() == (300,)
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert reader.execute("SELECT count(*), sum(length(body)) FROM log").fetchone() == (300, 900000)
    reader.close()
    writer.close()
