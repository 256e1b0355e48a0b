The extension loads into Debian's sqlite3 shell and says what it is.

  $ sqlite3 :memory: ".load $LIGHTNING" "SELECT lightning_version() LIKE 'lightning 0.1.0 (sqlite 3.40.1, simd %)';"
  1

A lightning table takes rows and gives them back.

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > CREATE VIRTUAL TABLE kv USING lightning(k TEXT PRIMARY KEY, v);
  > INSERT INTO kv VALUES ('a', 1), ('b', 2);
  > SELECT k, v FROM kv ORDER BY k;
  > EOF
  a|1
  b|2
  $ ls
  app.db
  app.db-lightning
  app.db-lightning-lock
  app.db-lightning-wal
