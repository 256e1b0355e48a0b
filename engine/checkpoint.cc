// Checkpoints and compaction: dirty pages out of place as extents, then the
// page table, then one of the two superblocks, then a fresh WAL.
#include <optional>
#include <system_error>
#include <thread>

#include "engine/coding.h"
#include "engine/txn.h"
#include "engine/wal.h"

namespace lightning {

Status DBImpl::LockWriter(std::unique_lock<WriterLock>* lock, const char* what,
                          Progress* progress) {
  uint32_t timeout;
  {
    std::lock_guard<std::mutex> l(opts_mu_);
    timeout = opts_.busy_timeout_ms;
  }
  // In slices, so that a Progress can stop the wait.
  constexpr uint32_t kSliceMs = 5;
  for (uint32_t waited = 0;; waited += kSliceMs) {
    if (lock->try_lock_for(std::chrono::milliseconds(std::min(kSliceMs, timeout - waited)))) {
      return Status::OK();
    }
    if (waited + kSliceMs >= timeout) break;
    if (progress && !progress->Continue("wait for writer lock", waited + kSliceMs, timeout)) {
      return Status::Interrupted(std::string(what) +
                                 " interrupted while waiting for a write transaction to end");
    }
  }
  return Status::Busy(std::string(what) + ": a write transaction holds the writer lock");
}

Status DBImpl::Checkpoint(Progress* progress) {
  if (in_memory_) return Status::OK();
  std::unique_lock<WriterLock> lock(writer_mu_, std::defer_lock);
  LIGHTNING_RETURN_IF_ERROR(LockWriter(&lock, "checkpoint", progress));
  return CheckpointLocked(true, progress);
}

Status DBImpl::CheckpointLocked(bool force, Progress* progress) {
  if (in_memory_) return Status::OK();
  LIGHTNING_RETURN_IF_ERROR(Failed());
  const uint64_t start = NowNanos();
  ProfileRoot profile(&profile_, ProfileOp::kCheckpoint, ProfileComponent::kCheckpoint, true);
  {  // Every commit durable and published first.
    std::unique_lock<std::mutex> lock(wal_mu_);
    while ((leader_active_ || !publish_queue_.empty()) && bg_error_.ok()) {
      if (!leader_active_)
        (void)FlushWalLocked(lock);
      else
        wal_cv_.wait(lock);
    }
  }
  LIGHTNING_RETURN_IF_ERROR(Failed());
  const Version v = latest_;
  Codec codec;
  int level;
  bool checksum;
  {
    std::lock_guard<std::mutex> lock(opts_mu_);
    codec = opts_.compression;
    level = opts_.compression_level;
    checksum = opts_.checksum;
  }
  std::vector<PageId> ids;
  {
    std::lock_guard<std::mutex> lock(space_mu_);
    Reclaim();
    for (PageId id : dirty_) {
      if (pager_->entry(id).live) ids.push_back(id);
    }
  }
  if (ids.empty() && !force && v.txn == ckpt_lsn_) return Status::OK();
  std::sort(ids.begin(), ids.end());

  auto fail = [&](Status s) {
    std::lock_guard<std::mutex> lock(wal_mu_);
    if (bg_error_.ok()) bg_error_ = s;
    failed_.store(true);
    return s;
  };

  // Pages: encoded, placed and written in batches of about kBatchBytes, with
  // buffers reused from batch to batch, so that a checkpoint's own memory
  // stays small however many pages are dirty (it once encoded all of them
  // first: half the cache again, at the peak). Locations are published
  // after every batch is written.
  constexpr uint64_t kBatchBytes = 4 << 20;
  std::vector<uint64_t> locs(ids.size());
  std::vector<std::string> bufs;
  std::vector<WriteRequest> requests;
  uint64_t raw_bytes = 0, stored_bytes = 0, dirty_written = 0, extent_bytes = 0;
  // Stopped while writing pages: nothing refers to the extents written so
  // far (locations are published after the last batch), so their space goes
  // straight back and the WAL still holds every commit.
  auto stop = [&](size_t written) {
    std::lock_guard<std::mutex> lock(space_mu_);
    for (size_t i = 0; i < written; i++) {
      FreeExtentRange(ExtentLoc::Offset(locs[i]), ExtentLoc::Length(locs[i]));
    }
    return Status::Interrupted("checkpoint interrupted after writing " + std::to_string(written) +
                               " of " + std::to_string(ids.size()) +
                               " pages; the store is unchanged");
  };
  for (size_t begin = 0; begin < ids.size();) {
    if (progress && !progress->Continue("write pages", begin, ids.size())) return stop(begin);
    size_t end = begin;
    uint64_t batch = 0;
    while (end < ids.size() && (end == begin || batch < kBatchBytes)) {
      batch += pager_->entry(ids[end]).frame.load()->size;
      end++;
    }
    if (bufs.size() < end - begin) bufs.resize(end - begin);
    // Compression dominates a checkpoint's CPU: with a codec and a second
    // core, a helper thread encodes the second half of the batch.
    struct Sums {
      uint64_t raw = 0, stored = 0;
    } first, second;
    auto encode = [&](size_t from, size_t to, Sums* sums) {
      for (size_t i = from; i < to; i++) {
        const Frame* f = pager_->entry(ids[i]).frame.load();
        uint64_t stored;
        Pager::EncodeExtent(*f, codec, level, checksum, &bufs[i - begin], &stored);
        sums->raw += f->size;
        sums->stored += stored;
      }
    };
    const size_t mid = begin + (end - begin) / 2;
    std::optional<std::thread> helper;
    if (codec != Codec::kNone && end - begin >= 64 && std::thread::hardware_concurrency() > 1) {
      try {
        helper.emplace(encode, mid, end, &second);
      } catch (const std::system_error&) {  // no thread to be had: encode it here
      }
    }
    encode(begin, helper ? mid : end, &first);
    if (helper) helper->join();
    raw_bytes += first.raw + second.raw;
    stored_bytes += first.stored + second.stored;
    dirty_written += first.raw + second.raw;
    requests.resize(end - begin);
    {
      std::lock_guard<std::mutex> lock(space_mu_);
      for (size_t i = begin; i < end; i++) {
        const std::string& b = bufs[i - begin];
        const uint64_t off = AllocExtent(b.size());
        locs[i] = ExtentLoc::Pack(off, b.size());
        requests[i - begin] = WriteRequest{off, b.data(), b.size()};
        extent_bytes += b.size();
      }
    }
    Status s = data_->WriteBatch(requests);
    if (!s.ok()) return fail(s);
    begin = end;
  }
  if (progress && !progress->Continue("write pages", ids.size(), ids.size())) {
    return stop(ids.size());
  }
  bufs = {};
  for (size_t i = 0; i < ids.size(); i++) pager_->entry(ids[i]).loc.store(locs[i]);

  // The page table: every live page and where it lives.
  std::string table;
  uint64_t table_loc = 0;
  std::string raw_table;
  uint64_t next_page_id, file_end;
  {
    std::lock_guard<std::mutex> lock(space_mu_);
    uint64_t count = 0;
    std::string entries;
    PageId prev = 0;
    for (PageId id = 1; id < next_page_id_; id++) {
      PageEntry& e = pager_->entry(id);
      if (!e.live) continue;
      const uint64_t loc = e.loc.load();
      if (loc == 0) continue;  // cannot happen with the writer lock held
      PutVarint64(&entries, (id - prev) << 2 | (e.type & 3));
      PutVarint64(&entries, loc);
      prev = id;
      count++;
    }
    PutVarint64(&raw_table, count);
    raw_table += entries;
    Pager::EncodeBlob(raw_table, codec == Codec::kNone ? Codec::kLz4 : codec, level, &table);
    const uint64_t off = AllocExtent(table.size());
    table_loc = ExtentLoc::Pack(off, table.size());
    next_page_id = next_page_id_;
    file_end = file_end_;
  }
  Status s = data_->WriteAt(ExtentLoc::Offset(table_loc), table.data(), table.size());
  if (s.ok()) s = SyncFile(data_.get(), &stats_.data_fsyncs);
  if (!s.ok()) return fail(s);
  stats_.bytes_written.Add(table.size() + extent_bytes);

  Superblock sb;
  sb.generation = sb_generation_ + 1;
  sb.lsn = v.txn;
  sb.page_size = page_size_;
  sb.next_page_id = next_page_id;
  sb.version = v;
  sb.pagetable_loc = table_loc;
  sb.file_end = file_end;
  s = WriteSuperblock(sb);
  if (!s.ok()) return fail(s);

  uint64_t new_end;
  {
    std::lock_guard<std::mutex> lock(space_mu_);
    if (pagetable_loc_ != 0) {
      FreeExtentRange(ExtentLoc::Offset(pagetable_loc_), ExtentLoc::Length(pagetable_loc_));
    }
    pagetable_loc_ = table_loc;
    sb_generation_ = sb.generation;
    for (PageId id : ids) dirty_.erase(id);
    dirty_bytes_ -= std::min(dirty_bytes_, dirty_written);
    ReleasePendingExtents();
    TruncateFreeTail();
    new_end = file_end_;
  }
  ckpt_lsn_ = v.txn;
  uint64_t size = 0;
  if (data_->Size(&size).ok() && size > new_end) (void)data_->Truncate(new_end);

  {  // A fresh WAL that starts after this checkpoint.
    std::lock_guard<std::mutex> lock(wal_mu_);
    const uint64_t salt = NewSalt();
    std::string header = EncodeWalHeader(salt, v.txn);
    // The truncation is made durable before the header is written: else a
    // crash could keep the old records behind a torn new header (Corruption).
    s = wal_->Truncate(0);
    if (s.ok()) s = SyncFile(wal_.get(), &stats_.wal_fsyncs);
    if (s.ok()) s = wal_->WriteAt(0, header.data(), header.size());
    if (s.ok()) s = SyncFile(wal_.get(), &stats_.wal_fsyncs);
    if (!s.ok()) {
      bg_error_ = s;
      failed_.store(true);
      return s;
    }
    wal_salt_ = salt;
    wal_size_ = header.size();
    wal_zeroed_end_ = header.size();
  }
  pager_->EvictIfNeeded();
  stats_.checkpoints.Add();
  stats_.checkpoint_pages.Add(ids.size());
  stats_.compress_raw_bytes.Add(raw_bytes);
  stats_.compress_stored_bytes.Add(stored_bytes);
  const uint64_t elapsed = NowNanos() - start;
  stats_.checkpoint_micros.Add(elapsed / 1000);
  latency_.checkpoint.Record(elapsed);
  return Status::OK();
}

Status DBImpl::RelocateTail(Progress* progress) {
  struct Move {
    PageId id;
    uint64_t from, to;
  };
  std::vector<Move> moves;
  {
    std::lock_guard<std::mutex> lock(space_mu_);
    std::vector<std::pair<uint64_t, PageId>> placed;  // offset, id
    uint64_t live_bytes = 0;
    for (PageId id = 1; id < next_page_id_; id++) {
      PageEntry& e = pager_->entry(id);
      const uint64_t loc = e.loc.load();
      if (!e.live || loc == 0) continue;
      placed.emplace_back(ExtentLoc::Offset(loc), id);
      live_bytes += ExtentLoc::Length(loc);
    }
    const uint64_t target = kDataStart + live_bytes;
    std::sort(placed.rbegin(), placed.rend());  // from the end of the file
    for (auto& [offset, id] : placed) {
      const uint64_t loc = pager_->entry(id).loc.load();
      const uint64_t len = ExtentLoc::Length(loc);
      if (offset + len <= target) break;
      // The lowest hole below the extent that fits it.
      const uint64_t to = free_.AllocateBelow(len, offset);
      if (to != FreeSpace::kNone) moves.push_back({id, loc, ExtentLoc::Pack(to, len)});
    }
  }
  std::string buf;
  size_t moved = 0;
  Status s;
  for (; moved < moves.size(); moved++) {
    if (progress && !progress->Continue("move extents", moved, moves.size())) {
      s = Status::Interrupted("compaction interrupted after moving " + std::to_string(moved) +
                              " of " + std::to_string(moves.size()) +
                              " extents; the store is intact, the file not yet shrunk");
      break;
    }
    const Move& m = moves[moved];
    const uint64_t len = ExtentLoc::Length(m.from);
    buf.resize(len);
    size_t got = 0;
    s = data_->ReadAt(ExtentLoc::Offset(m.from), len, buf.data(), &got);
    if (s.ok()) s = data_->WriteAt(ExtentLoc::Offset(m.to), buf.data(), got);
    if (!s.ok()) break;
    stats_.bytes_read.Add(got);
    stats_.bytes_written.Add(got);
  }
  // The extents moved take their new places (the next checkpoint's page
  // table records them). Readers that loaded an old location may still read
  // it: retire those ranges behind an epoch tag as well as the next
  // checkpoint. The places reserved for moves not made are free again.
  for (size_t i = 0; i < moved; i++) pager_->entry(moves[i].id).loc.store(moves[i].to);
  const uint64_t tag = pager_->epochs().Advance();
  std::lock_guard<std::mutex> lock(space_mu_);
  for (size_t i = 0; i < moved; i++)
    pending_extents_.push_back({moves[i].from, sb_generation_, tag});
  for (size_t i = moved; i < moves.size(); i++) {
    FreeExtentRange(ExtentLoc::Offset(moves[i].to), ExtentLoc::Length(moves[i].to));
  }
  return s;
}

Status DBImpl::Compact(Progress* progress) {
  if (in_memory_) return Status::OK();
  std::unique_lock<WriterLock> lock(writer_mu_, std::defer_lock);
  LIGHTNING_RETURN_IF_ERROR(LockWriter(&lock, "compact", progress));
  ProfileRoot profile(&profile_, ProfileOp::kCompact, ProfileComponent::kCheckpoint, true);
  // A checkpoint stopped inside a compaction says so.
  auto checkpoint = [&](const char* which) {
    Status s = CheckpointLocked(true, progress);
    if (!s.IsInterrupted()) return s;
    return Status::Interrupted(std::string("compaction interrupted in its ") + which +
                               " checkpoint; the store is intact, the file not yet shrunk");
  };
  LIGHTNING_RETURN_IF_ERROR(checkpoint("first"));
  LIGHTNING_RETURN_IF_ERROR(RelocateTail(progress));
  LIGHTNING_RETURN_IF_ERROR(checkpoint("second"));
  // A second pass frees the page table the first one displaced.
  return checkpoint("last");
}

}  // namespace lightning
