A TEXT or BLOB key holds at most page_size/4 - 1 bytes: 2047 with the default
8 KiB pages, as docs/vtab.md says. 2047 bytes go in; 2048 are refused with the
same figure.

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > CREATE VIRTUAL TABLE t USING lightning(k TEXT PRIMARY KEY, v);
  > INSERT INTO t VALUES (printf('%.*c', 2047, 'x'), 1);
  > INSERT INTO t VALUES (printf('%.*c', 2048, 'y'), 2);
  > SELECT length(k), v FROM t;
  > EOF
  Runtime error near line 4: lightning: key of 2048 bytes exceeds the 2047-byte key limit of table t (18)
  2047|1
  [1]
