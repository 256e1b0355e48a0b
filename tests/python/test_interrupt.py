"""Long operations (lightning_checkpoint, lightning_compact, lightning_check,
lightning_bench) stop on sqlite3_interrupt (conn.interrupt(), Ctrl-C in the
shell) or a progress handler returning non-zero, with SQLITE_INTERRUPT; the
store stays valid and complete, no temporary store is left behind, and
lightning_stats shows another connection the operation while it runs."""
import glob
import os
import sqlite3
import threading
import time

import pytest

from conftest import connect

ROWS = 60000
OPERATION_ROWS = ("operation", "operation_stage", "operation_done", "operation_total")


def load(conn, rows=ROWS):
    conn.execute("CREATE VIRTUAL TABLE kv USING lightning(k INTEGER PRIMARY KEY, v)")
    conn.execute(
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
        "INSERT INTO kv SELECT i, randomblob(100) FROM c", (rows,))


def operation(conn):
    rows = dict(conn.execute(
        "SELECT name, value FROM lightning_stats('kv') WHERE name LIKE 'operation%'").fetchall())
    assert tuple(sorted(rows)) == tuple(sorted(OPERATION_ROWS))
    return rows


def assert_intact(conn, rows=ROWS):
    assert conn.execute("SELECT problem FROM lightning_check('kv')").fetchall() == [("ok",)]
    assert conn.execute("SELECT count(*), sum(k) FROM kv").fetchone() == (rows, rows * (rows + 1) // 2)


class Slow:
    """A progress handler that slows its connection down (so that a watcher
    can see the operation) and can be told to stop it."""

    def __init__(self):
        self.calls = 0
        self.stop = False

    def __call__(self):
        self.calls += 1
        time.sleep(0.002)
        return 1 if self.stop else 0


def run_and_watch(tmp_path, sql, interrupt):
    """Runs `sql` on one connection in a thread, slowed by a progress handler;
    a second connection polls lightning_stats until the operation shows, then
    the first is stopped (interrupt=True: conn.interrupt(); False: the progress
    handler returns 1). Returns (error raised, operation rows seen, handler)."""
    path = str(tmp_path / "app.db")
    worker = connect(path, check_same_thread=False)
    watcher = connect(path)
    watcher.execute("SELECT count(*) FROM kv").fetchone()  # the watcher's store is open
    slow = Slow()
    worker.set_progress_handler(slow, 4)
    outcome = {}

    def work():
        try:
            outcome["rows"] = worker.execute(sql).fetchall()
        except sqlite3.Error as e:  # noqa: PERF203
            outcome["error"] = e

    t = threading.Thread(target=work)
    t.start()
    seen = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and t.is_alive():
        op = operation(watcher)
        if op["operation"] is not None and op["operation_stage"] != "starting":
            seen = op
            break
        time.sleep(0.002)
    if interrupt:
        worker.interrupt()
    else:
        slow.stop = True
    t.join(60)
    assert not t.is_alive()
    worker.set_progress_handler(None, 0)
    after = operation(watcher)
    assert all(after[name] is None for name in OPERATION_ROWS), after  # idle again
    watcher.close()
    return worker, outcome, seen, slow


@pytest.fixture
def store(tmp_path, ext_path):
    conn = connect(str(tmp_path / "app.db"))
    load(conn)
    yield conn
    conn.close()


def test_idle_store_has_null_operation_rows(store):
    assert operation(store) == {name: None for name in OPERATION_ROWS}
    units = dict(store.execute(
        "SELECT name, unit FROM lightning_stats('kv') WHERE name LIKE 'operation%'").fetchall())
    assert units == {"operation": "text", "operation_stage": "text",
                     "operation_done": "count", "operation_total": "count"}


@pytest.mark.parametrize("interrupt", [True, False], ids=["interrupt", "progress_handler"])
def test_check_is_watched_then_stopped(tmp_path, store, interrupt):
    worker, outcome, seen, slow = run_and_watch(
        tmp_path, "SELECT * FROM lightning_check('kv')", interrupt)
    assert seen is not None, "the check never showed in lightning_stats"
    assert seen["operation"] == "check" and seen["operation_stage"] == "check pages"
    assert 0 < seen["operation_done"] <= seen["operation_total"]
    assert isinstance(outcome.get("error"), sqlite3.OperationalError), outcome
    assert "interrupted" in str(outcome["error"])
    assert "lightning_check" in str(outcome["error"])
    assert slow.calls > 0
    assert_intact(worker)
    worker.close()


def test_compact_stopped_keeps_every_row(tmp_path, store):
    # The first three quarters go: the last quarter's pages move to the front.
    store.execute("SELECT lightning_checkpoint('kv')")
    store.execute("DELETE FROM kv WHERE k <= ?", (ROWS * 3 // 4,))
    worker, outcome, seen, _ = run_and_watch(tmp_path, "SELECT lightning_compact('kv')", True)
    assert seen is not None and seen["operation"] == "compact"
    assert seen["operation_stage"] in ("write pages", "move extents")
    assert seen["operation_done"] <= seen["operation_total"]
    assert isinstance(outcome.get("error"), sqlite3.OperationalError), outcome
    assert "lightning_compact: " in str(outcome["error"]) and "interrupted" in str(outcome["error"])
    kept = ROWS // 4
    assert worker.execute("SELECT problem FROM lightning_check('kv')").fetchall() == [("ok",)]
    assert worker.execute("SELECT count(*), min(k), max(k) FROM kv").fetchone() == (
        kept, ROWS - kept + 1, ROWS)
    # It runs to the end when left alone, and the data is there after a reopen.
    assert worker.execute("SELECT lightning_compact('kv')").fetchone()[0].startswith("ok: file")
    worker.close()
    store.close()
    again = connect(str(tmp_path / "app.db"))
    assert again.execute("SELECT count(*) FROM kv").fetchone() == (kept,)
    again.close()


def test_checkpoint_stopped_then_completed(tmp_path, store):
    # ~25 MB of dirty pages (below the automatic checkpoint's threshold):
    # some six 4 MiB batches, each a chance to stop.
    store.execute("UPDATE kv SET v = randomblob(400)")
    worker, outcome, seen, _ = run_and_watch(tmp_path, "SELECT lightning_checkpoint('kv')", True)
    assert seen is not None and seen["operation"] == "checkpoint", seen
    assert seen["operation_stage"] == "write pages" and seen["operation_total"] > 0
    assert isinstance(outcome.get("error"), sqlite3.OperationalError), outcome
    assert "lightning_checkpoint: checkpoint interrupted after writing" in str(outcome["error"])
    assert_intact(worker)
    assert worker.execute("SELECT lightning_checkpoint('kv')").fetchone()[0].startswith("ok: ")
    worker.close()


def test_checkpoint_waiting_for_a_writer_is_watched_and_interrupted(tmp_path, store):
    # Another connection's open write transaction holds the store's writer
    # lock: the checkpoint waits (up to busy_timeout), visibly, and stops on
    # an interrupt rather than waiting on.
    store.execute("BEGIN")
    store.execute("INSERT INTO kv VALUES (?, 'x')", (ROWS + 1,))
    start = time.monotonic()
    worker, outcome, seen, _ = run_and_watch(tmp_path, "SELECT lightning_checkpoint('kv')", True)
    assert seen is not None and seen["operation"] == "checkpoint", seen
    assert seen["operation_stage"] == "wait for writer lock"
    assert 0 < seen["operation_done"] <= seen["operation_total"] == 5000  # busy_timeout, ms
    assert isinstance(outcome.get("error"), sqlite3.OperationalError), outcome
    assert "checkpoint interrupted while waiting for a write transaction to end" in str(
        outcome["error"])
    assert outcome["error"].sqlite_errorcode == sqlite3.SQLITE_INTERRUPT
    assert time.monotonic() - start < 5  # not a busy_timeout
    store.execute("COMMIT")
    assert worker.execute("SELECT count(*) FROM kv").fetchone() == (ROWS + 1,)
    worker.close()


def test_progress_handler_is_called_by_the_operation(store):
    # The statement itself calls a handler set every 5 instructions a few
    # times; the compaction's probes (a SELECT 1 of 5 instructions) call it all
    # along: once per extent it moves while the handler's sleep keeps the
    # probes due.
    store.execute("SELECT lightning_checkpoint('kv')")
    store.execute("DELETE FROM kv WHERE k <= ?", (ROWS * 3 // 4,))
    calls = []

    def handler():
        calls.append(1)
        time.sleep(0.002)
        return 0

    store.set_progress_handler(handler, 5)
    assert store.execute("SELECT lightning_compact('kv')").fetchone()[0].startswith("ok: file")
    store.set_progress_handler(None, 0)
    assert len(calls) > 8, len(calls)
    assert store.execute("SELECT problem FROM lightning_check('kv')").fetchall() == [("ok",)]


def test_bench_stopped_leaves_no_temporary_store(tmp_path, db, monkeypatch):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    calls = []

    def handler():
        calls.append(1)
        return 1 if len(calls) > 200 else 0

    db.set_progress_handler(handler, 4)
    start = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="lightning_bench: interrupted during load"):
        db.execute("SELECT * FROM lightning_bench('readrandom', 10000000)").fetchall()
    assert time.monotonic() - start < 30  # 10M keys would take much longer
    db.set_progress_handler(None, 0)
    assert glob.glob(os.path.join(str(tmp), "lightning_bench.*")) == []


def test_bench_readers_stop_too(tmp_path, db, monkeypatch):
    # 64 reader threads make n * 64 gets after a load of n puts: the reading
    # phase lasts many times the load, which a first run measures; the
    # handler stops the second run at three times the load's length.
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    n = 50000
    load = db.execute("SELECT seconds FROM lightning_bench('fillseq', ?)", (n,)).fetchone()[0]
    start = time.monotonic()
    db.set_progress_handler(lambda: 1 if time.monotonic() - start > 3 * load + 0.05 else 0, 4)
    with pytest.raises(sqlite3.OperationalError, match="interrupted during readrandom after"):
        db.execute("SELECT * FROM lightning_bench('readrandom', ?, 100, 64)", (n,)).fetchall()
    db.set_progress_handler(None, 0)
    assert glob.glob(os.path.join(str(tmp), "lightning_bench.*")) == []
