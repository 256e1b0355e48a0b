// The `lightning` virtual-table module: shared declarations of its pieces.
//
//   vtab.cc          the module object, xCreate/xConnect/xDestroy/xRename and
//                    the transaction methods
//   vtab_index.cc    xBestIndex (the idxNum bit table lives there)
//   vtab_cursor.cc   xOpen/xFilter/xNext/xEof/xColumn/xRowid/xClose
//   vtab_update.cc   xUpdate
//   vtab_unique.cc   UNIQUE constraints (a tree per constraint)
//   vtab_check.cc    CHECK constraints (evaluated by SQLite)
//   vtab_alias.cc    alias tables in temp (concurrent writers)
//   vtab_composite.cc, vtab_composite_index.cc   composite keys
//   vtab_values.cc   sqlite3_value <-> SqlValue, affinity, results
//   ../store_path.cc where a table's store lives (and the file= rule)
//
// Every x-method is noexcept: no exception crosses into SQLite; std::bad_alloc
// becomes SQLITE_NOMEM and any other exception SQLITE_INTERNAL.
#pragma once

#include <string>
#include <vector>

#include "ext/sql_value.h"
#include "ext/sqlite_api.h"
#include "ext/vtab/record.h"
#include "ext/vtab/table_schema.h"
#include "lightning/db.h"
#include "vfs/guarded_call.h"

namespace lightning::ext {

class Connection;
class Session;
struct LightningCursor;

// Deletes a cursor (vtab_cursor.cc, where the type is complete).
void FreeCursor(LightningCursor* c) noexcept;

// One lightning table as seen by one connection (SQLite's sqlite3_vtab).
struct LightningTable {
  ~LightningTable() {
    if (spare_cursor != nullptr) FreeCursor(spare_cursor);
    sqlite3_finalize(check_stmt);
  }

  sqlite3_vtab base;  // must stay first: SQLite sees only this part
  sqlite3* db = nullptr;
  Connection* conn = nullptr;
  Session* session = nullptr;
  std::string schema_name;  // "main", "temp", or an ATTACH name
  std::string name;         // the table's name == its tree's name
  // Non-empty for an alias table (vtab_alias.cc): the schema of its target,
  // whose session and trees it shares.
  std::string alias_of;
  TableSchema schema;
  TreeId tree = 0;
  // One tree per UNIQUE constraint (schema.uniques), see vtab_unique.cc.
  std::vector<TreeId> unique_trees;
  // One tree per secondary index (schema.indexes), see vtab_secondary.cc;
  // index_txn: the write transaction (id) that last refreshed the catalog's
  // indexes, so that each write transaction sees another connection's
  // lightning_create_index/lightning_drop_index.
  std::vector<TreeId> index_trees;
  uint64_t index_txn = UINT64_MAX;
  // Non-empty when the table's tree is missing from its store (the store file
  // was deleted or replaced): why, in words. The table is then connected only
  // so that DROP TABLE can remove it; every other use fails with this message
  // (MissingTreeError).
  std::string missing_tree;
  // The longest TEXT/BLOB key value in bytes: MaxKeyValueSize(page_size).
  size_t max_key_value_size = 0;
  // For each column, its slot in the row record, or -1 for the key column.
  std::vector<int> record_slot;
  size_t record_width = 0;
  // Composite keys: for each column its position in the key, or -1; and the
  // record slot of the mask of key columns holding a REAL (bit = key
  // position), -1 when no key column is untyped (only untyped columns keep
  // 3.0 apart from 3, and the key encodes both alike).
  std::vector<int> key_position;
  int key_real_slot = -1;

  // xUpdate's working buffers (vtab_update.cc), kept from call to call so
  // that writing a row allocates nothing once they have grown.
  struct UpdateBuffers {
    std::vector<std::string> scratch;  // bytes of affinity conversions, per column
    std::vector<SqlValue> values;      // the new row, per column
    std::vector<SqlValue> stored;      // the columns in the record
    std::string new_key, old_key, record;
  } update_buffers;

  // The statement that evaluates the CHECK constraints (vtab_check.cc),
  // prepared at the first write; owned, nullptr until then.
  sqlite3_stmt* check_stmt = nullptr;

  // A closed cursor kept for the next xOpen (a statement opens one per
  // execution), with its buffers; owned, nullptr if none.
  LightningCursor* spare_cursor = nullptr;

  // True if a write must go through WriteRowAndEntries (UNIQUE or indexes).
  bool has_entries() const { return !schema.uniques.empty() || !schema.indexes.empty(); }
  bool has_rowid() const {
    return schema.key_kind != KeyKind::kWithoutRowid && schema.key_kind != KeyKind::kComposite;
  }
  // The column holding the key, -1 for a plain rowid table.
  int key_column() const { return schema.key_column; }
  Affinity key_affinity() const {
    return schema.key_kind == KeyKind::kWithoutRowid ? schema.columns[schema.key_column].affinity
                                                     : Affinity::kInteger;
  }
  const std::string& column_name(int i) const { return schema.columns[i].name; }
  std::string key_name() const {
    return schema.key_column >= 0 ? schema.columns[schema.key_column].name : std::string("rowid");
  }
};

// SQLITE_ERROR with the table's missing-tree message when its tree is gone,
// else SQLITE_OK. Every x-method but xDisconnect/xDestroy checks it first.
int MissingTreeError(LightningTable* t);

// Sets the table's error message (replacing any earlier one); returns `rc`.
int SetTableError(LightningTable* t, int rc, const std::string& message);
// Same, from an engine Status (code chosen by context).
int SetTableStatus(LightningTable* t, const Status& status, int context);

// Runs `body` (returning an SQLite code), turning exceptions into codes
// (vfs/guarded_call.h); an internal error's message goes to the table.
template <typename F>
int Guarded(LightningTable* t, F&& body) noexcept {
  return GuardedCall(std::forward<F>(body), SQLITE_NOMEM, [t](int rc, const std::string& message) {
    return t ? SetTableError(t, rc, message) : rc;
  });
}

// ---- vtab_values.cc
// `v` as SqlValue; TEXT/BLOB views point into `v` (valid until it changes).
SqlValue FromSqlite(sqlite3_value* v);
// Applies column affinity as SQLite does when storing into a column declared
// with that affinity (datatype3.html §3). Conversions that need SQLite's own
// number/text formatting produce bytes kept in `*scratch`.
SqlValue ApplyAffinity(sqlite3_value* v, Affinity affinity, std::string* scratch);
// The value a key constraint compares against, converted the way SQLite
// converts the other operand of a comparison with a column of `affinity`.
SqlValue ConstraintValue(sqlite3_value* v, Affinity affinity, std::string* scratch);
void ResultValue(sqlite3_context* ctx, const SqlValue& v);

// ---- vtab_check.cc: CHECK constraints
// At CREATE: prepares each CHECK expression, so that what native CREATE
// TABLE refuses (unknown columns or functions, aggregates, windows) is
// refused. SQLITE_OK, or SQLITE_ERROR with SQLite's reason in *err.
int ValidateChecks(LightningTable* t, std::string* err);
// Evaluates the CHECK constraints over the new row `values` (one per column,
// affinity applied) and, for a table with a rowid, its `rowid` (which a CHECK
// may name, as native). SQLITE_OK when none is false; SQLITE_CONSTRAINT under
// OR IGNORE (SQLite skips the row); else SQLITE_CONSTRAINT_CHECK with
// native's message naming the first that fails, or the error of evaluating it.
int EvaluateChecks(LightningTable* t, const std::vector<SqlValue>& values, int64_t rowid);
// SQLITE_ERROR (with a message) when the table's CHECK statement is running,
// i.e. a function in a CHECK expression writes to the same table: xUpdate
// refuses such a nested write before touching its buffers. Else SQLITE_OK.
int CheckReentry(LightningTable* t);

// ---- vtab_composite.cc: composite keys (PRIMARY KEY(a, b DESC, ...))
// The key of the row `values` (one per column, affinity applied).
void EncodeKeyTuple(const LightningTable* t, const std::vector<SqlValue>& values, std::string* key);
// Decodes `key` into one value per key column (in key order); bit j of
// `real_mask` makes key column j a REAL. TEXT/BLOB bytes live in *bytes.
// Returns false if `key` is malformed.
bool DecodeKeyTuple(const LightningTable* t, std::string_view key, uint64_t real_mask,
                    std::vector<SqlValue>* values, std::vector<std::string>* bytes);
// "t.a, t.b": the key's columns as native constraint messages name them.
std::string KeyConstraintName(const LightningTable* t);

// ---- vtab_unique.cc: UNIQUE constraints
// The values of a stored row, decoded from its key and record.
struct RowDecoder {
  std::string key, record;  // copies: tree views die with the next change
  RecordReader reader;
  std::vector<SqlValue> values;  // per column
  std::vector<SqlValue> tuple;
  std::vector<std::string> tuple_bytes;

  // Fills `values` from key and record; false if either is malformed.
  bool Decode(const LightningTable* t);
};
// The store's name for the tree of UNIQUE constraint i of table `table`.
std::string UniqueTreeName(const std::string& table, size_t i);
// Sets the native error of a clash on the key (or rowid); returns its code.
int KeyConflictError(LightningTable* t);
// Writes the row (new_key, record; `values` per column) of a table with
// UNIQUE constraints, replacing the row at old_key ("" for an INSERT), with
// the key and every UNIQUE constraint checked under the statement's conflict
// mode. Returns an SQLite code; on failure nothing has changed.
int WriteRowAndEntries(LightningTable* t, WriteTxn* txn, std::string_view old_key,
                       const std::string& new_key, const std::string& record,
                       const std::vector<SqlValue>& values);
// Deletes the row at `key` and its UNIQUE entries (nothing if it is gone).
int DeleteRowAndEntries(LightningTable* t, WriteTxn* txn, std::string_view key);

// ---- vtab_secondary.cc: secondary indexes
// The store's name for the tree of index `index` of table `table`.
std::string IndexTreeName(const std::string& table, const std::string& index);
// The store's catalog of indexes added by lightning_create_index.
inline constexpr char kIndexCatalogTree[] = "__lightning_indexes";
// At connect: adds the catalog's indexes of the table to its schema and
// opens (create: creates) every index tree. NotFound if a tree is missing.
Status ConnectIndexes(LightningTable* t, Txn* txn, WriteTxn* create);
// Once per write transaction: reloads the catalog's indexes when another
// connection changed them. Returns an SQLite code.
int RefreshIndexes(LightningTable* t, WriteTxn* txn);
// The same at every call, in the write transaction or a snapshot (xBestIndex:
// a connection that only reads sees indexes other connections add or drop).
int ReloadIndexes(LightningTable* t);
// The conflicts of the new row on UNIQUE INDEXes: appends (constraint =
// uniques.size() + index number, other row's key) to *conflicts.
int IndexConflicts(LightningTable* t, WriteTxn* txn, std::string_view old_key,
                   const std::vector<SqlValue>& values,
                   std::vector<std::pair<int, std::string>>* conflicts);
// Replaces the entries of the row old_key/old_values (nullptr: none) with
// those of new_key/new_values (nullptr: none).
int WriteIndexEntries(LightningTable* t, WriteTxn* txn, std::string_view old_key,
                      const std::vector<SqlValue>* old_values, std::string_view new_key,
                      const std::vector<SqlValue>* new_values);
// Decodes an entry of index `i`: the indexed values (TEXT/BLOB bytes in
// *bytes) and the length of the tuple part (the table key follows). False
// if the entry is malformed.
bool DecodeIndexEntry(const LightningTable* t, const IndexDef& index, std::string_view entry,
                      std::vector<SqlValue>* values, std::vector<std::string>* bytes,
                      size_t* tuple_len);
// DROP TABLE / RENAME: the index trees and catalog entries of the table.
Status DropTableIndexes(LightningTable* t, WriteTxn* txn);
Status RenameTableIndexes(LightningTable* t, WriteTxn* txn, const std::string& new_name);
// The entry of index `i` for a row (tuple then table key).
void IndexEntry(const LightningTable* t, size_t i, const std::vector<SqlValue>& values,
                std::string_view table_key, std::string* out);

// ---- vtab_alias.cc: alias tables, `temp.t USING lightning(alias='main')`
// Sets *target to the schema named by an alias= argument, "" if none.
// InvalidArgument if alias= is malformed or comes with other arguments.
Status FindAliasOption(const std::vector<std::string_view>& args, std::string* target);
// xCreate/xConnect of an alias of `target_schema`.<table->name>: shares the
// target's session and trees and declares its columns. Returns an SQLite code
// (with *err_out set on failure).
int ConnectAlias(LightningTable* table, const std::string& target_schema, bool create,
                 char** err_out);
// For an alias in a write transaction: SQLITE_OK if its target's tree still
// has its name and id (a statement that touches only temp never checks main's
// schema, so another connection's DROP or RENAME goes unnoticed until then),
// else SQLITE_ERROR with a message saying what to do.
int CheckAliasTarget(LightningTable* t);
// Makes the aliases of `target` on its connection unusable: the target was
// `what` ("dropped", "renamed").
void ForgetAliasesOf(const LightningTable* target, const char* what);

// ---- vtab_index.cc / vtab_cursor.cc / vtab_update.cc
int LightningBestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info) noexcept;
int LightningOpen(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) noexcept;
int LightningClose(sqlite3_vtab_cursor* cur) noexcept;
int LightningFilter(sqlite3_vtab_cursor* cur, int idx_num, const char* idx_str, int argc,
                    sqlite3_value** argv) noexcept;
int LightningNext(sqlite3_vtab_cursor* cur) noexcept;
int LightningEof(sqlite3_vtab_cursor* cur) noexcept;
int LightningColumn(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) noexcept;
int LightningRowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) noexcept;
int LightningUpdate(sqlite3_vtab* vtab, int argc, sqlite3_value** argv,
                    sqlite3_int64* rowid) noexcept;

// Registers the module on `db` with `conn` as its client data.
int RegisterLightningModule(sqlite3* db, Connection* conn);

}  // namespace lightning::ext
