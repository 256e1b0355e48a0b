// TableSchema: what `CREATE VIRTUAL TABLE t USING lightning(...)` declares.
//
// The module arguments are column definitions, as in CREATE TABLE, and
// `name=value` options, in any order:
//
//   lightning(id INTEGER PRIMARY KEY, name TEXT NOT NULL, cache_size='256MB')
//
// An argument is an option exactly when its first token is an identifier and
// its second is `=`. Column definitions accept a type name, PRIMARY KEY [ASC|
// DESC], NOT NULL, NULL, UNIQUE, CHECK(...), DEFAULT, COLLATE and CONSTRAINT
// names, and the table constraints PRIMARY KEY(...), UNIQUE(...) and
// CHECK(...). Constraints the module cannot enforce (REFERENCES and FOREIGN
// KEY, generated columns, a DEFAULT other than NULL, per-column ON CONFLICT,
// a COLLATE other than BINARY on a key column) are errors rather than
// silently ignored.
//
// The key decides the kind of table, as in SQLite:
//   no PRIMARY KEY                  kRowid: rows keyed by rowid
//   `<col> INTEGER PRIMARY KEY`     kIntegerPrimaryKey: <col> is the rowid
//   any other single-column key     kWithoutRowid: keyed by that column
//   `PRIMARY KEY(a, b DESC, ...)`   kComposite: keyed by the tuple, each
//                                   column ASC or DESC (key_codec.h)
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
  bool unique = false;       // a UNIQUE column constraint (also in TableSchema::uniques)
  std::string default_expr;  // text after DEFAULT, "" if none
  std::string collation;     // "" if none
};

// CHECK(expr), a column or table constraint: evaluated by SQLite over the
// row's values (vtab_check.cc). The parser checks only what needs no SQLite:
// balanced parentheses, no subquery, no parameter.
struct CheckConstraint {
  std::string expr;  // the text between the parentheses, as written (trimmed)
  // What native SQLite names it in "CHECK constraint failed: <name>": the
  // CONSTRAINT name, else the expression text, both dequoted as SQLite does
  // (SqliteDequote).
  std::string name;
};

// UNIQUE (a column constraint) or UNIQUE(a, b): enforced by the module with
// a tree of the store per constraint (vtab_unique.cc).
struct UniqueConstraint {
  std::vector<int> columns;  // indexes into TableSchema::columns, as declared
  int seq = 0;               // place among the PRIMARY KEY and UNIQUE constraints declared
};

// A secondary index: `INDEX name(col [ASC|DESC], ...)` or `UNIQUE INDEX
// name(...)` among the module arguments (declared), or one added later with
// lightning_create_index() and kept in the store's catalog (vtab_secondary.cc).
struct IndexDef {
  std::string name;          // as given; compared case-insensitively
  std::vector<int> columns;  // indexes into TableSchema::columns
  std::vector<bool> desc;    // per column
  bool unique = false;
  bool declared = true;  // false: from the store's catalog
};

// The most columns an index may have, and indexes a table may have
// (xBestIndex packs the index number and its prefix into idxNum).
inline constexpr int kMaxIndexColumns = 31;
inline constexpr int kMaxIndexes = 64;

enum class KeyKind { kRowid, kIntegerPrimaryKey, kWithoutRowid, kComposite };

// The most columns a composite PRIMARY KEY may have (xBestIndex packs the
// plan of a key prefix into idxNum).
inline constexpr int kMaxKeyColumns = 31;

struct TableSchema {
  std::vector<ColumnDef> columns;
  int key_column = -1;  // index into columns; -1 for kRowid and kComposite
  KeyKind key_kind = KeyKind::kRowid;
  // kComposite only: the key's columns in key order, whether each is DESC,
  // and the name of the HIDDEN column that holds the encoded key. SQLite
  // accepts a writable WITHOUT ROWID virtual table only with a one-column
  // PRIMARY KEY, so DeclareSql() declares that hidden column as the key;
  // SQLite reads it (a BLOB) to name the row it passes to xUpdate.
  std::vector<int> key_columns;
  std::vector<bool> key_desc;
  std::string hidden_key_name;
  // CHECK constraints, column and table, in the order declared (native
  // SQLite evaluates them in this order and reports the first that fails).
  std::vector<CheckConstraint> checks;
  // UNIQUE constraints in the order declared; key_seq is the PRIMARY KEY's
  // place among them (-1 without one). Native SQLite reports the newest
  // constraint first when several fail.
  std::vector<UniqueConstraint> uniques;
  int key_seq = -1;
  // Secondary indexes: the declared ones in order, then the catalog's.
  std::vector<IndexDef> indexes;
  // Options in the order given, names lower-cased, values unquoted.
  std::vector<std::pair<std::string, std::string>> options;

  // The CREATE TABLE statement for sqlite3_declare_vtab().
  std::string DeclareSql() const;
  // Index of the column named `name` (case-insensitive), or -1.
  int FindColumn(std::string_view name) const;
  // True if column `i` is stored in the row record (everything but the key
  // columns of INTEGER PRIMARY KEY, WITHOUT ROWID and composite-key tables).
  bool StoredInRecord(int i) const {
    if (key_kind == KeyKind::kComposite) return !columns[i].primary_key;
    return key_kind == KeyKind::kRowid || i != key_column;
  }
  bool composite() const { return key_kind == KeyKind::kComposite; }
  // The index SQLite gives the hidden key column (after the declared ones).
  int hidden_key_index() const { return static_cast<int>(columns.size()); }
};

// Parses the module arguments (argv[3..] of xCreate/xConnect). `option_names`
// lists the valid option names; an unknown one is an error naming it and the
// closest valid name (lightning::ClosestName). Errors are InvalidArgument with a message for the
// user.
Status ParseTableArgs(const std::vector<std::string_view>& args,
                      const std::vector<std::string>& option_names, TableSchema* schema);

// Parses an index's column list, "a, b DESC" (no parentheses), against
// `schema` into index->columns/desc. Errors (InvalidArgument): an unknown or
// repeated column, a direction other than ASC/DESC, a COLLATE other than
// BINARY (index_def.cc).
Status ParseIndexColumns(std::string_view text, const TableSchema& schema, IndexDef* index);
// The canonical column list of `index` ("a, b DESC"), as the catalog keeps it.
std::string IndexColumnsText(const TableSchema& schema, const IndexDef& index);
// Parses the module argument "[UNIQUE] INDEX name(col [ASC|DESC], ...)"
// into *index (declared), checked with CheckNewIndex.
Status ParseIndexDeclaration(std::string_view arg, const TableSchema& schema, IndexDef* index);
// Checks `index` (name and columns) against the indexes already in `schema`:
// InvalidArgument for a duplicate name, too many indexes or columns.
Status CheckNewIndex(const TableSchema& schema, const IndexDef& index);

// Quotes `name` as an SQL identifier ("a""b").
std::string QuoteIdentifier(std::string_view name);

// `text` dequoted as SQLite's sqlite3Dequote does: unchanged unless it starts
// with ' " ` or [, else the text up to the matching close quote, doubled
// quotes made single (so "[b]<`a`" becomes "b").
std::string SqliteDequote(std::string_view text);

}  // namespace lightning::ext
