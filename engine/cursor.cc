#include "engine/cursor.h"

#include <algorithm>

#include "engine/node.h"
#include "engine/txn.h"

namespace lightning {

// ---- TreeIterator ----

// Rows a scan prefetches ahead: a row takes some tens of nanoseconds, a miss
// a few hundred.
constexpr uint32_t kScanAhead = 8;

Status TreeIterator::Descend(Frame* f, bool leftmost) {
  while (true) {
    if (f->type != kLeafPage && f->type != kBranchPage) {
      return Status::Corruption("tree path leads to a non-node page");
    }
    Node n(f->data(), f->size);
    uint32_t idx = leftmost ? 0 : (n.is_leaf() ? (n.count() ? n.count() - 1 : 0) : n.count());
    stack_.push_back({f, idx});
    if (n.is_leaf()) {
      // The first rows a scan will read from here (either direction).
      for (uint32_t k = 1; k <= kScanAhead && k <= n.count(); k++) {
        n.PrefetchCell(leftmost ? k - 1 : n.count() - k);
      }
      return Status::OK();
    }
    LIGHTNING_RETURN_IF_ERROR(src_->ReadChild(f, n, idx, Pager::kPrefetchBytes, &f));
  }
}

Status TreeIterator::DescendChild(size_t level, bool leftmost) {
  Frame* parent = stack_[level].frame;
  Frame* f;
  LIGHTNING_RETURN_IF_ERROR(src_->ReadChild(parent, Node(parent->data(), parent->size),
                                            stack_[level].index, Pager::kPrefetchBytes, &f));
  return Descend(f, leftmost);
}

Status TreeIterator::First() {
  stack_.clear();
  ahead_ = 0;
  valid_ = false;
  if (root_.root == 0) return Status::OK();
  Frame* root;
  LIGHTNING_RETURN_IF_ERROR(src_->Read(root_.root, &root));
  LIGHTNING_RETURN_IF_ERROR(Descend(root, true));
  Node leaf(stack_.back().frame->data(), stack_.back().frame->size);
  if (leaf.count() == 0) return Status::OK();
  valid_ = true;
  return Status::OK();
}

Status TreeIterator::Last() {
  stack_.clear();
  ahead_ = 0;
  valid_ = false;
  if (root_.root == 0) return Status::OK();
  Frame* root;
  LIGHTNING_RETURN_IF_ERROR(src_->Read(root_.root, &root));
  LIGHTNING_RETURN_IF_ERROR(Descend(root, false));
  Node leaf(stack_.back().frame->data(), stack_.back().frame->size);
  if (leaf.count() == 0) return Status::OK();
  valid_ = true;
  return Status::OK();
}

Status TreeIterator::Seek(std::string_view target) {
  stack_.clear();
  ahead_ = 0;
  valid_ = false;
  if (root_.root == 0) return Status::OK();
  Frame* f;
  LIGHTNING_RETURN_IF_ERROR(src_->Read(root_.root, &f));
  while (true) {
    if (f->type != kLeafPage && f->type != kBranchPage) {
      return Status::Corruption("tree path leads to a non-node page");
    }
    Node n(f->data(), f->size);
    if (n.is_leaf()) {
      bool exact;
      uint32_t i = n.LowerBound(target, &exact);
      stack_.push_back({f, i});
      if (i < n.count()) {
        valid_ = true;
        return Status::OK();
      }
      // Past the end of this leaf: the next key is in the next leaf.
      stack_.back().index = n.count() ? n.count() - 1 : 0;
      valid_ = n.count() > 0;
      if (!valid_) return Status::OK();
      return Next();
    }
    uint32_t idx = n.ChildIndex(target);
    stack_.push_back({f, idx});
    LIGHTNING_RETURN_IF_ERROR(src_->ReadChild(f, n, idx, Pager::kPrefetchBytes, &f));
  }
}

Status TreeIterator::SeekForPrev(std::string_view target) {
  LIGHTNING_RETURN_IF_ERROR(Seek(target));
  if (!valid_) return Last();
  if (key() == target) return Status::OK();
  return Prev();
}

void TreeIterator::PrefetchAhead(bool forward) const {
  const Level& leaf = stack_.back();
  Node ln(leaf.frame->data(), leaf.frame->size);
  const uint32_t n = ln.count();
  if (forward ? leaf.index + kScanAhead < n : leaf.index >= kScanAhead) {
    ln.PrefetchCell(forward ? leaf.index + kScanAhead : leaf.index - kScanAhead);
    return;
  }
  // Near the end: once per leaf, the sibling the scan moves to next.
  if (leaf.index != (forward ? n - kScanAhead : kScanAhead - 1) || stack_.size() < 2) return;
  const Level& parent = stack_[stack_.size() - 2];
  Node pn(parent.frame->data(), parent.frame->size);
  if (forward ? parent.index < pn.count() : parent.index > 0) {
    src_->Prefetch(pn.child(forward ? parent.index + 1 : parent.index - 1), Pager::kPrefetchBytes);
  }
}

void TreeIterator::ReadAheadLeaves(bool forward) {
  const uint32_t limit = std::min<uint32_t>(src_->ReadAheadLimit(), 1024);
  if (limit == 0 || stack_.size() < 2) return;
  const Level& parent = stack_[stack_.size() - 2];
  Node pn(parent.frame->data(), parent.frame->size);
  const uint32_t idx = parent.index, children = pn.count() + 1;
  const bool same_parent = parent.frame->id == ahead_parent_;
  // Leaves already read ahead of this one: enough while half the window.
  if (same_parent && (forward ? ahead_edge_ > idx + 1 : ahead_edge_ < idx)) {
    const uint32_t left = forward ? ahead_edge_ - (idx + 1) : idx - ahead_edge_;
    if (left >= std::max<uint32_t>(1, ahead_ / 2)) return;
  }
  ahead_ = std::min(limit, ahead_ == 0 ? 2 : ahead_ * 2);  // grows as the scan goes on
  uint32_t from, to;                                       // child indexes [from, to) to read ahead
  if (forward) {
    from = same_parent && ahead_edge_ > idx + 1 ? ahead_edge_ : idx + 1;
    to = std::min(children, idx + 1 + ahead_);
    ahead_edge_ = std::max(from, to);
  } else {
    to = same_parent && ahead_edge_ < idx ? ahead_edge_ : idx;
    from = idx > ahead_ ? idx - ahead_ : 0;
    ahead_edge_ = std::min(from, to);
  }
  ahead_parent_ = parent.frame->id;
  PageId ids[64];
  size_t n = 0;
  for (uint32_t c = from; c < to; c++) {
    ids[n++] = pn.child(c);
    if (n == 64) src_->ReadAhead(ids, n), n = 0;
  }
  if (n > 0) src_->ReadAhead(ids, n);
}

Status TreeIterator::Next() {
  if (!valid_) return Status::OK();
  Level& leaf = stack_.back();
  Node ln(leaf.frame->data(), leaf.frame->size);
  if (leaf.index + 1 < ln.count()) {
    leaf.index++;
    PrefetchAhead(true);
    return Status::OK();
  }
  // Climb to the first ancestor with a child to the right.
  int level = static_cast<int>(stack_.size()) - 2;
  while (level >= 0) {
    Node n(stack_[level].frame->data(), stack_[level].frame->size);
    if (stack_[level].index < n.count()) break;
    level--;
  }
  if (level < 0) {
    valid_ = false;
    return Status::OK();
  }
  stack_.resize(level + 1);
  stack_[level].index++;
  Status s = DescendChild(level, true);
  if (!s.ok()) {
    valid_ = false;
    return s;
  }
  ReadAheadLeaves(true);
  Node nl(stack_.back().frame->data(), stack_.back().frame->size);
  if (nl.count() == 0) return Next();  // an empty leaf cannot exist; be safe
  return Status::OK();
}

Status TreeIterator::Prev() {
  if (!valid_) return Status::OK();
  Level& leaf = stack_.back();
  if (leaf.index > 0) {
    leaf.index--;
    PrefetchAhead(false);
    return Status::OK();
  }
  int level = static_cast<int>(stack_.size()) - 2;
  while (level >= 0 && stack_[level].index == 0) level--;
  if (level < 0) {
    valid_ = false;
    return Status::OK();
  }
  stack_.resize(level + 1);
  stack_[level].index--;
  Status s = DescendChild(level, false);
  if (!s.ok()) {
    valid_ = false;
    return s;
  }
  ReadAheadLeaves(false);
  return Status::OK();
}

std::string_view TreeIterator::key() const {
  const Level& leaf = stack_.back();
  return Node(leaf.frame->data(), leaf.frame->size).key(leaf.index);
}

Status TreeIterator::value(std::string_view* v) const {
  const Level& leaf = stack_.back();
  return ReadLeafValue(src_, Node(leaf.frame->data(), leaf.frame->size), leaf.index, v);
}

// ---- CursorImpl ----

CursorImpl::CursorImpl(TxnCommon* txn, TreeId tree, const TreeRoot& root, const uint64_t* mod_count)
    : txn_(txn),
      ctx_(txn->context()),
      tree_(tree),
      root_(root),
      it_(txn, root),
      mod_count_(mod_count),
      seen_mod_(mod_count ? *mod_count : 0),
      tick_(LatencyStats::CursorPhase()),
      counted_(tick_) {}

Status CursorImpl::CurrentRoot(TreeRoot* root) const {
  if (mod_count_ == nullptr) {  // a snapshot's tree never changes
    *root = root_;
    return Status::OK();
  }
  return txn_->FindRoot(tree_, root);
}

void CursorImpl::Settle(Status s) const {
  status_ = std::move(s);
  value_ = std::string_view();
  if (status_.ok() && it_.Valid()) {
    // Load a large value now, so that Valid() promises a readable value;
    // value() returns this view until the position changes.
    status_ = it_.value(&value_);
  }
  if (!status_.ok()) {
    it_.Reset(TreeRoot{});
    return;
  }
  if (mod_count_ != nullptr && it_.Valid()) saved_key_.assign(it_.key());
  on_saved_ = true;
}

void CursorImpl::Refresh() const {
  if (!Stale()) return;
  seen_mod_ = *mod_count_;
  if (!it_.Valid()) return;
  TreeRoot root;
  Status s = CurrentRoot(&root);
  if (!s.ok()) return Settle(s);
  it_.Reset(root);
  s = it_.Seek(saved_key_);
  if (!s.ok()) return Settle(s);
  const bool on_saved = it_.Valid() && it_.key() == saved_key_;
  Settle(Status::OK());
  on_saved_ = on_saved;
  // If the saved key is gone, it_ sits at its successor (or is invalid).
}

void CursorImpl::Seek(Slice target) {
  const bool timed = LatencyStats::Sample(LatencyStats::kSeek);
  ProfileRoot profile(ctx_->profile, ProfileOp::kSeek, ProfileComponent::kTreeSearch, timed,
                      &ctx_->latency->seek);
  ctx_->stats->cursor_seeks.Add();
  TreeRoot root;
  Status s = CurrentRoot(&root);
  if (!s.ok()) return Settle(s);
  if (mod_count_) seen_mod_ = *mod_count_;
  it_.Reset(root);
  Settle(it_.Seek(target));
}

void CursorImpl::SeekForPrev(Slice target) {
  const bool timed = LatencyStats::Sample(LatencyStats::kSeek);
  ProfileRoot profile(ctx_->profile, ProfileOp::kSeek, ProfileComponent::kTreeSearch, timed,
                      &ctx_->latency->seek);
  ctx_->stats->cursor_seeks.Add();
  TreeRoot root;
  Status s = CurrentRoot(&root);
  if (!s.ok()) return Settle(s);
  if (mod_count_) seen_mod_ = *mod_count_;
  it_.Reset(root);
  Settle(it_.SeekForPrev(target));
}

void CursorImpl::SeekToFirst() {
  const bool timed = LatencyStats::Sample(LatencyStats::kSeek);
  ProfileRoot profile(ctx_->profile, ProfileOp::kSeek, ProfileComponent::kTreeSearch, timed,
                      &ctx_->latency->seek);
  ctx_->stats->cursor_seeks.Add();
  TreeRoot root;
  Status s = CurrentRoot(&root);
  if (!s.ok()) return Settle(s);
  if (mod_count_) seen_mod_ = *mod_count_;
  it_.Reset(root);
  Settle(it_.First());
}

void CursorImpl::SeekToLast() {
  const bool timed = LatencyStats::Sample(LatencyStats::kSeek);
  ProfileRoot profile(ctx_->profile, ProfileOp::kSeek, ProfileComponent::kTreeSearch, timed,
                      &ctx_->latency->seek);
  ctx_->stats->cursor_seeks.Add();
  TreeRoot root;
  Status s = CurrentRoot(&root);
  if (!s.ok()) return Settle(s);
  if (mod_count_) seen_mod_ = *mod_count_;
  it_.Reset(root);
  Settle(it_.Last());
}

CursorImpl::~CursorImpl() {
  if (tick_ != counted_) ctx_->stats->cursor_steps.Add(tick_ - counted_);
}

void CursorImpl::MeasuredStep(bool forward) {
  ctx_->stats->cursor_steps.Add(tick_ - counted_);
  counted_ = tick_;
  ProfileRoot profile(ctx_->profile, ProfileOp::kStep, ProfileComponent::kTreeSearch, true,
                      &ctx_->latency->scan_step);
  forward ? StepForward() : StepBack();
}

void CursorImpl::Next() {
  if (__builtin_expect(CountStep(), 0)) return MeasuredStep(true);
  StepForward();
}

void CursorImpl::Prev() {
  if (__builtin_expect(CountStep(), 0)) return MeasuredStep(false);
  StepBack();
}

void CursorImpl::StepForward() {
  Refresh();
  if (!on_saved_) {  // the saved key was deleted: its successor is next
    Settle(Status::OK());
  } else {
    Settle(it_.Next());
  }
}

void CursorImpl::StepBack() {
  Refresh();
  if (!on_saved_) {
    // it_ sits at the successor of the deleted key: its predecessor is next.
    Settle(it_.Valid() ? it_.Prev() : it_.Last());
  } else {
    Settle(it_.Prev());
  }
}

bool CursorImpl::Valid() const {
  Refresh();
  return status_.ok() && it_.Valid();
}

Slice CursorImpl::key() const {
  Refresh();
  return it_.key();
}

Slice CursorImpl::value() const {
  Refresh();
  return value_;  // read by Settle at every move (empty when not Valid())
}

}  // namespace lightning
