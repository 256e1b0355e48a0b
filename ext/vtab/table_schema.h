// TableSchema: what `CREATE VIRTUAL TABLE t USING lightning(...)` declares.
//
// The module arguments are column definitions, as in CREATE TABLE, and
// `name=value` options, in any order:
//
//   lightning(id INTEGER PRIMARY KEY, name TEXT NOT NULL, cache_size='256MB')
//
// An argument is an option exactly when its first token is an identifier and
// its second is `=`. Column definitions accept a type name, PRIMARY KEY [ASC|
// DESC], NOT NULL, NULL, DEFAULT, COLLATE and CONSTRAINT names. Constraints the
// module cannot enforce (UNIQUE, CHECK, REFERENCES, generated columns,
// per-column ON CONFLICT, more than one PRIMARY KEY column, a COLLATE other
// than BINARY on the key) are errors rather than silently ignored.
//
// The key decides the kind of table, as in SQLite:
//   no PRIMARY KEY                  kRowid: rows keyed by rowid
//   `<col> INTEGER PRIMARY KEY`     kIntegerPrimaryKey: <col> is the rowid
//   any other single-column key     kWithoutRowid: keyed by that column
// (As in SQLite, only the exact type name INTEGER makes a rowid alias, and
// `INTEGER PRIMARY KEY DESC` does not.)
//
// Pure C++: no SQLite calls, so it is unit-tested on its own.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ext/sql_value.h"
#include "lightning/options.h"
#include "lightning/status.h"

namespace lightning::ext {

struct ColumnDef {
  std::string name;  // unquoted
  std::string type;  // declared type, as written ("VARCHAR(20)"); may be empty
  Affinity affinity = Affinity::kBlob;
  bool not_null = false;
  bool primary_key = false;
  std::string default_expr;  // text after DEFAULT, "" if none
  std::string collation;     // "" if none
};

enum class KeyKind { kRowid, kIntegerPrimaryKey, kWithoutRowid };

struct TableSchema {
  std::vector<ColumnDef> columns;
  int key_column = -1;  // index into columns; -1 for kRowid
  KeyKind key_kind = KeyKind::kRowid;
  // Options in the order given, names lower-cased, values unquoted.
  std::vector<std::pair<std::string, std::string>> options;

  // The CREATE TABLE statement for sqlite3_declare_vtab().
  std::string DeclareSql() const;
  // Index of the column named `name` (case-insensitive), or -1.
  int FindColumn(std::string_view name) const;
  // True if column `i` is stored in the row record (everything but the key of
  // an INTEGER PRIMARY KEY or WITHOUT ROWID table).
  bool StoredInRecord(int i) const { return key_kind == KeyKind::kRowid || i != key_column; }
};

// Parses the module arguments (argv[3..] of xCreate/xConnect). `option_names`
// lists the valid option names; an unknown one is an error naming it and the
// closest valid name (lightning::ClosestName). Errors are InvalidArgument with a message for the
// user.
Status ParseTableArgs(const std::vector<std::string_view>& args,
                      const std::vector<std::string>& option_names, TableSchema* schema);

// Quotes `name` as an SQL identifier ("a""b").
std::string QuoteIdentifier(std::string_view name);

}  // namespace lightning::ext
