// Store statistics as the lightning_*() functions report them: the engine's
// metrics (DB::Metrics), a few derived from them, and per-tree figures.
//
// Thread safety: as the DB calls it makes (any thread).
#pragma once

#include <string>
#include <vector>

#include "engine/db.h"
#include "ext/store_lookup.h"

namespace lightning::ext {

struct StatRow {
  std::string tree;  // empty for store-wide figures
  Metric metric;
};

// Every figure of `target`'s store; per-tree rows for its table only when
// target.one_table, else for every tree (the saved-settings tree excepted).
Status CollectStats(const StoreTarget& target, std::vector<StatRow>* rows);

// True for counters (they only grow until a reset); false for gauges.
bool IsCounterMetric(const std::string& name);

// Units whose values are whole numbers.
bool IsIntegerUnit(const std::string& unit);

}  // namespace lightning::ext
