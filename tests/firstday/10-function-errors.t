Table-valued functions said `no such table: nope` without the function name that the scalar
functions give (issue 17, item 10). Every lightning function's error now starts with its name.

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v);
  > SELECT lightning_checkpoint('nope');
  > SELECT * FROM lightning_stats('nope');
  > SELECT * FROM lightning_check('nope');
  > SELECT * FROM lightning_config('nope');
  > EOF
  Runtime error near line 3: lightning_checkpoint: no such table: nope
  Runtime error near line 4: lightning_stats: no such table: nope
  Runtime error near line 5: lightning_check: no such table: nope
  Runtime error near line 6: lightning_config: no such table: nope
  [1]

Workload names were case-sensitive where preset names are not; both are case-insensitive now.

  $ sqlite3 :memory: <<EOF
  > .load $LIGHTNING
  > SELECT phase, ops FROM lightning_bench('ReadSeq', 1000);
  > SELECT count(*) FROM lightning_presets WHERE preset = 'oltp';
  > SELECT phase FROM lightning_bench('FillRandomly', 10);
  > EOF
  load|1000
  readseq|1000
  5
  Runtime error near line 4: lightning_bench: unknown workload 'FillRandomly'; expected fillseq, fillrandom, readrandom, readseq or mixed
  [1]

lightning_check repeated a problem row when a page of a reopened store could not be read: the
tree walk and the on-disk pass both reported it. Damage one leaf's bytes and check.

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
  >   INSERT INTO t SELECT i, printf('value %08d', i) FROM n;
  > SELECT lightning_checkpoint('t') LIKE 'ok: % pages written in % s';
  > EOF
  1
  $ /usr/bin/python3 - <<EOF
  > import struct  # engine/FORMAT.md: superblocks, then extents
  > data = bytearray(open("app.db-lightning", "rb").read())
  > sbs = [struct.unpack_from("<QQQQQQ", data, slot) for slot in (0, 4096)]
  > catalog = max((sb for sb in sbs if sb[0] == 0x524F5453474E544C), key=lambda sb: sb[2])[5]
  > magic, leaves = struct.pack("<I", 0x4C504731), []
  > pos = data.find(magic, 8192)
  > while pos >= 0:
  >     stored, raw, page = struct.unpack_from("<IIQ", data, pos + 8)
  >     if data[pos + 5] == 1 and stored == raw == 8192 and page != catalog:
  >         leaves.append(pos)
  >     pos = data.find(magic, pos + 4)
  > data[leaves[-1] + 32 + 100] ^= 0x5A
  > open("app.db-lightning", "wb").write(data)
  > EOF
  $ sqlite3 app.db ".load $LIGHTNING" "SELECT count(*), count(DISTINCT problem) FROM lightning_check('t');"
  2|2
