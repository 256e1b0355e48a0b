"""Shared fixtures for the SQL-table tests of lightning.so.

The tests run under /usr/bin/python3 (Debian's build has enable_load_extension;
the pyenv python3 first on PATH does not). LIGHTNING_EXT names the extension
(ctest passes the built target); default: build/lightning.so of the repo.
"""
import os
import sqlite3
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXT = os.environ.get("LIGHTNING_EXT", os.path.join(REPO, "build", "lightning.so"))


def connect(path, uri=False, **kw):
    """A connection with lightning.so loaded, in autocommit mode."""
    conn = sqlite3.connect(path, isolation_level=None, uri=uri, **kw)
    conn.enable_load_extension(True)
    conn.load_extension(os.path.splitext(EXT)[0])
    conn.enable_load_extension(False)
    # TEXT need not be valid UTF-8 (x'ff' || 1); keep such bytes visible.
    conn.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
    return conn


@pytest.fixture
def ext_path():
    if not os.path.exists(EXT):
        pytest.fail(f"{EXT} not built (set LIGHTNING_EXT)")
    return EXT


@pytest.fixture
def db(tmp_path, ext_path):
    conn = connect(str(tmp_path / "app.db"))
    yield conn
    conn.close()


def pytest_report_header(config):
    return [f"lightning extension: {EXT}", f"python: {sys.executable}, sqlite {sqlite3.sqlite_version}"]
