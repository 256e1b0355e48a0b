// Recovery: bringing a store back to its last commit when it opens. Picks the
// newer sound superblock (refusing a torn one the WAL cannot make up for),
// loads the page table it names (checking every extent lies in the file) and
// derives the free space from it, then replays the WAL records after the
// superblock's lsn, stopping at a torn tail. engine/FORMAT.md has the bytes.
#include <algorithm>

#include "engine/checksum.h"
#include "engine/coding.h"
#include "engine/db_impl.h"
#include "engine/txn.h"
#include "engine/wal.h"

namespace lightning {
namespace {

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
      if (type == kBlobPage) {  // a blob's raw size is in its extent's header only
        opened_blobs_ = true;
      } else {
        opened_raw_bytes_ += page_size_;
        opened_extent_bytes_ += len;
      }
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

Status DBImpl::ReplayRecord(uint64_t lsn, std::string_view payload, bool* applied) {
  *applied = false;
  const int slot = pager_->epochs().Pin();
  std::unique_lock<WriterLock> lock(writer_mu_);
  if (lsn <= latest_.txn) {  // already applied (in the checkpoint, or by an earlier catch-up)
    pager_->epochs().Unpin(slot);
    return Status::OK();
  }
  if (lsn != latest_.txn + 1) {
    pager_->epochs().Unpin(slot);
    return Status::Corruption(wal_path_ + ": record lsn " + std::to_string(lsn) +
                              " does not follow " + std::to_string(latest_.txn));
  }
  WriteTxnImpl txn(&txn_ctx_, slot, latest_, std::move(lock));
  txn.set_replaying(lsn);
  Status as = txn.ApplyPayload(payload);
  if (!as.ok()) {
    return Status::Corruption(wal_path_ + ": record lsn " + std::to_string(lsn) + ": " +
                              as.message());
  }
  *applied = true;
  return txn.Commit();
}

Status DBImpl::Recover() {
  uint64_t applied = 0;
  WalScan scan;
  Status s = ScanWal(
      wal_.get(), wal_path_,
      [&](uint64_t lsn, std::string_view payload) -> Status {
        bool one = false;
        LIGHTNING_RETURN_IF_ERROR(ReplayRecord(lsn, payload, &one));
        applied += one;
        return Status::OK();
      },
      &scan);
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

Status DBImpl::CatchUp(uint64_t* applied, uint64_t up_to_lsn) {
  *applied = 0;
  if (in_memory_) return Status::OK();
  LIGHTNING_RETURN_IF_ERROR(Failed());
  std::lock_guard<std::mutex> guard(catch_up_mu_);
  uint64_t offset = 0, salt = 0, after = 0;
  {
    std::lock_guard<std::mutex> lock(wal_mu_);
    // Records this instance wrote itself but has not flushed yet lie beyond
    // wal_size_; they are local, so the file past it is another writer's
    // only when nothing is pending here.
    if (!wal_pending_.empty() || leader_active_) return Status::OK();
    offset = wal_size_;
    salt = wal_salt_;
  }
  {
    std::lock_guard<WriterLock> lock(writer_mu_);
    after = latest_.txn;
  }
  WalTail tail;
  LIGHTNING_RETURN_IF_ERROR(ReadWalTail(
      wal_.get(), salt, offset, after, up_to_lsn,
      [&](uint64_t lsn, std::string_view payload) -> Status {
        bool one = false;
        LIGHTNING_RETURN_IF_ERROR(ReplayRecord(lsn, payload, &one));
        *applied += one;
        return Status::OK();
      },
      &tail));
  if (tail.reset) {
    return Status::Aborted(wal_path_ +
                           " was reset by a checkpoint of another instance of the store; "
                           "reloading from that checkpoint is not built yet: reopen the store");
  }
  std::lock_guard<std::mutex> lock(wal_mu_);
  wal_size_ = std::max(wal_size_, tail.end_offset);
  wal_zeroed_end_ = std::max(wal_zeroed_end_, wal_size_);
  return Status::OK();
}

}  // namespace lightning
