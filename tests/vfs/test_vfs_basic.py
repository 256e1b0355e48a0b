"""The lightning VFS through SQL: opening, options, journal modes, conversion, stats."""
import json
import os
import sqlite3
import subprocess
import sys

import pytest

from conftest import (EXT, SQLITE_BUSY, SQLITE_CANTOPEN, SQLITE_NOTADB, connect_lightning,
                      connect_plain, load_extension, log_text, sqlite3_shell, uri)


def fill(conn, n=2000, width=300):
    conn.execute("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, body TEXT, n INT)")
    conn.execute("CREATE INDEX IF NOT EXISTS t_n ON t(n)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t(body, n) VALUES (?, ?)",
                     ((f"row {i} " + "lorem ipsum dolor sit amet " * (width // 27), i % 97)
                      for i in range(n)))
    conn.execute("COMMIT")


def test_registered_but_not_default(tmp_path):
    load_extension()
    plain = connect_plain(str(tmp_path / "plain.db"))
    plain.execute("CREATE TABLE x(a)")
    plain.close()
    with open(tmp_path / "plain.db", "rb") as f:
        assert f.read(16) == b"SQLite format 3\x00"  # the default VFS wrote it


def test_create_reopen_and_vfsname(tmp_path):
    path = str(tmp_path / "app.db")
    conn = connect_lightning(path, compression="zstd")
    fill(conn)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("PRAGMA lightning_compression").fetchone() == ("zstd",)
    conn.close()
    with open(path, "rb") as f:
        assert f.read(8) == b"LTNGSTOR"  # the file is the engine's store
    conn = connect_lightning(path)
    assert conn.execute("SELECT count(*), sum(n) FROM t").fetchone() == (2000, sum(i % 97 for i in range(2000)))
    # compression is remembered by the database
    assert conn.execute("PRAGMA lightning_compression").fetchone() == ("zstd",)
    conn.close()
    out = sqlite3_shell(f".open {uri(path)}\n.vfsname\nSELECT count(*) FROM t;", cwd=tmp_path)
    assert out.stdout.split() == ["lightning/unix", "2000"], out


def test_bad_uri_values_fail_the_open_and_name_the_option(tmp_path):
    load_extension()
    for params, needle in [({"compression": "brotli"}, "compression=brotli"),
                           ({"level": "99"}, "level=99"),
                           ({"cache_size": "lots"}, "cache_size=lots"),
                           ({"checksum": "maybe"}, "checksum=maybe"),
                           ({"compresion": "zstd"}, "did you mean 'compression'")]:
        with pytest.raises(sqlite3.OperationalError) as e:
            sqlite3.connect(uri(str(tmp_path / "bad.db"), **params), uri=True)
        assert e.value.sqlite_errorcode == SQLITE_CANTOPEN
        out = sqlite3_shell(f".open {uri('bad.db', **params)}\nSELECT 1;", cwd=tmp_path)
        assert needle in log_text(out.stderr), out.stderr
    # An open that names options of another extension is fine.
    sqlite3.connect(uri(str(tmp_path / "ok.db"), somebody_elses_flag=1), uri=True).close()


def test_plain_database_is_refused_with_a_hint(tmp_path):
    path = str(tmp_path / "plain.db")
    plain = connect_plain(path)
    fill(plain, 10)
    plain.close()
    load_extension()
    with pytest.raises(sqlite3.DatabaseError) as e:
        sqlite3.connect(uri(path), uri=True).execute("SELECT 1").fetchall()
    assert e.value.sqlite_errorcode == SQLITE_NOTADB
    out = sqlite3_shell(f".open {uri('plain.db')}\nSELECT 1;", cwd=tmp_path)
    assert "VACUUM INTO" in log_text(out.stderr), out.stderr


def test_convert_with_vacuum_into_and_back(tmp_path):
    load_extension()
    plain_path, light_path, back_path = (str(tmp_path / n) for n in ("plain.db", "light.db", "back.db"))
    plain = connect_plain(plain_path)
    fill(plain, 3000)
    plain.execute(f"VACUUM INTO '{uri(light_path, compression='zstd')}'")
    expected = plain.execute("SELECT * FROM t ORDER BY id").fetchall()
    plain.close()
    light = connect_lightning(light_path)
    assert light.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert light.execute("SELECT * FROM t ORDER BY id").fetchall() == expected
    assert light.execute("PRAGMA lightning_compression").fetchone() == ("zstd",)
    # A plain name would inherit the connection's VFS (lightning): name the default one.
    light.execute(f"VACUUM INTO 'file:{back_path}?vfs=unix'")
    light.close()
    back = connect_plain(back_path)
    assert back.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert back.execute("SELECT * FROM t ORDER BY id").fetchall() == expected
    back.close()
    assert os.path.getsize(light_path) < os.path.getsize(plain_path) / 2


@pytest.mark.parametrize("mode", ["delete", "truncate", "persist", "memory", "wal", "off"])
def test_journal_modes(tmp_path, mode):
    path = str(tmp_path / "j.db")
    conn = connect_lightning(path)
    assert conn.execute(f"PRAGMA journal_mode={mode}").fetchone() == (mode,)
    fill(conn, 500)
    conn.execute("BEGIN")
    conn.execute("DELETE FROM t WHERE n < 50")
    conn.execute("ROLLBACK")
    conn.execute("UPDATE t SET body = upper(body) WHERE n = 3")
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (500,)
    conn.close()
    conn = connect_lightning(path)
    assert conn.execute("SELECT count(*), count(*) FILTER (WHERE body = upper(body)) FROM t").fetchone() \
        == (500, sum(1 for i in range(500) if i % 97 == 3))
    conn.close()


@pytest.mark.parametrize("page_size", [512, 1024, 8192, 65536])
def test_page_sizes_and_changing_the_page_size(tmp_path, page_size):
    path = str(tmp_path / "p.db")
    conn = connect_lightning(path)
    conn.execute(f"PRAGMA page_size={page_size}")
    fill(conn, 800)
    assert conn.execute("PRAGMA page_size").fetchone() == (page_size,)
    conn.execute("PRAGMA page_size=4096")
    conn.execute("VACUUM")  # rewrites the file with another page size
    assert conn.execute("PRAGMA page_size").fetchone() == (4096,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    conn = connect_lightning(path)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (800,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_synchronous_off_and_mmap_are_safe(tmp_path):
    path = str(tmp_path / "s.db")
    conn = connect_lightning(path)
    conn.execute("PRAGMA synchronous=OFF")
    assert conn.execute("PRAGMA mmap_size=1000000").fetchall() in ([(0,)], [])
    fill(conn, 700)
    other = connect_lightning(path)  # sees the commit made at unlock
    assert other.execute("SELECT count(*) FROM t").fetchone() == (700,)
    other.close()
    conn.close()
    conn = connect_lightning(path)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (700,)
    conn.close()


def test_truncation_by_vacuum_shrinks_the_logical_file(tmp_path):
    path = str(tmp_path / "v.db")
    conn = connect_lightning(path)
    fill(conn, 3000)
    big = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute("DELETE FROM t WHERE id > 100")
    conn.execute("VACUUM")
    small = conn.execute("PRAGMA page_count").fetchone()[0]
    assert small < big / 5
    conn.execute("PRAGMA auto_vacuum=FULL")
    conn.execute("VACUUM")
    fill(conn, 1000)
    conn.execute("DELETE FROM t")
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    conn = connect_lightning(path)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_second_process_gets_busy(tmp_path):
    path = str(tmp_path / "locked.db")
    conn = connect_lightning(path)
    fill(conn, 10)
    code = f"""
import sqlite3, sys
c = sqlite3.connect(':memory:'); c.enable_load_extension(True); c.load_extension({os.path.splitext(EXT)[0]!r})
try:
    sqlite3.connect({uri(path)!r}, uri=True).execute('SELECT 1').fetchall()
except sqlite3.Error as e:
    print(e.sqlite_errorcode); sys.exit(0)
print('opened')
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == str(SQLITE_BUSY), out
    conn.close()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "opened", out


def stats_of(conn, arg=None):
    """lightning_stats() rows as {store: {name: value}}."""
    sql = "SELECT store, name, value FROM lightning_stats" + ("(?)" if arg is not None else "")
    out = {}
    for store, name, value in conn.execute(sql, () if arg is None else (arg,)):
        out.setdefault(store, {})[name] = value
    return out


def test_vfs_counters_in_lightning_stats(tmp_path):
    path = str(tmp_path / "m.db")
    conn = connect_lightning(path, compression="zstd", checkpoint_wal_size="64KB")
    fill(conn, 2000)
    conn.execute("PRAGMA cache_size=5")  # make SQLite read through the VFS
    conn.execute("SELECT sum(length(body)) FROM t").fetchone()
    assert conn.execute("PRAGMA lightning_checkpoint").fetchone() == ("ok",)
    name = conn.execute("SELECT file FROM pragma_database_list WHERE name = 'main'").fetchone()[0]
    by_schema = stats_of(conn, "main")
    assert list(by_schema) == [name]  # under the database's name
    mine = by_schema[name]
    assert mine["vfs_pages_written"] > 0 and mine["vfs_pages_read"] > 0
    assert mine["vfs_commits"] >= 1 and mine["wal_fsyncs"] >= 1
    assert mine["compression_stored_bytes"] < mine["compression_raw_bytes"] / 2
    for metric in ("cache_hits", "cache_misses", "vfs_checksum_checks", "data_fsyncs",
                   "vfs_bytes_read", "vfs_bytes_written"):
        assert metric in mine
    # by path, and among all stores without an argument (from another connection too)
    assert stats_of(conn, name)[name]["vfs_pages_written"] >= mine["vfs_pages_written"]
    other = connect_plain(":memory:")
    assert name in stats_of(other)
    with pytest.raises(sqlite3.OperationalError):
        stats_of(other, "no_such_table_or_db")
    conn.close()
    assert name not in stats_of(other)  # closed: gone
    other.close()


def test_temp_files_and_attached_databases(tmp_path):
    conn = connect_lightning(str(tmp_path / "main.db"))
    conn.execute("PRAGMA temp_store=FILE")
    conn.execute(f"ATTACH '{uri(str(tmp_path / 'aux.db'), compression='lz4')}' AS aux")
    conn.execute("CREATE TABLE aux.a(x)")
    conn.execute("CREATE TEMP TABLE tt(x)")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO aux.a WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s"
                 " WHERE v < 5000) SELECT v FROM s")
    conn.execute("INSERT INTO tt SELECT x FROM aux.a")
    conn.execute("CREATE TABLE m AS SELECT x FROM aux.a ORDER BY random()")  # sorter temp files
    conn.execute("COMMIT")  # a multi-database transaction: super-journal
    assert conn.execute("SELECT count(*) FROM m JOIN aux.a USING(x)").fetchone() == (5000,)
    conn.close()
    conn = connect_lightning(str(tmp_path / "aux.db"))
    assert conn.execute("SELECT count(*) FROM a").fetchone() == (5000,)
    conn.close()


@pytest.mark.parametrize("mode", ["delete", "wal"])
def test_files_next_to_the_database(tmp_path, mode):
    """The engine's files never take SQLite's names (-wal, -journal, -shm)."""
    path = tmp_path / "f.db"
    conn = connect_lightning(str(path))
    conn.execute(f"PRAGMA journal_mode={mode}")
    fill(conn, 50)
    names = sorted(p.name for p in tmp_path.iterdir())
    expected = {"f.db", "f.db-lock", "f.db-lwal"} | ({"f.db-wal", "f.db-shm"} if mode == "wal" else set())
    assert set(names) == expected, names
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.db", "f.db-lock", "f.db-lwal"]
