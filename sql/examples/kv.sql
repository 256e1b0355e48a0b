-- kv.sql: a key-value store with text keys (a WITHOUT ROWID lightning table).
-- Run from the repository root: sqlite3 kv.db < sql/examples/kv.sql
-- (the rows then live in kv.db-lightning and survive the session).
.load ./build/lightning
.mode list
CREATE VIRTUAL TABLE IF NOT EXISTS kv USING lightning(k TEXT PRIMARY KEY, v BLOB, compression = 'lz4');
REPLACE INTO kv VALUES ('user:1:name', 'ada'), ('user:1:lang', 'en'), ('user:2:name', 'grace');
-- Prefix scan: all keys starting with 'user:1:' in key order (a range on the key).
SELECT k, v FROM kv WHERE k >= 'user:1:' AND k < 'user:1;' ORDER BY k;
-- Newest-first paging uses the key order in reverse.
SELECT k FROM kv ORDER BY k DESC LIMIT 2;
