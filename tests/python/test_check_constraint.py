"""CHECK constraints on lightning tables against a native table with the same
constraints: messages (`CHECK constraint failed: <name or expression>`) and
SQLITE_CONSTRAINT_CHECK, the order of NOT NULL, CHECK and UNIQUE, every
conflict clause, affinity and collation as native, transactions and
savepoints, reopen, and what CREATE refuses. The random differential runs
are the check_* schemas of test_differential.py and test_composite_key.py.
(test_check.py is lightning_check(), the integrity check.)"""
import sqlite3

import pytest

from conftest import connect

SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_CHECK = 19, 275

SCHEMA = ("id INTEGER PRIMARY KEY, a INTEGER NOT NULL CHECK(a > 0), "
          "b TEXT CONSTRAINT short CHECK (length(b) <  5) UNIQUE, c REAL, "
          "CHECK(  a < c  ), CONSTRAINT \"no hundred\" CHECK(c <> 100)")


def error_of(conn, sql, params=()):
    with pytest.raises(sqlite3.Error) as info:
        conn.execute(sql, params)
    return str(info.value), info.value.sqlite_errorcode


def both(conn, sql):
    """Runs `sql` ({} = the table) on the native table n and the lightning
    table t; returns the two outcomes (rows or (message, code))."""
    out = []
    for table in ("n", "t"):
        try:
            out.append(("ok", conn.execute(sql.replace("{}", table)).fetchall()))
        except sqlite3.Error as e:
            out.append(("error", str(e).replace("n.", "t."), e.sqlite_errorcode))
    return out


def rows(conn, table):
    return conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


@pytest.fixture
def pair(tmp_path, ext_path):
    conn = connect(str(tmp_path / "c.db"))
    conn.execute(f"CREATE VIRTUAL TABLE t USING lightning({SCHEMA})")
    conn.execute(f"CREATE TABLE n({SCHEMA})")
    for table in ("t", "n"):
        conn.execute(f"INSERT INTO {table} VALUES (1, 1, 'x', 5), (2, 2, 'y', 6)")
    yield conn
    conn.close()


@pytest.mark.parametrize("sql", [
    "INSERT INTO {} VALUES (3, 0, 'z', 5)",            # column CHECK, unnamed: its text
    "INSERT INTO {} VALUES (3, 1, 'zzzzzz', 5)",       # named column CHECK
    "INSERT INTO {} VALUES (3, 9, 'z', 5)",            # table CHECK, text trimmed
    "INSERT INTO {} VALUES (3, 1, 'z', 100)",          # named table CHECK, quoted name
    "INSERT INTO {} VALUES (3, 0, 'zzzzzz', 100)",     # several fail: the first declared
    "INSERT INTO {} VALUES (3, NULL, 'zzzzzz', 0)",    # NOT NULL before CHECK
    "INSERT INTO {} VALUES (3, 0, 'x', 5)",            # CHECK before UNIQUE
    "INSERT INTO {} VALUES (1, 0, 'x', 5)",            # CHECK before the rowid
    "INSERT INTO {} VALUES (3, 1, 'x', 5)",            # UNIQUE still named
    "UPDATE {} SET a = -1 WHERE id = 1",
    "UPDATE {} SET c = 0",                              # fails on the first row, nothing changes
    "UPDATE {} SET b = 'y', a = 0 WHERE id = 1",
    "INSERT INTO {} SELECT id + 10, a - 1, b || 'q', c FROM {} ORDER BY id",
])
def test_errors_are_native(pair, sql):
    native, light = both(pair, sql)
    assert light == native
    assert rows(pair, "t") == rows(pair, "n")


def test_codes_and_nulls_pass(pair):
    msg, code = error_of(pair, "INSERT INTO t VALUES (3, 0, 'z', 5)")
    assert (msg, code) == ("CHECK constraint failed: a > 0", SQLITE_CONSTRAINT_CHECK)
    assert error_of(pair, "INSERT INTO t VALUES (3, 1, 'z', 100)") == ("CHECK constraint failed: no hundred",
                                                                       SQLITE_CONSTRAINT_CHECK)
    # NULL is not false: a NULL result passes.
    for table in ("t", "n"):
        pair.execute(f"INSERT INTO {table} VALUES (3, 1, NULL, NULL)")
    assert rows(pair, "t") == rows(pair, "n")


@pytest.mark.parametrize("verb", ["INSERT OR IGNORE", "INSERT OR REPLACE", "REPLACE", "INSERT OR ABORT",
                                  "INSERT OR FAIL", "INSERT OR ROLLBACK", "INSERT"])
@pytest.mark.parametrize("in_transaction", [False, True])
def test_conflict_clauses_on_insert(pair, verb, in_transaction):
    # Row 3 is fine, row 4 fails a CHECK, row 5 is fine: IGNORE skips row 4, REPLACE
    # aborts (a CHECK has no row to replace), FAIL keeps row 3, ROLLBACK ends the transaction.
    if in_transaction:
        pair.execute("BEGIN")
        for table in ("t", "n"):
            pair.execute(f"INSERT INTO {table} VALUES (10, 1, 'k', 5)")
    native, light = both(pair, verb + " INTO {} VALUES (3, 1, 'p', 5), (4, 0, 'q', 5), (5, 1, 'r', 5)")
    assert light == native
    assert pair.in_transaction == in_transaction or verb == "INSERT OR ROLLBACK"
    assert rows(pair, "t") == rows(pair, "n")
    if pair.in_transaction:
        pair.execute("COMMIT")
    assert rows(pair, "t") == rows(pair, "n")


@pytest.mark.parametrize("verb", ["UPDATE OR IGNORE", "UPDATE OR REPLACE", "UPDATE OR ABORT",
                                  "UPDATE OR FAIL", "UPDATE OR ROLLBACK", "UPDATE"])
def test_conflict_clauses_on_update(pair, verb):
    for table in ("t", "n"):
        pair.execute(f"INSERT INTO {table} VALUES (3, 1, 'p', 1.5)")
    pair.execute("BEGIN")
    # Row 3 (c = 1.5) fails a < c once a becomes 2; rows 1 and 2 do not.
    native, light = both(pair, verb + " {} SET a = 2 WHERE id IN (1, 3, 2)")
    assert light == native
    assert rows(pair, "t") == rows(pair, "n")
    if pair.in_transaction:
        pair.execute("ROLLBACK")
    assert rows(pair, "t") == rows(pair, "n")


def test_update_or_replace_with_check_and_unique(pair):
    # The new b clashes with row 2 (UNIQUE) and a fails a CHECK: native aborts.
    native, light = both(pair, "UPDATE OR REPLACE {} SET b = 'y', a = 0 WHERE id = 1")
    assert light == native and light[0] == "error"
    # Without the CHECK failure, REPLACE deletes row 2, as native.
    native, light = both(pair, "UPDATE OR REPLACE {} SET b = 'y' WHERE id = 1")
    assert light == native
    assert rows(pair, "t") == rows(pair, "n")


TYPED = "a INTEGER CHECK(a = '5'), b TEXT CHECK(b < 5), c REAL CHECK(typeof(c) = 'real'), d NUMERIC CHECK(d <> '7'), e CHECK(e <> 3)"


@pytest.mark.parametrize("values", [
    "(5, '10', 1, 8, 4)",        # '10' < '5' as TEXT: passes (it would fail compared as numbers)
    "('5', '6', 1, 8, 4)",       # '5' -> 5 by INTEGER affinity
    "(5, 6, 1, 8, 4)",           # 6 -> '6' by TEXT affinity: '6' < '5' is false
    "(5, '1', '2', 8, 4)",       # '2' -> 2.0 by REAL affinity
    "(5, '1', 'x', 8, 4)",       # 'x' stays TEXT under REAL affinity: typeof is text
    "(5, '1', 1, '7', 4)",       # '7' -> 7 by NUMERIC affinity, and d <> '7' compares numerically
    "(5, '1', 1, 8, '3')",       # no affinity: '3' stays TEXT and differs from 3
    "(5, '1', 1, 8, 3)",
    "(' 5 ', '1', 1, 8, 4)",     # surrounding spaces: INTEGER affinity still converts
    "(5.0, '1', 1, 8, 4)",
    "(x'35', '1', 1, 8, 4)",     # a BLOB is never converted
])
def test_affinity_applies_as_native(tmp_path, ext_path, values):
    conn = connect(str(tmp_path / "a.db"))
    conn.execute(f"CREATE VIRTUAL TABLE t USING lightning({TYPED})")
    conn.execute(f"CREATE TABLE n({TYPED})")
    native, light = both(conn, "INSERT INTO {} VALUES " + values)
    assert light == native
    assert conn.execute("SELECT * FROM t").fetchall() == conn.execute("SELECT * FROM n").fetchall()
    conn.close()


def test_collation_and_qualified_names_and_quoted_text(tmp_path, ext_path):
    conn = connect(str(tmp_path / "q.db"))
    schema = ("a TEXT COLLATE NOCASE CHECK(a = 'X'), [b] CHECK([b]<`a`), "
              "c CHECK(tbl.c > 0 /* positive */), d CHECK(d <> 1 -- one\n)")
    conn.execute(f"CREATE VIRTUAL TABLE tbl USING lightning({schema})")
    conn.execute(f"CREATE TABLE ntbl({schema.replace('tbl.', 'ntbl.')})")
    for values in ["('x', 'a', 1, 2)", "('y', 'a', 1, 2)", "('x', 'z', 1, 2)", "('x', 'a', 0, 2)",
                   "('x', 'a', 1, 1)"]:
        out = []
        for table in ("ntbl", "tbl"):
            try:
                conn.execute(f"INSERT INTO {table} VALUES {values}")
                out.append("ok")
            except sqlite3.Error as e:
                out.append((str(e).replace("ntbl.", "tbl."), e.sqlite_errorcode))
        assert out[0] == out[1], values
    # Native names an unnamed CHECK by its text, dequoted ("[b]<`a`" -> "b").
    assert error_of(conn, "INSERT INTO tbl VALUES ('x', 'z', 1, 2)")[0] == "CHECK constraint failed: b"
    conn.close()


def test_errors_of_the_expression_itself_are_native(tmp_path, ext_path):
    conn = connect(str(tmp_path / "e.db"))
    for table, create in (("t", "CREATE VIRTUAL TABLE t USING lightning"), ("n", "CREATE TABLE n")):
        conn.execute(f"{create}(a INTEGER CHECK(abs(a) >= 0), b CHECK(b))")
    native, light = both(conn, "INSERT INTO {} VALUES (-9223372036854775808, 1)")
    assert light == native and light[0] == "error" and "integer overflow" in light[1]
    # Truth as native: 'abc' is 0 (false), 0.5 is true, '1x' is 1.
    for b in ("'abc'", "0.5", "'1x'", "0.0", "x'00'", "NULL"):
        native, light = both(conn, "INSERT INTO {} VALUES (1, " + b + ")")
        assert light == native, b
    conn.close()


@pytest.mark.parametrize("definition,native_message", [
    ("a CHECK(zz > 0)", "no such column: zz"),
    ("a CHECK(x.a > 0)", "no such column: x.a"),
    ("a CHECK((SELECT 1) > 0)", "subqueries prohibited in CHECK constraints"),
    ("a CHECK(a IN (SELECT 1))", "subqueries prohibited in CHECK constraints"),
    ("a CHECK(EXISTS (SELECT 1))", "subqueries prohibited in CHECK constraints"),
    ("a CHECK(a > ?1)", "parameters prohibited in CHECK constraints"),
    ("a CHECK(a > :x)", "parameters prohibited in CHECK constraints"),
    ("a CHECK(count(*) > 0)", "misuse of aggregate function count()"),
    ("a CHECK(sum(a) > 0)", "misuse of aggregate function sum()"),
    ("a CHECK(row_number() OVER () > 0)", "misuse of window function row_number()"),
    ("a CHECK(nosuchfn(a))", "no such function: nosuchfn"),
    ("a, CHECK(b > 0)", "no such column: b"),
])
def test_create_refuses_what_native_refuses(db, definition, native_message):
    with pytest.raises(sqlite3.Error) as native:
        db.execute(f"CREATE TABLE n({definition})")
    assert native_message in str(native.value)
    with pytest.raises(sqlite3.Error) as light:
        db.execute(f"CREATE VIRTUAL TABLE t USING lightning({definition})")
    assert native_message in str(light.value), str(light.value)
    assert str(light.value).startswith("lightning: ")
    assert db.execute("SELECT count(*) FROM sqlite_schema WHERE name IN ('t', 'n')").fetchone() == (0,)


@pytest.mark.parametrize("definition,words", [
    ("a REFERENCES p(x)", "SQLite enforces foreign keys on native tables only"),
    ("a, FOREIGN KEY(a) REFERENCES p(x)", "SQLite enforces foreign keys on native tables only"),
    ("a AS (1)", "SQLite refuses computed columns in a virtual table's schema"),
    ("a GENERATED ALWAYS AS (1) STORED", "SQLite refuses computed columns"),
    ("a DEFAULT 5", "SQLite passes an omitted column to a virtual table as NULL"),
])
def test_still_refused_with_the_reason(db, definition, words):
    with pytest.raises(sqlite3.Error) as e:
        db.execute(f"CREATE VIRTUAL TABLE t USING lightning({definition})")
    assert words in str(e.value), str(e.value)


def test_savepoints_and_reopen(tmp_path, ext_path):
    path = str(tmp_path / "r.db")
    conn = connect(path)
    conn.execute(f"CREATE VIRTUAL TABLE t USING lightning({SCHEMA})")
    conn.execute(f"CREATE TABLE n({SCHEMA})")
    conn.execute("BEGIN")
    conn.execute("SAVEPOINT s1")
    for table in ("t", "n"):
        conn.execute(f"INSERT INTO {table} VALUES (1, 1, 'x', 5)")
    conn.execute("SAVEPOINT s2")
    for table in ("t", "n"):
        conn.execute(f"INSERT INTO {table} VALUES (2, 2, 'y', 6)")
        assert error_of(conn, f"UPDATE {table} SET a = 0")[1] == SQLITE_CONSTRAINT_CHECK
    conn.execute("ROLLBACK TO s2")
    for table in ("t", "n"):
        conn.execute(f"INSERT INTO {table} VALUES (3, 3, 'z', 7)")
    conn.execute("RELEASE s1")
    conn.execute("COMMIT")
    assert rows(conn, "t") == rows(conn, "n") == [(1, 1, "x", 5.0), (3, 3, "z", 7.0)]
    conn.close()
    # The constraints come back with the table's definition.
    conn = connect(path)
    native, light = both(conn, "INSERT INTO {} VALUES (4, 5, 'w', 1)")
    assert light == native and light[2] == SQLITE_CONSTRAINT_CHECK
    conn.execute("ALTER TABLE t RENAME TO t2")
    assert error_of(conn, "INSERT INTO t2 VALUES (4, 0, 'w', 9)") == ("CHECK constraint failed: a > 0",
                                                                      SQLITE_CONSTRAINT_CHECK)
    conn.execute("INSERT INTO t2 VALUES (4, 1, 'w', 9)")
    conn.execute("DROP TABLE t2")
    conn.close()


def test_checks_evaluated_while_the_table_is_read(pair):
    # UPDATE and INSERT ... SELECT write while a cursor of the same table is
    # open; two connections each prepare their own statement.
    for table in ("t", "n"):
        pair.execute(f"UPDATE {table} SET c = c + 1 WHERE a > 0")
        pair.execute(f"INSERT OR IGNORE INTO {table} SELECT id + 2, a - 1, b || '2', c FROM {table}")
    assert rows(pair, "t") == rows(pair, "n")
    other = connect(pair.execute("PRAGMA database_list").fetchone()[2])
    assert error_of(other, "INSERT INTO t VALUES (9, 9, 'q', 1)")[0] == "CHECK constraint failed: a < c"
    other.close()


@pytest.mark.parametrize("schema", ["a, b CHECK(rowid > 5 AND oid = _rowid_)", "k INTEGER PRIMARY KEY, a CHECK(rowid <> 7)"])
def test_a_check_may_name_the_rowid(tmp_path, ext_path, schema):
    conn = connect(str(tmp_path / "r.db"))
    conn.execute(f"CREATE VIRTUAL TABLE t USING lightning({schema})")
    conn.execute(f"CREATE TABLE n({schema})")
    cols = "rowid, a" if schema.startswith("a,") else "k, a"
    for sql in [f"INSERT INTO {{}}({cols}) VALUES (1, 1)", f"INSERT INTO {{}}({cols}) VALUES (7, 1)",
                f"INSERT INTO {{}}({cols}) VALUES (10, 1)", "INSERT INTO {}(a) VALUES (2)",
                "INSERT INTO {}(a) VALUES (3)", "UPDATE {} SET rowid = 3 WHERE rowid = 10",
                "UPDATE {} SET rowid = rowid + 2 WHERE rowid = 11"]:
        native, light = both(conn, sql)
        assert light == native, sql
        assert conn.execute("SELECT rowid, * FROM t ORDER BY 1").fetchall() == \
            conn.execute("SELECT rowid, * FROM n ORDER BY 1").fetchall()
    conn.close()


def test_rowid_is_no_column_of_a_without_rowid_table(db):
    with pytest.raises(sqlite3.Error) as native:
        db.execute("CREATE TABLE n(k TEXT PRIMARY KEY, a CHECK(rowid > 0)) WITHOUT ROWID")
    with pytest.raises(sqlite3.Error) as light:
        db.execute("CREATE VIRTUAL TABLE t USING lightning(k TEXT PRIMARY KEY, a CHECK(rowid > 0))")
    assert "no such column: rowid" in str(native.value) and "no such column: rowid" in str(light.value)


def test_a_check_that_writes_to_its_own_table_is_refused(db):
    # An application function called by the CHECK inserts into the same table:
    # the nested write cannot re-enter the CHECK evaluation.
    def sneaky(x):
        for sql in ("INSERT INTO t VALUES (100, 1)", "DELETE FROM t"):
            try:
                db.execute(sql)
            except sqlite3.Error as e:
                errors.append(str(e))
        return 1

    errors = []
    db.create_function("sneaky", 1, sneaky)
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, a CHECK(sneaky(a)))")
    db.execute("INSERT INTO t VALUES (1, 1)")
    db.execute("INSERT INTO t VALUES (2, 1)")
    # Two INSERTs refused; one DELETE (the first found no row to delete).
    assert len(errors) == 3 and all("a CHECK expression wrote to its own table" in e for e in errors), errors
    assert db.execute("SELECT k FROM t").fetchall() == [(1,), (2,)]
