Long operations can be interrupted and show progress (issue 17, item 14):
lightning_bench, lightning_compact, lightning_checkpoint and lightning_check
stop on Ctrl-C (the shell calls sqlite3_interrupt) or a `.progress` limit,
call the progress handler while they run, and lightning_stats shows the
operation running on a store (NULL when none runs).

  $ export TMPDIR=$PWD
  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > CREATE VIRTUAL TABLE kv USING lightning(k INTEGER PRIMARY KEY, v);
  > WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50000)
  > INSERT INTO kv SELECT i, randomblob(100) FROM c;
  > SELECT name, quote(value), unit FROM lightning_stats('kv') WHERE name LIKE 'operation%';
  > EOF
  operation|NULL|text
  operation_stage|NULL|text
  operation_done|NULL|count
  operation_total|NULL|count

Ctrl-C a second into a benchmark of ten million puts: it stops at once, and
its temporary store (made under $TMPDIR) is gone.

  $ sqlite3 app.db ".load $LIGHTNING" "SELECT count(*) FROM lightning_bench('fillseq', 10000000);" & pid=$!; sleep 1; kill -INT $pid; wait $pid
  Error: stepping, lightning_bench: interrupted during fillseq after \d+ of 10000000 operations; the temporary store was removed \(9\) (re)
  [9]
  $ ls
  app.db
  app.db-lightning
  app.db-lightning-lock
  app.db-lightning-wal

The shell's `.progress` is called while it runs, and its `--limit` stops it
(the shell prints the error first: its standard output is a pipe here, flushed
at exit).

  $ sqlite3 app.db ".load $LIGHTNING" ".progress 100 --limit 3" "SELECT count(*) FROM lightning_bench('fillseq', 10000000);"
  Error: stepping, lightning_bench: interrupted during fillseq after \d+ of 10000000 operations; the temporary store was removed \(9\) (re)
  Progress 1
  Progress 2
  Progress limit reached (3)
  [9]

A compaction reports progress too (its statement alone runs fewer than ten
VDBE instructions: the calls come from the compaction). Whatever stopped
before, every row is there and the check is clean.

  $ sqlite3 app.db ".load $LIGHTNING" ".progress 10" "SELECT lightning_compact('kv');" | grep -q '^Progress' && echo progress reported
  progress reported
  $ sqlite3 app.db ".load $LIGHTNING" "SELECT problem FROM lightning_check('kv');" "SELECT count(*), sum(k) FROM kv;"
  ok
  50000|1250025000
  $ ls
  app.db
  app.db-lightning
  app.db-lightning-lock
  app.db-lightning-wal
