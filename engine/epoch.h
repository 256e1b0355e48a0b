// EpochManager: lets readers use pages and frames without locks, and tells
// the writer when a retired object can no longer be seen by anyone.
//
// A global epoch only grows. A reader pins the current epoch in a slot of
// its own for the life of its transaction. Whoever unlinks an object (a page
// replaced by copy-on-write, a frame evicted from the cache, an old version)
// first makes it unreachable for new readers, then calls Advance(), which
// returns the tag to retire the object with. The object may be freed once
// MinPinned() > tag: every reader that could have reached it has finished.
//
// All slot and epoch operations are sequentially consistent: a reader's pin
// store is ordered before its loads of shared pointers, and an unlinker's
// unlink store before its slot scan, so either the scan sees the pin or the
// reader sees the unlinked state.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "engine/profile.h"

namespace lightning {

class EpochManager {
 public:
  static constexpr uint64_t kIdle = UINT64_MAX;

  explicit EpochManager(uint32_t max_readers)
      : num_slots_(max_readers), slots_(new Slot[max_readers]) {}

  // Claims a slot and pins the current epoch. Returns the slot, or -1 when
  // every slot is taken (too many open transactions).
  //
  // A thread starts its search at the slot it used last (each thread's first
  // search starts at a slot of its own), so threads that keep beginning and
  // ending transactions keep to their own slots, and a pin writes only its
  // slot's cache line: nothing shared with other threads' readers is written
  // per transaction.
  int Pin() {
    uint32_t hint = t_slot_hint;
    if (__builtin_expect(hint == UINT32_MAX, 0)) hint = NewThreadHint();
    for (uint32_t tries = 0; tries < num_slots_; tries++) {
      uint32_t i = (hint + tries) % num_slots_;
      bool expected = false;
      if (!slots_[i].used.load(std::memory_order_relaxed) &&
          slots_[i].used.compare_exchange_strong(expected, true)) {
        slots_[i].since.store(ProfileNanos(), std::memory_order_relaxed);
        slots_[i].pinned.store(epoch_.load());
        t_slot_hint = i;
        if (__builtin_expect(high_water_.load() < i + 1, 0)) {  // before any load it protects
          RaiseHighWater(i + 1);
        }
        return static_cast<int>(i);
      }
    }
    return -1;
  }

  void Unpin(int slot) {
    slots_[slot].pinned.store(kIdle);
    slots_[slot].used.store(false, std::memory_order_release);
  }

  // The epoch pinned in `slot`.
  uint64_t pinned(int slot) const { return slots_[slot].pinned.load(); }

  // Moves the epoch on; returns the tag for objects unlinked before the call.
  uint64_t Advance() { return epoch_.fetch_add(1); }
  uint64_t current() const { return epoch_.load(); }

  // The smallest pinned epoch, or kIdle when no reader is pinned.
  uint64_t MinPinned() const {
    uint64_t min = kIdle;
    const uint32_t n = high_water_.load();
    for (uint32_t i = 0; i < n; i++) {
      uint64_t p = slots_[i].pinned.load();
      if (p < min) min = p;
    }
    return min;
  }

  // Nanoseconds since the oldest open transaction began (0 when none).
  uint64_t OldestAgeNanos() const {
    uint64_t oldest = UINT64_MAX;
    const uint32_t n = high_water_.load();
    for (uint32_t i = 0; i < n; i++) {
      if (slots_[i].pinned.load() == kIdle) continue;
      uint64_t t = slots_[i].since.load(std::memory_order_relaxed);
      if (t < oldest) oldest = t;
    }
    if (oldest == UINT64_MAX) return 0;
    const uint64_t now = ProfileNanos();
    return now > oldest ? now - oldest : 0;
  }

  // Open transactions (slots in use), counted when asked: no counter is
  // written per transaction.
  uint32_t readers() const {
    uint32_t n = 0;
    const uint32_t hw = high_water_.load();
    for (uint32_t i = 0; i < hw; i++) n += slots_[i].used.load(std::memory_order_relaxed) ? 1 : 0;
    return n;
  }
  uint32_t capacity() const { return num_slots_; }

 private:
  // Each slot has its cache line to itself: a reader writes only its own.
  struct alignas(64) Slot {
    std::atomic<uint64_t> pinned{kIdle};
    std::atomic<bool> used{false};
    std::atomic<uint64_t> since{0};  // when the pin was taken (ProfileNanos: no pipeline fence)
  };
  // The slot a thread searches from first (UINT32_MAX before its first pin).
  static inline thread_local uint32_t t_slot_hint = UINT32_MAX;
  // Spreads threads' first searches over the slots (in the order threads
  // first pin, across every store of the process).
  uint32_t NewThreadHint() {
    static std::atomic<uint32_t> next_thread{0};
    const uint32_t h = next_thread.fetch_add(1, std::memory_order_relaxed) % num_slots_;
    t_slot_hint = h;
    return h;
  }
  void RaiseHighWater(uint32_t n) {
    uint32_t hw = high_water_.load();
    while (hw < n && !high_water_.compare_exchange_weak(hw, n)) {
    }
  }

  // Written by unlinkers (commits, evictions), read by every Pin: its own line,
  // apart from what readers only read.
  alignas(64) std::atomic<uint64_t> epoch_{1};
  // Read by every Pin and scan, written only when a slot above it is first
  // used; the line after epoch_'s, so the writer's Advance() does not make
  // readers miss on it.
  alignas(64) std::atomic<uint32_t> high_water_{0};  // slots at or above it were never used
  const uint32_t num_slots_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace lightning
