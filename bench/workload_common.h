// Building blocks of the workloads (internal to engine_bench): an open store
// in its own directory, batched fills, a verifying full scan, verified random
// reads in N threads, and the row bookkeeping (timing, percentiles, RSS).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/kv_engine.h"
#include "bench/workloads.h"

namespace lightning_bench {

// What one group run needs.
struct GroupEnv {
  const BenchConfig& config;
  const EngineFactory* factory;  // nullptr for the machine group
  std::string dir;
  GroupSink* sink;
  const ValueGen& gen;
  std::vector<std::string> selected;

  bool Selected(const std::string& workload) const;
  std::string engine_name() const { return factory ? factory->name : "machine"; }
  OpenParams Params(const std::string& subdir) const;  // cache_size, non-durable, dir/subdir
};

// An engine opened on its own directory (created on Open, removed on Destroy).
class Store {
 public:
  ~Store() { Destroy(); }
  Outcome Open(const EngineFactory& factory, const OpenParams& params);
  // Closes and opens again on the same files (state on disk must survive).
  Outcome Reopen();
  Outcome NewSession(std::unique_ptr<KvSession>* session) { return engine_->NewSession(session); }
  Outcome Settle() { return engine_->Settle(); }
  uint64_t Bytes() const { return DirBytes(params_.dir); }
  std::string Describe() const { return engine_ ? engine_->Describe(params_) : ""; }
  bool zero_copy() const { return engine_ && engine_->zero_copy(); }
  // Closes the engine and removes its directory.
  void Destroy();

 private:
  std::unique_ptr<KvEngine> engine_;
  OpenParams params_;
};

// Describes the data a fill writes and a verification expects.
struct DataSpec {
  uint64_t keys = 0;  // keys 0 .. keys-1
  size_t value_size = 100;
  ValueKind kind = ValueKind::kRandom;
};

// Puts every key of `spec` (in `order` when given, else ascending), `batch`
// puts per transaction. *nanos receives the elapsed time.
Outcome Fill(KvSession* s, const ValueGen& gen, const DataSpec& spec,
             const std::vector<uint32_t>* order, uint64_t batch, uint64_t* nanos);
// A shuffled 0..n-1 (deterministic).
std::vector<uint32_t> ShuffledOrder(uint64_t n, uint64_t seed);

// One forward scan of the whole tree: every key 0..keys-1 exactly once, in
// order, each value regenerated and compared.
Outcome VerifyAll(KvSession* s, const ValueGen& gen, const DataSpec& spec);

// `threads` threads each doing `reads_per_thread` random Gets, verified.
// Fills ops, seconds, ops/s, MB/s and the percentiles of *row.
Outcome ReadRandom(Store* store, const GroupEnv& env, const DataSpec& spec, int threads,
                   uint64_t reads_per_thread, uint64_t seed, RowResult* row);

// Runs fn(t) for t in [0, threads) on threads released together; returns the
// wall time from release to the last one finishing, in nanoseconds.
uint64_t RunThreads(int threads, const std::function<void(int)>& fn);

// Sets ops, seconds, ops_per_sec and (if log given and non-empty) percentiles.
void FinishRow(RowResult* row, uint64_t ops, uint64_t nanos, LatencyLog* log);

// Runs `body` as row `workload` if selected: announces it, resets peak RSS,
// records errors and RSS, emits the row.
void RunRow(const GroupEnv& env, const std::string& workload,
            const std::function<Outcome(RowResult*)>& body);

// Emits a failed row for each selected workload in `workloads` (after a
// setup step they depend on failed).
void FailRows(const GroupEnv& env, const std::vector<std::string>& workloads,
              const std::string& why);

// The groups (workloads.cc, workloads_extra.cc).
void RunCoreGroup(const GroupEnv& env);
void RunDurableGroup(const GroupEnv& env);
void RunValue4kGroup(const GroupEnv& env);
void RunCompressibleGroup(const GroupEnv& env);
void RunValue1mGroup(const GroupEnv& env);
void RunLargerThanCacheGroup(const GroupEnv& env);
void RunMachineGroup(const GroupEnv& env);

}  // namespace lightning_bench
