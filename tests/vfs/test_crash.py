"""Acceptance 2: a writer killed with SIGKILL at random moments.

Each round starts crash_writer.py on the same lightning database, lets it
commit for a random while (kills land in SQLite commits, WAL checkpoints,
mid-transaction cache spills and the engine's own checkpoints, which a
256 KB checkpoint_wal_size makes frequent), kills it with SIGKILL, then opens
the database and checks: PRAGMA integrity_check is ok, every acknowledged
transaction is present, at most the one in flight beyond it, and the meta row
agrees with the data (no transaction half applied). The long
test (label long) makes LIGHTNING_CRASH_ROUNDS rounds per journal mode
(default 40); the short one, in the normal suite, 8 per mode.
"""
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import EXT, connect_lightning

HERE = os.path.dirname(os.path.abspath(__file__))
ROUNDS = int(os.environ.get("LIGHTNING_CRASH_ROUNDS", "40"))


def run_writer_and_kill(path, journal_mode, seed, delay):
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "crash_writer.py"), EXT, path,
                             journal_mode, str(seed)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acked = []

    def reader():
        for line in proc.stdout:
            acked.append(int(line))

    t = threading.Thread(target=reader)
    t.start()
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    t.join()
    err = proc.stderr.read()
    assert proc.returncode == -signal.SIGKILL, f"writer died by itself: {err}"
    return acked[-1] if acked else None


def check(path, last_acked):
    conn = connect_lightning(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        if conn.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'meta'").fetchone()[0] == 0:
            assert last_acked is None  # killed before the schema committed
            return 0
        txns, rows, nbytes = conn.execute("SELECT txns, rows, bytes FROM meta").fetchone()
        assert conn.execute("SELECT coalesce(max(txn), 0), count(DISTINCT txn), count(*),"
                            " coalesce(sum(length(body)), 0) FROM log").fetchone() == (txns, txns, rows, nbytes)
        if last_acked is not None:
            assert last_acked <= txns <= last_acked + 1, (last_acked, txns)
        return txns
    finally:
        conn.close()


def kill_loop(tmp_path, journal_mode, rounds, seed):
    path = str(tmp_path / "crash.db")
    print(f"LIGHTNING_SEED={seed}")
    rng = random.Random(seed)
    committed = 0
    kills_after_commits = 0
    for round_ in range(rounds):
        last = run_writer_and_kill(path, journal_mode, rng.randrange(1 << 30), rng.uniform(0.15, 1.2))
        if last is not None:
            assert last >= committed  # acknowledged ones never vanish
            kills_after_commits += 1
        txns = check(path, last)
        assert txns >= committed, f"round {round_}: {txns} transactions, {committed} before"
        committed = txns
    print(f"{journal_mode}: {rounds} kills, {committed} transactions survive")
    assert kills_after_commits >= rounds // 2


@pytest.mark.parametrize("journal_mode", ["delete", "wal"])
def test_sigkill_short(tmp_path, journal_mode):
    kill_loop(tmp_path, journal_mode, 8, random.randrange(1 << 30))


@pytest.mark.long
@pytest.mark.parametrize("journal_mode", ["delete", "wal"])
def test_sigkill_at_random_moments(tmp_path, journal_mode):
    kill_loop(tmp_path, journal_mode, ROUNDS, int(os.environ.get("LIGHTNING_SEED", "12345")))
