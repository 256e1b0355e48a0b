"""lightning_config (UPDATE to change an option), lightning_preset, lightning_presets."""
import sqlite3

import pytest

from conftest import connect

PRESETS = ["read_heavy", "write_heavy", "mixed", "oltp", "olap", "timeseries", "cache", "low_memory", "ssd", "nvme"]


def config(db, table="t"):
    return {r[0]: r[1:] for r in db.execute(
        "SELECT name, value, default_value, applies, saved FROM lightning_config(?)", (table,))}


@pytest.fixture
def t(db):
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v, cache_size='32MB')")
    return db


def test_every_option_is_listed_with_its_metadata(t):
    rows = t.execute("SELECT name, value, default_value, min_value, max_value, unit, allowed, live, applies, "
                     "description FROM lightning_config('t')").fetchall()
    names = [r[0] for r in rows]
    assert names == ["page_size", "cache_size", "sync", "compression", "compression_level", "checksum",
                     "checkpoint_wal_size", "checkpoint_dirty_size", "busy_timeout", "io", "max_readers",
                     "scan_readahead"]
    by_name = {r[0]: r for r in rows}
    assert by_name["cache_size"][1:9] == ("32MiB", "64MiB", "1MiB", "1TiB", "bytes", None, 1, "live")
    assert by_name["sync"][6] == "full|normal|off"
    assert by_name["io"][7:9] == (0, "next open")
    assert by_name["page_size"][8] == "at creation"
    assert by_name["scan_readahead"][1:9] == ("32", "32", "0", "1024", "pages", None, 1, "live")
    assert all(r[9] for r in rows)


def test_live_update_applies_at_once_and_is_saved(t, tmp_path):
    t.execute("UPDATE lightning_config SET value = '8MB' WHERE table_name = 't' AND name = 'cache_size'")
    assert config(t)["cache_size"][0] == "8MiB" and config(t)["cache_size"][3] == "8MiB"
    assert t.execute("SELECT value FROM lightning_stats('t') WHERE name = 'cache_size'").fetchone() == (8 << 20,)
    t.execute("UPDATE lightning_config SET value = 'zstd' WHERE table_name = 't' AND name = 'compression'")
    t.execute("UPDATE lightning_config SET value = 2000 WHERE table_name = 't' AND name = 'busy_timeout'")
    t.close()
    # The next process (here: the next open of the store) starts with the saved values,
    # over the CREATE VIRTUAL TABLE statement's cache_size='32MB'.
    again = connect(str(tmp_path / "app.db"))
    c = config(again)
    assert (c["cache_size"][0], c["compression"][0], c["busy_timeout"][0]) == ("8MiB", "zstd", "2000")
    again.close()


def test_open_time_option_applies_at_next_open_and_says_so(t, tmp_path):
    t.execute("UPDATE lightning_config SET value = 'io_uring' WHERE table_name = 't' AND name = 'io'")
    c = config(t)
    assert c["io"][0] == "pread" and c["io"][2:] == ("next open", "io_uring")
    t.execute("INSERT INTO t VALUES (1, 'x')")
    t.close()
    again = connect(str(tmp_path / "app.db"))
    assert config(again)["io"][0] == "io_uring"
    assert again.execute("SELECT v FROM t").fetchall() == [("x",)]
    again.close()


def test_bad_changes_are_refused_with_a_reason(t):
    with pytest.raises(sqlite3.OperationalError, match="invalid value 'lots' for option cache_size"):
        t.execute("UPDATE lightning_config SET value = 'lots' WHERE table_name = 't' AND name = 'cache_size'")
    with pytest.raises(sqlite3.OperationalError, match="between 1MiB and 1TiB"):
        t.execute("UPDATE lightning_config SET value = '1KB' WHERE table_name = 't' AND name = 'cache_size'")
    with pytest.raises(sqlite3.OperationalError, match="page_size is fixed when the store is created"):
        t.execute("UPDATE lightning_config SET value = '16384' WHERE table_name = 't' AND name = 'page_size'")
    with pytest.raises(sqlite3.OperationalError, match="only the value column"):
        t.execute("UPDATE lightning_config SET default_value = 'x' WHERE table_name = 't' AND name = 'sync'")
    with pytest.raises(sqlite3.OperationalError, match="accepts UPDATE only"):
        t.execute("DELETE FROM lightning_config WHERE table_name = 't'")
    t.execute("BEGIN")
    t.execute("INSERT INTO t VALUES (1, 'x')")
    with pytest.raises(sqlite3.OperationalError, match="COMMIT first"):
        t.execute("UPDATE lightning_config SET value = 'normal' WHERE table_name = 't' AND name = 'sync'")
    t.execute("COMMIT")
    assert config(t)["sync"][0] == "full"


def test_in_memory_store_changes_live_options_only(ext_path):
    conn = connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE m USING lightning(k INTEGER PRIMARY KEY, v)")
    conn.execute("UPDATE lightning_config SET value = 'off' WHERE table_name = 'm' AND name = 'sync'")
    assert config(conn, "m")["sync"][0] == "off"
    with pytest.raises(sqlite3.OperationalError, match="in-memory store is never reopened"):
        conn.execute("UPDATE lightning_config SET value = 'io_uring' WHERE table_name = 'm' AND name = 'io'")
    conn.close()


def test_presets_are_listed_and_documented(db):
    rows = db.execute("SELECT preset, when_to_use, option, value, why FROM lightning_presets").fetchall()
    assert list(dict.fromkeys(r[0] for r in rows)) == PRESETS
    assert all(all(r) for r in rows)
    assert "page_size" not in {r[2] for r in rows}


@pytest.mark.parametrize("preset", PRESETS)
def test_each_preset_applies_its_settings(t, preset):
    wanted = {o: v for o, v in t.execute("SELECT option, value FROM lightning_presets WHERE preset = ?", (preset,))}
    applied = t.execute("SELECT option, new_value, applies FROM lightning_preset('t', ?)", (preset,)).fetchall()
    assert {o: v for o, v, _ in applied} == wanted
    c = config(t)
    for option, value, applies in applied:
        assert c[option][3] == value  # saved (preset values are written in canonical form)
        if applies == "now":
            assert c[option][0] == value
        else:
            assert applies == "at next open" and c[option][2] == "next open"


def test_unknown_preset_lists_the_presets(t):
    with pytest.raises(sqlite3.OperationalError, match="unknown preset 'fast'; presets: read_heavy write_heavy"):
        t.execute("SELECT * FROM lightning_preset('t', 'fast')").fetchall()
    with pytest.raises(sqlite3.OperationalError, match=r"usage: lightning_preset\(table, preset\)"):
        t.execute("SELECT * FROM lightning_preset('t')").fetchall()


@pytest.mark.parametrize("column, value", [
    ("description", "'x'"), ("default_value", "'1MiB'"), ("min_value", "'2MiB'"), ("max_value", "NULL"),
    ("unit", "'pages'"), ("allowed", "'a|b'"), ("live", "0"), ("applies", "'next open'"),
    ("saved", "'8MiB'"), ("name", "'sync'"), ("store", "'elsewhere.db'")])
def test_every_read_only_column_is_refused(t, column, value):
    # Issue 17 item 8: SET description = 'x' reported one change and no error.
    before = t.execute("SELECT * FROM lightning_config('t')").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="only the value column can be changed"):
        t.execute(f"UPDATE lightning_config SET {column} = {value} "
                  "WHERE table_name = 't' AND name = 'cache_size'")
    assert t.execute("SELECT * FROM lightning_config('t')").fetchall() == before
    # Unchanged read-only columns do not stand in the way of the value.
    t.execute("UPDATE lightning_config SET value = '16MB', description = description, live = live "
              "WHERE table_name = 't' AND name = 'cache_size'")
    assert config(t)["cache_size"][0] == "16MiB"


def test_a_page_size_other_than_the_stores_is_refused(t, tmp_path):
    # Issue 17 item 5: the second table's page_size was ignored while its schema kept it.
    with pytest.raises(sqlite3.OperationalError,
                       match=r"page_size=16384 does not match store .*app\.db-lightning, whose page "
                             r"size is 8192"):
        t.execute("CREATE VIRTUAL TABLE u USING lightning(k INTEGER PRIMARY KEY, v, page_size=16384)")
    assert t.execute("SELECT name FROM sqlite_schema WHERE name = 'u'").fetchall() == []
    # Its own page size, or none, is fine; so is another store.
    t.execute("CREATE VIRTUAL TABLE u USING lightning(k INTEGER PRIMARY KEY, v, page_size=8192)")
    other = str(tmp_path / "big.lightning")
    t.execute(f"CREATE VIRTUAL TABLE w USING lightning(k INTEGER PRIMARY KEY, v, page_size=16384, "
              f"file='{other}')")
    assert config(t, "w")["page_size"][0] == "16384"

