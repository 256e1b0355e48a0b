// Tvf: the machinery shared by the lightning_*() table-valued functions.
//
// Each function is an eponymous-only virtual table (xCreate = NULL, so it
// exists in `main` only and CREATE VIRTUAL TABLE cannot instantiate it) marked
// DIRECTONLY (usable in top-level SQL only: never from a trigger, a view or a
// schema, where a database file could smuggle it in). Its arguments are
// HIDDEN columns declared last, in the order users pass them:
//
//   SELECT * FROM lightning_stats('users');  ==  ... WHERE table_name = 'users'
//
// A function fills all its rows at xFilter (they are few: tens to hundreds),
// so the x-methods here are generic; a TvfSpec supplies the schema and the
// fill function, and optionally an update function for UPDATE statements.
//
// Arguments (idxNum bit i = argument i given): an `=` constraint on an
// argument column is consumed (omitted); an unusable one makes the plan
// SQLITE_CONSTRAINT; a missing required argument is SQLITE_ERROR with a
// message naming the function's usage; a NULL argument gives no rows.
//
// Thread safety: as SQLite's x-methods, serialised per connection.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "ext/sqlite_api.h"

namespace lightning::ext {

// One cell: NULL, INTEGER, REAL or TEXT.
using Cell = std::variant<std::monostate, int64_t, double, std::string>;
using Row = std::vector<Cell>;

struct TvfSpec {
  const char* name;    // "lightning_stats"
  const char* schema;  // CREATE TABLE x(...), hidden argument columns last
  int num_columns;     // all columns, hidden ones included
  int num_args;        // hidden argument columns (the last num_args)
  int required_args;   // the first required_args arguments must be given
  const char* usage;   // "lightning_stats([table])", for error messages
  // Fills the visible columns of every row (the framework adds the
  // arguments). args[i] is nullptr when argument i was not given. Returns an
  // SQLite code; on error sets *err.
  int (*fill)(sqlite3* db, sqlite3_value** args, std::vector<Row>* rows, std::string* err);
  // UPDATE of one row, or nullptr (the table is read-only). `values` holds
  // the row's new values, one per column (unchanged columns keep theirs).
  // `statement` identifies the UPDATE statement (the same for all its rows).
  int (*update)(sqlite3* db, sqlite3_value** values, uint64_t statement, std::string* err);
};

// Registers `spec` (which must outlive the connection) on `db`.
int RegisterTvf(sqlite3* db, const TvfSpec* spec);

// Helpers for fill functions.
std::string ValueText(sqlite3_value* v);  // the value as text ("" for NULL)
// Cell of a number: INTEGER when it is whole and fits, else REAL.
Cell NumberCell(double v);

}  // namespace lightning::ext
