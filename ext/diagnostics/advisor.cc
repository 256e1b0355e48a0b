#include "ext/diagnostics/advisor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace lightning::ext {
namespace {

// Thresholds. A rule needs enough activity to judge by (min_*) and a clear
// signal; tests/python/test_advisor.py creates each condition.
constexpr double kMinCacheAccesses = 1000;  // page accesses before judging the hit rate
constexpr double kLowHitRate = 0.90;
constexpr double kScanStepsMin = 10000;  // cursor steps that make a load scan-heavy...
constexpr double kScanRatio = 10;        // ...when they outnumber gets + seeks this much
constexpr double kMinCommits = 100;
constexpr double kTinyCommitOps = 4;  // changes per commit
constexpr double kSoloBatch = 1.5;    // commits per group-commit fsync
constexpr double kOldSnapshotSeconds = 10;
constexpr double kPinnedPagesMin = 64;
constexpr double kMinCompressedBytes = 1 << 20;
constexpr double kIncompressibleRatio = 1.10;
constexpr double kWaitsMin = 10;
constexpr double kWaitShare = 0.10;  // of write transactions
constexpr double kFreeBytesMin = 1 << 20;
constexpr double kFreeShare = 0.25;      // of the file
constexpr uint64_t kFrameOverhead = 64;  // bytes of Frame header per cached page
constexpr uint64_t kMiB = 1 << 20;

// The evidence object, built with nlohmann/json: names in the order added,
// text escaped, integers printed as integers, Inf and NaN (a ratio over no
// activity) as null.
class Evidence {
 public:
  explicit Evidence(const std::string& table) { json_["table"] = table; }
  Evidence& Add(const std::string& name, double v) {
    if (!std::isfinite(v)) {
      json_[name] = nullptr;
    } else if (v == std::floor(v) && std::fabs(v) < 9e15) {
      json_[name] = static_cast<int64_t>(v);
    } else {
      json_[name] = v;
    }
    return *this;
  }
  Evidence& AddText(const std::string& name, const std::string& v) {
    json_[name] = v;
    return *this;
  }
  // Invalid UTF-8 (a table name is bytes to SQLite) becomes U+FFFD.
  std::string str() const { return json_.dump(-1, ' ', false, Json::error_handler_t::replace); }

 private:
  using Json = nlohmann::ordered_json;
  Json json_;
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string ConfigSql(const std::string& table, const std::string& option,
                      const std::string& value) {
  return "UPDATE lightning_config SET value = " + Quote(value) +
         " WHERE table_name = " + Quote(table) + " AND name = " + Quote(option) + ";";
}

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string MiB(double bytes) { return Fmt("%.1f MiB", bytes / kMiB); }

struct Context {
  const AdvisorInput& in;
  double m(const char* name) const {
    auto it = in.metrics.find(name);
    return it == in.metrics.end() ? 0 : it->second;
  }
  double hit_rate() const {
    const double a = m("cache_hits") + m("cache_misses");
    return a > 0 ? m("cache_hits") / a : 1;
  }
  bool scan_heavy() const {
    return m("cursor_steps") >= kScanStepsMin &&
           m("cursor_steps") >= kScanRatio * (m("gets") + m("cursor_seeks"));
  }
  // Memory the whole store would take in the cache: every live page as a
  // frame, or the file's bytes uncompressed, whichever is larger.
  double store_cache_bytes() const {
    const double pages = m("live_pages") * (m("page_size") + kFrameOverhead);
    const double ratio = std::max(1.0, m("compression_ratio"));
    return std::max(pages, m("file_size") * ratio);
  }
  // A cache_size that holds the whole store with 25% to spare, in whole MiB,
  // at most half the machine's memory.
  uint64_t cache_target(bool* capped) const {
    double want = store_cache_bytes() * 1.25;
    *capped = false;
    if (in.physical_memory > 0 && want > in.physical_memory / 2.0) {
      want = in.physical_memory / 2.0;
      *capped = true;
    }
    return static_cast<uint64_t>(std::ceil(want / kMiB)) * kMiB;
  }
};

void CacheRule(const Context& c, bool scan, std::vector<Recommendation>* out) {
  const double accesses = c.m("cache_hits") + c.m("cache_misses");
  if (c.in.in_memory || c.scan_heavy() != scan) return;
  if (accesses < kMinCacheAccesses || c.hit_rate() >= kLowHitRate || c.m("cache_evictions") == 0)
    return;
  bool capped = false;
  const uint64_t target = c.cache_target(&capped);
  if (target <= c.in.options.cache_size) return;
  Recommendation r;
  r.rule = scan ? "scans_miss_cache" : "cache_too_small";
  r.severity = c.hit_rate() < 0.5 ? "high" : "medium";
  r.title = scan ? "Scans miss the cache and read the store from the file on every pass: "
                   "enlarge the cache"
                 : "The cache is too small for the working set: enlarge it";
  r.evidence = Evidence(c.in.table)
                   .Add("cache_hit_rate", c.hit_rate())
                   .Add("cache_hits", c.m("cache_hits"))
                   .Add("cache_misses", c.m("cache_misses"))
                   .Add("cache_evictions", c.m("cache_evictions"))
                   .Add("cache_size", static_cast<double>(c.in.options.cache_size))
                   .Add("gets", c.m("gets"))
                   .Add("cursor_seeks", c.m("cursor_seeks"))
                   .Add("cursor_steps", c.m("cursor_steps"))
                   .Add("live_pages", c.m("live_pages"))
                   .Add("page_size", c.m("page_size"))
                   .Add("store_cache_bytes", c.store_cache_bytes())
                   .str();
  r.effect =
      "The measured hit rate is " + Fmt("%.1f%%", 100 * c.hit_rate()) + " with " +
      Fmt("%.0f", c.m("cache_evictions")) + " evictions. The whole store takes about " +
      MiB(c.store_cache_bytes()) + " as cached pages (live_pages x (page_size + 64)); a cache of " +
      MiB(static_cast<double>(target)) + (capped ? " (capped at half the machine's memory)" : "") +
      " keeps pages once read, so later passes over the same data hit the cache.";
  if (scan) {
    const uint32_t ahead = c.in.options.scan_readahead;
    r.effect += ahead > 0
                    ? " Read-ahead (scan_readahead = " + std::to_string(ahead) +
                          " leaves) overlaps a scan's reads, but a scan that misses still reads "
                          "every page it visits; only a cache that holds the store avoids them."
                    : " Read-ahead is off (scan_readahead = 0): a scan that misses reads each "
                      "page with its own pread. Setting it (32 is the default) overlaps those "
                      "reads; a cache that holds the store avoids them.";
  }
  std::string value = std::to_string(target / kMiB) + "MiB";
  r.sql = ConfigSql(c.in.table, "cache_size", value);
  out->push_back(std::move(r));
}

void CommitRule(const Context& c, std::vector<Recommendation>* out) {
  const double commits = c.m("commits");
  if (c.in.in_memory || c.in.options.sync != SyncMode::kFull || commits < kMinCommits) return;
  const double ops = (c.m("puts") + c.m("deletes")) / commits;
  const double batch = c.m("group_commit_avg_batch");
  if (ops > kTinyCommitOps || batch >= kSoloBatch) return;
  Recommendation r;
  r.rule = "tiny_durable_commits";
  r.severity = "medium";
  r.title = "Many small durable commits, each waiting for its own fsync";
  r.evidence = Evidence(c.in.table)
                   .Add("commits", commits)
                   .Add("changes_per_commit", ops)
                   .Add("wal_fsyncs", c.m("wal_fsyncs"))
                   .Add("group_commit_avg_batch", batch)
                   .Add("fsync_mean_seconds", c.in.fsync_mean_seconds)
                   .Add("fsync_seconds", c.in.fsync_seconds)
                   .AddText("sync", "full")
                   .str();
  r.effect = Fmt("%.0f", commits) + " commits of " + Fmt("%.1f", ops) +
             " changes each waited for an fsync (mean " +
             Fmt("%.3f", c.in.fsync_mean_seconds * 1e3) + " ms; " +
             Fmt("%.3f", c.in.fsync_seconds) +
             " s in fsync in all). With sync=normal a commit returns once its WAL record is "
             "written and the "
             "WAL is fsynced at checkpoints: power loss can then lose the commits since the last "
             "checkpoint, "
             "never corrupt the store. Keeping sync=full and grouping statements in BEGIN ... "
             "COMMIT gives one "
             "fsync per transaction instead.";
  r.sql = ConfigSql(c.in.table, "sync", "normal");
  out->push_back(std::move(r));
}

void SnapshotRule(const Context& c, std::vector<Recommendation>* out) {
  const double age = c.m("oldest_snapshot_age"), pinned = c.m("pinned_pages");
  if (age < kOldSnapshotSeconds || pinned < kPinnedPagesMin) return;
  Recommendation r;
  r.rule = "long_snapshot";
  r.severity = age >= 60 ? "high" : "medium";
  r.title = "A long-lived snapshot keeps replaced pages alive";
  r.evidence = Evidence(c.in.table)
                   .Add("oldest_snapshot_age", age)
                   .Add("pinned_pages", pinned)
                   .Add("pinned_bytes", pinned * c.m("page_size"))
                   .Add("active_readers", c.m("active_readers"))
                   .Add("file_size", c.m("file_size"))
                   .Add("wal_size", c.m("wal_size"))
                   .str();
  r.effect =
      "A read that began " + Fmt("%.0f", age) + " s ago pins " + Fmt("%.0f", pinned) +
      " replaced pages (" + MiB(pinned * c.m("page_size")) +
      "): neither their memory nor their space in the file can be reused "
      "until it ends. Ending it lets the next commit free them. (Lightning's WAL is reset at every "
      "checkpoint whatever readers do, so a snapshot grows the pinned pages and the file, not the "
      "WAL.)";
  r.sql =
      "-- no setting fixes this: finish the long read (step the statement to its end, reset or "
      "finalize it, "
      "or close the cursor that holds it)";
  out->push_back(std::move(r));
}

void CompressionRule(const Context& c, std::vector<Recommendation>* out) {
  const double raw = c.m("compression_raw_bytes"), stored = c.m("compression_stored_bytes");
  const double ratio = c.m("compression_ratio");
  if (c.in.options.compression == Codec::kNone || raw < kMinCompressedBytes ||
      ratio >= kIncompressibleRatio)
    return;
  std::string codec;
  (void)c.in.options.Get("compression", &codec);
  Recommendation r;
  r.rule = "incompressible_data";
  r.severity = "medium";
  r.title = "The data does not compress: turn compression off";
  r.evidence = Evidence(c.in.table)
                   .AddText("compression", codec)
                   .Add("compression_ratio", ratio)
                   .Add("compression_raw_bytes", raw)
                   .Add("compression_stored_bytes", stored)
                   .Add("compress_seconds", c.in.compress_seconds)
                   .str();
  r.effect =
      "Checkpoints compressed " + MiB(raw) + " of pages into " + MiB(stored) + " (ratio " +
      Fmt("%.3f", ratio) + "), spending " + Fmt("%.3f", c.in.compress_seconds) +
      " s in the codec. With compression=none that time is saved; the same pages would take " +
      MiB(std::max(0.0, raw - stored)) + " more on disk (the measured saving).";
  r.sql = ConfigSql(c.in.table, "compression", "none");
  out->push_back(std::move(r));
}

void WriterRule(const Context& c, std::vector<Recommendation>* out) {
  const double waits = c.m("writer_waits"), busy = c.m("writer_busy"), txns = c.m("write_txns");
  const bool gave_up = busy > 0;
  if (!gave_up && (waits < kWaitsMin || waits < kWaitShare * txns)) return;
  Recommendation r;
  r.rule = "writer_lock_waits";
  r.severity = gave_up ? "high" : "medium";
  r.evidence = Evidence(c.in.table)
                   .Add("writer_waits", waits)
                   .Add("writer_wait_seconds", c.m("writer_wait_seconds"))
                   .Add("writer_busy", busy)
                   .Add("write_txns", txns)
                   .Add("busy_timeout_ms", c.in.options.busy_timeout_ms)
                   .str();
  const std::string waited = Fmt("%.0f", waits) + " of " + Fmt("%.0f", txns) +
                             " write transactions waited for the "
                             "writer lock (" +
                             Fmt("%.3f", c.m("writer_wait_seconds")) + " s in all)";
  if (gave_up) {
    const uint64_t timeout =
        std::min<uint64_t>(3600000, std::max<uint64_t>(1000, 4ull * c.in.options.busy_timeout_ms));
    r.title = "Writers give up waiting for the writer lock (SQLITE_BUSY): raise busy_timeout";
    r.effect =
        waited + "; " + Fmt("%.0f", busy) +
        " gave up after busy_timeout = " + std::to_string(c.in.options.busy_timeout_ms) +
        " ms. With " + std::to_string(timeout) +
        " ms they wait longer before failing. Shorter write transactions shorten every wait.";
    r.sql = ConfigSql(c.in.table, "busy_timeout", std::to_string(timeout));
  } else {
    r.title = "Writers often wait for the writer lock: keep write transactions short";
    r.effect = waited +
               ". One writer at a time is the design; the waits shrink only as the transactions "
               "holding the lock get shorter (no setting changes that).";
    r.sql =
        "-- no setting fixes this: commit write transactions sooner (do reads and computation "
        "before BEGIN)";
  }
  out->push_back(std::move(r));
}

void CompactionRule(const Context& c, std::vector<Recommendation>* out) {
  const double free_bytes = c.m("free_bytes"), file = c.m("file_size");
  if (c.in.in_memory || free_bytes < kFreeBytesMin || free_bytes < kFreeShare * file) return;
  Recommendation r;
  r.rule = "compaction_space";
  r.severity = free_bytes >= 0.5 * file ? "medium" : "low";
  r.title = "Free space inside the file: compaction gives it back";
  r.evidence = Evidence(c.in.table)
                   .Add("free_bytes", free_bytes)
                   .Add("file_size", file)
                   .Add("free_share", free_bytes / file)
                   .str();
  r.effect = MiB(free_bytes) + " of the " + MiB(file) +
             " file is free. Compaction moves pages from the end of "
             "the file into that space and truncates it: the file shrinks by up to " +
             MiB(free_bytes) + ". It holds the writer lock while it runs; readers are not blocked.";
  r.sql = "SELECT lightning_compact(" + Quote(c.in.table) + ");";
  out->push_back(std::move(r));
}

}  // namespace

std::vector<Recommendation> Advise(const AdvisorInput& in) {
  Context c{in};
  std::vector<Recommendation> out;
  CacheRule(c, false, &out);
  CacheRule(c, true, &out);
  CommitRule(c, &out);
  SnapshotRule(c, &out);
  CompressionRule(c, &out);
  WriterRule(c, &out);
  CompactionRule(c, &out);
  return out;
}

}  // namespace lightning::ext
