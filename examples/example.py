#!/usr/bin/python3
"""example.py: lightning tables from Python's sqlite3 module.

    /usr/bin/python3 examples/example.py [path/to/lightning] [database]

Debian's /usr/bin/python3 can load extensions; some other builds (pyenv's)
lack enable_load_extension. The extension is loaded once; every connection
the process opens afterwards has the `lightning` module too.
"""
import os
import sqlite3
import sys

ext = sys.argv[1] if len(sys.argv) > 1 else "./build/lightning"
path = sys.argv[2] if len(sys.argv) > 2 else "lightning-example-py.db"

conn = sqlite3.connect(path, isolation_level=None)  # autocommit; BEGIN/COMMIT by hand
conn.enable_load_extension(True)
conn.load_extension(os.path.splitext(ext)[0])
print(conn.execute("SELECT lightning_version()").fetchone()[0])

conn.execute("DROP TABLE IF EXISTS docs")
conn.execute("CREATE VIRTUAL TABLE docs USING lightning(slug TEXT PRIMARY KEY, title TEXT, body TEXT)")
conn.execute("BEGIN")
conn.executemany("INSERT INTO docs VALUES (?, ?, ?)",
                 [(f"guide/{n:03}", f"Chapter {n}", "lorem " * n) for n in range(1, 101)])
conn.execute("COMMIT")

# Prefix query: a range on the text key, in key order.
for slug, title in conn.execute("SELECT slug, title FROM docs WHERE slug >= ? AND slug < ? ORDER BY slug",
                                ("guide/01", "guide/02")):
    print(slug, title)

# Upsert the SQLite way for virtual tables: INSERT OR REPLACE.
conn.execute("INSERT OR REPLACE INTO docs VALUES ('guide/001', 'Chapter one, revised', '')")
print(conn.execute("SELECT title FROM docs WHERE slug = 'guide/001'").fetchone()[0])

try:
    conn.execute("INSERT INTO docs VALUES ('guide/002', 'dup', '')")
except sqlite3.IntegrityError as e:
    print("duplicate key:", e)

# A second connection of the process sees committed rows (and has the module
# without loading the extension again).
other = sqlite3.connect(path)
print(other.execute("SELECT count(*) FROM docs").fetchone()[0], "rows")
