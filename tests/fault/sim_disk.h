// SimDisk: an in-memory disk for fault-injection tests that knows which bytes
// an fsync made durable, so that a test can "crash" at any instant and look at
// what power loss would leave.
//
// Each file (the store's data file and its WAL) has a durable image and a
// list of the writes and truncations made since its last successful Sync.
// Reads see everything written (the OS page cache). Crash() builds the image a
// reboot would find:
//
//   kProcessExit  everything written survives (kill -9: the OS has the bytes)
//   kPowerLoss    only what was synced survives
//   kPartial      what was synced, plus a random subset of the later writes
//                 and truncations in their order, any write possibly torn at a
//                 random byte (the disk persisted some sectors, not others)
//
// A Sync that the FaultFile above fails never reaches SimFile, so a failed
// fsync makes nothing durable (Linux may drop the dirty pages then).
//
// SimFile also counts reads and truncations and can fail the k-th of each:
// FaultFile (tests/common/fault_env.h) covers writes and syncs only.
//
// SimDisk::env() is the Env a store opens it through (Options::env): the
// store's WAL (the path ending in "-wal") and its data file (any other path)
// are SimFiles under a FaultFile; names and the lock file are a MemEnv's.
//
// Thread safety: every SimFile operation locks its file's state.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lightning/env.h"
#include "tests/common/fault_env.h"
#include "tests/common/mem_env.h"
#include "tests/engine/test_util.h"

namespace lightning::test {

enum class CrashModel { kProcessExit, kPowerLoss, kPartial };

inline const char* CrashModelName(CrashModel m) {
  switch (m) {
    case CrashModel::kProcessExit:
      return "process-exit";
    case CrashModel::kPowerLoss:
      return "power-loss";
    case CrashModel::kPartial:
      return "partial";
  }
  return "?";
}

// Counters and faults SimFile adds to FaultFile's: reads and truncations.
struct SimFaults {
  std::atomic<uint64_t> reads{0};
  std::atomic<uint64_t> truncates{0};
  uint64_t fail_read_at = 0;      // the k-th ReadAt returns IOError
  uint64_t fail_truncate_at = 0;  // the k-th Truncate returns IOError, nothing changed
  std::atomic<bool> tripped{false};
};

class SimFileState {
 public:
  SimFileState() = default;
  explicit SimFileState(std::string bytes) : durable_(bytes), current_(std::move(bytes)) {}

  Status Read(uint64_t offset, size_t n, char* dst, size_t* got) {
    std::lock_guard<std::mutex> lock(mu_);
    *got = offset >= current_.size() ? 0 : std::min<size_t>(n, current_.size() - offset);
    if (*got > 0) std::memcpy(dst, current_.data() + offset, *got);
    return Status::OK();
  }
  void Write(uint64_t offset, const char* data, size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    Apply(&current_, {false, offset, std::string(data, n)});
    pending_.push_back({false, offset, std::string(data, n)});
  }
  void Truncate(uint64_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    Apply(&current_, {true, size, {}});
    pending_.push_back({true, size, {}});
  }
  void Sync() {
    std::lock_guard<std::mutex> lock(mu_);
    durable_ = current_;
    pending_.clear();
  }
  uint64_t Size() {
    std::lock_guard<std::mutex> lock(mu_);
    return current_.size();
  }
  // The bytes a reboot would find under `model`.
  std::string Crash(CrashModel model, TestRng* rng) {
    std::lock_guard<std::mutex> lock(mu_);
    if (model == CrashModel::kProcessExit) return current_;
    std::string image = durable_;
    if (model == CrashModel::kPowerLoss) return image;
    for (const Op& op : pending_) {
      if (rng->Chance(0.5)) continue;
      Op kept = op;
      if (!op.truncate && op.data.size() > 1 && rng->Chance(0.25)) {
        kept.data.resize(rng->Uniform(op.data.size()));
      }
      Apply(&image, kept);
    }
    return image;
  }

 private:
  struct Op {
    bool truncate;
    uint64_t offset;  // the new size for a truncation
    std::string data;
  };
  static void Apply(std::string* image, const Op& op) {
    if (op.truncate) {
      image->resize(op.offset);
      return;
    }
    if (op.offset + op.data.size() > image->size()) image->resize(op.offset + op.data.size());
    std::memcpy(image->data() + op.offset, op.data.data(), op.data.size());
  }

  std::mutex mu_;
  std::string durable_;
  std::string current_;
  std::vector<Op> pending_;
};

class SimFile : public File {
 public:
  SimFile(std::shared_ptr<SimFileState> state, std::shared_ptr<SimFaults> faults)
      : state_(std::move(state)), faults_(std::move(faults)) {}

  Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) override {
    uint64_t k = ++faults_->reads;
    if (k == faults_->fail_read_at) {
      faults_->tripped = true;
      *got = 0;
      return Status::IOError("injected read failure");
    }
    return state_->Read(offset, n, dst, got);
  }
  Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    state_->Write(offset, data, n);
    return Status::OK();
  }
  Status Sync() override {
    state_->Sync();
    return Status::OK();
  }
  Status Size(uint64_t* size) override {
    *size = state_->Size();
    return Status::OK();
  }
  Status Truncate(uint64_t size) override {
    uint64_t k = ++faults_->truncates;
    if (k == faults_->fail_truncate_at) {
      faults_->tripped = true;
      return Status::IOError("injected truncate failure");
    }
    state_->Truncate(size);
    return Status::OK();
  }
  const char* backend() const override { return "sim"; }

 private:
  std::shared_ptr<SimFileState> state_;
  std::shared_ptr<SimFaults> faults_;
};

// The two files of one store, as bytes that outlive any DB instance.
struct DiskImage {
  std::string data;
  std::string wal;
};

// A store's files while a DB has them open, with the fault plans in force.
// The SimDisk must outlive every store opened through env().
class SimDisk {
 public:
  explicit SimDisk(const DiskImage& image)
      : data_(std::make_shared<SimFileState>(image.data)),
        wal_(std::make_shared<SimFileState>(image.wal)),
        plan_(std::make_shared<FaultPlan>()),
        sim_(std::make_shared<SimFaults>()),
        env_(this) {}

  FaultPlan* plan() { return plan_.get(); }
  SimFaults* sim() { return sim_.get(); }
  // For Options::env.
  Env* env() { return &env_; }

  DiskImage Crash(CrashModel model, TestRng* rng) {
    DiskImage image;
    image.data = data_->Crash(model, rng);
    image.wal = wal_->Crash(model, rng);
    return image;
  }

  // Zeroes the counters and arms nothing.
  void ResetCounters() {
    plan_->writes = 0;
    plan_->syncs = 0;
    sim_->reads = 0;
    sim_->truncates = 0;
  }
  bool Tripped() const { return plan_->tripped.load() || sim_->tripped.load(); }

 private:
  // Opens the sim's files; every other call goes to a MemEnv.
  class SimEnv : public EnvWrapper {
   public:
    explicit SimEnv(SimDisk* disk) : EnvWrapper(&names_), disk_(disk) {}
    Status OpenFile(const std::string& path, IoBackend backend,
                    std::unique_ptr<File>* file) override {
      std::unique_ptr<File> name;  // the name exists, as the store expects
      LIGHTNING_RETURN_IF_ERROR(names_.OpenFile(path, backend, &name));
      const bool wal = path.size() >= 4 && path.compare(path.size() - 4, 4, "-wal") == 0;
      auto state = wal ? disk_->wal_ : disk_->data_;
      *file = NewFaultFile(std::make_unique<SimFile>(state, disk_->sim_), disk_->plan_);
      return Status::OK();
    }

   private:
    MemEnv names_;
    SimDisk* const disk_;
  };

  std::shared_ptr<SimFileState> data_, wal_;
  std::shared_ptr<FaultPlan> plan_;
  std::shared_ptr<SimFaults> sim_;
  SimEnv env_;
};

}  // namespace lightning::test
