// Counters for DB::Metrics(). Hot-path counters are striped across cache
// lines by thread so that two threads counting never share a line; a read
// sums the stripes. Gauges are read from the live structures instead.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

namespace lightning {

// Building with LIGHTNING_NO_STATS compiles every counter, histogram and
// profile hook out. Only bench/overhead_bench uses it, to measure what they
// cost; shipped builds always count.
#ifdef LIGHTNING_NO_STATS
inline constexpr bool kStatsEnabled = false;
#else
inline constexpr bool kStatsEnabled = true;
#endif

class StripedCounter {
 public:
  void Add(uint64_t n = 1) {
    if constexpr (!kStatsEnabled) return;
    stripes_[Stripe()].v.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Sum() const {
    uint64_t s = 0;
    for (const auto& st : stripes_) s += st.v.load(std::memory_order_relaxed);
    return s;
  }
  void Reset() {
    for (auto& st : stripes_) st.v.store(0, std::memory_order_relaxed);
  }

 private:
  static constexpr size_t kStripes = 16;
  static size_t Stripe() {
    thread_local const size_t index =
        std::hash<std::thread::id>()(std::this_thread::get_id()) % kStripes;
    return index;
  }
  struct alignas(64) Cell {
    std::atomic<uint64_t> v{0};
  };
  std::array<Cell, kStripes> stripes_{};
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
  StripedCounter gets, get_misses, cursor_seeks, cursor_steps;
  Counter puts, deletes, commits, aborts, read_txns, write_txns;
  // Cache.
  StripedCounter cache_hits, cache_misses;
  Counter cache_evictions, cache_loads_bytes;
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
    for (StripedCounter* c : {&gets, &get_misses, &cursor_seeks, &cursor_steps, &cache_hits,
                              &cache_misses}) {
      f(c);
    }
  }
  void Reset() {
    ForEach([](StripedCounter* c) { c->Reset(); });
    for (Counter* c : {&puts, &deletes, &commits, &aborts, &read_txns, &write_txns,
                       &cache_evictions, &cache_loads_bytes, &bytes_read, &bytes_written,
                       &data_fsyncs, &wal_fsyncs, &wal_bytes, &group_commit_batches,
                       &group_commit_commits, &checkpoints, &checkpoint_pages,
                       &checkpoint_micros, &compress_raw_bytes, &compress_stored_bytes,
                       &writer_waits, &writer_wait_micros, &writer_busy, &checksum_failures}) {
      c->Reset();
    }
    stats_resets.Add();
  }
};

}  // namespace lightning
