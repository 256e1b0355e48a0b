"""Every error path of lightning tables: a clear message, the right SQLite code,
and the data untouched."""
import os
import sqlite3
import threading
import time

import pytest

from conftest import connect

SQLITE_ERROR, SQLITE_AUTH, SQLITE_CANTOPEN = 1, 23, 14
SQLITE_BUSY, SQLITE_TOOBIG, SQLITE_MISMATCH = 5, 18, 20
SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_NOTNULL = 1555, 1299


def error_of(conn, sql, params=()):
    with pytest.raises(sqlite3.Error) as info:
        conn.execute(sql, params)
    return info.value


@pytest.mark.parametrize("args,message", [
    ("a, cach_size='10MB'", 'unknown option "cach_size"; did you mean "cache_size"?'),
    ("a, fille='x.store'", 'did you mean "file"?'),
    ("a, cache_size=lots", "cache_size"),
    ("a, sync=sometimes", "sync"),
    ("a, page_size=1000", "page_size"),
    ("a, sync=full, sync=off", 'option "sync" is given twice'),
    ("a UNIQUE, UNIQUE(zz)", 'UNIQUE names unknown column "zz"'),
    ("a CHECK (a > (SELECT 1))", "subqueries prohibited in CHECK constraints"),
    ("a CHECK (zz > 0)", "no such column: zz in CHECK(zz > 0)"),
    ("a REFERENCES b(c)", "REFERENCES (foreign keys) are not supported"),
    ("a, FOREIGN KEY(a) REFERENCES b(c)", "FOREIGN KEY constraints are not supported"),
    ("a AS (1)", "generated columns are not supported"),
    ("a DEFAULT 3", "DEFAULT is not supported"),
    ("a PRIMARY KEY, b PRIMARY KEY", "more than one PRIMARY KEY"),
    ("a, b, PRIMARY KEY(a, a)", 'column "a" appears twice in the PRIMARY KEY'),
    ("a, b TEXT COLLATE NOCASE, PRIMARY KEY(a, b)", 'COLLATE NOCASE on the PRIMARY KEY column "b"'),
    ("a TEXT COLLATE NOCASE PRIMARY KEY", "COLLATE NOCASE on the PRIMARY KEY"),
    ("a INTEGER PRIMARY KEY AUTOINCREMENT", "AUTOINCREMENT is not supported"),
    ("cache_size='1MB'", "no columns declared"),
])
def test_bad_definitions_and_options(db, args, message):
    e = error_of(db, f"CREATE VIRTUAL TABLE t USING lightning({args})")
    assert message in str(e), str(e)
    assert str(e).startswith("lightning: ")
    assert e.sqlite_errorcode == SQLITE_ERROR
    assert db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 't'").fetchone() == (0,)


def test_duplicate_keys(db):
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k TEXT PRIMARY KEY, v)")
    db.execute("INSERT INTO t VALUES ('a', 1), ('b', 2)")
    e = error_of(db, "INSERT INTO t VALUES ('c', 3), ('a', 9)")
    assert str(e) == "UNIQUE constraint failed: t.k" and e.sqlite_errorcode == SQLITE_CONSTRAINT_PRIMARYKEY
    e = error_of(db, "UPDATE t SET k = 'b' WHERE k = 'a'")
    assert str(e) == "UNIQUE constraint failed: t.k"
    assert db.execute("SELECT * FROM t ORDER BY k").fetchall() == [("a", 1), ("b", 2)]
    db.execute("CREATE VIRTUAL TABLE r USING lightning(v)")
    db.execute("INSERT INTO r(rowid, v) VALUES (1, 'x')")
    e = error_of(db, "INSERT INTO r(rowid, v) VALUES (1, 'y')")
    assert str(e) == "UNIQUE constraint failed: r.rowid"


def test_not_null_and_key_types(db):
    db.execute("CREATE VIRTUAL TABLE t USING lightning(id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    db.execute("INSERT INTO t VALUES (1, 'a')")
    e = error_of(db, "INSERT INTO t VALUES (2, NULL)")
    assert str(e) == "NOT NULL constraint failed: t.name" and e.sqlite_errorcode == SQLITE_CONSTRAINT_NOTNULL
    for bad in ("'abc'", "1.5", "x'01'"):
        e = error_of(db, f"INSERT INTO t VALUES ({bad}, 'b')")
        assert str(e) == "datatype mismatch" and e.sqlite_errorcode == SQLITE_MISMATCH
    e = error_of(db, "UPDATE t SET id = 'x' WHERE id = 1")
    assert str(e) == "datatype mismatch"
    db.execute("INSERT INTO t VALUES ('7', 'converted')")  # as native: '7' -> 7
    assert db.execute("SELECT id, typeof(id) FROM t ORDER BY id").fetchall() == [(1, "integer"), (7, "integer")]
    db.execute("CREATE VIRTUAL TABLE w USING lightning(k TEXT PRIMARY KEY, v)")
    e = error_of(db, "INSERT INTO w VALUES (NULL, 1)")
    assert str(e) == "NOT NULL constraint failed: w.k"


def test_oversized_keys(db):
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k TEXT PRIMARY KEY, v, page_size=8192)")
    db.execute("INSERT INTO t VALUES ('ok', 1)")
    e = error_of(db, "INSERT INTO t VALUES (?, 2)", ("x" * 5000,))
    assert e.sqlite_errorcode == SQLITE_TOOBIG
    assert "key of 5000 bytes exceeds the 2047-byte key limit of table t" in str(e), str(e)
    db.execute("INSERT INTO t VALUES (?, 3)", ("y" * 2000,))  # under the limit
    assert db.execute("SELECT count(*) FROM t").fetchone() == (2,)


@pytest.mark.parametrize("page_size,limit", [(4096, 1023), (8192, 2047), (32768, 8191)])
def test_key_limit_is_exactly_the_documented_one(tmp_path, ext_path, page_size, limit):
    """docs/vtab.md: a TEXT or BLOB key holds at most page_size/4 - 1 bytes."""
    db = connect(str(tmp_path / "app.db"))
    db.execute(f"CREATE VIRTUAL TABLE t USING lightning(k PRIMARY KEY, v, page_size={page_size})")
    db.execute("INSERT INTO t VALUES (?, 1)", ("x" * limit,))
    db.execute("INSERT INTO t VALUES (?, 2)", (b"\x01" * limit,))
    for key in ("y" * (limit + 1), b"\x02" * (limit + 1)):
        e = error_of(db, "INSERT INTO t VALUES (?, 3)", (key,))
        assert e.sqlite_errorcode == SQLITE_TOOBIG
        assert f"key of {limit + 1} bytes exceeds the {limit}-byte key limit of table t" in str(e), str(e)
    assert db.execute("SELECT length(k), v FROM t ORDER BY v").fetchall() == [(limit, 1), (limit, 2)]
    assert db.execute("SELECT v FROM t WHERE k = ?", ("x" * limit,)).fetchall() == [(1,)]


def two_databases_sharing_a_store(tmp_path, busy_timeout, connection_timeout=0):
    """Two databases whose tables share one store (file=), so that the only lock
    between their writers is the store's (not SQLite's database lock). The
    connections' own busy timeout (Python's default is 5 s) is
    `connection_timeout` seconds."""
    a = connect(str(tmp_path / "a.db"), check_same_thread=False, timeout=connection_timeout)
    b = connect(str(tmp_path / "b.db"), check_same_thread=False, timeout=connection_timeout)
    for conn in (a, b):
        conn.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v, "
                     f"file='shared.store', busy_timeout={busy_timeout})")
    return a, b


def test_busy_writer(tmp_path, ext_path):
    a, b = two_databases_sharing_a_store(tmp_path, 200)
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (1, 'from a')")
    start = time.monotonic()
    e = error_of(b, "INSERT INTO t VALUES (2, 'from b')")
    waited = time.monotonic() - start
    assert e.sqlite_errorcode == SQLITE_BUSY, (e, e.sqlite_errorcode)
    assert "lightning: cannot start a write transaction on table t" in str(e), str(e)
    assert waited >= 0.15, waited
    assert b.execute("SELECT count(*) FROM t").fetchone() == (0,)  # a's row is not committed
    a.execute("COMMIT")
    b.execute("INSERT INTO t VALUES (2, 'from b')")
    assert a.execute("SELECT k FROM t ORDER BY k").fetchall() == [(1,), (2,)]


def test_busy_writer_waits_the_connections_busy_timeout(tmp_path, ext_path):
    """Issue 17 item 9: the store's writer lock waits as long as the connection
    would wait for SQLite's own lock (PRAGMA busy_timeout) when that is longer
    than the store's busy_timeout, then gives the documented message."""
    a, b = two_databases_sharing_a_store(tmp_path, 100)
    b.execute("PRAGMA busy_timeout = 700")
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (1, 'from a')")
    start = time.monotonic()
    e = error_of(b, "INSERT INTO t VALUES (2, 'from b')")
    waited = time.monotonic() - start
    assert e.sqlite_errorcode == SQLITE_BUSY, (e, e.sqlite_errorcode)
    assert "lightning: cannot start a write transaction on table t" in str(e), str(e)
    assert "700 ms" in str(e), str(e)
    assert waited >= 0.65, waited
    b.execute("PRAGMA busy_timeout = 0")  # the store's own 100 ms again
    start = time.monotonic()
    error_of(b, "INSERT INTO t VALUES (2, 'from b')")
    assert 0.09 <= time.monotonic() - start < 0.6
    a.execute("COMMIT")


def test_second_writer_on_the_same_database_waits_for_sqlites_lock(tmp_path, ext_path):
    """Two connections to one database: SQLite's own database lock comes first
    (docs/vtab.md, Transactions). It waits the connection's busy timeout."""
    path = str(tmp_path / "app.db")
    a = connect(path, check_same_thread=False, timeout=0)
    a.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v)")
    b = connect(path, check_same_thread=False, timeout=0)
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (1, 'a')")
    e = error_of(b, "INSERT INTO t VALUES (2, 'b')")  # no busy timeout: at once
    assert e.sqlite_errorcode == SQLITE_BUSY and str(e) == "database is locked", str(e)
    b.execute("PRAGMA busy_timeout = 5000")
    threading.Timer(0.3, lambda: a.execute("COMMIT")).start()
    start = time.monotonic()
    b.execute("INSERT INTO t VALUES (2, 'b')")  # waits for a's commit
    assert time.monotonic() - start >= 0.25
    assert b.execute("SELECT k FROM t ORDER BY k").fetchall() == [(1,), (2,)]


def test_busy_writer_succeeds_when_lock_is_freed_in_time(tmp_path, ext_path):
    a, b = two_databases_sharing_a_store(tmp_path, 5000)
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (1, 'a')")
    threading.Timer(0.3, lambda: a.execute("COMMIT")).start()
    b.execute("INSERT INTO t VALUES (2, 'b')")  # waits for a's commit
    assert b.execute("SELECT count(*) FROM t").fetchone() == (2,)


@pytest.mark.parametrize("path", ["../outside.store", "/tmp/lightning-evil.store", "sub/../../x.store"])
def test_file_outside_the_database_directory_is_refused(tmp_path, ext_path, path):
    d = tmp_path / "dbdir"
    (d / "sub").mkdir(parents=True)
    conn = connect(str(d / "app.db"))
    e = error_of(conn, f"CREATE VIRTUAL TABLE t USING lightning(a, file='{path}')")
    assert "outside the database's directory" in str(e) and "lightning_unsafe_paths=1" in str(e), str(e)
    assert e.sqlite_errorcode == SQLITE_AUTH, e.sqlite_errorcode
    assert not os.path.exists(tmp_path / "outside.store")
    assert not os.path.exists("/tmp/lightning-evil.store")


def test_symlink_out_of_the_directory_is_refused(tmp_path, ext_path):
    d = tmp_path / "dbdir"
    d.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", d / "link")
    conn = connect(str(d / "app.db"))
    e = error_of(conn, "CREATE VIRTUAL TABLE t USING lightning(a, file='link/x.store')")
    assert "outside the database's directory" in str(e)


def test_file_inside_and_the_opt_out(tmp_path, ext_path):
    d = tmp_path / "dbdir"
    (d / "stores").mkdir(parents=True)
    conn = connect(str(d / "app.db"))
    conn.execute("CREATE VIRTUAL TABLE t USING lightning(a, file='stores/t.store')")
    conn.execute("INSERT INTO t VALUES (1)")
    assert os.path.exists(d / "stores" / "t.store")
    e = error_of(conn, "CREATE VIRTUAL TABLE u USING lightning(a, file='app.db')")
    assert "names the database's own file" in str(e)
    conn.close()
    unsafe = connect(f"file:{d / 'app.db'}?lightning_unsafe_paths=1", uri=True)
    unsafe.execute(f"CREATE VIRTUAL TABLE v USING lightning(a, file='{tmp_path / 'outside.store'}')")
    unsafe.execute("INSERT INTO v VALUES (1)")
    assert os.path.exists(tmp_path / "outside.store")
    unsafe.close()
    # The same database opened without the opt-out cannot use v.
    again = connect(str(d / "app.db"))
    assert again.execute("SELECT a FROM t").fetchall() == [(1,)]
    e = error_of(again, "SELECT * FROM v")
    assert "outside the database's directory" in str(e)


def test_missing_directory(db):
    e = error_of(db, "CREATE VIRTUAL TABLE t USING lightning(a, file='nope/x.store')")
    assert "does not exist" in str(e) and e.sqlite_errorcode == SQLITE_CANTOPEN


def test_drop_inside_a_transaction_without_writes_is_refused(db):
    db.execute("CREATE VIRTUAL TABLE t USING lightning(a)")
    db.execute("INSERT INTO t VALUES (1)")
    db.execute("BEGIN")
    e = error_of(db, "DROP TABLE t")  # SQLite keeps no message of xDestroy's
    assert e.sqlite_errorcode == 6 and str(e) == "database table is locked", (str(e), e.sqlite_errorcode)
    e = error_of(db, "ALTER TABLE t RENAME TO u")
    assert "COMMIT first" in str(e), str(e)
    db.execute("ROLLBACK")
    assert db.execute("SELECT a FROM t").fetchall() == [(1,)]
