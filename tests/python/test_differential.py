"""Differential test: a lightning table must behave like the native table it replaces.

For each schema, two databases receive the same random stream of statements:
one holds `CREATE TABLE t(...)` (WITHOUT ROWID when the key is not an INTEGER
PRIMARY KEY), the other `CREATE VIRTUAL TABLE t USING lightning(...)`. Every
statement's result rows (with their types), error class, message and error
code must agree, and so must the whole content at checkpoints, after
ROLLBACKs and after closing and reopening both databases.

Knobs: LIGHTNING_DIFF_SEED (replay), LIGHTNING_DIFF_STATEMENTS (per schema,
default 3000). The seed is printed; a failure names the statement and shows
the statements before it.
"""
import os
import random
import sqlite3

import pytest

from conftest import connect

STATEMENTS = int(os.environ.get("LIGHTNING_DIFF_STATEMENTS", "3000"))
BASE_SEED = int(os.environ.get("LIGHTNING_DIFF_SEED", str(random.randrange(1 << 30))))

# name: (column definitions, key column or None, key kind, columns comparable with the key)
SCHEMAS = {
    "integer_key": ("k INTEGER PRIMARY KEY, a TEXT, b REAL, c", "k", "int", ["b"]),
    "rowid": ("a TEXT, b INTEGER, c", None, "int", ["b"]),
    "text_key": ("k TEXT PRIMARY KEY, a INTEGER, b TEXT NOT NULL, c", "k", "text", ["b"]),
    "blob_key": ("k BLOB PRIMARY KEY, a NUMERIC, b, c REAL", "k", "blob", ["b"]),
    "real_key": ("k REAL PRIMARY KEY, a, b NUMERIC, c TEXT", "k", "real", ["b"]),
    "untyped_key": ("k PRIMARY KEY, a, b, c INTEGER", "k", "any", ["a", "b"]),
    # UNIQUE constraints (a table constraint is written without spaces: "UNIQUE(b,c)").
    "unique_rowid": ("k INTEGER PRIMARY KEY, a TEXT UNIQUE, b, c INTEGER, UNIQUE(b,c)", "k", "int", ["c"]),
    "unique_text_key": ("k TEXT PRIMARY KEY, a TEXT UNIQUE, b INTEGER UNIQUE, c", "k", "text", ["a"]),
    # CHECK constraints, column and table, named and not (written without ", " inside).
    "check_rowid": ("k INTEGER PRIMARY KEY CHECK(k <> 13), a TEXT CHECK(length(a) < 4), "
                    "b INTEGER CONSTRAINT b_range CHECK(b > -4 AND b <> '7'), c, "
                    "CHECK(b IS NULL OR c IS NULL OR b <> c)", "k", "int", ["b"]),
    "check_untyped_key": ("k PRIMARY KEY CHECK(k <> 2), a NOT NULL CHECK(a > 0), b NUMERIC, "
                          "c REAL CHECK(c <> 3 AND c <> '12'), CONSTRAINT ab CHECK(a <> b)", "k", "any", ["a"]),
    # CHECK and UNIQUE together (CHECK is checked first, as native).
    "check_unique": ("k TEXT PRIMARY KEY CHECK(k <> 'z'), a NUMERIC CHECK(a >= 0) UNIQUE, "
                     "b TEXT NOT NULL CHECK(b <> 'zz'), c REAL, UNIQUE(b,c), CONSTRAINT c_small CHECK(c < 100 OR typeof(c) = 'text')",
                     "k", "text", ["a"]),
    # Secondary indexes (issue 13): declared among the module arguments (CREATE INDEX on
    # the native side), or "LATER": added once rows exist, with lightning_create_index
    # (CREATE INDEX), and sometimes dropped and added again. Column lists have no spaces.
    "index_rowid": ("a TEXT, b INTEGER, c, INDEX ix_b(b), INDEX ix_ab(a,b DESC)", None, "int", ["b"]),
    "index_int_key": ("k INTEGER PRIMARY KEY, a TEXT, b REAL, c, UNIQUE INDEX ux_a(a), INDEX ix_cb(c DESC,b)",
                      "k", "int", ["b"]),
    "index_text_key": ("k TEXT PRIMARY KEY, a INTEGER, b TEXT, c, INDEX ix_a(a), LATER UNIQUE INDEX ux_b(b), "
                       "LATER INDEX ix_ca(c,a DESC)", "k", "text", ["b"]),
    "index_later": ("k INTEGER PRIMARY KEY, a NUMERIC, b TEXT, c INTEGER, LATER INDEX ix_a(a DESC), "
                    "LATER UNIQUE INDEX ux_bc(b,c)", "k", "int", ["c"]),
}


def split_indexes(cols):
    """(column definitions without indexes, declared indexes, later indexes); an index
    is (unique, name, column list)."""
    table, declared, later = [], [], []
    for part in cols.split(", "):
        words = part.split()
        target = declared
        if words[0] == "LATER":
            target, words = later, words[1:]
        if words[0] == "INDEX" or words[:2] == ["UNIQUE", "INDEX"]:
            unique = words[0] == "UNIQUE"
            spec = " ".join(words[2 if unique else 1:])
            name, columns = spec[:spec.index("(")], spec[spec.index("(") + 1:-1]
            target.append((unique, name, columns))
        else:
            table.append(part)
    return ", ".join(table), declared, later


def typed_columns(cols):
    """Columns declared with a type other than BLOB: equal values there are identical
    (3 and 3.0 are one value), so ORDER BY on them alone gives one output order."""
    out = []
    for part in split_indexes(cols)[0].split(", "):
        words = part.split()
        if len(words) > 1 and words[1] in ("TEXT", "INTEGER", "REAL", "NUMERIC") and words[0] != "UNIQUE(":
            out.append(words[0])
    return out


def unique_columns(cols):
    """The columns of a schema's UNIQUE constraints ("a TEXT UNIQUE", "UNIQUE(b,c)")."""
    out = set()
    table, declared, later = split_indexes(cols)
    for unique, _, columns in declared + later:
        if unique:
            out.update(c.split()[0] for c in columns.split(","))
    for part in table.split(", "):
        if part.startswith("UNIQUE("):
            out.update(part[len("UNIQUE("):-1].split(","))
        elif "UNIQUE" in part.split()[1:]:
            out.add(part.split()[0])
    return out


def typed(row):
    """A row with each value's type made explicit (1 and 1.0 differ)."""
    return tuple((type(v).__name__, repr(v)) for v in row)


class StatementMix:
    """The mix of statements a differential test draws (kind, sql): a
    subclass gives self.r and insert/select/update/delete/insert_select."""

    def control(self):
        r = self.r
        x = r.random()
        if x < 0.3:
            return "BEGIN"
        if x < 0.5:
            return "COMMIT"
        if x < 0.6:
            return "ROLLBACK"
        if x < 0.75:
            return f"SAVEPOINT s{r.randint(1, 3)}"
        if x < 0.88:
            return f"ROLLBACK TO s{r.randint(1, 3)}"
        return f"RELEASE s{r.randint(1, 3)}"

    def statement(self):
        x = self.r.random()
        if x < 0.28:
            return "data", self.insert()
        if x < 0.55:
            sql, ordered = self.select()
            return ("query" if ordered else "query-unordered"), sql
        if x < 0.68:
            return "data", self.update()
        if x < 0.75:
            return "data", self.delete()
        if x < 0.78:
            return "data", self.insert_select()
        if x < 0.93:
            return "control", self.control()
        if x < 0.95:
            return "reopen", None
        return "check", None



class Gen(StatementMix):
    """Random SQL for one schema."""

    def statement(self):
        # Later indexes: each added once rows exist (a quarter and half way), and
        # now and then dropped and added again.
        self.count += 1
        r = self.r
        for unique, name, columns in self.later:
            if name not in self.created and self.count > STATEMENTS * (0.25 + 0.25 * self.later.index(
                    (unique, name, columns))):
                self.created.append(name)
                return "ddl", index_ddl(unique, name, columns)
        if self.created and r.random() < 0.004:
            name = r.choice(self.created)
            unique, _, columns = next(x for x in self.later if x[1] == name)
            return "ddl", ((f"DROP INDEX {name}", f"SELECT lightning_drop_index('t', '{name}')"),
                           index_ddl(unique, name, columns))
        return super().statement()

    def __init__(self, rng, schema):
        self.r = rng
        cols, key, kind, joinable = SCHEMAS[schema]
        self.key = key or "rowid"
        self.has_key_col = key is not None
        self.kind = kind
        self.joinable = joinable
        table_cols, declared, self.later = split_indexes(cols)
        self.cols = [c.split()[0] for c in table_cols.split(", ") if not c.startswith(("UNIQUE(", "CHECK(", "CONSTRAINT"))]
        self.indexed = bool(declared or self.later)  # native may scan through an index
        self.ordered_cols = typed_columns(cols)
        self.created = []  # later indexes added so far
        self.count = 0
        # Multi-row UPDATE OR REPLACE differs in SQLite itself once REPLACE can delete
        # rows the statement has yet to update (a virtual table gets every new row
        # computed in advance); with UNIQUE constraints it only runs on one row.
        self.unique = "UNIQUE" in cols
        self.unique_cols = unique_columns(cols)
        self.order = f" ORDER BY {key or 'rowid'}" if self.unique or self.indexed else ""  # see one_row()
        self.data_cols = [c for c in self.cols if c != key]
        self.savepoints = []

    # -- values
    def lit(self):
        r = self.r
        x = r.random()
        if x < 0.1:
            return "NULL"
        if x < 0.35:
            return str(r.randint(-5, 30))
        if x < 0.45:
            return r.choice(["0.5", "2.0", "-1.25", "1e3", "3.0", "9007199254740993", "-0.0"])
        if x < 0.75:
            return "'" + r.choice(["a", "b", "ab", "B", "zz", "12", " 7 ", "3.0", "1e2", "x'y", "", "0x10"]).replace("'", "''") + "'"
        if x < 0.9:
            return "x'" + r.choice(["", "00", "61", "ff01", "6162"]) + "'"
        return r.choice(["'abc' || 1", "5 + 0.5", "CAST(4 AS TEXT)", "CAST('8' AS INTEGER)", "zeroblob(2)"])

    def cmp_lit(self):
        """A value to compare a column with. Not CAST(... AS INTEGER) when indexes
        exist: an indexed TEXT or untyped column compared with an expression of numeric
        affinity is converted by native SQLite, while a lightning index (like a
        lightning key) converts the value (docs/vtab.md, Limitations)."""
        v = self.lit()
        while self.indexed and "AS INTEGER" in v:
            v = self.lit()
        return v

    def key_lit(self, allow_mismatch=True):
        r = self.r
        if self.kind == "int":
            odd = ["'7'", "3.0", "4611686018427387904", "-9223372036854775808"] + (["'x'"] if allow_mismatch else [])
            return str(r.randint(-3, 40)) if r.random() < 0.9 else r.choice(odd)
        if self.kind == "text":
            return r.choice(["'a'", "'b'", "'c'", "'ab'", "'abc'", "'B'", "'z'", "'10'", "'9'", "''", "5", "2.5", "'é'"])
        if self.kind == "blob":
            return r.choice(["x'00'", "x'01'", "x'0102'", "x'ff'", "x''", "'a'", "'b'", "3", "4.5", "x'61'"])
        if self.kind == "real":
            return r.choice(["1", "1.5", "2", "'3'", "-1", "0", "2.25", "1e10", "'x'", "100", "-0.5"])
        return r.choice(["1", "2", "2.0", "2.5", "'2'", "'a'", "'b'", "x'01'", "x'61'", "-3", "'10'", "1e20"])

    def keys_list(self, n):
        return ", ".join(self.key_lit() for _ in range(n))

    def conflict(self):
        return self.r.choice(["", "", "", " OR REPLACE", " OR IGNORE", " OR ABORT", " OR FAIL", " OR ROLLBACK"])

    # -- statements
    def insert(self):
        r = self.r
        cols = list(self.cols) if self.has_key_col else (["rowid"] if r.random() < 0.5 else []) + list(self.cols)
        rows = []
        nrows = r.choice([1, 1, 1, 2, 3, 5])
        for _ in range(nrows):
            vals = []
            for c in cols:
                if c == self.key or c == "rowid":
                    # A "datatype mismatch" (non-integer rowid) in a multi-row INSERT OR REPLACE
                    # inside BEGIN keeps the earlier rows of a native table (SQLite opens no
                    # statement journal for OR REPLACE) but not of a virtual table.
                    vals.append(self.key_lit(allow_mismatch=nrows == 1) if r.random() > 0.05 else "NULL")
                else:
                    vals.append(self.lit())
            rows.append("(" + ", ".join(vals) + ")")
        verb = "REPLACE" if r.random() < 0.05 else "INSERT" + self.conflict()
        return f"{verb} INTO t({', '.join(cols)}) VALUES {', '.join(rows)}"

    def where(self):
        r = self.r
        k = self.key
        x = r.random()
        if x < 0.25:
            return f"{k} = {self.key_lit()}"
        if x < 0.4:
            return f"{k} IN ({self.keys_list(r.randint(1, 4))})"
        if x < 0.6:
            op1, op2 = r.choice([">", ">="]), r.choice(["<", "<="])
            return f"{k} {op1} {self.key_lit()} AND {k} {op2} {self.key_lit()}"
        if x < 0.7:
            return f"{k} {r.choice(['<', '<=', '>', '>='])} {self.key_lit()}"
        if x < 0.75:
            return f"{k} BETWEEN {self.key_lit()} AND {self.key_lit()}"
        if x < 0.85:
            c = r.choice(self.data_cols)
            lit = self.cmp_lit
            if self.indexed and r.random() < 0.5:  # what the indexes serve
                c2 = r.choice(self.data_cols)
                return r.choice([f"{c} IN ({lit()}, {lit()})",
                                 f"{c} {r.choice(['>', '>='])} {lit()} AND {c} {r.choice(['<', '<='])} {lit()}",
                                 f"{c} = {lit()} AND {c2} {r.choice(['<', '>', '>=', '<='])} {lit()}",
                                 f"{c} IN ({lit()}, {lit()}) AND {c2} = {lit()}"])
            return f"{c} {r.choice(['=', '<', '>', 'IS', 'IS NOT'])} {lit()}"
        if x < 0.9:
            return f"{k} IS NOT NULL AND {r.choice(self.data_cols)} IS NULL"
        return "1"

    def select(self):
        r = self.r
        k = self.key
        cols = ", ".join(f"{c}, typeof({c})" for c in ([k] if not self.has_key_col else []) + self.cols)
        x = r.random()
        order = r.choice(["", f" ORDER BY {k}", f" ORDER BY {k} DESC"])
        if x < 0.5:
            lim = ""
            if order and r.random() < 0.5:
                lim = f" LIMIT {r.randint(0, 6)}" + (f" OFFSET {r.randint(0, 4)}" if r.random() < 0.5 else "")
            return f"SELECT {cols} FROM t WHERE {self.where()}{order}{lim}", bool(order)
        if x < 0.6 and self.ordered_cols:
            # ORDER BY what an index may serve (forwards or backwards); only the ordered
            # column is read, so ties cannot reorder the output.
            c = r.choice(self.ordered_cols)
            return f"SELECT {c}, typeof({c}) FROM t WHERE {self.where()} ORDER BY {c}{r.choice(['', ' DESC'])}", True
        if x < 0.7:
            # group_concat follows the scan order, which native may take from a UNIQUE index.
            concat = (f"count(DISTINCT quote({k}))" if self.unique or self.indexed
                      else f"group_concat(quote({k}))")
            agg = r.choice([f"count(*)", f"count({k})", f"min({k})", f"max({k})", "sum(length(a))",
                            concat, "total(typeof(b) = 'real')", "count(DISTINCT c)"])
            return f"SELECT {agg} FROM t WHERE {self.where()}", True
        if x < 0.8:
            c = r.choice(self.data_cols)
            return f"SELECT {c}, count(*), min({k}) FROM t GROUP BY {c} ORDER BY 2, 3", True
        if x < 0.9:
            on = f"x.{k} = y.{k}" if r.random() < 0.5 else f"x.{k} = y.{r.choice(self.joinable)}"
            return (f"SELECT x.{k}, y.{k}, x.{self.data_cols[0]} FROM t x JOIN t y ON {on} "
                    f"WHERE x.{self.where()}", False)
        if x < 0.95:
            return f"SELECT {k} FROM t WHERE {k} IN (SELECT {k} FROM t WHERE {self.where()}){order}", bool(order)
        return f"SELECT EXISTS (SELECT 1 FROM t WHERE {self.where()})", True

    def update(self):
        r = self.r
        k = self.key
        sets = []
        for c in r.sample(self.data_cols, r.randint(1, len(self.data_cols))):
            sets.append(f"{c} = {r.choice([self.lit(), c, f'{c} || 1', 'NULL'])}")
        single = f"{k} = {self.key_lit()}"
        if r.random() < 0.3:
            # Key changes. Multi-row key rewrites under OR REPLACE differ between
            # native and virtual tables in SQLite itself (the virtual table's new
            # rows are computed before any is written), so REPLACE only gets one row.
            sets.append(f"{k} = {self.key_lit()}")
            conflict = r.choice(["", " OR IGNORE", " OR FAIL", " OR ABORT", " OR ROLLBACK", " OR REPLACE"])
            where = single if self.one_row(conflict, sets) or r.random() < 0.6 else self.where()
            return f"UPDATE{conflict} t SET {', '.join(sets)} WHERE {where}"
        if r.random() < 0.1 and self.kind == "int" and not self.unique and not self.indexed:
            return f"UPDATE{r.choice(['', ' OR IGNORE'])} t SET {k} = {k} + {r.choice([1, 100, -1])} WHERE {self.where()}"
        conflict = self.conflict()
        return f"UPDATE{conflict} t SET {', '.join(sets)} WHERE {single if self.one_row(conflict, sets) else self.where()}"

    def one_row(self, conflict, sets):
        """Whether an UPDATE with this conflict clause and SET list must change one row only.

        A multi-row UPDATE OR REPLACE differs in SQLite itself (the virtual table's
        new rows are all computed before any is written). A multi-row UPDATE of a
        UNIQUE column or the key of a table with UNIQUE constraints does too, in any
        conflict mode: whether rows that trade values clash depends on the order they
        are visited, and native SQLite may visit them through a UNIQUE index."""
        touched = {s.split()[0] for s in sets}
        # Indexes too: native may visit the rows through one, in another order.
        return "REPLACE" in conflict or ((self.unique or self.indexed) and
                                         bool(touched & (self.unique_cols | {self.key})))

    def delete(self):
        where = self.where()
        while where == "1" and self.r.random() < 0.9:  # keep tables from emptying too often
            where = self.where()
        return f"DELETE FROM t WHERE {where}"

    def insert_select(self):
        k = self.key
        if self.kind == "int":
            expr = f"{k} + {self.r.choice([50, 1, 100])}"
        elif self.kind == "text":
            expr = f"{k} || 'x'"
        else:
            expr = f"{k} || ''" if self.r.random() < 0.5 else k
        cols = ", ".join(([] if self.has_key_col else []) + self.cols)
        sel = ", ".join(expr if c == k else c for c in self.cols)
        if not self.has_key_col:
            return f"INSERT{self.conflict()} INTO t(rowid, {cols}) SELECT rowid + 100, {sel} FROM t WHERE {self.where()}{self.order}"
        return f"INSERT{self.conflict()} INTO t({cols}) SELECT {sel} FROM t WHERE {self.where()}{self.order}"


def index_ddl(unique, name, columns):
    """(native statement, lightning statement) that add an index."""
    u = "UNIQUE " if unique else ""
    return (f"CREATE {u}INDEX {name} ON t({columns})",
            f"SELECT lightning_create_index('t', '{name}', '{columns.replace(',', ', ')}', {int(unique)})")


def run_ddl(pair, statements):
    """Runs (native, lightning) statement pairs outside a transaction (the functions
    refuse to run inside one that has not written); both must succeed or fail alike."""
    if pair.native.in_transaction or pair.light.in_transaction:
        a, b = run(pair.native, "COMMIT"), run(pair.light, "COMMIT")
        assert a[0] == b[0], f"COMMIT before an index change: native {a}, lightning {b}"
    out = []
    for native_sql, light_sql in statements:
        a, b = run(pair.native, native_sql), run(pair.light, light_sql)
        if a[0] == "error":  # a UNIQUE index over duplicates; DROP of an index that failed so
            assert b[0] == "error" and (a[1], a[3]) == (b[1], b[3]), f"{native_sql}: native {a}, lightning {b}"
            assert a[2] == b[2] or native_sql.startswith("DROP"), f"{native_sql}: native {a}, lightning {b}"
        else:
            assert b == ("ok", [typed(("ok",))], b[2]), f"{native_sql}: native {a}, lightning {b}"
        out.append(native_sql)
    return out


def run(conn, sql):
    try:
        rows = [typed(r) for r in conn.execute(sql).fetchall()]
        return ("ok", rows, conn.total_changes)
    except sqlite3.Error as e:
        return ("error", type(e).__name__, str(e), getattr(e, "sqlite_errorcode", None))


def content(conn, gen):
    k = gen.key
    cols = ", ".join(f"{c}" for c in ([k] if not gen.has_key_col else []) + gen.cols)
    return [typed(r) for r in conn.execute(f"SELECT {cols} FROM t ORDER BY {k}").fetchall()]


class Pair:
    def __init__(self, tmp_path, schema):
        self.paths = (str(tmp_path / "native.db"), str(tmp_path / "light.db"))
        cols, declared, _ = split_indexes(SCHEMAS[schema][0])
        without_rowid = " WITHOUT ROWID" if SCHEMAS[schema][1] and "INTEGER PRIMARY KEY" not in cols else ""
        self.open()
        self.native.execute(f"CREATE TABLE t({cols}){without_rowid}")
        for unique, name, columns in declared:
            self.native.execute(index_ddl(unique, name, columns)[0])
        indexes = "".join(f", {'UNIQUE ' if u else ''}INDEX {n}({c})" for u, n, c in declared)
        self.light.execute(f"CREATE VIRTUAL TABLE t USING lightning({cols}{indexes}, sync=off)")

    def open(self):
        self.native = connect(self.paths[0])
        self.light = connect(self.paths[1])

    def close(self):
        self.native.close()
        self.light.close()


def compare_with_native(gen, pair, content, seed, statements):
    """Runs `statements` of gen's random statements on both sides of `pair`
    (results, errors and contents agree; reopens and content checks as gen
    asks; a final reopen) and returns {"ok": n, "error": m}. Shared with
    test_composite_key.py."""
    history = []
    counts = {"ok": 0, "error": 0}
    for i in range(statements):
        kind, sql = gen.statement()
        if kind == "reopen":
            history.append("-- reopen")
            pair.close()
            pair.open()
            kind = "check"
        if kind == "check":
            a, b = content(pair.native, gen), content(pair.light, gen)
            assert a == b, f"content differs after statement {i}\n" + "\n".join(history[-30:])
            continue
        if kind == "ddl":
            history.extend(run_ddl(pair, sql if isinstance(sql[0], tuple) else [sql]))
            a, b = content(pair.native, gen), content(pair.light, gen)
            assert a == b, f"content differs after statement {i}\n" + "\n".join(history[-30:])
            continue
        history.append(sql)
        a, b = run(pair.native, sql), run(pair.light, sql)
        if kind == "query-unordered" and a[0] == "ok" and b[0] == "ok":
            a = ("ok", sorted(a[1]), a[2])
            b = ("ok", sorted(b[1]), b[2])
        counts[a[0]] += 1
        if a != b:
            ctx = "\n".join(history[-25:])
            pytest.fail(f"statement {i} differs (seed {seed}):\n  {sql}\n  native:    {a}\n  lightning: {b}\n"
                        f"recent statements:\n{ctx}")
        if kind == "control" or "ROLLBACK" in sql or a[0] == "error":
            an, bn = content(pair.native, gen), content(pair.light, gen)
            assert an == bn, f"content differs after statement {i}: {sql}\n" + "\n".join(history[-30:])
    pair.close()
    pair.open()
    a, b = content(pair.native, gen), content(pair.light, gen)
    assert a == b, "final content differs after reopen"
    print(f"  {counts['ok']} statements succeeded, {counts['error']} failed identically; final rows: {len(a)}")
    return counts


@pytest.mark.parametrize("schema", list(SCHEMAS))
def test_lightning_table_matches_native_table(tmp_path, schema, ext_path):
    seed = BASE_SEED + list(SCHEMAS).index(schema)
    print(f"schema={schema} seed={seed} statements={STATEMENTS} "
          f"(replay: LIGHTNING_DIFF_SEED={BASE_SEED} LIGHTNING_DIFF_STATEMENTS={STATEMENTS})")
    gen = Gen(random.Random(seed), schema)
    pair = Pair(tmp_path, schema)
    try:
        compare_with_native(gen, pair, content, seed, STATEMENTS)
    finally:
        pair.close()
