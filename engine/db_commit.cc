// The commit path: WAL append, group commit, publication of versions, and
// the reclamation of pages, extents and versions no reader can see.
#include <algorithm>

#include "engine/db_impl.h"
#include "engine/txn.h"
#include "engine/wal.h"

namespace lightning {

Status DBImpl::Failed() const {
  if (!failed_.load()) return Status::OK();
  std::lock_guard<std::mutex> lock(wal_mu_);
  return Status::ReadOnly("the store has failed and must be reopened: " + bg_error_.ToString());
}

Status DBImpl::SyncFile(File* file, Counter* counter) {
  ProfileScope scope(ProfileComponent::kFsync);
  const uint64_t t0 = NowNanos();
  Status s = file->Sync();
  latency_.fsync.Record(NowNanos() - t0);
  counter->Add();
  return s;
}

Status DBImpl::CommitWrite(WriteTxnImpl* t) {
  const uint64_t start = NowNanos();
  ProfileRoot profile(&profile_, ProfileOp::kCommit, ProfileComponent::kOther, true);
  WriteTxnImpl::Changes c = t->changes();
  if (c.none) {  // nothing changed
    t->DropCreatedSince(0);
    t->Finish();
    return Status::OK();
  }
  LIGHTNING_RETURN_IF_ERROR(Failed());
  const uint64_t lsn = c.lsn;
  auto* version = new Version(c.version);
  version->txn = lsn;
  PendingCommit pc{version, {}};
  // Sorted, the pages created here tell which freed pages were born in this
  // transaction (a binary search each; no per-page allocation).
  std::sort(c.created.begin(), c.created.end());
  {
    std::lock_guard<std::mutex> lock(space_mu_);
    for (PageId id : c.freed) {
      CountFree(id);
      if (std::binary_search(c.created.begin(), c.created.end(), id)) {  // born and died here
        pager_->DropFrame(id);
        free_ids_.push_back(id);
      } else {
        pc.freed.push_back(id);
      }
    }
    for (PageId id : c.created) {
      PageEntry& e = pager_->entry(id);
      if (!e.live) continue;
      if (dirty_.insert(id).second) dirty_bytes_ += e.frame.load()->size;
    }
  }
  latest_ = *version;
  stats_.commits.Add();
  stats_.puts.Add(c.puts);
  stats_.deletes.Add(c.deletes);

  if (c.replay || in_memory_) {  // nothing to log
    std::lock_guard<std::mutex> lock(wal_mu_);
    Publish({std::move(pc)});
    t->Finish();
    latency_.commit.Record(NowNanos() - start);
    return Status::OK();
  }

  if (static_cast<SyncMode>(sync_mode_.load()) == SyncMode::kFull) {
    {
      std::lock_guard<std::mutex> lock(wal_mu_);
      ProfileScope append(ProfileComponent::kWalAppend);
      // Sealed (durable lsn and checksum) by StampDurable when the batch is written.
      AppendUnsealedWalRecord(&wal_pending_, lsn, c.log);
      wal_pending_last_ = lsn;
      wal_pending_commits_++;
      publish_queue_.push_back(std::move(pc));
    }
    wal_append_cv_.notify_one();
    t->Finish();  // the next writer may build on this commit while we sync
    std::unique_lock<std::mutex> lock(wal_mu_);
    while (durable_lsn_ < lsn && bg_error_.ok()) {
      if (!leader_active_) {
        (void)FlushWalLocked(lock, /*group_wait=*/true);
      } else {
        wal_cv_.wait(lock);
      }
    }
    Status s = durable_lsn_ >= lsn ? Status::OK() : bg_error_;
    lock.unlock();
    latency_.commit.Record(NowNanos() - start);
    if (s.ok()) MaybeCheckpointAfterCommit(false);
    pager_->EvictIfNeeded();
    return s;
  }

  // sync=normal|off: write now, publish now, never wait for fsync.
  Status s;
  {
    std::unique_lock<std::mutex> lock(wal_mu_);
    std::string& rec = wal_record_;
    rec.clear();
    {
      ProfileScope append(ProfileComponent::kWalAppend);
      AppendWalRecord(&rec, lsn, durable_lsn_, c.log, wal_salt_);
      s = wal_->WriteAt(wal_size_, rec.data(), rec.size());
    }
    if (s.ok()) {
      wal_size_ += rec.size();
      stats_.wal_bytes.Add(rec.size());
      Publish({std::move(pc)});
    } else {
      bg_error_ = s;
      failed_.store(true);
      (void)wal_->Truncate(wal_size_);
      delete version;
    }
    if (rec.capacity() > SpareBufferLimit())
      std::string().swap(rec);  // a huge commit's memory goes back
  }
  if (s.ok()) MaybeCheckpointAfterCommit(true);
  t->Finish();
  pager_->EvictIfNeeded();
  latency_.commit.Record(NowNanos() - start);
  return s;
}

// Writes and fsyncs everything pending as one batch, then publishes it.
Status DBImpl::FlushWalLocked(std::unique_lock<std::mutex>& lock, bool group_wait) {
  leader_active_ = true;
  // Group commit: wait for the writers that are about to commit to join this
  // batch, for at most half of a recent fsync: one fsync for all of them
  // instead of one each. Expected: every writer of the previous round (the
  // last batch and the commits that arrived while it was syncing — each
  // writer has at most one commit in flight), and any writer holding or
  // waiting for the writer lock. A lone writer expects only itself and never
  // waits; neither does a caller that holds the writer lock (group_wait false).
  if (group_wait && fsync_ewma_nanos_ > 0) {
    const size_t target = std::max<size_t>(
        writers_last_round_, wal_pending_commits_ + static_cast<size_t>(writer_mu_.contenders()));
    if (wal_pending_commits_ < target) {
      const auto deadline =
          std::chrono::steady_clock::now() +
          std::chrono::nanoseconds(std::min<uint64_t>(fsync_ewma_nanos_ / 2, 2'000'000));
      wal_append_cv_.wait_until(lock, deadline,
                                [&] { return wal_pending_commits_ >= target || !bg_error_.ok(); });
    }
  }
  wal_pending_commits_ = 0;
  std::string batch = std::move(wal_pending_);
  wal_pending_.clear();
  const uint64_t last = wal_pending_last_;
  std::vector<PendingCommit> commits = std::move(publish_queue_);
  publish_queue_.clear();
  const uint64_t offset = wal_size_;
  const uint64_t durable = durable_lsn_;
  lock.unlock();

  Status s;
  uint64_t sync_nanos = 0;
  if (!batch.empty()) {
    {
      ProfileScope append(ProfileComponent::kWalAppend);
      StampDurable(&batch, durable, wal_salt_);
      s = wal_->WriteAt(offset, batch.data(), batch.size());
      // Near the end of the zeroed space: zero the next chunk, synced with
      // this batch (recovery reads zeros as the log's torn tail and cuts it).
      const uint64_t end = offset + batch.size();
      if (s.ok() && end + kWalZeroChunk / 4 > wal_zeroed_end_) {
        static const std::string zeros(kWalZeroChunk, '\0');
        const uint64_t from = std::max(end, wal_zeroed_end_);
        s = wal_->WriteAt(from, zeros.data(), zeros.size());
        if (s.ok()) wal_zeroed_end_ = from + zeros.size();
      }
    }
    const uint64_t t0 = NowNanos();
    if (s.ok()) s = SyncFile(wal_.get(), &stats_.wal_fsyncs);
    sync_nanos = NowNanos() - t0;
  }

  lock.lock();
  if (sync_nanos > 0) {
    fsync_ewma_nanos_ =
        fsync_ewma_nanos_ == 0 ? sync_nanos : (fsync_ewma_nanos_ * 7 + sync_nanos) / 8;
  }
  writers_last_round_ = commits.size() + wal_pending_commits_;
  if (s.ok()) {
    wal_size_ = offset + batch.size();
    if (!commits.empty()) {
      durable_lsn_ = last;
      stats_.wal_bytes.Add(batch.size());
      stats_.group_commit_batches.Add();
      stats_.group_commit_commits.Add(commits.size());
      Publish(std::move(commits));
    }
  } else {
    bg_error_ = s;
    failed_.store(true);
    (void)wal_->Truncate(offset);  // best effort: drop what was not acknowledged
    for (auto& c : commits) delete c.version;
  }
  // The batch's memory serves the next one (unless commits joined meanwhile).
  if (wal_pending_.empty() && batch.capacity() <= SpareBufferLimit()) {
    batch.clear();
    wal_pending_.swap(batch);
  }
  leader_active_ = false;
  wal_cv_.notify_all();
  return s;
}

// REQUIRES: wal_mu_ (so that publications happen in commit order).
void DBImpl::Publish(std::vector<PendingCommit> commits) {
  Version* newest = commits.back().version;
  Version* old = published_.exchange(newest);
  const uint64_t tag = pager_->epochs().Advance();
  std::lock_guard<std::mutex> lock(space_mu_);
  for (auto& c : commits) {
    for (PageId id : c.freed) retired_pages_.emplace_back(tag, id);
    if (c.version != newest) delete c.version;  // never visible to anyone
  }
  if (old != nullptr) retired_versions_.emplace_back(tag, old);
  Reclaim();
}

void DBImpl::Reclaim() {
  const uint64_t min = pager_->epochs().MinPinned();
  size_t keep = 0;
  for (auto& [tag, id] : retired_pages_) {
    if (tag >= min) {
      retired_pages_[keep++] = {tag, id};
      continue;
    }
    PageEntry& e = pager_->entry(id);
    const uint64_t loc = e.loc.exchange(0);
    if (loc != 0) pending_extents_.push_back({loc, sb_generation_, 0});
    if (dirty_.erase(id)) {
      Frame* f = e.frame.load();
      dirty_bytes_ -= f ? f->size : 0;
    }
    pager_->DropFrame(id);
    free_ids_.push_back(id);
  }
  retired_pages_.resize(keep);
  keep = 0;
  for (auto& [tag, v] : retired_versions_) {
    if (tag < min)
      delete v;
    else
      retired_versions_[keep++] = {tag, v};
  }
  retired_versions_.resize(keep);
}

bool DBImpl::CheckpointDue() const {
  if (in_memory_) return false;
  uint64_t wal_limit, dirty_limit;
  {
    std::lock_guard<std::mutex> lock(opts_mu_);
    wal_limit = opts_.checkpoint_wal_size;
    // Dirty pages cannot be evicted: a quarter of the cache stays for clean
    // ones. (Half, before: a 1M-key random fill into a 256 MiB cache then
    // checkpointed every ~16k puts, rewriting most of the tree each time.)
    dirty_limit = std::min(opts_.checkpoint_dirty_size, opts_.cache_size / 4 * 3);
  }
  uint64_t wal_size, dirty;
  {
    std::lock_guard<std::mutex> lock(wal_mu_);
    wal_size = wal_size_;
  }
  {
    std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(space_mu_));
    dirty = dirty_bytes_;
  }
  return wal_size > wal_limit || dirty > dirty_limit;
}

void DBImpl::MaybeCheckpointAfterCommit(bool holding_writer) {
  if (!CheckpointDue()) return;
  if (holding_writer) {
    (void)CheckpointLocked(false);
    return;
  }
  std::unique_lock<WriterLock> lock(writer_mu_, std::try_to_lock);
  if (lock.owns_lock()) (void)CheckpointLocked(false);
}

// ---- space ----

void DBImpl::CountFree(PageId id) {
  PageEntry& e = pager_->entry(id);
  e.live = false;
  live_pages_--;
  live_by_type_[e.type & 3]--;
}

PageId DBImpl::AllocPageId(PageType type) {
  PageId id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else {
    id = next_page_id_++;
  }
  pager_->Reserve(id);
  PageEntry& e = pager_->entry(id);
  e.live = true;
  e.type = type;
  live_pages_++;
  live_by_type_[type & 3]++;
  return id;
}

uint64_t DBImpl::AllocExtent(uint64_t length) {
  length = (length + ExtentLoc::kUnit - 1) / ExtentLoc::kUnit * ExtentLoc::kUnit;
  const uint64_t offset = free_.Allocate(length);
  if (offset != FreeSpace::kNone) return offset;
  const uint64_t end = file_end_;
  file_end_ += length;
  return end;
}

void DBImpl::FreeExtentRange(uint64_t offset, uint64_t length) { free_.Add(offset, length); }

void DBImpl::ReleasePendingExtents() {
  const uint64_t min = pager_->epochs().MinPinned();
  size_t keep = 0;
  for (const PendingExtent& pe : pending_extents_) {
    if (pe.generation < sb_generation_ && pe.tag < min) {
      FreeExtentRange(ExtentLoc::Offset(pe.loc), ExtentLoc::Length(pe.loc));
    } else {
      pending_extents_[keep++] = pe;
    }
  }
  pending_extents_.resize(keep);
}

void DBImpl::TruncateFreeTail() { file_end_ = free_.TrimTail(file_end_); }

}  // namespace lightning
