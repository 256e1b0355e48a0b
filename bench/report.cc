#include "bench/report.h"

#include <algorithm>
#include <cmath>

#include "bench/bench_util.h"

namespace lightning_bench {

namespace {

double Median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return x < 0; }), v.end());
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

std::vector<Aggregate> AggregateRows(const std::vector<RowResult>& rows,
                                     const std::vector<std::string>& workload_order,
                                     const std::vector<std::string>& engine_order) {
  std::vector<Aggregate> out;
  for (const std::string& w : workload_order) {
    for (const std::string& e : engine_order) {
      Aggregate agg;
      agg.engine = e;
      agg.workload = w;
      for (const RowResult& r : rows) {
        if (r.engine != e || r.workload != w) continue;
        agg.runs.push_back(r);
        if (!r.ok && agg.ok) {
          agg.ok = false;
          agg.error = "run " + std::to_string(r.run) + ": " + r.error;
        }
      }
      if (agg.runs.empty()) continue;
      RowResult& m = agg.median;
      m.engine = e;
      m.workload = w;
      m.ok = agg.ok;
      m.error = agg.error;
      m.note = agg.runs.front().note;
      std::vector<double> ops;
      for (const RowResult& r : agg.runs) {
        if (r.ok) ops.push_back(static_cast<double>(r.ops));
      }
      m.ops = static_cast<uint64_t>(std::max(0.0, Median(ops)));
      for (const RowField& f : kRowFields) {
        std::vector<double> vals;
        for (const RowResult& r : agg.runs) {
          if (r.ok) vals.push_back(r.*f.member);
        }
        m.*f.member = Median(vals);
      }
      out.push_back(std::move(agg));
    }
  }
  return out;
}

const Aggregate* FindAggregate(const std::vector<Aggregate>& aggs, const std::string& engine,
                               const std::string& workload) {
  for (const Aggregate& a : aggs) {
    if (a.engine == engine && a.workload == workload) return &a;
  }
  return nullptr;
}

std::string FormatMetric(double v, int decimals) {
  if (v < 0) return "-";
  if (decimals == 0) return WithCommas(v);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string FormatMiB(double bytes) {
  if (bytes < 0) return "-";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.1f", bytes / (1024.0 * 1024.0));
  return buf;
}

namespace {
int LatencyDecimals(double us) { return us >= 0 && us < 100 ? 2 : 0; }
}  // namespace

void PrintTable(FILE* out, const std::vector<Aggregate>& aggs) {
  std::fprintf(out, "%-18s %-10s %14s %10s %9s %9s %9s %10s %9s %9s  %s\n", "workload", "engine",
               "ops/s", "MB/s", "p50 us", "p95 us", "p99 us", "p99.9 us", "file MiB", "RSS MiB",
               "status");
  std::string last;
  for (const Aggregate& a : aggs) {
    const RowResult& m = a.median;
    if (!last.empty() && last != a.workload) std::fprintf(out, "\n");
    last = a.workload;
    std::string status = a.ok ? "ok" : "FAIL: " + a.error;
    if (a.ok) {
      std::fprintf(out, "%-18s %-10s %14s %10s %9s %9s %9s %10s %9s %9s  %s\n", a.workload.c_str(),
                   a.engine.c_str(), FormatMetric(m.ops_per_sec, 0).c_str(),
                   FormatMetric(m.mb_per_sec, 1).c_str(),
                   FormatMetric(m.p50_us, LatencyDecimals(m.p50_us)).c_str(),
                   FormatMetric(m.p95_us, LatencyDecimals(m.p95_us)).c_str(),
                   FormatMetric(m.p99_us, LatencyDecimals(m.p99_us)).c_str(),
                   FormatMetric(m.p999_us, LatencyDecimals(m.p999_us)).c_str(),
                   FormatMiB(m.file_bytes).c_str(), FormatMiB(m.peak_rss_bytes).c_str(),
                   status.c_str());
    } else {
      std::fprintf(out, "%-18s %-10s %s\n", a.workload.c_str(), a.engine.c_str(), status.c_str());
    }
  }
}

void PrintMatrix(FILE* out, const std::vector<Aggregate>& aggs,
                 const std::vector<std::string>& workloads,
                 const std::vector<std::string>& engines) {
  std::fprintf(out, "%-18s", "ops/s (median)");
  for (const auto& e : engines) std::fprintf(out, " %14s", e.c_str());
  std::fprintf(out, "\n");
  for (const auto& w : workloads) {
    bool any = false;
    for (const auto& e : engines) any |= FindAggregate(aggs, e, w) != nullptr;
    if (!any) continue;
    std::fprintf(out, "%-18s", w.c_str());
    for (const auto& e : engines) {
      const Aggregate* a = FindAggregate(aggs, e, w);
      std::string cell = !a ? "" : !a->ok ? "FAIL" : FormatMetric(a->median.ops_per_sec, 0);
      std::fprintf(out, " %14s", cell.c_str());
    }
    std::fprintf(out, "\n");
  }
}

// ---- goals ---------------------------------------------------------------

namespace {

enum class Metric { kOps, kMBps, kP99, kP999, kFile, kRss };

double Get(const RowResult& r, Metric m) {
  switch (m) {
    case Metric::kOps:
      return r.ops_per_sec;
    case Metric::kMBps:
      return r.mb_per_sec;
    case Metric::kP99:
      return r.p99_us;
    case Metric::kP999:
      return r.p999_us;
    case Metric::kFile:
      return r.file_bytes;
    case Metric::kRss:
      return r.peak_rss_bytes;
  }
  return -1;
}

const char* Unit(Metric m) {
  switch (m) {
    case Metric::kOps:
      return "ops/s";
    case Metric::kMBps:
      return "MB/s";
    case Metric::kP99:
      return "us p99";
    case Metric::kP999:
      return "us p99.9";
    case Metric::kFile:
      return "file size";
    case Metric::kRss:
      return "peak RSS";
  }
  return "";
}

// Looks up a measured value; on failure explains why in *why.
bool Lookup(const std::vector<Aggregate>& aggs, const std::string& engine,
            const std::string& workload, Metric m, double* value, std::string* why) {
  const Aggregate* a = FindAggregate(aggs, engine, workload);
  if (!a) {
    *why = engine + " " + workload + " was not run";
    return false;
  }
  if (!a->ok) {
    *why = engine + " " + workload + " failed (" + a->error + ")";
    return false;
  }
  *value = Get(a->median, m);
  if (*value < 0) {
    *why = engine + " " + workload + " has no " + Unit(m) + " figure";
    return false;
  }
  return true;
}

std::string Num(double v, Metric m) {
  if (m == Metric::kP99 || m == Metric::kP999) return FormatMetric(v, 2);
  if (m == Metric::kFile || m == Metric::kRss) return FormatMiB(v) + " MiB";
  return WithCommas(v);
}

// Goal: lightning.metric(wl_a) compared with factor x base_engine.metric(wl_b).
GoalResult Ratio(const std::vector<Aggregate>& aggs, const std::string& goal,
                 const std::string& wl_a, Metric m, const std::string& base_engine,
                 const std::string& wl_b, double factor, bool at_least) {
  GoalResult g;
  g.goal = goal;
  double a = 0, b = 0;
  std::string why;
  if (!Lookup(aggs, "lightning", wl_a, m, &a, &why) ||
      !Lookup(aggs, base_engine, wl_b, m, &b, &why)) {
    g.verdict = "not measured: " + why;
    return g;
  }
  // Verdict on the median of per-run ratios (both sides measured in the same
  // run, minutes apart), which drift on a shared machine disturbs less than a
  // ratio of medians taken from different runs; both are shown.
  const Aggregate* agg_a = FindAggregate(aggs, "lightning", wl_a);
  const Aggregate* agg_b = FindAggregate(aggs, base_engine, wl_b);
  std::vector<double> paired;
  std::string per_run;
  for (const RowResult& ra : agg_a->runs) {
    for (const RowResult& rb : agg_b->runs) {
      const double va = Get(ra, m), vb = Get(rb, m);
      if (ra.run != rb.run || !ra.ok || !rb.ok || va < 0 || vb <= 0) continue;
      paired.push_back(va / vb);
      char one[32];
      std::snprintf(one, sizeof(one), "%s%.2f", per_run.empty() ? "" : ", ", va / vb);
      per_run += one;
    }
  }
  std::sort(paired.begin(), paired.end());
  const double of_medians = b > 0 ? a / b : 0;
  double ratio = of_medians;
  if (!paired.empty()) {
    const size_t n = paired.size();
    ratio = n % 2 ? paired[n / 2] : (paired[n / 2 - 1] + paired[n / 2]) / 2;
  }
  char buf[400];
  if (paired.size() > 1) {
    std::snprintf(
        buf, sizeof(buf), "%.2fx median of per-run ratios (%s); medians: lightning %s vs %s %s %s",
        ratio, per_run.c_str(), Num(a, m).c_str(), base_engine.c_str(), Num(b, m).c_str(), Unit(m));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2fx (lightning %s vs %s %s %s)", ratio, Num(a, m).c_str(),
                  base_engine.c_str(), Num(b, m).c_str(), Unit(m));
  }
  g.measured = buf;
  bool met = at_least ? ratio >= factor : ratio <= factor;
  g.verdict = met ? "MET" : "NOT MET";
  return g;
}

GoalResult Absolute(const std::vector<Aggregate>& aggs, const std::string& goal,
                    const std::string& wl, Metric m, double limit, bool at_least, double scale,
                    const char* unit) {
  GoalResult g;
  g.goal = goal;
  double a = 0;
  std::string why;
  if (!Lookup(aggs, "lightning", wl, m, &a, &why)) {
    g.verdict = "not measured: " + why;
    return g;
  }
  char buf[200];
  std::snprintf(buf, sizeof(buf), "%.2f %s (limit %.2f %s)", a / scale, unit, limit / scale, unit);
  g.measured = buf;
  g.verdict = (at_least ? a >= limit : a <= limit) ? "MET" : "NOT MET";
  return g;
}

}  // namespace

std::vector<GoalResult> EvaluateGoals(const std::vector<Aggregate>& aggs, uint64_t small_cache) {
  std::vector<GoalResult> g;
  g.push_back(Ratio(aggs, "readrandom 1 thread >= 1.5x LMDB", "readrandom", Metric::kOps, "lmdb",
                    "readrandom", 1.5, true));
  g.push_back(Ratio(aggs, "readrandom 2 threads >= 1.5x LMDB", "readrandom_2t", Metric::kOps,
                    "lmdb", "readrandom_2t", 1.5, true));
  g.push_back(Ratio(aggs, "readrandom 1 thread p99 <= LMDB p99", "readrandom", Metric::kP99, "lmdb",
                    "readrandom", 1.0, false));
  g.push_back(Ratio(aggs, "readrandom 1 thread p99.9 <= 2x LMDB p99.9", "readrandom", Metric::kP999,
                    "lmdb", "readrandom", 2.0, false));
  g.push_back(Ratio(aggs, "readrandom 2 threads p99 <= LMDB p99", "readrandom_2t", Metric::kP99,
                    "lmdb", "readrandom_2t", 1.0, false));
  g.push_back(Ratio(aggs, "readrandom 2 threads p99.9 <= 2x LMDB p99.9", "readrandom_2t",
                    Metric::kP999, "lmdb", "readrandom_2t", 2.0, false));
  g.push_back(Ratio(aggs, "fillrandom >= 1.0x LevelDB", "fillrandom", Metric::kOps, "leveldb",
                    "fillrandom", 1.0, true));
  g.push_back(
      Ratio(aggs, "fillseq >= 1.0x LMDB", "fillseq", Metric::kOps, "lmdb", "fillseq", 1.0, true));
  g.push_back(
      Ratio(aggs, "readseq >= 1.0x LMDB", "readseq", Metric::kOps, "lmdb", "readseq", 1.0, true));
  g.push_back(Ratio(aggs, "mixed 80/20 >= 2x LevelDB", "mixed_80_20", Metric::kOps, "leveldb",
                    "mixed_80_20", 2.0, true));
  g.push_back(Ratio(aggs, "durable commits, 1 writer >= 0.9x raw 4 KiB append+fdatasync",
                    "durable_1w", Metric::kOps, "machine", "fsync4k_append", 0.9, true));
  g.push_back(Ratio(aggs, "durable commits, 4 writers >= 2.5x Lightning's 1-writer rate",
                    "durable_4w", Metric::kOps, "lightning", "durable_1w", 2.5, true));
  g.push_back(Absolute(aggs, "1 MiB values via zero-copy view >= 5 GB/s", "read1m_view",
                       Metric::kMBps, 5000, true, 1000, "GB/s"));
  g.push_back(Ratio(aggs, "compressible values (lz4): file <= 0.6x LMDB's", "compressible",
                    Metric::kFile, "lmdb", "compressible", 0.6, false));
  g.push_back(Ratio(aggs, "compressible values (lz4): file <= LevelDB's", "compressible",
                    Metric::kFile, "leveldb", "compressible", 1.0, false));
  g.push_back(Absolute(
      aggs, "larger-than-cache: peak RSS <= cache_size + 64 MiB", "larger_than_cache", Metric::kRss,
      static_cast<double>(small_cache + (64ull << 20)), false, 1024.0 * 1024.0, "MiB"));
  return g;
}

std::vector<GoalResult> EvaluateSqlGoals(const std::vector<Aggregate>& aggs) {
  std::vector<GoalResult> g;
  g.push_back(Ratio(aggs, "SQL point lookups >= 1.3x native", "point_lookup", Metric::kOps,
                    "native", "point_lookup", 1.3, true));
  g.push_back(Ratio(aggs, "SQL range scans >= 1.0x native", "range_scan", Metric::kOps, "native",
                    "range_scan", 1.0, true));
  g.push_back(Ratio(aggs, "SQL full scans >= 1.0x native", "full_scan", Metric::kOps, "native",
                    "full_scan", 1.0, true));
  g.push_back(Ratio(aggs, "SQL bulk insert >= 2x native", "bulk_insert", Metric::kOps, "native",
                    "bulk_insert", 2.0, true));
  g.push_back(Ratio(aggs, "SQL autocommit updates >= 1.0x native", "autocommit_update",
                    Metric::kOps, "native", "autocommit_update", 1.0, true));
  g.push_back(Ratio(aggs, "SQL concurrent inserts (4 connections) >= 2x native",
                    "concurrent_insert", Metric::kOps, "native", "concurrent_insert", 2.0, true));
  // Issue 13: secondary indexes.
  g.push_back(Ratio(aggs, "SQL lookups through a secondary index >= 1.2x native", "index_lookup",
                    Metric::kOps, "native", "index_lookup", 1.2, true));
  g.push_back(Ratio(aggs, "SQL inserts with two secondary indexes >= 1.0x native", "indexed_insert",
                    Metric::kOps, "native", "indexed_insert", 1.0, true));
  return g;
}

void PrintGoals(FILE* out, const std::vector<GoalResult>& goals) {
  for (const GoalResult& g : goals) {
    std::fprintf(out, "  %-62s %-9s %s\n", g.goal.c_str(),
                 g.verdict.rfind("not measured", 0) == 0 ? "-" : g.verdict.c_str(),
                 g.measured.empty() ? g.verdict.c_str() : g.measured.c_str());
  }
}

}  // namespace lightning_bench
