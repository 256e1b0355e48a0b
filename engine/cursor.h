// Cursors: a position in one B+tree (TreeIterator), and the Cursor a
// transaction hands out (CursorImpl), which adds statistics and, in a write
// transaction, follows the tree as the transaction changes it.
//
// A TreeIterator holds one (frame, index) per level from the root to a leaf;
// the frames stay valid while the transaction's epoch pin lasts. Scans
// prefetch rows ahead within a leaf, the next leaf near a leaf's end, and ask
// for uncached leaves to be read ahead (PageSource::ReadAhead).
//
// Thread safety: none; a cursor belongs to its transaction's thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/btree.h"
#include "engine/histogram.h"
#include "engine/stats.h"
#include "lightning/db.h"

namespace lightning {

class TxnCommon;
struct TxnContext;

// A position in a tree: one (frame, index) per level.
class TreeIterator {
 public:
  TreeIterator(PageSource* src, const TreeRoot& root) : src_(src), root_(root) {}

  void Reset(const TreeRoot& root) {
    root_ = root;
    stack_.clear();
    ahead_ = 0;
    valid_ = false;
  }
  Status Seek(std::string_view target);         // first key >= target
  Status SeekForPrev(std::string_view target);  // last key <= target
  Status First();
  Status Last();
  Status Next();
  Status Prev();
  bool Valid() const { return valid_; }
  std::string_view key() const;
  Status value(std::string_view* v) const;

 private:
  struct Level {
    Frame* frame;
    uint32_t index;
  };
  // From frame `f` down to its first (leftmost) or last leaf, pushing the path.
  Status Descend(Frame* f, bool leftmost);
  // Descends into child stack_[level].index of the branch at stack_[level].
  Status DescendChild(size_t level, bool leftmost);
  // Prefetches the cell kScanAhead rows ahead, and near a leaf's end the
  // next leaf in the scan's direction.
  void PrefetchAhead(bool forward) const;
  // After the scan moved into a new leaf: asks for the following leaves under
  // the same parent to be read ahead, a window that doubles from 2 up to
  // ReadAheadLimit() as the scan goes on (a short range scan reads ahead
  // little). Renewed when half of it has been used.
  void ReadAheadLeaves(bool forward);
  PageSource* src_;
  TreeRoot root_;
  std::vector<Level> stack_;
  bool valid_ = false;
  uint32_t ahead_ = 0;       // read-ahead window, in leaves; 0 after a seek
  PageId ahead_parent_ = 0;  // the branch whose children were read ahead
  uint32_t ahead_edge_ = 0;  // child index where that read-ahead stopped
};

// The Cursor a transaction hands out: a TreeIterator plus the store's
// counters; in a write transaction it re-finds its key after the tree
// changed under it. REQUIRES: the transaction outlives the cursor.
class CursorImpl final : public Cursor {
 public:
  // `mod_count`: the write transaction's change counter (the cursor re-finds
  // its position when it moves), or nullptr for a read transaction.
  CursorImpl(TxnCommon* txn, TreeId tree, const TreeRoot& root, const uint64_t* mod_count);
  ~CursorImpl() override;

  void Seek(Slice target) override;
  void SeekForPrev(Slice target) override;
  void SeekToFirst() override;
  void SeekToLast() override;
  void Next() override;
  void Prev() override;
  bool Valid() const override;
  Slice key() const override;
  Slice value() const override;
  Status status() const override { return status_; }

 private:
  // Write transactions: re-finds the position after the tree changed.
  void Refresh() const;
  void Settle(Status s) const;  // records status, remembers the key
  bool Stale() const { return mod_count_ != nullptr && *mod_count_ != seen_mod_; }
  Status CurrentRoot(TreeRoot* root) const;

  TxnCommon* txn_;
  const TxnContext* ctx_;  // txn_'s: the store's counters
  TreeId tree_;
  TreeRoot root_;  // read transactions: the snapshot's root, fixed
  mutable TreeIterator it_;
  const uint64_t* mod_count_;  // nullptr for read transactions
  mutable uint64_t seen_mod_;
  mutable std::string saved_key_;
  mutable std::string_view value_;  // the current row's value, set by Settle
  mutable bool on_saved_ = true;    // false: saved key was deleted; at its successor
  mutable Status status_;

  // Steps are counted by the cursor and added to the store's cursor_steps
  // at each measured step and when the cursor is destroyed: a step costs no
  // shared write and no thread-local access. One step in
  // LatencyStats::kStepSampleEvery is measured, from a per-cursor phase.
  bool CountStep() {  // true: measure this step (MeasuredStep)
    if constexpr (!kStatsEnabled) return false;
    return (++tick_ & (LatencyStats::kStepSampleEvery - 1)) == 0;
  }
  // Out of line, so that the unmeasured step carries none of its code.
  [[gnu::noinline, gnu::cold]] void MeasuredStep(bool forward);
  void StepForward();
  void StepBack();
  uint64_t tick_;     // a per-cursor phase plus the steps taken
  uint64_t counted_;  // tick_ when the steps were last added to cursor_steps
};

}  // namespace lightning
