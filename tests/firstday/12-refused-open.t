Opening a plain SQLite database with vfs=lightning is refused and leaves no
file behind. SQLite passes on only the code's generic text; the reason is in
lightning_vfs_error() (same thread) and in the SQLite log.

  $ sqlite3 plain.db "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
  $ sqlite3 <<EOF
  > .load $LIGHTNING
  > .open file:plain.db?vfs=lightning
  > .open
  > SELECT lightning_vfs_error();
  > .open file:new.db?vfs=lightning&compresion=zstd
  > .open
  > SELECT lightning_vfs_error();
  > EOF
  Error: unable to open database "file:plain.db?vfs=lightning": file is not a database
  lightning VFS: cannot open */plain.db: to convert a plain SQLite database, open it normally and run VACUUM INTO 'file:new.db?vfs=lightning'; InvalidArgument: */plain.db is not a Lightning store (no superblock magic) (glob)
  Error: unable to open database "file:new.db?vfs=lightning&compresion=zstd": unable to open database file
  lightning VFS: unknown URI parameter 'compresion'; did you mean 'compression'? (opening */new.db) (glob)
  $ ls
  plain.db
  $ sqlite3 plain.db "SELECT * FROM t"
  1
