// Log-linear latency histograms (HdrHistogram-like): each power of two of
// nanoseconds is split into 8 linear sub-buckets, so a percentile is exact
// to within 12.5%. Recording is a few relaxed atomic adds, into one of a few
// striped copies so that threads recording at once do not share lines.
//
// Thread safety: Record and the readers may run concurrently; a reader sees
// a consistent-enough snapshot (counts may lag by in-flight records).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/stats.h"

namespace lightning {

class Histogram {
 public:
  static constexpr int kSubBits = 3;
  static constexpr int kBuckets = 64 << kSubBits;
  // Records go to one of kStripes copies, chosen by the recording thread's
  // stripe (stats.h), so threads recording at once mostly write lines of
  // their own; the readers below sum the copies.
  static constexpr uint32_t kStripes = 4;

  void Record(uint64_t nanos) {
    if constexpr (!kStatsEnabled) return;
    Stripe& s = stripes_[ThreadStripe() % kStripes];
    s.buckets[BucketOf(nanos)].fetch_add(1, std::memory_order_relaxed);
    s.count.fetch_add(1, std::memory_order_relaxed);
    s.sum.fetch_add(nanos, std::memory_order_relaxed);
    uint64_t m = s.max.load(std::memory_order_relaxed);
    while (nanos > m && !s.max.compare_exchange_weak(m, nanos, std::memory_order_relaxed)) {
    }
  }
  uint64_t count() const {
    uint64_t n = 0;
    for (const Stripe& s : stripes_) n += s.count.load(std::memory_order_relaxed);
    return n;
  }
  double mean() const {
    uint64_t c = count();
    return c ? static_cast<double>(sum()) / c : 0.0;
  }
  uint64_t max() const {
    uint64_t m = 0;
    for (const Stripe& s : stripes_) m = std::max(m, s.max.load(std::memory_order_relaxed));
    return m;
  }
  uint64_t sum() const {
    uint64_t n = 0;
    for (const Stripe& s : stripes_) n += s.sum.load(std::memory_order_relaxed);
    return n;
  }
  // Samples in bucket b (values in [BucketLow(b), BucketLow(b + 1))).
  uint64_t bucket(int b) const {
    uint64_t n = 0;
    for (const Stripe& s : stripes_) n += s.buckets[b].load(std::memory_order_relaxed);
    return n;
  }
  // The q-quantile (0..1) by nearest rank: the sample at rank ceil(q * count)
  // in ascending order, reported as the top of its bucket (capped by max()),
  // so never below that sample and at most 12.5% above it. 0 when empty.
  double Percentile(double q) const;
  void Reset();

  static int BucketOf(uint64_t v) {
    if (v < (1u << kSubBits)) return static_cast<int>(v);
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - kSubBits;
    return ((shift + 1) << kSubBits) + static_cast<int>((v >> shift) & ((1u << kSubBits) - 1));
  }
  static uint64_t BucketLow(int b) {
    if (b < (1 << kSubBits)) return static_cast<uint64_t>(b);
    int shift = (b >> kSubBits) - 1;
    uint64_t sub = static_cast<uint64_t>(b & ((1 << kSubBits) - 1));
    return ((1ull << kSubBits) + sub) << shift;
  }

 private:
  struct alignas(64) Stripe {
    std::array<std::atomic<uint64_t>, kBuckets> buckets{};
    std::atomic<uint64_t> count{0}, sum{0}, max{0};
  };
  std::array<Stripe, kStripes> stripes_{};
};

// The engine's operation histograms. Point operations are sampled because
// timing each would cost more than the operation: gets, puts, deletes and
// cursor seeks one in kSampleEvery per thread and kind, cursor steps one in
// kStepSampleEvery per cursor; commits, fsyncs and checkpoints are always
// timed.
struct LatencyStats {
  static constexpr uint32_t kSampleEvery = 64;
  // Cursor steps cost tens of nanoseconds, so they are timed more rarely:
  // one in kStepSampleEvery per cursor (see CursorImpl).
  static constexpr uint32_t kStepSampleEvery = 1024;
  enum Kind { kGet, kPut, kDelete, kSeek, kScanStep, kSampledKinds };
  Histogram get, put, del, seek, scan_step, commit, fsync, checkpoint;

  struct Named {
    const char* name;
    Histogram* h;
    bool sampled;
  };
  std::vector<Named> All() {
    return {{"get", &get, true},
            {"put", &put, true},
            {"delete", &del, true},
            {"seek", &seek, true},
            {"scan_step", &scan_step, true},
            {"commit", &commit, false},
            {"fsync", &fsync, false},
            {"checkpoint", &checkpoint, false}};
  }
  void Reset() {
    for (auto& n : All()) n.h->Reset();
  }
  // True once every kSampleEvery calls of `kind` on this thread. Each kind
  // counts apart, so that a loop alternating kinds still samples every kind.
  static bool Sample(Kind kind) {
    if constexpr (!kStatsEnabled) return false;
    thread_local uint32_t n[kSampledKinds] = {};
    return (++n[kind] & (kSampleEvery - 1)) == 0;
  }
  // A starting phase in [0, kStepSampleEvery) for a cursor's own step
  // count (cursors sample their steps themselves; see CursorImpl).
  // Successive cursors of a thread get every phase in turn, so short scans
  // are sampled at the same rate as long ones.
  static uint32_t CursorPhase() {
    thread_local uint32_t n = 0;
    return (n += 389) & (kStepSampleEvery - 1);
  }
};

inline uint64_t NowNanos() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace lightning
