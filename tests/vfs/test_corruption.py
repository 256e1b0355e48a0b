"""Acceptance 3: damage planted in a stored page is SQLITE_IOERR_DATA, never data.

The database is built in one go and closed (closing checkpoints: every page is
then an extent in the file, and no stale extents remain). One byte of one
stored page is flipped in the file; reading that page must fail with
SQLITE_IOERR_DATA and a sqlite3_log line naming the SQLite page.
"""
import random
import re
import shutil
import sqlite3

import pytest

from conftest import SQLITE_CORRUPT, SQLITE_IOERR_DATA, connect_lightning, log_text, sqlite3_shell, uri

EXTENT_MAGIC = b"1GPL"  # 0x4C504731 little-endian (engine/FORMAT.md)
BLOB, LEAF = 3, 1


def build(path, rows=400):
    conn = connect_lightning(path, compression="zstd")
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t VALUES (?, ?)",
                     ((i, f"row {i}: " + "the quick brown fox jumps over the lazy dog " * 20) for i in range(rows)))
    conn.execute("COMMIT")
    conn.close()


def extents(path, page_type):
    data = open(path, "rb").read()
    found = []
    for off in range(8192, len(data) - 48, 16):
        if data[off:off + 4] == EXTENT_MAGIC and data[off + 5] == page_type:
            stored = int.from_bytes(data[off + 8:off + 12], "little")
            found.append((off, stored))
    return found


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x40]))


@pytest.mark.parametrize("page_type,where", [(BLOB, "payload"), (BLOB, "header"), (LEAF, "payload")])
def test_damaged_page_is_ioerr_data(tmp_path, page_type, where):
    """Every sampled extent, damaged alone: reads fail with IOERR_DATA (at open
    when it is page 1); a leaf of the store's own catalog or meta tree fails the
    open with SQLITE_CORRUPT."""
    pristine = str(tmp_path / "pristine.db")
    build(pristine)
    found = extents(pristine, page_type)
    assert found, "no extents of that type in the file"
    outcomes = []
    for n, (off, stored) in enumerate(random.Random(7).sample(found, min(8, len(found)))):
        path = str(tmp_path / f"c{n}.db")
        shutil.copyfile(pristine, path)
        flip(path, off + 32 + stored // 2 if where == "payload" else off + 12)  # header: raw length
        try:
            conn = connect_lightning(path)
        except sqlite3.DatabaseError as e:
            # SQLite reads page 1's header at open; a damaged store catalog or
            # meta tree fails the open itself.
            assert e.sqlite_errorcode == SQLITE_IOERR_DATA or (
                e.sqlite_errorcode == SQLITE_CORRUPT and page_type == LEAF), e
            outcomes.append(f"{e.sqlite_errorcode} at open")
            continue
        for sql in ("SELECT id, body FROM t", "PRAGMA integrity_check"):
            with pytest.raises(sqlite3.OperationalError) as e:
                conn.execute(sql).fetchall()
            assert e.value.sqlite_errorcode == SQLITE_IOERR_DATA, e.value
        conn.close()
        outcomes.append("ioerr_data")
        out = sqlite3_shell(f".open {uri(path)}\nSELECT count(*), sum(length(body)) FROM t;", cwd=tmp_path)
        assert "disk I/O error" in out.stderr and out.stdout == "", out
        assert re.search(r"\(8202\) lightning VFS: read failed: Corruption: SQLite page \d+ unreadable", log_text(out.stderr)), out.stderr
        if where == "payload":
            assert "checksum mismatch" in log_text(out.stderr), out.stderr
    assert "ioerr_data" in outcomes or f"{SQLITE_IOERR_DATA} at open" in outcomes, outcomes


def test_undamaged_pages_stay_readable(tmp_path):
    path = str(tmp_path / "c.db")
    build(path, rows=2000)
    good = connect_lightning(path)
    rows = {i: good.execute("SELECT body FROM t WHERE id = ?", (i,)).fetchone() for i in range(0, 2000, 97)}
    good.close()
    off, stored = extents(path, BLOB)[-1]
    flip(path, off + 32 + stored // 2)
    conn = connect_lightning(path)
    ok = failed = 0
    for i, expected in rows.items():
        try:
            assert conn.execute("SELECT body FROM t WHERE id = ?", (i,)).fetchone() == expected
            ok += 1
        except sqlite3.OperationalError as e:
            assert e.sqlite_errorcode == SQLITE_IOERR_DATA
            failed += 1
    assert ok > 0 and failed <= 2, (ok, failed)
    conn.close()


def test_checksum_off_is_remembered(tmp_path):
    """checksum=off is stored with the database (the README, "The lightning VFS": only structural checks then)."""
    path = str(tmp_path / "nock.db")
    conn = connect_lightning(path, checksum="off")
    conn.execute("CREATE TABLE t(x)")
    conn.close()
    conn = connect_lightning(path)
    assert conn.execute("PRAGMA lightning_checksum").fetchone() == ("off",)  # remembered
    conn.close()
