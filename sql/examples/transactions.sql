-- transactions.sql: conflict modes, statement rollback and savepoints.
-- Run from the repository root: sqlite3 :memory: < sql/examples/transactions.sql
.load ./build/lightning
.headers on
.mode list
CREATE VIRTUAL TABLE accounts USING lightning(id INTEGER PRIMARY KEY, owner TEXT NOT NULL, balance INTEGER);
INSERT INTO accounts VALUES (1, 'ada', 100), (2, 'grace', 50);

-- A multi-row INSERT that hits a duplicate key is undone as a whole (OR ABORT, the default) ...
INSERT INTO accounts VALUES (3, 'linus', 10), (1, 'duplicate', 0);
SELECT count(*) AS after_abort FROM accounts;
-- ... OR FAIL keeps the rows before the conflict, OR IGNORE skips the conflicting row.
INSERT OR FAIL INTO accounts VALUES (3, 'linus', 10), (1, 'duplicate', 0);
INSERT OR IGNORE INTO accounts VALUES (4, 'ken', 5), (2, 'duplicate', 0);
SELECT id, owner FROM accounts ORDER BY id;

-- A transfer in one transaction; a failed check rolls back to a savepoint.
BEGIN;
UPDATE accounts SET balance = balance - 30 WHERE id = 1;
UPDATE accounts SET balance = balance + 30 WHERE id = 2;
SAVEPOINT bonus;
UPDATE accounts SET balance = balance + 1000 WHERE id = 4;
ROLLBACK TO bonus;
RELEASE bonus;
COMMIT;
SELECT id, balance FROM accounts ORDER BY id;

-- NOT NULL and key types are enforced as in native tables.
INSERT INTO accounts VALUES (5, NULL, 0);
INSERT INTO accounts VALUES ('five', 'x', 0);
