-- range_scans.sql: range scans and full scans, native SQLite table vs lightning virtual table.
--
-- Run from the repository root after building the extension (build/lightning.so):
--   sqlite3 < sql/bench/range_scans.sql             in memory (database and Lightning store)
--   sqlite3 /tmp/rs.db < sql/bench/range_scans.sql  on disk (/tmp/rs.db and its -lightning store)
-- Each timed statement prints "Run Time: real <s> user <s> sys <s>" after its result.
-- Data: 1,000,000 rows (k INTEGER PRIMARY KEY, v = 100 characters), built with a recursive CTE.
-- Range scans: 20,000 ranges of 100 keys (k BETWEEN s AND s + 99) from random starts; the row
-- counts printed must match between the two tables. Full scans: count(*) and sum(length(v))
-- over every row (1000000 and 100000000), forwards, then ORDER BY k DESC.
-- lightning_stats() at the end shows the store's counters.
.bail on
.load ./build/lightning
.mode column
.headers on

DROP TABLE IF EXISTS bench_native;
DROP TABLE IF EXISTS bench_lightning;
DROP TABLE IF EXISTS bench_starts;
CREATE TABLE bench_native(k INTEGER PRIMARY KEY, v TEXT);
CREATE VIRTUAL TABLE bench_lightning USING lightning(k INTEGER PRIMARY KEY, v TEXT);

.timer on
INSERT INTO bench_native(k, v)
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
  SELECT i, printf('%016d', i) || substr(hex(randomblob(42)), 1, 84) FROM n;
INSERT INTO bench_lightning(k, v) SELECT k, v FROM bench_native;
.timer off

CREATE TEMP TABLE bench_starts(s INTEGER);
INSERT INTO bench_starts
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
  SELECT abs(random()) % 1000000 FROM n;

.timer on
-- 20,000 range scans of 100 keys.
SELECT 'native ranges' AS run, count(*) AS rows_read, sum(length(t.v)) AS bytes
  FROM bench_starts AS q CROSS JOIN bench_native AS t ON t.k BETWEEN q.s AND q.s + 99;
SELECT 'lightning ranges' AS run, count(*) AS rows_read, sum(length(t.v)) AS bytes
  FROM bench_starts AS q CROSS JOIN bench_lightning AS t ON t.k BETWEEN q.s AND q.s + 99;

-- Full scans.
SELECT 'native full' AS run, count(*) AS rows_read, sum(length(v)) AS bytes FROM bench_native;
SELECT 'lightning full' AS run, count(*) AS rows_read, sum(length(v)) AS bytes FROM bench_lightning;

-- Full scans in descending key order (the ORDER BY must be consumed by both, not sorted).
SELECT 'native desc' AS run, count(*) AS rows_read, sum(length(v)) AS bytes
  FROM (SELECT v FROM bench_native ORDER BY k DESC);
SELECT 'lightning desc' AS run, count(*) AS rows_read, sum(length(v)) AS bytes
  FROM (SELECT v FROM bench_lightning ORDER BY k DESC);
.timer off

EXPLAIN QUERY PLAN SELECT count(*) FROM bench_starts AS q CROSS JOIN bench_lightning AS t
  ON t.k BETWEEN q.s AND q.s + 99;
EXPLAIN QUERY PLAN SELECT v FROM bench_lightning ORDER BY k DESC;

SELECT * FROM lightning_stats();
