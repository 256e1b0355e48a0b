/*
** example.c: a C program that uses lightning tables through SQLite's C API.
**
**   build/examples/lightning_example_c [path/to/lightning.so] [database]
**
** It loads the extension, creates a table keyed by INTEGER PRIMARY KEY,
** inserts rows in one transaction with a prepared statement, runs a range
** query in descending key order, and shows that a duplicate key is refused.
** The rows live in <database>-lightning and survive the program.
*/
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static int check(sqlite3 *db, int rc, const char *what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fprintf(stderr, "%s: %s (%d)\n", what, sqlite3_errmsg(db), sqlite3_extended_errcode(db));
    exit(1);
  }
  return rc;
}

int main(int argc, char **argv) {
  const char *ext = argc > 1 ? argv[1] : "./build/lightning";
  const char *path = argc > 2 ? argv[2] : "lightning-example.db";
  sqlite3 *db;
  char *err = NULL;
  check(db, sqlite3_open(path, &db), "open");
  check(db, sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, NULL),
        "enable extensions");
  if (sqlite3_load_extension(db, ext, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "load %s: %s\n", ext, err);
    return 1;
  }

  check(
      db,
      sqlite3_exec(db,
                   "DROP TABLE IF EXISTS readings;"
                   "CREATE VIRTUAL TABLE readings USING lightning("
                   "  id INTEGER PRIMARY KEY, sensor TEXT NOT NULL, celsius REAL, sync='normal');",
                   NULL, NULL, NULL),
      "create");

  /* Many inserts, one transaction, one prepared statement. */
  sqlite3_stmt *ins;
  check(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), "begin");
  check(db, sqlite3_prepare_v2(db, "INSERT INTO readings VALUES (?1, ?2, ?3)", -1, &ins, NULL),
        "prepare");
  for (int i = 1; i <= 1000; i++) {
    sqlite3_bind_int(ins, 1, i);
    sqlite3_bind_text(ins, 2, i % 2 ? "north" : "south", -1, SQLITE_STATIC);
    sqlite3_bind_double(ins, 3, 15.0 + (i % 17) * 0.5);
    check(db, sqlite3_step(ins), "insert");
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");

  /* A range on the key, newest first. */
  sqlite3_stmt *q;
  check(db,
        sqlite3_prepare_v2(
            db,
            "SELECT id, sensor, celsius FROM readings WHERE id BETWEEN ?1 AND ?2 ORDER BY id DESC",
            -1, &q, NULL),
        "prepare query");
  sqlite3_bind_int(q, 1, 500);
  sqlite3_bind_int(q, 2, 504);
  while (check(db, sqlite3_step(q), "query") == SQLITE_ROW)
    printf("%lld %s %.1f\n", sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
           sqlite3_column_double(q, 2));
  sqlite3_finalize(q);

  /* The key is unique: the second row with id 1 is refused. */
  int rc = sqlite3_exec(db, "INSERT INTO readings VALUES (1, 'east', 0)", NULL, NULL, NULL);
  printf("duplicate id: %s (extended code %d)\n", sqlite3_errmsg(db), sqlite3_extended_errcode(db));
  if (rc != SQLITE_CONSTRAINT) return 1;

  sqlite3_stmt *v;
  check(db,
        sqlite3_prepare_v2(db, "SELECT lightning_version(), count(*) FROM readings", -1, &v, NULL),
        "v");
  check(db, sqlite3_step(v), "version");
  printf("%s, %d rows\n", (const char *)sqlite3_column_text(v, 0), sqlite3_column_int(v, 1));
  sqlite3_finalize(v);
  sqlite3_close(db);
  return 0;
}
