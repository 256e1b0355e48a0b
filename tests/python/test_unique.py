"""UNIQUE constraints on lightning tables: native messages and codes, NULLs
distinct, every conflict mode (OR REPLACE removes every conflicting row),
transactions and savepoints, reopen, RENAME and DROP, and the UNIQUE trees
consistent with the table after kill -9. The random differential
runs are in test_differential.py and test_composite_key.py (schemas unique_*)."""
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import connect

SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_UNIQUE = 19, 2067
SQLITE_CONSTRAINT_PRIMARYKEY = 1555

SCHEMA = "id INTEGER PRIMARY KEY, email TEXT UNIQUE, a, b, UNIQUE(a, b)"


def error_of(conn, sql):
    with pytest.raises(sqlite3.Error) as info:
        conn.execute(sql)
    return str(info.value), info.value.sqlite_errorcode


@pytest.fixture
def pair(tmp_path, ext_path):
    conn = connect(str(tmp_path / "u.db"))
    conn.execute(f"CREATE VIRTUAL TABLE t USING lightning({SCHEMA})")
    conn.execute(f"CREATE TABLE n({SCHEMA})")
    for table in ("t", "n"):
        conn.execute(f"INSERT INTO {table} VALUES (1, 'x', 1, 1), (2, 'y', 1, 2), (3, NULL, NULL, 1), (4, NULL, NULL, 1)")
    yield conn
    conn.close()


def rows(conn, table):
    return conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


@pytest.mark.parametrize("sql", [
    "INSERT INTO {} VALUES (5, 'x', 9, 9)",
    "INSERT INTO {} VALUES (5, 'z', 1, 1)",
    "INSERT INTO {} VALUES (1, 'x', 1, 1)",           # the rowid is checked first
    "INSERT INTO {} VALUES (5, 'x', 1, 1)",           # both UNIQUEs: native names UNIQUE(a, b)
    "UPDATE {} SET email = 'y' WHERE id = 1",
    "UPDATE {} SET a = 1, b = 2 WHERE id = 1",
])
def test_unique_errors_are_native(pair, sql):
    native = error_of(pair, sql.format("n"))
    assert error_of(pair, sql.format("t")) == (native[0].replace("n.", "t."), native[1])
    assert native[1] in (SQLITE_CONSTRAINT_UNIQUE, 1555, 2579)
    assert rows(pair, "t") == rows(pair, "n")


def test_nulls_are_distinct_and_unique_columns_are_not_keys(pair):
    for table in ("t", "n"):
        pair.execute(f"INSERT INTO {table} VALUES (5, NULL, NULL, 1)")
        pair.execute(f"UPDATE {table} SET email = 'x2' WHERE id = 1")
        pair.execute(f"INSERT INTO {table} VALUES (6, 'x', 3, 3)")  # 'x' is free again
    assert rows(pair, "t") == rows(pair, "n")


@pytest.mark.parametrize("verb", ["INSERT OR REPLACE", "REPLACE", "INSERT OR IGNORE", "UPDATE OR REPLACE",
                                  "UPDATE OR IGNORE"])
def test_conflict_modes(pair, verb):
    for table in ("t", "n"):
        if verb.startswith("UPDATE"):
            # id 3 takes email 'x' (row 1) and (a, b) = (1, 2) (row 2): REPLACE deletes both.
            pair.execute(f"{verb} {table} SET email = 'x', a = 1, b = 2 WHERE id = 3")
        else:
            pair.execute(f"{verb} INTO {table} VALUES (9, 'x', 1, 2)")
    assert rows(pair, "t") == rows(pair, "n")
    assert pair.execute("SELECT total_changes()").fetchone()[0] > 0


def test_transactions_savepoints_and_reopen(tmp_path, ext_path):
    path = str(tmp_path / "r.db")
    conn = connect(path)
    conn.execute(f"CREATE VIRTUAL TABLE t USING lightning({SCHEMA})")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t VALUES (1, 'x', 1, 1)")
    conn.execute("SAVEPOINT s")
    conn.execute("UPDATE t SET email = 'y' WHERE id = 1")
    conn.execute("ROLLBACK TO s")
    conn.execute("INSERT INTO t VALUES (2, 'y', 1, 2)")  # 'y' was rolled back with the row
    assert error_of(conn, "INSERT INTO t VALUES (3, 'x', 5, 5)")[1] == SQLITE_CONSTRAINT_UNIQUE
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    conn.execute("DELETE FROM t WHERE id = 1")
    conn.execute("ROLLBACK")
    conn.close()
    conn = connect(path)
    assert error_of(conn, "INSERT INTO t VALUES (3, 'x', 5, 5)") == ("UNIQUE constraint failed: t.email",
                                                                    SQLITE_CONSTRAINT_UNIQUE)
    conn.execute("ALTER TABLE t RENAME TO u")
    assert error_of(conn, "INSERT INTO u VALUES (3, 'y', 5, 5)") == ("UNIQUE constraint failed: u.email",
                                                                    SQLITE_CONSTRAINT_UNIQUE)
    conn.execute("DROP TABLE u")
    conn.execute(f"CREATE VIRTUAL TABLE u USING lightning({SCHEMA})")
    conn.execute("INSERT INTO u VALUES (3, 'y', 5, 5)")  # nothing left of the dropped constraint
    conn.close()


def test_composite_key_with_unique(db):
    cols = "a INTEGER, b TEXT, c UNIQUE, PRIMARY KEY(a, b DESC)"
    db.execute(f"CREATE VIRTUAL TABLE t USING lightning({cols})")
    db.execute(f"CREATE TABLE n({cols}) WITHOUT ROWID")
    for table in ("t", "n"):
        db.execute(f"INSERT INTO {table} VALUES (1, 'x', 1), (1, 'y', 2)")
    for sql in ["INSERT INTO {} VALUES (1, 'x', 1)", "INSERT INTO {} VALUES (2, 'x', 2)",
                "UPDATE {} SET c = 1 WHERE b = 'y'"]:
        native = error_of(db, sql.format("n"))
        assert error_of(db, sql.format("t")) == (native[0].replace("n.", "t."), native[1]), sql
    for table in ("t", "n"):
        db.execute(f"INSERT OR REPLACE INTO {table} VALUES (1, 'x', 2)")
    assert db.execute("SELECT * FROM t").fetchall() == db.execute("SELECT * FROM n").fetchall() == [(1, "x", 2)]


def test_update_or_replace_skips_rows_it_deleted(pair):
    # Row 1 takes row 2's email, which deletes row 2 before the statement reaches it: native
    # skips row 2 then, and so must the virtual table (SQLite hands it row 2's new values).
    for table in ("t", "n"):
        pair.execute(f"UPDATE OR REPLACE {table} SET email = 'y', b = b + 10 WHERE id IN (1, 2)")
    assert rows(pair, "t") == rows(pair, "n")
    assert [r[0] for r in rows(pair, "t")] == [1, 3, 4]


CRASH_WRITER = r"""
import os, random, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension(os.path.splitext(sys.argv[2])[0])
conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS t USING lightning(%s)")
print("ready", flush=True)  # the table exists: the parent may kill from now on
rng = random.Random(int(sys.argv[3]))
while True:
    conn.execute("BEGIN")
    for _ in range(rng.randint(1, 20)):
        x = rng.random()
        email = rng.choice([None, *[f"e{i}" for i in range(60)]])
        a, b = rng.randint(0, 9), rng.choice([None, *range(9)])
        if x < 0.6:
            conn.execute("INSERT OR REPLACE INTO t VALUES (?, ?, ?, ?)", (rng.randint(1, 200), email, a, b))
        elif x < 0.85:
            conn.execute("UPDATE OR IGNORE t SET email = ?, a = ?, b = ? WHERE id = ?", (email, a, b, rng.randint(1, 200)))
        else:
            conn.execute("DELETE FROM t WHERE id = ?", (rng.randint(1, 200),))
    conn.execute("COMMIT")
""" % SCHEMA


def test_sigkill_keeps_unique_trees_consistent(tmp_path, ext_path):
    """kill -9 in the middle of writes: after reopening, each UNIQUE tree holds exactly
    one entry per row with non-NULL values, and each entry finds its row."""
    path = str(tmp_path / "crash.db")
    for round_ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", CRASH_WRITER, path, ext_path, str(round_)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Kill during the writes, not before the table exists (a loaded machine is slow to start).
        assert proc.stdout.readline() == b"ready\n", proc.stderr.read().decode()
        time.sleep(0.4 + 0.3 * round_)
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate()
        assert proc.returncode == -signal.SIGKILL, err.decode()
        conn = connect(path)
        all_rows = conn.execute("SELECT id, email, a, b FROM t").fetchall()
        entries = {name: value for name, value in
                   conn.execute("SELECT tree, value FROM lightning_stats WHERE name = 'entries'")
                   if name and name.startswith("t\x1funique")}
        with_email = [r for r in all_rows if r[1] is not None]
        with_ab = [r for r in all_rows if r[2] is not None and r[3] is not None]
        assert entries == {"t\x1funique1": len(with_email), "t\x1funique2": len(with_ab)}, (round_, entries)
        for id_, email, a, b in with_email:
            assert conn.execute("SELECT id FROM t WHERE email = ?", (email,)).fetchall() == [(id_,)]
        for id_, email, a, b in with_ab:
            assert conn.execute("SELECT id FROM t WHERE a = ? AND b = ?", (a, b)).fetchall() == [(id_,)]
        # lightning_check walks each UNIQUE tree against the rows too.
        assert [p for (p,) in conn.execute("SELECT problem FROM lightning_check('t')")] == ["ok"], round_
        conn.close()
        print(f"round {round_}: {len(all_rows)} rows, entries {entries}")
    assert all_rows
