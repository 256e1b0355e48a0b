#include "ext/store_stats.h"

#include <cmath>
#include <cstdio>
#include <set>

#include "ext/settings.h"
#include "ext/vtab/vtab_secondary.h"
#include "vfs/lightning_vfs.h"

namespace lightning::ext {

namespace {

double Value(const std::vector<Metric>& metrics, const char* name) {
  for (const Metric& m : metrics)
    if (m.name == name) return m.value;
  return 0;
}

// Figures with nothing measured behind them become kUnknown: a hit rate with
// no page access, a batch size with no batch, rates over no interval (the
// first read of a store). (The engine reports an unknown compression_ratio
// itself.)
void MarkUnmeasured(std::vector<Metric>* metrics) {
  const bool accesses = Value(*metrics, "cache_hits") + Value(*metrics, "cache_misses") > 0;
  const bool batches = Value(*metrics, "group_commit_batches") > 0;
  const bool interval = Value(*metrics, "interval_seconds") > 0;
  for (Metric& m : *metrics) {
    const std::string& n = m.name;
    const bool unknown =
        (n == "cache_hit_rate" && !accesses) || (n == "group_commit_avg_batch" && !batches) ||
        ((n == "interval_seconds" || n.find("_per_second") != std::string::npos) && !interval);
    if (unknown) m.value = kUnknown;
  }
}

// A VFS database's metrics: MarkUnmeasured, and a compression_ratio the
// engine cannot know (the database's pages are blobs) measured on the file
// when it holds every page: the database's bytes over the store's bytes.
std::vector<Metric> VfsMetrics(std::vector<Metric> metrics) {
  MarkUnmeasured(&metrics);
  const double data = Value(metrics, "vfs_file_size");
  const double stored = Value(metrics, "file_size") - Value(metrics, "free_bytes");
  for (Metric& m : metrics) {
    if (m.name == "compression_ratio" && std::isnan(m.value) && data > 0 && stored > 0 &&
        Value(metrics, "dirty_bytes") == 0) {
      m.value = data / stored;
      m.description =
          "database bytes (vfs_file_size) / bytes of the store's file in use; "
          "after a checkpoint, raw / stored page bytes of the checkpoints";
    }
  }
  return metrics;
}

}  // namespace

Status CollectStats(const StoreTarget& target, std::vector<StatRow>* rows) {
  rows->clear();
  std::vector<Metric> metrics = target.db->Metrics();
  MarkUnmeasured(&metrics);
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
    if (t.name == kSettingsTree || t.name == kIndexCatalogTree) continue;
    // A named table: its tree and its entry trees ("<table>\x1f...": UNIQUE
    // constraints, secondary indexes).
    const bool table_tree = t.name == target.table || t.name.rfind(target.table + '\x1f', 0) == 0;
    if (target.one_table && !table_tree) continue;
    rows->push_back(StatRow{t.name, Metric{"entries", static_cast<double>(t.entries), "count",
                                           "keys (rows, or a constraint's entries) in the tree"}});
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
                                                  "readahead_pages",
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
      for (Metric& m : VfsMetrics(std::move(metrics)))
        rows->emplace_back(sqlite3_db_filename(db, name.c_str()), std::move(m));
      return true;
    }
  }
  bool found = false;
  vfs::ForEachOpenDatabase([&](const std::string& db_path, const std::vector<Metric>& metrics) {
    if (!path.empty() && db_path != path) return;
    found = true;
    for (Metric& m : VfsMetrics(metrics)) rows->emplace_back(db_path, std::move(m));
  });
  return found;
}

std::string PrettyValue(double v, const std::string& unit) {
  char buf[64];
  if (std::isnan(v)) return "";
  if (unit == "bytes" || unit == "bytes/s") {
    static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    double x = v;
    while (u < 5 && std::fabs(x) >= 1024) {
      x /= 1024;
      u++;
    }
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", x, kUnits[u]);
    return std::string(buf) + (unit == "bytes/s" ? "/s" : "");
  }
  if (unit == "seconds") {
    const double a = std::fabs(v);
    if (a == 0) return "0 s";
    if (a < 1e-3) {
      std::snprintf(buf, sizeof buf, "%.1f us", v * 1e6);
    } else if (a < 1) {
      std::snprintf(buf, sizeof buf, "%.1f ms", v * 1e3);
    } else if (a < 3600) {
      std::snprintf(buf, sizeof buf, "%.2f s", v);
    } else {
      std::snprintf(buf, sizeof buf, "%.1f h", v / 3600);
    }
    return buf;
  }
  if (unit == "ratio") {
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
  }
  // Counts and the rest: whole numbers with thousands separators.
  if (v == std::floor(v) && std::fabs(v) < 9e15) {
    std::string digits = std::to_string(static_cast<long long>(std::fabs(v))), out;
    for (size_t i = 0; i < digits.size(); i++) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return (v < 0 ? "-" : "") + out + (unit == "count" || unit == "lsn" ? "" : " " + unit);
  }
  std::snprintf(buf, sizeof buf, "%.1f %s", v, unit.c_str());
  return buf;
}

bool IsIntegerUnit(const std::string& unit) {
  return unit == "count" || unit == "bytes" || unit == "lsn";
}

}  // namespace lightning::ext
