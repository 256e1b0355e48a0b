"""EXPLAIN QUERY PLAN: key lookups use the key, ORDER BY key is consumed (no
temp b-tree), and only queries without a key constraint scan everything."""
import pytest

from conftest import connect


def plan(conn, sql):
    return " / ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall())


@pytest.fixture(params=["id INTEGER PRIMARY KEY, name TEXT", "id TEXT PRIMARY KEY, name TEXT", "name TEXT"])
def table(request, tmp_path, ext_path):
    conn = connect(str(tmp_path / "p.db"))
    conn.execute(f"CREATE VIRTUAL TABLE t USING lightning({request.param})")
    key = "rowid" if request.param == "name TEXT" else "id"
    values = ", ".join(f"({i}, 'n{i}')" for i in range(200))
    cols = "rowid, name" if key == "rowid" else "id, name"
    conn.execute(f"INSERT INTO t({cols}) VALUES {values}")
    yield conn, key
    conn.close()


def test_point_lookup_uses_the_key(table):
    conn, k = table
    p = plan(conn, f"SELECT * FROM t WHERE {k} = 5")
    assert f"{k}=?" in p and "full scan" not in p, p


def test_in_list_is_one_lookup_per_value_in_one_filter(table):
    conn, k = table
    p = plan(conn, f"SELECT * FROM t WHERE {k} IN (1, 5, 9) ORDER BY {k} DESC")
    assert f"{k} IN (...)" in p and f"ORDER BY {k} DESC" in p, p
    assert "TEMP B-TREE" not in p, p


@pytest.mark.parametrize("where,expect", [
    ("{k} > 5 AND {k} <= 50", ["{k}>?", "{k}<=?"]),
    ("{k} >= 5", ["{k}>=?"]),
    ("{k} < 7", ["{k}<?"]),
])
def test_ranges_use_the_key(table, where, expect):
    conn, k = table
    p = plan(conn, f"SELECT * FROM t WHERE {where.format(k=k)}")
    for e in expect:
        assert e.format(k=k) in p, p
    assert "full scan" not in p, p


def test_between_is_a_range(table):
    conn, k = table
    p = plan(conn, f"SELECT * FROM t WHERE {k} BETWEEN 10 AND 20")
    assert f"{k}>=?" in p and f"{k}<=?" in p, p


@pytest.mark.parametrize("direction", ["", " DESC"])
def test_order_by_key_needs_no_sort(table, direction):
    conn, k = table
    p = plan(conn, f"SELECT * FROM t ORDER BY {k}{direction}")
    assert "TEMP B-TREE" not in p, p
    assert f"ORDER BY {k}{direction}" in p, p
    p = plan(conn, f"SELECT * FROM t WHERE {k} > 3 ORDER BY {k}{direction} LIMIT 5 OFFSET 2")
    assert "TEMP B-TREE" not in p and "LIMIT" in p and "OFFSET" in p, p


def test_full_scan_only_without_key_constraint(table):
    conn, k = table
    assert "full scan" in plan(conn, "SELECT * FROM t WHERE name = 'n3'")
    assert "full scan" in plan(conn, "SELECT count(*) FROM t")
    p = plan(conn, "SELECT * FROM t ORDER BY name")
    assert "TEMP B-TREE" in p  # ordering by a non-key column needs a sort


def test_join_on_key_looks_up_the_inner_table(table):
    conn, k = table
    p = plan(conn, f"SELECT * FROM t a JOIN t b ON b.{k} = a.{k} WHERE a.{k} < 10")
    assert f"{k}=?" in p, p


def test_results_follow_the_plan(table):
    conn, k = table
    is_text = conn.execute(f"SELECT typeof({k}) FROM t LIMIT 1").fetchone()[0] == "text"
    lo, hi = ("10", "12") if is_text else (10, 12)
    rows = conn.execute(f"SELECT {k} FROM t WHERE {k} >= ? AND {k} <= ? ORDER BY {k} DESC", (lo, hi)).fetchall()
    expected = sorted(conn.execute(f"SELECT {k} FROM t").fetchall(), reverse=True)
    expected = [r for r in expected if lo <= r[0] <= hi]
    assert rows == expected
    assert conn.execute(f"SELECT {k} FROM t ORDER BY {k} LIMIT 2 OFFSET 3").fetchall() == sorted(
        conn.execute(f"SELECT {k} FROM t").fetchall())[3:5]


# ---- composite keys: PRIMARY KEY(a, b) and PRIMARY KEY(a DESC, b)

@pytest.fixture(params=["", " DESC"])
def pair_table(request, tmp_path, ext_path):
    conn = connect(str(tmp_path / "c.db"))
    conn.execute(f"CREATE VIRTUAL TABLE t USING lightning(a INTEGER, b TEXT, c, PRIMARY KEY(a{request.param}, b))")
    conn.execute("INSERT INTO t VALUES " + ", ".join(f"({i % 20}, 'b{i:03}', {i})" for i in range(400)))
    yield conn, request.param
    conn.close()


@pytest.mark.parametrize("where,expect", [
    ("a = 3 AND b = 'b003'", "PRIMARY KEY (a=? AND b=?)"),
    ("a = 3", "PRIMARY KEY (a=?)"),
    ("a = 3 AND b > 'b1' AND b <= 'b3'", "PRIMARY KEY (a=? AND b>? AND b<=?)"),
    ("a >= 3 AND a < 5", "PRIMARY KEY (a>=? AND a<?)"),
    ("a IN (1, 5) AND b = 'b005'", "PRIMARY KEY (a IN (...) AND b=?)"),
    ("a = 2 AND b IN ('b002', 'b022')", "PRIMARY KEY (a=? AND b IN (...))"),
])
def test_composite_key_serves_prefix_and_range(pair_table, where, expect):
    conn, _ = pair_table
    p = plan(conn, f"SELECT * FROM t WHERE {where}")
    assert expect in p and "full scan" not in p, p


def test_composite_key_needs_its_first_column(pair_table):
    conn, _ = pair_table
    assert "full scan" in plan(conn, "SELECT * FROM t WHERE b = 'b003'")


@pytest.mark.parametrize("order,consumed", [
    ("a{d}, b", True),
    ("a{r}, b DESC", True),       # the whole key reversed
    ("a{d}", True),
    ("a{d}, b DESC", False),      # a mix: SQLite sorts
    ("b", False),
])
def test_composite_order_by_a_key_prefix_needs_no_sort(pair_table, order, consumed):
    conn, d = pair_table
    r = "" if d else " DESC"
    order = order.format(d=d, r=r)
    p = plan(conn, f"SELECT * FROM t ORDER BY {order}")
    assert ("TEMP B-TREE" not in p) == consumed, p
    p = plan(conn, f"SELECT * FROM t WHERE a = 4 ORDER BY b DESC LIMIT 3")
    assert "TEMP B-TREE" not in p and "PRIMARY KEY (a=?)" in p and "LIMIT" in p, p


def test_composite_join_on_the_key_is_a_lookup(pair_table):
    conn, _ = pair_table
    p = plan(conn, "SELECT * FROM t x JOIN t y ON y.a = x.a AND y.b = x.b WHERE x.a < 3")
    assert "PRIMARY KEY (a=? AND b=?)" in p, p


def test_composite_results_follow_the_plan(pair_table):
    conn, d = pair_table
    rows = [(i % 20, f"b{i:03}", i) for i in range(400)]
    got = conn.execute("SELECT * FROM t WHERE a = 7 AND b > 'b1' AND b < 'b3' ORDER BY b DESC").fetchall()
    assert got == sorted([r for r in rows if r[0] == 7 and "b1" < r[1] < "b3"], key=lambda r: r[1], reverse=True)
    got = conn.execute("SELECT a, b FROM t WHERE a IN (3, 1) AND b <= 'b100' ORDER BY a DESC, b DESC").fetchall()
    assert got == sorted([r[:2] for r in rows if r[0] in (1, 3) and r[1] <= "b100"], reverse=True)
    got = conn.execute("SELECT a, b FROM t ORDER BY a, b LIMIT 4 OFFSET 19").fetchall()
    assert got == sorted(r[:2] for r in rows)[19:23]
    # Unordered scans walk the key: a descending when the key says so.
    first = conn.execute("SELECT a FROM t LIMIT 1").fetchone()[0]
    assert first == (19 if d else 0)


# ---- UNIQUE constraints serve = on all their columns

def test_unique_constraint_serves_equality(tmp_path, ext_path):
    conn = connect(str(tmp_path / "u.db"))
    conn.execute("CREATE VIRTUAL TABLE t USING lightning(id INTEGER PRIMARY KEY, email TEXT UNIQUE, a, b, "
                 "UNIQUE(a, b))")
    conn.execute("INSERT INTO t VALUES " + ", ".join(f"({i}, 'e{i}', {i % 7}, {i})" for i in range(300)))
    p = plan(conn, "SELECT * FROM t WHERE email = 'e5'")
    assert "UNIQUE (email=?)" in p, p
    assert "UNIQUE (a=? AND b=?)" in plan(conn, "SELECT * FROM t WHERE b = 12 AND a = 5")
    assert "id=?" in plan(conn, "SELECT * FROM t WHERE email = 'e5' AND id = 5")  # the key wins
    assert "full scan" in plan(conn, "SELECT * FROM t WHERE a = 5")  # half a constraint: a scan
    p = plan(conn, "SELECT * FROM t x JOIN t y ON y.email = x.email WHERE x.id < 3")
    assert "UNIQUE (email=?)" in p, p
    assert conn.execute("SELECT id FROM t WHERE email = 'e5'").fetchall() == [(5,)]
    assert conn.execute("SELECT id FROM t WHERE email IN ('e7', 'e9', 'zz') ORDER BY id").fetchall() == [(7,), (9,)]
    assert conn.execute("SELECT id FROM t WHERE a = 5 AND b = 12").fetchall() == [(12,)]
    assert conn.execute("SELECT id FROM t WHERE email = NULL").fetchall() == []
    conn.close()
