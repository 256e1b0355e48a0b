// Where a lightning table's rows live.
//
// Default: one store per database, next to it — `app.db` -> `app.db-lightning`
// — or, for an in-memory or temporary database, a private in-memory store of
// the connection (one per schema: main, temp, each ATTACH).
//
// `file=PATH` overrides it. Because the CREATE VIRTUAL TABLE statement is
// stored in the database, a database from an untrusted source could name any
// path; so, unless the application opted out (below), PATH must resolve —
// after `..` and symbolic links — to a file inside the database's own
// directory (the current directory for an in-memory database), and must not
// be the database file or one of SQLite's own files beside it. `file=':memory:'`
// asks for the in-memory store.
//
// Opt-out: open the database with the URI parameter `lightning_unsafe_paths=1`
// (e.g. `file:app.db?lightning_unsafe_paths=1`). Only the application can do
// that: nothing in the database file can.
#pragma once

#include <string>

#include "ext/sqlite_api.h"
#include "lightning/status.h"

namespace lightning::ext {

struct StoreLocation {
  bool in_memory = false;
  std::string path;  // canonical path of the store file ("" when in memory)
  std::string key;   // "file:<path>" or "mem:<schema>": identifies the session
};

// Resolves the store of a table in schema `schema` of `db`; `file_option` is
// the file= value or nullptr. Errors: InvalidArgument (path not allowed,
// with the reason), NotFound (the directory does not exist).
Status ResolveStore(sqlite3* db, const char* schema, const std::string* file_option,
                    StoreLocation* out);

}  // namespace lightning::ext
