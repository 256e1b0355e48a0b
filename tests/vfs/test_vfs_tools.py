"""The lightning_*() functions on VFS databases, VACUUM giving space back, and
refused opens (issue 17 items 10, 12, 13)."""
import os
import re
import sqlite3

import pytest

from conftest import SQLITE_CANTOPEN, SQLITE_NOTADB, connect_lightning, connect_plain, load_extension, \
    log_text, sqlite3_shell, uri


def fill(conn, n=3000, width=300):
    conn.execute("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t(body) VALUES (?)",
                     ((f"row {i} " + os.urandom(width // 2).hex(),) for i in range(n)))
    conn.execute("COMMIT")


def test_stats_of_main_logs_no_error(tmp_path):
    """lightning_stats('main') used to log `no such table: temp.main`."""
    out = sqlite3_shell(f".open {uri('app.db')}\nCREATE TABLE t(x);\n"
                        "SELECT count(*) > 10 FROM lightning_stats('main');\n"
                        "CREATE VIRTUAL TABLE lt USING lightning(k INTEGER PRIMARY KEY, v);\n"
                        "SELECT count(*) > 10 FROM lightning_stats('lt');\n"
                        "SELECT count(*) > 10 FROM lightning_stats('main.lt');", cwd=tmp_path)
    assert out.stdout.split() == ["1", "1", "1"], out
    assert "no such table" not in out.stderr and "unknown database" not in out.stderr, out.stderr


def test_vfs_stats_pragma_prints_figures_as_sqlite_does(tmp_path):
    conn = connect_lightning(str(tmp_path / "p.db"))
    fill(conn, 500)
    assert conn.execute("PRAGMA lightning_checkpoint").fetchone() == ("ok",)
    units = {name: unit for name, unit in
             conn.execute("SELECT name, unit FROM lightning_stats('main')")}
    text = conn.execute("PRAGMA lightning_vfs_stats").fetchone()[0]
    reals = 0
    for line in text.split("\n"):
        name, value = line.split("=")
        if units[name] in ("count", "bytes", "lsn"):
            assert re.fullmatch(r"-?\d+", value), line
        else:
            reals += 1
            if value in ("NaN", "Inf", "-Inf"):
                continue
            assert re.fullmatch(r"-?\d+\.\d+(e[+-]\d+)?", value), line
            digits = re.sub(r"e.*|[-.]", "", value).strip("0")
            assert len(digits) <= 15, line  # %!.15g, not 0.057685017999999998
    assert reals >= 3
    conn.close()


def test_refused_open_says_why_and_leaves_nothing(tmp_path):
    load_extension()
    plain = connect_plain(str(tmp_path / "plain.db"))
    plain.execute("CREATE TABLE t(x)")
    plain.close()
    before = sorted(os.listdir(tmp_path))
    probe = connect_plain(":memory:")  # the same thread: lightning_vfs_error() is per thread
    with pytest.raises(sqlite3.DatabaseError) as e:
        sqlite3.connect(uri(str(tmp_path / "plain.db")), uri=True).execute("SELECT 1").fetchall()
    assert e.value.sqlite_errorcode == SQLITE_NOTADB
    assert sorted(os.listdir(tmp_path)) == before  # no -lock, no -lwal
    (why,) = probe.execute("SELECT lightning_vfs_error()").fetchone()
    assert "plain.db is not a Lightning store" in why and "VACUUM INTO" in why, why

    with pytest.raises(sqlite3.OperationalError) as e:
        sqlite3.connect(uri(str(tmp_path / "new.db"), compresion="zstd"), uri=True)
    assert e.value.sqlite_errorcode == SQLITE_CANTOPEN
    assert sorted(os.listdir(tmp_path)) == before
    (why,) = probe.execute("SELECT lightning_vfs_error()").fetchone()
    assert "unknown URI parameter 'compresion'; did you mean 'compression'?" in why, why

    ok = connect_lightning(str(tmp_path / "new.db"))  # a successful open clears it
    assert probe.execute("SELECT lightning_vfs_error()").fetchone() == (None,)
    ok.close()
    probe.close()


def test_maintenance_functions_take_a_schema_name(tmp_path):
    conn = connect_lightning(str(tmp_path / "m.db"))
    fill(conn, 1000)
    conn.execute(f"ATTACH '{uri(str(tmp_path / 'aux.db'))}' AS aux")
    conn.execute("CREATE TABLE aux.a(x)")
    conn.execute("INSERT INTO aux.a VALUES (1)")
    main_path = str(tmp_path / "m.db")
    for name, path in (("main", main_path), ("aux", str(tmp_path / "aux.db")), (main_path, main_path)):
        (done,) = conn.execute("SELECT lightning_checkpoint(?)", (name,)).fetchone()
        assert done.startswith("ok: "), done
        assert conn.execute("SELECT * FROM lightning_check(?)", (name,)).fetchall() == [(path, "ok")]
        (done,) = conn.execute("SELECT lightning_compact(?)", (name,)).fetchone()
        assert done.startswith("ok: file "), done
        ops = {op: n for op, n in conn.execute(
            "SELECT operation, count FROM lightning_latency(?)", (name,))}
        assert ops["commit"] >= 1, ops
        config = dict(conn.execute("SELECT name, value FROM lightning_config(?)", (name,)))
        assert config["cache_size"] == "256MiB" and config["sync"] == "full", config
    conn.execute("UPDATE lightning_config SET value = '128MB' WHERE table_name = 'main' AND name = 'cache_size'")
    assert conn.execute("SELECT value FROM lightning_config('main') WHERE name = 'cache_size'").fetchone() == ("128MiB",)
    assert conn.execute("PRAGMA lightning_cache_size").fetchone() == ("128MiB",)
    with pytest.raises(sqlite3.OperationalError, match="give it as a URI parameter"):
        conn.execute("UPDATE lightning_config SET value = '8' WHERE table_name = 'main' AND name = 'max_readers'")
    with pytest.raises(sqlite3.OperationalError, match="presets are for lightning tables"):
        conn.execute("SELECT * FROM lightning_preset('main', 'oltp')").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="lightning_compact: no such table: nope"):
        conn.execute("SELECT lightning_compact('nope')")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1000,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


@pytest.mark.parametrize("mode", ["delete", "wal"])
def test_vacuum_gives_the_space_back(tmp_path, mode):
    path = str(tmp_path / "v.db")
    conn = connect_lightning(path)
    conn.execute(f"PRAGMA journal_mode={mode}")
    fill(conn, 6000)
    conn.execute("DELETE FROM t WHERE id % 2 = 0")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA lightning_checkpoint")
    before = os.path.getsize(path)
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # WAL mode: the checkpoint shrinks the file
    after = os.path.getsize(path)
    stats = dict(conn.execute("SELECT name, value FROM lightning_stats('main')"))
    assert stats["vfs_compactions"] >= 1 and stats["vfs_compaction_errors"] == 0, stats
    assert after < before * 0.75, (before, after)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (3000,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    conn = connect_lightning(path)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (3000,)
    conn.close()
