Figures that were not measurements: cache_hit_rate 1.0 with no page access, compression_ratio 1.0
on a freshly opened zstd store, rates 0.0 on the first read (issue 17, item 11). What nothing has
measured is NULL; a reopened store's compression_ratio is the ratio of the pages in its file.

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v, compression=zstd);
  > SELECT name, value FROM lightning_stats('t')
  >  WHERE name IN ('compression_ratio', 'interval_seconds', 'reads_per_second', 'writes_per_second');
  > SELECT lightning_stats_reset('t');
  > SELECT name, value FROM lightning_stats('t')
  >  WHERE name IN ('cache_hits', 'cache_misses', 'cache_hit_rate', 'group_commit_avg_batch');
  > EOF
  compression_ratio|
  interval_seconds|
  reads_per_second|
  writes_per_second|
  1
  cache_hits|0
  cache_misses|0
  cache_hit_rate|
  group_commit_avg_batch|

Fill it with compressible rows, checkpoint, and open it again: nothing has been compressed since
the open, and the ratio is the file's.

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
  >   INSERT INTO t SELECT i, printf('%300d', i) FROM n;
  > SELECT lightning_checkpoint('t') LIKE 'ok: %';
  > EOF
  1
  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > SELECT name, value FROM lightning_stats('t') WHERE name = 'compression_raw_bytes';
  > SELECT value > 3 FROM lightning_stats('t') WHERE name = 'compression_ratio';
  > SELECT (SELECT value FROM lightning_stats('t') WHERE name = 'file_size') * 3
  >      < (SELECT sum(value) FROM lightning_stats('t') WHERE name IN ('leaf_pages', 'branch_pages'))
  >        * (SELECT value FROM lightning_stats('t') WHERE name = 'page_size');
  > EOF
  compression_raw_bytes|0
  1
  1
