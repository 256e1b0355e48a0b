#include "ext/store_stats.h"

#include <set>

#include "ext/settings.h"
#include "vfs/lightning_vfs.h"

namespace lightning::ext {

Status CollectStats(const StoreTarget& target, std::vector<StatRow>* rows) {
  rows->clear();
  std::vector<Metric> metrics = target.db->Metrics();
  double memory = 0, fsyncs = 0;
  for (const Metric& m : metrics) {
    if (m.name == "cache_used" || m.name.rfind("memory_", 0) == 0) memory += m.value;
    if (m.name == "wal_fsyncs" || m.name == "data_fsyncs") fsyncs += m.value;
    rows->push_back(StatRow{"", m});
  }
  rows->push_back(
      StatRow{"", Metric{"fsyncs", fsyncs, "count", "fsyncs of the WAL and the data file"}});
  rows->push_back(StatRow{"", Metric{"memory_total", memory, "bytes",
                                     "cache_used + memory_page_table + memory_wal_buffer"}});
  auto r = target.db->BeginRead();
  if (!r.ok()) return r.status();
  std::vector<TreeInfo> trees;
  LIGHTNING_RETURN_IF_ERROR(r.value()->ListTrees(&trees));
  for (const TreeInfo& t : trees) {
    if (t.name == kSettingsTree) continue;
    if (target.one_table && t.name != target.table) continue;
    rows->push_back(StatRow{t.name, Metric{"entries", static_cast<double>(t.entries), "count",
                                           "keys (rows) in the tree"}});
    rows->push_back(StatRow{t.name, Metric{"depth", static_cast<double>(t.depth), "count",
                                           "levels of the B+tree (0: empty, 1: one leaf)"}});
  }
  return Status::OK();
}

bool IsCounterMetric(const std::string& name) {
  static const std::set<std::string> kCounters = {"gets",
                                                  "get_misses",
                                                  "puts",
                                                  "deletes",
                                                  "cursor_seeks",
                                                  "cursor_steps",
                                                  "read_txns",
                                                  "write_txns",
                                                  "commits",
                                                  "aborts",
                                                  "cache_hits",
                                                  "cache_misses",
                                                  "cache_evictions",
                                                  "bytes_read",
                                                  "bytes_written",
                                                  "wal_bytes",
                                                  "data_fsyncs",
                                                  "wal_fsyncs",
                                                  "fsyncs",
                                                  "group_commit_batches",
                                                  "group_commit_commits",
                                                  "checkpoints",
                                                  "checkpoint_pages",
                                                  "checkpoint_seconds",
                                                  "compression_raw_bytes",
                                                  "compression_stored_bytes",
                                                  "checksum_failures",
                                                  "writer_waits",
                                                  "writer_wait_seconds",
                                                  "writer_busy",
                                                  "stats_resets"};
  return kCounters.count(name) > 0;
}

// --- lightning VFS databases ---
bool CollectVfsStats(sqlite3* db, const std::string& name,
                     std::vector<std::pair<std::string, Metric>>* rows) {
  std::string path = name;
  if (!name.empty()) {
    sqlite3_file* file = nullptr;
    std::vector<Metric> metrics;
    if (sqlite3_file_control(db, name.c_str(), SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK &&
        vfs::FileMetrics(file, &metrics)) {
      for (Metric& m : metrics)
        rows->emplace_back(sqlite3_db_filename(db, name.c_str()), std::move(m));
      return true;
    }
  }
  bool found = false;
  vfs::ForEachOpenDatabase([&](const std::string& db_path, const std::vector<Metric>& metrics) {
    if (!path.empty() && db_path != path) return;
    found = true;
    for (const Metric& m : metrics) rows->emplace_back(db_path, m);
  });
  return found;
}

bool IsIntegerUnit(const std::string& unit) {
  return unit == "count" || unit == "bytes" || unit == "lsn";
}

}  // namespace lightning::ext
