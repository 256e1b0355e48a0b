#include "vfs/page_store.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "vfs/lightning_vfs.h"

namespace lightning::vfs {
namespace {

constexpr char kPagesTree[] = "pages";
constexpr char kMetaTree[] = "meta";
constexpr char kFormatKey[] = "format";
constexpr char kFormatVersion[] = "1";
constexpr char kBlockSizeKey[] = "block_size";
constexpr char kFileSizeKey[] = "file_size";
// Options that belong to the database rather than to one open: saved in the
// store's catalog (DB::SetOptions) and applied again by the engine when a
// later open does not name them. Older builds kept them in the meta tree as
// kLegacyOptionPrefix + name: read once and moved to the catalog.
constexpr char kLegacyOptionPrefix[] = "opt.";
const std::vector<std::string> kRememberedOptions = {"compression", "compression_level",
                                                     "checksum"};
// The key of a PageStore attached to its engine store (DB::Attached).
constexpr char kAttachmentKey[] = "lightning.vfs.page_store";
constexpr uint32_t kDefaultBlockSize = 4096;

std::string BlockKey(uint32_t b) {
  char k[4] = {static_cast<char>(b >> 24), static_cast<char>(b >> 16), static_cast<char>(b >> 8),
               static_cast<char>(b)};
  return std::string(k, 4);
}

std::string Fixed(uint64_t v, int bytes) {
  std::string s(bytes, '\0');
  for (int i = 0; i < bytes; i++) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

bool DecodeFixed(Slice s, int bytes, uint64_t* v) {
  if (s.size() != static_cast<size_t>(bytes)) return false;
  *v = 0;
  for (int i = 0; i < bytes; i++)
    *v |= static_cast<uint64_t>(static_cast<uint8_t>(s[i])) << (8 * i);
  return true;
}

bool ValidBlockSize(uint64_t n) { return n >= 512 && n <= 65536 && (n & (n - 1)) == 0; }

// SQLite writes whole pages: the first write of a new file names the page size.
uint32_t ChooseBlockSize(uint64_t offset, size_t n) {
  if (ValidBlockSize(n) && offset % n == 0) return static_cast<uint32_t>(n);
  return kDefaultBlockSize;
}

}  // namespace

Result<std::shared_ptr<PageStore>> PageStore::Open(const std::string& path,
                                                   const StoreOptions& options) {
  Options engine = options.engine;
  // SQLite owns <db>-wal (WAL mode) and opens it whenever it exists, in any
  // journal mode: the engine's log must live elsewhere.
  engine.wal_path = path + kEngineWalSuffix;
  auto opened = DB::Open(path, engine);
  if (!opened.ok()) return opened.status();
  std::shared_ptr<DB> db = std::move(opened).value();
  // One PageStore per engine store, kept on the store itself.
  auto attached = db->Attached(kAttachmentKey, [&]() -> Result<std::shared_ptr<void>> {
    std::shared_ptr<PageStore> store(new PageStore(db, options));
    LIGHTNING_RETURN_IF_ERROR(store->LoadOrCreate(options));
    store->StartCheckpointer();
    return std::shared_ptr<void>(std::move(store));
  });
  if (!attached.ok()) return attached.status();
  return std::static_pointer_cast<PageStore>(std::move(attached).value());
}

PageStore::PageStore(std::shared_ptr<DB> db, const StoreOptions& options)
    : db_(std::move(db)),
      spill_size_(options.spill_size != 0
                      ? options.spill_size
                      : std::max<uint64_t>(1u << 20, db_->GetOptions().cache_size / 4)),
      background_checkpoint_(options.background_checkpoint) {}

PageStore::~PageStore() {
  StopCheckpointer();
  // The last handle normally commits at close (xClose); this catches a close
  // that raced with ForEachOpenStore holding a reference.
  if (HasPending()) (void)Commit(false);
}

void PageStore::StartCheckpointer() {
  if (background_checkpoint_ == 0 || db_->in_memory()) return;
  checkpointer_ = std::thread([this] { CheckpointerLoop(); });
}

void PageStore::StopCheckpointer() {
  if (!checkpointer_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(ckpt_mu_);
    stop_checkpointer_ = true;
  }
  ckpt_cv_.notify_all();
  checkpointer_.join();
}

void PageStore::CheckpointerLoop() {
  std::unique_lock<std::mutex> lock(ckpt_mu_);
  while (true) {
    ckpt_cv_.wait(lock, [this] {
      return stop_checkpointer_ || uncheckpointed_bytes_ >= background_checkpoint_;
    });
    if (stop_checkpointer_) return;
    uncheckpointed_bytes_ = 0;
    lock.unlock();
    // Busy (a long write transaction) or an I/O error: counted; the next
    // commits try again, and the engine's own thresholds still apply.
    Status s = db_->Checkpoint();
    (s.ok() ? counters_.background_checkpoints : counters_.background_checkpoint_errors)
        .fetch_add(1, std::memory_order_relaxed);
    lock.lock();
  }
}

Status PageStore::LoadOrCreate(const StoreOptions& options) {
  std::map<std::string, std::string> legacy;  // options in the meta tree (older builds)
  {
    auto r = db_->BeginRead();
    if (!r.ok()) return r.status();
    ReadTxn* txn = r.value().get();
    Status s = txn->OpenTree(kMetaTree, &meta_tree_);
    if (s.ok()) {
      std::string v;
      s = txn->Get(meta_tree_, kFormatKey, &v);
      if (!s.ok() && !s.IsNotFound()) return s;
      if (s.IsNotFound() || v != kFormatVersion) {
        return Status::NotSupported(path() + " holds a lightning VFS database of format '" + v +
                                    "'; this build reads format " + kFormatVersion);
      }
      s = txn->OpenTree(kPagesTree, &pages_tree_);
      if (s.IsNotFound()) return Status::Corruption(path() + ": the tree 'pages' is missing");
      LIGHTNING_RETURN_IF_ERROR(s);
      uint64_t bs = 0, size = 0;
      s = txn->Get(meta_tree_, kBlockSizeKey, &v);
      if (s.ok() && (!DecodeFixed(v, 4, &bs) || !ValidBlockSize(bs))) {
        return Status::Corruption(path() + ": meta block_size is malformed");
      }
      if (!s.ok() && !s.IsNotFound()) return s;
      s = txn->Get(meta_tree_, kFileSizeKey, &v);
      if (s.ok() && !DecodeFixed(v, 8, &size)) {
        return Status::Corruption(path() + ": meta file_size is malformed");
      }
      if (!s.ok() && !s.IsNotFound()) return s;
      if (size > 0 && bs == 0) return Status::Corruption(path() + ": file_size without block_size");
      block_size_ = static_cast<uint32_t>(bs);
      durable_block_size_ = static_cast<uint32_t>(bs);
      size_ = size;
      durable_size_ = size;
      for (const std::string& name : kRememberedOptions) {
        if (txn->Get(meta_tree_, kLegacyOptionPrefix + name, &v).ok()) legacy[name] = v;
      }
    } else if (s.IsNotFound()) {
      std::vector<TreeInfo> trees;
      LIGHTNING_RETURN_IF_ERROR(txn->ListTrees(&trees));
      if (!trees.empty()) {
        return Status::InvalidArgument(path() + " is a Lightning store with tables (" +
                                       trees[0].name +
                                       ", ...), not a database of the lightning VFS");
      }
    } else {
      return s;
    }
  }
  if (meta_tree_ == 0) {
    auto w = db_->BeginWrite();
    if (!w.ok()) return w.status();
    WriteTxn* txn = w.value().get();
    LIGHTNING_RETURN_IF_ERROR(txn->CreateTree(kPagesTree, &pages_tree_));
    LIGHTNING_RETURN_IF_ERROR(txn->CreateTree(kMetaTree, &meta_tree_));
    LIGHTNING_RETURN_IF_ERROR(txn->Put(meta_tree_, kFormatKey, kFormatVersion));
    LIGHTNING_RETURN_IF_ERROR(txn->Commit());
  }
  return SaveDatabaseOptions(options, legacy);
}

// The database's options (kRememberedOptions): the engine applied those saved
// in its catalog when it opened the store. Saves the ones the opener named
// (they replace the saved ones, and apply now), and the current value of any
// not saved yet (a new database), so that later opens that do not name them
// find them. Options of an older build's meta tree move to the catalog here.
Status PageStore::SaveDatabaseOptions(const StoreOptions& options,
                                      const std::map<std::string, std::string>& legacy) {
  if (!legacy.empty()) {
    Options from = db_->GetOptions();
    std::vector<std::string> names;
    for (const auto& [name, value] : legacy) {
      if (options.given.count(name) != 0 || !from.Set(name, value).ok()) continue;
      names.push_back(name);
    }
    LIGHTNING_RETURN_IF_ERROR(db_->SetOptions(from, names, true));
    auto w = db_->BeginWrite();
    if (!w.ok()) return w.status();
    for (const auto& [name, value] : legacy) {
      LIGHTNING_RETURN_IF_ERROR(w.value()->Delete(meta_tree_, kLegacyOptionPrefix + name));
    }
    LIGHTNING_RETURN_IF_ERROR(w.value()->Commit());
  }
  std::map<std::string, std::string> saved;
  LIGHTNING_RETURN_IF_ERROR(db_->SavedOptions(&saved));
  std::vector<std::string> names;
  for (const std::string& name : kRememberedOptions) {
    auto given = options.given.find(name);
    auto have = saved.find(name);
    if (given != options.given.end() ? have == saved.end() || have->second != given->second
                                     : have == saved.end()) {
      names.push_back(name);
    }
  }
  if (names.empty()) return Status::OK();
  // Named ones from the opener's options, the others as they are now.
  Options from = db_->GetOptions();
  for (const std::string& name : names) {
    if (options.given.count(name) != 0)
      LIGHTNING_RETURN_IF_ERROR(from.Assign(name, options.engine));
  }
  return db_->SetOptions(from, names, true);
}

Status PageStore::ReadStoredBlock(ReadTxn* txn, uint32_t b, char* dst) {
  const uint32_t bs = block_size_.load();
  Slice view;
  Status s = txn->GetView(pages_tree_, BlockKey(b), &view);
  if (s.IsNotFound()) {
    std::memset(dst, 0, bs);
    return Status::OK();
  }
  if (s.ok() && view.size() != bs) {
    s = Status::Corruption("stored length " + std::to_string(view.size()) + " differs from the " +
                           std::to_string(bs) + "-byte block size");
  }
  if (!s.ok()) {
    counters_.read_errors++;
    const std::string where = "SQLite page " + std::to_string(uint64_t{b} + 1) + " unreadable: ";
    if (s.IsCorruption()) return Status::Corruption(where + s.message());
    return Status::IOError(where + s.ToString());
  }
  std::memcpy(dst, view.data(), bs);
  return Status::OK();
}

Status PageStore::Read(uint64_t offset, size_t n, char* dst, size_t* got, ReadCache* cache) {
  counters_.reads.fetch_add(1, std::memory_order_relaxed);
  const uint64_t size = size_.load();
  const size_t avail =
      offset >= size ? 0 : static_cast<size_t>(std::min<uint64_t>(n, size - offset));
  std::memset(dst + avail, 0, n - avail);
  *got = avail;
  if (avail == 0) return Status::OK();
  if (cache == nullptr) {
    std::unique_ptr<ReadTxn> txn;
    return ReadBlocks(offset, avail, dst, &txn);
  }
  std::lock_guard<std::mutex> lock(cache->mu_);
  const uint64_t version = version_.load();
  if (cache->txn_ && cache->version_ != version) cache->txn_.reset();
  if (!cache->txn_) cache->version_ = version;  // read before the transaction begins
  Status s = ReadBlocks(offset, avail, dst, &cache->txn_);
  // A commit that raced with this read could not drop the transaction.
  if (cache->version_ != version_.load()) cache->txn_.reset();
  return s;
}

void PageStore::Attach(ReadCache* cache) {
  std::lock_guard<std::mutex> lock(caches_mu_);
  caches_.push_back(cache);
}

void PageStore::Detach(ReadCache* cache) {
  {
    std::lock_guard<std::mutex> lock(caches_mu_);
    caches_.erase(std::remove(caches_.begin(), caches_.end(), cache), caches_.end());
  }
  std::lock_guard<std::mutex> lock(cache->mu_);
  cache->txn_.reset();
}

// Ends the cached transactions of caches not in use right now (an in-use one
// is dropped by its reader, which sees the version change).
void PageStore::DropStaleReadTxns() {
  std::lock_guard<std::mutex> lock(caches_mu_);
  for (ReadCache* cache : caches_) {
    std::unique_lock<std::mutex> in_use(cache->mu_, std::try_to_lock);
    if (in_use.owns_lock()) cache->txn_.reset();  // else its reader drops it when done
  }
}

// Copies [offset, offset + avail) from pending blocks or the store, beginning
// a read transaction in *txn when it needs one and there is none.
Status PageStore::ReadBlocks(uint64_t offset, size_t avail, char* dst,
                             std::unique_ptr<ReadTxn>* txn) {
  const uint32_t bs = block_size_.load();
  std::string scratch;
  uint64_t pos = offset;
  const uint64_t end = offset + avail;
  while (pos < end) {
    const uint32_t b = static_cast<uint32_t>(pos / bs);
    const size_t in = pos % bs;
    const size_t len = static_cast<size_t>(std::min<uint64_t>(bs - in, end - pos));
    char* out = dst + (pos - offset);
    bool done = false;
    if (pending_count_.load(std::memory_order_acquire) != 0 || cut_from_.load() != UINT32_MAX) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = pending_.find(b);
      if (it != pending_.end()) {
        std::memcpy(out, it->second.data.data() + in, len);
        counters_.pending_reads.fetch_add(1, std::memory_order_relaxed);
        done = true;
      } else if (b >= cut_from_.load()) {
        std::memset(out, 0, len);
        done = true;
      }
    }
    if (!done) {
      if (!*txn) {
        auto r = db_->BeginRead();
        if (!r.ok()) return r.status();
        *txn = std::move(r).value();
      }
      if (in == 0 && len == bs) {
        LIGHTNING_RETURN_IF_ERROR(ReadStoredBlock(txn->get(), b, out));
      } else {
        scratch.resize(bs);
        LIGHTNING_RETURN_IF_ERROR(ReadStoredBlock(txn->get(), b, scratch.data()));
        std::memcpy(out, scratch.data() + in, len);
      }
    }
    counters_.blocks_read.fetch_add(1, std::memory_order_relaxed);
    pos += len;
  }
  counters_.bytes_read.fetch_add(avail, std::memory_order_relaxed);
  return Status::OK();
}

Status PageStore::BlockForUpdate(uint32_t b, Block** out) {
  auto [it, inserted] = pending_.try_emplace(b);
  if (inserted) {
    const uint32_t bs = block_size_.load();
    it->second.data = TakeBuffer();
    it->second.data.assign(bs, '\0');
    if (b < cut_from_.load() && static_cast<uint64_t>(b) * bs < durable_size_) {
      auto r = db_->BeginRead();
      Status s = r.ok() ? ReadStoredBlock(r.value().get(), b, it->second.data.data()) : r.status();
      if (!s.ok()) {
        EraseBlock(it);
        return s;
      }
    }
    pending_bytes_ += bs;
    pending_count_.store(pending_.size(), std::memory_order_release);
  }
  *out = &it->second;
  return Status::OK();
}

std::string PageStore::TakeBuffer() {
  if (spare_buffers_.empty()) return std::string();
  std::string buffer = std::move(spare_buffers_.back());
  spare_buffers_.pop_back();
  spare_bytes_ -= buffer.capacity();
  return buffer;
}

PageStore::PendingMap::iterator PageStore::EraseBlock(PendingMap::iterator it) {
  std::string& data = it->second.data;
  if (spare_bytes_ + data.capacity() <= kMaxSpareBytes) {
    spare_bytes_ += data.capacity();
    spare_buffers_.push_back(std::move(data));
  }
  return pending_.erase(it);
}

Status PageStore::Write(uint64_t offset, const char* src, size_t n) {
  if (n == 0) return Status::OK();
  bool spill = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (block_size_.load() == 0) {
      block_size_ = ChooseBlockSize(offset, n);
      dirty_meta_ = true;
    }
    const uint32_t bs = block_size_.load();
    if ((offset + n - 1) / bs >= UINT32_MAX) {
      return Status::InvalidArgument("a write at offset " + std::to_string(offset) + " of " +
                                     path() + " is beyond the 2^32-block limit");
    }
    counters_.writes.fetch_add(1, std::memory_order_relaxed);
    uint64_t pos = offset;
    const uint64_t end = offset + n;
    while (pos < end) {
      const uint32_t b = static_cast<uint32_t>(pos / bs);
      const size_t in = pos % bs;
      const size_t len = static_cast<size_t>(std::min<uint64_t>(bs - in, end - pos));
      Block* block = nullptr;
      if (len == bs) {
        // A whole block: no need to read what it replaces.
        auto [it, inserted] = pending_.try_emplace(b);
        if (inserted) {
          it->second.data = TakeBuffer();
          pending_bytes_ += bs;
          pending_count_.store(pending_.size(), std::memory_order_release);
        }
        block = &it->second;
        block->data.assign(src + (pos - offset), bs);
      } else {
        LIGHTNING_RETURN_IF_ERROR(BlockForUpdate(b, &block));
        std::memcpy(block->data.data() + in, src + (pos - offset), len);
      }
      block->gen = ++gen_;
      counters_.blocks_written.fetch_add(1, std::memory_order_relaxed);
      pos += len;
    }
    if (end > size_.load()) {
      size_ = end;
      dirty_meta_ = true;
    }
    counters_.bytes_written.fetch_add(n, std::memory_order_relaxed);
    spill = pending_bytes_ > spill_size_;
  }
  return spill ? Commit(true) : Status::OK();
}

Status PageStore::Truncate(uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t current = size_.load();
  if (size == current) return Status::OK();
  if (block_size_.load() == 0) block_size_ = kDefaultBlockSize;
  const uint32_t bs = block_size_.load();
  ++gen_;
  if (size < current) {
    const uint64_t keep = (size + bs - 1) / bs;  // blocks that keep some bytes
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->first >= keep) {
        pending_bytes_ -= bs;
        it = EraseBlock(it);
      } else {
        ++it;
      }
    }
    pending_count_.store(pending_.size(), std::memory_order_release);
    if (size % bs != 0) {
      // Zero the cut-off tail, so that bytes past the end always read as zeros.
      Block* block = nullptr;
      LIGHTNING_RETURN_IF_ERROR(BlockForUpdate(static_cast<uint32_t>(keep - 1), &block));
      std::memset(block->data.data() + size % bs, 0, bs - size % bs);
      block->gen = gen_;
    }
    if (keep < cut_from_.load()) cut_from_ = static_cast<uint32_t>(keep);
  }
  size_ = size;
  dirty_meta_ = true;
  return Status::OK();
}

uint64_t PageStore::Size() const { return size_.load(); }

Status PageStore::Sync() {
  counters_.syncs.fetch_add(1, std::memory_order_relaxed);
  return Commit(false);
}

Status PageStore::Commit(bool spill) {
  std::lock_guard<std::mutex> commit_lock(commit_mu_);
  if (!HasPending() && cut_from_.load() == UINT32_MAX) return Status::OK();
  // The writer lock first (it may wait for a checkpoint): Write() and readers
  // of pending blocks need mu_ meanwhile.
  auto w = db_->BeginWrite();
  if (!w.ok()) return w.status();
  WriteTxn* txn = w.value().get();
  std::unique_lock<std::mutex> lock(mu_);
  const uint32_t bs = block_size_.load();
  const uint64_t size = size_.load();
  const uint64_t snapshot = gen_;
  const uint32_t cut = cut_from_.load();
  size_t blocks = 0;
  Status s;
  for (const auto& [b, block] : pending_) {
    s = txn->Put(pages_tree_, BlockKey(b), block.data);
    if (!s.ok()) break;
    blocks++;
  }
  if (s.ok() && cut != UINT32_MAX && durable_block_size_ != 0) {
    const uint64_t stored_blocks = (durable_size_ + durable_block_size_ - 1) / durable_block_size_;
    for (uint64_t b = cut; b < stored_blocks && s.ok(); b++) {
      if (pending_.count(static_cast<uint32_t>(b)) == 0) {
        s = txn->Delete(pages_tree_, BlockKey(static_cast<uint32_t>(b)));
      }
    }
  }
  if (s.ok() && bs != durable_block_size_) s = txn->Put(meta_tree_, kBlockSizeKey, Fixed(bs, 4));
  if (s.ok() && size != durable_size_) s = txn->Put(meta_tree_, kFileSizeKey, Fixed(size, 8));
  if (!s.ok()) {
    counters_.commit_errors++;
    return s;
  }
  // Readers keep finding the pending blocks while the commit syncs.
  lock.unlock();
  // Idle cached read transactions would keep the pages this commit replaces
  // alive until the next one: end them first.
  DropStaleReadTxns();
  s = txn->Commit();
  if (s.ok()) {
    // Before the pending blocks go: a cached read transaction older than this
    // commit must not be used to read them from the store. (SQLite's locking
    // keeps readers off pages being synced anyway: in rollback mode nobody
    // reads during a write transaction; in WAL mode a checkpoint only copies
    // pages that every reader takes from the WAL.)
    version_.fetch_add(1);
  }
  lock.lock();
  if (!s.ok()) {
    counters_.commit_errors++;
    return s;
  }
  const uint32_t cut_now = cut_from_.load();
  for (auto it = pending_.begin(); it != pending_.end();) {
    // A block written again since the snapshot stays; so does one the
    // still-active cut covers (the cut only clears when nothing changed).
    if (it->second.gen <= snapshot && it->first < cut_now) {
      pending_bytes_ -= bs;
      it = EraseBlock(it);
    } else {
      ++it;
    }
  }
  if (gen_ == snapshot) {
    for (auto it = pending_.begin(); it != pending_.end();) {
      pending_bytes_ -= bs;
      it = EraseBlock(it);
    }
    cut_from_ = UINT32_MAX;
    dirty_meta_ = false;
  }
  pending_count_.store(pending_.size(), std::memory_order_release);
  const bool shrunk = size < durable_size_ - durable_size_ / kCompactAfterShrink;
  durable_size_ = size;
  durable_block_size_ = bs;
  lock.unlock();
  DropStaleReadTxns();
  counters_.commits.fetch_add(1, std::memory_order_relaxed);
  counters_.committed_blocks.fetch_add(blocks, std::memory_order_relaxed);
  if (checkpointer_.joinable()) {
    std::lock_guard<std::mutex> ckpt_lock(ckpt_mu_);
    uncheckpointed_bytes_ += uint64_t{blocks} * bs;
    if (uncheckpointed_bytes_ >= background_checkpoint_) ckpt_cv_.notify_one();
  }
  if (spill) counters_.spills.fetch_add(1, std::memory_order_relaxed);
  if (shrunk && DataFileHoldsMoreThan(size / kCompactAfterShrink)) {
    // The commit stands whatever happens here; a failure is counted.
    if (Compact().ok())
      counters_.compactions.fetch_add(1, std::memory_order_relaxed);
    else
      counters_.compaction_errors.fetch_add(1, std::memory_order_relaxed);
  }
  return Status::OK();
}

// Compaction moves extents the data file already holds; when it holds less
// than `bytes` (the store was not checkpointed since the pages were written:
// they are all in its log), there is nothing worth moving, and the next
// checkpoint writes the pages compactly anyway. A file the engine does not
// keep on this file system (an Env of its own) counts as large.
bool PageStore::DataFileHoldsMoreThan(uint64_t bytes) const {
  std::error_code error;
  const uint64_t on_disk = std::filesystem::file_size(path(), error);
  return error || on_disk > bytes;
}

Status PageStore::Compact() {
  DropStaleReadTxns();
  return db_->Compact();
}

std::vector<Metric> PageStore::Metrics() const {
  std::vector<Metric> m;
  auto add = [&](const char* name, double value, const char* unit, const char* desc) {
    m.push_back(Metric{name, value, unit, desc});
  };
  auto get = [](const std::atomic<uint64_t>& c) { return static_cast<double>(c.load()); };
  const PageStoreCounters& c = counters_;
  add("vfs_reads", get(c.reads), "count", "xRead calls on the database file");
  add("vfs_pages_read", get(c.blocks_read), "count", "pages (blocks) read, whole or in part");
  add("vfs_pages_read_pending", get(c.pending_reads), "count",
      "pages served from writes not yet synced");
  add("vfs_bytes_read", get(c.bytes_read), "bytes", "bytes returned to SQLite");
  add("vfs_writes", get(c.writes), "count", "xWrite calls on the database file");
  add("vfs_pages_written", get(c.blocks_written), "count",
      "pages (blocks) written, whole or in part");
  add("vfs_bytes_written", get(c.bytes_written), "bytes", "bytes written by SQLite");
  add("vfs_syncs", get(c.syncs), "count", "xSync calls");
  add("vfs_commits", get(c.commits), "count", "engine transactions that made writes durable");
  add("vfs_committed_pages", get(c.committed_blocks), "count",
      "pages stored by those transactions");
  add("vfs_spills", get(c.spills), "count",
      "early commits because pending writes passed spill_size");
  add("vfs_read_errors", get(c.read_errors), "count", "page reads that failed (checksum or I/O)");
  add("vfs_commit_errors", get(c.commit_errors), "count", "commits that failed");
  add("vfs_background_checkpoints", get(c.background_checkpoints), "count",
      "engine checkpoints run by the VFS's background thread");
  add("vfs_background_checkpoint_errors", get(c.background_checkpoint_errors), "count",
      "background checkpoints that failed (e.g. busy), retried after later commits");
  add("vfs_compactions", get(c.compactions), "count",
      "store compactions after a commit shrank the file by 1/8 or more (VACUUM)");
  add("vfs_compaction_errors", get(c.compaction_errors), "count",
      "such compactions that failed (the file keeps its size until the next one)");
  {
    std::lock_guard<std::mutex> lock(mu_);
    add("vfs_pending_pages", static_cast<double>(pending_.size()), "count",
        "pages written but not yet synced");
  }
  add("vfs_file_size", static_cast<double>(size_.load()), "bytes",
      "logical size of the SQLite file");
  add("vfs_page_size", block_size_.load(), "bytes",
      "block size (the SQLite page size at creation)");
  std::vector<Metric> engine = db_->Metrics();
  const Options o = db_->GetOptions();
  for (const Metric& e : engine) {
    if (e.name == "cache_misses") {
      add("vfs_checksum_checks", o.checksum ? e.value : 0, "count",
          "extent loads from disk, each verifying its XXH3 checksum (= cache_misses with "
          "checksum=on)");
    }
  }
  m.insert(m.end(), engine.begin(), engine.end());
  return m;
}

void ForEachOpenStore(const std::function<void(const std::string&, PageStore&)>& fn) {
  std::vector<std::shared_ptr<PageStore>> stores;
  for (const std::shared_ptr<DB>& db : DB::OpenStores()) {  // in path order
    auto attached = db->Attached(kAttachmentKey, nullptr);
    if (attached.ok() && attached.value()) {
      stores.push_back(std::static_pointer_cast<PageStore>(attached.value()));
    }
  }
  for (auto& s : stores) fn(s->path(), *s);
}

// Here rather than in vfs.cc: SQLite-free, so callers need no SQLite.
void ForEachOpenDatabase(
    const std::function<void(const std::string& name, const std::vector<Metric>& metrics)>& fn) {
  ForEachOpenStore([&](const std::string& path, PageStore& store) { fn(path, store.Metrics()); });
}

}  // namespace lightning::vfs
