// The groups beyond the core: durable commits, 4 KiB values, compressible
// values, 1 MiB values through views, larger-than-cache data, and the
// machine's raw append+fdatasync limit.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "bench/workload_common.h"

namespace lightning_bench {

namespace {

// Single-put durable commits from `threads` writers; thread t writes keys
// t*per .. t*per+per-1. All keys are read back afterwards.
Outcome DurableCommits(const GroupEnv& env, const std::string& subdir, int threads,
                       RowResult* row) {
  OpenParams p = env.Params(subdir);
  p.durable = true;
  Store store;
  BENCH_RETURN_IF_ERROR(store.Open(*env.factory, p));
  row->note = store.Describe();
  const uint64_t per =
      std::max<uint64_t>(1, env.config.durable_ops / static_cast<uint64_t>(threads));
  const DataSpec spec{per * static_cast<uint64_t>(threads), env.config.value_size,
                      ValueKind::kRandom};
  std::vector<std::unique_ptr<KvSession>> sessions(threads);
  for (auto& s : sessions) BENCH_RETURN_IF_ERROR(store.NewSession(&s));
  std::vector<LatencyLog> logs(threads);
  std::vector<Outcome> outcomes(threads);
  const uint64_t nanos = RunThreads(threads, [&](int t) {
    KvSession* s = sessions[t].get();
    char key[kKeySize];
    std::string value;
    uint64_t prev = NowNanos();
    for (uint64_t n = 0; n < per; ++n) {
      const uint64_t k = static_cast<uint64_t>(t) * per + n;
      FormatKey(k, key);
      env.gen.Make(k, 0, spec.value_size, spec.kind, &value);
      Outcome o = s->BeginWrite();
      if (o.ok()) o = s->Put(Slice(key, kKeySize), value);
      if (o.ok()) o = s->Commit();
      if (!o.ok()) {
        outcomes[t] = o;
        return;
      }
      const uint64_t now = NowNanos();
      logs[t].Add(now - prev);
      prev = now;
    }
  });
  for (auto& o : outcomes) BENCH_RETURN_IF_ERROR(o);
  LatencyLog all;
  for (auto& log : logs) all.Append(log);
  FinishRow(row, spec.keys, nanos, &all);
  row->file_bytes = static_cast<double>(store.Bytes());
  return VerifyAll(sessions[0].get(), env.gen, spec);
}

uint64_t WordSum(Slice v) {
  uint64_t s[4] = {0, 0, 0, 0};
  const char* p = v.data();
  size_t n = v.size();
  for (; n >= 32; n -= 32, p += 32) {
    for (int j = 0; j < 4; ++j) {
      uint64_t w;
      std::memcpy(&w, p + 8 * j, 8);
      s[j] += w;
    }
  }
  uint64_t sum = s[0] + s[1] + s[2] + s[3];
  for (; n > 0; --n, ++p) sum += static_cast<unsigned char>(*p);
  return sum;
}

// Appends (or overwrites in place) 4 KiB blocks, fdatasync after each.
Outcome RawSyncs(const std::string& path, uint64_t count, bool overwrite, RowResult* row) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Outcome::Fail("open " + path + ": " + std::strerror(errno));
  std::string block(4096, 'x');
  Outcome result = Outcome::Ok();
  if (overwrite) {  // preallocate with real blocks, made durable before the clock starts
    for (uint64_t i = 0; i < count && result.ok(); ++i) {
      if (::write(fd, block.data(), block.size()) != 4096)
        result = Outcome::Fail(std::strerror(errno));
    }
    if (result.ok() && ::fsync(fd) != 0)
      result = Outcome::Fail(std::string("fsync: ") + std::strerror(errno));
  }
  LatencyLog log;
  uint64_t prev = NowNanos();
  const uint64_t start = prev;
  for (uint64_t i = 0; i < count && result.ok(); ++i) {
    block[0] = static_cast<char>(i);
    ssize_t w = overwrite ? ::pwrite(fd, block.data(), 4096, static_cast<off_t>(i * 4096))
                          : ::write(fd, block.data(), 4096);
    if (w != 4096)
      result = Outcome::Fail(std::string("write: ") + std::strerror(errno));
    else if (::fdatasync(fd) != 0)
      result = Outcome::Fail(std::string("fdatasync: ") + std::strerror(errno));
    const uint64_t now = NowNanos();
    log.Add(now - prev);
    prev = now;
  }
  ::close(fd);
  ::unlink(path.c_str());
  BENCH_RETURN_IF_ERROR(result);
  FinishRow(row, count, prev - start, &log);
  row->mb_per_sec = row->ops_per_sec * 4096 / 1e6;
  return Outcome::Ok();
}

}  // namespace

void RunDurableGroup(const GroupEnv& env) {
  RunRow(env, "durable_1w",
         [&](RowResult* row) { return DurableCommits(env, "durable_1w", 1, row); });
  RunRow(env, "durable_4w", [&](RowResult* row) {
    return DurableCommits(env, "durable_4w", env.config.durable_threads, row);
  });
}

void RunValue4kGroup(const GroupEnv& env) {
  const DataSpec spec{env.config.Value4kNum(), 4096, ValueKind::kRandom};
  Store store;
  bool loaded = false;
  auto load = [&](RowResult* row) {
    BENCH_RETURN_IF_ERROR(store.Open(*env.factory, env.Params("value4k")));
    std::unique_ptr<KvSession> s;
    BENCH_RETURN_IF_ERROR(store.NewSession(&s));
    const std::vector<uint32_t> order = ShuffledOrder(spec.keys, 43);
    uint64_t nanos = 0;
    BENCH_RETURN_IF_ERROR(Fill(s.get(), env.gen, spec, &order, env.config.batch, &nanos));
    if (row) {
      row->note = store.Describe();
      FinishRow(row, spec.keys, nanos, nullptr);
      row->mb_per_sec = row->ops_per_sec * static_cast<double>(kKeySize + spec.value_size) / 1e6;
      row->file_bytes = static_cast<double>(store.Bytes());
    }
    BENCH_RETURN_IF_ERROR(VerifyAll(s.get(), env.gen, spec));
    loaded = true;
    return Outcome::Ok();
  };
  std::string load_error;
  if (env.Selected("fill4k")) {
    RunRow(env, "fill4k", load);
    if (!loaded) load_error = "fill4k failed";
  } else if (env.Selected("readrandom4k")) {
    Outcome o = load(nullptr);
    if (!o.ok()) load_error = "load: " + o.message();
  }
  if (!env.Selected("readrandom4k")) return;
  if (load_error.empty()) {
    Outcome o = store.Reopen();
    std::unique_ptr<KvSession> s;
    if (o.ok()) o = store.NewSession(&s);
    if (o.ok()) o = VerifyAll(s.get(), env.gen, spec);
    if (!o.ok()) load_error = "after reopen: " + o.message();
  }
  if (!load_error.empty()) return FailRows(env, {"readrandom4k"}, load_error);
  RunRow(env, "readrandom4k", [&](RowResult* row) {
    row->note = store.Describe();
    return ReadRandom(&store, env, spec, 1, spec.keys, 3, row);
  });
}

void RunCompressibleGroup(const GroupEnv& env) {
  RunRow(env, "compressible", [&](RowResult* row) {
    const DataSpec spec{env.config.num, env.config.value_size, ValueKind::kCompressible};
    OpenParams p = env.Params("compressible");
    p.compress = true;
    Store store;
    BENCH_RETURN_IF_ERROR(store.Open(*env.factory, p));
    std::unique_ptr<KvSession> s;
    BENCH_RETURN_IF_ERROR(store.NewSession(&s));
    const std::vector<uint32_t> order = ShuffledOrder(spec.keys, 44);
    uint64_t nanos = 0;
    BENCH_RETURN_IF_ERROR(Fill(s.get(), env.gen, spec, &order, env.config.batch, &nanos));
    FinishRow(row, spec.keys, nanos, nullptr);
    row->mb_per_sec = row->ops_per_sec * static_cast<double>(kKeySize + spec.value_size) / 1e6;
    BENCH_RETURN_IF_ERROR(store.Settle());
    row->file_bytes = static_cast<double>(store.Bytes());
    row->note = store.Describe() + "; size measured after Settle()";
    return VerifyAll(s.get(), env.gen, spec);
  });
}

void RunValue1mGroup(const GroupEnv& env) {
  const DataSpec spec{env.config.BigCount(), 1u << 20, ValueKind::kRandom};
  Store store;
  std::vector<uint64_t> sums(spec.keys);
  bool loaded = false;
  auto load = [&](RowResult* row) {
    BENCH_RETURN_IF_ERROR(store.Open(*env.factory, env.Params("value1m")));
    std::unique_ptr<KvSession> s;
    BENCH_RETURN_IF_ERROR(store.NewSession(&s));
    std::string value;
    char key[kKeySize];
    const uint64_t batch = 16;
    const uint64_t start = NowNanos();
    for (uint64_t i = 0; i < spec.keys;) {
      BENCH_RETURN_IF_ERROR(s->BeginWrite());
      for (uint64_t end = std::min(spec.keys, i + batch); i < end; ++i) {
        FormatKey(i, key);
        env.gen.Make(i, 0, spec.value_size, spec.kind, &value);
        sums[i] = WordSum(value);
        BENCH_RETURN_IF_ERROR(s->Put(Slice(key, kKeySize), value));
      }
      BENCH_RETURN_IF_ERROR(s->Commit());
    }
    const uint64_t nanos = NowNanos() - start;
    if (row) {
      row->note = store.Describe() + "; 16 puts per txn";
      FinishRow(row, spec.keys, nanos, nullptr);
      row->mb_per_sec = row->ops_per_sec * static_cast<double>(spec.value_size) / 1e6;
      row->file_bytes = static_cast<double>(store.Bytes());
    }
    BENCH_RETURN_IF_ERROR(VerifyAll(s.get(), env.gen, spec));
    loaded = true;
    return Outcome::Ok();
  };
  std::string load_error;
  if (env.Selected("fill1m")) {
    RunRow(env, "fill1m", load);
    if (!loaded) load_error = "fill1m failed";
  } else if (env.Selected("read1m_view")) {
    Outcome o = load(nullptr);
    if (!o.ok()) load_error = "load: " + o.message();
  }
  if (!env.Selected("read1m_view")) return;
  if (load_error.empty()) {
    Outcome o = store.Reopen();
    if (!o.ok()) load_error = "reopen: " + o.message();
  }
  if (!load_error.empty()) return FailRows(env, {"read1m_view"}, load_error);
  RunRow(env, "read1m_view", [&](RowResult* row) {
    std::unique_ptr<KvSession> s;
    BENCH_RETURN_IF_ERROR(store.NewSession(&s));
    char key[kKeySize];
    auto read_one = [&](uint64_t k) {
      FormatKey(k, key);
      Slice v;
      bool found = false;
      BENCH_RETURN_IF_ERROR(s->GetView(Slice(key, kKeySize), &v, &found));
      if (!found) return Outcome::Fail("key " + KeyString(k) + " not found");
      if (v.size() != spec.value_size || WordSum(v) != sums[k]) {
        return Outcome::Fail("key " + KeyString(k) + ": wrong value (" + std::to_string(v.size()) +
                             " bytes)");
      }
      return Outcome::Ok();
    };
    for (uint64_t k = 0; k < spec.keys; ++k)
      BENCH_RETURN_IF_ERROR(read_one(k));  // warm-up, untimed
    const uint64_t reads = spec.keys * 8;
    LatencyLog log;
    Rng rng(5);
    uint64_t prev = NowNanos();
    const uint64_t start = prev;
    for (uint64_t n = 0; n < reads; ++n) {
      BENCH_RETURN_IF_ERROR(read_one(rng.Uniform(spec.keys)));
      const uint64_t now = NowNanos();
      log.Add(now - prev);
      prev = now;
    }
    FinishRow(row, reads, prev - start, &log);
    row->mb_per_sec = row->ops_per_sec * static_cast<double>(spec.value_size) / 1e6;
    row->note = store.Describe() + (store.zero_copy() ? "; zero-copy view" : "; view = copy");
    return Outcome::Ok();
  });
}

void RunLargerThanCacheGroup(const GroupEnv& env) {
  RunRow(env, "larger_than_cache", [&](RowResult* row) {
    const DataSpec spec{env.config.LtcKeys(), env.config.ltc_value_size, ValueKind::kRandom};
    OpenParams p = env.Params("ltc");
    p.cache_bytes = env.config.small_cache;
    Store store;
    BENCH_RETURN_IF_ERROR(store.Open(*env.factory, p));
    {
      std::unique_ptr<KvSession> s;
      BENCH_RETURN_IF_ERROR(store.NewSession(&s));
      uint64_t nanos = 0;
      BENCH_RETURN_IF_ERROR(Fill(s.get(), env.gen, spec, nullptr, env.config.batch, &nanos));
    }
    BENCH_RETURN_IF_ERROR(store.Reopen());
    // The row's peak RSS covers load and reads; the reads' own peak goes in the note.
    const uint64_t load_peak = PeakRssBytes();
    ResetPeakRss();
    BENCH_RETURN_IF_ERROR(ReadRandom(&store, env, spec, 1, env.config.num, 6, row));
    const uint64_t read_peak = PeakRssBytes();
    row->peak_rss_bytes = static_cast<double>(std::max(load_peak, read_peak));
    row->file_bytes = static_cast<double>(store.Bytes());
    char buf[240];
    std::snprintf(buf, sizeof(buf),
                  "; %llu keys x %zu B = %.0f MiB of data, cache %llu MiB; peak RSS load %.0f MiB, "
                  "reads %.0f MiB",
                  static_cast<unsigned long long>(spec.keys), spec.value_size,
                  static_cast<double>(spec.keys * (spec.value_size + kKeySize)) / 1048576.0,
                  static_cast<unsigned long long>(p.cache_bytes >> 20),
                  static_cast<double>(load_peak) / 1048576.0,
                  static_cast<double>(read_peak) / 1048576.0);
    row->note = store.Describe() + buf;
    return Outcome::Ok();
  });
}

void RunMachineGroup(const GroupEnv& env) {
  std::error_code ec;
  std::filesystem::create_directories(env.dir, ec);
  RunRow(env, "fsync4k_append", [&](RowResult* row) {
    return RawSyncs(env.dir + "/append.dat", env.config.durable_ops, false, row);
  });
  RunRow(env, "fsync4k_overwrite", [&](RowResult* row) {
    return RawSyncs(env.dir + "/overwrite.dat", env.config.durable_ops, true, row);
  });
}

}  // namespace lightning_bench
