"""TEXT values reach a lightning table as UTF-8, whatever the database's
encoding and however the application passes them (a literal in the SQL, a
bound parameter, the result of an expression), and come back as they went in.

The module reads TEXT with sqlite3_value_bytes() + sqlite3_value_blob()
(vtab_values.cc): these tests pin down that this converts UTF-16 text and
keeps empty strings and NUL bytes.
"""
import pytest

from conftest import connect

ROWS = [("ascii", "plain"), ("héllo", "wörld ✓"), ("日本", "語"), ("", ""), ("nul", "a\x00b")]


@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16le", "UTF-16be"])
def test_text_round_trips_in_every_database_encoding(tmp_path, ext_path, encoding):
    results = []
    for kind in ("native", "lightning"):
        db = connect(str(tmp_path / f"{kind}.db"))
        db.execute(f"PRAGMA encoding = '{encoding}'")
        if kind == "native":
            db.execute("CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT, w) WITHOUT ROWID")
        else:
            db.execute("CREATE VIRTUAL TABLE t USING lightning(k TEXT PRIMARY KEY, v TEXT, w)")
        assert db.execute("PRAGMA encoding").fetchone()[0] == encoding
        db.execute("BEGIN")
        for k, v in ROWS:  # bound parameters (UTF-8 from Python)
            db.execute("INSERT INTO t VALUES (?, ?, ?)", (k, v, v + "!"))
        # literals (converted to the database's encoding by SQLite) and expressions
        db.execute("INSERT INTO t VALUES ('lit-ü', 'ça', 'x' || 'ÿ')")
        db.execute("INSERT INTO t VALUES (upper('ünï'), substr('ab€cd', 2, 3), '')")
        db.execute("COMMIT")
        db.execute("UPDATE t SET v = ? WHERE k = ?", ("nöw", "日本"))
        db.execute("UPDATE t SET w = v || k WHERE k = 'héllo'")
        rows = sorted(db.execute("SELECT k, v, w, typeof(v), length(v), hex(k), hex(v), hex(w) FROM t"))
        lookups = [db.execute("SELECT v, w FROM t WHERE k = ?", (k,)).fetchall() for k, _ in ROWS]
        lookups.append(db.execute("SELECT v FROM t WHERE k = 'lit-ü'").fetchall())
        results.append((rows, lookups))
        db.close()
    assert results[0] == results[1]
    rows, lookups = results[1]
    assert lookups[1] == [("wörld ✓", "wörld ✓héllo")]
    assert lookups[2] == [("nöw", "語!")]
    assert lookups[3] == [("", "!")]
    assert lookups[4] == [("a\x00b", "a\x00b!")]
    assert lookups[5] == [("ça",)]
