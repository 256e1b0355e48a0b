#include "tests/common/fault_env.h"

#include "tests/common/random.h"

namespace lightning::test {
namespace {

Status Trip(FaultPlan* plan, Status s) {
  plan->tripped.store(true);
  return s;
}

// One write, counted in `plan`, failed, shortened, torn or refused as it says;
// `write` does the real one.
template <typename Write>
Status InjectWrite(FaultPlan* plan, uint64_t offset, const char* data, size_t n, Write write) {
  uint64_t k = ++plan->writes;
  if (plan->sticky && plan->tripped.load())
    return Status::IOError("injected: store failed earlier");
  if (k == plan->fail_write_at) return Trip(plan, Status::IOError("injected write failure"));
  if (k == plan->nospace_write_at) return Trip(plan, Status::NoSpace("injected ENOSPC"));
  if (k == plan->short_write_at) {
    (void)write(offset, data, n / 2);
    return Trip(plan, Status::IOError("injected short write"));
  }
  if (k == plan->torn_write_at) {
    uint64_t r = k * 7919;
    if (plan->torn_seed != 0) {  // splitmix64 of (seed, k): a random byte
      uint64_t x = plan->torn_seed ^ k;
      r = test::Rng::SplitMix(&x);
    }
    size_t keep = n > 1 ? r % n : 0;
    (void)write(offset, data, keep);
    return Trip(plan, Status::IOError("injected torn write"));
  }
  return write(offset, data, n);
}

class FaultFile : public File {
 public:
  FaultFile(std::unique_ptr<File> base, std::shared_ptr<FaultPlan> plan)
      : base_(std::move(base)), plan_(std::move(plan)) {}

  Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) override {
    return base_->ReadAt(offset, n, dst, got);
  }

  Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    return InjectWrite(plan_.get(), offset, data, n, [this](uint64_t o, const char* d, size_t k) {
      return base_->WriteAt(o, d, k);
    });
  }

  Status Sync() override {
    uint64_t k = ++plan_->syncs;
    if (plan_->sticky && plan_->tripped.load())
      return Status::IOError("injected: store failed earlier");
    if (k == plan_->fail_sync_at)
      return Trip(plan_.get(), Status::IOError("injected fsync failure"));
    return base_->Sync();
  }
  Status Size(uint64_t* size) override { return base_->Size(size); }
  Status Truncate(uint64_t size) override { return base_->Truncate(size); }
  const char* backend() const override { return "fault"; }
  void WillNeed(uint64_t offset, uint64_t n) override { base_->WillNeed(offset, n); }

 private:
  std::unique_ptr<File> base_;
  std::shared_ptr<FaultPlan> plan_;
};

class FaultSharedFile : public SharedFile {
 public:
  FaultSharedFile(std::unique_ptr<SharedFile> base, std::shared_ptr<FaultPlan> plan)
      : base_(std::move(base)), plan_(std::move(plan)) {}

  Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) override {
    return base_->ReadAt(offset, n, dst, got);
  }
  Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    return InjectWrite(plan_.get(), offset, data, n, [this](uint64_t o, const char* d, size_t k) {
      return base_->WriteAt(o, d, k);
    });
  }
  Status Size(uint64_t* size) override { return base_->Size(size); }
  Status Map(size_t size, char** base) override {
    uint64_t k = ++plan_->maps;
    if (plan_->sticky && plan_->tripped.load()) return Status::IOError("injected: failed earlier");
    if (k == plan_->fail_map_at) return Trip(plan_.get(), Status::IOError("injected map failure"));
    return base_->Map(size, base);
  }
  Status TryLock(uint64_t offset, uint64_t n, LockMode mode) override {
    LIGHTNING_RETURN_IF_ERROR(InjectLock());
    return base_->TryLock(offset, n, mode);
  }
  Status Unlock(uint64_t offset, uint64_t n) override {
    LIGHTNING_RETURN_IF_ERROR(InjectLock());
    return base_->Unlock(offset, n);
  }

 private:
  Status InjectLock() {
    uint64_t k = ++plan_->locks;
    if (plan_->sticky && plan_->tripped.load()) return Status::IOError("injected: failed earlier");
    if (k == plan_->fail_lock_at)
      return Trip(plan_.get(), Status::IOError("injected lock failure"));
    return Status::OK();
  }
  std::unique_ptr<SharedFile> base_;
  std::shared_ptr<FaultPlan> plan_;
};

}  // namespace

std::unique_ptr<SharedFile> NewFaultSharedFile(std::unique_ptr<SharedFile> base,
                                               std::shared_ptr<FaultPlan> plan) {
  return std::make_unique<FaultSharedFile>(std::move(base), std::move(plan));
}

std::unique_ptr<File> NewFaultFile(std::unique_ptr<File> base, std::shared_ptr<FaultPlan> plan) {
  return std::make_unique<FaultFile>(std::move(base), std::move(plan));
}

}  // namespace lightning::test
