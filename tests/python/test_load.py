"""Loading lightning.so from Python: the version function and auto-extension."""
import re
import sqlite3

from conftest import connect


def test_version_reports_extension_sqlite_and_simd(db):
    (v,) = db.execute("SELECT lightning_version()").fetchone()
    assert re.fullmatch(r"lightning \d+\.\d+\.\d+ \(sqlite 3\.\d+\.\d+, simd \S+\)", v), v
    assert f"sqlite {sqlite3.sqlite_version}" in v


def test_later_connections_get_the_module_without_loading(tmp_path, ext_path):
    connect(str(tmp_path / "a.db")).close()  # loads once: registers the auto-extension
    plain = sqlite3.connect(str(tmp_path / "b.db"), isolation_level=None)
    plain.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v)")
    plain.execute("INSERT INTO t VALUES (1, 'x')")
    assert plain.execute("SELECT v FROM t").fetchall() == [("x",)]
    assert plain.execute("SELECT lightning_version() IS NOT NULL").fetchone() == (1,)
    plain.close()


def test_loading_twice_on_one_connection_is_harmless(db):
    db.enable_load_extension(True)
    from conftest import EXT
    import os
    db.load_extension(os.path.splitext(EXT)[0])
    db.execute("CREATE VIRTUAL TABLE t USING lightning(a)")
    db.execute("BEGIN")
    db.execute("INSERT INTO t VALUES (1)")
    db.execute("COMMIT")
    assert db.execute("SELECT count(*) FROM t").fetchone() == (1,)
