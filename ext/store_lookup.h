// Store lookup: from a table name given to a lightning_*() function to the
// store (engine DB) and tree behind it, through this connection's Session.
//
//   "users"        the lightning table `users` (temp, then main, then attached
//                  schemas, as SQLite resolves an unqualified name)
//   "aux.users"    the lightning table `users` of schema `aux`
//   "main"         a database of this connection opened through the lightning
//                  VFS, by schema name ("main", an ATTACH name) or by its
//                  path, when no lightning table has that name
//   (no argument)  every store that a lightning table of this connection's
//                  databases lives in, once each (not the VFS databases)
//
// A table not yet used on this connection is connected first (by preparing a
// statement that names it), so its store is opened as any query would open it.
//
// Thread safety: as the calling x-method (per connection).
#pragma once

#include <string>
#include <vector>

#include "ext/sqlite_api.h"
#include "lightning/db.h"

namespace lightning::ext {

class Session;

struct StoreTarget {
  Session* session = nullptr;        // nullptr for a VFS database
  sqlite3_file* vfs_file = nullptr;  // the VFS database's main file, else nullptr
  DB* db = nullptr;
  std::string label;       // the store's path, or ":memory:"
  std::string table;       // the table asked for, or one table of the store (for SQL advice);
                           // for a VFS database its schema name
  std::string schema;      // that table's schema ("main" for a VFS database)
  bool one_table = false;  // true: a table was named; per-tree rows cover it only
};

// Resolves `table` (nullptr: all stores). Errors: SQLITE_ERROR with *err for
// an unknown table or one that is not a lightning table (or VFS database).
int FindStores(sqlite3* db, const char* table, std::vector<StoreTarget>* out, std::string* err);

// As FindStores with one table: exactly one target.
int FindStore(sqlite3* db, const std::string& table, StoreTarget* out, std::string* err);

// The session whose store has label `label` on this connection, or nullptr.
Session* FindSessionByLabel(sqlite3* db, const std::string& label);

// 'text' quoted as an SQL string literal.
std::string SqlQuote(const std::string& text);

}  // namespace lightning::ext
