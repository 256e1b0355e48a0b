"""Shared helpers for the lightning VFS tests (run with Debian's /usr/bin/python3).

LIGHTNING_VFS_EXT names the loadable module that registers the VFS: ctest passes
the real extension, <build>/lightning.so (its entry point registers the VFS).
"""
import os
import re
import shutil
import sqlite3
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


EXT = os.environ.get("LIGHTNING_VFS_EXT", os.path.join(REPO, "build", "lightning.so"))
SQLITE_IOERR_DATA = 10 | (32 << 8)
SQLITE_BUSY = 5
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26
SQLITE_CORRUPT = 11

_loaded = False


def load_extension():
    """Loads the module once per process: the VFS is then registered for good."""
    global _loaded
    if _loaded:
        return
    if not os.path.exists(EXT):
        pytest.fail(f"{EXT} not built (set LIGHTNING_VFS_EXT)")
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(os.path.splitext(EXT)[0])
    conn.close()
    _loaded = True


def uri(path, **params):
    """file: URI selecting the lightning VFS, with URI parameters."""
    query = "&".join(["vfs=lightning"] + [f"{k}={v}" for k, v in params.items()])
    return f"file:{path}?{query}"


def connect_lightning(path, **params):
    load_extension()
    return sqlite3.connect(uri(path, **params), uri=True, isolation_level=None,
                           check_same_thread=False)


def connect_plain(path):
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False)


def log_text(stderr):
    """sqlite3_log output with the VFS's long messages joined again: the VFS
    cuts them into pieces that SQLite's log buffer can hold ("(code) ... rest")."""
    return re.sub(r"\n\(\d+\) \.\.\. ", " ", stderr)


def sqlite3_shell(script, cwd=None):
    """Runs the sqlite3 shell with the module loaded and `.log stderr` on."""
    lines = [f".load {os.path.splitext(EXT)[0]}", ".log stderr", script]
    return subprocess.run(["sqlite3"], input="\n".join(lines) + "\n", capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def pytest_configure(config):
    config.addinivalue_line("markers", "long: slow tests (crash loops)")
    # fsync dominates on a disk and says nothing about the VFS's logic (the
    # crash tests kill processes, which tmpfs models exactly): run in memory.
    if not config.option.basetemp and os.path.isdir("/dev/shm"):
        config.option.basetemp = f"/dev/shm/lightning-vfs-tests-{os.getpid()}"
        config._lightning_tmp = config.option.basetemp


def pytest_unconfigure(config):
    tmp = getattr(config, "_lightning_tmp", None)
    if tmp and not os.environ.get("LIGHTNING_KEEP_TMP"):
        shutil.rmtree(tmp, ignore_errors=True)


def pytest_report_header(config):
    return [f"lightning VFS module: {EXT}", f"python {sys.executable}, sqlite {sqlite3.sqlite_version}"]
