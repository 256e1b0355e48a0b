/*
** lightning_checkpoint(table), lightning_compact(table): maintenance of the
** store behind a lightning table. lightning_check(table): its integrity.
** Each also takes the schema name ('main', an ATTACH name) or path of a
** database opened through the lightning VFS (store_lookup.h).
**
** USAGE
**
**   SELECT lightning_checkpoint('users');     -- 'ok: 12 pages written in 0.004 s'
**   SELECT lightning_compact('users');        -- 'ok: file 9437184 -> 2105344 bytes'
**   SELECT * FROM lightning_check('users');   -- one row per problem, or one row 'ok'
**
** IMPLEMENTATION NOTES
**
**   Checkpoint writes every committed page not yet in the file, the page
**   table and a superblock, then resets the WAL. Compaction checkpoints,
**   moves extents from the end of the file into free space, checkpoints
**   twice more and truncates the file. The check (DB::Check) walks every tree
**   from a snapshot: every page's structure, key order within and across
**   pages, depth and entry counts; it reads every page's extent from the file
**   and verifies its checksum, and compares it with the copy in use. For a
**   table with UNIQUE constraints it then checks each UNIQUE tree against the
**   rows in one snapshot (CheckEntryTree, ext/vtab/vtab_tree_check.h): a
**   missing entry, an entry naming another row, an extra entry; each once.
**
**   All three are interruptible (ext/long_operation.h): sqlite3_interrupt,
**   Ctrl-C in the shell or a progress handler returning non-zero stops them
**   within milliseconds with SQLITE_INTERRUPT ("lightning_compact:
**   interrupted after moving 40 of 900 extents; ..."), the store valid and
**   every committed row in it. Meanwhile the progress handler is called (the
**   shell's `.progress`) and lightning_stats shows the operation, its stage
**   and how far it got (operation, operation_stage, operation_done,
**   operation_total) to every connection.
**
** LIMITATIONS
**
**   All three act on the whole store, whichever of its tables is named.
**   Checkpoint and compaction take the writer lock (waiting up to
**   busy_timeout): inside a transaction that has written to the store they
**   are refused (COMMIT first).
*/
#include <set>

#include "ext/connection.h"
#include "ext/functions/functions.h"
#include "ext/functions/tvf.h"
#include "ext/long_operation.h"
#include "ext/session.h"
#include "ext/store_lookup.h"
#include "ext/vtab/vtab_secondary.h"
#include "ext/vtab/vtab_tree_check.h"
#include "vfs/guarded_call.h"
#include "vfs/lightning_vfs.h"
#include "vfs/status_to_sqlite.h"

namespace lightning::ext {
namespace {

double MetricValue(DB* db, const char* name) {
  for (const Metric& m : db->Metrics()) {
    if (m.name == name) return m.value;
  }
  return 0;
}

// Resolves the table argument of a maintenance function; false (with the
// error set on ctx) if it cannot.
bool Target(sqlite3_context* ctx, const char* fn, sqlite3_value* arg, StoreTarget* t) {
  if (sqlite3_value_type(arg) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return false;
  }
  std::string err;
  if (FindStore(sqlite3_context_db_handle(ctx), ValueText(arg), t, &err) != SQLITE_OK) {
    sqlite3_result_error(ctx, (std::string(fn) + ": " + err).c_str(), -1);
    return false;
  }
  if (t->session != nullptr && t->session->writing()) {
    sqlite3_result_error(ctx,
                         (std::string(fn) + ": the store has an open write transaction on this "
                                            "connection; COMMIT first")
                             .c_str(),
                         -1);
    return false;
  }
  return true;
}

void ResultStatus(sqlite3_context* ctx, const char* fn, const Status& s, const std::string& ok) {
  if (s.ok()) {
    sqlite3_result_text(ctx, ok.c_str(), -1, SQLITE_TRANSIENT);
    return;
  }
  sqlite3_result_error(ctx, (std::string(fn) + ": " + StatusToSqliteMessage(s)).c_str(), -1);
  sqlite3_result_error_code(ctx, StatusToSqliteCode(s));
}

void CheckpointFunc(sqlite3_context* ctx, int, sqlite3_value** argv) noexcept {
  GuardedResult(ctx, [&] {
    StoreTarget t;
    if (!Target(ctx, "lightning_checkpoint", argv[0], &t)) return;
    const double pages = MetricValue(t.db, "checkpoint_pages");
    const double seconds = MetricValue(t.db, "checkpoint_seconds");
    LongOperation op(sqlite3_context_db_handle(ctx), "checkpoint", t.db);
    Status s = t.db->Checkpoint(&op);
    char buf[128];
    std::snprintf(buf, sizeof buf, "ok: %.0f pages written in %.3f s",
                  MetricValue(t.db, "checkpoint_pages") - pages,
                  MetricValue(t.db, "checkpoint_seconds") - seconds);
    ResultStatus(ctx, "lightning_checkpoint", s,
                 t.db->in_memory() ? "ok: in-memory store, nothing to write" : buf);
  });
}

void CompactFunc(sqlite3_context* ctx, int, sqlite3_value** argv) noexcept {
  GuardedResult(ctx, [&] {
    StoreTarget t;
    if (!Target(ctx, "lightning_compact", argv[0], &t)) return;
    const double before = MetricValue(t.db, "file_size");
    LongOperation op(sqlite3_context_db_handle(ctx), "compact", t.db);
    // A lightning-VFS database compacts through its page store (not interruptible).
    Status s = t.vfs_file != nullptr ? vfs::CompactFile(t.vfs_file) : t.db->Compact(&op);
    char buf[128];
    std::snprintf(buf, sizeof buf, "ok: file %.0f -> %.0f bytes", before,
                  MetricValue(t.db, "file_size"));
    ResultStatus(ctx, "lightning_compact", s,
                 t.db->in_memory() ? "ok: in-memory store, nothing to compact" : buf);
  });
}

// The entry trees (UNIQUE) of the table named, each against the table's
// rows in one snapshot (ext/vtab/vtab_tree_check.h).
Status CheckTableEntryTrees(sqlite3* db, const StoreTarget& t, std::vector<std::string>* problems) {
  Connection* conn = Connection::Find(db);
  LightningTable* table = conn ? conn->FindTable(t.schema, t.table) : nullptr;
  if (table == nullptr || !table->missing_tree.empty()) return Status::OK();
  std::vector<EntryTree> trees = UniqueEntryTrees(table);
  if (trees.empty()) return Status::OK();
  auto snapshot = t.db->BeginRead();
  if (!snapshot.ok()) return snapshot.status();
  for (const EntryTree& tree : trees)
    LIGHTNING_RETURN_IF_ERROR(CheckEntryTree(table, snapshot.value().get(), tree, problems));
  return Status::OK();
}

int FillCheck(sqlite3* db, sqlite3_value** args, std::vector<Row>* rows, std::string* err) {
  StoreTarget t;
  int rc = FindStore(db, ValueText(args[0]), &t, err);
  if (rc != SQLITE_OK) return rc;
  std::vector<std::string> problems;
  LongOperation op(db, "check", t.db);
  Status s = t.db->Check(&problems, &op);
  if (s.IsInterrupted()) {
    *err = "lightning_check: " + StatusToSqliteMessage(s);
    return SQLITE_INTERRUPT;
  }
  if (!s.ok()) problems.push_back(StatusToSqliteMessage(s));
  if (s.ok() && t.session != nullptr && t.one_table) {
    s = CheckTableEntryTrees(db, t, &problems);
    if (!s.ok()) problems.push_back(StatusToSqliteMessage(s));
  }
  // Secondary indexes against their table (vtab_secondary_check.cc).
  if (t.session != nullptr && t.one_table) {
    Status si = CheckTableIndexes(db, t.schema, t.table, &problems);
    if (!si.ok()) problems.push_back(StatusToSqliteMessage(si));
  }
  if (problems.empty()) problems.push_back("ok");
  // A page that cannot be read is found by both passes of the check (the
  // tree walk and the on-disk comparison): report each problem once.
  std::set<std::string> seen;
  for (const std::string& p : problems) {
    if (seen.insert(p).second) rows->push_back(Row{t.label, p});
  }
  return SQLITE_OK;
}

const TvfSpec kCheck = {
    .name = "lightning_check",
    .schema =
        "CREATE TABLE x("
        " store TEXT,"       /* 0 the store's path, or :memory: */
        " problem TEXT,"     /* 1 one problem found, or 'ok' */
        " table_name HIDDEN" /* 2 argument: a lightning table */
        ")",
    .num_columns = 3,
    .num_args = 1,
    .required_args = 1,
    .usage = "lightning_check(table)",
    .fill = FillCheck,
    .update = nullptr,
};

}  // namespace

int RegisterMaintenanceFunctions(sqlite3* db) {
  int rc =
      sqlite3_create_function_v2(db, "lightning_checkpoint", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                 nullptr, CheckpointFunc, nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function_v2(db, "lightning_compact", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                    nullptr, CompactFunc, nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) rc = RegisterTvf(db, &kCheck);
  return rc;
}

}  // namespace lightning::ext
