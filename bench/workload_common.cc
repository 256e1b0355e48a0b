#include "bench/workload_common.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <numeric>
#include <thread>

namespace lightning_bench {

bool GroupEnv::Selected(const std::string& workload) const {
  return std::find(selected.begin(), selected.end(), workload) != selected.end();
}

OpenParams GroupEnv::Params(const std::string& subdir) const {
  OpenParams p;
  p.dir = dir + "/" + subdir;
  p.cache_bytes = config.cache_size;
  p.lmdb_map_size = config.lmdb_map_size;
  return p;
}

Outcome Store::Open(const EngineFactory& factory, const OpenParams& params) {
  Destroy();
  params_ = params;
  std::error_code ec;
  std::filesystem::create_directories(params.dir, ec);
  if (ec) return Outcome::Fail("cannot create " + params.dir + ": " + ec.message());
  engine_ = factory.make();
  return engine_->Open(params_);
}

Outcome Store::Reopen() {
  engine_->Close();
  return engine_->Open(params_);
}

void Store::Destroy() {
  if (engine_) engine_->Close();
  engine_.reset();
  if (!params_.dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(params_.dir, ec);
    params_.dir.clear();
  }
}

std::vector<uint32_t> ShuffledOrder(uint64_t n, uint64_t seed) {
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  Rng rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

Outcome Fill(KvSession* s, const ValueGen& gen, const DataSpec& spec,
             const std::vector<uint32_t>* order, uint64_t batch, uint64_t* nanos) {
  char key[kKeySize];
  std::string value;
  const uint64_t start = NowNanos();
  for (uint64_t i = 0; i < spec.keys;) {
    BENCH_RETURN_IF_ERROR(s->BeginWrite());
    const uint64_t end = std::min(spec.keys, i + batch);
    for (; i < end; ++i) {
      const uint64_t k = order ? (*order)[i] : i;
      FormatKey(k, key);
      gen.Make(k, 0, spec.value_size, spec.kind, &value);
      BENCH_RETURN_IF_ERROR(s->Put(Slice(key, kKeySize), value));
    }
    BENCH_RETURN_IF_ERROR(s->Commit());
  }
  *nanos = NowNanos() - start;
  return Outcome::Ok();
}

Outcome VerifyAll(KvSession* s, const ValueGen& gen, const DataSpec& spec) {
  uint64_t expected = 0;
  std::string problem;
  Outcome o = s->Scan(Slice(), false, UINT64_MAX, [&](Slice k, Slice v) {
    uint64_t i = 0;
    if (!ParseKey(k, &i)) {
      problem = "scan returned a malformed key of " + std::to_string(k.size()) + " bytes";
    } else if (i != expected) {
      problem =
          i > expected
              ? "key " + KeyString(expected) + " is missing (scan went on at " + KeyString(i) + ")"
              : "key " + KeyString(i) + " out of order after " + KeyString(expected - 1);
    } else if (!gen.Verify(i, v, spec.value_size, spec.kind)) {
      problem = "value of key " + KeyString(i) + " is wrong (" + std::to_string(v.size()) +
                " bytes, index " + std::to_string(ValueIndex(v)) + ")";
    }
    ++expected;
    return problem.empty();
  });
  BENCH_RETURN_IF_ERROR(o);
  if (!problem.empty()) return Outcome::Fail("verification scan: " + problem);
  if (expected != spec.keys) {
    return Outcome::Fail("verification scan: found " + std::to_string(expected) +
                         " keys, expected " + std::to_string(spec.keys));
  }
  return Outcome::Ok();
}

uint64_t RunThreads(int threads, const std::function<void(int)>& fn) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      fn(t);
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  const uint64_t start = NowNanos();
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  return NowNanos() - start;
}

void FinishRow(RowResult* row, uint64_t ops, uint64_t nanos, LatencyLog* log) {
  row->ops = ops;
  row->seconds = static_cast<double>(nanos) / 1e9;
  row->ops_per_sec = nanos ? static_cast<double>(ops) * 1e9 / static_cast<double>(nanos) : 0;
  if (log && log->size()) {
    row->p50_us = log->PercentileMicros(0.50);
    row->p95_us = log->PercentileMicros(0.95);
    row->p99_us = log->PercentileMicros(0.99);
    row->p999_us = log->PercentileMicros(0.999);
  }
}

Outcome ReadRandom(Store* store, const GroupEnv& env, const DataSpec& spec, int threads,
                   uint64_t reads_per_thread, uint64_t seed, RowResult* row) {
  std::vector<std::unique_ptr<KvSession>> sessions(threads);
  for (auto& s : sessions) BENCH_RETURN_IF_ERROR(store->NewSession(&s));
  std::vector<LatencyLog> logs(threads);
  std::vector<Outcome> outcomes(threads);
  std::vector<std::string> problems(threads);
  const uint64_t per_txn = std::max<uint64_t>(1, env.config.reads_per_txn);
  for (auto& log : logs) log.Reserve(reads_per_thread);

  const uint64_t nanos = RunThreads(threads, [&](int t) {
    KvSession* s = sessions[t].get();
    Rng rng(seed * 7919 + static_cast<uint64_t>(t));
    char key[kKeySize];
    std::string value;
    uint64_t missing = 0, wrong = 0;
    uint64_t prev = NowNanos();
    for (uint64_t i = 0; i < reads_per_thread; ++i) {
      if (per_txn > 1 && i % per_txn == 0) {
        if (i) s->EndRead();
        if (!(outcomes[t] = s->BeginRead()).ok()) return;
      }
      const uint64_t k = rng.Uniform(spec.keys);
      FormatKey(k, key);
      bool found = false;
      Outcome o = s->Get(Slice(key, kKeySize), &value, &found);
      if (!o.ok()) {
        outcomes[t] = o;
        return;
      }
      if (!found) {
        if (!missing++) problems[t] = "key " + KeyString(k) + " not found";
      } else if (value.size() != spec.value_size || ValueIndex(value) != k ||
                 ((i & 63) == 0 && !env.gen.Verify(k, value, spec.value_size, spec.kind))) {
        if (!wrong++ && problems[t].empty())
          problems[t] = "key " + KeyString(k) + " returned a wrong value";
      }
      const uint64_t now = NowNanos();
      logs[t].Add(now - prev);
      prev = now;
    }
    if (per_txn > 1) s->EndRead();
    if (missing || wrong) {
      problems[t] = std::to_string(missing) + " of " + std::to_string(reads_per_thread) +
                    " reads missing, " + std::to_string(wrong) + " wrong; first: " + problems[t];
    }
  });
  for (int t = 0; t < threads; ++t) {
    BENCH_RETURN_IF_ERROR(outcomes[t]);
    if (!problems[t].empty())
      return Outcome::Fail("thread " + std::to_string(t) + ": " + problems[t]);
  }
  LatencyLog all;
  for (auto& log : logs) all.Append(log);
  const uint64_t ops = reads_per_thread * static_cast<uint64_t>(threads);
  FinishRow(row, ops, nanos, &all);
  row->mb_per_sec = row->ops_per_sec * static_cast<double>(kKeySize + spec.value_size) / 1e6;
  return Outcome::Ok();
}

void RunRow(const GroupEnv& env, const std::string& workload,
            const std::function<Outcome(RowResult*)>& body) {
  if (!env.Selected(workload)) return;
  env.sink->Started(workload);
  RowResult row;
  row.engine = env.engine_name();
  row.workload = workload;
  ResetPeakRss();
  Outcome o = body(&row);
  // A body that reset the peak itself reports the earlier peak in row.peak_rss_bytes.
  row.peak_rss_bytes = std::max(row.peak_rss_bytes, static_cast<double>(PeakRssBytes()));
  if (!o.ok()) {
    row.ok = false;
    row.error = o.message();
  }
  env.sink->Row(row);
}

void FailRows(const GroupEnv& env, const std::vector<std::string>& workloads,
              const std::string& why) {
  for (const auto& w : workloads) {
    RunRow(env, w, [&](RowResult*) { return Outcome::Fail(why); });
  }
}

}  // namespace lightning_bench
