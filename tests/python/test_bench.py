"""lightning_bench(): engine workloads run from SQL on a temporary store."""
import glob
import os
import sqlite3

import pytest

COLUMNS = ["phase", "ops", "seconds", "ops_per_sec", "p50_us", "p95_us", "p99_us", "p999_us", "max_us"]


def bench(db, *args):
    cur = db.execute(f"SELECT * FROM lightning_bench({', '.join('?' * len(args))})", args)
    assert [d[0] for d in cur.description] == COLUMNS
    return [dict(zip(COLUMNS, row)) for row in cur.fetchall()]


def temp_stores(tmp):
    return glob.glob(os.path.join(tmp, "lightning_bench.*"))


@pytest.fixture
def tmp_env(tmp_path, monkeypatch):
    # The function puts its store under $TMPDIR: here, a directory this test can inspect.
    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setenv("TMPDIR", str(d))
    return str(d)


@pytest.mark.parametrize("workload", ["fillseq", "fillrandom"])
def test_fills_report_their_throughput(db, tmp_env, workload):
    rows = bench(db, workload, 5000)
    assert len(rows) == 1
    r = rows[0]
    assert r["phase"] == workload and r["ops"] == 5000
    assert r["seconds"] > 0 and r["ops_per_sec"] == pytest.approx(5000 / r["seconds"])
    assert r["p50_us"] is None and r["max_us"] is None  # fills are not timed per operation
    assert temp_stores(tmp_env) == []  # the temporary store is gone


def test_readrandom_loads_then_times_every_get(db, tmp_env):
    rows = bench(db, "readrandom", 4000, 64, 2)
    assert [r["phase"] for r in rows] == ["load", "readrandom"]
    load, reads = rows
    assert load["ops"] == 4000 and load["p50_us"] is None
    assert reads["ops"] == 8000  # n gets per thread
    assert reads["ops_per_sec"] == pytest.approx(8000 / reads["seconds"])
    p = [reads[k] for k in ("p50_us", "p95_us", "p99_us", "p999_us", "max_us")]
    assert all(v is not None and v > 0 for v in p)
    assert p == sorted(p)
    assert temp_stores(tmp_env) == []


def test_readseq_and_mixed(db, tmp_env):
    seq = bench(db, "readseq", 3000, 10)
    assert [r["phase"] for r in seq] == ["load", "readseq"] and seq[1]["ops"] == 3000
    mixed = bench(db, "mixed", 3000)
    assert [r["phase"] for r in mixed] == ["load", "mixed"] and mixed[1]["ops"] == 3000
    assert mixed[1]["p50_us"] <= mixed[1]["p99_us"] <= mixed[1]["max_us"]


def test_named_arguments_and_projection(db, tmp_env):
    rows = db.execute("SELECT phase, ops FROM lightning_bench WHERE workload = 'fillseq' AND n = 100 "
                      "AND value_size = 8").fetchall()
    assert rows == [("fillseq", 100)]


@pytest.mark.parametrize("args, message", [
    (("nosuch", 10), "unknown workload 'nosuch'"),
    (("fillseq", 0), "n must be an integer from 1 to 10000000, got '0'"),
    (("fillseq", 10**8), "n must be an integer from 1 to 10000000"),
    (("fillseq", "ten"), "n must be an integer"),
    (("fillseq", 10, 0), "value_size must be an integer from 1 to 65536"),
    (("fillseq", 10, 100000), "value_size must be an integer from 1 to 65536"),
    (("fillseq", 10, 100, 2), "threads applies to readrandom only"),
    (("readrandom", 10, 100, 65), "threads must be an integer from 1 to 64"),
])
def test_bad_arguments_are_named(db, tmp_env, args, message):
    with pytest.raises(sqlite3.OperationalError, match=message.replace("(", r"\(")):
        bench(db, *args)
    assert temp_stores(tmp_env) == []


def test_missing_arguments_and_trigger_use_are_refused(db, tmp_env):
    with pytest.raises(sqlite3.OperationalError, match=r"lightning_bench\(workload, n"):
        db.execute("SELECT * FROM lightning_bench('fillseq')").fetchall()
    db.execute("CREATE TABLE log(x)")
    db.execute("CREATE VIEW v AS SELECT * FROM lightning_bench('fillseq', 10)")
    with pytest.raises(sqlite3.OperationalError, match="unsafe use of"):
        db.execute("SELECT * FROM v").fetchall()


def test_unwritable_tmpdir_is_an_error_not_a_crash(db, monkeypatch):
    monkeypatch.setenv("TMPDIR", "/proc/no/such/dir")
    with pytest.raises(sqlite3.OperationalError, match="cannot create a temporary directory"):
        bench(db, "fillseq", 10)


def test_workload_names_are_case_insensitive_like_preset_names(db, tmp_env):
    """Issue 17 item 10: 'ReadSeq' was an unknown workload while 'OLTP' is a preset."""
    rows = bench(db, "ReadSeq", 500)
    assert [r["phase"] for r in rows] == ["load", "readseq"]
    assert bench(db, "FILLSEQ", 100)[0]["phase"] == "fillseq"
    with pytest.raises(sqlite3.OperationalError, match="unknown workload 'ReadSeqq'"):
        bench(db, "ReadSeqq", 10)
