// The workload registry, RunGroup, and the core group (fills, reads, scans,
// mixed) on num keys of value_size bytes.
#include "bench/workloads.h"

#include <algorithm>

#include "bench/workload_common.h"

namespace lightning_bench {

uint64_t BenchConfig::BigCount() const {
  if (big_count) return big_count;
  return std::clamp<uint64_t>(cache_size / (2u << 20), 4, 512);
}

uint64_t BenchConfig::LtcKeys() const {
  if (ltc_keys) return ltc_keys;
  return std::max<uint64_t>(ltc_factor * small_cache / (ltc_value_size + kKeySize), 100);
}

const std::vector<WorkloadInfo>& AllWorkloads() {
  static const std::vector<WorkloadInfo> kAll = {
      {"fillseq", "core", "puts/s",
       "num puts in ascending key order, batch puts per txn, no fsync"},
      {"fillrandom", "core", "puts/s", "num puts in random order, batch puts per txn, no fsync"},
      {"readrandom", "core", "gets/s", "num random gets, 1 thread, each in its own snapshot"},
      {"readrandom_2t", "core", "gets/s", "num random gets per thread, 2 threads"},
      {"readseq", "core", "rows/s", "full forward scans (repeated to >= 0.5 s)"},
      {"readreverse", "core", "rows/s", "full reverse scans (repeated to >= 0.5 s)"},
      {"scan100", "core", "scans/s", "range scans of 100 keys from random starts"},
      {"mixed_80_20", "core", "ops/s",
       "80% random get / 20% random overwrite, each put its own txn, no fsync"},
      {"durable_1w", "durable", "commits/s", "single-put commits, fsync each, 1 writer"},
      {"durable_4w", "durable", "commits/s", "single-put commits, fsync each, 4 writer threads"},
      {"fill4k", "value4k", "puts/s", "value4k_num puts of 4 KiB values, random order"},
      {"readrandom4k", "value4k", "gets/s", "random gets of 4 KiB values"},
      {"compressible", "compressible", "puts/s",
       "fillrandom of half-compressible values; file size after settle"},
      {"fill1m", "value1m", "puts/s", "puts of 1 MiB values"},
      {"read1m_view", "value1m", "gets/s", "random 1 MiB reads through GetView, every byte summed"},
      {"larger_than_cache", "ltc", "gets/s",
       "random gets, data ~10x small_cache; peak RSS includes the load"},
      {"fsync4k_append", "machine", "syncs/s", "raw: append 4 KiB + fdatasync"},
      {"fsync4k_overwrite", "machine", "syncs/s",
       "raw: overwrite 4 KiB in a preallocated file + fdatasync"},
  };
  return kAll;
}

const WorkloadInfo* FindWorkload(const std::string& name) {
  for (const auto& w : AllWorkloads()) {
    if (name == w.name) return &w;
  }
  return nullptr;
}

std::vector<std::string> AllGroups() {
  // machine runs right before durable: the durable-commit goal compares with
  // it, and the disk's fsync latency drifts with the rest of the machine's I/O.
  return {"core", "machine", "durable", "value4k", "compressible", "value1m", "ltc"};
}

void RunGroup(const BenchConfig& config, const EngineFactory* factory, const std::string& group,
              const std::vector<std::string>& selected, const std::string& dir, GroupSink* sink) {
  static const ValueGen gen;
  GroupEnv env{config, factory, dir, sink, gen, selected};
  if (group == "machine")
    RunMachineGroup(env);
  else if (group == "core")
    RunCoreGroup(env);
  else if (group == "durable")
    RunDurableGroup(env);
  else if (group == "value4k")
    RunValue4kGroup(env);
  else if (group == "compressible")
    RunCompressibleGroup(env);
  else if (group == "value1m")
    RunValue1mGroup(env);
  else if (group == "ltc")
    RunLargerThanCacheGroup(env);
}

namespace {

// Full scans repeated until min_seconds have passed; every row checked.
Outcome FullScans(Store* store, const GroupEnv& env, const DataSpec& spec, bool reverse,
                  RowResult* row) {
  std::unique_ptr<KvSession> s;
  BENCH_RETURN_IF_ERROR(store->NewSession(&s));
  uint64_t rows = 0, passes = 0;
  const uint64_t start = NowNanos();
  uint64_t elapsed = 0;
  do {
    uint64_t expected = reverse ? spec.keys - 1 : 0, seen = 0;
    bool bad = false;
    BENCH_RETURN_IF_ERROR(s->Scan(Slice(), reverse, UINT64_MAX, [&](Slice, Slice v) {
      if (v.size() != spec.value_size || ValueIndex(v) != expected) {
        bad = true;
        return false;
      }
      expected += reverse ? -1 : 1;
      ++seen;
      return true;
    }));
    if (bad || seen != spec.keys) {
      return Outcome::Fail("pass " + std::to_string(passes) + ": " +
                           (bad ? "wrong row at position " : "saw ") + std::to_string(seen) +
                           (bad ? "" : " rows of " + std::to_string(spec.keys)));
    }
    rows += seen;
    ++passes;
    elapsed = NowNanos() - start;
  } while (elapsed < static_cast<uint64_t>(env.config.min_scan_seconds * 1e9));
  FinishRow(row, rows, elapsed, nullptr);
  row->mb_per_sec = row->ops_per_sec * static_cast<double>(kKeySize + spec.value_size) / 1e6;
  row->note = std::to_string(passes) + " passes";
  return Outcome::Ok();
}

Outcome Scan100(Store* store, const GroupEnv& env, const DataSpec& spec, RowResult* row) {
  std::unique_ptr<KvSession> s;
  BENCH_RETURN_IF_ERROR(store->NewSession(&s));
  const uint64_t scans = env.config.Scans(), len = env.config.scan_len;
  LatencyLog log;
  log.Reserve(scans);
  Rng rng(77);
  char key[kKeySize];
  uint64_t rows = 0;
  uint64_t prev = NowNanos();
  const uint64_t start = prev;
  for (uint64_t n = 0; n < scans; ++n) {
    const uint64_t k = rng.Uniform(spec.keys);
    FormatKey(k, key);
    uint64_t expected = k, seen = 0;
    bool bad = false;
    BENCH_RETURN_IF_ERROR(s->Scan(Slice(key, kKeySize), false, len, [&](Slice, Slice v) {
      if (v.size() != spec.value_size || ValueIndex(v) != expected++) bad = true;
      ++seen;
      return !bad;
    }));
    if (bad || seen != std::min(len, spec.keys - k)) {
      return Outcome::Fail("scan from " + KeyString(k) + ": " + (bad ? "wrong row" : "short") +
                           " after " + std::to_string(seen) + " rows");
    }
    rows += seen;
    const uint64_t now = NowNanos();
    log.Add(now - prev);
    prev = now;
  }
  FinishRow(row, scans, prev - start, &log);
  row->mb_per_sec = static_cast<double>(rows) * static_cast<double>(kKeySize + spec.value_size) /
                    1e6 / row->seconds;
  return Outcome::Ok();
}

Outcome Mixed(Store* store, const GroupEnv& env, const DataSpec& spec, RowResult* row) {
  std::unique_ptr<KvSession> s;
  BENCH_RETURN_IF_ERROR(store->NewSession(&s));
  const uint64_t ops = env.config.num;
  LatencyLog log;
  log.Reserve(ops);
  Rng rng(4242);
  char key[kKeySize];
  std::string value;
  uint64_t prev = NowNanos();
  const uint64_t start = prev;
  for (uint64_t n = 0; n < ops; ++n) {
    const bool put = rng.Uniform(5) == 0;
    const uint64_t k = rng.Uniform(spec.keys);
    FormatKey(k, key);
    if (put) {
      env.gen.Make(k, static_cast<uint32_t>(n + 1), spec.value_size, spec.kind, &value);
      BENCH_RETURN_IF_ERROR(s->BeginWrite());
      BENCH_RETURN_IF_ERROR(s->Put(Slice(key, kKeySize), value));
      BENCH_RETURN_IF_ERROR(s->Commit());
    } else {
      bool found = false;
      BENCH_RETURN_IF_ERROR(s->Get(Slice(key, kKeySize), &value, &found));
      if (!found) return Outcome::Fail("key " + KeyString(k) + " not found");
      if (value.size() != spec.value_size || ValueIndex(value) != k ||
          ((n & 63) == 0 && !env.gen.Verify(k, value, spec.value_size, spec.kind))) {
        return Outcome::Fail("key " + KeyString(k) + " returned a wrong value");
      }
    }
    const uint64_t now = NowNanos();
    log.Add(now - prev);
    prev = now;
  }
  FinishRow(row, ops, prev - start, &log);
  return VerifyAll(s.get(), env.gen,
                   spec);  // after the clock: every key still there, values intact
}

}  // namespace

void RunCoreGroup(const GroupEnv& env) {
  const BenchConfig& c = env.config;
  const DataSpec spec{c.num, c.value_size, ValueKind::kRandom};

  RunRow(env, "fillseq", [&](RowResult* row) {
    Store store;
    BENCH_RETURN_IF_ERROR(store.Open(*env.factory, env.Params("fillseq")));
    row->note = store.Describe();
    std::unique_ptr<KvSession> s;
    BENCH_RETURN_IF_ERROR(store.NewSession(&s));
    uint64_t nanos = 0;
    BENCH_RETURN_IF_ERROR(Fill(s.get(), env.gen, spec, nullptr, c.batch, &nanos));
    FinishRow(row, spec.keys, nanos, nullptr);
    row->mb_per_sec = row->ops_per_sec * static_cast<double>(kKeySize + spec.value_size) / 1e6;
    row->file_bytes = static_cast<double>(store.Bytes());
    return VerifyAll(s.get(), env.gen, spec);
  });

  const std::vector<std::string> reads = {"readrandom",  "readrandom_2t", "readseq",
                                          "readreverse", "scan100",       "mixed_80_20"};
  bool need_reads = false;
  for (const auto& w : reads) need_reads |= env.Selected(w);
  if (!env.Selected("fillrandom") && !need_reads) return;

  Store store;
  const std::vector<uint32_t> order = ShuffledOrder(spec.keys, 42);
  Outcome load = store.Open(*env.factory, env.Params("main"));
  std::string load_error;
  if (!load.ok()) load_error = "open: " + load.message();
  auto fill_random = [&](RowResult* row) {
    std::unique_ptr<KvSession> s;
    BENCH_RETURN_IF_ERROR(store.NewSession(&s));
    uint64_t nanos = 0;
    BENCH_RETURN_IF_ERROR(Fill(s.get(), env.gen, spec, &order, c.batch, &nanos));
    if (row) {
      row->note = store.Describe();
      FinishRow(row, spec.keys, nanos, nullptr);
      row->mb_per_sec = row->ops_per_sec * static_cast<double>(kKeySize + spec.value_size) / 1e6;
      row->file_bytes = static_cast<double>(store.Bytes());
    }
    return VerifyAll(s.get(), env.gen, spec);
  };
  if (load_error.empty()) {
    if (env.Selected("fillrandom")) {
      bool ok = true;
      RunRow(env, "fillrandom", [&](RowResult* row) {
        Outcome o = fill_random(row);
        ok = o.ok();
        return o;
      });
      if (!ok) load_error = "fillrandom failed";
    } else {
      Outcome o = fill_random(nullptr);
      if (!o.ok()) load_error = "load: " + o.message();
    }
  } else {
    FailRows(env, {"fillrandom"}, load_error);
  }
  if (!need_reads) return;
  if (load_error.empty()) {
    // Reads start from a reopened store, warmed by one verified full scan.
    Outcome o = store.Reopen();
    std::unique_ptr<KvSession> s;
    if (o.ok()) o = store.NewSession(&s);
    if (o.ok()) o = VerifyAll(s.get(), env.gen, spec);
    if (!o.ok()) load_error = "after reopen: " + o.message();
  }
  if (!load_error.empty()) {
    FailRows(env, reads, load_error);
    return;
  }
  const std::string note = store.Describe();
  RunRow(env, "readrandom", [&](RowResult* row) {
    row->note = note;
    return ReadRandom(&store, env, spec, 1, c.num, 1, row);
  });
  RunRow(env, "readrandom_2t", [&](RowResult* row) {
    row->note = note;
    return ReadRandom(&store, env, spec, 2, c.num, 2, row);
  });
  RunRow(env, "readseq", [&](RowResult* row) { return FullScans(&store, env, spec, false, row); });
  RunRow(env, "readreverse",
         [&](RowResult* row) { return FullScans(&store, env, spec, true, row); });
  RunRow(env, "scan100", [&](RowResult* row) { return Scan100(&store, env, spec, row); });
  RunRow(env, "mixed_80_20", [&](RowResult* row) {
    row->note = note;
    return Mixed(&store, env, spec, row);
  });
}

}  // namespace lightning_bench
