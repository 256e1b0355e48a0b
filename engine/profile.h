// Profile: where the engine's time goes, broken into components.
//
// An *operation* (get, put, delete, cursor seek or step, commit, checkpoint,
// compaction) is measured from entry to exit by a ProfileRoot. While it runs,
// ProfileScopes placed around the work of each component (tree search, cache
// miss and page load, decompress, compress, checksum, WAL append, fsync,
// checkpoint writing) move a thread-local "current component" marker: every
// nanosecond between the root's start and its end is charged to exactly one
// component — the innermost open scope — and what no scope claims is charged
// to kOther ("unattributed"). So the components of an operation add up to its
// wall time by construction, and the size of kOther shows how much of it the
// components do not explain.
//
// Cost: point operations (get, put, delete, seek, step) are measured only
// when LatencyStats samples them (one in kSampleEvery per thread and kind);
// their figures are scaled by kSampleEvery. An unmeasured operation pays one
// predictable branch; a scope outside any measured operation pays one
// thread-local load. Commits, checkpoints and compactions are always
// measured. A measured operation pays two clock reads per scope boundary.
//
// Thread safety: the thread-local marker belongs to its thread; ProfileStats
// counters are relaxed atomics, readable from any thread at any time.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/histogram.h"
#include "engine/stats.h"

namespace lightning {

enum class ProfileComponent : uint8_t {
  kTreeSearch,  // descending and stepping B+tree pages (reads)
  kTreeUpdate,  // changing B+tree pages: copy-on-write, insert, split, merge
  kCacheLoad,   // a cache miss: reading the extent, validating, caching the frame
  kDecompress,
  kCompress,
  kChecksum,    // XXH3 of extents, WAL records, superblocks
  kWalAppend,   // encoding WAL records and writing them to the log
  kFsync,
  kCheckpoint,  // checkpoint work not in another component (placing and writing extents, page table)
  kOther,       // inside a measured operation but in no component above
  kCount
};

enum class ProfileOp : uint8_t { kGet, kPut, kDelete, kSeek, kStep, kCommit, kCheckpoint, kCompact, kCount };

const char* ProfileComponentName(ProfileComponent c);
const char* ProfileComponentDescription(ProfileComponent c);
const char* ProfileOpName(ProfileOp op);

// Per-store accumulators.
class ProfileStats {
 public:
  static constexpr int kOps = static_cast<int>(ProfileOp::kCount);
  static constexpr int kComponents = static_cast<int>(ProfileComponent::kCount);

  void Charge(ProfileOp op, ProfileComponent c, uint64_t nanos) {
    nanos_[Index(op, c)].fetch_add(nanos, std::memory_order_relaxed);
  }
  void Finish(ProfileOp op, uint64_t nanos) {
    total_[static_cast<int>(op)].fetch_add(nanos, std::memory_order_relaxed);
    measured_[static_cast<int>(op)].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t nanos(ProfileOp op, ProfileComponent c) const {
    return nanos_[Index(op, c)].load(std::memory_order_relaxed);
  }
  uint64_t total(ProfileOp op) const { return total_[static_cast<int>(op)].load(std::memory_order_relaxed); }
  uint64_t measured(ProfileOp op) const {
    return measured_[static_cast<int>(op)].load(std::memory_order_relaxed);
  }
  // How many operations one measured operation of `op` stands for.
  static uint32_t Scale(ProfileOp op) {
    return op == ProfileOp::kCommit || op == ProfileOp::kCheckpoint || op == ProfileOp::kCompact
               ? 1
               : LatencyStats::kSampleEvery;
  }
  void Reset();

 private:
  static int Index(ProfileOp op, ProfileComponent c) {
    return static_cast<int>(op) * kComponents + static_cast<int>(c);
  }
  std::array<std::atomic<uint64_t>, kOps * kComponents> nanos_{};
  std::array<std::atomic<uint64_t>, kOps> total_{};
  std::array<std::atomic<uint64_t>, kOps> measured_{};
};

// The operation being measured on this thread, if any.
struct ProfileThread {
  ProfileStats* stats = nullptr;
  ProfileOp op = ProfileOp::kGet;
  ProfileComponent current = ProfileComponent::kOther;
  uint64_t mark = 0;  // when `current` last changed
};
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
    const uint64_t now = NowNanos();
    thread_->stats->Charge(thread_->op, thread_->current, now - thread_->mark);
    thread_->current = previous_;
    thread_->mark = now;
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  void Enter(ProfileThread& t, ProfileComponent c) {
    const uint64_t now = NowNanos();
    t.stats->Charge(t.op, t.current, now - t.mark);
    previous_ = t.current;
    t.current = c;
    t.mark = now;
    thread_ = &t;
  }
  ProfileThread* thread_ = nullptr;
  ProfileComponent previous_ = ProfileComponent::kOther;
};

// Measures one operation when `measured` is true. Nested inside another
// measured operation (a checkpoint run by a commit), it acts as a
// ProfileScope for `self` instead of starting a second operation. Time of the
// root operation that no inner scope claims goes to `self`.
class ProfileRoot {
 public:
  ProfileRoot(ProfileStats* stats, ProfileOp op, ProfileComponent self, bool measured) {
    if constexpr (!kStatsEnabled) return;
    if (!measured || stats == nullptr) return;
    ProfileThread& t = CurrentProfile();
    if (t.stats != nullptr) {
      nested_.emplace(self);
      return;
    }
    thread_ = &t;
    start_ = NowNanos();
    t.stats = stats;
    t.op = op;
    t.current = self;
    t.mark = start_;
  }
  ~ProfileRoot() {
    if (thread_ == nullptr) return;
    const uint64_t now = NowNanos();
    thread_->stats->Charge(thread_->op, thread_->current, now - thread_->mark);
    thread_->stats->Finish(thread_->op, now - start_);
    thread_->stats = nullptr;
  }
  ProfileRoot(const ProfileRoot&) = delete;
  ProfileRoot& operator=(const ProfileRoot&) = delete;

 private:
  ProfileThread* thread_ = nullptr;
  uint64_t start_ = 0;
  std::optional<ProfileScope> nested_;
};

// One row of a profile report (see DB::Profile in db.h).
struct ProfileRow {
  std::string component;    // a component name, "unattributed" or "total"
  double seconds = 0;       // estimated time, scaled up from the measured operations
  double share = 0;         // seconds / total seconds
  uint64_t measured = 0;    // measured operations that spent time here
  std::string method;       // how it was measured
  std::string description;
};

// The report for `stats`: one row per component, then "unattributed" (kOther)
// and "total" (the wall time of the measured operations, scaled).
std::vector<ProfileRow> ProfileReport(const ProfileStats& stats);

}  // namespace lightning
