Discoverable (issue 17, item 15): lightning_help lists every function, option and preset with a
one-line description and an example, built from the registries the extension runs on.

  $ sqlite3 :memory: <<EOF
  > .load $LIGHTNING
  > SELECT kind, name FROM lightning_help WHERE kind IN ('module', 'function') ORDER BY name LIMIT 3;
  > CREATE TEMP VIEW registered AS SELECT name FROM pragma_function_list WHERE name LIKE 'lightning%'
  >   UNION SELECT name FROM pragma_module_list WHERE name LIKE 'lightning%';
  > SELECT 'no help line: ' || name FROM registered
  >   EXCEPT SELECT 'no help line: ' || name FROM lightning_help;
  > SELECT count(*) > 15, count(*) = (SELECT count(*) FROM registered)
  >   FROM lightning_help WHERE kind IN ('module', 'function');
  > SELECT lightning_help('lightning_stats');
  > SELECT lightning_help('oltp') LIKE 'preset lightning_preset(table, ''oltp''): %';
  > SELECT example FROM lightning_help('cache_size');
  > SELECT DISTINCT kind FROM lightning_help;
  > EOF
  module|lightning
  function|lightning_bench
  function|lightning_check
  1|1
  function lightning_stats([table]): counters and gauges of a store, one row per metric, with a human-readable column
      SELECT name, value, pretty FROM lightning_stats('kv');
  1
  UPDATE lightning_config SET value = '64MiB' WHERE table_name = 'kv' AND name = 'cache_size';
  module
  function
  option
  preset

An empty lightning_recommendations says there is nothing to recommend.

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > CREATE VIRTUAL TABLE kv USING lightning(k TEXT PRIMARY KEY, v);
  > INSERT INTO kv VALUES ('a', 1);
  > SELECT rule, severity, title, sql IS NULL FROM lightning_recommendations('kv');
  > EOF
  none|none|nothing to recommend: no rule applies to the statistics since the last reset|1

Sizes and times in lightning_stats also come in human units, in the column pretty.

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > UPDATE lightning_config SET value = '256MiB' WHERE table_name = 'kv' AND name = 'cache_size';
  > SELECT name, value, pretty FROM lightning_stats('kv') WHERE name IN ('cache_size', 'page_size');
  > EOF
  cache_size|268435456|256.0 MiB
  page_size|8192|8.0 KiB
