"""Secondary indexes of lightning tables (issue 13): `INDEX name(col [ASC|DESC], ...)` and
`UNIQUE INDEX name(...)` in CREATE VIRTUAL TABLE, lightning_create_index(table, name, columns
[, unique]) and lightning_drop_index(table, name).

Results, errors and contents are compared with a native table carrying the same CREATE
INDEXes; EXPLAIN QUERY PLAN shows each index serving =, a prefix plus range, IN and ORDER BY;
the indexes stay consistent with their table through savepoints, rollbacks, other connections,
reopening and kill -9 (lightning_check's index pass). The random runs are the `index_*` schemas
of test_differential.py.
"""
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import connect

COLS = "id INTEGER PRIMARY KEY, email TEXT, a INTEGER, b TEXT, c REAL"
INDEXES = [("UNIQUE ", "ux_email", "email"), ("", "ix_ab", "a, b DESC"), ("", "ix_c", "c DESC")]


def declared():
    return "".join(f", {u}INDEX {n}({c})" for u, n, c in INDEXES)


@pytest.fixture
def pair(tmp_path, ext_path):
    """`t` (lightning) and `n` (native) with the same rows and indexes, in one database."""
    conn = connect(str(tmp_path / "idx.db"))
    conn.execute(f"CREATE VIRTUAL TABLE t USING lightning({COLS}{declared()})")
    conn.execute(f"CREATE TABLE n({COLS})")
    for u, name, cols in INDEXES:
        conn.execute(f"CREATE {u}INDEX n_{name} ON n({cols})")
    rows = [(i, f"e{i}" if i % 9 else None, i % 5 if i % 13 else None, chr(97 + i % 7), (i * 7 % 23) / 2)
            for i in range(1, 301)]
    for table in ("t", "n"):
        conn.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?)", rows)
    yield conn
    conn.close()


def plan(conn, sql):
    return " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql))


def same(conn, sql, params=(), ordered=True):
    a = conn.execute(sql.replace("{t}", "t"), params).fetchall()
    b = conn.execute(sql.replace("{t}", "n"), params).fetchall()
    if not ordered:
        a, b = sorted(a, key=repr), sorted(b, key=repr)
    assert a == b, sql
    return a


def check(conn, table="t"):
    assert [r[0] for r in conn.execute("SELECT problem FROM lightning_check(?)", (table,))] == ["ok"]


# -- plans

@pytest.mark.parametrize("sql, index, ordered", [
    ("SELECT id FROM {t} WHERE email = 'e10'", "ux_email(email) (email=?)", True),
    ("SELECT id, b FROM {t} WHERE a = 3", "ix_ab(a, b DESC) (a=?)", False),
    ("SELECT id, b FROM {t} WHERE a = 3 AND b > 'c'", "ix_ab(a, b DESC) (a=? AND b>?)", False),
    ("SELECT id FROM {t} WHERE a = 2 AND b >= 'b' AND b < 'f'", "ix_ab(a, b DESC) (a=? AND b>=? AND b<?)", False),
    ("SELECT id FROM {t} WHERE a IN (1, 3) AND b = 'd'", "ix_ab(a, b DESC) (a IN (...) AND b=?)", False),
    ("SELECT id FROM {t} WHERE c > 3.5 AND c <= 8", "ix_c(c DESC) (c>? AND c<=?)", False),
    ("SELECT a, b FROM {t} WHERE a = 4 ORDER BY b DESC", "ix_ab(a, b DESC) (a=?) ORDER BY a, b DESC COVERING", True),
    ("SELECT a, b FROM {t} WHERE a = 4 ORDER BY b", "ix_ab(a, b DESC) (a=?) ORDER BY a DESC, b", True),
    ("SELECT c FROM {t} ORDER BY c DESC LIMIT 5", "ix_c(c DESC) ORDER BY c DESC COVERING", True),
    ("SELECT c, id FROM {t} WHERE c < 4 ORDER BY c", "ix_c(c DESC) (c<?) ORDER BY c COVERING", True),
    ("SELECT email FROM {t} WHERE email > 'e5' ORDER BY email DESC", "ux_email(email) (email>?) ORDER BY email DESC", True),
])
def test_each_index_serves_equality_range_in_and_order_by(pair, sql, index, ordered):
    got = plan(pair, sql.replace("{t}", "t"))
    assert f":{index}" in got, got
    assert "USE TEMP B-TREE" not in got or "ORDER BY" not in sql
    same(pair, sql, ordered=ordered)


def test_key_plans_still_win(pair):
    assert "id=?" in plan(pair, "SELECT * FROM t WHERE id = 5 AND a = 3")
    assert "ux_email" not in plan(pair, "SELECT * FROM t WHERE id = 5 AND email = 'e5'")
    assert "ORDER BY id" in plan(pair, "SELECT * FROM t ORDER BY id")
    assert "ix_" not in plan(pair, "SELECT * FROM t WHERE b = 'a'")  # b alone is no index prefix


def test_null_and_type_edges_match_native(pair):
    for sql in ["SELECT id FROM {t} WHERE a IS NULL", "SELECT id FROM {t} WHERE a < 2",
                "SELECT id FROM {t} WHERE a > '2'", "SELECT id FROM {t} WHERE a = '3'",
                "SELECT id FROM {t} WHERE email < 'e2'", "SELECT id FROM {t} WHERE a IN (NULL, 2)",
                "SELECT id FROM {t} WHERE a = NULL", "SELECT a, b FROM {t} ORDER BY a, b DESC",
                "SELECT a, b FROM {t} ORDER BY a DESC, b", "SELECT count(*), sum(c) FROM {t} WHERE c >= 5"]:
        same(pair, sql + (" ORDER BY id" if "ORDER" not in sql and "count" not in sql else ""))


# -- maintenance and UNIQUE INDEX enforcement

def test_writes_keep_indexes_consistent_and_unique_index_enforced(pair):
    stmts = ["UPDATE {t} SET a = a + 1 WHERE a = 2", "DELETE FROM {t} WHERE b = 'c'",
             "UPDATE {t} SET id = id + 1000 WHERE id % 10 = 0", "INSERT OR REPLACE INTO {t} VALUES (5, 'e7', 1, 'x', 0.5)",
             "UPDATE OR REPLACE {t} SET email = 'e11' WHERE id = 12", "INSERT OR IGNORE INTO {t} VALUES (999, 'e8', 1, 'y', 1)",
             "UPDATE {t} SET email = NULL WHERE id < 20", "INSERT INTO {t} VALUES (1001, NULL, NULL, NULL, NULL)",
             "INSERT INTO {t} VALUES (1002, NULL, NULL, NULL, NULL)"]
    for sql in stmts:
        for table in ("t", "n"):
            pair.execute(sql.replace("{t}", table))
        same(pair, "SELECT * FROM {t} ORDER BY id")
        same(pair, "SELECT id FROM {t} WHERE a = 2 ORDER BY id")
    for table in ("t", "n"):
        with pytest.raises(sqlite3.IntegrityError) as e:
            pair.execute(f"INSERT INTO {table} VALUES (2000, 'e22', 0, 'a', 0)")
        msg = str(e.value).replace("n.", "t.")  # the native side names its own table
        assert msg == "UNIQUE constraint failed: t.email"
        assert e.value.sqlite_errorcode == sqlite3.SQLITE_CONSTRAINT_UNIQUE
    check(pair)


def test_savepoints_and_rollback_keep_indexes_consistent(pair):
    for table in ("t", "n"):
        pair.execute("BEGIN")
        pair.execute(f"INSERT INTO {table} VALUES (500, 'x500', 2, 'q', 1)")
        pair.execute("SAVEPOINT s1")
        pair.execute(f"UPDATE {table} SET a = 7, email = 'y' || id WHERE a = 2")
        pair.execute(f"DELETE FROM {table} WHERE c > 8")
        pair.execute("ROLLBACK TO s1")
        pair.execute(f"UPDATE {table} SET b = 'zz' WHERE a = 1")
        pair.execute("RELEASE s1")
        with pytest.raises(sqlite3.IntegrityError):  # the statement's own rollback
            pair.execute(f"UPDATE {table} SET email = 'same' WHERE a = 3")
        pair.execute("COMMIT")
        pair.execute("BEGIN")
        pair.execute(f"DELETE FROM {table} WHERE a = 4")
        pair.execute("ROLLBACK")
    for sql in ["SELECT id FROM {t} WHERE a = 7", "SELECT id FROM {t} WHERE a = 2 ORDER BY id",
                "SELECT id FROM {t} WHERE b = 'zz' ORDER BY id", "SELECT id FROM {t} WHERE a = 4 ORDER BY id",
                "SELECT id FROM {t} WHERE email = 'x500'"]:
        same(pair, sql)
    check(pair)


def test_constraint_named_as_native_with_unique_column_and_unique_index(tmp_path, ext_path):
    conn = connect(str(tmp_path / "names.db"))
    conn.execute("CREATE VIRTUAL TABLE t USING lightning(a UNIQUE, b, c, UNIQUE INDEX ux_bc(b, c), UNIQUE INDEX ux_c(c))")
    conn.execute("CREATE TABLE n(a UNIQUE, b, c)")
    conn.execute("CREATE UNIQUE INDEX n_ux_bc ON n(b, c)")
    conn.execute("CREATE UNIQUE INDEX n_ux_c ON n(c)")
    for table in ("t", "n"):
        conn.execute(f"INSERT INTO {table} VALUES (1, 2, 3), (4, 5, 6)")
    for values in ["(1, 2, 3)", "(1, 5, 9)", "(7, 2, 3)", "(7, 8, 6)", "(4, 2, 3)"]:
        msgs = []
        for table in ("t", "n"):
            with pytest.raises(sqlite3.IntegrityError) as e:
                conn.execute(f"INSERT INTO {table} VALUES {values}")
            msgs.append((str(e.value).replace("n.", "t."), e.value.sqlite_errorcode))
        assert msgs[0] == msgs[1], values
    for table in ("t", "n"):  # OR REPLACE removes every conflicting row
        conn.execute(f"INSERT OR REPLACE INTO {table} VALUES (1, 5, 6)")
    assert conn.execute("SELECT * FROM t ORDER BY a").fetchall() == conn.execute("SELECT * FROM n ORDER BY a").fetchall()
    check(conn)


# -- lightning_create_index / lightning_drop_index

def test_create_index_on_existing_rows_and_drop(pair):
    assert pair.execute("SELECT lightning_create_index('t', 'ix_b', 'b')").fetchall() == [("ok",)]
    pair.execute("CREATE INDEX n_ix_b ON n(b)")
    assert ":ix_b(b) (b=?)" in plan(pair, "SELECT id FROM t WHERE b = 'c'")
    same(pair, "SELECT id FROM {t} WHERE b = 'c' ORDER BY id")
    for table in ("t", "n"):
        pair.execute(f"UPDATE {table} SET b = 'new' WHERE id < 50")
    same(pair, "SELECT id FROM {t} WHERE b = 'new' ORDER BY id")
    check(pair)
    assert pair.execute("SELECT lightning_drop_index('t', 'IX_B')").fetchall() == [("ok",)]
    assert "ix_b" not in plan(pair, "SELECT id FROM t WHERE b = 'c' ")
    same(pair, "SELECT id FROM {t} WHERE b = 'c' ORDER BY id")
    # Dropped for good: gone from the store, the name free again.
    names = [r[0] for r in pair.execute("SELECT DISTINCT tree FROM lightning_stats() WHERE tree IS NOT NULL")]
    assert "t\x1findex\x1fix_b" not in names
    pair.execute("SELECT lightning_create_index('t', 'ix_b', 'b DESC, a', 0)")
    assert ":ix_b(b DESC, a) (b=? AND a>?)" in plan(pair, "SELECT id FROM t WHERE b = 'c' AND a > 1")
    check(pair)


def test_unique_index_over_duplicates_fails_as_native(pair):
    with pytest.raises(sqlite3.IntegrityError) as native:
        pair.execute("CREATE UNIQUE INDEX n_u ON n(a, b)")
    with pytest.raises(sqlite3.IntegrityError) as light:
        pair.execute("SELECT lightning_create_index('t', 'u', 'a, b', 1)")
    assert str(light.value) == str(native.value).replace("n.", "t.") == "UNIQUE constraint failed: t.a, t.b"
    assert light.value.sqlite_errorcode == native.value.sqlite_errorcode == sqlite3.SQLITE_CONSTRAINT_UNIQUE
    assert ":u(" not in plan(pair, "SELECT id FROM t WHERE a = 1 AND b = 'b'")
    names = [r[0] for r in pair.execute("SELECT DISTINCT tree FROM lightning_stats() WHERE tree IS NOT NULL")]
    assert "t\x1findex\x1fu" not in names
    pair.execute("SELECT lightning_create_index('t', 'u', 'id, a', 1)")  # unique: fine
    check(pair)


@pytest.mark.parametrize("args, message", [
    ("'nope', 'i', 'a'", "nope"),
    ("'t', 'i', 'zz'", 'unknown column "zz"'),
    ("'t', 'ix_ab', 'a'", "index ix_ab already exists"),
    ("'t', 'IX_AB', 'a'", "index IX_AB already exists"),
    ("'t', 'i', 'a SIDEWAYS'", 'bad direction "SIDEWAYS"'),
    ("'t', 'i', 'a, a'", 'column "a" appears twice'),
    ("'t', 'i', ''", "no columns"),
    ("'t', 'i', 'a COLLATE NOCASE'", "COLLATE NOCASE"),
    ("'t', '', 'a'", "non-empty TEXT"),
    ("'t', 'i', 'a', 'yes'", "unique must be 0 or 1"),
    ("'n', 'i', 'a'", "not a lightning table"),
])
def test_create_index_errors(pair, args, message):
    with pytest.raises(sqlite3.Error) as e:
        pair.execute(f"SELECT lightning_create_index({args})")
    assert message in str(e.value), str(e.value)
    check(pair)


def test_drop_index_errors(pair):
    with pytest.raises(sqlite3.Error, match="no such index: nope"):
        pair.execute("SELECT lightning_drop_index('t', 'nope')")
    with pytest.raises(sqlite3.Error, match="declared in CREATE VIRTUAL TABLE"):
        pair.execute("SELECT lightning_drop_index('t', 'ix_ab')")
    pair.execute("BEGIN")
    pair.execute("SELECT count(*) FROM t").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="COMMIT first"):
        pair.execute("SELECT lightning_create_index('t', 'ix_b', 'b')")
    pair.execute("COMMIT")


@pytest.mark.parametrize("args, message", [
    ("INDEX ix(zz)", 'unknown column "zz"'),
    ("INDEX ix(a), INDEX IX(b)", "index IX already exists"),
    ("INDEX ix(a UP)", 'bad direction "UP"'),
    ("INDEX ix a", "malformed index declaration"),
    ("INDEX ix()", "expected a column name"),
])
def test_declaration_errors(tmp_path, ext_path, args, message):
    conn = connect(str(tmp_path / "decl.db"))
    with pytest.raises(sqlite3.Error) as e:
        conn.execute(f"CREATE VIRTUAL TABLE t USING lightning(a, b, {args})")
    assert message in str(e.value), str(e.value)


def test_index_inside_a_writing_transaction_rolls_back(pair):
    pair.execute("BEGIN")
    pair.execute("UPDATE t SET b = 'w' WHERE id = 1")
    pair.execute("SELECT lightning_create_index('t', 'ix_b', 'b')")
    assert ":ix_b" in plan(pair, "SELECT id FROM t WHERE b = 'w'")
    assert pair.execute("SELECT id FROM t WHERE b = 'w'").fetchall() == [(1,)]
    with pytest.raises(sqlite3.IntegrityError):  # a failed create undoes only itself
        pair.execute("SELECT lightning_create_index('t', 'ix_u', 'a', 1)")
    pair.execute("ROLLBACK")
    pair.execute("UPDATE t SET b = 'v' WHERE id = 2")  # re-reads the catalog: no ix_b
    assert pair.execute("SELECT id FROM t WHERE b = 'v'").fetchall() == [(2,)]
    check(pair)


# -- other connections, reopen, DROP/RENAME

def test_other_connection_and_reopen_see_created_index(tmp_path, ext_path):
    path = str(tmp_path / "two.db")
    one, two = connect(path), connect(path)
    one.execute("CREATE VIRTUAL TABLE t USING lightning(id INTEGER PRIMARY KEY, v TEXT)")
    one.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"v{i % 10}") for i in range(100)])
    assert two.execute("SELECT count(*) FROM t").fetchall() == [(100,)]  # connected before the index
    one.execute("SELECT lightning_create_index('t', 'ix_v', 'v')")
    two.executemany("INSERT INTO t VALUES (?, ?)", [(i, "late") for i in range(100, 110)])
    two.execute("UPDATE t SET v = 'moved' WHERE id < 5")
    assert [r[0] for r in one.execute("SELECT id FROM t WHERE v = 'late'")] == list(range(100, 110))
    assert [r[0] for r in one.execute("SELECT id FROM t WHERE v = 'moved'")] == list(range(5))
    check(one)
    one.close()
    two.close()
    three = connect(path)
    assert ":ix_v(v) (v=?)" in plan(three, "SELECT id FROM t WHERE v = 'v3'")
    assert [r[0] for r in three.execute("SELECT id FROM t WHERE v = 'v3'")] == list(range(13, 100, 10))
    check(three)
    # Another connection drops it: a write of `three` stops maintaining it.
    four = connect(path)
    four.execute("SELECT lightning_drop_index('t', 'ix_v')")
    # A connection that only reads plans without it (and a statement planned with it re-plans).
    assert "ix_v" not in plan(three, "SELECT id FROM t WHERE v = 'v3' ")
    assert [r[0] for r in three.execute("SELECT id FROM t WHERE v = 'v3'")] == list(range(13, 100, 10))
    four.execute("SELECT lightning_create_index('t', 'ix_v2', 'v DESC')")
    assert ":ix_v2(v DESC) (v=?)" in plan(three, "SELECT id FROM t WHERE v = 'v3'  ")
    four.execute("SELECT lightning_drop_index('t', 'ix_v2')")
    three.execute("INSERT INTO t VALUES (500, 'v3')")
    assert len(three.execute("SELECT id FROM t WHERE v = 'v3'").fetchall()) == 10
    three.close()
    four.close()


def test_drop_and_rename_table_take_their_indexes(tmp_path, ext_path):
    path = str(tmp_path / "dr.db")
    conn = connect(path)
    conn.execute("CREATE VIRTUAL TABLE t USING lightning(a, b, INDEX ix_a(a))")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i % 7, i) for i in range(50)])
    conn.execute("SELECT lightning_create_index('t', 'ix_b', 'b DESC')")
    conn.execute("ALTER TABLE t RENAME TO u")
    assert ":ix_b(b DESC) (b>?)" in plan(conn, "SELECT a FROM u WHERE b > 40")
    assert sorted(r[0] for r in conn.execute("SELECT b FROM u WHERE b > 45")) == [46, 47, 48, 49]
    conn.execute("INSERT INTO u VALUES (3, 100)")
    check(conn, "u")
    conn.close()
    conn = connect(path)
    assert [r[0] for r in conn.execute("SELECT b FROM u WHERE b > 48")] == [100, 49]
    check(conn, "u")
    conn.execute("DROP TABLE u")
    conn.execute("CREATE VIRTUAL TABLE u USING lightning(a, b)")  # no index comes back
    conn.execute("INSERT INTO u VALUES (1, 2)")
    assert "ix_" not in plan(conn, "SELECT a FROM u WHERE b > 1")
    names = {r[0] for r in conn.execute("SELECT DISTINCT tree FROM lightning_stats() WHERE tree IS NOT NULL")}
    assert names == {"u"}, names
    conn.close()


def test_stats_show_index_trees(pair):
    rows = dict(pair.execute("SELECT tree, value FROM lightning_stats('t') WHERE name = 'entries'").fetchall())
    assert rows == {"t": 300, "t\x1findex\x1fux_email": 300, "t\x1findex\x1fix_ab": 300, "t\x1findex\x1fix_c": 300}


# -- kill -9

CRASH_WRITER = r"""
import os, random, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension(os.path.splitext(sys.argv[2])[0])
conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS t USING lightning(id INTEGER PRIMARY KEY, email TEXT, "
             "a INTEGER, b TEXT, UNIQUE INDEX ux_email(email), INDEX ix_ab(a, b DESC))")
rng = random.Random(int(sys.argv[3]))
print("ready", flush=True)
if int(sys.argv[3]) == 1:
    try:
        conn.execute("SELECT lightning_create_index('t', 'ix_b', 'b')")
    except sqlite3.Error:
        pass
while True:
    conn.execute("BEGIN")
    for _ in range(rng.randint(1, 20)):
        x = rng.random()
        email = rng.choice([None, *[f"e{i}" for i in range(80)]])
        a, b = rng.choice([None, *range(9)]), rng.choice([None, "p", "q", "r"])
        if x < 0.6:
            conn.execute("INSERT OR REPLACE INTO t VALUES (?, ?, ?, ?)", (rng.randint(1, 300), email, a, b))
        elif x < 0.85:
            conn.execute("UPDATE OR IGNORE t SET email = ?, a = ?, b = ? WHERE id = ?", (email, a, b, rng.randint(1, 300)))
        else:
            conn.execute("DELETE FROM t WHERE a = ?", (rng.randint(0, 9),))
    conn.execute("COMMIT")
"""


def test_sigkill_keeps_indexes_consistent(tmp_path, ext_path):
    """kill -9 in the middle of writes: after reopening, lightning_check finds every index
    consistent with its table, and reads through each index agree with a scan."""
    path = str(tmp_path / "crash.db")
    for round_ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", CRASH_WRITER, path, ext_path, str(round_)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout.readline() == b"ready\n"  # the table exists (a loaded machine is slow)
        time.sleep(0.4 + 0.3 * round_)
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate()
        assert proc.returncode == -signal.SIGKILL, err.decode()
        conn = connect(path)
        check(conn)
        all_rows = conn.execute("SELECT id, email, a, b FROM t").fetchall()
        for id_, email, a, b in all_rows:
            if email is not None:
                assert conn.execute("SELECT id FROM t WHERE email = ?", (email,)).fetchall() == [(id_,)]
        for a in range(9):
            via_index = sorted(conn.execute("SELECT id FROM t WHERE a = ?", (a,)).fetchall())
            assert via_index == sorted((r[0],) for r in all_rows if r[2] == a)
        conn.close()
        print(f"round {round_}: {len(all_rows)} rows")
    assert all_rows


def test_prepared_statement_outlives_drop_and_recreate(tmp_path, ext_path):
    """A statement planned through an index that is then dropped (or replaced by another of
    the same name) is planned again when it runs, as native statements are after DROP INDEX."""
    conn = connect(str(tmp_path / "prep.db"))
    conn.execute("CREATE VIRTUAL TABLE t USING lightning(a, b)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, i % 5) for i in range(100)])
    conn.execute("SELECT lightning_create_index('t', 'ix', 'b')")
    q = "SELECT count(*) FROM t WHERE b = 3"
    assert conn.execute(q).fetchall() == [(20,)]  # cached by the sqlite3 module
    conn.execute("SELECT lightning_drop_index('t', 'ix')")
    assert conn.execute(q).fetchall() == [(20,)]
    conn.execute("SELECT lightning_create_index('t', 'ix', 'a')")
    assert conn.execute(q).fetchall() == [(20,)]
    other = connect(str(tmp_path / "prep.db"))
    other.execute("SELECT lightning_drop_index('t', 'ix')")
    other.execute("SELECT lightning_create_index('t', 'ix', 'b DESC')")
    other.close()
    conn.execute("INSERT INTO t VALUES (1000, 3)")  # this connection's write re-reads the catalog
    assert conn.execute(q).fetchall() == [(21,)]
    check(conn)


def test_writes_through_a_temp_alias_maintain_indexes(tmp_path, ext_path):
    """An alias (temp.t USING lightning(alias='main')) shares the table's index trees."""
    conn = connect(str(tmp_path / "alias.db"))
    conn.execute("CREATE VIRTUAL TABLE t USING lightning(id INTEGER PRIMARY KEY, v TEXT, INDEX ix_v(v))")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"v{i % 4}") for i in range(40)])
    conn.execute("SELECT lightning_create_index('t', 'ux_id_v', 'v, id', 1)")
    conn.execute("CREATE VIRTUAL TABLE temp.t USING lightning(alias='main')")
    conn.execute("INSERT INTO temp.t VALUES (100, 'v1')")
    conn.execute("UPDATE temp.t SET v = 'w' WHERE id < 3")
    conn.execute("DELETE FROM temp.t WHERE id = 5")
    assert sorted(r[0] for r in conn.execute("SELECT id FROM main.t WHERE v = 'v1'")) == \
        [i for i in range(40) if i % 4 == 1 and i not in (1, 5)] + [100]
    assert [r[0] for r in conn.execute("SELECT id FROM main.t WHERE v = 'w' ORDER BY id")] == [0, 1, 2]
    check(conn)
