"""lightning_profile (time by component) and lightning_profile_start/_stop (CPU
samples as folded stacks and an SVG flame graph)."""
import ctypes
import os
import re
import xml.etree.ElementTree as ET

import pytest

COMPONENTS = ["tree_search", "tree_update", "cache_load", "decompress", "compress", "checksum", "wal_append",
              "fsync", "checkpoint"]


def profile(db, table="t"):
    return {r[0]: r[1:] for r in db.execute(
        "SELECT component, seconds, share, measured, method, description FROM lightning_profile(?)", (table,))}


def workload(db, rows):
    """Commits, checkpoints, cache misses on compressed pages, lookups, scans, updates, deletes."""
    db.execute("BEGIN")
    db.executemany("INSERT INTO t VALUES (?, printf('%0200d', ?))", [(i, i * 7919) for i in range(rows)])
    db.execute("COMMIT")
    for i in range(50):
        db.execute("INSERT INTO t VALUES (?, 'small commit')", (rows + i,))
    db.execute("SELECT lightning_checkpoint('t')")
    db.execute("UPDATE lightning_config SET value = '1MB' WHERE table_name = 't' AND name = 'cache_size'")
    for k in range(0, rows, 3):
        db.execute("SELECT v FROM t WHERE k = ?", (k,)).fetchone()
    db.execute("SELECT count(*), sum(length(v)) FROM t").fetchone()
    db.execute("UPDATE t SET v = 'changed' WHERE k % 10 = 0")
    db.execute("DELETE FROM t WHERE k % 10 = 1")
    db.execute("SELECT lightning_checkpoint('t')")


def test_components_add_up_to_the_wall_time_of_the_operations(db):
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v, compression=lz4)")
    db.execute("SELECT lightning_stats_reset('t')")
    workload(db, 30000)
    p = profile(db)
    assert list(p) == COMPONENTS + ["unattributed", "total"]
    total = p["total"][0]
    components = sum(p[c][0] for c in COMPONENTS)
    assert total > 0
    for c in COMPONENTS:
        assert p[c][0] > 0, f"{c} measured no time"
    # Every nanosecond of a measured operation goes to exactly one row, so the
    # rows add up to the total; the components alone explain at least 80% of it.
    assert components + p["unattributed"][0] == pytest.approx(total, rel=1e-6)
    assert abs(components - total) <= 0.2 * total, (components, total, p["unattributed"][0])
    assert sum(p[c][1] for c in COMPONENTS + ["unattributed"]) == pytest.approx(1.0, rel=1e-6)
    assert all(row[4] for row in p.values())
    db.execute("SELECT lightning_stats_reset('t')")
    assert profile(db)["total"][0] == 0


def render_png(svg_path, png_path):
    """Renders the SVG with librsvg (the library image viewers use); None if it is not installed."""
    try:
        rsvg = ctypes.CDLL("librsvg-2.so.2")
        cairo = ctypes.CDLL("libcairo.so.2")
    except OSError:
        return None
    vp, dp = ctypes.c_void_p, ctypes.POINTER(ctypes.c_double)
    rsvg.rsvg_handle_new_from_file.restype = vp
    rsvg.rsvg_handle_new_from_file.argtypes = [ctypes.c_char_p, ctypes.POINTER(vp)]
    rsvg.rsvg_handle_get_intrinsic_size_in_pixels.argtypes = [vp, dp, dp]
    rsvg.rsvg_handle_render_cairo.argtypes = [vp, vp]
    cairo.cairo_image_surface_create.restype = vp
    cairo.cairo_create.restype = vp
    cairo.cairo_create.argtypes = [vp]
    cairo.cairo_surface_write_to_png.argtypes = [vp, ctypes.c_char_p]
    err = vp()
    handle = rsvg.rsvg_handle_new_from_file(svg_path.encode(), ctypes.byref(err))
    assert handle, "librsvg cannot read the SVG"
    w, h = ctypes.c_double(), ctypes.c_double()
    assert rsvg.rsvg_handle_get_intrinsic_size_in_pixels(handle, ctypes.byref(w), ctypes.byref(h))
    surface = cairo.cairo_image_surface_create(0, int(w.value), int(h.value))  # ARGB32
    cr = cairo.cairo_create(surface)
    assert rsvg.rsvg_handle_render_cairo(handle, cr), "librsvg cannot render the SVG"
    assert cairo.cairo_surface_write_to_png(surface, png_path.encode()) == 0
    return int(w.value), int(h.value)


def test_cpu_profile_writes_folded_stacks_and_a_flame_graph(db, tmp_path):
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v, compression=lz4)")
    folded = str(tmp_path / "run.folded")
    (msg,) = db.execute("SELECT lightning_profile_start(?, 999)", (folded,)).fetchone()
    assert msg == f"profiling at 999 Hz into {folded}"
    with pytest.raises(Exception, match="already running"):
        db.execute("SELECT lightning_profile_start(?)", (folded,)).fetchone()
    cpu0 = os.times()
    workload(db, 60000)
    for _ in range(10):
        db.execute("SELECT count(*), sum(length(v)) FROM t").fetchone()
    cpu = sum(os.times()[:2]) - sum(cpu0[:2])
    (msg,) = db.execute("SELECT lightning_profile_stop()").fetchone()
    m = re.match(r"(\d+) samples \((\d+) dropped\) over [\d.]+ s at 999 Hz: (\S+) \(folded stacks\), (\S+) \(flame graph\)$", msg)
    assert m, msg
    samples, svg = int(m.group(1)), m.group(4)
    assert m.group(3) == folded and svg == str(tmp_path / "run.svg")
    # ITIMER_PROF fires per CPU time, at most once per kernel tick.
    assert samples >= min(50, cpu * 100), (samples, cpu)

    lines = open(folded).read().splitlines()
    assert lines
    total = 0
    for line in lines:
        stack, count = re.fullmatch(r"(.+) (\d+)", line).groups()
        assert ";" in stack and "" not in stack.split(";")
        total += int(count)
    assert total == samples
    assert any("lightning::" in line for line in lines), "the engine's hidden functions have names"
    assert any(re.search(r"lightning::(TreeGet|TreePut|TreeIterator|Pager|WriteTxnImpl|CursorImpl)", line)
               for line in lines)

    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert int(root.get("width")) == 1200 and int(root.get("height")) > 100
    ns = {"s": "http://www.w3.org/2000/svg"}
    titles = [t.text for t in root.iterfind(".//s:g/s:title", ns)]
    assert titles[0] == f"all ({samples} samples, 100.00%)"
    assert len(root.findall(".//s:g/s:rect", ns)) == len(titles) > 10
    size = render_png(svg, str(tmp_path / "run.png"))
    if size is not None:
        assert size[0] == 1200
        assert open(tmp_path / "run.png", "rb").read(8) == b"\x89PNG\r\n\x1a\n"

    with pytest.raises(Exception, match="no CPU profile is running"):
        db.execute("SELECT lightning_profile_stop()").fetchone()


def test_a_refused_start_leaves_the_files_alone(db, tmp_path):
    """Issue 17 item 1: a bad rate, or a profile already running, is refused
    before any file is opened."""
    victim = tmp_path / "precious.folded"
    victim.write_text("keep me\n")
    for rate in (0, 10001, "'abc'"):
        with pytest.raises(Exception, match="sampling rate"):
            db.execute(f"SELECT lightning_profile_start(?, {rate})", (str(victim),)).fetchone()
        assert victim.read_text() == "keep me\n"
    other = str(tmp_path / "other.folded")
    db.execute("SELECT lightning_profile_start(?)", (other,)).fetchone()
    try:
        assert not os.path.exists(other), "nothing is written before lightning_profile_stop"
        with pytest.raises(Exception, match="already running"):
            db.execute("SELECT lightning_profile_start(?)", (str(victim),)).fetchone()
        assert victim.read_text() == "keep me\n"
        assert not (tmp_path / "precious.svg").exists()
    finally:
        db.execute("SELECT lightning_profile_stop()").fetchone()
    assert os.path.getsize(other) >= 0 and (tmp_path / "other.svg").exists()
    with pytest.raises(Exception, match="cannot write"):
        db.execute("SELECT lightning_profile_start(?)", (str(tmp_path / "no" / "dir.folded"),)).fetchone()


def test_an_svg_path_keeps_the_folded_stacks_apart(db, tmp_path):
    """Issue 17 item 2: lightning_profile_start('p.svg') wrote both files to p.svg."""
    db.execute("CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v)")
    svg = str(tmp_path / "p.svg")
    (msg,) = db.execute("SELECT lightning_profile_start(?, 997)", (svg,)).fetchone()
    assert msg == f"profiling at 997 Hz into {tmp_path / 'p.folded'} and {svg}"
    workload(db, 20000)
    (msg,) = db.execute("SELECT lightning_profile_stop()").fetchone()
    assert msg.endswith(f"{tmp_path / 'p.folded'} (folded stacks), {svg} (flame graph)"), msg
    assert ET.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    lines = open(tmp_path / "p.folded").read().splitlines()
    assert lines and all(re.fullmatch(r".+ \d+", line) for line in lines)


@pytest.mark.parametrize("rate", ["4294968295", "-1", "'abc'", "1.5", "''", "X'00'"])
def test_rates_that_are_not_integers_in_range_are_refused(db, tmp_path, rate):
    """Issue 17 item 3: 4294968295 became 999 Hz, 'abc' was reported as 0."""
    with pytest.raises(Exception) as e:
        db.execute(f"SELECT lightning_profile_start(?, {rate})", (str(tmp_path / "r.folded"),)).fetchone()
    shown = {"'abc'": "abc", "''": "", "X'00'": "\x00"}.get(rate, rate)
    assert str(e.value).startswith(
        "lightning_profile_start: the sampling rate must be an integer from 1 to 10000 Hz, got '")
    if rate not in ("X'00'",):
        assert str(e.value).endswith(f"got '{shown}'"), str(e.value)
    assert not (tmp_path / "r.folded").exists()
