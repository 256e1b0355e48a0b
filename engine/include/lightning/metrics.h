// Metrics: the plain figures a store reports about itself — DB::Metrics(),
// DB::Latency() and DB::Profile() return these. Values, no behaviour; every
// figure is computed from what happened, never estimated without saying so.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lightning {

// One figure reported by DB::Metrics(): computed from what happened.
struct Metric {
  std::string name;  // "cache_hits"
  double value = 0;  // NaN: unknown, nothing measured yet (compression_ratio)
  std::string unit;  // "count", "bytes", "ratio", "seconds", ...
  std::string description;
};

// One operation's latency, from DB::Latency().
struct LatencySummary {
  std::string operation;  // get, put, delete, seek, scan_step, commit, fsync, checkpoint
  // Operations done, from the operation counters (exact): committed puts,
  // deletes of existing keys, commits with changes, fsyncs of both files.
  uint64_t count = 0;
  uint64_t samples = 0;  // operations timed (all of them unless `sampled`)
  bool sampled = false;  // true: one in `sampled_every` is timed
  // 64 (per thread and kind) for gets, puts, deletes, seeks; 1024 (per cursor)
  // for scan steps; 1 when every operation is timed.
  uint32_t sampled_every = 1;
  // Seconds, from the timed samples; percentiles are exact to within 12.5%.
  double mean = 0, p50 = 0, p95 = 0, p99 = 0, p999 = 0, max = 0, sum = 0;
  // (upper bound in seconds, timed samples <= it), at powers of two of
  // nanoseconds from 1 us to 2^35 ns (~34 s): cumulative, as Prometheus wants.
  std::vector<std::pair<double, uint64_t>> buckets;
};

// One row of a profile report (see DB::Profile in db.h).
struct ProfileRow {
  std::string component;  // a component name, "unattributed" or "total"
  double seconds = 0;     // estimated time, scaled up from the measured operations
  double share = 0;       // seconds / total seconds
  uint64_t measured = 0;  // measured operations that spent time here
  std::string method;     // how it was measured
  std::string description;
};

}  // namespace lightning
