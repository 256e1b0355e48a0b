-- demo.sql: a tour of lightning tables in the sqlite3 shell.
-- Run from the repository root, after building (cmake -S . -B build && cmake --build build):
--     sqlite3 :memory: < sql/examples/demo.sql
-- With an in-memory database the rows live in an in-memory store; open a file
-- instead (sqlite3 app.db < ...) and they persist in app.db-lightning.
.load ./build/lightning
.headers on
.mode box

SELECT lightning_version();

-- A rowid table keyed by its INTEGER PRIMARY KEY, with store options.
CREATE VIRTUAL TABLE users USING lightning(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT,
  cache_size = '64MB',
  sync = 'normal'
);
INSERT INTO users(id, name, email) VALUES
  (1, 'ada', 'ada@example.org'), (2, 'grace', 'grace@example.org'), (3, 'linus', NULL),
  (10, 'barbara', 'bl@example.org'), (15, 'ken', NULL), (20, 'dennis', 'dmr@example.org'),
  (25, 'margaret', 'mh@example.org');

-- A WITHOUT ROWID table keyed by text: rows are kept in key order.
CREATE VIRTUAL TABLE settings USING lightning(key TEXT PRIMARY KEY, value);
INSERT INTO settings VALUES ('theme', 'dark'), ('lang', 'en'), ('font.size', 12), ('font.face', 'mono');

-- Point lookup, range, IN list, ORDER BY ... DESC.
SELECT * FROM users WHERE id = 3;
SELECT id, name FROM users WHERE id BETWEEN 10 AND 20 ORDER BY id DESC;
SELECT id, name FROM users WHERE id IN (25, 1, 999) ORDER BY id;
SELECT * FROM settings WHERE key >= 'font.' AND key < 'font/' ORDER BY key;

-- Affinity works as in native tables: '42' becomes 42, 7.0 becomes 7 ...
INSERT INTO users(id, name) VALUES ('42', 'from text');
SELECT id, typeof(id) FROM users WHERE id = 42;
-- ... and the key is unique, whatever the conflict mode.
INSERT OR IGNORE INTO users(id, name) VALUES (1, 'ignored');
INSERT OR REPLACE INTO users(id, name) VALUES (42, 'replaced');
SELECT id, name FROM users WHERE id IN (1, 42);

-- A transaction with a savepoint.
BEGIN;
UPDATE users SET email = name || '@example.com' WHERE email IS NULL;
SAVEPOINT before_delete;
DELETE FROM users WHERE id > 10;
SELECT count(*) AS rows_inside_savepoint FROM users;
ROLLBACK TO before_delete;
RELEASE before_delete;
COMMIT;
SELECT count(*) AS rows_after_commit, count(email) AS with_email FROM users;

-- The query plans: the key is used for =, IN and ranges, ORDER BY key needs no
-- sort, and only a query without a key constraint scans the whole table.
EXPLAIN QUERY PLAN SELECT * FROM users WHERE id = 3;
EXPLAIN QUERY PLAN SELECT * FROM users WHERE id IN (1, 2, 3) ORDER BY id DESC;
EXPLAIN QUERY PLAN SELECT * FROM users WHERE id > 10 ORDER BY id LIMIT 2 OFFSET 1;
EXPLAIN QUERY PLAN SELECT * FROM users WHERE name = 'ada';

-- Aggregates and joins are plain SQL.
SELECT substr(key, 1, instr(key || '.', '.') - 1) AS prefix, count(*) AS n FROM settings GROUP BY prefix;

DROP TABLE settings;
