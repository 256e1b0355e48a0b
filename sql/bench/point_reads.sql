-- point_reads.sql: point lookups by primary key, native SQLite table vs lightning virtual table.
--
-- Run from the repository root after building the extension (build/lightning.so):
--   sqlite3 < sql/bench/point_reads.sql             in memory (database and Lightning store)
--   sqlite3 /tmp/pr.db < sql/bench/point_reads.sql  on disk (/tmp/pr.db and its -lightning store)
-- Each timed statement prints "Run Time: real <s> user <s> sys <s>" after its result.
-- Data: 1,000,000 rows (k INTEGER PRIMARY KEY, v = 100 characters), built with a recursive CTE.
-- Lookups: 200,000 random keys, joined key by key (CROSS JOIN keeps the key list as the outer
-- loop, so each row of it is one point lookup); run twice, cold then warm.
-- Every count printed must equal 200000; lightning_stats() at the end shows the store's counters.
-- Scale: change 999999 (rows) and 200000 (lookups) below.
.bail on
.load ./build/lightning
.mode column
.headers on

DROP TABLE IF EXISTS bench_native;
DROP TABLE IF EXISTS bench_lightning;
DROP TABLE IF EXISTS bench_keys;
CREATE TABLE bench_native(k INTEGER PRIMARY KEY, v TEXT);
CREATE VIRTUAL TABLE bench_lightning USING lightning(k INTEGER PRIMARY KEY, v TEXT);

-- Build the data (not the point of this script, but timed too).
.timer on
INSERT INTO bench_native(k, v)
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
  SELECT i, printf('%016d', i) || substr(hex(randomblob(42)), 1, 84) FROM n;
INSERT INTO bench_lightning(k, v) SELECT k, v FROM bench_native;
.timer off

CREATE TEMP TABLE bench_keys(k INTEGER);
INSERT INTO bench_keys
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
  SELECT abs(random()) % 1000000 FROM n;

.timer on
SELECT 'native cold' AS run, count(*) AS lookups, sum(length(t.v)) AS bytes
  FROM bench_keys AS q CROSS JOIN bench_native AS t ON t.k = q.k;
SELECT 'lightning cold' AS run, count(*) AS lookups, sum(length(t.v)) AS bytes
  FROM bench_keys AS q CROSS JOIN bench_lightning AS t ON t.k = q.k;
SELECT 'native warm' AS run, count(*) AS lookups, sum(length(t.v)) AS bytes
  FROM bench_keys AS q CROSS JOIN bench_native AS t ON t.k = q.k;
SELECT 'lightning warm' AS run, count(*) AS lookups, sum(length(t.v)) AS bytes
  FROM bench_keys AS q CROSS JOIN bench_lightning AS t ON t.k = q.k;
.timer off

-- The plans: both must be a lookup by key per outer row (SEARCH ... USING INTEGER PRIMARY KEY
-- for native, VIRTUAL TABLE INDEX with an equality constraint for lightning).
EXPLAIN QUERY PLAN SELECT count(*) FROM bench_keys AS q CROSS JOIN bench_native AS t ON t.k = q.k;
EXPLAIN QUERY PLAN SELECT count(*) FROM bench_keys AS q CROSS JOIN bench_lightning AS t ON t.k = q.k;

SELECT * FROM lightning_stats();
