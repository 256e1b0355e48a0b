#include "engine/txn.h"

#include "engine/coding.h"
#include "engine/cursor.h"

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
  return ctx_->pager->Get(id, frame, &page_hits_);
}

Status TxnCommon::ReadChild(Frame* parent, const Node& n, uint32_t index, uint32_t prefetch_bytes,
                            Frame** frame) {
  Pager* pager = ctx_->pager;
  if (Frame* f = Pager::LinkedChild(parent, index)) {
    Pager::Touch(f, prefetch_bytes);
    ++page_hits_;
    *frame = f;
    return Status::OK();
  }
  const PageId id = n.child(index);
  if (prefetch_bytes > Pager::kPrefetchBytes) pager->Prefetch(id, prefetch_bytes);
  const uint64_t hits = page_hits_;
  LIGHTNING_RETURN_IF_ERROR(pager->Get(id, frame, &page_hits_));
  // Only a child found cached is linked: one just loaded may be evicted
  // before its next use, and making and undoing its link would be wasted
  // work when the cache churns.
  if (links_children_ && page_hits_ != hits) pager->LinkChild(parent, n.count() + 1, index, *frame);
  return Status::OK();
}

void TxnCommon::Prefetch(PageId id, uint32_t bytes) { ctx_->pager->Prefetch(id, bytes); }
void TxnCommon::ReadAhead(const PageId* ids, size_t n) { ctx_->pager->ReadAhead(ids, n); }
uint32_t TxnCommon::ReadAheadLimit() const { return ctx_->pager->readahead_limit(); }

TxnCommon::~TxnCommon() { Unpin(); }

void TxnCommon::Unpin() {
  if (slot_ >= 0) {
    FlushStats();
    ctx_->pager->epochs().Unpin(slot_);
    slot_ = -1;
  }
}

void TxnCommon::FlushStats() {
  if constexpr (!kStatsEnabled) return;
  EngineStats& st = *ctx_->stats;
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
    if (e.tree == tree && e.txn == version_.txn && e.db_uid == ctx_->store_uid) {
      *root = e.root;
      return true;
    }
  }
  return false;
}

void TxnCommon::RememberRoot(TreeId tree, const TreeRoot& root) const {
  RootCacheEntry& e = root_cache[root_cache_next];
  root_cache_next = (root_cache_next + 1) % kRootCacheSize;
  e = RootCacheEntry{ctx_->store_uid, version_.txn, tree, root};
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
  ProfileRoot profile(ctx_->profile, ProfileOp::kGet, ProfileComponent::kTreeSearch, true,
                      &ctx_->latency->get);
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

}  // namespace lightning
