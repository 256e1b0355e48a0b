// WriteTxnImpl: the single writer's changes, savepoints and WAL payload.
#include "engine/coding.h"
#include "engine/txn.h"

namespace lightning {

WriteTxnImpl::WriteTxnImpl(const TxnContext* ctx, int slot, const Version& v,
                           std::unique_lock<WriterLock> lock)
    : TxnCommon(ctx, slot, v), writer_lock_(std::move(lock)), lsn_(v.txn + 1) {
  stamp_ = ctx_->writer->NewStamp();
  ctx_->writer->TakeLogBuffer(&wal_);
}

WriteTxnImpl::~WriteTxnImpl() {
  if (!done_) Abort();
}

Status WriteTxnImpl::CheckOpen() const {
  if (done_) return Status::InvalidArgument("the write transaction has already ended");
  return Status::OK();
}

void WriteTxnImpl::Finish() {
  done_ = true;
  Unpin();
  if (writer_lock_.owns_lock()) {
    ctx_->writer->ReturnLogBuffer(&wal_);
    writer_lock_.unlock();
  }
}

// ---- PageWriter ----

Status WriteTxnImpl::NewPage(PageType type, uint32_t size, Frame** frame) {
  const PageId id = ctx_->writer->AllocPage(type);
  Frame* f = ctx_->pager->NewFrame(id, size, type);
  f->stamp = stamp_;
  ctx_->pager->EvictIfNeeded();  // room for it, from clean pages
  created_.push_back(id);
  *frame = f;
  return Status::OK();
}

Status WriteTxnImpl::Writable(PageId id, Frame** frame) {
  Frame* f;
  LIGHTNING_RETURN_IF_ERROR(Read(id, &f));
  if (f->stamp == stamp_) {  // stamps are unique per transaction and savepoint
    *frame = f;
    return Status::OK();
  }
  Frame* copy;
  LIGHTNING_RETURN_IF_ERROR(NewPage(static_cast<PageType>(f->type), f->size, &copy));
  std::memcpy(copy->data(), f->data(), f->size);
  FreePage(id);
  *frame = copy;
  return Status::OK();
}

void WriteTxnImpl::FreePage(PageId id) { freed_.push_back(id); }

Frame* WriteTxnImpl::PrivateFrame(PageId id) {
  Frame* f;
  if (!Read(id, &f).ok()) return nullptr;
  return f->stamp == stamp_ ? f : nullptr;
}

void WriteTxnImpl::DropCreatedSince(size_t n) {
  if (n < created_.size()) ctx_->writer->DropUncommitted(created_.data() + n, created_.size() - n);
  created_.resize(n);
}

// ---- trees ----

Status WriteTxnImpl::FindMeta(TreeId tree, TreeMeta* meta) {
  auto it = metas_.find(tree);
  if (it != metas_.end()) {
    *meta = it->second.meta;
    return Status::OK();
  }
  return TxnCommon::FindMeta(tree, meta);
}

Status WriteTxnImpl::FindRoot(TreeId tree, TreeRoot* root) {
  MetaState* st;  // kept in metas_ (not dirty): the next look-up skips the catalog
  LIGHTNING_RETURN_IF_ERROR(MutableMeta(tree, &st));
  *root = st->meta.root;
  return Status::OK();
}

Status WriteTxnImpl::MutableMeta(TreeId tree, MetaState** state) {
  auto it = metas_.find(tree);
  if (it == metas_.end()) {
    TreeMeta m;
    LIGHTNING_RETURN_IF_ERROR(TxnCommon::FindMeta(tree, &m));
    it = metas_.emplace(tree, MetaState{std::move(m), false, {}}).first;
  }
  *state = &it->second;
  return Status::OK();
}

Status WriteTxnImpl::PutCatalog(Slice key, Slice value) {
  bool inserted;
  return TreePut(this, ctx_->page_size, &version_.catalog, key, value, &inserted);
}

Status WriteTxnImpl::DeleteCatalog(Slice key) {
  bool existed;
  return TreeDelete(this, ctx_->page_size, &version_.catalog, key, &existed);
}

Status WriteTxnImpl::FlushMetas() {
  for (auto& [id, st] : metas_) {
    if (!st.dirty) continue;
    LIGHTNING_RETURN_IF_ERROR(PutCatalog(CatalogIdKey(id), EncodeTreeMeta(st.meta)));
    st.dirty = false;
  }
  return Status::OK();
}

Status WriteTxnImpl::OpenTree(Slice name, TreeId* id) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  return LookupName(name, id);
}

Status WriteTxnImpl::ListTrees(std::vector<TreeInfo>* trees) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  return CommonListTrees(trees);
}

Status WriteTxnImpl::GetTreeInfo(TreeId tree, TreeInfo* info) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  TreeMeta m;
  LIGHTNING_RETURN_IF_ERROR(FindMeta(tree, &m));
  *info = TreeInfo{m.name, m.id, m.root.count, m.root.depth};
  return Status::OK();
}

Status WriteTxnImpl::GetView(TreeId tree, Slice key, Slice* value) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  const bool timed = LatencyStats::Sample(LatencyStats::kGet);
  ProfileRoot profile(ctx_->profile, ProfileOp::kGet, ProfileComponent::kTreeSearch, timed,
                      &ctx_->latency->get);
  gets_++;
  TreeRoot root;
  LIGHTNING_RETURN_IF_ERROR(FindRoot(tree, &root));
  Status s = TreeGet(this, root, key, value);
  if (s.IsNotFound()) get_misses_++;
  return s;
}

Status WriteTxnImpl::Get(TreeId tree, Slice key, std::string* value) {
  Slice v;
  LIGHTNING_RETURN_IF_ERROR(GetView(tree, key, &v));
  value->assign(v.data(), v.size());
  return Status::OK();
}

Result<std::unique_ptr<Cursor>> WriteTxnImpl::NewCursor(TreeId tree) {
  Status s = CheckOpen();
  if (!s.ok()) return s;
  return CommonNewCursor(tree, &mod_count_);
}

void WriteTxnImpl::LogOp(WalOp op, TreeId tree, Slice a, Slice b, bool has_b) {
  if (!logging_) return;
  wal_.push_back(static_cast<char>(op));
  PutVarint64(&wal_, tree);
  if (op == WalOp::kDropTree || op == WalOp::kClearTree) return;
  PutLengthPrefixed(&wal_, a);
  if (has_b) PutLengthPrefixed(&wal_, b);
}

Status WriteTxnImpl::Put(TreeId tree, Slice key, Slice value) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  const uint32_t max_key = MaxKeySize(ctx_->page_size);
  if (key.size() > max_key) {
    return Status::InvalidArgument("key of " + std::to_string(key.size()) + " bytes exceeds the " +
                                   std::to_string(max_key) + "-byte limit (page_size/4)");
  }
  if (value.size() > kMaxValueSize) {
    return Status::InvalidArgument("value of " + std::to_string(value.size()) +
                                   " bytes exceeds the 268435456-byte (256 MiB) limit");
  }
  const bool timed = LatencyStats::Sample(LatencyStats::kPut);
  ProfileRoot profile(ctx_->profile, ProfileOp::kPut, ProfileComponent::kTreeUpdate, timed,
                      &ctx_->latency->put);
  MetaState* st;
  LIGHTNING_RETURN_IF_ERROR(MutableMeta(tree, &st));
  bool inserted;
  LIGHTNING_RETURN_IF_ERROR(
      TreePut(this, ctx_->page_size, &st->meta.root, key, value, &inserted, &st->finger));
  st->dirty = true;
  mod_count_++;
  puts_++;
  {
    ProfileScope wal(timed, ProfileComponent::kWalAppend);
    LogOp(WalOp::kPut, tree, key, value, true);
  }
  return Status::OK();
}

Status WriteTxnImpl::Delete(TreeId tree, Slice key, bool* existed) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  const bool timed = LatencyStats::Sample(LatencyStats::kDelete);
  ProfileRoot profile(ctx_->profile, ProfileOp::kDelete, ProfileComponent::kTreeUpdate, timed,
                      &ctx_->latency->del);
  MetaState* st;
  LIGHTNING_RETURN_IF_ERROR(MutableMeta(tree, &st));
  bool was = false;
  st->finger.Clear();  // a delete may merge or free leaves
  LIGHTNING_RETURN_IF_ERROR(TreeDelete(this, ctx_->page_size, &st->meta.root, key, &was));
  if (existed) *existed = was;
  if (!was) {
    profile.SkipLatency();
    return Status::OK();
  }
  st->dirty = true;
  mod_count_++;
  deletes_++;
  {
    ProfileScope wal(timed, ProfileComponent::kWalAppend);
    LogOp(WalOp::kDelete, tree, key, Slice(), false);
  }
  return Status::OK();
}

Status WriteTxnImpl::CreateTree(Slice name, TreeId* id) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  if (name.empty() || name.size() > kMaxTreeNameSize) {
    return Status::InvalidArgument("tree name must be 1 to " + std::to_string(kMaxTreeNameSize) +
                                   " bytes, got " + std::to_string(name.size()));
  }
  TreeId existing;
  Status s = LookupName(name, &existing);
  if (s.ok())
    return Status::InvalidArgument("a tree named '" + std::string(name) + "' already exists");
  if (!s.IsNotFound()) return s;
  TreeMeta m;
  m.id = version_.next_tree_id++;
  m.name.assign(name);
  std::string idbuf(8, '\0');
  EncodeFixed64(idbuf.data(), m.id);
  LIGHTNING_RETURN_IF_ERROR(PutCatalog(CatalogNameKey(name), idbuf));
  LIGHTNING_RETURN_IF_ERROR(PutCatalog(CatalogIdKey(m.id), EncodeTreeMeta(m)));
  metas_[m.id] = MetaState{m, false, {}};
  mod_count_++;
  LogOp(WalOp::kCreateTree, m.id, name, Slice(), false);
  *id = m.id;
  return Status::OK();
}

Status WriteTxnImpl::DropTree(Slice name) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  TreeId id;
  LIGHTNING_RETURN_IF_ERROR(LookupName(name, &id));
  MetaState* st;
  LIGHTNING_RETURN_IF_ERROR(MutableMeta(id, &st));
  LIGHTNING_RETURN_IF_ERROR(TreeClear(this, &st->meta.root));
  metas_.erase(id);
  LIGHTNING_RETURN_IF_ERROR(DeleteCatalog(CatalogNameKey(name)));
  LIGHTNING_RETURN_IF_ERROR(DeleteCatalog(CatalogIdKey(id)));
  if (cached_id_ == id) cached_id_ = 0;
  mod_count_++;
  LogOp(WalOp::kDropTree, id, Slice(), Slice(), false);
  return Status::OK();
}

Status WriteTxnImpl::RenameTree(Slice from, Slice to) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  if (to.empty() || to.size() > kMaxTreeNameSize) {
    return Status::InvalidArgument("tree name must be 1 to " + std::to_string(kMaxTreeNameSize) +
                                   " bytes, got " + std::to_string(to.size()));
  }
  TreeId id, other;
  LIGHTNING_RETURN_IF_ERROR(LookupName(from, &id));
  Status s = LookupName(to, &other);
  if (s.ok())
    return Status::InvalidArgument("a tree named '" + std::string(to) + "' already exists");
  if (!s.IsNotFound()) return s;
  MetaState* st;
  LIGHTNING_RETURN_IF_ERROR(MutableMeta(id, &st));
  st->meta.name.assign(to);
  st->dirty = true;
  std::string idbuf(8, '\0');
  EncodeFixed64(idbuf.data(), id);
  LIGHTNING_RETURN_IF_ERROR(DeleteCatalog(CatalogNameKey(from)));
  LIGHTNING_RETURN_IF_ERROR(PutCatalog(CatalogNameKey(to), idbuf));
  mod_count_++;
  LogOp(WalOp::kRenameTree, id, to, Slice(), false);
  return Status::OK();
}

Status WriteTxnImpl::ClearTree(TreeId tree) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  MetaState* st;
  LIGHTNING_RETURN_IF_ERROR(MutableMeta(tree, &st));
  st->finger.Clear();
  LIGHTNING_RETURN_IF_ERROR(TreeClear(this, &st->meta.root));
  st->dirty = true;
  mod_count_++;
  LogOp(WalOp::kClearTree, tree, Slice(), Slice(), false);
  return Status::OK();
}

Status WriteTxnImpl::PutOption(Slice name, Slice value) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  LIGHTNING_RETURN_IF_ERROR(PutCatalog(CatalogOptionKey(name), value));
  mod_count_++;
  LogOp(WalOp::kSetOption, 0, name, value, true);
  return Status::OK();
}

// ---- savepoints ----

Status WriteTxnImpl::Savepoint(int* depth) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  saves_.push_back(Save{version_, metas_, created_.size(), freed_.size(), wal_.size()});
  // Seal: pages made so far must be copied again if changed, so that a
  // rollback to here finds them as they are now.
  stamp_ = ctx_->writer->NewStamp();
  *depth = static_cast<int>(saves_.size());
  return Status::OK();
}

Status WriteTxnImpl::RollbackTo(int depth) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  if (depth < 1 || depth > static_cast<int>(saves_.size())) {
    return Status::InvalidArgument("no savepoint at depth " + std::to_string(depth));
  }
  saves_.resize(depth);
  const Save& s = saves_.back();
  DropCreatedSince(s.created);
  freed_.resize(s.freed);
  wal_.resize(s.wal);
  version_ = s.version;
  metas_ = s.metas;
  // The restored fingers point at pages made before the savepoint, which stay;
  // cleared all the same, so that no finger outlives a rollback.
  for (auto& [id, st] : metas_) st.finger.Clear();
  cached_id_ = 0;
  stamp_ = ctx_->writer->NewStamp();
  mod_count_++;
  return Status::OK();
}

Status WriteTxnImpl::Release(int depth) {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  if (depth < 1 || depth > static_cast<int>(saves_.size())) {
    return Status::InvalidArgument("no savepoint at depth " + std::to_string(depth));
  }
  saves_.resize(depth - 1);
  return Status::OK();
}

// ---- end ----

Status WriteTxnImpl::Commit() {
  LIGHTNING_RETURN_IF_ERROR(CheckOpen());
  Status s = FlushMetas();
  if (s.ok()) s = ctx_->writer->CommitWrite(this);
  if (!s.ok() && !done_) Abort();
  return s;
}

void WriteTxnImpl::Abort() {
  if (done_) return;
  DropCreatedSince(0);
  ctx_->stats->aborts.Add();
  Finish();
}

Status WriteTxnImpl::ApplyPayload(std::string_view payload) {
  const char* p = payload.data();
  const char* limit = p + payload.size();
  while (p < limit) {
    WalOp op = static_cast<WalOp>(*p++);
    uint64_t tree;
    if ((p = DecodeVarint64(p, limit, &tree)) == nullptr) {
      return Status::Corruption("WAL record has a malformed tree id");
    }
    std::string_view a, b;
    switch (op) {
      case WalOp::kPut:
        if (!GetLengthPrefixed(&p, limit, &a) || !GetLengthPrefixed(&p, limit, &b)) {
          return Status::Corruption("WAL put record is malformed");
        }
        LIGHTNING_RETURN_IF_ERROR(Put(tree, a, b));
        break;
      case WalOp::kDelete:
        if (!GetLengthPrefixed(&p, limit, &a))
          return Status::Corruption("WAL delete record is malformed");
        LIGHTNING_RETURN_IF_ERROR(Delete(tree, a, nullptr));
        break;
      case WalOp::kCreateTree: {
        if (!GetLengthPrefixed(&p, limit, &a))
          return Status::Corruption("WAL create record is malformed");
        TreeId id;
        // Ids are handed out in increasing order and never reused: an older
        // one would make two trees share it.
        if (tree < version_.next_tree_id || tree == UINT64_MAX) {
          return Status::Corruption("WAL create record reuses tree id " + std::to_string(tree));
        }
        version_.next_tree_id = tree;  // replay assigns the logged id
        LIGHTNING_RETURN_IF_ERROR(CreateTree(a, &id));
        break;
      }
      case WalOp::kDropTree: {
        TreeMeta m;
        LIGHTNING_RETURN_IF_ERROR(FindMeta(tree, &m));
        LIGHTNING_RETURN_IF_ERROR(DropTree(m.name));
        break;
      }
      case WalOp::kRenameTree: {
        if (!GetLengthPrefixed(&p, limit, &a))
          return Status::Corruption("WAL rename record is malformed");
        TreeMeta m;
        LIGHTNING_RETURN_IF_ERROR(FindMeta(tree, &m));
        LIGHTNING_RETURN_IF_ERROR(RenameTree(m.name, a));
        break;
      }
      case WalOp::kClearTree:
        LIGHTNING_RETURN_IF_ERROR(ClearTree(tree));
        break;
      case WalOp::kSetOption:
        if (!GetLengthPrefixed(&p, limit, &a) || !GetLengthPrefixed(&p, limit, &b)) {
          return Status::Corruption("WAL option record is malformed");
        }
        LIGHTNING_RETURN_IF_ERROR(PutOption(a, b));
        break;
      default:
        return Status::Corruption("WAL record has unknown operation " +
                                  std::to_string(static_cast<int>(op)));
    }
  }
  return Status::OK();
}

}  // namespace lightning
