// Advisor: rules over a store's live statistics, each producing a
// recommendation with its evidence (the measured values that triggered it),
// the effect to expect, and the exact SQL that applies it.
//
// Rules (ids as in lightning_recommendations.rule):
//   cache_too_small         point lookups miss a cache smaller than the store
//   scans_miss_cache        scans miss the cache (read-ahead overlaps, cannot avoid, the reads)
//   tiny_durable_commits    many commits of few changes, each with its own fsync
//   long_snapshot           an old snapshot pins replaced pages
//   incompressible_data     compression on, pages do not shrink
//   writer_lock_waits       writers wait for (or give up on) the writer lock
//   compaction_space        free space inside the file that compaction returns
//
// Every threshold is a constant in advisor.cc, and every figure in a
// recommendation is one measured (or computed from measured ones, saying
// how); none is invented. No SQLite here: the SQL is text.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lightning/options.h"

namespace lightning::ext {

struct AdvisorInput {
  std::map<std::string, double> metrics;  // DB::Metrics by name
  Options options;                        // the store's current options
  std::string table;                      // a lightning table of the store, for the SQL
  bool in_memory = false;
  double fsync_mean_seconds = 0;  // lightning_latency: fsync mean
  double fsync_seconds = 0;       // sum of timed fsyncs
  double compress_seconds = 0;    // lightning_profile: compress
  uint64_t physical_memory = 0;   // bytes; 0 when unknown
};

struct Recommendation {
  std::string rule;
  std::string severity;  // high, medium, low
  std::string title;
  // A JSON object: "table" (the table the SQL names), then each metric that
  // triggered the rule -> its measured value (null when not finite).
  std::string evidence;
  std::string effect;
  std::string sql;
};

std::vector<Recommendation> Advise(const AdvisorInput& in);

}  // namespace lightning::ext
