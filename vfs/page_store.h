// PageStore: the bytes of one SQLite database file, kept in a Lightning store.
//
// The `lightning` VFS (vfs.cc) turns SQLite's file calls on a main database
// into calls on a PageStore; this class knows nothing of SQLite, so it can be
// tested and benchmarked on its own.
//
// Files: the engine store's data file is the database path itself, its WAL
// `<db>-lwal` (never `<db>-wal`, which SQLite opens as its own WAL whenever it
// exists) and its lock file `<db>-lock`. SQLite's `-journal`, `-wal` and `-shm`
// stay SQLite's, in the lower VFS.
//
// Layout in the engine store:
//
//   tree "pages"  key = block number, 4 bytes big-endian; value = block bytes
//                 (block_size of them). A block absent from the tree reads as
//                 zeros (a hole).
//   tree "meta"   "format" -> "1"; "block_size" -> u32 LE; "file_size" -> u64 LE
//                 (the logical size of the SQLite file).
//
// The store options given when the database was created or last opened with
// them (compression, compression_level, checksum) are saved in the engine
// store's catalog (DB::SetOptions), which applies them again at later opens
// that do not name them. (Older builds kept them in "meta" as "opt.<name>":
// moved to the catalog at the first open.)
//
// The block size is the SQLite page size seen in the first write (SQLite writes
// whole pages), fixed from then on; writes of other sizes or alignments work by
// read-modify-write.
//
// Visibility and durability. Write() and Truncate() change an in-memory map of
// pending blocks shared by every connection of the process (like the OS page
// cache: a write is visible to every reader at once). Sync() commits all
// pending blocks and the logical size in one engine write transaction, durable
// per the store's sync option (default full): after a crash the file is exactly
// as of the last completed Sync() — unless more than `spill_size` bytes were
// pending, which are then committed early. SQLite never depends on writes
// staying unwritten until xSync (an OS may write dirty pages back at any time):
// its journal or WAL covers an early commit exactly as it covers the default
// VFS. See the README, "The lightning VFS".
//
// Instances: Open() returns the one PageStore of this process for that engine
// store (DB::Open shares one engine instance per path, and the PageStore is
// attached to it: DB::Attached), reference counted.
//
// Checkpoints. The engine compresses and checksums pages when it checkpoints
// (DB::Checkpoint), not when it commits. A PageStore runs a background thread
// that checkpoints once `background_checkpoint` bytes of pages were committed
// since the last one, so that this work overlaps SQLite's own (which, in WAL
// mode, writes to SQLite's WAL and never waits for the store) instead of
// landing on a commit or on close. A checkpoint holds the engine's writer
// lock: a Sync() in the meantime waits for it (up to busy_timeout).
//
// Thread safety: every method may be called from any thread. Write, Truncate
// and Sync are serialised by the caller's locking protocol (SQLite's file
// locks); reads may run concurrently with all of them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lightning/db.h"

namespace lightning::vfs {

// The engine's WAL is `<db>-lwal`; its lock file `<db>-lock` (engine/FORMAT.md).
inline constexpr char kEngineWalSuffix[] = "-lwal";

// Background checkpoints (below) are off by default: measured on the VFS
// benchmark (bench/RESULTS.md, "The lightning VFS"), a checkpoint every 64 MiB of committed
// pages made the mixed WAL workload 1.7x slower than with none (1.45 s vs
// 2.54 s, medians of 5), because SQLite's own checkpoints then wait for the
// store's writer lock, and every background checkpoint compresses again the
// hot pages the previous one did. Off, the engine checkpoints at its own
// thresholds (256 MiB of WAL) in the committing thread, and at close.
inline constexpr uint64_t kDefaultBackgroundCheckpoint = 0;

// A commit that makes the SQLite file smaller by at least 1/kCompactAfterShrink
// of its committed size (VACUUM, or a WAL checkpoint after one) compacts the
// store, so that the file shrinks too. Without it a VACUUM grew the file:
// every page is rewritten to new extents while the old ones are still in use.
// Not when the data file holds less than 1/kCompactAfterShrink of the new
// size (nothing was checkpointed since the pages were written: the next
// checkpoint writes them compactly anyway): a compaction is three checkpoints,
// which made VACUUM of a new database 2x the default VFS's time.
inline constexpr uint64_t kCompactAfterShrink = 8;

// Options of a PageStore beyond the engine's own.
struct StoreOptions {
  Options engine;
  // Engine options named explicitly by the opener (engine name -> value), as
  // opposed to defaults: these override and replace the remembered ones.
  std::map<std::string, std::string> given;
  // Commit pending blocks early once they exceed this many bytes; 0 (the
  // default) means a quarter of the store's cache_size (16 MiB by default). An
  // engine transaction holds its pages in the cache until it commits, so a
  // pending set near cache_size would thrash it.
  uint64_t spill_size = 0;
  // Checkpoint the engine store in a background thread once this many bytes
  // of pages were committed since the last checkpoint; 0 turns it off (the
  // engine then checkpoints in the committing thread at its own thresholds,
  // and at close). Default: kDefaultBackgroundCheckpoint (off).
  uint64_t background_checkpoint = kDefaultBackgroundCheckpoint;
};

// Counters kept by the VFS layer itself (the engine keeps its own).
struct PageStoreCounters {
  std::atomic<uint64_t> reads{0};          // Read() calls
  std::atomic<uint64_t> blocks_read{0};    // blocks copied out (pending or store)
  std::atomic<uint64_t> pending_reads{0};  // blocks served from unsynced writes
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> blocks_written{0};
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> syncs{0};    // Sync() calls
  std::atomic<uint64_t> commits{0};  // engine transactions committed
  std::atomic<uint64_t> committed_blocks{0};
  std::atomic<uint64_t> spills{0};       // early commits past spill_size
  std::atomic<uint64_t> read_errors{0};  // reads that failed (checksum, I/O)
  std::atomic<uint64_t> commit_errors{0};
  std::atomic<uint64_t> background_checkpoints{0};
  std::atomic<uint64_t> background_checkpoint_errors{0};
  std::atomic<uint64_t> compactions{0};  // after commits that shrank the file
  std::atomic<uint64_t> compaction_errors{0};
};

// A read transaction kept by one open file between reads (saves beginning a
// transaction and finding the tree on every read). PageStore drops it when a
// commit makes it stale, so an idle connection never pins old pages for long.
// Owned by the file; Attach/Detach it to the store it reads.
class ReadCache {
 private:
  friend class PageStore;
  std::mutex mu_;
  std::unique_ptr<ReadTxn> txn_;  // GUARDED_BY(mu_)
  uint64_t version_ = 0;          // the store's commit count when txn_ began
};

class PageStore {
 public:
  // Opens (creating when empty) the store at `path`. Errors: those of DB::Open;
  // InvalidArgument if the store holds other trees than a VFS database's;
  // Corruption if the meta tree is damaged; NotSupported for a newer format.
  static Result<std::shared_ptr<PageStore>> Open(const std::string& path,
                                                 const StoreOptions& options);

  PageStore(const PageStore&) = delete;
  PageStore& operator=(const PageStore&) = delete;
  ~PageStore();

  // Copies up to n bytes at `offset` into dst; *got is how many lie before
  // the end of the file (the rest of dst is zeroed). Corruption names the
  // block (= SQLite page for page-sized reads) and the engine's finding.
  // `cache` (optional, attached) keeps the read transaction between calls.
  Status Read(uint64_t offset, size_t n, char* dst, size_t* got, ReadCache* cache = nullptr);
  void Attach(ReadCache* cache);
  // Ends the cache's transaction and forgets it. REQUIRES: attached.
  void Detach(ReadCache* cache);
  // Writes n bytes at `offset`, extending the file if needed.
  Status Write(uint64_t offset, const char* src, size_t n);
  // Sets the logical size; bytes past it are dropped (read as zeros if the
  // file grows again).
  Status Truncate(uint64_t size);
  // The logical file size, pending changes included.
  uint64_t Size() const;
  // Commits every pending change in one engine transaction (no-op if none).
  // A commit that shrinks the file by at least kCompactAfterShrink of its size
  // (a VACUUM) then compacts the store when its data file holds more than
  // 1/kCompactAfterShrink of the new size, so the space comes back (a failed
  // compaction is counted in vfs_compaction_errors, not returned: the commit
  // stands).
  Status Sync();
  // Compacts the engine store (DB::Compact) after ending the idle cached
  // read transactions, which would keep the old pages in use.
  Status Compact();
  // True iff the engine's data file is larger than `bytes` (or its size is
  // unknown: not on this file system).
  bool DataFileHoldsMoreThan(uint64_t bytes) const;
  bool HasPending() const {
    return pending_count_.load(std::memory_order_acquire) != 0 || dirty_meta_.load();
  }

  // The block size, 0 until the first write of a new file.
  uint32_t block_size() const { return block_size_.load(); }
  const std::string& path() const { return db_->path(); }
  DB* db() const { return db_.get(); }
  const PageStoreCounters& counters() const { return counters_; }

  // The VFS counters followed by every engine metric, for lightning_stats.
  std::vector<Metric> Metrics() const;

 private:
  struct Block {
    std::string data;  // block_size_ bytes
    uint64_t gen = 0;  // write generation (for erasing only what was committed)
  };

  PageStore(std::shared_ptr<DB> db, const StoreOptions& options);
  Status LoadOrCreate(const StoreOptions& options);
  Status SaveDatabaseOptions(const StoreOptions& options,
                             const std::map<std::string, std::string>& legacy);
  // Reads committed block `b` into dst (block_size_ bytes; zeros if absent).
  Status ReadStoredBlock(ReadTxn* txn, uint32_t b, char* dst);
  // The current content of block b (pending, stored or zeros) into *out.
  // REQUIRES: mu_
  Status BlockForUpdate(uint32_t b, Block** out);
  Status Commit(bool spill);
  // Drops the transactions of caches not in use (after a commit).
  void DropStaleReadTxns();
  // The background checkpointer's loop; StartCheckpointer/StopCheckpointer
  // start and join it.
  void CheckpointerLoop();
  void StartCheckpointer();
  void StopCheckpointer();

  Status ReadBlocks(uint64_t offset, size_t avail, char* dst, std::unique_ptr<ReadTxn>* txn);

  std::shared_ptr<DB> db_;
  TreeId pages_tree_ = 0, meta_tree_ = 0;
  uint64_t spill_size_;

  mutable std::mutex mu_;  // guards everything below except the atomics
  std::atomic<uint32_t> block_size_{0};
  using PendingMap = std::unordered_map<uint32_t, Block>;
  // A block's buffer: a recycled one when there is one. REQUIRES: mu_
  std::string TakeBuffer();
  // Erases a pending block and keeps its buffer for the next one (up to
  // kMaxSpareBytes): SQLite rewrites about the same pages between syncs, so
  // a block's 4 KiB are not allocated and freed again at every commit.
  // REQUIRES: mu_
  PendingMap::iterator EraseBlock(PendingMap::iterator it);
  static constexpr uint64_t kMaxSpareBytes = uint64_t{8} << 20;

  PendingMap pending_;                      // GUARDED_BY(mu_)
  std::vector<std::string> spare_buffers_;  // GUARDED_BY(mu_)
  uint64_t spare_bytes_ = 0;                // GUARDED_BY(mu_)
  std::atomic<size_t> pending_count_{0};    // pending_.size(), for a lock-free fast path
  uint64_t pending_bytes_ = 0;              // GUARDED_BY(mu_)
  uint64_t gen_ = 0;                        // GUARDED_BY(mu_)
  std::atomic<uint64_t> size_{0};           // logical size, pending included
  uint64_t durable_size_ = 0;               // GUARDED_BY(mu_): as last committed
  uint32_t durable_block_size_ = 0;         // GUARDED_BY(mu_)
  // Blocks at or above this index were cut off by Truncate since the last
  // commit: they read as zeros unless pending. UINT32_MAX: none.
  std::atomic<uint32_t> cut_from_{UINT32_MAX};
  std::atomic<bool> dirty_meta_{false};  // size or block size changed
  std::mutex commit_mu_;                 // one Commit at a time
  std::atomic<uint64_t> version_{0};     // commits so far
  std::mutex caches_mu_;
  std::vector<ReadCache*> caches_;  // GUARDED_BY(caches_mu_)

  mutable PageStoreCounters counters_;

  const uint64_t background_checkpoint_;  // bytes; 0: no background thread
  std::mutex ckpt_mu_;
  std::condition_variable ckpt_cv_;
  uint64_t uncheckpointed_bytes_ = 0;  // GUARDED_BY(ckpt_mu_): committed since the last one
  bool stop_checkpointer_ = false;     // GUARDED_BY(ckpt_mu_)
  std::thread checkpointer_;
};

// Every PageStore open in this process: calls fn(path, store) for each, in
// path order. The stores stay alive during the call.
void ForEachOpenStore(const std::function<void(const std::string&, PageStore&)>& fn);

}  // namespace lightning::vfs
