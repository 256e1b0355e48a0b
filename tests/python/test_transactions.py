"""Transactions, snapshots, sharing, persistence and the store's catalog."""
import os
import sqlite3

import pytest

from conftest import connect


def rows(conn, sql, params=()):
    return conn.execute(sql, params).fetchall()


@pytest.fixture
def t(db):
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v TEXT)")
    db.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    return db


def test_rollback_and_commit(t):
    t.execute("BEGIN")
    t.execute("INSERT INTO t VALUES (4, 'd')")
    t.execute("DELETE FROM t WHERE k = 1")
    assert rows(t, "SELECT k FROM t") == [(2,), (3,), (4,)]  # reads see the transaction's writes
    t.execute("ROLLBACK")
    assert rows(t, "SELECT k FROM t") == [(1,), (2,), (3,)]
    t.execute("BEGIN")
    t.execute("UPDATE t SET v = 'B' WHERE k = 2")
    t.execute("COMMIT")
    assert rows(t, "SELECT v FROM t WHERE k = 2") == [("B",)]


def test_savepoints(t):
    t.execute("BEGIN")
    t.execute("INSERT INTO t VALUES (10, 'x')")
    t.execute("SAVEPOINT a")
    t.execute("INSERT INTO t VALUES (11, 'y')")
    t.execute("SAVEPOINT b")
    t.execute("DELETE FROM t")
    assert rows(t, "SELECT count(*) FROM t") == [(0,)]
    t.execute("ROLLBACK TO b")
    assert rows(t, "SELECT count(*) FROM t") == [(5,)]
    t.execute("ROLLBACK TO a")
    assert rows(t, "SELECT k FROM t WHERE k >= 10") == [(10,)]
    t.execute("RELEASE a")
    t.execute("COMMIT")
    assert rows(t, "SELECT k FROM t WHERE k >= 10") == [(10,)]


def test_savepoint_taken_before_the_first_write(t):
    t.execute("SAVEPOINT outer_sp")
    t.execute("INSERT INTO t VALUES (20, 'p'), (21, 'q')")  # the store's transaction starts here
    t.execute("ROLLBACK TO outer_sp")
    t.execute("RELEASE outer_sp")
    assert rows(t, "SELECT count(*) FROM t") == [(3,)]


def test_statement_rollback_keeps_earlier_statements(t):
    t.execute("BEGIN")
    t.execute("INSERT INTO t VALUES (5, 'e')")
    with pytest.raises(sqlite3.IntegrityError):
        t.execute("INSERT INTO t VALUES (6, 'f'), (1, 'dup')")
    t.execute("COMMIT")
    assert rows(t, "SELECT k FROM t") == [(1,), (2,), (3,), (5,)]


def test_or_fail_keeps_rows_before_the_conflict(t):
    with pytest.raises(sqlite3.IntegrityError):
        t.execute("INSERT OR FAIL INTO t VALUES (7, 'g'), (1, 'dup'), (8, 'h')")
    assert rows(t, "SELECT k FROM t") == [(1,), (2,), (3,), (7,)]


def test_update_and_delete_walking_their_own_table(t):
    t.execute("INSERT INTO t SELECT k + 10, v FROM t")
    t.execute("UPDATE t SET k = k + 100 WHERE k > 10")
    assert rows(t, "SELECT k FROM t") == [(1,), (2,), (3,), (111,), (112,), (113,)]
    t.execute("DELETE FROM t WHERE k IN (SELECT k FROM t WHERE k % 2 = 1)")
    assert rows(t, "SELECT k FROM t") == [(2,), (112,)]


def test_pending_select_survives_commit(t):
    cur = t.execute("SELECT k FROM t ORDER BY k")
    assert cur.fetchone() == (1,)
    t.execute("BEGIN")
    t.execute("INSERT INTO t VALUES (9, 'z')")
    t.execute("COMMIT")
    assert cur.fetchall() in ([(2,), (3,)], [(2,), (3,), (9,)])
    assert rows(t, "SELECT count(*) FROM t") == [(4,)]


def test_other_connection_reads_a_snapshot(tmp_path, ext_path):
    path = str(tmp_path / "s.db")
    a, b = connect(path), connect(path)
    a.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY)")
    a.execute("INSERT INTO t VALUES (1)")
    a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (2)")
    assert rows(b, "SELECT k FROM t") == [(1,)]  # uncommitted work is invisible
    a.execute("COMMIT")
    assert rows(b, "SELECT k FROM t") == [(1,), (2,)]


def test_data_survives_reopen(tmp_path, ext_path):
    path = str(tmp_path / "p.db")
    conn = connect(path)
    conn.execute("CREATE VIRTUAL TABLE kv USING lightning(k TEXT PRIMARY KEY, v BLOB)")
    conn.executemany("INSERT INTO kv VALUES (?, ?)", [(f"key{i:04}", os.urandom(20)) for i in range(500)])
    before = rows(conn, "SELECT * FROM kv")
    conn.close()
    assert os.path.exists(path + "-lightning")
    conn = connect(path)
    assert rows(conn, "SELECT * FROM kv") == before


def test_drop_and_rename(tmp_path, ext_path):
    path = str(tmp_path / "d.db")
    conn = connect(path)
    conn.execute("CREATE VIRTUAL TABLE a USING lightning(x)")
    conn.execute("INSERT INTO a VALUES (1), (2)")
    conn.execute("ALTER TABLE a RENAME TO b")
    assert rows(conn, "SELECT x FROM b") == [(1,), (2,)]
    conn.close()
    conn = connect(path)
    assert rows(conn, "SELECT x FROM b") == [(1,), (2,)]
    conn.execute("DROP TABLE b")
    conn.execute("CREATE VIRTUAL TABLE b USING lightning(x)")
    assert rows(conn, "SELECT count(*) FROM b") == [(0,)]


def test_drop_inside_a_writing_transaction_rolls_back(t):
    t.execute("CREATE VIRTUAL TABLE u USING lightning(x)")
    t.execute("INSERT INTO u VALUES (1)")
    t.execute("BEGIN")
    t.execute("INSERT INTO t VALUES (50, 'w')")
    t.execute("DROP TABLE u")
    t.execute("ROLLBACK")
    assert rows(t, "SELECT x FROM u") == [(1,)]


def test_attached_database_has_its_own_store(tmp_path, ext_path):
    main = connect(str(tmp_path / "main.db"))
    main.execute(f"ATTACH '{tmp_path / 'other.db'}' AS other")
    main.execute("CREATE VIRTUAL TABLE other.t USING lightning(k INTEGER PRIMARY KEY, v)")
    main.execute("CREATE VIRTUAL TABLE main.t USING lightning(k INTEGER PRIMARY KEY, v)")
    main.execute("INSERT INTO other.t VALUES (1, 'other')")
    main.execute("INSERT INTO main.t VALUES (1, 'main')")
    main.execute("BEGIN")
    main.execute("INSERT INTO other.t VALUES (2, 'other')")
    main.execute("INSERT INTO main.t VALUES (2, 'main')")
    main.execute("COMMIT")
    assert os.path.exists(tmp_path / "other.db-lightning") and os.path.exists(tmp_path / "main.db-lightning")
    assert rows(main, "SELECT v FROM other.t") == [("other",), ("other",)]
    assert rows(main, "SELECT v FROM main.t") == [("main",), ("main",)]


def test_in_memory_database_uses_an_in_memory_store(ext_path):
    conn = connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v)")
    conn.execute("CREATE VIRTUAL TABLE temp.u USING lightning(k TEXT PRIMARY KEY)")
    conn.execute("INSERT INTO t VALUES (1, 'x')")
    conn.execute("INSERT INTO u VALUES ('y')")
    conn.execute("ALTER TABLE t RENAME TO t2")  # reconnects: the store must outlive that
    assert rows(conn, "SELECT v FROM t2") == [("x",)]
    assert rows(conn, "SELECT k FROM u") == [("y",)]
    other = connect(":memory:")
    other.execute("CREATE VIRTUAL TABLE t2 USING lightning(k INTEGER PRIMARY KEY, v)")
    assert rows(other, "SELECT count(*) FROM t2") == [(0,)]  # private to each connection


def test_two_tables_one_transaction(t):
    t.execute("CREATE VIRTUAL TABLE u USING lightning(x TEXT PRIMARY KEY)")
    t.execute("BEGIN")
    t.execute("INSERT INTO t VALUES (30, 'q')")
    t.execute("INSERT INTO u VALUES ('q')")
    t.execute("ROLLBACK")
    assert rows(t, "SELECT count(*) FROM t WHERE k = 30") == [(0,)]
    assert rows(t, "SELECT count(*) FROM u") == [(0,)]


def test_writers_in_threads_share_one_store(tmp_path, ext_path):
    import threading
    path = str(tmp_path / "threads.db")
    setup = connect(path)
    setup.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, who INTEGER, busy_timeout=20000)")
    setup.execute("PRAGMA journal_mode=WAL")
    errors = []

    def writer(n):
        try:
            conn = connect(path, timeout=20, check_same_thread=False)
            for i in range(40):
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO t(who) VALUES (?)", (n,))
                conn.execute("INSERT INTO t(who) VALUES (?)", (n,))
                conn.execute("COMMIT")
                conn.execute("SELECT count(*) FROM t").fetchone()
            conn.close()
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    assert rows(setup, "SELECT who, count(*) FROM t GROUP BY who") == [(n, 80) for n in range(4)]


def test_rollback_to_a_savepoint_older_than_a_table_joining_later(db):
    # Found by tests/fuzz/fuzz_sql: a table that joins the transaction after
    # another table of the same store wrote gets xSavepoint(N) for an older
    # level N; that must not move level N to the current state.
    db.execute("CREATE VIRTUAL TABLE a USING lightning(k INTEGER PRIMARY KEY, v)")
    db.execute("CREATE VIRTUAL TABLE b USING lightning(x, y)")
    db.execute("SAVEPOINT s1")
    db.execute("SAVEPOINT s2")
    db.execute("INSERT INTO b VALUES (1, 2), (3, 4)")
    db.execute("INSERT INTO a VALUES (5, 6)")
    db.execute("ROLLBACK TO s2")
    assert rows(db, "SELECT count(*) FROM b") == [(0,)]
    assert rows(db, "SELECT count(*) FROM a") == [(0,)]
    db.execute("ROLLBACK")
    db.execute("BEGIN")
    db.execute("INSERT INTO b VALUES (1, 2)")
    db.execute("SAVEPOINT p")
    db.execute("INSERT INTO b VALUES (3, 4)")
    db.execute("INSERT INTO a VALUES (7, 8)")
    db.execute("ROLLBACK TO p")
    assert rows(db, "SELECT x FROM b") == [(1,)]
    assert rows(db, "SELECT count(*) FROM a") == [(0,)]
    db.execute("COMMIT")
    assert rows(db, "SELECT x FROM b") == [(1,)]
