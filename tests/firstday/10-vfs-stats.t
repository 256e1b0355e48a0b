lightning_stats('main') on a database opened through the VFS logs nothing (it
used to log `no such table: temp.main`), and PRAGMA lightning_vfs_stats prints
counts as integers and other figures as SQLite prints a REAL (at most 15
significant digits, not 0.057685017999999998).

  $ sqlite3 <<EOF > stats.txt 2>&1
  > .load $LIGHTNING
  > .log stderr
  > .open file:app.db?vfs=lightning
  > CREATE TABLE t(x);
  > INSERT INTO t VALUES (1);
  > SELECT value FROM lightning_stats('main') WHERE name = 'vfs_commits';
  > PRAGMA lightning_vfs_stats;
  > EOF
  $ head -1 stats.txt
  2
  $ grep -E '^(vfs_commits|vfs_page_size)=' stats.txt
  vfs_commits=2
  vfs_page_size=4096
  $ grep -c -E '=[-0-9.e+]{18,}$' stats.txt
  0
  [1]
