// LongOperation: a long engine operation run by an SQL function (checkpoint,
// compaction, check, benchmark), made interruptible and watchable.
//
// USAGE
//
//   LongOperation op(sqlite3_context_db_handle(ctx), "compact", t.db);
//   Status s = t.db->Compact(&op);          // op is the engine's Progress
//   // s.IsInterrupted(): sqlite3_interrupt (Ctrl-C in the shell) or the
//   // connection's progress handler stopped it -> SQLITE_INTERRUPT
//
// IMPLEMENTATION NOTES
//
//   Interrupts. SQLite 3.40.1 has no sqlite3_is_interrupted() (3.41 added
//   it). At most every kProbeInterval, Continue() steps a prepared "SELECT 1"
//   on the calling connection. sqlite3_interrupt() sets a flag that stays set
//   while the calling statement runs, so that step returns SQLITE_INTERRUPT;
//   so does it when the connection's progress handler returns non-zero. The
//   step runs VDBE instructions, so the progress handler (the shell's
//   `.progress`) is called as the operation goes on, as for any statement.
//
//   Watching. While it runs, the operation (name, stage, done, total) is
//   published in a process-wide table keyed by the store; lightning_stats
//   shows it (CurrentOperation) to every connection of the process, and only
//   one process opens a store.
//
// LIMITATIONS
//
//   Continue() must be called from the connection's thread (the engine calls
//   it from the calling thread). Several operations may run on one store at
//   once (checks beside a checkpoint); CurrentOperation shows the oldest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ext/sqlite_api.h"
#include "lightning/db.h"

namespace lightning::ext {

// How far an operation on a store got, as lightning_stats shows it.
struct OperationState {
  std::string operation;  // checkpoint, compact, check, bench
  std::string stage;      // the engine's stage name ("write pages", ...), or "starting"
  uint64_t done = 0;
  uint64_t total = 0;
};

class LongOperation : public Progress {
 public:
  // The connection is probed (and the progress published) at most this often.
  static constexpr uint64_t kProbeIntervalNanos = 1'000'000;  // 1 ms

  // `db` is the connection running the operation; `store` the store it works
  // on (the key under which it is published; may be null: not published).
  LongOperation(sqlite3* db, std::string operation, const DB* store);
  ~LongOperation() override;
  LongOperation(const LongOperation&) = delete;
  LongOperation& operator=(const LongOperation&) = delete;

  // Records (stage, done, total); returns false once the connection was
  // interrupted (and from then on).
  bool Continue(std::string_view stage, uint64_t done, uint64_t total) override;

  // True once Continue() returned false.
  bool interrupted() const { return interrupted_; }

 private:
  friend std::optional<OperationState> CurrentOperation(const DB* store);

  bool Probe();  // false: interrupted
  void Publish();

  sqlite3* const db_;
  const DB* const store_;
  sqlite3_stmt* probe_ = nullptr;
  uint64_t last_probe_ = 0;
  bool interrupted_ = false;
  std::string stage_ = "starting";  // as last reported; "starting" before the first report
  uint64_t done_ = 0, total_ = 0;
  OperationState state_;  // the published copy: guarded by the registry's mutex
};

// The oldest operation running on `store`, as last published; nullopt when
// none runs. Thread-safe.
std::optional<OperationState> CurrentOperation(const DB* store);

}  // namespace lightning::ext
