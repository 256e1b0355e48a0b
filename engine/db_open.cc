// Opening a store: the process registry, the lock file, creating a new store
// and writing superblocks. Bringing an existing store back to its last commit
// is recovery.cc.
#include <algorithm>
#include <random>

#include "engine/checksum.h"
#include "engine/coding.h"
#include "engine/db_impl.h"
#include "engine/wal.h"

namespace lightning {
namespace {

// The open stores of this process, by Env and canonical path.
using RegistryKey = std::pair<const Env*, std::string>;
std::mutex registry_mu;
std::map<RegistryKey, std::weak_ptr<DBImpl>>& Registry() {
  static auto* registry = new std::map<RegistryKey, std::weak_ptr<DBImpl>>();
  return *registry;
}

uint64_t NextInstanceUid() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1);
}

bool IsMemoryPath(const std::string& path) { return path.empty() || path == ":memory:"; }

std::string EncodeSuperblock(const Superblock& sb) {
  std::string b(kSuperblockSlot, '\0');
  char* p = b.data();
  EncodeFixed64(p, kSuperblockMagic);
  EncodeFixed32(p + 8, kFormatVersion);
  EncodeFixed32(p + 12, sb.page_size);
  EncodeFixed64(p + 16, sb.generation);
  EncodeFixed64(p + 24, sb.lsn);
  EncodeFixed64(p + 32, sb.next_page_id);
  EncodeFixed64(p + 40, sb.version.catalog.root);
  EncodeFixed32(p + 48, sb.version.catalog.depth);
  EncodeFixed64(p + 56, sb.version.catalog.count);
  EncodeFixed64(p + 64, sb.version.next_tree_id);
  EncodeFixed64(p + 72, sb.pagetable_loc);
  EncodeFixed64(p + 80, sb.file_end);
  EncodeFixed64(p + 120, Checksum64(p, 120));
  return b;
}

}  // namespace

Result<std::shared_ptr<DB>> DB::Open(const std::string& path, const Options& options) {
  if (options.page_size < 4096 || options.page_size > 32768 ||
      (options.page_size & (options.page_size - 1)) != 0) {
    return Status::InvalidArgument("page_size must be a power of two between 4096 and 32768, got " +
                                   std::to_string(options.page_size));
  }
  if (options.max_readers == 0) return Status::InvalidArgument("max_readers must be at least 1");
  if (IsMemoryPath(path)) {
    auto db = std::make_shared<DBImpl>(":memory:", options);
    LIGHTNING_RETURN_IF_ERROR(db->OpenStore());
    return std::shared_ptr<DB>(db);
  }
  Env* env = options.env != nullptr ? options.env : Env::Default();
  std::string canonical;
  LIGHTNING_RETURN_IF_ERROR(env->CanonicalPath(path, &canonical));
  std::lock_guard<std::mutex> lock(registry_mu);
  auto& registry = Registry();
  auto it = registry.find({env, canonical});
  if (it != registry.end()) {
    if (auto existing = it->second.lock()) return std::shared_ptr<DB>(existing);
  }
  auto db = std::make_shared<DBImpl>(canonical, options);
  LIGHTNING_RETURN_IF_ERROR(db->OpenStore());  // a failed store is destroyed unregistered
  // Options saved in the store override the given ones. One that applies
  // only at open (io, max_readers) and differs: open again with it.
  Options merged;
  bool reopen = false;
  LIGHTNING_RETURN_IF_ERROR(db->ApplySavedOptions(&merged, &reopen));
  if (reopen) {
    db.reset();  // closes (checkpoints) the store first
    db = std::make_shared<DBImpl>(canonical, merged);
    LIGHTNING_RETURN_IF_ERROR(db->OpenStore());
    LIGHTNING_RETURN_IF_ERROR(db->ApplySavedOptions(&merged, &reopen));
  }
  registry[{env, canonical}] = db;
  db->set_registered();
  return std::shared_ptr<DB>(db);
}

std::vector<std::shared_ptr<DB>> DB::OpenStores() {
  std::vector<std::shared_ptr<DB>> stores;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    for (auto& [key, weak] : Registry()) {
      if (auto db = weak.lock()) stores.push_back(std::move(db));
    }
  }
  std::sort(stores.begin(), stores.end(),
            [](const auto& a, const auto& b) { return a->path() < b->path(); });
  return stores;  // a store released here closes outside registry_mu
}

DBImpl::DBImpl(std::string path, const Options& options)
    : path_(std::move(path)),
      uid_(NextInstanceUid()),
      in_memory_(IsMemoryPath(path_)),
      wal_path_(options.wal_path.empty() ? path_ + "-wal" : options.wal_path),
      opts_(options),
      sync_mode_(static_cast<uint8_t>(options.sync)),
      env_(options.env != nullptr ? options.env : Env::Default()) {}

DBImpl::~DBImpl() {
  // A clean close checkpoints so that the next open replays nothing.
  if (opened_ && !in_memory_ && !failed_.load()) {
    std::unique_lock<WriterLock> lock(writer_mu_);
    (void)CheckpointLocked(false);
  }
  if (registered_) {
    std::lock_guard<std::mutex> lock(registry_mu);
    auto& registry = Registry();
    auto it = registry.find({env_, path_});
    if (it != registry.end() && it->second.expired()) registry.erase(it);
  }
  delete published_.load();
  for (auto& [tag, v] : retired_versions_) delete v;
  wal_.reset();
  data_.reset();
  lock_.reset();  // last: the files are closed before another process may open them
}

uint64_t DBImpl::NewSalt() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(NowNanos());
}

Status DBImpl::AcquireLock() {
  Status s = env_->LockFile(path_ + "-lock", &lock_);
  if (s.code() == Status::Code::kLocked) {
    // The Env names the lock file; the user knows the store.
    const std::string& msg = s.message();
    size_t by = msg.rfind("is locked by process");
    return Status::Locked("store " + path_ + " " +
                          (by == std::string::npos ? msg : msg.substr(by)));
  }
  return s;
}

Status DBImpl::OpenStore() {
  page_size_ = opts_.page_size;
  if (in_memory_) {
    pager_ =
        std::make_unique<Pager>(nullptr, path_, page_size_, UINT64_MAX, opts_.max_readers, &stats_);
    InitTxnContext();
    published_.store(new Version(latest_));
    opened_ = true;
    return Status::OK();
  }
  LIGHTNING_RETURN_IF_ERROR(AcquireLock());
  std::unique_ptr<File> data, wal;
  LIGHTNING_RETURN_IF_ERROR(env_->OpenFile(path_, opts_.io, &data));
  LIGHTNING_RETURN_IF_ERROR(env_->OpenFile(wal_path_, IoBackend::kPread, &wal));
  data_ = std::move(data);
  wal_ = std::move(wal);
  uint64_t size = 0;
  LIGHTNING_RETURN_IF_ERROR(data_->Size(&size));
  if (size == 0) LIGHTNING_RETURN_IF_ERROR(CreateStore());
  Superblock sb;
  LIGHTNING_RETURN_IF_ERROR(ReadSuperblocks(&sb));
  page_size_ = sb.page_size;
  opts_.page_size = sb.page_size;
  pager_ = std::make_unique<Pager>(data_.get(), path_, page_size_, opts_.cache_size,
                                   opts_.max_readers, &stats_);
  pager_->set_readahead_limit(opts_.scan_readahead);
  InitTxnContext();
  LIGHTNING_RETURN_IF_ERROR(LoadPageTable(sb));
  latest_ = sb.version;
  published_.store(new Version(latest_));
  sb_generation_ = sb.generation;
  ckpt_lsn_ = sb.lsn;
  pagetable_loc_ = sb.pagetable_loc;
  return Recover();
}

void DBImpl::InitTxnContext() {
  txn_ctx_ = TxnContext{pager_.get(), &stats_, &latency_, &profile_, uid_, page_size_, this};
}

Status DBImpl::CreateStore() {
  Superblock sb;
  sb.generation = 1;
  sb.page_size = opts_.page_size;
  LIGHTNING_RETURN_IF_ERROR(WriteSuperblock(sb));
  LIGHTNING_RETURN_IF_ERROR(wal_->Truncate(0));
  std::string header = EncodeWalHeader(NewSalt(), 0);
  LIGHTNING_RETURN_IF_ERROR(wal_->WriteAt(0, header.data(), header.size()));
  LIGHTNING_RETURN_IF_ERROR(wal_->Sync());
  // Make the new files' names durable too. Best effort, as before the Env:
  // some file systems refuse to fsync a directory.
  size_t slash = path_.rfind('/');
  (void)env_->SyncDir(slash == std::string::npos ? "." : path_.substr(0, slash));
  return Status::OK();
}

Status DBImpl::WriteSuperblock(const Superblock& sb) {
  std::string bytes = EncodeSuperblock(sb);
  const uint64_t offset = (sb.generation % 2) * kSuperblockSlot;
  LIGHTNING_RETURN_IF_ERROR(data_->WriteAt(offset, bytes.data(), bytes.size()));
  stats_.bytes_written.Add(bytes.size());
  return SyncFile(data_.get(), &stats_.data_fsyncs);
}

}  // namespace lightning
