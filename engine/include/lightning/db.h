// Lightning engine: the public facade used by ext/, vfs/, tests and examples.
//
// A DB is one store: a data file plus its write-ahead log (`<path>-wal`) and
// lock file (`<path>-lock`), or a purely in-memory store (path ":memory:" or
// ""). A store holds any number of named trees (ordered byte-string maps),
// listed in a catalog.
//
// Concurrency: any number of read transactions, each on a consistent snapshot;
// one write transaction at a time. Readers take no lock and never block the
// writer or each other; a writer waiting for another writer gives up after
// busy_timeout with Busy. One process opens a store at a time (a second gets
// Locked, naming the holder's pid); inside a process every DB::Open of the
// same path returns the same shared instance.
//
// A DB object is thread-safe. A transaction and its cursors belong to one
// thread at a time. Every transaction and cursor must be destroyed before the
// last shared_ptr to its DB.
//
// Errors. Every call says what it returns; beyond that, any call that reads
// pages may return Corruption (a page fails its checksum or structure check,
// naming the page) or IOError (the OS refused a read), and any call on a
// finished WriteTxn returns InvalidArgument ("the write transaction has
// already ended"). After a WAL write or fsync fails the store is "failed":
// reads go on, and BeginWrite, Commit and Checkpoint return ReadOnly ("the
// store has failed and must be reopened: <the first error>").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lightning/metrics.h"
#include "lightning/options.h"
#include "lightning/result.h"
#include "lightning/status.h"

namespace lightning {

using Slice = std::string_view;

// Size limits. Keys also must not exceed page_size / 4.
inline constexpr size_t kMaxKeySize = 8192;
inline constexpr size_t kMaxValueSize = 256u << 20;  // 256 MiB
inline constexpr size_t kMaxTreeNameSize = 1024;

// Identifies a tree for the lifetime of the store; survives renames.
using TreeId = uint64_t;

struct TreeInfo {
  std::string name;
  TreeId id = 0;
  uint64_t entries = 0;  // number of keys
  uint32_t depth = 0;    // 0 for an empty tree, 1 for a single leaf
};

class DB;
class Cursor;

// Operations common to read and write transactions.
class Txn {
 public:
  virtual ~Txn() = default;

  // Looks up `name` in the catalog and sets *id. NotFound ("no tree named
  // '<name>'") if there is no such tree.
  virtual Status OpenTree(Slice name, TreeId* id) = 0;
  // Replaces *trees with every tree in name order, with its entry count and
  // depth. OK (an empty list for a store without trees).
  virtual Status ListTrees(std::vector<TreeInfo>* trees) = 0;
  // Sets *info for `tree`. NotFound ("no tree with id <id>") if absent.
  virtual Status GetTreeInfo(TreeId tree, TreeInfo* info) = 0;

  // Copies the value stored for `key` into `*value`. NotFound if the key is
  // absent (a key over the size limit is never stored, so it is NotFound
  // too) and NotFound ("no tree with id <id>") if the tree is.
  virtual Status Get(TreeId tree, Slice key, std::string* value) = 0;
  // As Get, but points `*value` at the stored bytes without copying. The view
  // stays valid until this transaction ends or (in a write transaction) its
  // next change.
  virtual Status GetView(TreeId tree, Slice key, Slice* value) = 0;

  // A cursor over `tree` at this transaction's view. It starts not Valid().
  // NotFound if the tree does not exist.
  virtual Result<std::unique_ptr<Cursor>> NewCursor(TreeId tree) = 0;

  // The transaction id of the snapshot (read) or of the commit to be (write).
  virtual uint64_t id() const = 0;
};

// A snapshot. Dropping it ends it; it never blocks writers.
class ReadTxn : public Txn {};

// The single writer. Changes are visible to this transaction at once and to
// others after Commit(). Destroying a WriteTxn that did not commit aborts it.
class WriteTxn : public Txn {
 public:
  // Stores `value` for `key`, replacing any value. InvalidArgument (naming
  // both sizes) if the key exceeds page_size / 4 bytes or the value 256 MiB;
  // NotFound if the tree does not exist (or was dropped, also earlier in
  // this transaction). A refused Put leaves the transaction usable.
  virtual Status Put(TreeId tree, Slice key, Slice value) = 0;
  // Deletes `key`; sets *existed (if given) to whether it was there. OK for
  // an absent key (also one over the size limit); NotFound if the tree does
  // not exist.
  virtual Status Delete(TreeId tree, Slice key, bool* existed = nullptr) = 0;

  // Creates an empty tree and sets *id. InvalidArgument if the name exists
  // already, is empty or longer than kMaxTreeNameSize.
  virtual Status CreateTree(Slice name, TreeId* id) = 0;
  // Removes the tree and all its entries. NotFound if absent.
  virtual Status DropTree(Slice name) = 0;
  // Renames a tree, keeping its id. NotFound if `from` is absent;
  // InvalidArgument if `to` exists, is empty or too long.
  virtual Status RenameTree(Slice from, Slice to) = 0;
  // Deletes every entry of the tree, keeping the tree. NotFound if absent.
  virtual Status ClearTree(TreeId tree) = 0;

  // Nested savepoints. Savepoint() sets *depth (1 = outermost) and returns
  // OK; RollbackTo(d) undoes every change since savepoint d was taken and
  // keeps it; Release(d) forgets savepoints d and deeper, keeping the
  // changes. Both return InvalidArgument ("no savepoint at depth <d>") for a
  // depth that is not open.
  virtual Status Savepoint(int* depth) = 0;
  virtual Status RollbackTo(int depth) = 0;
  virtual Status Release(int depth) = 0;

  // Makes every change durable (per Options::sync) and visible. IOError or
  // NoSpace if the WAL cannot be written or synced (the store is then
  // failed, see above); InvalidArgument if the transaction already ended
  // (committed or aborted). After any error the transaction is finished and
  // nothing of it is visible.
  virtual Status Commit() = 0;
  // Discards every change. Always succeeds; a no-op on a finished transaction.
  virtual void Abort() = 0;
};

// An ordered iterator over one tree. Stable while the write transaction it
// belongs to modifies the tree: after a change it re-finds its position by
// key (a deleted current key leaves it before the next greater key).
class Cursor {
 public:
  virtual ~Cursor() = default;
  // Positions at the first key >= target (Seek) or last key <= target
  // (SeekForPrev); invalid if there is none.
  virtual void Seek(Slice target) = 0;
  virtual void SeekForPrev(Slice target) = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // REQUIRES: Valid()
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual bool Valid() const = 0;
  // REQUIRES: Valid(). Views valid until the cursor moves or the tree changes.
  // A cursor is Valid() only where its value could be read: a page that
  // fails its checksum ends the iteration with a non-OK status().
  virtual Slice key() const = 0;
  virtual Slice value() const = 0;
  // Non-OK if a page could not be read (the cursor is then not Valid()).
  virtual Status status() const = 0;
};

// Progress: how a long operation (DB::Checkpoint, Compact, Check) reports
// how far it got, and learns whether to go on.
//
// The operation calls Continue() from its own thread (the caller's), often:
// at least once per page or batch of pages, so an implementation that wants
// to react within milliseconds should itself be cheap (read a clock, look at
// a flag). Stages, in order:
//   Checkpoint  "wait for writer lock" (milliseconds of busy_timeout, every
//               5 ms while a write transaction holds it), "write pages"
//               (done/total: pages), then the page table,
//               superblock and WAL reset, which are not interruptible
//   Compact     "wait for writer lock", a checkpoint, "move extents"
//               (extents), two checkpoints
//   Check       "check pages" (page visits: each page twice, its structure
//               then its copy on disk)
// `total` is the stage's size as known when it starts; Check's grows with
// `done` when writers add pages meanwhile.
//
// Returning false stops the operation at the next safe point; it then
// returns Status::Interrupted and the store is as valid as before: a
// checkpoint stopped while writing pages gives their space back and leaves
// the WAL in charge, a compaction keeps the extents it moved, a check reports
// nothing for the part it did not reach.
class Progress {
 public:
  virtual ~Progress() = default;
  // Returns true to go on, false to stop.
  virtual bool Continue(std::string_view stage, uint64_t done, uint64_t total) = 0;
};

class DB {
 public:
  // Opens or creates the store at `path` (":memory:" or "" for in-memory)
  // through options.env (Env::Default() if null). Returns the existing
  // instance when this process has `path` open already through the same Env
  // (its options stay; the new ones are ignored). Errors:
  //   InvalidArgument  a bad page_size or max_readers; `path` is a directory;
  //                    the file is not a Lightning store (too short, or no
  //                    superblock magic: "... is not a Lightning store ...")
  //   Locked           another process holds the store ("store <path> is
  //                    locked by process <pid>")
  //   Corruption       a damaged store, naming what (both superblocks damaged
  //                    or blank, a page table out of range, ...)
  //   NotSupported     a store or WAL written by a newer format version
  //   IOError          the OS refused (e.g. the directory does not exist);
  //                    NoSpace for ENOSPC
  // Options saved in the store (SaveOption) override those given here.
  static Result<std::shared_ptr<DB>> Open(const std::string& path, const Options& options);

  // Every store this process has open (in-memory ones excluded), in path
  // order. The one process-wide registry of stores: layers above the engine
  // keep their per-store objects on the store itself (Attached).
  static std::vector<std::shared_ptr<DB>> OpenStores();

  virtual ~DB() = default;

  // A snapshot of the latest commit. Busy if max_readers transactions are
  // open already.
  virtual Result<std::unique_ptr<ReadTxn>> BeginRead() = 0;
  // The write transaction. Waits up to busy_timeout for the writer lock, then
  // returns Busy (naming the timeout); Busy also if max_readers transactions
  // are open; ReadOnly if the store has failed.
  virtual Result<std::unique_ptr<WriteTxn>> BeginWrite() = 0;
  // Same, but waits up to `max_wait` instead of busy_timeout. For callers with
  // a wait of their own, such as an SQLite connection's busy timeout. Zero (or
  // less) is a try: Busy at once if another writer holds the lock, and not
  // counted as a wait (writer_waits, writer_busy).
  virtual Result<std::unique_ptr<WriteTxn>> BeginWrite(std::chrono::milliseconds max_wait) = 0;

  // Writes every committed page and a new superblock, then truncates the WAL.
  // OK at once for an in-memory store. Busy if a write transaction holds the
  // writer lock past busy_timeout; ReadOnly if the store has failed; IOError
  // or NoSpace if a write or sync fails. `progress` (optional, borrowed for
  // the call) is told how far it got and may stop it: Interrupted (see
  // Progress).
  virtual Status Checkpoint(Progress* progress = nullptr) = 0;
  // Moves pages out of the file's tail and truncates it, giving space back.
  // Errors as Checkpoint.
  virtual Status Compact(Progress* progress = nullptr) = 0;
  // Verifies every reachable page: checksum, structure, key order, counts.
  // Appends one line per problem to *problems (empty = healthy) and returns
  // OK; a non-OK status (Busy: max_readers reached; Corruption or IOError: a
  // page the walk needs cannot be read; Interrupted: `progress` stopped it)
  // means the check stopped early.
  virtual Status Check(std::vector<std::string>* problems, Progress* progress = nullptr) = 0;

  // Changes a live option (see Options) of this instance, not saved.
  // InvalidArgument for an unknown name (suggesting the closest) or a bad
  // value; NotSupported for an option that takes effect only when the store
  // is opened.
  virtual Status SetOption(Slice name, Slice value) = 0;
  // Saves option `name` = `value` in the store's catalog, so that every later
  // open of the store starts from it, and applies it at once when it is live
  // (*live, if given, tells which). The value is parsed once. Errors:
  // InvalidArgument for unknown names, bad values, a page_size other than the
  // store's, and an option that applies only at open on an in-memory store
  // (never reopened; its live options are applied, not saved); Busy as
  // BeginWrite. REQUIRES: the calling thread holds no write transaction on
  // this store (it would wait for itself).
  virtual Status SaveOption(Slice name, Slice value, bool* live = nullptr) = 0;
  // Options already parsed: applies the options `names` from `from` (live
  // ones at once; others are skipped unless saved) and, when `save`, saves
  // them as SaveOption does. Errors as SaveOption (NotFound for unknown names).
  virtual Status SetOptions(const Options& from, const std::vector<std::string>& names,
                            bool save) = 0;
  // The options saved in the store's catalog: name -> value text.
  virtual Status SavedOptions(std::map<std::string, std::string>* saved) = 0;
  // A copy of the options in force (options.env included).
  virtual Options GetOptions() const = 0;

  // Per-store state of a layer above the engine (the VFS's PageStore): the
  // object attached under `key`, made by `make` when there is none alive
  // (under a lock of this store, so that racing callers share one). The store
  // holds it weakly: it lives as long as its users hold it. With `make`
  // empty, returns the live object or nullptr.
  using MakeAttachment = std::function<Result<std::shared_ptr<void>>()>;
  virtual Result<std::shared_ptr<void>> Attached(const std::string& key,
                                                 const MakeAttachment& make) = 0;

  // Every counter and gauge of the store.
  virtual std::vector<Metric> Metrics() const = 0;
  // Zeroes the counters, latency histograms and profile (gauges keep their
  // values); counted in stats_resets.
  virtual void ResetStats() = 0;
  // Latency of each operation kind since the last reset.
  virtual std::vector<LatencySummary> Latency() const = 0;
  // Where the time of the engine's operations went since the last reset:
  // one row per component, then "total" (see engine/profile.h).
  virtual std::vector<ProfileRow> Profile() const = 0;

  virtual const std::string& path() const = 0;
  virtual bool in_memory() const = 0;
};

}  // namespace lightning
