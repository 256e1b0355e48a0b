#include "tests/common/fault_env.h"

namespace lightning::test {
namespace {

class FaultFile : public File {
 public:
  FaultFile(std::unique_ptr<File> base, std::shared_ptr<FaultPlan> plan)
      : base_(std::move(base)), plan_(std::move(plan)) {}

  Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) override {
    return base_->ReadAt(offset, n, dst, got);
  }

  Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    uint64_t k = ++plan_->writes;
    if (plan_->sticky && plan_->tripped.load())
      return Status::IOError("injected: store failed earlier");
    if (k == plan_->fail_write_at) return Trip(Status::IOError("injected write failure"));
    if (k == plan_->nospace_write_at) return Trip(Status::NoSpace("injected ENOSPC"));
    if (k == plan_->short_write_at) {
      (void)base_->WriteAt(offset, data, n / 2);
      return Trip(Status::IOError("injected short write"));
    }
    if (k == plan_->torn_write_at) {
      uint64_t r = k * 7919;
      if (plan_->torn_seed != 0) {  // splitmix64 of (seed, k): a random byte
        r = (plan_->torn_seed ^ k) + 0x9e3779b97f4a7c15ull;
        r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ull;
        r = (r ^ (r >> 27)) * 0x94d049bb133111ebull;
        r ^= r >> 31;
      }
      size_t keep = n > 1 ? r % n : 0;
      (void)base_->WriteAt(offset, data, keep);
      return Trip(Status::IOError("injected torn write"));
    }
    return base_->WriteAt(offset, data, n);
  }

  Status Sync() override {
    uint64_t k = ++plan_->syncs;
    if (plan_->sticky && plan_->tripped.load())
      return Status::IOError("injected: store failed earlier");
    if (k == plan_->fail_sync_at) return Trip(Status::IOError("injected fsync failure"));
    return base_->Sync();
  }
  Status Size(uint64_t* size) override { return base_->Size(size); }
  Status Truncate(uint64_t size) override { return base_->Truncate(size); }
  const char* backend() const override { return "fault"; }
  void WillNeed(uint64_t offset, uint64_t n) override { base_->WillNeed(offset, n); }

 private:
  Status Trip(Status s) {
    plan_->tripped.store(true);
    return s;
  }
  std::unique_ptr<File> base_;
  std::shared_ptr<FaultPlan> plan_;
};

}  // namespace

std::unique_ptr<File> NewFaultFile(std::unique_ptr<File> base, std::shared_ptr<FaultPlan> plan) {
  return std::make_unique<FaultFile>(std::move(base), std::move(plan));
}

}  // namespace lightning::test
