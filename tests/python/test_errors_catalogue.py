"""Bad input that docs/ERRORS.md lists and no other test covered: store files
that are not stores, damaged or missing, locked by another process, reserved
names, options out of range. Each checks the message and the SQLite code."""
import os
import random
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import EXT, connect
from test_check import leaf_extents, make_store, plant

SQLITE_ERROR, SQLITE_BUSY, SQLITE_CORRUPT, SQLITE_CANTOPEN, SQLITE_NOTADB = 1, 5, 11, 14, 26


def error_of(conn, sql, params=()):
    with pytest.raises(sqlite3.Error) as info:
        conn.execute(sql, params).fetchall()
    return info.value


@pytest.mark.parametrize("content,message,code", [
    pytest.param(b"", None, None, id="empty"),  # an empty file is a new store: no error
    pytest.param(b"SQLite format 3\x00" + bytes(4080), "is not a Lightning store", SQLITE_NOTADB,
                 id="sqlite-database"),
    pytest.param(random.Random(7).randbytes(20000), "is not a Lightning store", SQLITE_NOTADB,
                 id="random-bytes"),
    pytest.param(bytes(9000), "both superblocks are damaged", SQLITE_CORRUPT, id="zeros"),
    pytest.param(b"short", "is not a Lightning store", SQLITE_NOTADB, id="too-short"),
])
def test_store_file_that_is_not_a_store(db, tmp_path, content, message, code):
    (tmp_path / "x.store").write_bytes(content)
    if not content:
        db.execute("CREATE VIRTUAL TABLE t USING lightning(a, file='x.store')")
        return
    e = error_of(db, "CREATE VIRTUAL TABLE t USING lightning(a, file='x.store')")
    assert str(e).startswith("lightning: cannot open store "), str(e)
    assert message in str(e), str(e)
    assert e.sqlite_errorcode == code, (e.sqlite_errorcode, str(e))
    assert db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 't'").fetchone() == (0,)
    assert (tmp_path / "x.store").read_bytes() == content  # left as it was


def test_both_superblocks_damaged(tmp_path, ext_path):
    conn = connect(str(tmp_path / "app.db"))
    make_store(conn, rows=100)
    conn.close()
    store = tmp_path / "app.db-lightning"
    data = bytearray(store.read_bytes())
    for slot in (0, 4096):
        data[slot + 60] ^= 0xFF  # inside the checksummed bytes
    store.write_bytes(bytes(data))
    conn = connect(str(tmp_path / "app.db"))
    e = error_of(conn, "SELECT * FROM t")
    assert "superblock" in str(e), str(e)
    assert e.sqlite_errorcode == SQLITE_CORRUPT, (e.sqlite_errorcode, str(e))


def test_damaged_page_is_sqlite_corrupt_on_read(tmp_path, ext_path):
    conn = connect(str(tmp_path / "app.db"))
    make_store(conn)
    conn.close()
    store = str(tmp_path / "app.db-lightning")
    offset, page, _ = leaf_extents(store)[1]
    plant(store, offset + 32 + 3000)
    conn = connect(str(tmp_path / "app.db"))
    e = error_of(conn, "SELECT count(*), sum(length(v)) FROM t")
    assert e.sqlite_errorcode == SQLITE_CORRUPT, (e.sqlite_errorcode, str(e))
    assert f"page {page}" in str(e) and "checksum" in str(e), str(e)
    # Rows on other pages stay readable.
    assert conn.execute("SELECT v FROM t WHERE k = 0").fetchone() == ("value 00000000",)


def test_store_deleted_behind_the_table(tmp_path, ext_path):
    conn = connect(str(tmp_path / "app.db"))
    conn.execute("CREATE VIRTUAL TABLE t USING lightning(a)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.close()
    for suffix in ("", "-wal"):
        os.remove(tmp_path / f"app.db-lightning{suffix}")
    conn = connect(str(tmp_path / "app.db"))
    e = error_of(conn, "SELECT * FROM t")
    assert "table t has no tree in store" in str(e) and "replaced or deleted" in str(e), str(e)
    assert "DROP TABLE t removes the table" in str(e), str(e)
    assert e.sqlite_errorcode == SQLITE_ERROR
    for sql in ("INSERT INTO t VALUES (2)", "DELETE FROM t", "ALTER TABLE t RENAME TO u"):
        assert "table t has no tree in store" in str(error_of(conn, sql)), sql


def test_table_whose_store_is_gone_can_be_dropped(tmp_path, ext_path):
    """Issue 17 item 7: DROP TABLE works without writable_schema."""
    conn = connect(str(tmp_path / "app.db"))
    conn.execute("CREATE VIRTUAL TABLE t USING lightning(a)")
    conn.execute("CREATE VIRTUAL TABLE keep USING lightning(a, file='keep.store')")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.execute("INSERT INTO keep VALUES (1)")
    conn.close()
    for suffix in ("", "-wal"):
        os.remove(tmp_path / f"app.db-lightning{suffix}")
    conn = connect(str(tmp_path / "app.db"))
    conn.execute("DROP TABLE t")
    assert conn.execute("SELECT name FROM sqlite_schema").fetchall() == [("keep",)]
    conn.execute("CREATE VIRTUAL TABLE t USING lightning(a)")  # the name is free again
    conn.execute("INSERT INTO t VALUES (3)")
    assert conn.execute("SELECT * FROM t").fetchall() == [(3,)]
    assert conn.execute("SELECT * FROM keep").fetchall() == [(1,)]
    # Inside a transaction, too (nothing in the store to undo).
    conn.close()
    for suffix in ("", "-wal"):
        os.remove(tmp_path / f"app.db-lightning{suffix}")
    conn = connect(str(tmp_path / "app.db"))
    conn.execute("BEGIN")
    conn.execute("DROP TABLE t")
    conn.execute("COMMIT")
    assert conn.execute("SELECT name FROM sqlite_schema").fetchall() == [("keep",)]


HOLDER = r"""
import os, sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension(os.path.splitext(sys.argv[2])[0])
conn.execute("SELECT * FROM t").fetchall()
print("holding", flush=True)
time.sleep(60)
"""


def test_store_locked_by_another_process(tmp_path, ext_path):
    path = str(tmp_path / "app.db")
    conn = connect(path)
    conn.execute("CREATE VIRTUAL TABLE t USING lightning(a)")
    conn.close()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, path, EXT], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        conn = connect(path)
        e = error_of(conn, "SELECT * FROM t")
        assert f"is locked by process {holder.pid}" in str(e), str(e)
        assert e.sqlite_errorcode == SQLITE_BUSY, (e.sqlite_errorcode, str(e))
    finally:
        holder.kill()
        holder.wait()
    conn = connect(path)
    assert conn.execute("SELECT * FROM t").fetchall() == []


def test_reserved_table_name(db):
    e = error_of(db, "CREATE VIRTUAL TABLE __lightning_settings USING lightning(a)")
    assert "reserved for the store's saved settings" in str(e) and e.sqlite_errorcode == SQLITE_ERROR


@pytest.mark.parametrize("option,message", [
    ("cache_size='2TB'", "invalid value '2TB' for option cache_size: must be between 1MiB and 1TiB"),
    ("checkpoint_wal_size='8KB'", "for option checkpoint_wal_size: must be between 64KiB and 64GiB"),
    ("page_size=65536", "for option page_size: must be between 4096 and 32768"),
    ("compression_level=99", "for option compression_level: must be between 1 and 22"),
    ("max_readers=0", "for option max_readers: must be between 1 and 65536"),
    ("busy_timeout=-1", "invalid value '-1' for option busy_timeout: expected a whole number"),
    ("compression=brotli", "for option compression: expected none, lz4, zstd or adaptive"),
    ("checksum=maybe", "for option checksum: expected on or off"),
    ("io=dma", "for option io: expected pread or io_uring"),
])
def test_option_values_out_of_range(db, option, message):
    e = error_of(db, f"CREATE VIRTUAL TABLE t USING lightning(a, {option})")
    assert str(e).startswith("lightning: ") and message in str(e), str(e)
    assert e.sqlite_errorcode == SQLITE_ERROR


def test_missing_and_unknown_functions_arguments(db):
    db.execute("CREATE VIRTUAL TABLE t USING lightning(a)")
    e = error_of(db, "SELECT lightning_checkpoint('nope')")
    assert str(e) == "lightning_checkpoint: no such table: nope" and e.sqlite_errorcode == SQLITE_ERROR
    e = error_of(db, "SELECT lightning_checkpoint()")
    assert "wrong number of arguments" in str(e) and e.sqlite_errorcode == SQLITE_ERROR
