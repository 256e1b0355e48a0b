/*
** lightning_metrics([table]): every statistic, latency histogram and profile
** figure of the stores, in the Prometheus text exposition format (0.0.4).
**
** USAGE
**
**   SELECT lightning_metrics();               -- every store of this connection
**   SELECT metrics FROM lightning_metrics('users');
**   sqlite3 app.db -cmd '.load ./lightning' 'SELECT lightning_metrics()' > metrics.prom
**
** EXAMPLE
**
**   # HELP lightning_cache_hits_total page accesses served from the cache
**   # TYPE lightning_cache_hits_total counter
**   lightning_cache_hits_total{store="/srv/app.db-lightning"} 40211
**   # TYPE lightning_latency_seconds histogram
**   lightning_latency_seconds_bucket{store="/srv/app.db-lightning",op="get",le="1.024e-06"} 1203
**   ...
**
** IMPLEMENTATION NOTES
**
**   Names follow Prometheus's conventions: the base unit is a suffix
**   (lightning_read_bytes_total, lightning_cache_size_bytes,
**   lightning_oldest_snapshot_age_seconds) and counters (they only grow until
**   a reset) are typed counter and end in _total; everything else is a gauge.
**   A figure nothing has measured yet (a hit rate without page accesses, a
**   rate on the first read) has no sample. Every metric carries a store label; per-tree gauges a
*tree label.
**   lightning_latency_seconds is a histogram per operation with buckets at
**   powers of two of nanoseconds (2^10 ns ~ 1 us to 2^35 ns ~ 34 s); it
**   counts the timed samples (1 in 64 gets, puts, deletes and seeks, 1 in 1024
**   scan steps; every commit, fsync and checkpoint), so its _count is the number
**   of samples; the exact operation counts are the counters (gets_total ...).
**   lightning_profile_seconds_total is the profile's estimate per component.
**
** LIMITATIONS
**
**   A reset (lightning_stats_reset) zeroes the counters, which Prometheus
**   reads as a counter reset. Reading the metrics starts a new interval for
**   the *_per_second gauges (as lightning_stats does).
*/
#include <cmath>
#include <cstdio>
#include <map>

#include "ext/functions/functions.h"
#include "ext/functions/tvf.h"
#include "ext/store_stats.h"
#include "vfs/guarded_call.h"

namespace lightning::ext {
namespace {

std::string Escape(const std::string& s, bool label) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && label)
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The Prometheus name of a store figure (the naming conventions): the base
// unit as a suffix (bytes_read -> read_bytes, cache_size -> cache_size_bytes,
// oldest_snapshot_age -> oldest_snapshot_age_seconds), and _total after it
// for counters (read_bytes_total).
std::string PrometheusName(const Metric& m, bool counter) {
  std::string name = m.name;
  if (m.unit == "bytes") {
    if (name.rfind("bytes_", 0) == 0) {
      name = name.substr(6) + "_bytes";
    } else if (!EndsWith(name, "_bytes")) {
      name += "_bytes";
    }
  } else if (m.unit == "seconds" && !EndsWith(name, "_seconds")) {
    name += "_seconds";
  }
  return "lightning_" + name + (counter ? "_total" : "");
}

// Families in first-seen order, each with its HELP, TYPE and sample lines.
class Exposition {
 public:
  void Sample(const std::string& family, const char* type, const std::string& help,
              const std::string& suffix, const std::string& labels, double value) {
    auto it = index_.find(family);
    if (it == index_.end()) {
      it = index_.emplace(family, families_.size()).first;
      families_.push_back({family, type, help, ""});
    }
    families_[it->second].lines += family + suffix + "{" + labels + "} " + Number(value) + "\n";
  }
  std::string Text() const {
    std::string out;
    for (const auto& f : families_) {
      out += "# HELP " + f.name + " " + Escape(f.help, false) + "\n";
      out += "# TYPE " + f.name + " " + f.type + "\n" + f.lines;
    }
    return out;
  }

 private:
  struct Family {
    std::string name, type, help, lines;
  };
  std::map<std::string, size_t> index_;
  std::vector<Family> families_;
};

int Build(sqlite3* db, const char* table, std::string* text, std::string* err) {
  std::vector<StoreTarget> targets;
  int rc = FindStores(db, table, &targets, err);
  if (rc != SQLITE_OK) return rc;
  Exposition x;
  for (const StoreTarget& t : targets) {
    const std::string store = "store=\"" + Escape(t.label, true) + "\"";
    std::vector<StatRow> stats;
    Status s = CollectStats(t, &stats);
    if (!s.ok()) {
      *err = "lightning_metrics: " + s.ToString();
      return SQLITE_ERROR;
    }
    for (const StatRow& r : stats) {
      const Metric& m = r.metric;
      if (std::isnan(m.value)) continue;  // nothing measured: no sample
      if (!r.tree.empty()) {
        x.Sample("lightning_tree_" + m.name, "gauge", m.description, "",
                 store + ",tree=\"" + Escape(r.tree, true) + "\"", m.value);
      } else {
        const bool counter = IsCounterMetric(m.name);
        x.Sample(PrometheusName(m, counter), counter ? "counter" : "gauge",
                 m.description + " (" + m.unit + ")", "", store, m.value);
      }
    }
    for (const LatencySummary& l : t.db->Latency()) {
      const std::string labels = store + ",op=\"" + l.operation + "\"";
      const std::string help =
          "latency of timed operations (1 in 64 gets, puts, deletes and seeks; 1 in 1024 scan "
          "steps; every commit, fsync and checkpoint)";
      for (const auto& [bound, count] : l.buckets) {
        x.Sample("lightning_latency_seconds", "histogram", help, "_bucket",
                 labels + ",le=\"" + Number(bound) + "\"", static_cast<double>(count));
      }
      x.Sample("lightning_latency_seconds", "histogram", help, "_bucket", labels + ",le=\"+Inf\"",
               static_cast<double>(l.samples));
      x.Sample("lightning_latency_seconds", "histogram", help, "_sum", labels, l.sum);
      x.Sample("lightning_latency_seconds", "histogram", help, "_count", labels,
               static_cast<double>(l.samples));
    }
    for (const ProfileRow& p : t.db->Profile()) {
      if (p.component == "total") {
        x.Sample("lightning_profile_operations_seconds_total", "counter",
                 "estimated wall time of the engine's measured operations", "", store, p.seconds);
      } else {
        x.Sample("lightning_profile_seconds_total", "counter",
                 "estimated time of the engine's operations by component (lightning_profile)", "",
                 store + ",component=\"" + p.component + "\"", p.seconds);
      }
    }
  }
  *text = x.Text();
  return SQLITE_OK;
}

int FillMetrics(sqlite3* db, sqlite3_value** args, std::vector<Row>* rows, std::string* err) {
  std::string table = args[0] ? ValueText(args[0]) : "", text;
  int rc = Build(db, args[0] ? table.c_str() : nullptr, &text, err);
  if (rc == SQLITE_OK) rows->push_back(Row{text});
  return rc;
}

const TvfSpec kMetrics = {
    .name = "lightning_metrics",
    .schema =
        "CREATE TABLE x("
        " metrics TEXT,"     /* 0 the exposition, one text */
        " table_name HIDDEN" /* 1 argument: a lightning table (default: every store) */
        ")",
    .num_columns = 2,
    .num_args = 1,
    .required_args = 0,
    .usage = "lightning_metrics([table])",
    .fill = FillMetrics,
    .update = nullptr,
};

void MetricsFunc(sqlite3_context* ctx, int argc, sqlite3_value** argv) noexcept {
  GuardedResult(ctx, [&] {
    if (argc == 1 && sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);
    std::string table = argc == 1 ? ValueText(argv[0]) : "", text, err;
    if (Build(sqlite3_context_db_handle(ctx), argc == 1 ? table.c_str() : nullptr, &text, &err) !=
        SQLITE_OK)
      return sqlite3_result_error(ctx, ("lightning_metrics: " + err).c_str(), -1);
    sqlite3_result_text(ctx, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  });
}

}  // namespace

int RegisterMetricsFunctions(sqlite3* db) {
  int rc = RegisterTvf(db, &kMetrics);
  for (int n = 0; n <= 1 && rc == SQLITE_OK; n++) {
    rc = sqlite3_create_function_v2(db, "lightning_metrics", n, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                    nullptr, MetricsFunc, nullptr, nullptr, nullptr);
  }
  return rc;
}

}  // namespace lightning::ext
