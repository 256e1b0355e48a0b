// Store statistics as the lightning_*() functions report them: the engine's
// metrics (DB::Metrics), a few derived from them, and per-tree figures.
//
// Thread safety: as the DB calls it makes (any thread).
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "ext/store_lookup.h"
#include "lightning/db.h"

namespace lightning::ext {

struct StatRow {
  std::string tree;  // empty for store-wide figures
  Metric metric;
};

// The value of a figure that nothing measured yet (lightning_stats shows
// NULL, lightning_metrics leaves the sample out). Test with std::isnan.
inline const double kUnknown = std::numeric_limits<double>::quiet_NaN();

// Every figure of `target`'s store; per-tree rows (entries, depth) for every
// tree (the saved-settings tree excepted), or, when target.one_table, for
// the table's tree and its entry trees ("<table>\x1f...": UNIQUE, indexes).
// No per-tree bytes: the engine keeps no such figure, and counting them by a
// scan would change the counters these rows sit beside (cursor_steps).
Status CollectStats(const StoreTarget& target, std::vector<StatRow>* rows);

// True for counters (they only grow until a reset); false for gauges.
bool IsCounterMetric(const std::string& name);

// `v` in human units, for reading: "9.4 MiB", "850.0 us", "1,234,567",
// "2.3 MiB/s"; "" for kUnknown.
std::string PrettyValue(double v, const std::string& unit);

// Units whose values are whole numbers.
bool IsIntegerUnit(const std::string& unit);

// --- lightning VFS databases (vfs/lightning_vfs.h) ---
// The counters of databases open through the lightning VFS, each under the
// database's path. `name` empty: every such database open in this process;
// otherwise the one whose path is `name` or that `db` has open as schema
// `name` ("main", an attached name). Appends (path, metric) pairs; returns
// false when `name` matched no VFS database.
bool CollectVfsStats(sqlite3* db, const std::string& name,
                     std::vector<std::pair<std::string, Metric>>* rows);

}  // namespace lightning::ext
