#include "ext/long_operation.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "engine/histogram.h"  // NowNanos

namespace lightning::ext {
namespace {

// Every running operation that names its store, oldest first.
struct Registry {
  std::mutex mu;
  std::vector<const LongOperation*> running;  // GUARDED_BY(mu)
};

Registry& TheRegistry() {
  static Registry registry;
  return registry;
}

}  // namespace

LongOperation::LongOperation(sqlite3* db, std::string operation, const DB* store)
    : db_(db), store_(store) {
  state_.operation = std::move(operation);
  state_.stage = stage_;
  if (store_ == nullptr) return;
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.running.push_back(this);
}

LongOperation::~LongOperation() {
  if (probe_ != nullptr) sqlite3_finalize(probe_);
  if (store_ == nullptr) return;
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.running.erase(std::remove(r.running.begin(), r.running.end(), this), r.running.end());
}

bool LongOperation::Continue(std::string_view stage, uint64_t done, uint64_t total) {
  if (interrupted_) return false;
  const bool new_stage = stage != stage_;
  if (new_stage) stage_.assign(stage);
  done_ = done;
  total_ = total;
  const uint64_t now = NowNanos();
  if (!new_stage && now - last_probe_ < kProbeIntervalNanos) return true;
  last_probe_ = now;
  Publish();
  interrupted_ = !Probe();
  return !interrupted_;
}

bool LongOperation::Probe() {
  if (probe_ == nullptr && sqlite3_prepare_v2(db_, "SELECT 1", -1, &probe_, nullptr) != SQLITE_OK) {
    // Preparing fails once interrupted too (or out of memory): stop either way.
    return false;
  }
  const int rc = sqlite3_step(probe_);
  sqlite3_reset(probe_);
  return rc == SQLITE_ROW;
}

void LongOperation::Publish() {
  if (store_ == nullptr) return;
  std::lock_guard<std::mutex> lock(TheRegistry().mu);
  state_.stage = stage_;
  state_.done = done_;
  state_.total = total_;
}

std::optional<OperationState> CurrentOperation(const DB* store) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (const LongOperation* op : r.running) {
    if (op->store_ == store) return op->state_;
  }
  return std::nullopt;
}

}  // namespace lightning::ext
