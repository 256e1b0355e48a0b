// The workloads of engine_bench, grouped by the data they share.
//
// Groups run in the order of AllGroups(); a group runs in one child process per (run, engine) so
// that peak RSS, crashes and leftover memory stay with it: the parent forks, the child runs
// RunGroup() and reports each row as it finishes.
//
//   group         workloads (rows)                    data
//   core          fillseq fillrandom readrandom        num keys x value_size
//                 readrandom_2t readseq readreverse
//                 scan100 mixed_80_20
//   durable       durable_1w durable_4w               durable_ops single-put commits
//   value4k       fill4k readrandom4k                 value4k_num keys x 4 KiB
//   compressible  compressible                        num keys, half-compressible values
//   value1m       fill1m read1m_view                  big_count keys x 1 MiB
//   ltc           larger_than_cache                   ~ltc_factor x small_cache of data
//   machine       fsync4k_append fsync4k_overwrite    no engine: the disk's raw limit
//
// Every read is verified (key found, value regenerated and compared, scans
// complete and in order); a verification failure fails the row.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/kv_engine.h"
#include "bench/report.h"

namespace lightning_bench {

struct BenchConfig {
  uint64_t num = 1000000;
  size_t value_size = 100;
  int runs = 1;
  uint64_t cache_size = 256ull << 20;
  uint64_t small_cache = 64ull << 20;  // larger_than_cache run
  uint64_t batch = 1000;               // puts per transaction in fills
  uint64_t durable_ops = 2000;
  int durable_threads = 4;
  uint64_t reads_per_txn = 1;  // readrandom gets per snapshot
  uint64_t scans = 0;          // 0: num / 20
  uint64_t scan_len = 100;
  uint64_t value4k_num = 0;  // 0: num / 10
  uint64_t big_count = 0;    // 0: cache_size / 2 MiB, within [4, 512]
  uint64_t ltc_factor = 10;
  size_t ltc_value_size = 1000;
  uint64_t ltc_keys = 0;          // 0: ltc_factor * small_cache / (ltc_value_size + 16)
  double min_scan_seconds = 0.5;  // readseq/readreverse repeat passes until this long
  uint64_t lmdb_map_size = 64ull << 30;

  uint64_t Scans() const { return scans ? scans : std::max<uint64_t>(num / 20, 10); }
  uint64_t Value4kNum() const {
    return value4k_num ? value4k_num : std::max<uint64_t>(num / 10, 10);
  }
  uint64_t BigCount() const;
  uint64_t LtcKeys() const;
};

struct WorkloadInfo {
  const char* name;
  const char* group;
  const char* unit;  // what ops/s counts
  const char* what;
};

// Every workload, in report order.
const std::vector<WorkloadInfo>& AllWorkloads();
const WorkloadInfo* FindWorkload(const std::string& name);
// Groups in run order.
std::vector<std::string> AllGroups();

// Receives progress from RunGroup (in the child process).
class GroupSink {
 public:
  virtual ~GroupSink() = default;
  virtual void Started(const std::string& workload) = 0;
  virtual void Row(const RowResult& row) = 0;
};

// Runs the workloads of `group` listed in `selected` for `factory` (nullptr
// for the machine group) inside `dir`, an empty directory.
void RunGroup(const BenchConfig& config, const EngineFactory* factory, const std::string& group,
              const std::vector<std::string>& selected, const std::string& dir, GroupSink* sink);

}  // namespace lightning_bench
