/*
** lightning_bench(workload, n [, value_size [, threads]]): runs one of the
** engine benchmark workloads from SQL and returns what it measured.
**
** USAGE
**
**   SELECT * FROM lightning_bench('readrandom', 100000);
**   SELECT phase, ops_per_sec, p99_us FROM lightning_bench('readrandom', 1000000, 100, 2);
**
** EXAMPLE
**
**   sqlite> SELECT phase, ops, round(ops_per_sec), p50_us, p99_us
**      ...> FROM lightning_bench('readrandom', 200000);
**   load|200000|5787402.0||
**   readrandom|200000|2867341.0|0.261|0.551
**
**   (one run on the project's 2-core VM)
**
** WORKLOADS
**
**   fillseq      n puts in ascending key order, 1000 per transaction
**   fillrandom   n puts in random key order, 1000 per transaction
**   readrandom   load n keys (fillseq), then n random gets per thread, each
**                in its own read transaction (as engine_bench's readrandom)
**   readseq      load n keys, then one cursor pass over all of them
**   mixed        load n keys, then n operations: 80% gets, 20% puts each in
**                its own transaction
**
** IMPLEMENTATION NOTES
**
**   Every call runs on a new, temporary store (sync=off, cache_size 256MiB,
**   other options at their defaults) in a fresh directory under $TMPDIR (or
**   /tmp), removed before the function returns: it never touches a user's
**   store. Keys are 16 decimal digits; values are value_size pseudo-random
**   bytes (default 100). Every get checks that the key was found and the
**   value's length. One row per phase: `load` (when the workload needs data
**   first) and the measured one. Latency percentiles time each get, put or
**   mixed operation (two clock reads around it); fills and readseq report
**   throughput only. Limits: n in 1..10,000,000, value_size in 1..65536,
**   threads in 1..64 (readrandom only).
**
**   Interruptible (ext/long_operation.h): sqlite3_interrupt, Ctrl-C in the
**   shell or a progress handler returning non-zero stops the run within
**   milliseconds with SQLITE_INTERRUPT; the temporary store is closed and
**   removed first. The progress handler (the shell's `.progress`) is called
**   while it runs.
*/
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/histogram.h"  // NowNanos
#include "ext/functions/functions.h"
#include "ext/functions/tvf.h"
#include "ext/long_operation.h"
#include "lightning/db.h"
#include "vfs/status_to_sqlite.h"

namespace lightning::ext {
namespace {

constexpr int64_t kMaxKeys = 10'000'000;
constexpr int64_t kMaxValue = 65536;
constexpr int64_t kMaxThreads = 64;
constexpr uint64_t kBatch = 1000;
constexpr uint64_t kProgressEvery = 1024;  // operations between progress reports

// Why a phase stopped early.
Status Interrupted(const std::string& phase, uint64_t done, uint64_t total) {
  return Status::Interrupted("interrupted during " + phase + " after " + std::to_string(done) +
                             " of " + std::to_string(total) +
                             " operations; the temporary store was removed");
}

void FormatKey(uint64_t i, char out[16]) {
  for (int d = 15; d >= 0; d--, i /= 10) out[d] = static_cast<char>('0' + i % 10);
}

uint64_t SplitMix(uint64_t* x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A store in a temporary directory, removed when this goes away.
class TempStore {
 public:
  ~TempStore() {
    db_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  Status Open() {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/lightning_bench.XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      return Status::IOError("cannot create a temporary directory from " + pattern + ": " +
                             std::strerror(errno));
    }
    dir_ = pattern;
    Options o;
    o.sync = SyncMode::kOff;
    o.cache_size = 256ull << 20;
    auto db = DB::Open(dir_ + "/bench.lightning", o);
    if (!db.ok()) return db.status();
    db_ = std::move(db).value();
    auto w = db_->BeginWrite();
    if (!w.ok()) return w.status();
    Status s = w.value()->CreateTree("bench", &tree_);
    return s.ok() ? w.value()->Commit() : s;
  }
  DB* db() { return db_.get(); }
  TreeId tree() const { return tree_; }

 private:
  std::string dir_;
  std::shared_ptr<DB> db_;
  TreeId tree_ = 0;
};

struct Phase {
  std::string name;
  uint64_t ops = 0;
  uint64_t nanos = 0;
  std::vector<uint32_t> latencies;  // nanoseconds per operation; empty: not timed
};

struct Params {
  std::string workload;
  uint64_t n = 0;
  size_t value_size = 100;
  int threads = 1;
};

// The value of key i, generation `generation`, into *v (its memory reused:
// the measured loops allocate nothing for values).
Slice Value(uint64_t i, uint64_t generation, size_t size, std::string* v) {
  v->resize(size);
  uint64_t x = i * 0x100000001B3ull + generation;
  for (size_t k = 0; k < size; k += 8) {
    const uint64_t r = SplitMix(&x);
    std::memcpy(v->data() + k, &r, std::min<size_t>(8, size - k));
  }
  return *v;
}

Status Fill(TempStore* st, const Params& p, bool random, Phase* phase, LongOperation* op) {
  std::vector<uint64_t> order(p.n);
  std::iota(order.begin(), order.end(), 0);
  if (random) std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
  const uint64_t start = NowNanos();
  char key[16];
  std::string value;
  for (uint64_t b = 0; b < p.n; b += kBatch) {
    auto w = st->db()->BeginWrite();
    if (!w.ok()) return w.status();
    for (uint64_t i = b; i < std::min(p.n, b + kBatch); i++) {
      // Every 64 puts: a batch of large values takes a while.
      if (i % 64 == 0 && !op->Continue(phase->name, b, p.n))
        return Interrupted(phase->name, b, p.n);
      FormatKey(order[i], key);
      LIGHTNING_RETURN_IF_ERROR(
          w.value()->Put(st->tree(), Slice(key, 16), Value(order[i], 0, p.value_size, &value)));
    }
    LIGHTNING_RETURN_IF_ERROR(w.value()->Commit());
  }
  phase->ops = p.n;
  phase->nanos = NowNanos() - start;
  return Status::OK();
}

// The readers run on threads of their own; this thread watches them and the
// connection (LongOperation probes it from the connection's thread only).
Status ReadRandom(TempStore* st, const Params& p, Phase* phase, LongOperation* op) {
  phase->latencies.resize(p.n * static_cast<uint64_t>(p.threads));
  std::vector<Status> errors(static_cast<size_t>(p.threads));
  std::atomic<bool> go{false}, stop{false};
  std::atomic<uint64_t> done{0};
  std::atomic<int> finished{0};
  auto read = [&](int t) {
    std::mt19937_64 rng(1000 + static_cast<uint64_t>(t));
    uint32_t* lat = phase->latencies.data() + p.n * static_cast<uint64_t>(t);
    char key[16];
    while (!go.load()) std::this_thread::yield();
    for (uint64_t i = 0; i < p.n; i++) {
      if (i % kProgressEvery == 0 && i > 0) {
        done.fetch_add(kProgressEvery, std::memory_order_relaxed);
        if (stop.load(std::memory_order_relaxed)) return;
      }
      FormatKey(rng() % p.n, key);
      const uint64_t t0 = NowNanos();
      auto r = st->db()->BeginRead();
      if (!r.ok()) {
        errors[static_cast<size_t>(t)] = r.status();
        return;
      }
      Slice v;
      Status s = r.value()->GetView(st->tree(), Slice(key, 16), &v);
      if (s.ok() && v.size() != p.value_size)
        s = Status::Corruption("a value has the wrong length");
      if (!s.ok()) {
        errors[static_cast<size_t>(t)] = s;
        return;
      }
      r.value().reset();
      lat[i] = static_cast<uint32_t>(std::min<uint64_t>(NowNanos() - t0, UINT32_MAX));
    }
  };
  auto reader = [&](int t) {
    read(t);
    finished.fetch_add(1);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < p.threads; t++) threads.emplace_back(reader, t);
  const uint64_t start = NowNanos();
  const uint64_t total = p.n * static_cast<uint64_t>(p.threads);
  go.store(true);
  while (finished.load() < p.threads) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!stop.load() && !op->Continue(phase->name, done.load(), total)) stop.store(true);
  }
  for (auto& t : threads) t.join();
  phase->nanos = NowNanos() - start;
  phase->ops = total;
  if (stop.load()) return Interrupted(phase->name, done.load(), total);
  for (const Status& s : errors) LIGHTNING_RETURN_IF_ERROR(s);
  return Status::OK();
}

Status ReadSeq(TempStore* st, const Params& p, Phase* phase, LongOperation* op) {
  const uint64_t start = NowNanos();
  auto r = st->db()->BeginRead();
  if (!r.ok()) return r.status();
  auto c = r.value()->NewCursor(st->tree());
  if (!c.ok()) return c.status();
  uint64_t rows = 0, bytes = 0;
  for (c.value()->SeekToFirst(); c.value()->Valid(); c.value()->Next()) {
    if (rows % kProgressEvery == 0 && !op->Continue(phase->name, rows, p.n)) {
      return Interrupted(phase->name, rows, p.n);
    }
    rows++;
    bytes += c.value()->value().size();
  }
  LIGHTNING_RETURN_IF_ERROR(c.value()->status());
  phase->nanos = NowNanos() - start;
  phase->ops = rows;
  if (rows != p.n || bytes != p.n * p.value_size) {
    return Status::Corruption("the scan returned " + std::to_string(rows) + " rows, expected " +
                              std::to_string(p.n));
  }
  return Status::OK();
}

Status Mixed(TempStore* st, const Params& p, Phase* phase, LongOperation* op) {
  phase->latencies.resize(p.n);
  std::mt19937_64 rng(7);
  char key[16];
  std::string value;
  const uint64_t start = NowNanos();
  for (uint64_t i = 0; i < p.n; i++) {
    if (i % kProgressEvery == 0 && !op->Continue(phase->name, i, p.n)) {
      return Interrupted(phase->name, i, p.n);
    }
    const uint64_t k = rng() % p.n;
    const bool put = rng() % 5 == 0;
    FormatKey(k, key);
    const uint64_t t0 = NowNanos();
    if (put) {
      auto w = st->db()->BeginWrite();
      if (!w.ok()) return w.status();
      LIGHTNING_RETURN_IF_ERROR(
          w.value()->Put(st->tree(), Slice(key, 16), Value(k, i + 1, p.value_size, &value)));
      LIGHTNING_RETURN_IF_ERROR(w.value()->Commit());
    } else {
      auto r = st->db()->BeginRead();
      if (!r.ok()) return r.status();
      Slice v;
      LIGHTNING_RETURN_IF_ERROR(r.value()->GetView(st->tree(), Slice(key, 16), &v));
      if (v.size() != p.value_size) return Status::Corruption("a value has the wrong length");
    }
    phase->latencies[i] = static_cast<uint32_t>(std::min<uint64_t>(NowNanos() - t0, UINT32_MAX));
  }
  phase->nanos = NowNanos() - start;
  phase->ops = p.n;
  return Status::OK();
}

Cell Percentile(std::vector<uint32_t>* v, double q) {
  if (v->empty()) return Cell();
  size_t rank = static_cast<size_t>(q * static_cast<double>(v->size()));
  if (rank >= v->size()) rank = v->size() - 1;
  std::nth_element(v->begin(), v->begin() + static_cast<ptrdiff_t>(rank), v->end());
  return Cell(static_cast<double>((*v)[rank]) / 1000.0);
}

// An integer argument in [lo, hi]; names it in the error otherwise.
int IntArg(sqlite3_value* v, const char* name, int64_t lo, int64_t hi, int64_t* out,
           std::string* err) {
  if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER || sqlite3_value_int64(v) < lo ||
      sqlite3_value_int64(v) > hi) {
    *err = std::string("lightning_bench: ") + name + " must be an integer from " +
           std::to_string(lo) + " to " + std::to_string(hi) + ", got '" + ValueText(v) + "'";
    return SQLITE_ERROR;
  }
  *out = sqlite3_value_int64(v);
  return SQLITE_OK;
}

int FillBench(sqlite3* db, sqlite3_value** args, std::vector<Row>* rows, std::string* err) {
  Params p;
  p.workload = ValueText(args[0]);
  int64_t n = 0, value_size = 100, threads = 1;
  int rc = IntArg(args[1], "n", 1, kMaxKeys, &n, err);
  if (rc == SQLITE_OK && args[2] != nullptr)
    rc = IntArg(args[2], "value_size", 1, kMaxValue, &value_size, err);
  if (rc == SQLITE_OK && args[3] != nullptr)
    rc = IntArg(args[3], "threads", 1, kMaxThreads, &threads, err);
  if (rc != SQLITE_OK) return rc;
  p.n = static_cast<uint64_t>(n);
  p.value_size = static_cast<size_t>(value_size);
  p.threads = static_cast<int>(threads);
  const bool known = p.workload == "fillseq" || p.workload == "fillrandom" ||
                     p.workload == "readrandom" || p.workload == "readseq" || p.workload == "mixed";
  if (!known) {
    *err = "lightning_bench: unknown workload '" + p.workload +
           "'; expected fillseq, fillrandom, readrandom, readseq or mixed";
    return SQLITE_ERROR;
  }
  if (p.threads > 1 && p.workload != "readrandom") {
    *err = "lightning_bench: threads applies to readrandom only";
    return SQLITE_ERROR;
  }

  std::vector<Phase> phases;
  Status s;
  {
    LongOperation op(db, "bench", nullptr);
    TempStore store;  // closed and removed at the end of this block
    s = store.Open();
    if (s.ok()) {
      if (p.workload == "fillseq" || p.workload == "fillrandom") {
        phases.push_back({p.workload});
        s = Fill(&store, p, p.workload == "fillrandom", &phases.back(), &op);
      } else {
        phases.push_back({"load"});
        s = Fill(&store, p, false, &phases.back(), &op);
        if (s.ok()) {
          phases.push_back({p.workload});
          Phase* m = &phases.back();
          s = p.workload == "readrandom" ? ReadRandom(&store, p, m, &op)
              : p.workload == "readseq"  ? ReadSeq(&store, p, m, &op)
                                         : Mixed(&store, p, m, &op);
        }
      }
    }
  }
  if (!s.ok()) {
    *err = "lightning_bench: " + StatusToSqliteMessage(s);
    return StatusToSqliteCode(s, SqliteContext::kGeneral);
  }
  for (Phase& ph : phases) {
    const double secs = static_cast<double>(ph.nanos) / 1e9;
    rows->push_back(
        Row{ph.name, static_cast<int64_t>(ph.ops), secs,
            secs > 0 ? Cell(static_cast<double>(ph.ops) / secs) : Cell(),
            Percentile(&ph.latencies, 0.50), Percentile(&ph.latencies, 0.95),
            Percentile(&ph.latencies, 0.99), Percentile(&ph.latencies, 0.999),
            ph.latencies.empty()
                ? Cell()
                : Cell(*std::max_element(ph.latencies.begin(), ph.latencies.end()) / 1000.0)});
  }
  return SQLITE_OK;
}

const TvfSpec kBench = {
    .name = "lightning_bench",
    .schema =
        "CREATE TABLE x("
        " phase TEXT,"        /* 0 load, or the workload measured */
        " ops INTEGER,"       /* 1 operations done in the phase */
        " seconds REAL,"      /* 2 wall time of the phase */
        " ops_per_sec REAL,"  /* 3 ops / seconds */
        " p50_us REAL,"       /* 4 per-operation latency; NULL where not timed */
        " p95_us REAL,"       /* 5 */
        " p99_us REAL,"       /* 6 */
        " p999_us REAL,"      /* 7 */
        " max_us REAL,"       /* 8 */
        " workload HIDDEN,"   /* 9 argument */
        " n HIDDEN,"          /* 10 argument: keys */
        " value_size HIDDEN," /* 11 argument: bytes per value (100) */
        " threads HIDDEN"     /* 12 argument: reader threads (1) */
        ")",
    .num_columns = 13,
    .num_args = 4,
    .required_args = 2,
    .usage = "lightning_bench(workload, n [, value_size [, threads]])",
    .fill = FillBench,
    .update = nullptr,
};

}  // namespace

int RegisterBenchFunctions(sqlite3* db) { return RegisterTvf(db, &kBench); }

}  // namespace lightning::ext
