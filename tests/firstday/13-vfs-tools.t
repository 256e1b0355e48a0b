A database opened through the VFS has the tools of lightning tables, named by
its schema ('main'), and VACUUM gives the space back.

  $ sqlite3 <<EOF
  > .load $LIGHTNING
  > .open file:app.db?vfs=lightning
  > CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT);
  > WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 20000)
  >   INSERT INTO t SELECT v, hex(randomblob(150)) FROM s;
  > SELECT lightning_checkpoint('main') LIKE 'ok: % pages written in % s';
  > SELECT problem FROM lightning_check('main');
  > SELECT value FROM lightning_config('main') WHERE name = 'cache_size';
  > SELECT count > 0 FROM lightning_latency('main') WHERE operation = 'commit';
  > SELECT lightning_compact('main') LIKE 'ok: file % -> % bytes';
  > DELETE FROM t WHERE id % 2 = 0;
  > SELECT lightning_checkpoint('main') LIKE 'ok:%';
  > EOF
  1
  ok
  256MiB
  1
  1
  1
  $ before=$(stat -c %s app.db)
  $ sqlite3 <<EOF
  > .load $LIGHTNING
  > .open file:app.db?vfs=lightning
  > VACUUM;
  > SELECT value FROM lightning_stats('main') WHERE name = 'vfs_compactions';
  > SELECT count(*) FROM t;
  > PRAGMA integrity_check;
  > EOF
  1
  10000
  ok
  $ after=$(stat -c %s app.db)
  $ echo $(( after * 100 / before < 75 ))
  1
