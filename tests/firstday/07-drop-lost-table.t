A table whose store was deleted behind its back says so on use, and DROP TABLE
removes it (no writable_schema needed).

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v);
  > INSERT INTO t VALUES (1, 'one');
  > EOF
  $ rm app.db-lightning app.db-lightning-wal
  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > SELECT * FROM t;
  > DROP TABLE t;
  > SELECT count(*) FROM sqlite_schema;
  > EOF
  Parse error near line 2: lightning: table t has no tree in store */app.db-lightning (was the store file replaced or deleted?); DROP TABLE t removes the table (glob)
  0
  [1]
