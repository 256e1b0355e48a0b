// SharedState: attaching to PATH-shm, its slots, the writer lock and the
// commit state. The protocol is docs/ARCHITECTURE.md "Many processes".
#include "engine/shm.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "engine/coding.h"
#include "engine/format.h"

namespace lightning {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t WallNanos() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Sleeps between attempts at a lock held by another process: 50 us doubling
// to 5 ms, never past `deadline`.
void Backoff(std::chrono::microseconds* delay, Clock::time_point deadline) {
  auto until = std::min(Clock::now() + *delay, deadline);
  std::this_thread::sleep_until(until);
  *delay = std::min(*delay * 2, std::chrono::microseconds(5000));
}

}  // namespace

uint64_t ProcessStartToken() {
  // /proc/self/stat field 22 (starttime); fields after the ")" that ends the
  // command name start at field 3.
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (std::getline(in, line)) {
    size_t close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(line.substr(close + 1));
      std::string field;
      for (int i = 3; fields >> field; i++) {
        if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
      }
    }
  }
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) | rd();
}

SharedState::SharedState(std::unique_ptr<SharedFile> file, std::string path)
    : file_(std::move(file)), path_(std::move(path)) {}

SharedState::~SharedState() {
  if (base_ != nullptr && slot_ != UINT32_MAX) {
    // Clear the slot so scans skip it; closing the file releases every lock.
    const size_t s = SlotOffset(slot_);
    Store(s + ShmSlot::kPinnedGeneration, 0);
    Store(s + ShmSlot::kPid, 0);
    if (holds_writer_) Store(ShmHeader::kWriterPid, 0);
  }
}

Status SharedState::Open(Env* env, const std::string& store_path, const SharedStateOptions& options,
                         std::unique_ptr<SharedState>* state) {
  if (options.max_processes < 1 || options.max_processes > kShmMaxSlots) {
    return Status::InvalidArgument("max_processes must be between 1 and " +
                                   std::to_string(kShmMaxSlots) + ", got " +
                                   std::to_string(options.max_processes));
  }
  const std::string path = store_path + "-shm";
  std::unique_ptr<SharedFile> file;
  LIGHTNING_RETURN_IF_ERROR(env->OpenSharedFile(path, &file));
  std::unique_ptr<SharedState> s(new SharedState(std::move(file), path));
  LIGHTNING_RETURN_IF_ERROR(s->Attach(options));
  LIGHTNING_RETURN_IF_ERROR(s->ClaimSlot());
  *state = std::move(s);
  return Status::OK();
}

Status SharedState::Attach(const SharedStateOptions& options) {
  const auto deadline = Clock::now() + options.busy_timeout;
  std::chrono::microseconds delay(50);
  for (;;) {
    Status s = file_->TryLock(ShmHeader::kAttachLockByte, 1, LockMode::kExclusive);
    if (s.ok()) {  // nobody attached: rebuild the file
      first_ = initialising_ = true;
      return Initialise(options.max_processes);
    }
    if (!s.IsBusy()) return s;
    s = file_->TryLock(ShmHeader::kAttachLockByte, 1, LockMode::kShared);
    if (s.ok()) return Validate();
    if (!s.IsBusy()) return s;
    if (Clock::now() >= deadline) {
      return Status::Busy(path_ + " is being rebuilt by another process (waited " +
                          std::to_string(options.busy_timeout.count()) + " ms, busy_timeout)");
    }
    Backoff(&delay, deadline);
  }
}

Status SharedState::Initialise(uint32_t slot_count) {
  // Every byte is written with pwrite before the mapping, so stores into the
  // mapping never meet an unallocated block.
  std::string bytes(kShmHeaderSize + size_t{kShmSlotSize} * slot_count, '\0');
  char* p = bytes.data();
  EncodeFixed64(p + ShmHeader::kMagic, kShmMagic);
  EncodeFixed32(p + ShmHeader::kVersion, kShmVersion);
  EncodeFixed32(p + ShmHeader::kHeaderSize, kShmHeaderSize);
  EncodeFixed32(p + ShmHeader::kSlotSize, kShmSlotSize);
  EncodeFixed32(p + ShmHeader::kSlotCount, slot_count);
  EncodeFixed64(p + ShmHeader::kInitialiserPid, static_cast<uint64_t>(::getpid()));
  LIGHTNING_RETURN_IF_ERROR(file_->WriteAt(0, bytes.data(), bytes.size()));
  LIGHTNING_RETURN_IF_ERROR(file_->Map(bytes.size(), &base_));
  slot_count_ = slot_count;
  return Status::OK();
}

Status SharedState::Validate() {
  uint64_t size = 0;
  LIGHTNING_RETURN_IF_ERROR(file_->Size(&size));
  if (size < kShmHeaderSize) {
    return Status::Corruption(path_ + " is " + std::to_string(size) + " bytes, shorter than its " +
                              std::to_string(kShmHeaderSize) + "-byte header");
  }
  char h[32];
  size_t got = 0;
  LIGHTNING_RETURN_IF_ERROR(file_->ReadAt(0, sizeof(h), h, &got));
  if (got < sizeof(h)) return Status::Corruption(path_ + ": header cut short while reading");
  auto bad = [&](const std::string& field, uint64_t found, uint64_t expected) {
    return Status::Corruption(path_ + ": bad " + field + " " + std::to_string(found) +
                              " (expected " + std::to_string(expected) + ")");
  };
  if (DecodeFixed64(h + ShmHeader::kMagic) != kShmMagic) {
    return bad("magic", DecodeFixed64(h + ShmHeader::kMagic), kShmMagic);
  }
  if (DecodeFixed32(h + ShmHeader::kVersion) != kShmVersion) {
    return bad("version", DecodeFixed32(h + ShmHeader::kVersion), kShmVersion);
  }
  if (DecodeFixed32(h + ShmHeader::kHeaderSize) != kShmHeaderSize) {
    return bad("header size", DecodeFixed32(h + ShmHeader::kHeaderSize), kShmHeaderSize);
  }
  if (DecodeFixed32(h + ShmHeader::kSlotSize) != kShmSlotSize) {
    return bad("slot size", DecodeFixed32(h + ShmHeader::kSlotSize), kShmSlotSize);
  }
  const uint32_t count = DecodeFixed32(h + ShmHeader::kSlotCount);
  if (count < 1 || count > kShmMaxSlots) {
    return Status::Corruption(path_ + ": bad slot count " + std::to_string(count) +
                              " (expected 1.." + std::to_string(kShmMaxSlots) + ")");
  }
  const uint64_t need = kShmHeaderSize + uint64_t{kShmSlotSize} * count;
  if (size < need) {
    return Status::Corruption(path_ + " is " + std::to_string(size) + " bytes, but its header's " +
                              std::to_string(count) + " slots need " + std::to_string(need));
  }
  LIGHTNING_RETURN_IF_ERROR(file_->Map(need, &base_));
  slot_count_ = count;
  return Status::OK();
}

Status SharedState::ClaimSlot() {
  for (uint32_t i = 0; i < slot_count_; i++) {
    Status s = file_->TryLock(SlotOffset(i), 1, LockMode::kExclusive);
    if (s.IsBusy()) continue;  // a live process owns it
    LIGHTNING_RETURN_IF_ERROR(s);
    // Ours: free, or left by a dead process (overwritten).
    const size_t o = SlotOffset(i);
    Store(o + ShmSlot::kPinnedGeneration, 0);
    Store(o + ShmSlot::kPinnedLsn, 0);
    Store(o + ShmSlot::kPinnedSince, 0);
    Store(o + ShmSlot::kStartToken, ProcessStartToken());
    Store(o + ShmSlot::kPid, static_cast<uint64_t>(::getpid()));
    slot_ = i;
    return Status::OK();
  }
  return Status::Busy("all " + std::to_string(slot_count_) + " process slots of " + path_ +
                      " are in use: raise the option max_processes (the process that first "
                      "opens the store sets it)");
}

Status SharedState::EndInitialisation() {
  if (!initialising_) return Status::OK();
  LIGHTNING_RETURN_IF_ERROR(file_->TryLock(ShmHeader::kAttachLockByte, 1, LockMode::kShared));
  initialising_ = false;
  return Status::OK();
}

Status SharedState::LockWriter(std::chrono::milliseconds max_wait) {
  if (holds_writer_) return Status::InvalidArgument(path_ + ": the writer lock is already held");
  const auto start = Clock::now();
  const auto deadline = start + max_wait;
  std::chrono::microseconds delay(50);
  bool waited = false;
  for (;;) {
    Status s = file_->TryLock(ShmHeader::kWriterLockByte, 1, LockMode::kExclusive);
    if (s.ok()) break;
    if (!s.IsBusy()) return s;
    if (!waited) {
      waited = true;
      std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(base_ + ShmHeader::kWriterWaits))
          .fetch_add(1);
    }
    if (Clock::now() >= deadline) {
      const uint64_t holder = Load(ShmHeader::kWriterPid);
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
      return Status::Busy("the store is busy: process " +
                          (holder != 0 ? std::to_string(holder) : std::string("(unknown)")) +
                          " holds the writer lock of " + path_ + " (waited " + std::to_string(ms) +
                          " ms, busy_timeout)");
    }
    Backoff(&delay, deadline);
  }
  holds_writer_ = true;
  Store(ShmHeader::kWriterPid, static_cast<uint64_t>(::getpid()));
  std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(base_ + ShmHeader::kWriterAcquisitions))
      .fetch_add(1);
  return Status::OK();
}

Status SharedState::UnlockWriter() {
  if (!holds_writer_) return Status::InvalidArgument(path_ + ": the writer lock is not held");
  Store(ShmHeader::kWriterPid, 0);
  Status s = file_->Unlock(ShmHeader::kWriterLockByte, 1);
  if (!s.ok()) {
    Store(ShmHeader::kWriterPid, static_cast<uint64_t>(::getpid()));  // still ours
    return s;
  }
  holds_writer_ = false;
  return Status::OK();
}

uint64_t SharedState::writer_waits() const { return Load(ShmHeader::kWriterWaits); }

bool SharedState::LoadCommitState(CommitState* state) const {
  auto seq = std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(base_ + ShmHeader::kSequence));
  for (int attempt = 0; attempt < 1000; attempt++) {
    const uint64_t before = seq.load(std::memory_order_acquire);
    CommitState c;
    c.written_lsn = Load(ShmHeader::kWrittenLsn);
    c.wal_end = Load(ShmHeader::kWalEnd);
    c.wal_salt = Load(ShmHeader::kWalSalt);
    c.checkpoint_generation = Load(ShmHeader::kCheckpointGeneration);
    c.checkpoint_lsn = Load(ShmHeader::kCheckpointLsn);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (before % 2 == 0 && seq.load(std::memory_order_relaxed) == before) {
      *state = c;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(1));
  }
  return false;
}

bool SharedState::commit_state_torn() const { return Load(ShmHeader::kSequence) % 2 != 0; }

void SharedState::StoreCommitState(const CommitState& c) {
  auto seq = std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(base_ + ShmHeader::kSequence));
  const uint64_t odd = seq.load(std::memory_order_relaxed) | 1;  // already odd if torn
  seq.store(odd, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  Store(ShmHeader::kWrittenLsn, c.written_lsn);
  Store(ShmHeader::kWalEnd, c.wal_end);
  Store(ShmHeader::kWalSalt, c.wal_salt);
  Store(ShmHeader::kCheckpointGeneration, c.checkpoint_generation);
  Store(ShmHeader::kCheckpointLsn, c.checkpoint_lsn);
  seq.store(odd + 1, std::memory_order_release);
}

uint64_t SharedState::durable_lsn() const { return Load(ShmHeader::kDurableLsn); }

void SharedState::AdvanceDurableLsn(uint64_t lsn) {
  auto d = std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(base_ + ShmHeader::kDurableLsn));
  uint64_t cur = d.load();
  while (cur < lsn && !d.compare_exchange_weak(cur, lsn)) {
  }
}

void SharedState::SetPin(uint64_t generation, uint64_t lsn) {
  const size_t o = SlotOffset(slot_);
  Store(o + ShmSlot::kPinnedLsn, lsn);
  Store(o + ShmSlot::kPinnedSince, generation == 0 ? 0 : WallNanos());
  Store(o + ShmSlot::kPinnedGeneration, generation);  // seq_cst: then re-read the generation
}

bool SharedState::PinForLoad(uint64_t* generation, uint64_t* lsn) {
  const size_t o = SlotOffset(slot_);
  CommitState c;
  if (!LoadCommitState(&c)) return false;
  if (Load(o + ShmSlot::kPinnedGeneration) == 0) {
    for (;;) {
      SetPin(c.checkpoint_generation, c.checkpoint_lsn);
      CommitState again;
      if (!LoadCommitState(&again)) return false;
      if (again.checkpoint_generation == c.checkpoint_generation) break;
      c = again;
    }
  }
  *generation = c.checkpoint_generation;
  *lsn = c.checkpoint_lsn;
  return true;
}

Status SharedState::Slots(std::vector<ProcessSlot>* slots) {
  slots->clear();
  for (uint32_t i = 0; i < slot_count_; i++) {
    const size_t o = SlotOffset(i);
    if (Load(o + ShmSlot::kPid) == 0) continue;  // free, or being claimed (nothing pinned yet)
    if (i != slot_) {
      Status s = file_->TryLock(o, 1, LockMode::kExclusive);
      if (s.ok()) {  // its owner died: reclaim the slot
        Store(o + ShmSlot::kPinnedGeneration, 0);
        Store(o + ShmSlot::kPid, 0);
        LIGHTNING_RETURN_IF_ERROR(file_->Unlock(o, 1));
        continue;
      }
      if (!s.IsBusy()) return s;
    }
    ProcessSlot p;
    p.index = i;
    p.pid = Load(o + ShmSlot::kPid);
    p.start_token = Load(o + ShmSlot::kStartToken);
    p.pinned_generation = Load(o + ShmSlot::kPinnedGeneration);
    p.pinned_lsn = Load(o + ShmSlot::kPinnedLsn);
    p.pinned_since_ns = Load(o + ShmSlot::kPinnedSince);
    p.self = i == slot_;
    slots->push_back(p);
  }
  return Status::OK();
}

Status SharedState::OldestPin(uint64_t* generation, uint64_t* lsn) {
  std::vector<ProcessSlot> slots;
  LIGHTNING_RETURN_IF_ERROR(Slots(&slots));
  *generation = 0;
  *lsn = 0;
  for (const ProcessSlot& p : slots) {
    if (p.pinned_generation != 0 && (*generation == 0 || p.pinned_generation < *generation)) {
      *generation = p.pinned_generation;
      *lsn = p.pinned_lsn;
    }
  }
  return Status::OK();
}

uint64_t SharedState::Load(size_t offset) const {
  return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(base_ + offset)).load();
}

void SharedState::Store(size_t offset, uint64_t value) {
  std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(base_ + offset)).store(value);
}

size_t SharedState::SlotOffset(uint32_t i) const {
  return kShmHeaderSize + size_t{kShmSlotSize} * i;
}

}  // namespace lightning
