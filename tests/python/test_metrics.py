"""lightning_metrics(): the Prometheus text exposition of every store's figures."""
import math
import os
import re
import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

SAMPLE_LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\} \S+$')


def families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def check_exposition_shape(text):
    """What the parser tolerates but Prometheus does not: one HELP/TYPE per
    family, before its samples, and the samples of a family together."""
    seen_types, current = set(), None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            name = line.split()[2]
            assert name not in seen_types, f"family {name} declared twice"
            seen_types.add(name)
            current = name
            continue
        assert SAMPLE_LINE.match(line), line
        assert line.startswith(current), f"{line} outside its family {current}"
        float(line.rsplit(" ", 1)[1])


def test_metrics_parse_and_agree_with_the_tables(db):
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO t VALUES (?, randomblob(50))", [(i,) for i in range(3000)])
    db.execute("COMMIT")
    for i in range(200):
        db.execute("SELECT v FROM t WHERE k = ?", (i,)).fetchone()
    db.execute("SELECT lightning_checkpoint('t')")
    (text,) = db.execute("SELECT lightning_metrics()").fetchone()
    check_exposition_shape(text)
    fams = families(text)
    stats = dict(db.execute("SELECT name, value FROM lightning_stats('t') WHERE tree IS NULL"))
    store = db.execute("SELECT DISTINCT store FROM lightning_stats('t')").fetchone()[0]

    puts = fams["lightning_puts"]
    assert puts.type == "counter"
    assert [(s.name, s.labels, s.value) for s in puts.samples] == [("lightning_puts_total", {"store": store}, 3000)]
    assert fams["lightning_cache_size_bytes"].type == "gauge"
    assert fams["lightning_cache_size_bytes"].samples[0].value == stats["cache_size"]
    assert fams["lightning_tree_entries"].samples[0].labels == {"store": store, "tree": "t"}
    assert fams["lightning_tree_entries"].samples[0].value == 3000

    hist = fams["lightning_latency_seconds"]
    assert hist.type == "histogram"
    latency = {op: (count, samples) for op, count, samples in
               db.execute("SELECT operation, count, samples FROM lightning_latency('t')")}
    assert set(latency) == {"get", "put", "delete", "seek", "scan_step", "commit", "fsync", "checkpoint"}
    for op, (count, samples) in latency.items():
        series = [s for s in hist.samples if s.labels.get("op") == op]
        buckets = [s for s in series if s.name.endswith("_bucket")]
        bounds = [float(s.labels["le"]) for s in buckets]
        values = [s.value for s in buckets]
        assert bounds == sorted(bounds) and bounds[-1] == math.inf
        assert values == sorted(values), f"{op}: buckets are cumulative"
        (n,) = [s.value for s in series if s.name.endswith("_count")]
        assert n == values[-1] == samples
    assert latency["put"][0] == 3000 and latency["checkpoint"] == (1, 1)

    comps = {s.labels["component"]: s.value for s in fams["lightning_profile_seconds"].samples}
    assert {"tree_search", "fsync", "unattributed"} <= set(comps)

    (table_text,) = db.execute("SELECT metrics FROM lightning_metrics('t')").fetchone()
    assert set(families(table_text)) == set(fams)


def test_several_stores_share_each_family(db):
    db.execute("CREATE VIRTUAL TABLE a USING lightning(k INTEGER PRIMARY KEY, v)")
    db.execute("CREATE VIRTUAL TABLE b USING lightning(k INTEGER PRIMARY KEY, v, file='b.store')")
    db.execute("INSERT INTO a VALUES (1, 'x')")
    db.execute("INSERT INTO b VALUES (1, 'y')")
    (text,) = db.execute("SELECT lightning_metrics()").fetchone()
    check_exposition_shape(text)
    stores = {s.labels["store"] for s in families(text)["lightning_puts"].samples}
    assert len(stores) == 2
    assert db.execute("SELECT lightning_metrics('b')").fetchone()[0].count("lightning_puts_total{") == 1


def test_names_follow_the_prometheus_conventions(db):
    """Issue 17 item 16: base units as suffixes (_bytes, _seconds), counters typed counter and
    ending in _total (readahead_pages was a gauge), checked on the parsed exposition."""
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v)")
    db.execute("INSERT INTO t VALUES (1, 'x')")
    db.execute("SELECT lightning_checkpoint('t')")
    (text,) = db.execute("SELECT lightning_metrics()").fetchone()
    check_exposition_shape(text)
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    helps = dict(re.findall(r"^# HELP (\S+) (.*)$", text, re.M))
    assert types["lightning_readahead_pages_total"] == "counter"
    for name in ["lightning_read_bytes_total", "lightning_written_bytes_total", "lightning_wal_bytes_total",
                 "lightning_cache_size_bytes", "lightning_file_size_bytes", "lightning_memory_total_bytes",
                 "lightning_checkpoint_seconds_total", "lightning_oldest_snapshot_age_seconds",
                 "lightning_stats_age_seconds", "lightning_puts_total", "lightning_cache_hits_total"]:
        assert name in types, name
    for name, kind in types.items():
        # promtool check metrics: counters end in _total, nothing else does.
        assert (kind == "counter") == name.endswith("_total"), (name, kind)
        assert not re.search(r"_(milli|micro|nano)?(ms|us|ns|milliseconds|microseconds|kib|mib|bytes_bytes)(_|$)",
                             name), name
        help_unit = re.search(r"\((\w+)\)$", helps[name])
        if help_unit and help_unit.group(1) == "bytes":
            assert re.search(r"_bytes(_total)?$", name), name
        if help_unit and help_unit.group(1) == "seconds":
            assert re.search(r"_seconds(_total)?$", name), name
    # Every counter of lightning_stats is a counter here.
    fams = families(text)
    for fam in fams.values():
        if fam.type == "counter":
            assert all(s.name == fam.name + "_total" for s in fam.samples), fam.name


def test_promtool_check_metrics_finds_nothing(db):
    """Prometheus's own linter, where it is installed (Debian's prometheus package ships it;
    LIGHTNING_PROMTOOL names another copy)."""
    promtool = os.environ.get("LIGHTNING_PROMTOOL") or shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool is not installed (Debian package prometheus)")
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v, compression=zstd)")
    db.execute("INSERT INTO t VALUES (1, 'x')")
    db.execute("SELECT lightning_checkpoint('t')")
    db.execute("SELECT count(*) FROM lightning_stats('t')").fetchone()  # the rates have an interval
    (text,) = db.execute("SELECT lightning_metrics()").fetchone()
    out = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout == "" and out.stderr == "", out
