p95/p99/p99.9 understated the tail with few samples: two commits of 59 us and 6102 us reported
p99 = 59 us (issue 17, item 4). A percentile is now the nearest-rank sample (rank ceil(q * n)),
reported as the top of its histogram bucket and never above the maximum: with two samples, every
percentile from p51 up is the larger one.

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v);
  > SELECT lightning_stats_reset('t');
  > WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
  >   INSERT INTO t SELECT i, randomblob(1000) FROM n;
  > INSERT INTO t VALUES (0, 'one small commit');
  > SELECT count, samples, p50_us < max_us, p95_us = max_us, p99_us = max_us, p999_us = max_us
  >   FROM lightning_latency('t') WHERE operation = 'commit';
  > EOF
  1
  2|2|1|1|1|1
