"""Composite keys: a lightning table with PRIMARY KEY(a, b [DESC], ...) must behave
like the native WITHOUT ROWID table with the same key.

As in test_differential.py, two databases receive the same random stream of
statements (inserts with every conflict clause, key-changing updates, prefix,
range and IN queries, ORDER BY in every direction, aggregates, joins,
transactions, savepoints, reopen); results (with types), errors (class,
message, extended code) and whole contents must agree. Then EXPLAIN QUERY PLAN
checks that the key serves equality, prefix ranges, IN and ORDER BY.

Knobs: LIGHTNING_DIFF_SEED (replay), LIGHTNING_DIFF_STATEMENTS (per schema).
"""
import os
import random
import sqlite3

import pytest

from conftest import connect
from test_differential import StatementMix, compare_with_native, index_ddl, split_indexes, typed, unique_columns

STATEMENTS = int(os.environ.get("LIGHTNING_DIFF_STATEMENTS", "3000"))
BASE_SEED = int(os.environ.get("LIGHTNING_DIFF_SEED", str(random.randrange(1 << 30))))

# name: (columns, key columns with direction, kind of each key column)
SCHEMAS = {
    "int_text": ("a INTEGER, b TEXT, c, d REAL", [("a", ""), ("b", "")], {"a": "int", "b": "text"}),
    "text_desc_int": ("a TEXT, b INTEGER, c", [("a", " DESC"), ("b", "")], {"a": "text", "b": "int"}),
    "three_mixed": ("a INTEGER, b, c TEXT, d", [("a", ""), ("b", " DESC"), ("c", "")],
                    {"a": "int", "b": "any", "c": "text"}),
    "all_desc_real": ("a REAL, b INTEGER, v TEXT", [("b", " DESC"), ("a", " DESC")],
                      {"a": "real", "b": "int"}),
    "unique_columns": ("a INTEGER, b TEXT, c INTEGER UNIQUE, d TEXT UNIQUE", [("a", ""), ("b", "")],
                       {"a": "int", "b": "text"}),
    "unique_pair": ("a TEXT, b INTEGER, c, d, UNIQUE(c,d)", [("a", " DESC"), ("b", "")],
                    {"a": "text", "b": "int"}),
    # CHECK on key and data columns, and a table CHECK across them (no ", " inside).
    "check_key": ("a INTEGER CHECK(a <> 7), b TEXT CHECK(b <> 'zz'), c CHECK(c IS NOT 5), d REAL UNIQUE, "
                  "CONSTRAINT ab CHECK(a < 25 OR b < '5')", [("a", ""), ("b", " DESC")], {"a": "int", "b": "text"}),
    # Secondary indexes (CREATE INDEX on the native side); column lists without spaces.
    "indexed": ("a INTEGER, b TEXT, c INTEGER, d TEXT, INDEX ix_c(c), UNIQUE INDEX ux_db(d DESC,b)",
                [("a", ""), ("b", " DESC")], {"a": "int", "b": "text"}),
}


class Gen(StatementMix):
    def __init__(self, rng, schema):
        self.r = rng
        cols, key, kinds = SCHEMAS[schema]
        table_cols, declared, _ = split_indexes(cols)
        self.cols = [c.split()[0] for c in table_cols.split(", ")
                     if not c.startswith(("UNIQUE(", "CHECK(", "CONSTRAINT"))]
        self.unique = "UNIQUE" in cols or bool(declared)  # see test_differential.py
        self.unique_cols = unique_columns(cols)
        self.key = [k for k, _ in key]
        self.key_dir = dict(key)
        self.kinds = kinds
        self.data_cols = [c for c in self.cols if c not in self.key]

    def lit(self):
        r = self.r
        x = r.random()
        if x < 0.1:
            return "NULL"
        if x < 0.4:
            return str(r.randint(-5, 30))
        if x < 0.5:
            return r.choice(["0.5", "2.0", "-1.25", "3.0", "-0.0"])
        if x < 0.85:
            return "'" + r.choice(["a", "b", "ab", "B", "zz", "12", " 7 ", "3.0", "", "a\0b"]).replace("\0", "' || char(0) || '") + "'"
        return "x'" + r.choice(["", "00", "61", "ff01"]) + "'"

    def key_lit(self, col, allow_null=True):
        r = self.r
        if allow_null and r.random() < 0.02:
            return "NULL"
        kind = self.kinds[col]
        if kind == "int":
            return str(r.randint(-2, 6)) if r.random() < 0.9 else r.choice(["'3'", "2.0", "2.5", "'x'", "9007199254740993"])
        if kind == "text":
            return r.choice(["'a'", "'b'", "'ab'", "''", "'B'", "'z'", "'10'", "5", "'a' || char(0)", "'é'"])
        if kind == "real":
            return r.choice(["1", "1.5", "2", "'3'", "-1", "0", "2.25", "'x'"])
        return r.choice(["1", "2", "2.0", "2.5", "'2'", "'a'", "x'01'", "x'00'", "-3", "1e20"])

    def conflict(self):
        return self.r.choice(["", "", "", " OR REPLACE", " OR IGNORE", " OR ABORT", " OR FAIL", " OR ROLLBACK"])

    def insert(self):
        r = self.r
        rows = []
        for _ in range(r.choice([1, 1, 1, 2, 3, 5])):
            vals = [self.key_lit(c) if c in self.key else self.lit() for c in self.cols]
            rows.append("(" + ", ".join(vals) + ")")
        verb = "REPLACE" if r.random() < 0.05 else "INSERT" + self.conflict()
        return f"{verb} INTO t({', '.join(self.cols)}) VALUES {', '.join(rows)}"

    def where(self):
        r = self.r
        k = self.key
        x = r.random()
        if x < 0.15:  # the whole key
            return " AND ".join(f"{c} = {self.key_lit(c)}" for c in k)
        if x < 0.3:  # a prefix, then a range on the next column
            n = r.randint(1, len(k) - 1)
            parts = [f"{c} = {self.key_lit(c)}" for c in k[:n - 1]]
            nxt = k[n - 1] if r.random() < 0.5 else k[n]
            if nxt == k[n]:
                parts.append(f"{k[n - 1]} = {self.key_lit(k[n - 1])}")
            ops = r.sample([">", ">=", "<", "<="], r.randint(1, 2))
            parts += [f"{nxt} {op} {self.key_lit(nxt, False)}" for op in ops]
            return " AND ".join(parts)
        if x < 0.45:  # IN on one or two key columns
            c1 = k[0]
            s = f"{c1} IN ({', '.join(self.key_lit(c1) for _ in range(r.randint(1, 4)))})"
            if r.random() < 0.5:
                c2 = k[1]
                if r.random() < 0.5:
                    s += f" AND {c2} IN ({', '.join(self.key_lit(c2) for _ in range(r.randint(1, 3)))})"
                else:
                    s += f" AND {c2} {r.choice(['>', '<=', '='])} {self.key_lit(c2, False)}"
            return s
        if x < 0.55:  # a later key column alone
            c = r.choice(k[1:])
            return f"{c} {r.choice(['=', '>', '<', '>='])} {self.key_lit(c, False)}"
        if x < 0.6:
            c = r.choice(k)
            return f"{c} BETWEEN {self.key_lit(c, False)} AND {self.key_lit(c, False)}"
        if x < 0.75:
            return f"{r.choice(self.data_cols)} {r.choice(['=', '<', '>', 'IS', 'IS NOT'])} {self.lit()}"
        if x < 0.8:
            return f"{k[0]} = {self.key_lit(k[0])} OR {k[-1]} = {self.key_lit(k[-1])}"
        return "1"

    def order_by(self, full=True):
        """An ORDER BY over the whole key (a total order): the key's directions,
        all reversed, or a mix SQLite has to sort."""
        r = self.r
        x = r.random()
        if x < 0.4:
            dirs = [self.key_dir[c] for c in self.key]
        elif x < 0.8:
            dirs = ["" if self.key_dir[c] else " DESC" for c in self.key]
        else:
            dirs = [r.choice(["", " DESC"]) for _ in self.key]
        return " ORDER BY " + ", ".join(c + d for c, d in zip(self.key, dirs))

    def select(self):
        r = self.r
        k = self.key
        cols = ", ".join(f"{c}, typeof({c})" for c in self.cols)
        x = r.random()
        if x < 0.5:
            order = self.order_by()
            lim = ""
            if r.random() < 0.4:
                lim = f" LIMIT {r.randint(0, 6)}" + (f" OFFSET {r.randint(0, 4)}" if r.random() < 0.5 else "")
            return f"SELECT {cols} FROM t WHERE {self.where()}{order}{lim}", True
        if x < 0.6:
            return f"SELECT {cols} FROM t WHERE {self.where()}", False
        if x < 0.75:
            agg = r.choice(["count(*)", f"min({k[0]})", f"max({k[-1]})", f"sum(length({k[1]}))",
                            f"count(DISTINCT {k[0]})", f"total(typeof({k[-1]}) = 'real')"])
            return f"SELECT {agg} FROM t WHERE {self.where()}", True
        if x < 0.85:
            return (f"SELECT {k[0]}, count(*), max({k[1]}) FROM t GROUP BY {k[0]} "
                    f"ORDER BY {k[0]}{r.choice(['', ' DESC'])}", True)
        if x < 0.95:
            on = " AND ".join(f"x.{c} = y.{c}" for c in (k if r.random() < 0.5 else k[:1]))
            return (f"SELECT x.{k[0]}, x.{k[1]}, y.{k[-1]}, y.{self.data_cols[0]} FROM t x JOIN t y ON {on} "
                    f"WHERE x.{self.where()}", False)
        return f"SELECT EXISTS (SELECT 1 FROM t WHERE {self.where()})", True

    def update(self):
        r = self.r
        sets = [f"{c} = {r.choice([self.lit(), c, 'NULL'])}"
                for c in r.sample(self.data_cols, r.randint(1, len(self.data_cols)))]
        whole_key = " AND ".join(f"{c} = {self.key_lit(c, False)}" for c in self.key)
        if r.random() < 0.35:
            # Key changes; OR REPLACE only on one row (see test_differential.py).
            c = r.choice(self.key)
            sets.append(f"{c} = {self.key_lit(c)}")
            conflict = r.choice(["", " OR IGNORE", " OR FAIL", " OR ABORT", " OR ROLLBACK", " OR REPLACE"])
            where = whole_key if self.one_row(conflict, sets) or r.random() < 0.5 else self.where()
            return f"UPDATE{conflict} t SET {', '.join(sets)} WHERE {where}"
        if r.random() < 0.1 and not self.unique:
            c = next(c for c in self.key if self.kinds[c] == "int")
            return f"UPDATE{r.choice(['', ' OR IGNORE'])} t SET {c} = {c} + {r.choice([1, -1, 3])} WHERE {self.where()}"
        conflict = self.conflict()
        return f"UPDATE{conflict} t SET {', '.join(sets)} WHERE {whole_key if self.one_row(conflict, sets) else self.where()}"

    def one_row(self, conflict, sets):  # see test_differential.py
        touched = {s.split()[0] for s in sets}
        return "REPLACE" in conflict or (self.unique and bool(touched & (self.unique_cols | set(self.key))))

    def delete(self):
        where = self.where()
        while where == "1" and self.r.random() < 0.9:
            where = self.where()
        return f"DELETE FROM t WHERE {where}"

    def insert_select(self):
        c = self.r.choice(self.key)
        expr = {"int": f"{c} + 1", "text": f"{c} || 'x'", "real": f"{c} + 0.5", "any": f"{c} || ''"}[self.kinds[c]]
        sel = ", ".join(expr if x == c else x for x in self.cols)
        order = f" ORDER BY {', '.join(self.key)}" if self.unique else ""
        return f"INSERT{self.conflict()} INTO t({', '.join(self.cols)}) SELECT {sel} FROM t WHERE {self.where()}{order}"


def content(conn, gen):
    order = ", ".join(gen.key)
    return [typed(r) for r in conn.execute(f"SELECT {', '.join(gen.cols)} FROM t ORDER BY {order}").fetchall()]


class Pair:
    def __init__(self, tmp_path, schema):
        self.paths = (str(tmp_path / "native.db"), str(tmp_path / "light.db"))
        cols, key, _ = SCHEMAS[schema]
        cols, declared, _ = split_indexes(cols)
        pk = ", ".join(c + d for c, d in key)
        self.open()
        self.native.execute(f"CREATE TABLE t({cols}, PRIMARY KEY({pk})) WITHOUT ROWID")
        for unique, name, columns in declared:
            self.native.execute(index_ddl(unique, name, columns)[0])
        indexes = "".join(f", {'UNIQUE ' if u else ''}INDEX {n}({c})" for u, n, c in declared)
        self.light.execute(f"CREATE VIRTUAL TABLE t USING lightning({cols}{indexes}, PRIMARY KEY({pk}), sync=off)")

    def open(self):
        self.native = connect(self.paths[0])
        self.light = connect(self.paths[1])

    def close(self):
        self.native.close()
        self.light.close()


@pytest.mark.parametrize("schema", list(SCHEMAS))
def test_composite_key_table_matches_native_table(tmp_path, schema, ext_path):
    seed = BASE_SEED + list(SCHEMAS).index(schema)
    print(f"schema={schema} seed={seed} statements={STATEMENTS} "
          f"(replay: LIGHTNING_DIFF_SEED={BASE_SEED} LIGHTNING_DIFF_STATEMENTS={STATEMENTS})")
    gen = Gen(random.Random(seed), schema)
    pair = Pair(tmp_path, schema)
    try:
        counts = compare_with_native(gen, pair, content, seed, STATEMENTS)
        assert counts["ok"] > STATEMENTS // 4 and counts["error"] > 0, counts
    finally:
        pair.close()


SQLITE_ERROR, SQLITE_TOOBIG = 1, 18
SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_NOTNULL = 1555, 1299


def error_of(conn, sql):
    with pytest.raises(sqlite3.Error) as info:
        conn.execute(sql)
    return str(info.value), info.value.sqlite_errorcode


def test_composite_key_errors_are_native(db):
    db.execute("CREATE VIRTUAL TABLE t USING lightning(a INTEGER, b TEXT, c, PRIMARY KEY(a, b DESC))")
    db.execute("CREATE TABLE n(a INTEGER, b TEXT, c, PRIMARY KEY(a, b DESC)) WITHOUT ROWID")
    for table in ("t", "n"):
        db.execute(f"INSERT INTO {table} VALUES (1, 'x', 1)")
    for sql in ["INSERT INTO {} VALUES (1, 'x', 2)", "INSERT INTO {} VALUES (NULL, 'x', 2)",
                "INSERT INTO {} VALUES (2, NULL, 2)", "UPDATE {} SET b = NULL"]:
        native_msg, native_code = error_of(db, sql.format("n"))
        assert error_of(db, sql.format("t")) == (native_msg.replace("n.", "t."), native_code), sql
    assert error_of(db, "INSERT INTO t VALUES (1, 'x', 2)") == (
        "UNIQUE constraint failed: t.a, t.b", SQLITE_CONSTRAINT_PRIMARYKEY)
    assert error_of(db, "INSERT INTO t VALUES (NULL, 'x', 2)") == (
        "NOT NULL constraint failed: t.a", SQLITE_CONSTRAINT_NOTNULL)
    # The hidden key column is read-only; the encoded key is limited as a whole.
    msg, code = error_of(db, "UPDATE t SET lightning_key = x'00'")
    assert "lightning_key" in msg and "cannot be written" in msg and code == SQLITE_ERROR
    msg, code = error_of(db, "INSERT INTO t VALUES (2, printf('%.3000c', 'z'), 0)")
    assert "encoded key of 3014 bytes exceeds the 2048-byte key limit of table t" in msg and code == SQLITE_TOOBIG
    assert db.execute("SELECT a, b, c FROM t").fetchall() == [(1, "x", 1)]
    assert [r[1] for r in db.execute("PRAGMA table_info(t)")] == ["a", "b", "c"]
