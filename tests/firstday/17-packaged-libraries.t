Item 17: code a Debian library already does is no longer written by hand.

The advisor's evidence is JSON written by nlohmann/json: a table name with
double quotes stays valid JSON (the hand-written version left the text
unescaped), and the table is named in it.

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > CREATE VIRTUAL TABLE "odd ""name""" USING lightning(k INTEGER PRIMARY KEY, v);
  > INSERT INTO "odd ""name""" SELECT value, randomblob(300) FROM generate_series(1, 20000);
  > SELECT lightning_checkpoint('odd "name"') LIKE 'ok:%';
  > DELETE FROM "odd ""name""" WHERE k % 4 != 0;
  > SELECT lightning_checkpoint('odd "name"') LIKE 'ok:%';
  > SELECT lightning_checkpoint('odd "name"') LIKE 'ok:%';
  > SELECT rule, json_valid(evidence), json_extract(evidence, '$.table') FROM lightning_recommendations('odd "name"');
  > SELECT substr(evidence, 1, 29) FROM lightning_recommendations('odd "name"');
  > EOF
  1
  1
  1
  compaction_space|1|odd "name"
  {"table":"odd \"name\"","free

A CPU profile names its frames through elfutils' libdw: the extension's own
(hidden) functions, and libc's internal ones from Debian's libc6-dbg.

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > SELECT lightning_profile_start('cpu.folded', 999) LIKE 'profiling at 999 Hz%';
  > CREATE VIRTUAL TABLE big USING lightning(k INTEGER PRIMARY KEY, v);
  > INSERT INTO big SELECT value, randomblob(4000) FROM generate_series(1, 10000);
  > SELECT count(*), sum(length(v)) FROM big;
  > SELECT lightning_profile_stop() LIKE '% samples (0 dropped)%';
  > EOF
  1
  10000|40000000
  1
  $ grep -q 'lightning::' cpu.folded && echo "engine functions named"
  engine functions named
Under ASan (the sanitizer suite preloads its runtime) malloc and memcpy are
ASan's own, so libc's internals cannot show there; the check runs everywhere else.

  $ case "${LD_PRELOAD:-}" in
  >   *asan*) echo "libc internals named" ;;
  >   *) grep -qE ';(_int_malloc|_int_free|malloc_consolidate|__mem[a-z]+_[a-z_]+)( |;)' cpu.folded &&
  >      echo "libc internals named" ;;
  > esac
  libc internals named
  $ grep -c '@GLIBC' cpu.folded
  0
  [1]
