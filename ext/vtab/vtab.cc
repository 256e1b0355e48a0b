/*
** The `lightning` virtual-table module: SQL tables whose rows live in a
** Lightning store (one B+tree per table).
**
** USAGE
**
**   CREATE VIRTUAL TABLE t USING lightning(<column definitions>, <option>=<value>, ...);
**
**   Column definitions are those of CREATE TABLE. Without a PRIMARY KEY the
**   table is a rowid table; `<col> INTEGER PRIMARY KEY` makes <col> the rowid;
**   any other single-column PRIMARY KEY makes a WITHOUT ROWID table keyed by
**   that column; PRIMARY KEY(a, b DESC, ...) one keyed by the tuple. Options are the engine's
*(cache_size, sync, compression, ...;
**   see engine/options.h) plus file=PATH, which places the store (store_path.h).
**
**   CREATE VIRTUAL TABLE temp.t USING lightning(alias='main');
**
**   declares, in the connection's temp schema, a second name for main.t whose
**   writes do not take main's write lock: several connections then write
**   concurrently and share fsyncs (vtab_alias.cc).
**
** EXAMPLE
**
**   CREATE VIRTUAL TABLE users USING lightning(id INTEGER PRIMARY KEY, name TEXT,
**                                              email TEXT, cache_size='256MB');
**   INSERT INTO users VALUES (1, 'ada', 'ada@example.org');
**   SELECT * FROM users WHERE id BETWEEN 10 AND 20 ORDER BY id DESC;
**
** IMPLEMENTATION NOTES
**
**   Keys are encoded so that byte order is SQLite's order (key_codec.h), rows
**   are a compact record of the non-key columns (record.h). Declared types give
**   the affinity conversions of native tables (vtab_values.cc). All tables of
**   a connection in one store share one Session: one engine write transaction,
**   SQLite savepoints mapped to engine savepoints (session.h). xBestIndex uses
**   key =, IN (all at once), ranges, ORDER BY key and LIMIT/OFFSET
**   (vtab_index.cc; composite keys vtab_composite*.cc). Uniqueness of the key,
**   NOT NULL, CHECK and UNIQUE constraints are enforced in xUpdate with the
**   statement's conflict mode (vtab_update.cc, vtab_check.cc, vtab_unique.cc).
**
** LIMITATIONS
**
**   A lightning table and a native table changed in one transaction do not
**   commit as one atomic unit (SQLite commits virtual tables around the main
**   database). No DEFAULT (other than NULL), foreign keys,
**   generated columns, AUTOINCREMENT, UPSERT, or COLLATE other than BINARY on
**   a key column. CREATE/DROP/RENAME inside BEGIN...COMMIT: see
**   README.md (section "The lightning virtual table").
*/
#include "ext/vtab/vtab.h"

#include <chrono>
#include <memory>

#include "ext/connection.h"
#include "ext/session.h"
#include "ext/settings.h"
#include "ext/store_path.h"
#include "ext/vtab/key_codec.h"
#include "ext/vtab/vtab_secondary.h"
#include "vfs/status_to_sqlite.h"

namespace lightning::ext {
namespace {

// The engine's options and `file`.
const std::vector<std::string>& ModuleOptionNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = OptionNames();
    n.push_back("file");
    return n;
  }();
  return names;
}

char* Mprintf(const std::string& s) { return sqlite3_mprintf("%s", s.c_str()); }

// Opens (or finds) the session of the store `loc`.
int OpenSession(Connection* conn, const StoreLocation& loc, const Options& options, Session** out,
                std::string* err) {
  if (Session* s = conn->FindSession(loc.key)) {
    *out = s;
    return SQLITE_OK;
  }
  auto db = DB::Open(loc.in_memory ? ":memory:" : loc.path, options);
  std::shared_ptr<DB> shared;
  Status s = db.status();
  if (s.ok()) {
    shared = std::move(db).value();
    s = MigrateLegacySettings(loc.path, options, &shared);  // see settings.h
  }
  if (!s.ok()) {
    *err = "lightning: cannot open store " + (loc.in_memory ? std::string(":memory:") : loc.path) +
           ": " + StatusToSqliteMessage(s);
    return StatusToSqliteCode(s, SqliteContext::kOpen);
  }
  *out = conn->AddSession(
      loc.key, std::make_unique<Session>(std::move(shared), loc.in_memory ? ":memory:" : loc.path,
                                         loc.in_memory));
  return SQLITE_OK;
}

// Finds or creates the table's tree. xCreate uses the session's write
// transaction when one is open (so the creation rolls back with it), else a
// transaction of its own.
Status CreateTree(Session* session, const std::string& name, TreeId* tree) {
  std::unique_ptr<WriteTxn> own;
  WriteTxn* txn = session->writing() ? session->write_txn() : nullptr;
  if (txn == nullptr) {
    auto w = session->db()->BeginWrite();
    if (!w.ok()) return w.status();
    own = std::move(w).value();
    txn = own.get();
  }
  Status s = txn->OpenTree(name, tree);
  if (s.ok() && session->in_memory()) {
    // A fresh in-memory database cannot own an older tree of this name: it is
    // left over from a database that was detached. Start empty.
    s = txn->DropTree(name);
    if (s.ok()) s = Status::NotFound(name);
  }
  if (s.IsNotFound()) s = txn->CreateTree(name, tree);
  if (!s.ok()) return s;
  if (own) return own->Commit();
  session->NoteChange();
  return Status::OK();
}

Status OpenExistingTree(Session* session, const std::string& name, TreeId* tree) {
  if (session->writing()) return session->write_txn()->OpenTree(name, tree);
  auto r = session->db()->BeginRead();
  if (!r.ok()) return r.status();
  return r.value()->OpenTree(name, tree);
}

// The catalog's indexes of the table (vtab_secondary.cc), read in the
// session's write transaction or a snapshot.
Status LoadIndexes(Session* session, LightningTable* t) {
  if (session->writing()) return LoadCatalogIndexes(t, session->write_txn());
  auto r = session->db()->BeginRead();
  if (!r.ok()) return r.status();
  return LoadCatalogIndexes(t, r.value().get());
}

int ConnectImpl(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
                char** err_out, bool create) {
  auto* conn = static_cast<Connection*>(aux);
  auto table = std::make_unique<LightningTable>();
  table->db = db;
  table->conn = conn;
  table->schema_name = argv[1];
  table->name = argv[2];
  if (table->name == kSettingsTree) {
    *err_out = sqlite3_mprintf("lightning: the name %s is reserved for the store's saved settings",
                               argv[2]);
    return SQLITE_ERROR;
  }
  std::vector<std::string_view> args(argv + 3, argv + argc);
  std::string alias_target;
  Status s = FindAliasOption(args, &alias_target);
  if (s.ok() && !alias_target.empty()) {
    int rc = ConnectAlias(table.get(), alias_target, create, err_out);
    if (rc != SQLITE_OK) return rc;
    // An alias whose target is gone has no session: the lightning_*()
    // functions must not find it.
    if (table->session != nullptr) conn->AddTable(table.get());
    *out = &table.release()->base;
    return SQLITE_OK;
  }
  if (s.ok()) s = ParseTableArgs(args, ModuleOptionNames(), &table->schema);
  if (!s.ok()) {
    *err_out = Mprintf("lightning: " + s.message());
    return SQLITE_ERROR;
  }
  Options options;
  const std::string* file = nullptr;
  std::vector<std::string> live;  // live options named, applied to an open store at creation
  bool page_size_given = false;
  for (const auto& [name, value] : table->schema.options) {
    if (name == "file") {
      file = &value;
      continue;
    }
    s = options.Set(name, value);  // the one parse of the statement's text
    if (!s.ok()) {
      *err_out = Mprintf("lightning: " + s.message());
      return SQLITE_ERROR;
    }
    if (FindOption(name)->live) live.push_back(name);
    page_size_given |= name == "page_size";
  }
  StoreLocation loc;
  s = ResolveStore(db, argv[1], file, &loc);
  if (!s.ok()) {
    *err_out = Mprintf("lightning: " + s.message());
    return s.IsInvalidArgument() ? SQLITE_AUTH : SQLITE_CANTOPEN;
  }
  std::string err;
  int rc = OpenSession(conn, loc, options, &table->session, &err);
  if (rc != SQLITE_OK) {
    *err_out = Mprintf(err);
    return rc;
  }
  rc = sqlite3_declare_vtab(db, table->schema.DeclareSql().c_str());
  if (rc != SQLITE_OK) {
    *err_out =
        sqlite3_mprintf("lightning: cannot declare table %s: %s", argv[2], sqlite3_errmsg(db));
    return rc;
  }
  sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);

  if (create && !table->schema.checks.empty()) {
    std::string why;
    if (ValidateChecks(table.get(), &why) != SQLITE_OK) {
      *err_out = Mprintf("lightning: " + why);
      return SQLITE_ERROR;
    }
  }

  Session* session = table->session;
  const uint32_t store_page_size = session->db()->GetOptions().page_size;
  if (create && page_size_given && options.page_size != store_page_size) {
    // The store exists already: its page size is fixed, and the schema must
    // not promise another.
    *err_out = sqlite3_mprintf(
        "lightning: page_size=%u does not match store %s, whose page size is %u (fixed when the "
        "store was created); omit page_size, or give this table a store of its own with file=",
        options.page_size, session->label().c_str(), store_page_size);
    return SQLITE_ERROR;
  }
  s = create ? CreateTree(session, table->name, &table->tree)
             : OpenExistingTree(session, table->name, &table->tree);
  table->unique_trees.resize(table->schema.uniques.size());
  for (size_t i = 0; s.ok() && i < table->unique_trees.size(); ++i) {
    std::string name = UniqueTreeName(table->name, i);
    s = create ? CreateTree(session, name, &table->unique_trees[i])
               : OpenExistingTree(session, name, &table->unique_trees[i]);
  }
  if (s.ok() && !create) s = LoadIndexes(session, table.get());
  table->index_trees.resize(table->schema.indexes.size());
  for (size_t i = 0; s.ok() && i < table->index_trees.size(); ++i) {
    std::string name = IndexTreeName(table->name, table->schema.indexes[i].name);
    s = create ? CreateTree(session, name, &table->index_trees[i])
               : OpenExistingTree(session, name, &table->index_trees[i]);
  }
  if (s.IsNotFound() && !create) {
    // The store lost the table (its file was deleted or replaced). Connect it
    // anyway, unusable, so that DROP TABLE can still remove it from the schema.
    table->missing_tree = "lightning: table " + table->name + " has no tree in store " +
                          session->label() +
                          " (was the store file replaced or deleted?); DROP TABLE " + table->name +
                          " removes the table";
    sqlite3_log(SQLITE_WARNING, "%s", table->missing_tree.c_str());
  } else if (!s.ok()) {
    *err_out = Mprintf("lightning: table " + table->name + ": " + StatusToSqliteMessage(s));
    return StatusToSqliteCode(s);
  }
  if (create && !live.empty()) {
    // Live options named at creation apply to an already open store too
    // (not saved: the statement gives them again at every connect).
    (void)session->db()->SetOptions(options, live, false);
  }
  Options actual = session->db()->GetOptions();
  table->max_key_value_size = MaxKeyValueSize(actual.page_size);
  int slot = 0;
  for (int i = 0; i < static_cast<int>(table->schema.columns.size()); ++i)
    table->record_slot.push_back(table->schema.StoredInRecord(i) ? slot++ : -1);
  if (table->schema.composite()) {
    table->key_position.assign(table->schema.columns.size(), -1);
    for (size_t j = 0; j < table->schema.key_columns.size(); ++j) {
      int c = table->schema.key_columns[j];
      table->key_position[c] = static_cast<int>(j);
      if (table->schema.columns[c].affinity == Affinity::kBlob) table->key_real_slot = slot;
    }
    if (table->key_real_slot >= 0) ++slot;
    // A composite key is limited as a whole: its encoding, tags included.
    table->max_key_value_size = MaxKeyValueSize(actual.page_size) + 1;
  }
  table->record_width = static_cast<size_t>(slot);
  conn->AddTable(table.get());
  *out = &table.release()->base;
  return SQLITE_OK;
}

int xCreate(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
            char** err) noexcept {
  return Guarded(nullptr, [&] { return ConnectImpl(db, aux, argc, argv, out, err, true); });
}

int xConnect(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
             char** err) noexcept {
  return Guarded(nullptr, [&] { return ConnectImpl(db, aux, argc, argv, out, err, false); });
}

int xDisconnect(sqlite3_vtab* vtab) noexcept {
  auto* t = reinterpret_cast<LightningTable*>(vtab);
  t->conn->RemoveTable(t);
  delete t;
  return SQLITE_OK;
}

// DROP TABLE and ALTER TABLE RENAME change the store's catalog. Inside a
// transaction that has written to the store they join its write transaction
// (and roll back with it); in autocommit mode they commit at once. Inside a
// transaction that has not, they are refused: the store would commit them
// while SQLite could still roll the schema change back.
template <typename F>
int CatalogChange(LightningTable* t, const char* what, F&& change) {
  Session* session = t->session;
  if (!session->writing() && !sqlite3_get_autocommit(t->db)) {
    // SQLITE_LOCKED ("database table is locked"): SQLite drops xDestroy's own
    // message, so the code must speak for itself; the log has the details.
    std::string msg =
        std::string("lightning: ") + what + " of lightning table " + t->name +
        " inside a transaction that has not written to its store is not supported; COMMIT first";
    sqlite3_log(SQLITE_LOCKED, "%s", msg.c_str());
    return SetTableError(t, SQLITE_LOCKED, msg);
  }
  std::unique_ptr<WriteTxn> own;
  WriteTxn* txn = session->writing() ? session->write_txn() : nullptr;
  if (txn == nullptr) {
    auto w = session->db()->BeginWrite();
    if (!w.ok()) return SetTableStatus(t, w.status(), static_cast<int>(SqliteContext::kGeneral));
    own = std::move(w).value();
    txn = own.get();
  }
  Status s = change(txn);
  if (s.ok() && own) s = own->Commit();
  if (s.ok() && !own) session->NoteChange();
  if (!s.ok()) return SetTableStatus(t, s, static_cast<int>(SqliteContext::kGeneral));
  return SQLITE_OK;
}

int xDestroy(sqlite3_vtab* vtab) noexcept {
  auto* t = reinterpret_cast<LightningTable*>(vtab);
  return Guarded(t, [&] {
    // A table whose tree is gone has nothing in the store to drop; dropping
    // an alias forgets the name and keeps the rows.
    int rc =
        !t->missing_tree.empty() || !t->alias_of.empty()
            ? SQLITE_OK
            : CatalogChange(t, "DROP TABLE", [&](WriteTxn* txn) {
                Status s = txn->DropTree(t->name);
                for (size_t i = 0; (s.ok() || s.IsNotFound()) && i < t->unique_trees.size(); ++i)
                  s = txn->DropTree(UniqueTreeName(t->name, i));
                if (s.ok() || s.IsNotFound()) s = DropTableIndexes(t, txn);
                return s.IsNotFound() ? Status::OK() : s;
              });
    if (rc == SQLITE_OK) {
      if (t->alias_of.empty()) ForgetAliasesOf(t, "dropped");
      t->conn->RemoveTable(t);
      delete t;
    }
    return rc;
  });
}

int xRename(sqlite3_vtab* vtab, const char* new_name) noexcept {
  auto* t = reinterpret_cast<LightningTable*>(vtab);
  return Guarded(t, [&] {
    if (int rc = MissingTreeError(t)) return rc;
    if (!t->alias_of.empty())
      return SetTableError(t, SQLITE_ERROR,
                           "lightning: temp." + t->name + " is an alias of " + t->alias_of + "." +
                               t->name + "; rename that table, then declare the alias again");
    int rc = CatalogChange(t, "ALTER TABLE RENAME", [&](WriteTxn* txn) {
      Status s = txn->RenameTree(t->name, new_name);
      for (size_t i = 0; s.ok() && i < t->unique_trees.size(); ++i)
        s = txn->RenameTree(UniqueTreeName(t->name, i), UniqueTreeName(new_name, i));
      if (s.ok()) s = RenameTableIndexes(t, txn, new_name);
      return s;
    });
    if (rc == SQLITE_OK) {
      ForgetAliasesOf(t, "renamed");
      t->name = new_name;
    }
    return rc;
  });
}

// ---- transactions: see session.h for the mapping

// The connection's SQLite busy timeout (sqlite3_busy_timeout, PRAGMA
// busy_timeout, the shell's .timeout; 0 if none). SQLite has no getter but
// the pragma; it is asked only when another writer holds the store.
std::chrono::milliseconds ConnectionBusyTimeout(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  int64_t ms = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA busy_timeout", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW)
    ms = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return std::chrono::milliseconds(ms > 0 ? ms : 0);
}

int xBegin(sqlite3_vtab* vtab) noexcept {
  auto* t = reinterpret_cast<LightningTable*>(vtab);
  return Guarded(t, [&] {
    if (int rc = MissingTreeError(t)) return rc;  // (an alias without a target has no session)
    const bool joined = t->session->writing();    // another table of the store began it
    Status s = t->session->Begin(!sqlite3_get_autocommit(t->db),
                                 [t] { return ConnectionBusyTimeout(t->db); });
    if (s.ok()) {
      int rc = CheckAliasTarget(t);
      // SQLite calls no xRollback for a table whose xBegin failed.
      if (rc != SQLITE_OK && !joined) t->session->Rollback();
      return rc;
    }
    return SetTableError(t, StatusToSqliteCode(s),
                         "lightning: cannot start a write transaction on table " + t->name + ": " +
                             StatusToSqliteMessage(s));
  });
}

int xSync(sqlite3_vtab* vtab) noexcept {
  auto* t = reinterpret_cast<LightningTable*>(vtab);
  return Guarded(t, [&] {
    Status s = t->session->Commit();
    if (s.ok()) return SQLITE_OK;
    return SetTableError(t, StatusToSqliteCode(s),
                         "lightning: commit failed: " + StatusToSqliteMessage(s));
  });
}

int xCommit(sqlite3_vtab* vtab) noexcept {
  auto* t = reinterpret_cast<LightningTable*>(vtab);
  return Guarded(t, [&] { return SetTableStatus(t, t->session->Commit(), 0); });
}

int xRollback(sqlite3_vtab* vtab) noexcept {
  auto* t = reinterpret_cast<LightningTable*>(vtab);
  return Guarded(t, [&] {
    t->session->Rollback();
    return SQLITE_OK;
  });
}

int xSavepoint(sqlite3_vtab* vtab, int level) noexcept {
  auto* t = reinterpret_cast<LightningTable*>(vtab);
  return Guarded(t, [&] { return SetTableStatus(t, t->session->Savepoint(level), 0); });
}

int xRelease(sqlite3_vtab* vtab, int level) noexcept {
  auto* t = reinterpret_cast<LightningTable*>(vtab);
  return Guarded(t, [&] { return SetTableStatus(t, t->session->Release(level), 0); });
}

int xRollbackTo(sqlite3_vtab* vtab, int level) noexcept {
  auto* t = reinterpret_cast<LightningTable*>(vtab);
  return Guarded(t, [&] { return SetTableStatus(t, t->session->RollbackTo(level), 0); });
}

const sqlite3_module kLightningModule = {
    .iVersion = 3,
    .xCreate = xCreate,
    .xConnect = xConnect,
    .xBestIndex = LightningBestIndex,
    .xDisconnect = xDisconnect,
    .xDestroy = xDestroy,
    .xOpen = LightningOpen,
    .xClose = LightningClose,
    .xFilter = LightningFilter,
    .xNext = LightningNext,
    .xEof = LightningEof,
    .xColumn = LightningColumn,
    .xRowid = LightningRowid,
    .xUpdate = LightningUpdate,
    .xBegin = xBegin,
    .xSync = xSync,
    .xCommit = xCommit,
    .xRollback = xRollback,
    .xFindFunction = nullptr,
    .xRename = xRename,
    .xSavepoint = xSavepoint,
    .xRelease = xRelease,
    .xRollbackTo = xRollbackTo,
    .xShadowName = nullptr,
};

}  // namespace

int MissingTreeError(LightningTable* t) {
  if (t->missing_tree.empty()) return SQLITE_OK;
  return SetTableError(t, SQLITE_ERROR, t->missing_tree);
}

int SetTableError(LightningTable* t, int rc, const std::string& message) {
  sqlite3_free(t->base.zErrMsg);
  t->base.zErrMsg = rc == SQLITE_OK ? nullptr : sqlite3_mprintf("%s", message.c_str());
  return rc;
}

int SetTableStatus(LightningTable* t, const Status& status, int context) {
  if (status.ok()) return SQLITE_OK;
  return SetTableError(t, StatusToSqliteCode(status, static_cast<SqliteContext>(context)),
                       "lightning: table " + t->name + ": " + StatusToSqliteMessage(status));
}

int RegisterLightningModule(sqlite3* db, Connection* conn) {
  return sqlite3_create_module_v2(db, "lightning", &kLightningModule, conn, Connection::Destroy);
}

}  // namespace lightning::ext
