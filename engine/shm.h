// SharedState: this process's attachment to `PATH-shm`, the file through which
// the processes sharing a store coordinate (bytes: engine/FORMAT.md, "Shared
// file"; protocol: docs/ARCHITECTURE.md, "Many processes").
//
// Attaching opens the file through the Env, takes the attach lock (exclusive
// when nobody else is attached: this process then rebuilds the file and is
// `first()`; shared otherwise, after validating the header) and claims a
// process slot, reclaiming the slot of a dead process if needed. The object
// then offers the cross-process writer lock, this process's pin (the oldest
// checkpoint generation it still reads), the minimum pin over live slots
// (reclaiming dead slots it meets), and the commit state every process reads.
// Destroying it detaches: the slot is cleared and every lock released (the
// kernel does the same for a process that dies).
//
// Built as the first layer of issue 12: DB::Open does not use it yet.
//
// Thread safety: Open, EndInitialisation, LockWriter, UnlockWriter,
// OldestPin and Slots make lock calls and are called by one thread at a time
// (the store's writer or checkpointer). LoadCommitState, durable_lsn,
// AdvanceDurableLsn and SetPin touch only the mapping (atomics) and may be
// called from any thread; StoreCommitState by the writer-lock holder.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lightning/env.h"
#include "lightning/status.h"

namespace lightning {

struct SharedStateOptions {
  // Process slots when this process (re)builds the file; a process attaching
  // to a file others use takes the count it finds. 1..4096. Default: 126.
  uint32_t max_processes = 126;
  // How long attaching waits while another process rebuilds the file.
  // Default: 5000 ms (the store's busy_timeout).
  std::chrono::milliseconds busy_timeout{5000};
};

// The header's commit state (FORMAT.md: sequence-guarded fields).
struct CommitState {
  uint64_t written_lsn = 0;
  uint64_t wal_end = 0;
  uint64_t wal_salt = 0;
  uint64_t checkpoint_generation = 0;
  uint64_t checkpoint_lsn = 0;
};

// One live process slot, as Slots() reports it.
struct ProcessSlot {
  uint32_t index = 0;
  uint64_t pid = 0;
  uint64_t start_token = 0;
  uint64_t pinned_generation = 0;  // 0: nothing pinned
  uint64_t pinned_lsn = 0;
  uint64_t pinned_since_ns = 0;
  bool self = false;  // this SharedState's own slot
};

class SharedState {
 public:
  // Attaches to `store_path` + "-shm" through `env` (which must outlive the
  // result). Errors: those of Env::OpenSharedFile (NotSupported on a network
  // file system, ReadOnly, IOError); InvalidArgument for max_processes out of
  // range; Corruption naming the field when the file others use has a bad
  // magic, version, size or slot count; Busy when another process keeps
  // rebuilding it past busy_timeout, or when every slot is taken (naming the
  // limit and the option max_processes); any write, map or lock failure.
  static Status Open(Env* env, const std::string& store_path, const SharedStateOptions& options,
                     std::unique_ptr<SharedState>* state);
  ~SharedState();
  SharedState(const SharedState&) = delete;
  SharedState& operator=(const SharedState&) = delete;

  // True when this process found nobody attached and rebuilt the file: it
  // holds the attach lock exclusive until EndInitialisation, so the caller
  // recovers the store and publishes its commit state meanwhile.
  bool first() const { return first_; }
  // Downgrades the attach lock to shared, letting other processes attach.
  // No-op unless first() and not yet ended. A lock failure is returned.
  Status EndInitialisation();

  const std::string& path() const { return path_; }
  uint32_t slot() const { return slot_; }
  uint32_t slot_count() const { return slot_count_; }

  // The cross-process writer lock. Waits up to `max_wait` (retrying with
  // backoff), then Busy naming the holder's pid. REQUIRES: not held by this
  // SharedState. Each acquisition that had to wait counts in writer_waits().
  Status LockWriter(std::chrono::milliseconds max_wait);
  // Releases it. An unlock failure is returned (the lock may stay held until
  // this SharedState is destroyed). REQUIRES: held.
  Status UnlockWriter();
  bool holds_writer() const { return holds_writer_; }
  // Attempts at the writer lock, in any process, that had to wait (whether
  // they then got it or timed out).
  uint64_t writer_waits() const;

  // Reads the commit state consistently (a seqlock). False when the
  // sequence stays odd (about a millisecond of retries): a writer died while
  // changing it, so the fields may be torn. The caller then takes the writer
  // lock, re-derives the state from the store's files and stores it.
  bool LoadCommitState(CommitState* state) const;
  // True when this process took the writer lock from a holder that died while
  // changing the commit state: StoreCommitState must run before it is trusted.
  bool commit_state_torn() const;
  // Stores the commit state (repairing a torn one). REQUIRES: the writer
  // lock, or first() before EndInitialisation.
  void StoreCommitState(const CommitState& state);
  uint64_t durable_lsn() const;
  // Raises the durable lsn to `lsn` if it is lower (any process, after an fsync).
  void AdvanceDurableLsn(uint64_t lsn);

  // Publishes this process's oldest pinned checkpoint generation and its lsn
  // (generation 0: nothing pinned), sequentially consistent: the caller then
  // re-reads the checkpoint generation and pins again if it moved
  // (ARCHITECTURE.md, "Pins").
  void SetPin(uint64_t generation, uint64_t lsn);
  // Before loading a checkpoint: makes sure this process's pin protects it,
  // and sets the checkpoint generation and its lsn to load. With nothing
  // pinned yet, pins the header's checkpoint generation, re-reads it and
  // pins again until the two agree (a checkpointer publishes a generation
  // before it scans pins, so it either sees this pin or this process sees
  // its generation). An older pin already protects every newer checkpoint
  // and is kept. False (nothing pinned) when the commit state is torn (see
  // LoadCommitState).
  bool PinForLoad(uint64_t* generation, uint64_t* lsn);
  // The oldest pin over live slots, this one included: *generation 0 when no
  // live process pins anything. Slots of dead processes met on the way are
  // reclaimed (cleared and freed). Lock failures are returned.
  Status OldestPin(uint64_t* generation, uint64_t* lsn);
  // Every live slot, in index order, reclaiming dead ones as OldestPin does.
  Status Slots(std::vector<ProcessSlot>* slots);

 private:
  SharedState(std::unique_ptr<SharedFile> file, std::string path);
  Status Attach(const SharedStateOptions& options);
  Status Initialise(uint32_t slot_count);
  Status Validate();
  Status ClaimSlot();

  uint64_t Load(size_t offset) const;
  void Store(size_t offset, uint64_t value);
  size_t SlotOffset(uint32_t i) const;

  std::unique_ptr<SharedFile> file_;
  const std::string path_;
  char* base_ = nullptr;
  uint32_t slot_count_ = 0;
  uint32_t slot_ = UINT32_MAX;
  bool first_ = false;
  bool initialising_ = false;
  bool holds_writer_ = false;
};

// This process's start-time token (ProcessSlot::start_token).
uint64_t ProcessStartToken();

}  // namespace lightning
