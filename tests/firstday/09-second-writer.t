Two connections writing to one database meet SQLite's own database lock first:
`database is locked` at once without a busy timeout, after it with one
(.timeout here, PRAGMA busy_timeout elsewhere). docs/vtab.md, Transactions.

  $ sqlite3 <<EOF
  > .load $LIGHTNING
  > .open app.db
  > CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v);
  > BEGIN;
  > INSERT INTO t VALUES (1, 'first');
  > .connection 1
  > .open app.db
  > INSERT INTO t VALUES (2, 'second');
  > .timeout 200
  > INSERT INTO t VALUES (2, 'second');
  > .connection 0
  > COMMIT;
  > .connection 1
  > INSERT INTO t VALUES (2, 'second');
  > SELECT count(*) FROM t;
  > EOF
  Runtime error near line 8: database is locked (5)
  Runtime error near line 10: database is locked (5)
  2
  [1]

Writers of two databases whose tables share a store meet at the store's writer
lock. It waits the longer of the store's busy_timeout and the connection's busy
timeout, then says so.

  $ sqlite3 <<EOF
  > .load $LIGHTNING
  > .open a.db
  > CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v, file='shared.store', busy_timeout=100);
  > .connection 1
  > .open b.db
  > CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v, file='shared.store');
  > .connection 0
  > BEGIN;
  > INSERT INTO t VALUES (1, 'a');
  > .connection 1
  > .timeout 300
  > INSERT INTO t VALUES (2, 'b');
  > .timeout 0
  > INSERT INTO t VALUES (2, 'b');
  > EOF
  Runtime error near line 12: lightning: cannot start a write transaction on table t: the store is busy: another write transaction held the writer lock for 300 ms (5)
  Runtime error near line 14: lightning: cannot start a write transaction on table t: the store is busy: another write transaction held the writer lock for 100 ms (5)
  [1]
