"""Concurrent writers through SQL: alias tables in each connection's temp schema.

`CREATE VIRTUAL TABLE temp.t USING lightning(alias='main')` gives a connection a
second name for main.t that lives in its own temp schema, so writing it takes
temp's write lock (private) instead of main's (shared): writers of several
connections meet only in the engine (one writer at a time, commits sharing
fsyncs). See docs/vtab.md, "Concurrent writers".
"""
import sqlite3
import threading
import time

import pytest

from conftest import connect

SQLITE_BUSY = 5


def open_conn(path, alias=True, timeout_ms=None):
    conn = connect(str(path), check_same_thread=False)
    if timeout_ms is not None:
        conn.execute(f"PRAGMA busy_timeout={timeout_ms}")
    if alias:
        conn.execute("CREATE VIRTUAL TABLE temp.t USING lightning(alias='main')")
    return conn


@pytest.fixture
def app(tmp_path, ext_path):
    """A WAL database with lightning table t and native table n; its path."""
    conn = connect(str(tmp_path / "app.db"))
    assert conn.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    conn.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v TEXT, busy_timeout=200)")
    conn.execute("CREATE TABLE n(k INTEGER PRIMARY KEY, v TEXT)")
    conn.close()
    return tmp_path / "app.db"


def count(conn, table):
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_without_alias_an_open_lightning_transaction_locks_main(app):
    # The problem aliases solve: main.t is written under main's write lock.
    a, b = open_conn(app, alias=False), open_conn(app, alias=False)
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (1, 'a')")
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        b.execute("INSERT INTO n VALUES (1, 'b')")
    a.execute("COMMIT")


def test_alias_writes_do_not_take_mains_write_lock(app):
    a, b = open_conn(app), open_conn(app)
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (1, 'a')")
    b.execute("INSERT INTO n VALUES (1, 'b')")  # main is free
    b.execute("BEGIN")
    b.execute("INSERT INTO n VALUES (2, 'b')")
    b.execute("COMMIT")
    a.execute("COMMIT")
    assert a.execute("SELECT k, v FROM main.t").fetchall() == [(1, "a")]
    assert count(a, "n") == 2


def test_four_connections_insert_concurrently(app):
    threads, rows_each = 4, 150
    conns = [open_conn(app) for _ in range(threads)]
    conns[0].execute("SELECT lightning_stats_reset('t')")
    errors = []

    def work(i):
        try:
            for j in range(rows_each):
                conns[i].execute("INSERT INTO t VALUES (?, ?)", (i * rows_each + j, f"w{i}"))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for x in ts:
        x.start()
    for x in ts:
        x.join()
    assert errors == []
    check = open_conn(app, alias=False)
    assert check.execute("SELECT k FROM t ORDER BY k").fetchall() == [(k,) for k in range(threads * rows_each)]
    for i in range(threads):
        assert check.execute("SELECT count(*) FROM t WHERE v = ?", (f"w{i}",)).fetchone() == (rows_each,)
    stats = dict(check.execute("SELECT name, value FROM lightning_stats('t') WHERE tree IS NULL").fetchall())
    assert stats["commits"] == threads * rows_each
    # Commits from different connections shared fsyncs (group commit): with
    # main's write lock in the way, every commit had its own. Only where an
    # fsync takes time (not on tmpfs), since that is when commits can overlap.
    fsync_p50 = check.execute("SELECT p50_us FROM lightning_latency('t') WHERE operation = 'fsync'").fetchone()[0]
    if fsync_p50 is not None and fsync_p50 >= 200:
        assert stats["wal_fsyncs"] < stats["commits"]


def test_a_writer_waits_for_the_store_then_proceeds(app):
    a, b = open_conn(app), open_conn(app, timeout_ms=10000)
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (1, 'a')")
    done = []

    def insert():
        try:
            b.execute("INSERT INTO t VALUES (2, 'b')")
            done.append("ok")
        except Exception as e:  # noqa: BLE001
            done.append(repr(e))

    th = threading.Thread(target=insert)
    th.start()
    time.sleep(0.3)
    assert done == []  # waiting on the engine's writer lock
    a.execute("COMMIT")
    th.join()
    assert done == ["ok"]
    assert b.execute("SELECT k FROM t ORDER BY k").fetchall() == [(1,), (2,)]


def test_busy_after_the_longer_of_the_two_timeouts(app):
    # The store's busy_timeout is 200 ms (fixture); the connection's 600 ms wins.
    a, b = open_conn(app), open_conn(app, timeout_ms=600)
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (1, 'a')")
    start = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="store is busy") as e:
        b.execute("INSERT INTO t VALUES (2, 'b')")
    assert time.monotonic() - start >= 0.5
    assert e.value.sqlite_errorcode == SQLITE_BUSY
    a.execute("COMMIT")
    b.execute("INSERT INTO t VALUES (2, 'b')")  # the transaction ended: b proceeds
    assert count(a, "t") == 2


def test_rollback_of_one_connection_keeps_the_others(app):
    a, b = open_conn(app), open_conn(app, timeout_ms=10000)
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (1, 'a')")
    a.execute("INSERT INTO t VALUES (2, 'a')")
    a.execute("ROLLBACK")
    b.execute("INSERT INTO t VALUES (3, 'b')")
    a.execute("INSERT INTO t VALUES (4, 'a')")
    b.execute("BEGIN")
    b.execute("INSERT INTO t VALUES (5, 'b')")
    b.execute("SAVEPOINT s")
    b.execute("INSERT INTO t VALUES (6, 'b')")
    b.execute("ROLLBACK TO s")
    b.execute("COMMIT")
    assert a.execute("SELECT k, v FROM t ORDER BY k").fetchall() == [(3, "b"), (4, "a"), (5, "b")]


def test_readers_see_commits_not_open_transactions(app):
    a, b = open_conn(app), open_conn(app)
    a.execute("INSERT INTO t VALUES (1, 'a')")
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (2, 'a')")
    assert a.execute("SELECT count(*) FROM t").fetchone() == (2,)  # its own change
    assert b.execute("SELECT count(*) FROM t").fetchone() == (1,)
    assert b.execute("SELECT count(*) FROM main.t").fetchone() == (1,)
    a.execute("COMMIT")
    assert b.execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_native_and_lightning_in_one_transaction(app):
    a, b = open_conn(app), open_conn(app)
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (1, 'x')")
    a.execute("INSERT INTO n VALUES (1, 'x')")
    a.execute("COMMIT")
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (2, 'y')")
    a.execute("INSERT INTO n VALUES (2, 'y')")
    a.execute("ROLLBACK")
    assert b.execute("SELECT k FROM t").fetchall() == [(1,)]
    assert b.execute("SELECT k FROM n").fetchall() == [(1,)]
    # The alias and main.t in one transaction: one engine transaction.
    a.execute("BEGIN")
    a.execute("INSERT INTO temp.t VALUES (3, 'z')")
    a.execute("INSERT INTO main.t VALUES (4, 'z')")
    assert a.execute("SELECT count(*) FROM main.t").fetchone() == (3,)
    a.execute("ROLLBACK")
    assert b.execute("SELECT k FROM t").fetchall() == [(1,)]


def test_alias_has_the_targets_schema_and_constraints(tmp_path, ext_path):
    conn = connect(str(tmp_path / "c.db"))
    conn.execute("CREATE VIRTUAL TABLE u USING lightning(a TEXT, b INTEGER, c UNIQUE, PRIMARY KEY(a, b DESC))")
    conn.execute("CREATE VIRTUAL TABLE temp.u USING lightning(alias=main)")
    conn.execute("INSERT INTO u VALUES ('x', 1, 10), ('x', 2, 20)")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed: u.c"):
        conn.execute("INSERT INTO u VALUES ('y', 1, 10)")
    assert conn.execute("SELECT a, b, c FROM main.u").fetchall() == [("x", 2, 20), ("x", 1, 10)]
    assert [r[1] for r in conn.execute("PRAGMA temp.table_info(u)")] == ["a", "b", "c"]


def test_alias_errors_and_drop(app):
    a = open_conn(app)
    cases = [
        ("CREATE VIRTUAL TABLE t2 USING lightning(alias='main')", "must live in the temp schema"),
        ("CREATE VIRTUAL TABLE temp.nope USING lightning(alias='main')",
         "main.nope is not a lightning table"),
        ("CREATE VIRTUAL TABLE temp.n USING lightning(alias='main')", "main.n is not a lightning table"),
        ("CREATE VIRTUAL TABLE temp.t3 USING lightning(k, alias='main')", "give only alias="),
        ("CREATE VIRTUAL TABLE temp.t4 USING lightning(alias='temp')", "the target must be"),
        ("CREATE VIRTUAL TABLE temp.t5 USING lightning(alias=)", "alias= needs a schema name"),
        ("ALTER TABLE temp.t RENAME TO t6", "rename that table"),
    ]
    for sql, message in cases:
        with pytest.raises(sqlite3.OperationalError, match=message):
            a.execute(sql)
    a.execute("INSERT INTO t VALUES (1, 'a')")
    a.execute("DROP TABLE temp.t")  # forgets the alias, keeps the rows
    assert a.execute("SELECT k FROM t").fetchall() == [(1,)]
    a.execute("CREATE VIRTUAL TABLE temp.t USING lightning(alias='main')")
    a.execute("DROP TABLE main.t")  # the alias of this connection is left unusable
    with pytest.raises(sqlite3.OperationalError, match="its target main.t was dropped"):
        a.execute("SELECT * FROM temp.t")
    a.execute("DROP TABLE temp.t")
    assert a.execute("SELECT count(*) FROM sqlite_temp_master").fetchone() == (0,)


def test_target_dropped_or_renamed_by_another_connection(app):
    a, b = open_conn(app, alias=False), open_conn(app)
    b.execute("INSERT INTO t VALUES (1, 'b')")
    a.execute("ALTER TABLE t RENAME TO t_old")
    # b's statements touch only temp, so b has not reloaded main's schema:
    # its writes refuse to go to the renamed table.
    with pytest.raises(sqlite3.OperationalError, match="its target main.t was dropped, renamed or replaced"):
        b.execute("INSERT INTO t VALUES (2, 'b')")
    a.execute("INSERT INTO t_old VALUES (3, 'a')")  # b's failed xBegin left the store free
    a.execute("DROP TABLE t_old")
    with pytest.raises(sqlite3.OperationalError, match="no tree with id"):
        b.execute("SELECT * FROM t").fetchall()
    a.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v TEXT)")
    with pytest.raises(sqlite3.OperationalError, match="its target main.t was dropped"):
        b.execute("INSERT INTO t VALUES (4, 'b')")
    # Any statement on main reloads b's schemas, temp included: the alias follows the new table.
    b.execute("SELECT 1 FROM main.t").fetchall()
    b.execute("INSERT INTO t VALUES (5, 'b')")
    assert a.execute("SELECT k FROM t").fetchall() == [(5,)]


def test_alias_of_an_attached_schema(tmp_path, ext_path):
    conn = connect(str(tmp_path / "a.db"))
    conn.execute(f"ATTACH '{tmp_path / 'b.db'}' AS aux")
    conn.execute("CREATE VIRTUAL TABLE aux.u USING lightning(k TEXT PRIMARY KEY, v)")
    conn.execute("CREATE VIRTUAL TABLE temp.u USING lightning(alias='AUX')")
    conn.execute("INSERT INTO u VALUES ('x', 1)")
    assert conn.execute("SELECT k, v FROM aux.u").fetchall() == [("x", 1)]
    assert (tmp_path / "b.db-lightning").exists() and not (tmp_path / "a.db-lightning").exists()


def test_declare_aliases_for_every_lightning_table(app):
    setup = open_conn(app, alias=False)
    setup.execute('CREATE VIRTUAL TABLE "odd name" USING lightning(k TEXT PRIMARY KEY)')
    a, b = open_conn(app, alias=False), open_conn(app, alias=False)
    assert a.execute("SELECT lightning_declare_aliases()").fetchone() == (2,)  # t, "odd name"; not n
    assert a.execute("SELECT lightning_declare_aliases()").fetchone() == (0,)  # already there
    assert b.execute("SELECT lightning_declare_aliases('main')").fetchone() == (2,)
    assert a.execute("SELECT name FROM sqlite_temp_schema ORDER BY name").fetchall() == [("odd name",), ("t",)]
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (1, 'a')")
    a.execute("INSERT INTO \"odd name\" VALUES ('a')")
    b.execute("INSERT INTO n VALUES (1, 'b')")  # main is not locked by a
    a.execute("COMMIT")
    assert b.execute("SELECT k FROM main.t").fetchall() == [(1,)]
    for arg, message in [("'temp'", "not temp"), ("'nope'", "no such schema: nope"),
                         ("NULL", "must be a name")]:
        with pytest.raises(sqlite3.OperationalError, match=message):
            a.execute(f"SELECT lightning_declare_aliases({arg})")
    a.execute("BEGIN")
    with pytest.raises(sqlite3.OperationalError, match="not inside a transaction"):
        a.execute("SELECT lightning_declare_aliases()")
    a.execute("ROLLBACK")


def test_alias_whose_target_is_gone_can_still_be_dropped(app):
    a, b = open_conn(app, alias=False), open_conn(app)
    a.execute("DROP TABLE t")
    b.execute("SELECT count(*) FROM main.sqlite_schema").fetchall()  # b reloads its schemas
    with pytest.raises(sqlite3.OperationalError, match="main.t is not a lightning table"):
        b.execute("SELECT * FROM t").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="main.t is not a lightning table"):
        b.execute("INSERT INTO t VALUES (1)")
    b.execute("DROP TABLE temp.t")
    assert b.execute("SELECT count(*) FROM sqlite_temp_schema").fetchone() == (0,)


def test_opposite_lock_orders_end_in_busy_not_a_hang(app):
    # a holds the store (lightning first), b holds main (native first); each
    # then wants the other's lock. Both waits are bounded by busy timeouts.
    a, b = open_conn(app, timeout_ms=300), open_conn(app, timeout_ms=300)
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (1, 'a')")
    b.execute("BEGIN")
    b.execute("INSERT INTO n VALUES (1, 'b')")
    outcomes = {}

    def run(name, conn, sql):
        try:
            conn.execute(sql)
            outcomes[name] = "ok"
        except sqlite3.OperationalError as e:
            outcomes[name] = e.sqlite_errorcode

    ts = [threading.Thread(target=run, args=("a", a, "INSERT INTO n VALUES (2, 'a')")),
          threading.Thread(target=run, args=("b", b, "INSERT INTO t VALUES (2, 'b')"))]
    for x in ts:
        x.start()
    for x in ts:
        x.join(timeout=30)
    assert not any(x.is_alive() for x in ts)
    assert SQLITE_BUSY in outcomes.values()
    a.execute("ROLLBACK")
    b.execute("ROLLBACK")
    assert count(a, "t") == 0 and count(a, "n") == 0
    # BEGIN IMMEDIATE (main's lock first, docs/vtab.md) with both kinds of table works.
    for conn, k in ((a, 3), (b, 4)):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, 'x')", (k,))
        conn.execute("INSERT INTO n VALUES (?, 'x')", (k,))
        conn.execute("COMMIT")
    assert count(a, "t") == 2 and count(a, "n") == 2
