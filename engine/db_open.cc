// Opening a store: the process registry, the lock file, superblocks, the
// page table, and WAL recovery.
#include <algorithm>
#include <random>

#include "engine/checksum.h"
#include "engine/coding.h"
#include "engine/txn.h"
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

enum class SlotState { kValid, kEmpty, kForeign, kDamaged, kNewer };

SlotState DecodeSuperblock(const char* p, Superblock* sb, uint32_t* version) {
  bool all_zero = true;
  for (uint32_t i = 0; i < kSuperblockBytes; i++) all_zero &= (p[i] == 0);
  if (all_zero) return SlotState::kEmpty;
  if (DecodeFixed64(p) != kSuperblockMagic) return SlotState::kForeign;
  if (DecodeFixed64(p + 120) != Checksum64(p, 120)) return SlotState::kDamaged;
  *version = DecodeFixed32(p + 8);
  if (*version > kFormatVersion) return SlotState::kNewer;
  sb->page_size = DecodeFixed32(p + 12);
  sb->generation = DecodeFixed64(p + 16);
  sb->lsn = DecodeFixed64(p + 24);
  sb->next_page_id = DecodeFixed64(p + 32);
  sb->version.catalog.root = DecodeFixed64(p + 40);
  sb->version.catalog.depth = DecodeFixed32(p + 48);
  sb->version.catalog.count = DecodeFixed64(p + 56);
  sb->version.next_tree_id = DecodeFixed64(p + 64);
  sb->pagetable_loc = DecodeFixed64(p + 72);
  sb->file_end = DecodeFixed64(p + 80);
  sb->version.txn = sb->lsn;
  return SlotState::kValid;
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
  LIGHTNING_RETURN_IF_ERROR(LoadPageTable(sb));
  latest_ = sb.version;
  published_.store(new Version(latest_));
  sb_generation_ = sb.generation;
  ckpt_lsn_ = sb.lsn;
  pagetable_loc_ = sb.pagetable_loc;
  return Recover();
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

Status DBImpl::ReadSuperblocks(Superblock* sb) {
  std::string buf(kDataStart, '\0');
  size_t got = 0;
  LIGHTNING_RETURN_IF_ERROR(data_->ReadAt(0, kDataStart, buf.data(), &got));
  if (got < kSuperblockBytes) {
    return Status::InvalidArgument(path_ +
                                   " is not a Lightning store (too short for a superblock)");
  }
  Superblock slots[2];
  SlotState state[2];
  uint32_t version[2] = {0, 0};
  for (int i = 0; i < 2; i++) {
    state[i] = got >= i * kSuperblockSlot + kSuperblockBytes
                   ? DecodeSuperblock(buf.data() + i * kSuperblockSlot, &slots[i], &version[i])
                   : SlotState::kEmpty;
  }
  for (int i = 0; i < 2; i++) {
    if (state[i] == SlotState::kNewer) {
      return Status::NotSupported(path_ + " was written in store format version " +
                                  std::to_string(version[i]) + "; this build reads up to version " +
                                  std::to_string(kFormatVersion));
    }
  }
  const bool valid0 = state[0] == SlotState::kValid, valid1 = state[1] == SlotState::kValid;
  if (!valid0 && !valid1) {
    if (state[0] == SlotState::kForeign && state[1] != SlotState::kDamaged) {
      return Status::InvalidArgument(path_ + " is not a Lightning store (no superblock magic)");
    }
    return Status::Corruption(path_ + ": both superblocks are damaged (checksum mismatch)");
  }
  int pick =
      valid0 && valid1 ? (slots[0].generation > slots[1].generation ? 0 : 1) : (valid0 ? 0 : 1);
  *sb = slots[pick];
  const int other = 1 - pick;
  // If the other slot is damaged or blank, it may have been the newer one (a
  // torn superblock write). That is recoverable only if the WAL still starts
  // at or before the surviving superblock's position.
  uint64_t wal_base = 0;
  if (ReadWalBase(wal_.get(), &wal_base) && wal_base > sb->lsn) {
    return Status::Corruption(path_ + ": superblock " + std::to_string(other) +
                              (state[other] == SlotState::kEmpty ? " is blank" : " is damaged") +
                              " and the surviving superblock (generation " +
                              std::to_string(sb->generation) + ", lsn " + std::to_string(sb->lsn) +
                              ") is older than the WAL (which starts after lsn " +
                              std::to_string(wal_base) + "); the store cannot be recovered");
  }
  if (sb->page_size < 4096 || sb->page_size > 32768 || (sb->page_size & (sb->page_size - 1))) {
    return Status::Corruption(path_ + ": superblock has an invalid page size " +
                              std::to_string(sb->page_size));
  }
  return Status::OK();
}

Status DBImpl::LoadPageTable(const Superblock& sb) {
  if (sb.next_page_id > Pager::kMaxPageIds) {
    return Status::Corruption(path_ + ": superblock has an implausible next page id " +
                              std::to_string(sb.next_page_id));
  }
  next_page_id_ = sb.next_page_id;
  file_end_ = std::max<uint64_t>(sb.file_end, kDataStart);
  uint64_t file_size = 0;
  LIGHTNING_RETURN_IF_ERROR(data_->Size(&file_size));
  // Extent lengths are rounded up to kUnit, but the last extent of the file is
  // written unpadded: compare with the size rounded up likewise.
  file_size = (file_size + ExtentLoc::kUnit - 1) / ExtentLoc::kUnit * ExtentLoc::kUnit;
  std::vector<std::pair<uint64_t, uint64_t>> used;  // offset, length
  PageId max_id = 0;
  if (sb.pagetable_loc != 0) {
    // Extents lie inside the file: checked before anything is read or
    // allocated for them (a damaged length could ask for 1 GiB).
    if (ExtentLoc::Offset(sb.pagetable_loc) + ExtentLoc::Length(sb.pagetable_loc) > file_size) {
      return Status::Corruption(path_ + ": page table extent lies past the end of the file");
    }
    std::string raw;
    uint8_t type;
    Status s = pager_->ReadExtent(0, sb.pagetable_loc, &raw, &type);
    if (!s.ok()) return Status::Corruption(path_ + ": page table: " + s.message());
    used.emplace_back(ExtentLoc::Offset(sb.pagetable_loc), ExtentLoc::Length(sb.pagetable_loc));
    const char* p = raw.data();
    const char* limit = p + raw.size();
    uint64_t count = 0;
    if ((p = DecodeVarint64(p, limit, &count)) == nullptr) {
      return Status::Corruption(path_ + ": page table is malformed");
    }
    PageId id = 0;
    for (uint64_t i = 0; i < count; i++) {
      uint64_t delta, loc;
      if ((p = DecodeVarint64(p, limit, &delta)) == nullptr ||
          (p = DecodeVarint64(p, limit, &loc)) == nullptr) {
        return Status::Corruption(path_ + ": page table is truncated");
      }
      const uint8_t type = static_cast<uint8_t>(delta & 3);
      id += delta >> 2;
      const uint64_t off = ExtentLoc::Offset(loc), len = ExtentLoc::Length(loc);
      if (id == 0 || id >= next_page_id_ || off < kDataStart || off + len > file_end_ ||
          off + len > file_size || type == 0 || (i > 0 && (delta >> 2) == 0)) {
        return Status::Corruption(path_ + ": page table entry for page " + std::to_string(id) +
                                  " is out of range");
      }
      pager_->Reserve(id);
      PageEntry& e = pager_->entry(id);
      e.loc.store(loc);
      e.live = true;
      e.type = type;
      live_pages_++;
      live_by_type_[type]++;
      used.emplace_back(off, len);
      max_id = id;
    }
  }
  // Ids above the highest live one are free: forget them rather than list
  // them (a damaged next page id must not cost memory in proportion to it).
  next_page_id_ = max_id + 1;
  // Free space is everything the page table does not reference.
  std::sort(used.begin(), used.end());
  uint64_t cursor = kDataStart;
  for (auto& [off, len] : used) {
    if (off < cursor) return Status::Corruption(path_ + ": page table has overlapping extents");
    if (off > cursor) FreeExtentRange(cursor, off - cursor);
    cursor = off + len;
  }
  if (file_end_ > cursor) FreeExtentRange(cursor, file_end_ - cursor);
  TruncateFreeTail();
  for (PageId id = 1; id < next_page_id_; id++) {
    if (!(pager_->Reserve(id), pager_->entry(id).live)) free_ids_.push_back(id);
  }
  std::reverse(free_ids_.begin(), free_ids_.end());  // reuse low ids first
  return Status::OK();
}

Status DBImpl::Recover() {
  recovering_ = true;
  uint64_t applied = 0;
  WalScan scan;
  Status s = ScanWal(
      wal_.get(), wal_path_,
      [&](uint64_t lsn, std::string_view payload) -> Status {
        if (lsn <= latest_.txn) return Status::OK();  // already in the checkpoint
        if (lsn != latest_.txn + 1) {
          return Status::Corruption(wal_path_ + ": record lsn " + std::to_string(lsn) +
                                    " does not follow " + std::to_string(latest_.txn));
        }
        const int slot = pager_->epochs().Pin();
        std::unique_lock<WriterLock> lock(writer_mu_);
        WriteTxnImpl txn(this, slot, latest_, std::move(lock));
        txn.set_replaying(lsn);
        Status as = txn.ApplyPayload(payload);
        if (!as.ok()) {
          return Status::Corruption(wal_path_ + ": record lsn " + std::to_string(lsn) + ": " +
                                    as.message());
        }
        applied++;
        return txn.Commit();
      },
      &scan);
  recovering_ = false;
  LIGHTNING_RETURN_IF_ERROR(s);
  if (scan.salt != 0 && scan.base_lsn > latest_.txn) {
    return Status::Corruption(wal_path_ + " starts after lsn " + std::to_string(scan.base_lsn) +
                              " but the store ends at lsn " + std::to_string(latest_.txn));
  }
  if (scan.salt == 0) {
    // No usable header (a new log, or one torn while being reset).
    wal_salt_ = NewSalt();
    std::string header = EncodeWalHeader(wal_salt_, latest_.txn);
    LIGHTNING_RETURN_IF_ERROR(wal_->Truncate(0));
    LIGHTNING_RETURN_IF_ERROR(wal_->Sync());  // durable before the header: see checkpoint.cc
    LIGHTNING_RETURN_IF_ERROR(wal_->WriteAt(0, header.data(), header.size()));
    LIGHTNING_RETURN_IF_ERROR(wal_->Sync());
    wal_size_ = header.size();
  } else {
    wal_salt_ = scan.salt;
    wal_size_ = scan.end_offset;
    if (scan.torn_tail) {
      LIGHTNING_RETURN_IF_ERROR(wal_->Truncate(scan.end_offset));
      LIGHTNING_RETURN_IF_ERROR(wal_->Sync());
    }
  }
  durable_lsn_ = latest_.txn;
  wal_zeroed_end_ = wal_size_;
  opened_ = true;
  stats_.Reset();
  stats_.stats_resets.Reset();
  latency_.Reset();
  profile_.Reset();
  return Status::OK();
}

}  // namespace lightning
