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
      (p = DecodeVarint64(p, limit, &m->root.count)) == nullptr || !GetLengthPrefixed(&p, limit, &name)) {
    return Status::Corruption("catalog entry is malformed");
  }
  m->root.depth = static_cast<uint32_t>(depth);
  m->name.assign(name);
  return Status::OK();
}

// ---- TxnCommon ----

Status TxnCommon::Read(PageId id, Frame** frame) { return db_->pager_->Get(id, frame); }

TxnCommon::~TxnCommon() { Unpin(); }

void TxnCommon::Unpin() {
  if (slot_ >= 0) {
    db_->pager_->epochs().Unpin(slot_);
    slot_ = -1;
  }
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

Status TxnCommon::CommonGetView(TreeId tree, Slice key, Slice* value) {
  const bool timed = LatencyStats::Sample();
  const uint64_t start = timed ? NowNanos() : 0;
  db_->stats_.gets.Add();
  if (tree != cached_id_ || tree == 0) {
    TreeMeta m;
    LIGHTNING_RETURN_IF_ERROR(FindMeta(tree, &m));
    cached_id_ = tree;
    cached_root_ = m.root;
  }
  Status s = TreeGet(this, cached_root_, key, value);
  if (s.IsNotFound()) db_->stats_.get_misses.Add();
  if (timed) db_->latency_.get.Record(NowNanos() - start);
  return s;
}

Result<std::unique_ptr<Cursor>> TxnCommon::CommonNewCursor(TreeId tree, const uint64_t* mod_count) {
  TreeMeta m;
  Status s = FindMeta(tree, &m);
  if (!s.ok()) return s;
  return std::unique_ptr<Cursor>(new CursorImpl(this, tree, m.root, mod_count));
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
  TreeMeta m;
  LIGHTNING_RETURN_IF_ERROR(txn_->FindMeta(tree_, &m));
  *root = m.root;
  return Status::OK();
}

void CursorImpl::Settle(Status s) const {
  status_ = std::move(s);
  if (status_.ok() && it_.Valid()) {
    // Load a large value now, so that Valid() promises a readable value.
    std::string_view v;
    status_ = it_.value(&v);
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
  txn_->db_->stats_.cursor_seeks.Add();
  TreeRoot root;
  Status s = CurrentRoot(&root);
  if (!s.ok()) return Settle(s);
  if (mod_count_) seen_mod_ = *mod_count_;
  it_.Reset(root);
  Settle(it_.Seek(target));
}

void CursorImpl::SeekForPrev(Slice target) {
  txn_->db_->stats_.cursor_seeks.Add();
  TreeRoot root;
  Status s = CurrentRoot(&root);
  if (!s.ok()) return Settle(s);
  if (mod_count_) seen_mod_ = *mod_count_;
  it_.Reset(root);
  Settle(it_.SeekForPrev(target));
}

void CursorImpl::SeekToFirst() {
  txn_->db_->stats_.cursor_seeks.Add();
  TreeRoot root;
  Status s = CurrentRoot(&root);
  if (!s.ok()) return Settle(s);
  if (mod_count_) seen_mod_ = *mod_count_;
  it_.Reset(root);
  Settle(it_.First());
}

void CursorImpl::SeekToLast() {
  txn_->db_->stats_.cursor_seeks.Add();
  TreeRoot root;
  Status s = CurrentRoot(&root);
  if (!s.ok()) return Settle(s);
  if (mod_count_) seen_mod_ = *mod_count_;
  it_.Reset(root);
  Settle(it_.Last());
}

void CursorImpl::Next() {
  txn_->db_->stats_.cursor_steps.Add();
  Refresh();
  if (!on_saved_) {  // the saved key was deleted: its successor is next
    Settle(Status::OK());
    return;
  }
  const bool timed = LatencyStats::Sample();
  const uint64_t start = timed ? NowNanos() : 0;
  Settle(it_.Next());
  if (timed) txn_->db_->latency_.scan_step.Record(NowNanos() - start);
}

void CursorImpl::Prev() {
  txn_->db_->stats_.cursor_steps.Add();
  Refresh();
  if (!on_saved_) {
    // it_ sits at the successor of the deleted key: its predecessor is next.
    if (it_.Valid()) {
      Settle(it_.Prev());
    } else {
      Settle(it_.Last());
    }
    return;
  }
  Settle(it_.Prev());
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
  std::string_view v;
  Status s = it_.value(&v);
  if (!s.ok()) {
    status_ = s;
    return Slice();
  }
  return v;
}

}  // namespace lightning
