// lightning.so loaded into Node's better-sqlite3 (which bundles its own SQLite).
// Run: npm install --prefix tests/js && LIGHTNING_EXT=build/lightning.so node --test tests/js
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');
const here = path.dirname(fileURLToPath(import.meta.url));
const ext = process.env.LIGHTNING_EXT ?? path.join(here, '..', '..', 'build', 'lightning.so');

function open(file) {
  const db = new Database(file);
  db.loadExtension(ext);
  return db;
}

test('lightning_version() names the extension, the host SQLite and the SIMD target', () => {
  const db = open(':memory:');
  const v = db.prepare('SELECT lightning_version() AS v').get().v;
  const sqliteVersion = db.prepare('SELECT sqlite_version() AS v').get().v;
  assert.match(v, /^lightning \d+\.\d+\.\d+ \(sqlite \d+\.\d+\.\d+, simd \S+\)$/);
  assert.ok(v.includes(`sqlite ${sqliteVersion}`), v);
  db.close();
});

test('tables, transactions and errors work as in Python and the shell', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lightning-node-'));
  const file = path.join(dir, 'app.db');
  let db = open(file);
  db.exec("CREATE VIRTUAL TABLE users USING lightning(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT)");
  const insert = db.prepare('INSERT INTO users(id, name, email) VALUES (?, ?, ?)');
  const insertMany = db.transaction((rows) => { for (const r of rows) insert.run(...r); });
  insertMany([[1, 'ada', 'ada@example.org'], [2, 'grace', null], [3, 'linus', 'l@example.org']]);
  assert.deepEqual(db.prepare('SELECT id FROM users WHERE id BETWEEN 2 AND 3 ORDER BY id DESC').all(),
                   [{ id: 3 }, { id: 2 }]);
  assert.throws(() => insert.run(1, 'dup', null), (e) => e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' &&
                e.message === 'UNIQUE constraint failed: users.id');
  assert.throws(() => insert.run(9, null, null), (e) => e.code === 'SQLITE_CONSTRAINT_NOTNULL');
  assert.throws(() => insertMany([[4, 'x', null], [1, 'dup', null]]), /UNIQUE/);
  assert.equal(db.prepare('SELECT count(*) AS n FROM users').get().n, 3);  // the batch rolled back
  assert.throws(() => db.exec("CREATE VIRTUAL TABLE bad USING lightning(a, cach_size='1MB')"),
                /did you mean "cache_size"/);
  const plan = db.prepare('EXPLAIN QUERY PLAN SELECT * FROM users WHERE id IN (1, 3) ORDER BY id').all();
  assert.ok(plan.some((r) => r.detail.includes('id IN (...)')), JSON.stringify(plan));
  db.close();
  assert.ok(existsSync(file + '-lightning'));
  db = open(file);
  assert.deepEqual(db.prepare('SELECT name FROM users ORDER BY id').all().map((r) => r.name),
                   ['ada', 'grace', 'linus']);
  db.close();
});
