// example.js: lightning tables from Node with better-sqlite3.
//
//   npm install --prefix tests/js          (or: npm install better-sqlite3)
//   node examples/example.js [path/to/lightning.so] [database]
//
// better-sqlite3 bundles its own SQLite; the extension loads into it all the same.
const path = require('node:path');

function loadBetterSqlite3() {
  try {
    return require('better-sqlite3');
  } catch {
    return require(path.join(__dirname, '..', 'tests', 'js', 'node_modules', 'better-sqlite3'));
  }
}

const Database = loadBetterSqlite3();
const ext = process.argv[2] ?? './build/lightning.so';
const file = process.argv[3] ?? 'lightning-example-js.db';

const db = new Database(file);
db.loadExtension(ext);
console.log(db.prepare('SELECT lightning_version() AS v').get().v);

db.exec('DROP TABLE IF EXISTS events');
db.exec(`CREATE VIRTUAL TABLE events USING lightning(
           id INTEGER PRIMARY KEY, kind TEXT NOT NULL, payload TEXT)`);

const insert = db.prepare('INSERT INTO events(kind, payload) VALUES (?, ?)');
const insertAll = db.transaction((rows) => rows.forEach((r) => insert.run(r.kind, JSON.stringify(r))));
insertAll(Array.from({ length: 50 }, (_, i) => ({ kind: i % 3 ? 'click' : 'view', n: i })));

// Latest five events: ORDER BY the key, descending, consumed by the table.
for (const row of db.prepare('SELECT id, kind FROM events ORDER BY id DESC LIMIT 5').all()) {
  console.log(row.id, row.kind);
}
console.log(db.prepare('SELECT kind, count(*) AS n FROM events GROUP BY kind').all());

try {
  db.prepare('INSERT INTO events(id, kind) VALUES (1, ?)').run('dup');
} catch (e) {
  console.log('duplicate key:', e.code, e.message);
}
db.close();
