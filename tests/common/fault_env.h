// FaultEnv: an Env that fails, shortens, tears or refuses (ENOSPC) the k-th
// write or sync of the files it opens (LevelDB's SpecialEnv plays this part
// in db_test.cc). Everything else is forwarded to the Env it wraps.
//
// One FaultPlan counts the writes and syncs of every file opened through the
// FaultEnv (and of every FaultFile sharing the plan), so "the 7th write" is
// the 7th the store made, whichever file it went to. Shared files
// (OpenSharedFile) count their writes with the others, and their mappings and
// lock calls (TryLock and Unlock) on their own counters.
//
// Thread safety: the counters are atomic; arm a plan (set its *_at fields)
// only while no store uses it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "lightning/env.h"

namespace lightning::test {

// Positions are 1-based; 0 disables that fault.
struct FaultPlan {
  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> syncs{0};
  uint64_t fail_write_at = 0;     // the write returns IOError, nothing written
  uint64_t short_write_at = 0;    // half the bytes written, then IOError
  uint64_t torn_write_at = 0;     // a prefix written, error reported
  uint64_t torn_seed = 0;         // nonzero: the torn prefix length is drawn from it
  uint64_t nospace_write_at = 0;  // NoSpace, nothing written
  uint64_t fail_sync_at = 0;      // Sync returns IOError
  std::atomic<uint64_t> maps{0};
  std::atomic<uint64_t> locks{0};
  uint64_t fail_map_at = 0;   // SharedFile::Map returns IOError, nothing mapped
  uint64_t fail_lock_at = 0;  // SharedFile::TryLock/Unlock returns IOError, nothing changed
  bool sticky = false;        // once failed, every later write/sync fails too
  std::atomic<bool> tripped{false};
};

// Wraps `base`: its writes and syncs are counted in `plan` and fail as the
// plan says; reads, sizes and truncations pass through.
std::unique_ptr<File> NewFaultFile(std::unique_ptr<File> base, std::shared_ptr<FaultPlan> plan);
// The same for a shared file: writes, mappings and lock calls fail as `plan`
// says; reads and sizes pass through.
std::unique_ptr<SharedFile> NewFaultSharedFile(std::unique_ptr<SharedFile> base,
                                               std::shared_ptr<FaultPlan> plan);

class FaultEnv : public EnvWrapper {
 public:
  // `base` must outlive the FaultEnv.
  explicit FaultEnv(Env* base, std::shared_ptr<FaultPlan> plan = std::make_shared<FaultPlan>())
      : EnvWrapper(base), plan_(std::move(plan)) {}

  FaultPlan* plan() { return plan_.get(); }

  Status OpenFile(const std::string& path, IoBackend backend,
                  std::unique_ptr<File>* file) override {
    std::unique_ptr<File> base;
    LIGHTNING_RETURN_IF_ERROR(target()->OpenFile(path, backend, &base));
    *file = NewFaultFile(std::move(base), plan_);
    return Status::OK();
  }
  Status OpenSharedFile(const std::string& path, std::unique_ptr<SharedFile>* file) override {
    std::unique_ptr<SharedFile> base;
    LIGHTNING_RETURN_IF_ERROR(target()->OpenSharedFile(path, &base));
    *file = NewFaultSharedFile(std::move(base), plan_);
    return Status::OK();
  }

 private:
  std::shared_ptr<FaultPlan> plan_;
};

}  // namespace lightning::test
