#include "bench/sql_concurrent.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace lightning_bench {
namespace {

// The value of key k: the key's digits, then 'v' up to size.
std::string ValueOf(uint64_t k, size_t size) {
  std::string v = std::to_string(k);
  v.resize(std::max(size, v.size()), 'v');
  return v;
}

struct Conn {
  sqlite3* db = nullptr;
  ~Conn() {
    if (db) sqlite3_close(db);
  }
  Outcome Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return Outcome::Ok();
    std::string msg = "\"" + sql + "\": " + (err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    return Outcome::Fail(msg);
  }
  Outcome Open(const ConcurrentInsertSpec& spec) {
    if (sqlite3_open(spec.db_path.c_str(), &db) != SQLITE_OK)
      return Outcome::Fail("open " + spec.db_path);
    BENCH_RETURN_IF_ERROR(Exec(std::string("PRAGMA busy_timeout=60000; PRAGMA synchronous=") +
                               (spec.sync_full ? "FULL" : "OFF")));
    if (!spec.lightning) return Outcome::Ok();
    sqlite3_enable_load_extension(db, 1);
    char* err = nullptr;
    if (sqlite3_load_extension(db, spec.extension.c_str(), "sqlite3_lightning_init", &err) !=
        SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db);
      sqlite3_free(err);
      return Outcome::Fail("load " + spec.extension + ": " + msg);
    }
    return Exec("CREATE VIRTUAL TABLE temp.t USING lightning(alias='main')");
  }
};

// Inserts keys [lo, hi) one autocommit statement each.
Outcome InsertRange(Conn* c, uint64_t lo, uint64_t hi, size_t value_size, LatencyLog* log) {
  sqlite3_stmt* ins = nullptr;
  if (sqlite3_prepare_v2(c->db, "INSERT INTO t(k, v) VALUES(?1, ?2)", -1, &ins, nullptr) !=
      SQLITE_OK)
    return Outcome::Fail(std::string("prepare: ") + sqlite3_errmsg(c->db));
  Outcome o = Outcome::Ok();
  for (uint64_t k = lo; k < hi && o.ok(); ++k) {
    const std::string v = ValueOf(k, value_size);
    sqlite3_bind_int64(ins, 1, static_cast<sqlite3_int64>(k));
    sqlite3_bind_text(ins, 2, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    const uint64_t start = NowNanos();
    if (sqlite3_step(ins) != SQLITE_DONE)
      o = Outcome::Fail("insert of key " + std::to_string(k) + ": " + sqlite3_errmsg(c->db));
    sqlite3_reset(ins);
    log->Add(NowNanos() - start);
  }
  sqlite3_finalize(ins);
  return o;
}

Outcome Verify(Conn* c, const ConcurrentInsertSpec& spec) {
  sqlite3_stmt* sel = nullptr;
  if (sqlite3_prepare_v2(c->db, "SELECT k, v FROM main.t WHERE k >= ?1 ORDER BY k", -1, &sel,
                         nullptr) != SQLITE_OK)
    return Outcome::Fail(std::string("prepare: ") + sqlite3_errmsg(c->db));
  sqlite3_bind_int64(sel, 1, static_cast<sqlite3_int64>(spec.first_key));
  uint64_t want = spec.first_key;
  Outcome o = Outcome::Ok();
  while (o.ok() && sqlite3_step(sel) == SQLITE_ROW) {
    const uint64_t k = static_cast<uint64_t>(sqlite3_column_int64(sel, 0));
    const char* v = reinterpret_cast<const char*>(sqlite3_column_text(sel, 1));
    if (k != want || v == nullptr || ValueOf(k, spec.value_size) != v)
      o = Outcome::Fail("after the concurrent inserts, key " + std::to_string(want) +
                        " is missing or wrong");
    ++want;
  }
  sqlite3_finalize(sel);
  if (o.ok() && want != spec.first_key + spec.inserts)
    o = Outcome::Fail("after the concurrent inserts, " + std::to_string(want - spec.first_key) +
                      " rows instead of " + std::to_string(spec.inserts));
  return o;
}

}  // namespace

Outcome RunConcurrentInserts(const ConcurrentInsertSpec& spec, uint64_t* nanos, LatencyLog* log) {
  const int n = spec.connections;
  std::vector<Conn> conns(static_cast<size_t>(n));
  for (Conn& c : conns) BENCH_RETURN_IF_ERROR(c.Open(spec));
  std::vector<LatencyLog> logs(static_cast<size_t>(n));
  std::vector<Outcome> outcomes(static_cast<size_t>(n), Outcome::Ok());
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      const uint64_t lo = spec.first_key + spec.inserts * i / n;
      const uint64_t hi = spec.first_key + spec.inserts * (i + 1) / n;
      logs[i].Reserve(hi - lo);
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      outcomes[i] = InsertRange(&conns[i], lo, hi, spec.value_size, &logs[i]);
    });
  }
  while (ready.load() < n) std::this_thread::yield();
  const uint64_t start = NowNanos();
  go.store(true);
  for (std::thread& t : threads) t.join();
  *nanos = NowNanos() - start;
  for (const Outcome& o : outcomes) BENCH_RETURN_IF_ERROR(o);
  for (const LatencyLog& l : logs) log->Append(l);
  return Verify(&conns[0], spec);
}

}  // namespace lightning_bench
