// DBImpl: beginning transactions, live options, metrics and the integrity check.
#include "engine/db_impl.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <unordered_set>

#include "engine/txn.h"

namespace lightning {

Result<std::unique_ptr<ReadTxn>> DBImpl::BeginRead() {
  const int slot = pager_->epochs().Pin();
  if (slot < 0) {
    return Status::Busy("too many open read transactions (max_readers=" +
                        std::to_string(pager_->epochs().capacity()) + ")");
  }
  // The pin keeps the published version alive while we copy it.
  const Version v = *published_.load();
  return std::unique_ptr<ReadTxn>(new ReadTxnImpl(&txn_ctx_, slot, v));
}

// An uncontended begin takes the writer lock and nothing else: busy_timeout
// (under opts_mu_) is read only when another writer holds the lock.
Result<std::unique_ptr<WriteTxn>> DBImpl::BeginWrite() {
  LIGHTNING_RETURN_IF_ERROR(Failed());
  std::unique_lock<WriterLock> lock(writer_mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    uint32_t timeout;
    {
      std::lock_guard<std::mutex> l(opts_mu_);
      timeout = opts_.busy_timeout_ms;
    }
    LIGHTNING_RETURN_IF_ERROR(WaitForWriter(&lock, std::chrono::milliseconds(timeout)));
  }
  return StartWrite(std::move(lock));
}

Result<std::unique_ptr<WriteTxn>> DBImpl::BeginWrite(std::chrono::milliseconds max_wait) {
  LIGHTNING_RETURN_IF_ERROR(Failed());
  std::unique_lock<WriterLock> lock(writer_mu_, std::try_to_lock);
  if (!lock.owns_lock()) LIGHTNING_RETURN_IF_ERROR(WaitForWriter(&lock, max_wait));
  return StartWrite(std::move(lock));
}

Status DBImpl::WaitForWriter(std::unique_lock<WriterLock>* lock,
                             std::chrono::milliseconds max_wait) {
  if (max_wait.count() <= 0)
    return Status::Busy("the store is busy: another write transaction holds the writer lock");
  stats_.writer_waits.Add();
  const uint64_t t0 = NowNanos();
  const bool got = lock->try_lock_for(max_wait);
  stats_.writer_wait_micros.Add((NowNanos() - t0) / 1000);
  if (!got) {
    stats_.writer_busy.Add();
    return Status::Busy("the store is busy: another write transaction held the writer lock for " +
                        std::to_string(max_wait.count()) + " ms");
  }
  return Status::OK();
}

Result<std::unique_ptr<WriteTxn>> DBImpl::StartWrite(std::unique_lock<WriterLock>&& lock) {
  LIGHTNING_RETURN_IF_ERROR(Failed());
  const int slot = pager_->epochs().Pin();
  if (slot < 0) {
    return Status::Busy("too many open transactions (max_readers=" +
                        std::to_string(pager_->epochs().capacity()) + ")");
  }
  stats_.write_txns.Add();
  return std::unique_ptr<WriteTxn>(new WriteTxnImpl(&txn_ctx_, slot, latest_, std::move(lock)));
}

// ---- StoreWriter: the write transaction's side ----

// Move assignments (inline, a few pointer copies) rather than swaps (a
// library call handling every short-string case).
void DBImpl::TakeLogBuffer(std::string* log) {
  *log = std::move(spare_txn_wal_);
  log->clear();
  spare_txn_wal_.clear();  // moved from: valid, and now surely empty
}

size_t DBImpl::SpareBufferLimit() const {
  constexpr size_t kMin = size_t{4} << 20, kMax = size_t{64} << 20;
  return std::clamp<size_t>(pager_ ? pager_->capacity() / 16 : 0, kMin, kMax);
}

void DBImpl::ReturnLogBuffer(std::string* log) {
  if (log->capacity() > SpareBufferLimit()) {  // a huge transaction's memory goes back
    std::string().swap(*log);
    return;
  }
  log->clear();
  spare_txn_wal_ = std::move(*log);
  log->clear();
}

PageId DBImpl::AllocPage(PageType type) {
  std::lock_guard<std::mutex> lock(space_mu_);
  return AllocPageId(type);
}

void DBImpl::DropUncommitted(const PageId* ids, size_t n) {
  std::lock_guard<std::mutex> lock(space_mu_);
  for (size_t i = 0; i < n; i++) {
    CountFree(ids[i]);
    pager_->DropFrame(ids[i]);
    free_ids_.push_back(ids[i]);
  }
}

Options DBImpl::GetOptions() const {
  std::lock_guard<std::mutex> lock(opts_mu_);
  return opts_;
}

void DBImpl::ResetStats() {
  stats_.Reset();
  latency_.Reset();
  profile_.Reset();
  stats_since_.store(NowNanos());
}

std::vector<LatencySummary> DBImpl::Latency() const {
  const uint64_t counts[] = {stats_.gets.Sum(),
                             stats_.puts.Sum(),
                             stats_.deletes.Sum(),
                             stats_.cursor_seeks.Sum(),
                             stats_.cursor_steps.Sum(),
                             stats_.commits.Sum(),
                             stats_.wal_fsyncs.Sum() + stats_.data_fsyncs.Sum(),
                             stats_.checkpoints.Sum()};
  std::vector<LatencySummary> out;
  size_t i = 0;
  for (const auto& named : latency_.All()) {
    const Histogram& h = *named.h;
    LatencySummary l;
    l.operation = named.name;
    l.count = counts[i++];
    l.samples = h.count();
    l.sampled = named.sampled;
    l.sampled_every = !named.sampled                           ? 1
                      : std::string(named.name) == "scan_step" ? LatencyStats::kStepSampleEvery
                                                               : LatencyStats::kSampleEvery;
    l.mean = h.mean() / 1e9;
    l.p50 = h.Percentile(0.50) / 1e9;
    l.p95 = h.Percentile(0.95) / 1e9;
    l.p99 = h.Percentile(0.99) / 1e9;
    l.p999 = h.Percentile(0.999) / 1e9;
    l.max = static_cast<double>(h.max()) / 1e9;
    l.sum = static_cast<double>(h.sum()) / 1e9;
    // Powers of two start a bucket group, so counts below them are exact.
    uint64_t cumulative = 0;
    int b = 0;
    for (int p = 10; p <= 35; p++) {
      const uint64_t bound = 1ull << p;
      for (; b < Histogram::kBuckets && Histogram::BucketLow(b) < bound; b++)
        cumulative += h.bucket(b);
      l.buckets.emplace_back(static_cast<double>(bound) / 1e9, cumulative);
    }
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<ProfileRow> DBImpl::Profile() const { return ProfileReport(profile_); }

std::vector<Metric> DBImpl::Metrics() const {
  std::vector<Metric> m;
  auto add = [&](const char* name, double value, const char* unit, const char* desc) {
    m.push_back(Metric{name, value, unit, desc});
  };
  const double hits = static_cast<double>(stats_.cache_hits.Sum());
  const double misses = static_cast<double>(stats_.cache_misses.Sum());
  add("gets", stats_.gets.Sum(), "count", "point lookups (counted when their transaction ends)");
  add("get_misses", stats_.get_misses.Sum(), "count", "point lookups that found no key");
  add("puts", stats_.puts.Sum(), "count", "committed puts");
  add("deletes", stats_.deletes.Sum(), "count", "committed deletes of existing keys");
  add("cursor_seeks", stats_.cursor_seeks.Sum(), "count", "cursor positionings");
  add("cursor_steps", stats_.cursor_steps.Sum(), "count", "cursor next/prev steps");
  add("read_txns", stats_.read_txns.Sum(), "count", "read transactions (counted when they end)");
  add("write_txns", stats_.write_txns.Sum(), "count", "write transactions begun");
  add("commits", stats_.commits.Sum(), "count", "write transactions committed with changes");
  add("aborts", stats_.aborts.Sum(), "count", "write transactions aborted");
  add("cache_size", static_cast<double>(in_memory_ ? 0 : pager_->capacity()), "bytes",
      "cache capacity (0: in-memory store, unbounded)");
  add("cache_used", static_cast<double>(pager_->used_bytes()), "bytes",
      "bytes held by cached pages");
  add("cache_pages", static_cast<double>(pager_->cached_pages()), "count", "pages in the cache");
  add("cache_hits", hits, "count",
      "page accesses served from the cache (counted when their transaction ends)");
  add("cache_misses", misses, "count", "page accesses that read an extent");
  add("cache_hit_rate", hits + misses > 0 ? hits / (hits + misses) : 1.0, "ratio",
      "hits / (hits + misses)");
  add("cache_evictions", stats_.cache_evictions.Sum(), "count", "clean pages evicted");
  add("readahead_pages", stats_.readahead_pages.Sum(), "count",
      "uncached pages that scans asked the OS to read ahead (option scan_readahead)");
  add("cache_child_links", static_cast<double>(pager_->child_links()), "count",
      "cached branch pages' direct links to cached children (lookups through them skip the "
      "page table)");
  add("cache_retired_frames", static_cast<double>(pager_->retired_frames()), "count",
      "evicted frames awaiting the end of older readers");
  add("bytes_read", stats_.bytes_read.Sum(), "bytes", "bytes read from the data file");
  add("bytes_written", stats_.bytes_written.Sum(), "bytes", "bytes written to the data file");
  add("wal_bytes", stats_.wal_bytes.Sum(), "bytes", "bytes appended to the WAL");
  add("data_fsyncs", stats_.data_fsyncs.Sum(), "count", "fsyncs of the data file");
  add("wal_fsyncs", stats_.wal_fsyncs.Sum(), "count", "fsyncs of the WAL");
  const double batches = static_cast<double>(stats_.group_commit_batches.Sum());
  add("group_commit_batches", batches, "count", "WAL batches written by group commit");
  add("group_commit_commits", stats_.group_commit_commits.Sum(), "count",
      "commits made durable by group-commit batches");
  add("group_commit_avg_batch",
      batches > 0 ? static_cast<double>(stats_.group_commit_commits.Sum()) / batches : 0.0,
      "commits", "commits per group-commit fsync");
  add("checkpoints", stats_.checkpoints.Sum(), "count", "checkpoints completed");
  add("checkpoint_pages", stats_.checkpoint_pages.Sum(), "count", "pages written by checkpoints");
  add("checkpoint_seconds", static_cast<double>(stats_.checkpoint_micros.Sum()) / 1e6, "seconds",
      "time spent in checkpoints");
  const double raw = static_cast<double>(stats_.compress_raw_bytes.Sum());
  const double stored = static_cast<double>(stats_.compress_stored_bytes.Sum());
  add("compression_raw_bytes", raw, "bytes", "page bytes before compression (checkpoints)");
  add("compression_stored_bytes", stored, "bytes", "page bytes after compression (checkpoints)");
  // Measured by the checkpoints since the last reset; before any, the ratio
  // of the pages in the file when it was opened (without blob pages); else
  // unknown (NaN).
  double ratio = std::numeric_limits<double>::quiet_NaN();
  if (stored > 0) {
    ratio = raw / stored;
  } else if (opened_extent_bytes_ > 0 && !opened_blobs_) {
    ratio = static_cast<double>(opened_raw_bytes_) / static_cast<double>(opened_extent_bytes_);
  }
  add("compression_ratio", ratio, "ratio",
      "raw / stored page bytes of the checkpoints since the reset; before any, of the pages "
      "in the file at open (when none is a blob); NULL if neither");
  add("checksum_failures", stats_.checksum_failures.Sum(), "count",
      "extents that failed their checksum");
  add("writer_waits", stats_.writer_waits.Sum(), "count", "writers that had to wait for the lock");
  add("writer_wait_seconds", static_cast<double>(stats_.writer_wait_micros.Sum()) / 1e6, "seconds",
      "time writers spent waiting for the lock");
  add("writer_busy", stats_.writer_busy.Sum(), "count", "writers that gave up after busy_timeout");
  add("stats_resets", stats_.stats_resets.Sum(), "count", "times the counters were reset");
  add("stats_age_seconds", static_cast<double>(NowNanos() - stats_since_.load()) / 1e9, "seconds",
      "time since the counters were last reset (or the store opened)");
  add("active_readers", pager_->epochs().readers(), "count",
      "open transactions (each pins a snapshot)");
  {
    std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(space_mu_));
    add("live_pages", static_cast<double>(live_pages_), "count",
        "pages reachable from the latest version");
    add("leaf_pages", static_cast<double>(live_by_type_[kLeafPage]), "count",
        "live B+tree leaf pages");
    add("branch_pages", static_cast<double>(live_by_type_[kBranchPage]), "count",
        "live B+tree branch pages");
    add("blob_pages", static_cast<double>(live_by_type_[kBlobPage]), "count",
        "live pages holding one large value each");
    add("dirty_bytes", static_cast<double>(dirty_bytes_), "bytes",
        "committed pages not yet checkpointed");
    add("pinned_pages", static_cast<double>(retired_pages_.size()), "count",
        "replaced pages kept for older snapshots");
    add("free_bytes", static_cast<double>(free_.bytes()), "bytes",
        "reusable space inside the data file");
    add("file_size", static_cast<double>(in_memory_ ? 0 : file_end_), "bytes", "data file size");
  }
  {
    std::lock_guard<std::mutex> lock(wal_mu_);
    add("wal_size", static_cast<double>(wal_size_), "bytes", "WAL file size");
    add("durable_lsn", static_cast<double>(durable_lsn_), "lsn", "last commit known durable");
  }
  add("page_size", page_size_, "bytes", "B+tree page size");
  add("oldest_snapshot_age", static_cast<double>(pager_->epochs().OldestAgeNanos()) / 1e9,
      "seconds", "age of the oldest open transaction (it keeps replaced pages alive)");
  add("memory_page_table", static_cast<double>(pager_->table_bytes()), "bytes",
      "memory held by the page table");
  {
    std::lock_guard<std::mutex> lock(wal_mu_);
    add("memory_wal_buffer", static_cast<double>(wal_pending_.capacity() + wal_record_.capacity()),
        "bytes", "memory held by WAL record buffers (group commit, and the reused commit record)");
  }
  // Rates over the interval since the previous call.
  RateSample now{NowNanos(), stats_.bytes_read.Sum(), stats_.bytes_written.Sum(),
                 stats_.gets.Sum() + stats_.cursor_steps.Sum(),
                 stats_.puts.Sum() + stats_.deletes.Sum()};
  RateSample prev;
  {
    std::lock_guard<std::mutex> lock(rate_mu_);
    prev = last_sample_;
    last_sample_ = now;
  }
  const double dt = prev.nanos ? static_cast<double>(now.nanos - prev.nanos) / 1e9 : 0.0;
  auto rate = [&](uint64_t a, uint64_t b) {
    return dt > 0 && a >= b ? static_cast<double>(a - b) / dt : 0.0;
  };
  add("interval_seconds", dt, "seconds",
      "time since the previous metrics read (rates below cover it)");
  add("read_bytes_per_second", rate(now.bytes_read, prev.bytes_read), "bytes/s",
      "data file reads over the interval");
  add("write_bytes_per_second", rate(now.bytes_written, prev.bytes_written), "bytes/s",
      "data file writes over the interval");
  add("reads_per_second", rate(now.reads, prev.reads), "ops/s",
      "gets and cursor steps over the interval");
  add("writes_per_second", rate(now.writes, prev.writes), "ops/s",
      "committed puts and deletes over the interval");
  return m;
}

Status DBImpl::Check(std::vector<std::string>* problems, Progress* progress) {
  auto r = BeginRead();
  if (!r.ok()) return r.status();
  auto* txn = static_cast<ReadTxnImpl*>(r.value().get());
  const Version v = *published_.load();
  // Progress: page visits (each page twice: its structure, then its copy on
  // disk) against twice the live pages now.
  uint64_t total = 0, done = 0;
  {
    std::lock_guard<std::mutex> lock(space_mu_);
    total = 2 * live_pages_;
  }
  std::function<bool()> go_on;
  if (progress != nullptr) {
    go_on = [&] {
      done++;
      return progress->Continue("check pages", done, std::max(total, done));
    };
  }
  LIGHTNING_RETURN_IF_ERROR(TreeCheck(txn, v.catalog, "catalog", problems, go_on));
  std::vector<TreeInfo> trees;
  LIGHTNING_RETURN_IF_ERROR(txn->ListTrees(&trees));
  std::unordered_set<PageId> seen;
  auto verify_pages = [&](const TreeRoot& root, const std::string& name) -> Status {
    return TreeVisitPages(
        txn, root,
        [&](PageId id, const Frame& frame) {
          if (!seen.insert(id).second) {
            problems->push_back("page " + std::to_string(id) + " is referenced twice (in " + name +
                                ")");
          }
          const uint64_t loc = pager_->entry(id).loc.load();
          if (loc == 0) return;  // not checkpointed yet: nothing on disk to verify
          std::string raw;
          uint8_t type;
          Status s = pager_->ReadExtent(id, loc, &raw, &type);
          if (!s.ok()) {
            problems->push_back(name + ": " + s.ToString());
          } else if (raw.size() != frame.size ||
                     std::memcmp(raw.data(), frame.data(), raw.size()) != 0) {
            // Catches damage a disabled checksum would let through.
            problems->push_back(name + ": page " + std::to_string(id) + " at offset " +
                                std::to_string(ExtentLoc::Offset(loc)) +
                                " differs on disk from the page in use");
          }
        },
        go_on);
  };
  Status s = verify_pages(v.catalog, "catalog");
  if (s.IsInterrupted()) return Status::Interrupted("check interrupted in tree catalog");
  if (!s.ok()) problems->push_back("catalog: " + s.ToString());
  for (const TreeInfo& t : trees) {
    TreeMeta meta;
    s = txn->LoadMeta(t.id, &meta);
    if (!s.ok()) {
      problems->push_back("tree " + t.name + ": " + s.ToString());
      continue;
    }
    LIGHTNING_RETURN_IF_ERROR(TreeCheck(txn, meta.root, t.name, problems, go_on));
    s = verify_pages(meta.root, t.name);
    if (s.IsInterrupted()) return Status::Interrupted("check interrupted in tree " + t.name);
    if (!s.ok()) problems->push_back("tree " + t.name + ": " + s.ToString());
  }
  return Status::OK();
}

}  // namespace lightning
