#include "engine/txn.h"

#include "engine/coding.h"

namespace lightning {

// ---- catalog encoding ----

std::string CatalogIdKey(TreeId id) {
  std::string k(9, 'i');
  EncodeBigEndian64(k.data() + 1, id);
  return k;
}

std::string CatalogNameKey(std::string_view name) { return "n" + std::string(name); }

std::string CatalogOptionKey(std::string_view option) { return "o" + std::string(option); }

std::string EncodeTreeMeta(const TreeMeta& m) {
  std::string v;
  PutVarint64(&v, m.id);
  PutVarint64(&v, m.root.root);
  PutVarint64(&v, m.root.depth);
  PutVarint64(&v, m.root.count);
  PutLengthPrefixed(&v, m.name);
  return v;
}

Status DecodeTreeMeta(std::string_view bytes, TreeMeta* m) {
  const char* p = bytes.data();
  const char* limit = p + bytes.size();
  uint64_t depth = 0;
  std::string_view name;
  if ((p = DecodeVarint64(p, limit, &m->id)) == nullptr ||
      (p = DecodeVarint64(p, limit, &m->root.root)) == nullptr ||
      (p = DecodeVarint64(p, limit, &depth)) == nullptr ||
      (p = DecodeVarint64(p, limit, &m->root.count)) == nullptr ||
      !GetLengthPrefixed(&p, limit, &name)) {
    return Status::Corruption("catalog entry is malformed");
  }
  m->root.depth = static_cast<uint32_t>(depth);
  m->name.assign(name);
  return Status::OK();
}

// ---- TxnCommon ----

Status TxnCommon::Read(PageId id, Frame** frame) {
  return db_->pager_->Get(id, frame, &page_hits_);
}

void TxnCommon::Prefetch(PageId id, uint32_t bytes) { db_->pager_->Prefetch(id, bytes); }
void TxnCommon::ReadAhead(const PageId* ids, size_t n) { db_->pager_->ReadAhead(ids, n); }
uint32_t TxnCommon::ReadAheadLimit() const { return db_->pager_->readahead_limit(); }

TxnCommon::~TxnCommon() { Unpin(); }

void TxnCommon::Unpin() {
  if (slot_ >= 0) {
    FlushStats();
    db_->pager_->epochs().Unpin(slot_);
    slot_ = -1;
  }
}

void TxnCommon::FlushStats() {
  if constexpr (!kStatsEnabled) return;
  EngineStats& st = db_->stats_;
  const uint32_t stripe = ThreadStripe();
  if (__builtin_expect(stripe < kOwnedStripes, 1)) {  // plain adds to this thread's own stripes
    st.read_txns.AddOwned(stripe, counts_as_read_txn_ ? 1 : 0);
    st.gets.AddOwned(stripe, gets_);
    st.get_misses.AddOwned(stripe, get_misses_);
    st.cache_hits.AddOwned(stripe, page_hits_);
  } else {
    st.read_txns.AddAt(stripe, counts_as_read_txn_ ? 1 : 0);
    st.gets.AddAt(stripe, gets_);
    st.get_misses.AddAt(stripe, get_misses_);
    st.cache_hits.AddAt(stripe, page_hits_);
  }
  gets_ = get_misses_ = page_hits_ = 0;
  counts_as_read_txn_ = false;
}

namespace {

// A tree's root as of one snapshot never changes, so a thread may remember it
// for (store instance, snapshot, tree): later read transactions on the same
// snapshot skip the catalog search. Write transactions keep their own metas.
struct RootCacheEntry {
  uint64_t db_uid = 0, txn = 0;
  TreeId tree = 0;
  TreeRoot root;
};
constexpr int kRootCacheSize = 4;
thread_local RootCacheEntry root_cache[kRootCacheSize];
thread_local int root_cache_next = 0;

}  // namespace

bool TxnCommon::CachedRoot(TreeId tree, TreeRoot* root) const {
  for (const RootCacheEntry& e : root_cache) {
    if (e.tree == tree && e.txn == version_.txn && e.db_uid == db_->uid_) {
      *root = e.root;
      return true;
    }
  }
  return false;
}

void TxnCommon::RememberRoot(TreeId tree, const TreeRoot& root) const {
  RootCacheEntry& e = root_cache[root_cache_next];
  root_cache_next = (root_cache_next + 1) % kRootCacheSize;
  e = RootCacheEntry{db_->uid_, version_.txn, tree, root};
}

Status TxnCommon::FindMeta(TreeId tree, TreeMeta* meta) {
  std::string_view v;
  Status s = TreeGet(this, version_.catalog, CatalogIdKey(tree), &v);
  if (s.IsNotFound()) return Status::NotFound("no tree with id " + std::to_string(tree));
  LIGHTNING_RETURN_IF_ERROR(s);
  return DecodeTreeMeta(v, meta);
}

Status TxnCommon::LookupName(Slice name, TreeId* id) {
  std::string_view v;
  Status s = TreeGet(this, version_.catalog, CatalogNameKey(name), &v);
  if (s.IsNotFound()) return Status::NotFound("no tree named '" + std::string(name) + "'");
  LIGHTNING_RETURN_IF_ERROR(s);
  if (v.size() != 8) return Status::Corruption("catalog name entry is malformed");
  *id = DecodeFixed64(v.data());
  return Status::OK();
}

Status TxnCommon::CommonListTrees(std::vector<TreeInfo>* trees) {
  trees->clear();
  TreeIterator it(this, version_.catalog);
  LIGHTNING_RETURN_IF_ERROR(it.Seek("n"));
  while (it.Valid() && !it.key().empty() && it.key()[0] == 'n') {
    std::string_view v;
    LIGHTNING_RETURN_IF_ERROR(it.value(&v));
    if (v.size() != 8) return Status::Corruption("catalog name entry is malformed");
    TreeMeta m;
    LIGHTNING_RETURN_IF_ERROR(FindMeta(DecodeFixed64(v.data()), &m));
    trees->push_back(TreeInfo{m.name, m.id, m.root.count, m.root.depth});
    LIGHTNING_RETURN_IF_ERROR(it.Next());
  }
  return Status::OK();
}

Status TxnCommon::ListOptions(std::map<std::string, std::string>* options) {
  options->clear();
  TreeIterator it(this, version_.catalog);
  LIGHTNING_RETURN_IF_ERROR(it.Seek("o"));
  while (it.Valid() && !it.key().empty() && it.key()[0] == 'o') {
    std::string_view v;
    LIGHTNING_RETURN_IF_ERROR(it.value(&v));
    (*options)[std::string(it.key().substr(1))] = std::string(v);
    LIGHTNING_RETURN_IF_ERROR(it.Next());
  }
  return Status::OK();
}

Status TxnCommon::GetViewUnmeasured(TreeId tree, Slice key, Slice* value) {
  gets_++;
  if (tree != cached_id_ || tree == 0) {
    if (!CachedRoot(tree, &cached_root_)) {
      TreeMeta m;
      LIGHTNING_RETURN_IF_ERROR(FindMeta(tree, &m));
      cached_root_ = m.root;
      RememberRoot(tree, m.root);
    }
    cached_id_ = tree;
  }
  Status s = TreeGet(this, cached_root_, key, value);
  if (s.IsNotFound()) get_misses_++;
  return s;
}

Status TxnCommon::CommonGetView(TreeId tree, Slice key, Slice* value) {
  if (__builtin_expect(LatencyStats::Sample(LatencyStats::kGet), 0)) {
    return MeasuredGetView(tree, key, value);
  }
  return GetViewUnmeasured(tree, key, value);
}

Status TxnCommon::MeasuredGetView(TreeId tree, Slice key, Slice* value) {
  ProfileRoot profile(&db_->profile_, ProfileOp::kGet, ProfileComponent::kTreeSearch, true,
                      &db_->latency_.get);
  return GetViewUnmeasured(tree, key, value);
}

Result<std::unique_ptr<Cursor>> TxnCommon::CommonNewCursor(TreeId tree, const uint64_t* mod_count) {
  TreeRoot root;
  if (mod_count != nullptr || !CachedRoot(tree, &root)) {  // snapshots: the per-thread root cache
    TreeMeta m;
    Status s = FindMeta(tree, &m);
    if (!s.ok()) return s;
    root = m.root;
    if (mod_count == nullptr) RememberRoot(tree, root);
  }
  return std::unique_ptr<Cursor>(new CursorImpl(this, tree, root, mod_count));
}

// ---- ReadTxnImpl ----

Status ReadTxnImpl::GetTreeInfo(TreeId tree, TreeInfo* info) {
  TreeMeta m;
  LIGHTNING_RETURN_IF_ERROR(FindMeta(tree, &m));
  *info = TreeInfo{m.name, m.id, m.root.count, m.root.depth};
  return Status::OK();
}

Status ReadTxnImpl::Get(TreeId tree, Slice key, std::string* value) {
  Slice v;
  LIGHTNING_RETURN_IF_ERROR(CommonGetView(tree, key, &v));
  value->assign(v.data(), v.size());
  return Status::OK();
}

// ---- CursorImpl ----

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
  ProfileRoot profile(&txn_->db_->profile_, ProfileOp::kSeek, ProfileComponent::kTreeSearch, timed,
                      &txn_->db_->latency_.seek);
  txn_->db_->stats_.cursor_seeks.Add();
  TreeRoot root;
  Status s = CurrentRoot(&root);
  if (!s.ok()) return Settle(s);
  if (mod_count_) seen_mod_ = *mod_count_;
  it_.Reset(root);
  Settle(it_.Seek(target));
}

void CursorImpl::SeekForPrev(Slice target) {
  const bool timed = LatencyStats::Sample(LatencyStats::kSeek);
  ProfileRoot profile(&txn_->db_->profile_, ProfileOp::kSeek, ProfileComponent::kTreeSearch, timed,
                      &txn_->db_->latency_.seek);
  txn_->db_->stats_.cursor_seeks.Add();
  TreeRoot root;
  Status s = CurrentRoot(&root);
  if (!s.ok()) return Settle(s);
  if (mod_count_) seen_mod_ = *mod_count_;
  it_.Reset(root);
  Settle(it_.SeekForPrev(target));
}

void CursorImpl::SeekToFirst() {
  const bool timed = LatencyStats::Sample(LatencyStats::kSeek);
  ProfileRoot profile(&txn_->db_->profile_, ProfileOp::kSeek, ProfileComponent::kTreeSearch, timed,
                      &txn_->db_->latency_.seek);
  txn_->db_->stats_.cursor_seeks.Add();
  TreeRoot root;
  Status s = CurrentRoot(&root);
  if (!s.ok()) return Settle(s);
  if (mod_count_) seen_mod_ = *mod_count_;
  it_.Reset(root);
  Settle(it_.First());
}

void CursorImpl::SeekToLast() {
  const bool timed = LatencyStats::Sample(LatencyStats::kSeek);
  ProfileRoot profile(&txn_->db_->profile_, ProfileOp::kSeek, ProfileComponent::kTreeSearch, timed,
                      &txn_->db_->latency_.seek);
  txn_->db_->stats_.cursor_seeks.Add();
  TreeRoot root;
  Status s = CurrentRoot(&root);
  if (!s.ok()) return Settle(s);
  if (mod_count_) seen_mod_ = *mod_count_;
  it_.Reset(root);
  Settle(it_.Last());
}

CursorImpl::~CursorImpl() {
  if (tick_ != counted_) txn_->db_->stats_.cursor_steps.Add(tick_ - counted_);
}

void CursorImpl::MeasuredStep(bool forward) {
  txn_->db_->stats_.cursor_steps.Add(tick_ - counted_);
  counted_ = tick_;
  ProfileRoot profile(&txn_->db_->profile_, ProfileOp::kStep, ProfileComponent::kTreeSearch, true,
                      &txn_->db_->latency_.scan_step);
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
