// Counters for DB::Metrics(). Hot-path counters are striped across cache
// lines by thread: each of the first kOwnedStripes threads that count gets a
// stripe of its own (released when it exits), which only it writes, so an
// increment is a plain load, add and store — no locked instruction; further
// threads share one more stripe through atomic adds. A read sums the stripes.
// Gauges are read from the live structures instead. The busiest counters
// (gets, get misses, page hits, read transactions) are kept by each
// transaction and added here when it ends (TxnCommon::FlushStats), so they
// lag by what open transactions have not reported yet.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace lightning {

// Building with LIGHTNING_NO_STATS compiles every counter, histogram and
// profile hook out. Only bench/overhead_bench uses it, to measure what they
// cost; shipped builds always count.
#ifdef LIGHTNING_NO_STATS
inline constexpr bool kStatsEnabled = false;
#else
inline constexpr bool kStatsEnabled = true;
#endif

// The calling thread's stripe index (kOwnedStripes when it has none of its
// own). Assigned on the thread's first count (profile.cc).
inline constexpr uint32_t kOwnedStripes = 15;
uint32_t AssignThreadStripe();
inline thread_local uint32_t t_stripe = UINT32_MAX;  // constant-initialised: no guard
inline uint32_t ThreadStripe() {
  const uint32_t s = t_stripe;
  return __builtin_expect(s != UINT32_MAX, 1) ? s : AssignThreadStripe();
}

class StripedCounter {
 public:
  void Add(uint64_t n = 1) {
    if constexpr (!kStatsEnabled) return;
    AddAt(ThreadStripe(), n);
  }
  // Add to the calling thread's own stripe. REQUIRES: s == ThreadStripe() < kOwnedStripes.
  void AddOwned(uint32_t s, uint64_t n) {
    if constexpr (!kStatsEnabled) return;
    std::atomic<uint64_t>& v = stripes_[s].v;
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Add, for a caller that has its ThreadStripe() already.
  void AddAt(uint32_t s, uint64_t n) {
    if constexpr (!kStatsEnabled) return;
    std::atomic<uint64_t>& v = stripes_[s].v;
    if (s < kOwnedStripes) {
      v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);  // sole writer
    } else {
      v.fetch_add(n, std::memory_order_relaxed);
    }
  }
  uint64_t Sum() const { return Raw() - base_.load(std::memory_order_relaxed); }
  // Counts from zero again. The stripes belong to their threads, so a reset
  // remembers the current sum instead of writing them.
  void Reset() { base_.store(Raw(), std::memory_order_relaxed); }

 private:
  uint64_t Raw() const {
    uint64_t s = 0;
    for (const auto& st : stripes_) s += st.v.load(std::memory_order_relaxed);
    return s;
  }
  struct alignas(64) Cell {
    std::atomic<uint64_t> v{0};
  };
  std::array<Cell, kOwnedStripes + 1> stripes_{};
  std::atomic<uint64_t> base_{0};
};

// Plain relaxed counter for operations that are rare or already serialised.
struct Counter {
  std::atomic<uint64_t> v{0};
  void Add(uint64_t n = 1) {
    if constexpr (kStatsEnabled) v.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Sum() const { return v.load(std::memory_order_relaxed); }
  void Reset() { v.store(0, std::memory_order_relaxed); }
};

struct EngineStats {
  // Operations.
  StripedCounter gets, get_misses, cursor_seeks, cursor_steps, read_txns;
  Counter puts, deletes, commits, aborts, write_txns;
  // Cache.
  StripedCounter cache_hits, cache_misses;
  Counter cache_evictions, cache_loads_bytes;
  Counter readahead_pages;  // uncached pages a scan asked the OS to read ahead
  // I/O.
  Counter bytes_read, bytes_written, data_fsyncs, wal_fsyncs, wal_bytes;
  // Group commit: batches and the commits in them.
  Counter group_commit_batches, group_commit_commits;
  // Checkpoints.
  Counter checkpoints, checkpoint_pages, checkpoint_micros;
  Counter compress_raw_bytes, compress_stored_bytes;
  // Writer lock.
  Counter writer_waits, writer_wait_micros, writer_busy;
  Counter checksum_failures;
  Counter stats_resets;

  template <typename F>
  void ForEach(F f) {
    for (StripedCounter* c : {&gets, &get_misses, &cursor_seeks, &cursor_steps, &read_txns,
                              &cache_hits, &cache_misses}) {
      f(c);
    }
  }
  void Reset() {
    ForEach([](StripedCounter* c) { c->Reset(); });
    for (Counter* c : {&puts,
                       &deletes,
                       &commits,
                       &aborts,
                       &write_txns,
                       &cache_evictions,
                       &cache_loads_bytes,
                       &readahead_pages,
                       &bytes_read,
                       &bytes_written,
                       &data_fsyncs,
                       &wal_fsyncs,
                       &wal_bytes,
                       &group_commit_batches,
                       &group_commit_commits,
                       &checkpoints,
                       &checkpoint_pages,
                       &checkpoint_micros,
                       &compress_raw_bytes,
                       &compress_stored_bytes,
                       &writer_waits,
                       &writer_wait_micros,
                       &writer_busy,
                       &checksum_failures}) {
      c->Reset();
    }
    stats_resets.Add();
  }
};

}  // namespace lightning
