"""lightning_recommendations: each rule fires on the condition it describes, with
the measured values as evidence and SQL that applies the fix; a healthy store
gets no advice."""
import json
import random
import sqlite3
import time

import pytest

from conftest import connect

N_ROWS = 40000  # ~16 MiB of leaf pages with 300-byte values


def stats(db, table="t"):
    return dict(db.execute("SELECT name, value FROM lightning_stats(?) WHERE tree IS NULL", (table,)).fetchall())


def advice(db, table="t"):
    return {r[0]: {"severity": r[1], "title": r[2], "evidence": json.loads(r[3]), "effect": r[4], "sql": r[5]}
            for r in db.execute("SELECT rule, severity, title, evidence, expected_effect, sql "
                                "FROM lightning_recommendations(?)", (table,))}


def fill(db, n, value_sql="randomblob(300)", options=""):
    db.execute(f"CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v{options})")
    db.execute("BEGIN")
    db.executemany(f"INSERT INTO t VALUES (?, {value_sql})", [(i,) for i in range(n)])
    db.execute("COMMIT")
    assert db.execute("SELECT lightning_checkpoint('t')").fetchone()[0].startswith("ok:")


def lookup_pass(db, keys):
    for k in keys:
        assert db.execute("SELECT length(v) FROM t WHERE k = ?", (k,)).fetchone() == (300,)


def scan_pass(db):
    assert db.execute("SELECT count(*), sum(length(v)) FROM t").fetchone() == (N_ROWS, N_ROWS * 300)


def set_option(db, name, value, table="t"):
    db.execute("UPDATE lightning_config SET value = ? WHERE table_name = ? AND name = ?", (value, table, name))


def test_healthy_store_gets_no_advice(db):
    fill(db, 5000)
    lookup_pass(db, range(0, 5000, 7))
    db.execute("UPDATE t SET v = randomblob(300) WHERE k < 100")
    scan_pass_small = db.execute("SELECT count(*) FROM t").fetchone()
    assert scan_pass_small == (5000,)
    assert advice(db) == {}
    assert db.execute("SELECT count(*) FROM lightning_recommendations").fetchone() == (0,)


def test_shrinking_the_cache_is_seen_and_the_advice_restores_the_hit_rate(db):
    fill(db, N_ROWS)
    keys = list(range(N_ROWS))
    random.Random(7).shuffle(keys)
    lookup_pass(db, keys)  # everything cached (64 MiB default)
    db.execute("SELECT lightning_stats_reset('t')")
    lookup_pass(db, keys)
    before = stats(db)
    assert before["cache_misses"] == 0 and before["cache_evictions"] == 0 and before["cache_hit_rate"] == 1.0
    assert advice(db) == {}

    set_option(db, "cache_size", "1MB")  # live: evicts now
    db.execute("SELECT lightning_stats_reset('t')")
    lookup_pass(db, keys)
    after = stats(db)
    assert after["cache_misses"] > before["cache_misses"] and after["cache_evictions"] > 0
    assert after["cache_hit_rate"] < 0.9

    rec = advice(db)["cache_too_small"]
    assert rec["evidence"]["cache_hit_rate"] == pytest.approx(after["cache_hit_rate"], rel=1e-4)
    assert rec["evidence"]["cache_misses"] == after["cache_misses"]
    assert rec["evidence"]["cache_size"] == 1 << 20
    assert "cache_size" in rec["sql"] and rec["sql"].startswith("UPDATE lightning_config SET value = ")
    assert "scans_miss_cache" not in advice(db)

    print(f"[advisor] cache 1 MiB: hit rate {after['cache_hit_rate']:.3f}, misses {after['cache_misses']}, "
          f"evictions {after['cache_evictions']}; advice: {rec['title']!r}, applying: {rec['sql']}")
    db.execute(rec["sql"])
    lookup_pass(db, keys)  # first pass after the change loads what was evicted
    db.execute("SELECT lightning_stats_reset('t')")
    lookup_pass(db, keys)
    restored = stats(db)
    print(f"[advisor] after the advice: hit rate {restored['cache_hit_rate']:.3f}, misses {restored['cache_misses']}")
    assert restored["cache_misses"] == 0 and restored["cache_hit_rate"] == 1.0
    assert advice(db) == {}


def test_scans_without_read_ahead(db):
    fill(db, N_ROWS)
    set_option(db, "cache_size", "1MB")
    db.execute("SELECT lightning_stats_reset('t')")
    for _ in range(3):
        scan_pass(db)
    s = stats(db)
    recs = advice(db)
    assert "cache_too_small" not in recs
    rec = recs["scans_miss_cache"]
    assert rec["evidence"]["cursor_steps"] == s["cursor_steps"] == 3 * N_ROWS
    assert rec["evidence"]["cache_misses"] == s["cache_misses"] > 1000
    assert "Read-ahead (scan_readahead = 32 leaves)" in rec["effect"]
    db.execute(rec["sql"])
    scan_pass(db)
    db.execute("SELECT lightning_stats_reset('t')")
    scan_pass(db)
    assert stats(db)["cache_misses"] == 0
    assert advice(db) == {}


def test_many_tiny_durable_commits(db):
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v)")
    for i in range(120):
        db.execute("INSERT INTO t VALUES (?, 'x')", (i,))  # autocommit: one fsync each
    s = stats(db)
    rec = advice(db)["tiny_durable_commits"]
    ev = rec["evidence"]
    assert ev["commits"] == s["commits"] >= 120 and ev["changes_per_commit"] <= 1.0
    assert ev["wal_fsyncs"] == s["wal_fsyncs"] and ev["fsync_mean_seconds"] > 0
    assert "sync=normal" in rec["effect"] and "BEGIN" in rec["effect"]
    db.execute(rec["sql"])
    assert db.execute("SELECT value FROM lightning_config('t') WHERE name = 'sync'").fetchone() == ("normal",)


def test_long_lived_snapshot(db, tmp_path):
    assert db.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)  # app.db's reader must not block
    fill(db, 5000)
    reader = connect(str(tmp_path / "app.db"))
    cur = reader.execute("SELECT k FROM t")
    assert cur.fetchone() == (0,)  # the statement now holds a snapshot
    db.execute("UPDATE t SET v = randomblob(300)")  # replaces every page the snapshot sees
    time.sleep(10.5)
    s = stats(db)
    rec = advice(db)["long_snapshot"]
    assert rec["evidence"]["oldest_snapshot_age"] >= 10 and s["oldest_snapshot_age"] >= 10
    assert rec["evidence"]["pinned_pages"] == s["pinned_pages"] >= 64
    assert rec["sql"].startswith("--")
    cur.fetchall()  # ends the read
    reader.close()
    db.execute("INSERT INTO t VALUES (-1, 'x')")  # the next commit frees what was pinned
    assert stats(db)["pinned_pages"] < 64
    assert "long_snapshot" not in advice(db)


def test_incompressible_data_with_compression_on(db):
    fill(db, 10000, options=", compression=lz4")
    s = stats(db)
    rec = advice(db)["incompressible_data"]
    ev = rec["evidence"]
    assert ev["compression"] == "lz4" and ev["compression_ratio"] == pytest.approx(s["compression_ratio"])
    assert s["compression_ratio"] < 1.1 and ev["compression_raw_bytes"] == s["compression_raw_bytes"] > 1 << 20
    assert ev["compress_seconds"] > 0
    db.execute(rec["sql"])
    assert db.execute("SELECT value FROM lightning_config('t') WHERE name = 'compression'").fetchone() == ("none",)


def test_compressible_data_gets_no_compression_advice(db):
    fill(db, 10000, value_sql="printf('%300s', 'x')", options=", compression=lz4")
    assert stats(db)["compression_ratio"] > 2
    assert "incompressible_data" not in advice(db)


def test_writers_giving_up_on_the_writer_lock(db, tmp_path):
    # Two databases whose tables share one store: SQLite's own locks (per
    # database file) do not serialise them, the store's writer lock does.
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v, file='shared.store')")
    set_option(db, "busy_timeout", "100")
    db.execute("PRAGMA busy_timeout = 0")  # else the connection's 5 s (Python's default) applies
    other = connect(str(tmp_path / "other.db"))
    other.execute("CREATE VIRTUAL TABLE t2 USING lightning(k INTEGER PRIMARY KEY, v, file='shared.store')")
    other.execute("BEGIN")
    other.execute("INSERT INTO t2 VALUES (1, 'held')")  # holds the store's writer lock
    with pytest.raises(sqlite3.OperationalError, match="writer lock"):
        db.execute("INSERT INTO t VALUES (2, 'waits')")
    other.execute("COMMIT")
    other.close()
    s = stats(db)
    rec = advice(db)["writer_lock_waits"]
    ev = rec["evidence"]
    assert ev["writer_busy"] == s["writer_busy"] >= 1 and ev["writer_waits"] >= 1
    assert ev["writer_wait_seconds"] >= 0.09 and ev["busy_timeout_ms"] == 100
    assert rec["severity"] == "high"
    db.execute(rec["sql"])
    assert db.execute("SELECT value FROM lightning_config('t') WHERE name = 'busy_timeout'").fetchone() == ("1000",)


def test_space_that_compaction_gives_back(db):
    fill(db, 20000)
    db.execute("DELETE FROM t WHERE k % 4 != 0")
    db.execute("SELECT lightning_checkpoint('t')")
    db.execute("SELECT lightning_checkpoint('t')")  # the freed extents become reusable
    s = stats(db)
    rec = advice(db)["compaction_space"]
    assert rec["evidence"]["free_bytes"] == s["free_bytes"] >= s["file_size"] / 4
    assert rec["sql"] == "SELECT lightning_compact('t');"
    (result,) = db.execute(rec["sql"]).fetchone()
    assert result.startswith("ok: file")
    after = stats(db)
    assert after["file_size"] < s["file_size"] - s["free_bytes"] / 2
    assert "compaction_space" not in advice(db)
    assert db.execute("SELECT count(*) FROM t").fetchone() == (5000,)
    assert db.execute("SELECT * FROM lightning_check('t')").fetchall()[0][1] == "ok"
