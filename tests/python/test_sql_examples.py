"""sql/examples/*.sql run as documented: `sqlite3 :memory: < sql/examples/X.sql`
from a directory whose ./build holds lightning.so."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import EXT, REPO

SQL_DIR = os.path.join(REPO, "sql", "examples")
SQLITE3 = shutil.which("sqlite3")


def run_script(tmp_path, name, database=":memory:"):
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(os.path.dirname(os.path.abspath(EXT)), root / "build")
    with open(os.path.join(SQL_DIR, name)) as script:
        return subprocess.run([SQLITE3, database], stdin=script, cwd=root, capture_output=True, text=True,
                              timeout=120)


@pytest.mark.skipif(SQLITE3 is None, reason="sqlite3 shell not installed")
def test_demo_runs_cleanly(tmp_path, ext_path):
    r = run_script(tmp_path, "demo.sql")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert re.search(r"lightning \d+\.\d+\.\d+ \(sqlite 3\.\d+\.\d+, simd \S+\)", r.stdout), r.stdout
    assert "INDEX 1:id=?" in r.stdout and "id IN (...) ORDER BY id DESC" in r.stdout
    assert "full scan" in r.stdout and "TEMP B-TREE" not in r.stdout
    assert "│ 20 │ dennis  │" in r.stdout  # the BETWEEN ... ORDER BY id DESC result


@pytest.mark.skipif(SQLITE3 is None, reason="sqlite3 shell not installed")
def test_transactions_example_shows_exactly_its_intended_errors(tmp_path, ext_path):
    r = run_script(tmp_path, "transactions.sql")
    errors = [l for l in r.stderr.splitlines() if l]
    assert len(errors) == 4, r.stderr
    assert "UNIQUE constraint failed: accounts.id" in errors[0]
    assert "NOT NULL constraint failed: accounts.owner" in errors[2]
    assert "datatype mismatch" in errors[3]
    assert "1|70\n2|80\n3|10\n4|5" in r.stdout, r.stdout


@pytest.mark.skipif(SQLITE3 is None, reason="sqlite3 shell not installed")
def test_kv_example_persists(tmp_path, ext_path):
    db = str(tmp_path / "kv.db")
    r = run_script(tmp_path, "kv.sql", db)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "user:1:lang|en\nuser:1:name|ada" in r.stdout
    assert os.path.exists(db + "-lightning")
