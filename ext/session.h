// Session: one connection's use of one store — its write transaction, its
// savepoints and its shared read snapshot.
//
// Every lightning table of a connection that lives in the same store shares
// the Session, so that a transaction touching several tables is one engine
// write transaction (the engine allows one writer per store; two would wait
// on each other).
//
// SQLite -> engine mapping:
//   xBegin               Begin(): DB::BeginWrite (waits up to the longer of the
//                        store's busy_timeout and the connection's busy timeout)
//   xSync                Commit(): the commit is durable before the main
//                        database commits (see docs/SQL_TABLES.md)
//   xCommit              nothing left to do (already committed in xSync)
//   xRollback            Rollback(): WriteTxn::Abort
//   xSavepoint(N)        Savepoint(N): WriteTxn::Savepoint, remembered as level N
//   xRollbackTo(N)       RollbackTo(N): back to the state of level N
//   xRelease(N)          Release(N): forget levels >= N, keep the changes
// Several tables of the session receive the same calls; each is applied once.
//
// Reads: a cursor opened while the session writes reads the write transaction
// (it sees its own changes). Otherwise it reads a snapshot, shared with every
// cursor opened while an earlier snapshot cursor is still open — as SQLite
// keeps one read transaction while any statement is active. The snapshot is
// dropped when this session commits, so later statements see the commit.
//
// Thread safety: used only under its connection's serialisation.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "lightning/db.h"

namespace lightning::ext {

// Implemented by cursors that read the write transaction: told before it ends
// so that they can drop their engine cursor and continue later by key.
class TxnObserver {
 public:
  virtual void OnTxnEnd() noexcept = 0;

 protected:
  ~TxnObserver() = default;
};

class Session {
 public:
  // `in_sql_transaction` tells Begin() whether SQLite already has savepoints
  // that a later ROLLBACK TO may reach past this session's start.
  Session(std::shared_ptr<DB> db, std::string label, bool in_memory);
  ~Session();

  DB* db() const { return db_.get(); }
  // The store's path, or ":memory:".
  const std::string& label() const { return label_; }
  bool in_memory() const { return in_memory_; }

  bool writing() const { return write_ != nullptr; }
  // REQUIRES: writing()
  WriteTxn* write_txn() const { return write_.get(); }

  // Starts the write transaction unless one is open. `explicit_txn`: SQLite is
  // inside BEGIN ... COMMIT (a base savepoint is then taken, see RollbackTo).
  // When another writer holds the store, waits up to the longer of the
  // store's busy_timeout and connection_wait() (called only then: the
  // connection's SQLite busy timeout), then returns Busy.
  Status Begin(bool explicit_txn,
               const std::function<std::chrono::milliseconds()>& connection_wait);
  // Commits the write transaction if one is open.
  Status Commit();
  // Aborts the write transaction if one is open.
  void Rollback();
  Status Savepoint(int level);
  Status RollbackTo(int level);
  Status Release(int level);
  // Counts a change made through write_txn() (lets Savepoint() skip repeats).
  void NoteChange() { ++changes_; }

  // A snapshot for a new cursor (see above). REQUIRES: !writing()
  Status AcquireSnapshot(std::shared_ptr<ReadTxn>* out);

  void AddObserver(TxnObserver* o) { observers_.insert(o); }
  void RemoveObserver(TxnObserver* o) { observers_.erase(o); }

  // Ends everything before the connection goes away.
  void Shutdown();

 private:
  struct Level {
    int level;         // SQLite's savepoint number
    int depth;         // the engine's savepoint depth
    uint64_t changes;  // changes_ when it was taken
  };

  void NotifyTxnEnd();

  std::shared_ptr<DB> db_;
  std::string label_;
  bool in_memory_;
  std::unique_ptr<WriteTxn> write_;
  int base_depth_ = 0;  // engine savepoint taken at Begin, 0 if none
  std::vector<Level> levels_;
  // SQLite levels below floor_ were open before this transaction began (the
  // first xSavepoint after Begin names the deepest); -1 until then.
  int floor_ = -1;
  uint64_t changes_ = 0;
  std::weak_ptr<ReadTxn> snapshot_;
  std::unordered_set<TxnObserver*> observers_;
};

}  // namespace lightning::ext
