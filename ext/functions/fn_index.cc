/*
** lightning_create_index(table, name, columns [, unique]) and
** lightning_drop_index(table, name): secondary indexes added to and removed
** from an existing lightning table (SQLite has no CREATE INDEX on virtual
** tables).
**
** USAGE
**
**   SELECT lightning_create_index('users', 'ix_email', 'email');        -- 'ok'
**   SELECT lightning_create_index('users', 'ux_name', 'last, first DESC', 1);
**   SELECT lightning_drop_index('users', 'ix_email');                    -- 'ok'
**
** IMPLEMENTATION NOTES
**
**   The index is built from the rows there are in one engine write
**   transaction and recorded in the store's catalog (vtab_secondary.cc), so
**   another connection (at its next write transaction or connect) and a
**   reopen see it. A UNIQUE index over duplicate values fails as native
**   CREATE UNIQUE INDEX does ("UNIQUE constraint failed: t.a",
**   SQLITE_CONSTRAINT_UNIQUE) and leaves nothing behind. Inside a
**   transaction that has written to the store, both join it (under an engine
**   savepoint, so a failure undoes only the call) and roll back with it; in
**   autocommit mode they commit at once.
**
** LIMITATIONS
**
**   Inside BEGIN ... COMMIT before the store was written to they are
**   refused (COMMIT first), as DROP TABLE of a lightning table is. Indexes
**   declared in CREATE VIRTUAL TABLE cannot be dropped.
*/
#include "ext/connection.h"
#include "ext/functions/functions.h"
#include "ext/functions/tvf.h"
#include "ext/session.h"
#include "ext/store_lookup.h"
#include "ext/vtab/vtab_secondary.h"
#include "vfs/guarded_call.h"
#include "vfs/status_to_sqlite.h"

namespace lightning::ext {
namespace {

void Fail(sqlite3_context* ctx, int rc, const std::string& message) {
  sqlite3_result_error(ctx, message.c_str(), -1);
  sqlite3_result_error_code(ctx, rc);
}

// The lightning table named by argv[0]; nullptr after reporting an error.
LightningTable* TableArg(sqlite3_context* ctx, const char* fn, sqlite3_value* arg) {
  sqlite3* db = sqlite3_context_db_handle(ctx);
  if (sqlite3_value_type(arg) != SQLITE_TEXT) {
    Fail(ctx, SQLITE_MISMATCH, std::string(fn) + ": the table name must be TEXT");
    return nullptr;
  }
  StoreTarget target;
  std::string err;
  int rc = FindStore(db, ValueText(arg), &target, &err);
  if (rc != SQLITE_OK) {
    Fail(ctx, rc, std::string(fn) + ": " + err);
    return nullptr;
  }
  Connection* conn = Connection::Find(db);
  LightningTable* t = target.session != nullptr && target.one_table && conn != nullptr
                          ? conn->FindTable(target.schema, target.table)
                          : nullptr;
  if (t == nullptr) {
    Fail(ctx, SQLITE_ERROR, std::string(fn) + ": " + ValueText(arg) + " is not a lightning table");
    return nullptr;
  }
  if (MissingTreeError(t) != SQLITE_OK) {
    Fail(ctx, SQLITE_ERROR, t->missing_tree);
    return nullptr;
  }
  return t;
}

// Runs `change` in the session's write transaction under a savepoint, or in
// a transaction of its own committed at once. Returns an SQLite code (with
// *err).
template <typename F>
int IndexChange(LightningTable* t, const char* fn, std::string* err, F&& change) {
  Session* session = t->session;
  if (!session->writing() && !sqlite3_get_autocommit(t->db)) {
    *err = std::string(fn) + " on lightning table " + t->name +
           " inside a transaction that has not written to its store is not supported; COMMIT "
           "first";
    return SQLITE_LOCKED;
  }
  auto status_error = [&](const Status& s) {
    *err = std::string(fn) + ": " + StatusToSqliteMessage(s);
    return StatusToSqliteCode(s, SqliteContext::kWrite);
  };
  if (session->writing()) {
    WriteTxn* txn = session->write_txn();
    int depth = 0;
    Status s = txn->Savepoint(&depth);
    if (!s.ok()) return status_error(s);
    int rc = change(txn);
    s = rc == SQLITE_OK ? Status::OK() : txn->RollbackTo(depth);
    if (s.ok()) s = txn->Release(depth);
    if (!s.ok() && rc == SQLITE_OK) return status_error(s);
    if (rc == SQLITE_OK) session->NoteChange();
    t->index_txn = UINT64_MAX;  // the next write re-reads the catalog
    return rc;
  }
  auto w = session->db()->BeginWrite();
  if (!w.ok()) return status_error(w.status());
  std::unique_ptr<WriteTxn> txn = std::move(w).value();
  int rc = change(txn.get());
  if (rc != SQLITE_OK) return rc;  // dropping txn aborts it
  Status s = txn->Commit();
  t->index_txn = UINT64_MAX;
  if (!s.ok()) return status_error(s);
  return SQLITE_OK;
}

void CreateIndexFunc(sqlite3_context* ctx, int argc, sqlite3_value** argv) noexcept {
  GuardedResult(ctx, [&] {
    const char* fn = "lightning_create_index";
    LightningTable* t = TableArg(ctx, fn, argv[0]);
    if (t == nullptr) return;
    if (sqlite3_value_type(argv[1]) != SQLITE_TEXT || sqlite3_value_bytes(argv[1]) == 0)
      return Fail(ctx, SQLITE_MISMATCH,
                  std::string(fn) + ": the index name must be non-empty TEXT");
    if (sqlite3_value_type(argv[2]) != SQLITE_TEXT)
      return Fail(ctx, SQLITE_MISMATCH,
                  std::string(fn) + ": the columns must be TEXT, for example 'a, b DESC'");
    IndexDef index;
    index.name = ValueText(argv[1]);
    index.declared = false;
    if (argc > 3) {
      const int type = sqlite3_value_type(argv[3]);
      if (type != SQLITE_INTEGER && type != SQLITE_NULL)
        return Fail(ctx, SQLITE_MISMATCH,
                    std::string(fn) + ": unique must be 0 or 1 (or NULL for 0)");
      index.unique = sqlite3_value_int64(argv[3]) != 0;
    }
    Status s = ParseIndexColumns(ValueText(argv[2]), t->schema, &index);
    if (!s.ok()) return Fail(ctx, SQLITE_ERROR, std::string(fn) + ": " + s.message());
    std::string err;
    int rc =
        IndexChange(t, fn, &err, [&](WriteTxn* txn) { return CreateIndex(t, txn, index, &err); });
    if (rc != SQLITE_OK) return Fail(ctx, rc, err);
    sqlite3_result_text(ctx, "ok", -1, SQLITE_STATIC);
  });
}

void DropIndexFunc(sqlite3_context* ctx, int, sqlite3_value** argv) noexcept {
  GuardedResult(ctx, [&] {
    const char* fn = "lightning_drop_index";
    LightningTable* t = TableArg(ctx, fn, argv[0]);
    if (t == nullptr) return;
    if (sqlite3_value_type(argv[1]) != SQLITE_TEXT)
      return Fail(ctx, SQLITE_MISMATCH, std::string(fn) + ": the index name must be TEXT");
    const std::string name = ValueText(argv[1]);
    std::string err;
    int rc = IndexChange(t, fn, &err, [&](WriteTxn* txn) { return DropIndex(t, txn, name, &err); });
    if (rc != SQLITE_OK) return Fail(ctx, rc, err);
    sqlite3_result_text(ctx, "ok", -1, SQLITE_STATIC);
  });
}

}  // namespace

int RegisterIndexFunctions(sqlite3* db) {
  const int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
  int rc = SQLITE_OK;
  for (int n = 3; n <= 4 && rc == SQLITE_OK; ++n)
    rc = sqlite3_create_function_v2(db, "lightning_create_index", n, flags, nullptr,
                                    CreateIndexFunc, nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function_v2(db, "lightning_drop_index", 2, flags, nullptr, DropIndexFunc,
                                    nullptr, nullptr, nullptr);
  return rc;
}

}  // namespace lightning::ext
