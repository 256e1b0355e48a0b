/*
** lightning_stats([table]): live counters and gauges of the store behind a
** lightning table; lightning_stats_reset([table]): zero its counters.
**
** USAGE
**
**   SELECT * FROM lightning_stats('users');   -- the store of table users
**   SELECT * FROM lightning_stats;            -- every store of this connection
**   SELECT * FROM lightning_stats('main');    -- a database opened with ?vfs=lightning
**   SELECT lightning_stats_reset('users');    -- or: UPDATE lightning_stats SET value = 0
**
** EXAMPLE
**
**   sqlite> SELECT name, value, unit FROM lightning_stats('users') WHERE name LIKE 'cache%';
**   cache_size|67108864|bytes
**   cache_used|1220608|bytes
**   cache_hits|40211|count
**
**   sqlite> SELECT name, pretty FROM lightning_stats('users') WHERE unit = 'bytes';
**   cache_size|64.0 MiB
**   ...
**
** IMPLEMENTATION NOTES
**
**   One row per metric per store (DB::Metrics plus fsyncs and memory_total),
**   then four rows on the long operation running on the store, if any
**   (operation, operation_stage, operation_done, operation_total; NULL when
**   none runs: see ext/long_operation.h), then two rows per tree (entries,
**   depth): the table's tree and its UNIQUE trees when a table is named,
**   every tree of the store otherwise. Counters are relaxed atomic
**   sums; gauges are read from the live structures. A reset zeroes the
**   counters, latency histograms and profile of the store (not the gauges),
**   increments stats_resets and restarts stats_age_seconds. An UPDATE of any
**   column resets each store it touches once. A figure nothing has measured
**   yet is NULL: cache_hit_rate without page accesses, compression_ratio
**   before any page is compressed, group_commit_avg_batch without a batch,
**   interval_seconds and the rates on the first read of a store. `pretty` is
**   the value in human units (sizes in KiB/MiB/GiB, times in us/ms/s).
**
** LIMITATIONS
**
**   The *_per_second rates cover the interval since the previous read of the
**   store's metrics by anyone (lightning_stats, lightning_metrics,
**   lightning_recommendations). Counters are per store, not per table.
*/
#include <cmath>
#include <mutex>
#include <optional>
#include <set>

#include "ext/functions/functions.h"
#include "ext/functions/tvf.h"
#include "ext/long_operation.h"
#include "ext/session.h"
#include "ext/store_stats.h"
#include "vfs/guarded_call.h"

namespace lightning::ext {
namespace {

// The rows on the long operation running on `t`'s store (values NULL when idle).
void AddOperationRows(const StoreTarget& t, std::vector<Row>* rows) {
  const std::optional<OperationState> op = CurrentOperation(t.db);
  auto add = [&](const char* name, Cell value, const char* unit, const char* description) {
    Cell pretty = value;  // text as it is; counts as the other counts
    if (const auto* n = std::get_if<int64_t>(&value))
      pretty = PrettyValue(static_cast<double>(*n), unit);
    rows->push_back(Row{t.label, Cell(), name, std::move(value), unit, description, pretty});
  };
  add("operation", op ? Cell(op->operation) : Cell(), "text",
      "the long operation running on the store (checkpoint, compact, check), NULL when none");
  add("operation_stage", op ? Cell(op->stage) : Cell(), "text",
      "its current stage (starting, write pages, move extents, check pages)");
  add("operation_done", op ? Cell(static_cast<int64_t>(op->done)) : Cell(), "count",
      "units of the stage done (pages, extents or page visits)");
  add("operation_total", op ? Cell(static_cast<int64_t>(op->total)) : Cell(), "count",
      "units of the stage in all");
}

int FillStats(sqlite3* db, sqlite3_value** args, std::vector<Row>* rows, std::string* err) {
  std::vector<StoreTarget> targets;
  std::string table = args[0] ? ValueText(args[0]) : "";
  int rc = FindStores(db, args[0] ? table.c_str() : nullptr, &targets, err);
  // lightning VFS databases: all of them without an argument, or the one named
  // (by this connection's schema name or path, or the path of one open in
  // the process).
  std::vector<std::pair<std::string, Metric>> vfs_rows;
  const bool vfs_named = args[0] && (rc == SQLITE_OK ? targets[0].vfs_file != nullptr
                                                     : CollectVfsStats(db, table, &vfs_rows));
  if (vfs_named && rc == SQLITE_OK) {
    targets.clear();
    CollectVfsStats(db, table, &vfs_rows);
  }
  if (vfs_named) err->clear();
  if (rc != SQLITE_OK && !vfs_named) return rc;
  if (!args[0]) CollectVfsStats(db, "", &vfs_rows);
  for (auto& [path, m] : vfs_rows) {
    Row row{path, Cell(), m.name, Cell(), m.unit, m.description, PrettyValue(m.value, m.unit)};
    if (std::isnan(m.value))
      row[3] = row[6] = Cell();  // nothing measured yet: unknown
    else if (IsIntegerUnit(m.unit))
      row[3] = static_cast<int64_t>(m.value);
    else
      row[3] = m.value;
    rows->push_back(std::move(row));
  }
  for (const StoreTarget& t : targets) {
    std::vector<StatRow> stats;
    Status s = CollectStats(t, &stats);
    if (!s.ok()) {
      *err = "lightning_stats: " + s.ToString();
      return SQLITE_ERROR;
    }
    bool operation_rows = false;  // after the store-wide rows, before the trees'
    for (const StatRow& r : stats) {
      if (!operation_rows && !r.tree.empty()) {
        AddOperationRows(t, rows);
        operation_rows = true;
      }
      const Metric& m = r.metric;
      Row row{t.label, Cell(), m.name, Cell(), m.unit, m.description, PrettyValue(m.value, m.unit)};
      if (!r.tree.empty()) row[1] = r.tree;
      if (std::isnan(m.value)) {
        row[3] = row[6] = Cell();  // nothing measured yet: unknown
      } else if (IsIntegerUnit(m.unit)) {
        row[3] = static_cast<int64_t>(m.value);
      } else {
        row[3] = m.value;
      }
      rows->push_back(std::move(row));
    }
    if (!operation_rows) AddOperationRows(t, rows);
  }
  return SQLITE_OK;
}

// UPDATE lightning_stats SET ...: resets each store the statement touches, once.
int UpdateStats(sqlite3* db, sqlite3_value** values, uint64_t statement, std::string* err) {
  static std::mutex mu;
  static std::set<std::pair<uint64_t, DB*>> done;  // (statement, store) already reset
  const std::string label = ValueText(values[0]);
  Session* session = FindSessionByLabel(db, label);
  std::vector<std::pair<std::string, Metric>> vfs_rows;
  if (session == nullptr && CollectVfsStats(db, label, &vfs_rows)) return SQLITE_OK;  // not reset
  if (session == nullptr) {
    *err = "lightning_stats: store " + label + " is not open on this connection";
    return SQLITE_ERROR;
  }
  std::lock_guard<std::mutex> lock(mu);
  if (done.size() > 1024) done.clear();
  if (done.insert({statement, session->db()}).second) session->db()->ResetStats();
  return SQLITE_OK;
}

const TvfSpec kStats = {
    .name = "lightning_stats",
    .schema =
        "CREATE TABLE x("
        " store TEXT,"       /* 0 the store's path, or :memory: */
        " tree TEXT,"        /* 1 NULL for store-wide figures, else the tree (table) */
        " name TEXT,"        /* 2 metric name */
        " value,"            /* 3 INTEGER for counts and bytes, else REAL */
        " unit TEXT,"        /* 4 count, bytes, seconds, ratio, ... */
        " description TEXT," /* 5 one line */
        " pretty TEXT,"      /* 6 value in human units: 9.4 MiB, 850.0 us, 1,234,567 */
        " table_name HIDDEN" /* 7 argument: a lightning table */
        ")",
    .num_columns = 8,
    .num_args = 1,
    .required_args = 0,
    .usage = "lightning_stats([table])",
    .fill = FillStats,
    .update = UpdateStats,
};

// lightning_stats_reset([table]): resets the counters of the table's store
// (every store of the connection without an argument); returns how many.
void ResetFunc(sqlite3_context* ctx, int argc, sqlite3_value** argv) noexcept {
  GuardedResult(ctx, [&] {
    sqlite3* db = sqlite3_context_db_handle(ctx);
    if (argc == 1 && sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);
    std::string table = argc == 1 ? ValueText(argv[0]) : "";
    std::vector<StoreTarget> targets;
    std::string err;
    if (FindStores(db, argc == 1 ? table.c_str() : nullptr, &targets, &err) != SQLITE_OK)
      return sqlite3_result_error(ctx, ("lightning_stats_reset: " + err).c_str(), -1);
    size_t reset = 0;
    for (const StoreTarget& t : targets) {
      if (t.vfs_file != nullptr) continue;  // the VFS's counters are never reset (docs/vfs.md)
      t.db->ResetStats();
      reset++;
    }
    sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(reset));
  });
}

}  // namespace

int RegisterStatsFunctions(sqlite3* db) {
  int rc = RegisterTvf(db, &kStats);
  for (int n = 0; n <= 1 && rc == SQLITE_OK; n++) {
    rc = sqlite3_create_function_v2(db, "lightning_stats_reset", n, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                    nullptr, ResetFunc, nullptr, nullptr, nullptr);
  }
  return rc;
}

}  // namespace lightning::ext
