Item 8: UPDATE lightning_config SET description = 'x' reported one change and
no error. Every column but value is read-only, as docs/ERRORS.md says.

  $ sqlite3 app.db 2>&1 <<EOF
  > .load $LIGHTNING
  > CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v);
  > UPDATE lightning_config SET description = 'x' WHERE table_name = 't' AND name = 'cache_size';
  > SELECT changes();
  > UPDATE lightning_config SET default_value = '1MiB' WHERE table_name = 't' AND name = 'cache_size';
  > UPDATE lightning_config SET live = 0 WHERE table_name = 't' AND name = 'cache_size';
  > SELECT description, default_value, live FROM lightning_config('t') WHERE name = 'cache_size';
  > EOF
  Runtime error near line 3: lightning_config: only the value column can be changed
  0
  Runtime error near line 5: lightning_config: only the value column can be changed
  Runtime error near line 6: lightning_config: only the value column can be changed
  upper bound on memory held by cached pages|64MiB|1
  [1]

The value column is what changes.

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > UPDATE lightning_config SET value = '8MB' WHERE table_name = 't' AND name = 'cache_size';
  > SELECT changes();
  > SELECT value, saved FROM lightning_config('t') WHERE name = 'cache_size';
  > EOF
  1
  8MiB|8MiB
