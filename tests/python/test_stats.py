"""lightning_stats and lightning_latency: counters equal the work done.

Each phase resets the counters, runs a scripted workload of known size and
checks that every operation counter equals the operations the workload made
the engine do (for the SQL statement used: an INSERT into a rowid table looks
its key up first, a point SELECT is one cursor seek, a full scan one step per
row), and that lightning_latency's counts equal those counters.
"""
import sqlite3

import pytest

from conftest import connect


def stats(db, table="t"):
    return dict(db.execute("SELECT name, value FROM lightning_stats(?) WHERE tree IS NULL", (table,)).fetchall())


def latency(db, table="t"):
    return {op: (count, samples) for op, count, samples in
            db.execute("SELECT operation, count, samples FROM lightning_latency(?)", (table,))}


@pytest.fixture
def t(db):
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v)")
    return db


def test_counters_equal_a_scripted_workload(t):
    n_puts, n_gets, n_deletes = 5000, 1200, 700
    t.execute("SELECT lightning_stats_reset('t')")
    t.execute("BEGIN")
    t.executemany("INSERT INTO t VALUES (?, ?)", [(i, "v%d" % i) for i in range(n_puts)])
    t.execute("COMMIT")
    s = stats(t)
    assert s["puts"] == n_puts
    assert s["gets"] == n_puts  # the uniqueness check of each INSERT
    assert s["commits"] == 1 and s["write_txns"] == 1
    assert s["deletes"] == 0 and s["cursor_steps"] == 0
    lat = latency(t)
    assert lat["put"][0] == n_puts
    assert abs(lat["put"][1] - n_puts // 64) <= 1  # timed 1 in 64
    assert lat["get"][0] == n_puts
    assert lat["commit"] == (1, 1)
    assert lat["fsync"][0] == s["fsyncs"] == s["wal_fsyncs"] + s["data_fsyncs"] == 1

    t.execute("SELECT lightning_stats_reset('t')")
    for i in range(n_gets):
        assert t.execute("SELECT v FROM t WHERE k = ?", (i,)).fetchone() == ("v%d" % i,)
    s = stats(t)
    # A key = lookup is one get (Txn::GetView), not a cursor seek.
    assert s["gets"] == n_gets and s["cursor_seeks"] == 0
    assert s["puts"] == 0 and s["commits"] == 0
    assert latency(t)["get"][0] == n_gets

    t.execute("SELECT lightning_stats_reset('t')")
    assert t.execute("SELECT count(*) FROM t").fetchone() == (n_puts,)
    s = stats(t)
    assert s["cursor_seeks"] == 1 and s["cursor_steps"] == n_puts
    assert latency(t)["scan_step"][0] == n_puts

    t.execute("SELECT lightning_stats_reset('t')")
    t.execute("DELETE FROM t WHERE k < ?", (n_deletes,))
    s = stats(t)
    assert s["deletes"] == n_deletes and s["commits"] == 1
    assert latency(t)["delete"][0] == n_deletes

    t.execute("SELECT lightning_stats_reset('t')")
    assert t.execute("SELECT lightning_checkpoint('t')").fetchone()[0].startswith("ok:")
    s = stats(t)
    lat = latency(t)
    assert s["checkpoints"] == 1 and lat["checkpoint"] == (1, 1)
    assert lat["fsync"] == (s["fsyncs"], s["fsyncs"])  # fsyncs are timed every time
    assert s["fsyncs"] >= 2  # data file and superblock at least


def test_store_figures_are_reported(t):
    t.execute("BEGIN")
    t.executemany("INSERT INTO t VALUES (?, randomblob(100))", [(i,) for i in range(3000)])
    t.execute("COMMIT")
    rows = t.execute("SELECT store, tree, name, value, unit, description FROM lightning_stats('t')").fetchall()
    names = {r[2] for r in rows if r[1] is None}
    for required in ["gets", "puts", "deletes", "cursor_steps", "commits", "cache_size", "cache_used", "cache_hits",
                     "cache_misses", "cache_hit_rate", "cache_evictions", "leaf_pages", "branch_pages",
                     "blob_pages", "file_size", "wal_size", "free_bytes", "bytes_read", "bytes_written",
                     "reads_per_second", "writes_per_second", "fsyncs", "group_commit_avg_batch", "checkpoints",
                     "checkpoint_seconds", "compression_ratio", "oldest_snapshot_age", "pinned_pages",
                     "memory_page_table", "memory_total", "writer_waits", "stats_resets"]:
        assert required in names, required
    assert all(r[4] and r[5] for r in rows), "every row has a unit and a description"
    per_tree = {r[2]: r[3] for r in rows if r[1] == "t"}
    assert per_tree == {"entries": 3000, "depth": per_tree["depth"]} and per_tree["depth"] >= 2
    assert rows[0][0].endswith("app.db-lightning")


def test_reset_by_function_and_by_update_is_recorded(t):
    t.execute("INSERT INTO t VALUES (1, 'a')")
    assert stats(t)["puts"] == 1 and stats(t)["stats_resets"] == 0
    assert t.execute("SELECT lightning_stats_reset('t')").fetchone() == (1,)
    s = stats(t)
    assert s["puts"] == 0 and s["stats_resets"] == 1 and s["stats_age_seconds"] < 60
    t.execute("INSERT INTO t VALUES (2, 'b')")
    t.execute("UPDATE lightning_stats SET value = 0 WHERE table_name = 't'")  # many rows, one reset
    s = stats(t)
    assert s["puts"] == 0 and s["stats_resets"] == 2
    assert latency(t)["commit"] == (0, 0)


def test_no_argument_covers_every_store(db, tmp_path):
    db.execute("CREATE VIRTUAL TABLE a USING lightning(k INTEGER PRIMARY KEY, v)")
    db.execute("CREATE VIRTUAL TABLE b USING lightning(k INTEGER PRIMARY KEY, v, file='other.store')")
    db.execute("INSERT INTO a VALUES (1, 'x')")
    db.execute("INSERT INTO b VALUES (1, 'y'), (2, 'z')")
    db.close()
    conn = connect(str(tmp_path / "app.db"))  # tables not connected yet: found through the schema
    rows = conn.execute("SELECT store, tree, value FROM lightning_stats WHERE name = 'entries'").fetchall()
    assert sorted((r[0].rsplit("/", 1)[1], r[1], r[2]) for r in rows) == [
        ("app.db-lightning", "a", 1), ("other.store", "b", 2)]
    assert {r[0] for r in conn.execute("SELECT store FROM lightning_latency")} == {r[0] for r in rows}
    conn.close()


def test_errors_name_the_problem(t):
    t.execute("CREATE TABLE native(x)")
    with pytest.raises(sqlite3.OperationalError, match="^lightning_stats: no such table: nope$"):
        t.execute("SELECT * FROM lightning_stats('nope')").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="native is not a lightning table"):
        t.execute("SELECT * FROM lightning_stats('native')").fetchall()
    assert t.execute("SELECT * FROM lightning_stats(NULL)").fetchall() == []
    with pytest.raises(sqlite3.OperationalError, match="missing argument; usage: lightning_check"):
        t.execute("SELECT * FROM lightning_check").fetchall()


def test_functions_are_direct_only(t):
    t.execute("CREATE VIEW v AS SELECT * FROM lightning_stats('t')")
    with pytest.raises(sqlite3.OperationalError, match="unsafe use of virtual table"):
        t.execute("SELECT * FROM v").fetchall()
    t.execute("CREATE TABLE log(x)")
    t.execute("CREATE TRIGGER tr AFTER INSERT ON log BEGIN SELECT lightning_checkpoint('t'); END")
    with pytest.raises(sqlite3.OperationalError, match="unsafe use of lightning_checkpoint"):
        t.execute("INSERT INTO log VALUES (1)")


def test_attached_database_tables_are_found(db, tmp_path):
    db.execute("ATTACH ? AS aux", (str(tmp_path / "aux.db"),))
    db.execute("CREATE VIRTUAL TABLE aux.t2 USING lightning(k INTEGER PRIMARY KEY, v)")
    db.execute("INSERT INTO aux.t2 VALUES (1, 'x')")
    (store,) = db.execute("SELECT DISTINCT store FROM lightning_stats('aux.t2')").fetchone()
    assert store.endswith("aux.db-lightning")
    assert db.execute("SELECT value FROM lightning_stats('t2') WHERE name = 'entries'").fetchone() == (1,)


TABLE_FUNCTIONS = ["lightning_stats('nope')", "lightning_latency('nope')", "lightning_config('nope')",
                   "lightning_preset('nope', 'oltp')", "lightning_recommendations('nope')",
                   "lightning_profile('nope')", "lightning_metrics('nope')", "lightning_check('nope')"]


@pytest.mark.parametrize("call", TABLE_FUNCTIONS)
def test_table_valued_function_errors_name_the_function(t, call):
    """Issue 17 item 10: the table-valued functions said 'no such table: nope' where the scalar
    functions say 'lightning_checkpoint: no such table: nope'."""
    name = call.split("(")[0]
    with pytest.raises(sqlite3.OperationalError) as e:
        t.execute(f"SELECT * FROM {call}").fetchall()
    assert str(e.value) == f"{name}: no such table: nope"
    with pytest.raises(sqlite3.OperationalError) as e:
        t.execute("SELECT lightning_checkpoint('nope')").fetchall()
    assert str(e.value) == "lightning_checkpoint: no such table: nope"


def stat_rows(db, table="t"):
    return {r[0]: r[1:] for r in db.execute(
        "SELECT name, value, unit, pretty FROM lightning_stats(?) WHERE tree IS NULL", (table,))}


def test_figures_nothing_measured_are_null(db, tmp_path):
    """Issue 17 item 11: cache_hit_rate 1.0 with no page access, compression_ratio 1.0 before any
    page was compressed, rates 0.0 on the first read: unknown is NULL, not a made-up figure."""
    db.execute("CREATE VIRTUAL TABLE z USING lightning(k INTEGER PRIMARY KEY, v, compression=zstd)")
    s = stat_rows(db, "z")  # the first read of the store's figures: no interval yet
    for name in ["compression_ratio", "interval_seconds",
                 "read_bytes_per_second", "write_bytes_per_second", "reads_per_second", "writes_per_second"]:
        assert s[name][0] is None and s[name][2] is None, (name, s[name])
    db.execute("SELECT lightning_stats_reset('z')")
    s = stat_rows(db, "z")
    assert s["cache_hits"][0] == 0 and s["cache_misses"][0] == 0
    assert s["cache_hit_rate"][0] is None and s["group_commit_avg_batch"][0] is None
    assert s["interval_seconds"][0] > 0 and s["reads_per_second"][0] == 0  # measured: no reads
    # Once measured, they are figures again.
    db.execute("BEGIN")
    db.executemany("INSERT INTO z VALUES (?, printf('%200d', ?))", [(i, i) for i in range(2000)])
    db.execute("COMMIT")
    db.execute("SELECT lightning_checkpoint('z')")
    db.execute("SELECT count(*) FROM z").fetchone()
    s = stat_rows(db, "z")
    assert 0 < s["cache_hit_rate"][0] <= 1
    assert s["compression_ratio"][0] > 2  # 200-byte runs of spaces and digits compress well
    assert s["group_commit_avg_batch"][0] >= 1


def test_sizes_and_times_also_come_in_human_units(t):
    """Issue 17 item 15: a pretty column, as lightning_config shows 256MiB."""
    t.execute("UPDATE lightning_config SET value = '256MiB' WHERE table_name = 't' AND name = 'cache_size'")
    t.execute("INSERT INTO t VALUES (1, 'a')")
    s = stat_rows(t)
    assert s["cache_size"] == (256 << 20, "bytes", "256.0 MiB")
    assert s["page_size"][2] == "8.0 KiB" if s["page_size"][0] == 8192 else s["page_size"][2].endswith("KiB")
    assert s["puts"][2] == str(s["puts"][0])
    assert s["wal_size"][2].endswith(("B", "KiB", "MiB"))
    assert s["stats_age_seconds"][2].endswith((" us", " ms", " s"))
    assert all(r[2] is None or r[2] for r in s.values())


def test_compression_ratio_of_a_reopened_store_is_the_stored_one(tmp_path, ext_path):
    """Issue 17 item 11: a freshly opened zstd store whose file is a fraction of its data reported
    compression_ratio 1.0; before any checkpoint it is the ratio of the pages in the file."""
    db = connect(str(tmp_path / "app.db"))
    db.execute("CREATE VIRTUAL TABLE z USING lightning(k INTEGER PRIMARY KEY, v, compression=zstd)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO z VALUES (?, printf('%300d', ?))", [(i, i) for i in range(5000)])
    db.execute("COMMIT")
    db.execute("SELECT lightning_checkpoint('z')")
    measured = stat_rows(db, "z")["compression_ratio"][0]
    db.close()
    db = connect(str(tmp_path / "app.db"))
    s = stat_rows(db, "z")
    assert s["compression_raw_bytes"][0] == 0  # nothing compressed since the open
    leaves = s["leaf_pages"][0] + s["branch_pages"][0]
    raw = leaves * s["page_size"][0]
    # The file holds every page once, in extents of about raw / ratio bytes.
    assert raw / s["compression_ratio"][0] < s["file_size"][0] - s["free_bytes"][0]
    assert s["compression_ratio"][0] > 3 and s["compression_ratio"][0] == pytest.approx(measured, rel=0.25)
    db.close()


def test_a_reopened_vfs_database_reports_its_files_ratio(tmp_path, ext_path):
    """Issue 17 item 11, through the VFS: a freshly opened zstd database whose store file is a
    fraction of its data reported compression_ratio 1.0 and rates of 0.0."""
    boot = connect(":memory:")  # registers the lightning VFS
    uri = f"file:{tmp_path / 'n.db'}?vfs=lightning&compression=zstd"
    db = sqlite3.connect(uri, uri=True, isolation_level=None)
    db.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO notes(body) VALUES (printf('note %300d', ?))", [(i,) for i in range(3000)])
    db.execute("COMMIT")
    assert db.execute("PRAGMA lightning_checkpoint").fetchone() == ("ok",)
    db.close()
    db = sqlite3.connect(f"file:{tmp_path / 'n.db'}?vfs=lightning", uri=True, isolation_level=None)
    db.execute("SELECT count(*) FROM notes").fetchone()
    s = {r[0]: r[1:] for r in boot.execute(
        "SELECT name, value, pretty FROM lightning_stats(?)", (str(tmp_path / "n.db"),))}
    assert s["compression_raw_bytes"][0] == 0
    assert s["compression_ratio"][0] == pytest.approx(s["vfs_file_size"][0] / (s["file_size"][0] - s["free_bytes"][0]))
    assert s["compression_ratio"][0] > 3
    for name in ["interval_seconds", "reads_per_second", "group_commit_avg_batch"]:
        assert s[name] == (None, None), name
    db.close()
    boot.close()


def test_unique_trees_have_rows(db):
    db.execute("CREATE VIRTUAL TABLE u USING lightning(id INTEGER PRIMARY KEY, email TEXT UNIQUE, a, b, UNIQUE(a, b))")
    db.execute("CREATE VIRTUAL TABLE other USING lightning(x UNIQUE)")
    db.execute("INSERT INTO other VALUES (1)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO u VALUES (?, ?, ?, ?)",
                   [(i, f"user{i}@example.org" if i % 4 else None, i % 7, i if i % 3 else None) for i in range(1000)])
    db.execute("COMMIT")
    per_tree = {}
    for tree, name, value, unit in db.execute("SELECT tree, name, value, unit FROM lightning_stats('u') WHERE tree IS NOT NULL"):
        per_tree.setdefault(tree, {})[name] = (value, unit)
    # The table's tree and its UNIQUE trees only (not those of table other).
    assert set(per_tree) == {"u", "u\x1funique1", "u\x1funique2"}
    assert per_tree["u"]["entries"] == (1000, "count")
    assert per_tree["u\x1funique1"]["entries"] == (750, "count")  # NULL emails have no entry
    assert per_tree["u\x1funique2"]["entries"] == (666, "count")  # nor NULL b
    assert all(v["depth"][0] >= 1 for v in per_tree.values())
    # Without a table named: every tree, with entries and depth.
    everything = {tree for (tree,) in db.execute("SELECT DISTINCT tree FROM lightning_stats WHERE tree IS NOT NULL")}
    assert {"u", "u\x1funique1", "u\x1funique2", "other", "other\x1funique1"} <= everything
