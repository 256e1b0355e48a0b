#!/usr/bin/env bash
# Regenerates tests/fuzz/corpus/: the binary seeds with make_corpus (built by
# scripts/fuzz.sh in build-fuzz/), the text seeds of fuzz_module_args here,
# and fixed pseudo-random byte strings for fuzz_sql (whose input is read by
# FuzzedDataProvider, so any bytes are a valid session).
#   tests/fuzz/make_corpus.sh [build-dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build-fuzz}
corpus=$here/corpus

"$build/tests/fuzz/make_corpus" "$corpus"

d=$corpus/fuzz_module_args
mkdir -p "$d"
printf 'id INTEGER PRIMARY KEY\nname TEXT\nemail TEXT\ncompression=lz4\ncache_size='"'"'256MB'"'" >"$d/users"
printf 'k TEXT PRIMARY KEY\nv' >"$d/kv"
printf 'a\nb NOT NULL\nc BLOB\nsync=normal\npage_size=4096\nchecksum=off' >"$d/rowid"
printf 'x VARCHAR(20) COLLATE binary\ny DOUBLE PRECISION NULL\nPRIMARY KEY(x DESC)' >"$d/table_pk"
printf '"odd ""name"" "\n[br]\n`bq` INT CONSTRAINT c NOT NULL DEFAULT NULL\nfile='"'"'x.store'"'" >"$d/quoted"
printf 'k BLOB PRIMARY KEY ASC\nv -- comment\nw /* c */ REAL\ncheckpoint_wal_size=64KB\nbusy_timeout=100\nmax_readers=8' >"$d/comments"
printf 'a UNIQUE\nb CHECK(b>0)\nc DEFAULT 5\nd REFERENCES t(x)\ne AS (1)\ncache_siz=1MB' >"$d/refused"
printf 'compression_level=22\nio=io_uring\ncheckpoint_dirty_size=1TiB\na' >"$d/options"

d=$corpus/fuzz_sql
mkdir -p "$d"
for i in $(seq 1 12); do
  head -c $((64 * i)) < <(openssl enc -aes-128-ctr -nosalt -pass pass:lightning$i </dev/zero 2>/dev/null) >"$d/seed$i"
done
echo "corpora written under $corpus"

# fuzz_vfs: SQLite database images (mode 1) and page-store contents (mode 0).
d=$corpus/fuzz_vfs
mkdir -p "$d"
/usr/bin/python3 - "$d" <<'PY'
import os, sqlite3, struct, sys, tempfile
d = sys.argv[1]
def image(sql, page_size):
    with tempfile.TemporaryDirectory() as t:
        p = os.path.join(t, "x.db")
        c = sqlite3.connect(p)
        c.execute(f"PRAGMA page_size={page_size}")
        c.executescript(sql)
        c.commit()
        c.close()
        return open(p, "rb").read()
dbs = {
    "sqlite-kv": ("CREATE TABLE kv(k TEXT PRIMARY KEY, v BLOB);"
                  "INSERT INTO kv VALUES ('a', x'00ff'), ('b', 'text'), ('c', 3.5);", 1024),
    "sqlite-index": ("CREATE TABLE t(a INTEGER PRIMARY KEY, b, c); CREATE INDEX tb ON t(b);"
                     "INSERT INTO t(b, c) SELECT value % 7, hex(value) FROM generate_series(1, 40);", 512),
    "sqlite-view": ("CREATE TABLE u(x); CREATE VIEW v AS SELECT x FROM u; INSERT INTO u VALUES (1);", 512),
}
for name, (sql, ps) in dbs.items():
    try:
        open(os.path.join(d, name), "wb").write(b"\x01" + image(sql, ps))
    except sqlite3.OperationalError:  # no generate_series in this build
        open(os.path.join(d, name), "wb").write(b"\x01" + image(sql.split(";")[0] + ";", ps))
def store(variant, bs, fs, blocks):
    b = bytes([0, variant]) + struct.pack("<IQ", bs, fs)
    for n, data in blocks:
        b += struct.pack(">I", n) + struct.pack("<H", len(data)) + data
    return b
open(os.path.join(d, "store-two-blocks"), "wb").write(store(0, 4096, 8192, [(0, b"A" * 4096), (1, b"B" * 4096)]))
open(os.path.join(d, "store-short-block"), "wb").write(store(0, 1024, 3000, [(0, b"x" * 1024), (2, b"y" * 10)]))
open(os.path.join(d, "store-empty"), "wb").write(store(0, 0, 0, []))
open(os.path.join(d, "store-no-format"), "wb").write(store(1, 512, 512, [(0, b"z" * 512)]))
PY
echo "fuzz_vfs corpus written"
