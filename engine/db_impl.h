// DBImpl: the store behind the DB facade.
//
// Versions. A Version names the catalog root as of one commit. Readers load
// `published_` (one atomic pointer) after pinning an epoch; the writer builds
// on `latest_`, which may run ahead of `published_` while its WAL record
// waits for fsync (group commit): a commit becomes visible only once durable.
//
// Space. Page ids come from a free list or the end of the id range; a page
// freed by a commit is retired with the epoch tag of the publish that made it
// unreachable, and only then are its id, frame and extent reclaimed. A
// reclaimed extent is still referenced by the last durable superblock, so it
// waits in `pending_extents_` until the next checkpoint's superblock is
// durable before its bytes may be reused.
//
// Transactions. They see the store only through `txn_ctx_` (TxnContext,
// txn_context.h); the write transaction's calls into the store are the
// StoreWriter interface, which DBImpl implements privately.
//
// Locks, in order: writer_mu_ (one write transaction or checkpoint) ->
// wal_mu_ (group commit) -> space_mu_ (ids, extents, retire lists) ->
// Pager::cache_mu_. Readers take none of them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/btree.h"
#include "engine/format.h"
#include "engine/free_space.h"
#include "engine/histogram.h"
#include "engine/io.h"
#include "engine/pager.h"
#include "engine/profile.h"
#include "engine/stats.h"
#include "engine/txn_context.h"
#include "engine/writer_lock.h"
#include "lightning/db.h"

namespace lightning {

struct Superblock {
  uint64_t generation = 0;
  uint64_t lsn = 0;
  uint32_t page_size = 0;
  uint64_t next_page_id = 1;
  Version version;
  uint64_t pagetable_loc = 0;
  uint64_t file_end = kDataStart;
};

class DBImpl : public DB, public std::enable_shared_from_this<DBImpl>, private StoreWriter {
 public:
  DBImpl(std::string path, const Options& options);
  ~DBImpl() override;

  Status OpenStore();  // called once by DB::Open
  void set_registered() { registered_ = true; }
  // Applies the options saved in the catalog over those opened with (by
  // DB::Open, db_options.cc): live ones at once; *reopen when one that
  // applies only at open differs (*merged then holds the options to open with).
  Status ApplySavedOptions(Options* merged, bool* reopen);

  Result<std::unique_ptr<ReadTxn>> BeginRead() override;
  Result<std::unique_ptr<WriteTxn>> BeginWrite() override;
  Result<std::unique_ptr<WriteTxn>> BeginWrite(std::chrono::milliseconds max_wait) override;
  Status Checkpoint(Progress* progress = nullptr) override;
  Status Compact(Progress* progress = nullptr) override;
  Status Check(std::vector<std::string>* problems, Progress* progress = nullptr) override;
  Status SetOption(Slice name, Slice value) override;
  Status SaveOption(Slice name, Slice value, bool* live) override;
  Status SetOptions(const Options& from, const std::vector<std::string>& names, bool save) override;
  Status SavedOptions(std::map<std::string, std::string>* saved) override;
  Options GetOptions() const override;
  Result<std::shared_ptr<void>> Attached(const std::string& key,
                                         const MakeAttachment& make) override;
  std::vector<Metric> Metrics() const override;
  void ResetStats() override;
  std::vector<LatencySummary> Latency() const override;
  std::vector<ProfileRow> Profile() const override;
  const std::string& path() const override { return path_; }
  bool in_memory() const override { return in_memory_; }

 private:
  struct PendingCommit {
    Version* version;
    std::vector<PageId> freed;  // committed pages it made unreachable
  };
  struct PendingExtent {
    uint64_t loc;
    uint64_t generation;  // superblock generation current when freed
    uint64_t tag;         // epoch tag; 0 when already safe from readers
  };

  // BeginWrite's parts (db_impl.cc). WaitForWriter: the writer lock is held
  // by another transaction; waits up to max_wait (Busy at once if zero or
  // less, else Busy after it). StartWrite: the transaction, once `lock` holds
  // the writer lock.
  Status WaitForWriter(std::unique_lock<WriterLock>* lock, std::chrono::milliseconds max_wait);
  Result<std::unique_ptr<WriteTxn>> StartWrite(std::unique_lock<WriterLock>&& lock);

  // Open (db_open.cc).
  Status AcquireLock();
  Status CreateStore();
  void InitTxnContext();  // once pager_ and page_size_ are set
  Status WriteSuperblock(const Superblock& sb);

  // Recovery (recovery.cc).
  Status ReadSuperblocks(Superblock* sb);
  Status LoadPageTable(const Superblock& sb);
  Status Recover();
  // Applies one WAL record (lsn, payload) to latest_ and publishes it, as if
  // committed here, without logging it. Skips a record already applied;
  // Corruption when `lsn` does not follow latest_ or the payload is bad.
  Status ReplayRecord(uint64_t lsn, std::string_view payload, bool* applied);

 public:
  // Catch-up (issue 12; the path a replica takes in issue 15): applies the
  // WAL records another instance of this store (another process, or another
  // Env in this one) appended after this instance's last lsn, up to
  // `up_to_lsn` (the shared durable lsn, for readers), and publishes them to
  // new read transactions. *applied counts them. Records being written
  // are left for the next call. Aborted when the log was reset by a checkpoint
  // elsewhere (reloading from that checkpoint is not built yet); Corruption
  // for records that cannot apply. Not used by DB::Open, BeginRead or
  // BeginWrite yet (docs/ARCHITECTURE.md, "Many processes": built and next).
  Status CatchUp(uint64_t* applied, uint64_t up_to_lsn = UINT64_MAX);

 private:
  // StoreWriter: the write transaction's side of the store (db_impl.cc;
  // CommitWrite in db_commit.cc). REQUIRES: writer_mu_.
  uint64_t NewStamp() override { return ++stamp_counter_; }
  void TakeLogBuffer(std::string* log) override;
  void ReturnLogBuffer(std::string* log) override;
  PageId AllocPage(PageType type) override;
  void DropUncommitted(const PageId* ids, size_t n) override;
  Status CommitWrite(WriteTxnImpl* txn) override;

  // Commit path (db_commit.cc).
  // group_wait: a committer, which may wait briefly for other writers to join.
  Status FlushWalLocked(std::unique_lock<std::mutex>& wal_lock,
                        bool group_wait = false);  // REQUIRES: wal_mu_
  void Publish(std::vector<PendingCommit> commits);
  void Reclaim();  // REQUIRES: space_mu_
  void MaybeCheckpointAfterCommit(bool holding_writer);
  bool CheckpointDue() const;

  // Space (db_commit.cc).
  PageId AllocPageId(PageType type);      // REQUIRES: space_mu_
  void CountFree(PageId id);              // REQUIRES: space_mu_; a live page leaves the tree
  uint64_t AllocExtent(uint64_t length);  // REQUIRES: space_mu_; returns offset
  void FreeExtentRange(uint64_t offset, uint64_t length);  // REQUIRES: space_mu_
  void ReleasePendingExtents();                            // REQUIRES: space_mu_

  // Checkpoint (db_checkpoint.cc).
  // Takes the writer lock for a checkpoint or compaction (`what`), waiting
  // up to busy_timeout (Busy) unless `progress` (may be null) stops the wait
  // (Interrupted).
  Status LockWriter(std::unique_lock<WriterLock>* lock, const char* what, Progress* progress);
  // `progress` may be null; it may stop the page writes (Interrupted).
  Status CheckpointLocked(bool force, Progress* progress = nullptr);  // REQUIRES: writer_mu_
  Status RelocateTail(Progress* progress);                            // REQUIRES: writer_mu_
  void TruncateFreeTail();                                            // REQUIRES: space_mu_

  // Copies the live options `names` from `from` into opts_; the pager follows.
  void ApplyLiveOptions(const Options& from, const std::vector<std::string>& names);

  // Syncs `file`, timing it (fsync latency, profile) and counting it in `counter`.
  Status SyncFile(File* file, Counter* counter);
  Status Failed() const;  // the sticky error after a failed WAL write/sync
  uint64_t NewSalt();

  const std::string path_;
  const uint64_t uid_;  // unique per instance in this process (never reused)
  const bool in_memory_;
  const std::string wal_path_;
  mutable std::mutex opts_mu_;
  Options opts_;  // GUARDED_BY(opts_mu_) for live options
  std::mutex attached_mu_;
  std::map<std::string, std::weak_ptr<void>> attached_;  // GUARDED_BY(attached_mu_)
  std::atomic<uint8_t> sync_mode_;

  Env* const env_;                  // opts_.env or Env::Default()
  std::unique_ptr<FileLock> lock_;  // `<path>-lock`, held while open
  std::unique_ptr<File> data_;
  std::unique_ptr<File> wal_;
  mutable EngineStats stats_;
  mutable LatencyStats latency_;
  mutable ProfileStats profile_;
  std::atomic<uint64_t> stats_since_{NowNanos()};  // when the counters were last reset
  std::unique_ptr<Pager> pager_;
  uint32_t page_size_ = 0;
  // What every read transaction reads at its start (the context and the
  // published version): one line of their own, apart from the profile's
  // counters above and the writer's state below, which other threads write.
  alignas(64) TxnContext txn_ctx_;  // what transactions see of the store; set by OpenStore
  std::atomic<Version*> published_{nullptr};

  alignas(64) Version latest_;  // GUARDED_BY(writer_mu_)
  WriterLock writer_mu_;
  uint64_t stamp_counter_ = 0;  // GUARDED_BY(writer_mu_)
  // The log buffer of the last finished write transaction, kept for the next
  // one (up to SpareBufferLimit() bytes): a transaction's log then grows without
  // reallocating. GUARDED_BY(writer_mu_).
  std::string spare_txn_wal_;
  // Buffers of commits (the transaction's log, the WAL batch, the record) are
  // kept between commits up to this size: cache_size/16, at least 4 MiB and at
  // most 64 MiB. Reallocating them costs a page fault per 4 KiB touched; the
  // lightning VFS commits ~4 MiB at each of SQLite's WAL checkpoints (1000
  // pages), just over a fixed 4 MiB, and spent 15% of its time in such faults.
  size_t SpareBufferLimit() const;
  bool opened_ = false;      // OpenStore succeeded: close checkpoints
  bool registered_ = false;  // in the process registry (set by DB::Open)

  // Space: GUARDED_BY(space_mu_).
  std::mutex space_mu_;
  PageId next_page_id_ = 1;
  std::vector<PageId> free_ids_;
  std::unordered_set<PageId> dirty_;
  uint64_t dirty_bytes_ = 0;
  FreeSpace free_;
  uint64_t file_end_ = kDataStart;
  std::vector<PendingExtent> pending_extents_;
  std::vector<std::pair<uint64_t, PageId>> retired_pages_;
  std::vector<std::pair<uint64_t, Version*>> retired_versions_;
  uint64_t live_pages_ = 0;
  uint64_t live_by_type_[4] = {0, 0, 0, 0};  // indexed by PageType
  // The B+tree pages in the file when it was opened: their raw bytes and the
  // bytes of their extents (compression_ratio before any checkpoint, known
  // only when the file held no blob page, whose raw size is in its extent).
  uint64_t opened_raw_bytes_ = 0, opened_extent_bytes_ = 0;
  bool opened_blobs_ = false;

  // Durable state: GUARDED_BY(writer_mu_).
  uint64_t sb_generation_ = 0;
  uint64_t ckpt_lsn_ = 0;
  uint64_t pagetable_loc_ = 0;

  // One catch-up at a time (CatchUp); taken before writer_mu_.
  std::mutex catch_up_mu_;

  // WAL and group commit: GUARDED_BY(wal_mu_).
  mutable std::mutex wal_mu_;
  std::condition_variable wal_cv_;
  std::condition_variable wal_append_cv_;  // a commit joined wal_pending_
  std::string wal_pending_;
  std::string wal_record_;  // sync=off|normal: the record being written, reused
  size_t wal_pending_commits_ = 0;
  uint64_t fsync_ewma_nanos_ = 0;  // recent WAL fsync time, for the group-commit wait
  size_t writers_last_round_ = 0;  // commits flushed + commits that arrived meanwhile
  uint64_t wal_pending_last_ = 0;
  std::vector<PendingCommit> publish_queue_;
  bool leader_active_ = false;
  uint64_t durable_lsn_ = 0;
  uint64_t wal_size_ = 0;
  // The WAL holds written zeros up to here (sync=full): appends below it
  // overwrite blocks the file already has, so their fdatasync need not
  // commit a new file size. Written by the group-commit leader (no other
  // flush runs meanwhile) and by WAL resets, which wait for the leader.
  uint64_t wal_zeroed_end_ = 0;
  static constexpr uint64_t kWalZeroChunk = 1u << 20;
  uint64_t wal_salt_ = 0;
  Status bg_error_;
  std::atomic<bool> failed_{false};

  // The previous Metrics() call, for per-second rates over the interval.
  struct RateSample {
    uint64_t nanos = 0, bytes_read = 0, bytes_written = 0, reads = 0, writes = 0;
  };
  mutable std::mutex rate_mu_;
  mutable RateSample last_sample_;  // GUARDED_BY(rate_mu_)
};

}  // namespace lightning
