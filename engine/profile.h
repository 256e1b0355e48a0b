// Profile: where the engine's time goes, broken into components.
//
// An *operation* (get, put, delete, cursor seek or step, commit, checkpoint,
// compaction) is measured from entry to exit by a ProfileRoot. While it runs,
// ProfileScopes placed around the work of each component (tree search, cache
// miss and page load, decompress, compress, checksum, WAL append, fsync,
// checkpoint writing) move a thread-local "current component" marker: every
// nanosecond between the root's start and its end is charged to exactly one
// component — the innermost open scope, else the root's own component (see
// ProfileRoot). Commits and compactions have kOther ("unattributed") as their
// own: the time no component explains. So the rows add up to the wall time
// of the measured operations by construction, and kOther shows how much of
// it the components leave unexplained.
//
// Cost: point operations (get, put, delete, seek, step) are measured only
// when they are sampled (one in LatencyStats::kSampleEvery per thread and
// kind; cursor steps one in kStepSampleEvery per cursor); their figures are
// scaled by the sampling period. An unmeasured operation pays one
// predictable branch; a scope outside any measured operation pays one
// thread-local load. Commits, checkpoints and compactions are always
// measured. A measured operation reads the clock at its start and end and
// once per scope boundary inside it; that time is part of what it measures
// (tests/engine/profile_test.cc compares the estimate with wall time).
//
// Thread safety: the thread-local marker belongs to its thread; ProfileStats
// counters are relaxed atomics, readable from any thread at any time.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/histogram.h"
#include "engine/stats.h"
#include "lightning/metrics.h"

namespace lightning {

enum class ProfileComponent : uint8_t {
  kTreeSearch,  // descending and stepping B+tree pages (reads)
  kTreeUpdate,  // changing B+tree pages: copy-on-write, insert, split, merge
  kCacheLoad,   // a cache miss: reading the extent, validating, caching the frame
  kDecompress,
  kCompress,
  kChecksum,   // XXH3 of extents, WAL records, superblocks
  kWalAppend,  // encoding WAL records and writing them to the log
  kFsync,
  kCheckpoint,  // checkpoint work not in another component (placing and writing extents, page
                // table)
  kOther,       // inside a measured operation but in no component above
  kCount
};

enum class ProfileOp : uint8_t {
  kGet,
  kPut,
  kDelete,
  kSeek,
  kStep,
  kCommit,
  kCheckpoint,
  kCompact,
  kCount
};

const char* ProfileComponentName(ProfileComponent c);
const char* ProfileComponentDescription(ProfileComponent c);
const char* ProfileOpName(ProfileOp op);

// Per-store accumulators.
class ProfileStats {
 public:
  static constexpr int kOps = static_cast<int>(ProfileOp::kCount);
  static constexpr int kComponents = static_cast<int>(ProfileComponent::kCount);

  // Each thread adds to one of Histogram::kStripes copies (by its stats
  // stripe), so measured operations on different threads mostly write lines
  // of their own; the readers sum the copies.
  void Charge(ProfileOp op, ProfileComponent c, uint64_t nanos) {
    Mine().nanos[Index(op, c)].fetch_add(nanos, std::memory_order_relaxed);
  }
  // Takes back time charged earlier (the measurement's own clock reads).
  void Discount(ProfileOp op, ProfileComponent c, uint64_t nanos) {
    Mine().nanos[Index(op, c)].fetch_sub(nanos, std::memory_order_relaxed);
  }
  void Finish(ProfileOp op, uint64_t nanos) {
    Stripe& s = Mine();
    s.total[static_cast<int>(op)].fetch_add(nanos, std::memory_order_relaxed);
    s.measured[static_cast<int>(op)].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t nanos(ProfileOp op, ProfileComponent c) const {
    uint64_t n = 0;
    for (const Stripe& s : stripes_) n += s.nanos[Index(op, c)].load(std::memory_order_relaxed);
    return n;
  }
  uint64_t total(ProfileOp op) const {
    uint64_t n = 0;
    for (const Stripe& s : stripes_)
      n += s.total[static_cast<int>(op)].load(std::memory_order_relaxed);
    return n;
  }
  uint64_t measured(ProfileOp op) const {
    uint64_t n = 0;
    for (const Stripe& s : stripes_) {
      n += s.measured[static_cast<int>(op)].load(std::memory_order_relaxed);
    }
    return n;
  }
  // How many operations one measured operation of `op` stands for.
  static uint32_t Scale(ProfileOp op) {
    return op == ProfileOp::kCommit || op == ProfileOp::kCheckpoint || op == ProfileOp::kCompact ? 1
           : op == ProfileOp::kStep ? LatencyStats::kStepSampleEvery
                                    : LatencyStats::kSampleEvery;
  }
  void Reset();

 private:
  static int Index(ProfileOp op, ProfileComponent c) {
    return static_cast<int>(op) * kComponents + static_cast<int>(c);
  }
  struct alignas(64) Stripe {
    std::array<std::atomic<uint64_t>, kOps * kComponents> nanos{};
    std::array<std::atomic<uint64_t>, kOps> total{};
    std::array<std::atomic<uint64_t>, kOps> measured{};
  };
  Stripe& Mine() { return stripes_[ThreadStripe() % Histogram::kStripes]; }
  std::array<Stripe, Histogram::kStripes> stripes_{};
};

// The operation being measured on this thread, if any.
struct ProfileThread {
  ProfileStats* stats = nullptr;
  ProfileOp op = ProfileOp::kGet;
  ProfileComponent current = ProfileComponent::kOther;
  uint64_t mark = 0;                                 // when `current` last changed
  ProfileComponent self = ProfileComponent::kOther;  // the root's own component
  uint64_t self_nanos = 0;                           // charged to `self` so far
  uint32_t boundaries = 0;                           // scope entries and exits so far

  // Charges the time since `mark` to the current component.
  void ChargeTo(uint64_t now) {
    if (now <= mark) return;  // an unserialised read that ran early
    const uint64_t d = now - mark;
    stats->Charge(op, current, d);
    if (current == self) self_nanos += d;
    mark = now;
  }
};

// The clock of measured operations: nanoseconds, monotonic within a thread.
// On x86-64 with an invariant TSC it reads the time-stamp counter without
// serialising it (rdtsc, scaled by a factor calibrated once against
// steady_clock). steady_clock's vDSO path fences the pipeline (lfence; rdtsc):
// an operation timed with it cannot overlap its neighbours the way the
// unmeasured ones it stands for do, and cached sub-microsecond gets measured
// 15-30% slower than they ran. Elsewhere it is NowNanos. Reads on different
// cores may disagree by a few nanoseconds; ProfileThread never charges a
// negative interval.
struct TscClock {
  bool usable = false;
  uint64_t base_ticks = 0;
  uint64_t base_nanos = 0;
  double nanos_per_tick = 0;
};
const TscClock& CalibratedTsc();
inline uint64_t ProfileNanos() {
#if defined(__x86_64__)
  static const TscClock& tsc = CalibratedTsc();
  if (tsc.usable) {
    return tsc.base_nanos +
           static_cast<uint64_t>(static_cast<double>(__builtin_ia32_rdtsc() - tsc.base_ticks) *
                                 tsc.nanos_per_tick);
  }
#endif
  return NowNanos();
}

// What one clock read (ProfileNanos) costs on this machine, measured once. A
// measured operation takes back that much per clock read inside it, so that
// its figures stand for the unmeasured operations it is scaled up to.
uint64_t ClockReadNanos();
inline ProfileThread& CurrentProfile() {
  thread_local ProfileThread t;
  return t;
}

// Charges the time spent inside it to component `c`, when an operation is
// being measured on this thread (otherwise does nothing).
class ProfileScope {
 public:
  explicit ProfileScope(ProfileComponent c) {
    if constexpr (!kStatsEnabled) return;
    ProfileThread& t = CurrentProfile();
    if (t.stats != nullptr) Enter(t, c);
  }
  // For hot paths that know whether their operation is measured: no
  // thread-local access when `measured` is false.
  ProfileScope(bool measured, ProfileComponent c) {
    if (measured) {
      ProfileThread& t = CurrentProfile();
      if (t.stats != nullptr) Enter(t, c);
    }
  }
  ~ProfileScope() {
    if (thread_ == nullptr) return;
    thread_->ChargeTo(ProfileNanos());
    thread_->current = previous_;
    thread_->boundaries++;
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  void Enter(ProfileThread& t, ProfileComponent c) {
    t.ChargeTo(ProfileNanos());
    previous_ = t.current;
    t.current = c;
    t.boundaries++;
    thread_ = &t;
  }
  ProfileThread* thread_ = nullptr;
  ProfileComponent previous_ = ProfileComponent::kOther;
};

// Measures one operation when `measured` is true. Nested inside another
// measured operation (a checkpoint run by a commit), it acts as a
// ProfileScope for `self` instead of starting a second operation. Time of the
// root operation that no inner scope claims goes to `self`: kOther for
// commits and compactions, the operation's own component for point
// operations (a get is tree search from entry to exit, its counting and
// cache misses aside), so that a measured get reads the clock only twice.
// With `latency`, the operation's duration is also recorded there.
class ProfileRoot {
 public:
  ProfileRoot(ProfileStats* stats, ProfileOp op, ProfileComponent self, bool measured,
              Histogram* latency = nullptr) {
    if constexpr (!kStatsEnabled) return;
    if (!measured || stats == nullptr) return;
    latency_ = latency;
    ProfileThread& t = CurrentProfile();
    if (t.stats != nullptr) {
      start_ = ProfileNanos();
      nested_.emplace(self);
      return;
    }
    thread_ = &t;
    t.stats = stats;
    t.op = op;
    t.current = self;
    t.self = self;
    t.self_nanos = 0;
    t.boundaries = 0;
    start_ = ProfileNanos();  // last: the set-up above is not part of the operation
    t.mark = start_;
  }
  ~ProfileRoot() {
    if (thread_ != nullptr) {
      ProfileThread& t = *thread_;
      t.ChargeTo(ProfileNanos());
      // The clock reads of the measurement itself: one at each end (about
      // one read's worth inside the window) and one per scope boundary.
      const uint64_t own = std::min<uint64_t>(ClockReadNanos() * (1 + t.boundaries), t.self_nanos);
      t.stats->Discount(t.op, t.self, own);
      const uint64_t elapsed = t.mark - start_ - own;
      t.stats->Finish(t.op, elapsed);
      t.stats = nullptr;
      if (latency_ != nullptr) latency_->Record(elapsed);
    } else if (latency_ != nullptr) {
      const uint64_t end = ProfileNanos();
      latency_->Record(end > start_ ? end - start_ : 0);
    }
  }
  ProfileRoot(const ProfileRoot&) = delete;
  ProfileRoot& operator=(const ProfileRoot&) = delete;

  // Leaves this operation out of its latency histogram (e.g. a delete of a
  // key that was not there).
  void SkipLatency() { latency_ = nullptr; }

 private:
  ProfileThread* thread_ = nullptr;
  Histogram* latency_ = nullptr;
  uint64_t start_ = 0;
  std::optional<ProfileScope> nested_;
};

// The report for `stats`: one row per component, then "unattributed" (kOther)
// and "total" (the wall time of the measured operations, scaled).
std::vector<ProfileRow> ProfileReport(const ProfileStats& stats);

}  // namespace lightning
