#include "ext/session.h"

#include <algorithm>

namespace lightning::ext {

Session::Session(std::shared_ptr<DB> db, std::string label, bool in_memory)
    : db_(std::move(db)), label_(std::move(label)), in_memory_(in_memory) {}

Session::~Session() { Shutdown(); }

void Session::Shutdown() {
  Rollback();
  snapshot_.reset();
}

void Session::NotifyTxnEnd() {
  // Observers remove themselves lazily; copy first.
  std::vector<TxnObserver*> copy(observers_.begin(), observers_.end());
  for (TxnObserver* o : copy) o->OnTxnEnd();
  observers_.clear();
}

Status Session::Begin(bool explicit_txn,
                      const std::function<std::chrono::milliseconds()>& connection_wait) {
  if (write_) return Status::OK();
  // A try first (free when nobody writes); only a contended start asks how
  // long this connection may wait.
  auto txn = db_->BeginWrite(std::chrono::milliseconds(0));
  if (txn.status().IsBusy()) {
    const auto store_wait = std::chrono::milliseconds(db_->GetOptions().busy_timeout_ms);
    txn = db_->BeginWrite(std::max(store_wait, connection_wait()));
  }
  if (!txn.ok()) return txn.status();
  write_ = std::move(txn).value();
  levels_.clear();
  base_depth_ = 0;
  floor_ = -1;
  if (explicit_txn) {
    Status s = write_->Savepoint(&base_depth_);
    if (!s.ok()) {
      write_->Abort();
      write_.reset();
      return s;
    }
  }
  return Status::OK();
}

Status Session::Commit() {
  if (!write_) return Status::OK();
  NotifyTxnEnd();
  Status s = write_->Commit();
  write_.reset();
  levels_.clear();
  snapshot_.reset();  // later statements must see this commit
  return s;
}

void Session::Rollback() {
  if (!write_) return;
  NotifyTxnEnd();
  write_->Abort();
  write_.reset();
  levels_.clear();
}

Status Session::Savepoint(int level) {
  if (!write_) return Status::OK();
  // A table joining the transaction gets xSavepoint(N) for the deepest level
  // N open at that moment, which may be older than changes other tables of
  // this session made since: a level already taken is not taken again, and
  // levels below the first one seen predate this transaction (RollbackTo
  // maps them to the state at Begin).
  if (floor_ < 0) floor_ = level;
  if (level < floor_) return Status::OK();
  for (const Level& l : levels_)
    if (l.level == level) return Status::OK();
  auto first = std::find_if(levels_.begin(), levels_.end(),
                            [&](const Level& l) { return l.level >= level; });
  if (first != levels_.end()) {
    LIGHTNING_RETURN_IF_ERROR(write_->Release(first->depth));
    levels_.erase(first, levels_.end());
  }
  int depth = 0;
  LIGHTNING_RETURN_IF_ERROR(write_->Savepoint(&depth));
  levels_.push_back({level, depth, changes_});
  return Status::OK();
}

Status Session::RollbackTo(int level) {
  if (!write_) return Status::OK();
  auto it = std::find_if(levels_.begin(), levels_.end(),
                         [&](const Level& l) { return l.level == level; });
  floor_ = std::min(floor_, level + 1);  // levels above `level` are gone
  int depth;
  if (it != levels_.end()) {
    depth = it->depth;
    levels_.erase(it + 1, levels_.end());
  } else {
    // Level `level` predates this session's transaction: the state it names,
    // as far as this store is concerned, is the state at Begin().
    if (base_depth_ == 0)
      return Status::InvalidArgument("savepoint not found in the store's transaction");
    depth = base_depth_;
    levels_.clear();
  }
  LIGHTNING_RETURN_IF_ERROR(write_->RollbackTo(depth));
  ++changes_;
  return Status::OK();
}

Status Session::Release(int level) {
  if (!write_) return Status::OK();
  floor_ = std::min(floor_, level);  // levels from `level` up are gone
  auto first = std::find_if(levels_.begin(), levels_.end(),
                            [&](const Level& l) { return l.level >= level; });
  if (first == levels_.end()) return Status::OK();
  LIGHTNING_RETURN_IF_ERROR(write_->Release(first->depth));
  levels_.erase(first, levels_.end());
  return Status::OK();
}

Status Session::AcquireSnapshot(std::shared_ptr<ReadTxn>* out) {
  if (auto shared = snapshot_.lock()) {
    *out = std::move(shared);
    return Status::OK();
  }
  auto txn = db_->BeginRead();
  if (!txn.ok()) return txn.status();
  std::shared_ptr<ReadTxn> shared(std::move(txn).value().release());
  snapshot_ = shared;
  *out = std::move(shared);
  return Status::OK();
}

}  // namespace lightning::ext
