Item 5: a page_size given for a new table in an existing store with another
page size was silently ignored while the schema kept the given value. It is
refused, naming the store's page size.

  $ sqlite3 app.db 2>&1 <<EOF
  > .load $LIGHTNING
  > CREATE VIRTUAL TABLE a USING lightning(k INTEGER PRIMARY KEY, v);
  > CREATE VIRTUAL TABLE b USING lightning(k INTEGER PRIMARY KEY, v, page_size=16384);
  > SELECT name FROM sqlite_schema;
  > EOF
  Runtime error near line 3: lightning: page_size=16384 does not match store */app.db-lightning, whose page size is 8192 (fixed when the store was created); omit page_size, or give this table a store of its own with file= (glob)
  a
  [1]

A table of its own store can have its own page size.

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > CREATE VIRTUAL TABLE b USING lightning(k INTEGER PRIMARY KEY, v, page_size=16384, file='big.lightning');
  > SELECT value FROM lightning_config('b') WHERE name = 'page_size';
  > SELECT value FROM lightning_config('a') WHERE name = 'page_size';
  > EOF
  16384
  8192
