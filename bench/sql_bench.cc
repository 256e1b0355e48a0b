// sql_bench: the same SQL against a native SQLite table and a lightning
// virtual table, through the SQLite C API.
//
// USAGE
//   sql_bench [--rows 1000000] [--value_size 100] [--runs 3] [--sync full|off]
//             [--extension build/lightning.so] [--faces native,lightning]
//             [--json FILE] [--baseline FILE] [--dir DIR]
//
//   native:    CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)
//   lightning: CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v TEXT, <options>)
//
// Workloads (each verified; a wrong or missing row fails the run):
//   bulk_insert        rows INSERTs with ascending keys in one transaction
//   point_lookup       SELECT v FROM t WHERE k=?  (prepared, random keys)
//   range_scan         SELECT k, v FROM t WHERE k BETWEEN ?1 AND ?1+99
//   full_scan          SELECT count(*), sum(length(v)) FROM t   (rows/s)
//   autocommit_update  UPDATE t SET v=? WHERE k=?, each its own transaction
//   concurrent_insert  --connections connections (default 4), each in its own
//                      thread, INSERT new keys in autocommit mode; lightning's
//                      connections write through a temp alias of t
//                      (sql_concurrent.h)
//   indexed_insert     rows INSERTs into x, a table with two secondary indexes
//                      (UNIQUE on email, non-unique on grp), in one transaction
//   index_lookup       SELECT k, v FROM x WHERE email=?  (through the UNIQUE index)
//
//   x, native:    CREATE TABLE x(k INTEGER PRIMARY KEY, email TEXT, grp INTEGER, v TEXT)
//                 + CREATE UNIQUE INDEX x_email ON x(email), CREATE INDEX x_grp ON x(grp)
//   x, lightning: the same columns with UNIQUE INDEX ux_email(email), INDEX ix_grp(grp)
//
// Both faces use a database file in a fresh directory, journal_mode=WAL and
// the same synchronous level (--sync: FULL or OFF; the lightning table gets
// sync=full|off) and cache size. Each (run, face) runs in a forked child.
//
// The extension is loaded with sqlite3_enable_load_extension +
// sqlite3_load_extension; if it cannot be loaded sql_bench says so and exits 2.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/child_process.h"
#include "bench/flags.h"
#include "bench/report.h"
#include "bench/sql_concurrent.h"

namespace lightning_bench {
namespace {

struct SqlFlags {
  uint64_t rows = 1000000;
  size_t value_size = 100;
  int runs = 1;
  bool sync_full = true;
  uint64_t cache_size = 256ull << 20;
  uint64_t lookups = 0;      // 0: rows
  uint64_t range_scans = 0;  // 0: rows / 20
  uint64_t full_scans = 5;
  uint64_t updates = 0;  // 0: 2000 with --sync full, 50000 with off
  int connections = 4;
  uint64_t concurrent_inserts = 0;  // 0: 4000 with --sync full, 40000 with off
  std::string extension;
  std::string vtab_options;  // extra "name=value, ..." for the lightning table
  std::vector<std::string> faces = {"native", "lightning"};
  std::string dir, json, baseline;
  double noise = 0.10;
  int timeout_s = 3600;

  uint64_t Lookups() const { return lookups ? lookups : rows; }
  uint64_t RangeScans() const {
    return range_scans ? range_scans : std::max<uint64_t>(rows / 20, 10);
  }
  uint64_t Updates() const { return updates ? updates : (sync_full ? 2000 : 50000); }
  uint64_t ConcurrentInserts() const {
    return concurrent_inserts ? concurrent_inserts : (sync_full ? 4000 : 40000);
  }
};

const char* const kWorkloads[] = {"bulk_insert",    "point_lookup",      "range_scan",
                                  "full_scan",      "autocommit_update", "concurrent_insert",
                                  "indexed_insert", "index_lookup"};

// The email of row k of table x (unique per k).
std::string EmailOf(uint64_t k) { return "user" + std::to_string(k) + "@example.org"; }

// The text value of key k: its 16-digit key, then letters (deterministic).
void MakeText(uint64_t k, uint32_t gen, size_t size, std::string* out) {
  out->resize(size);
  char* p = out->data();
  FormatKey(k, p);
  Rng rng(lightning::test::Mix(k, gen));
  for (size_t i = kKeySize; i < size; ++i) p[i] = static_cast<char>('a' + rng.Uniform(26));
}

bool TextMatchesKey(uint64_t k, const unsigned char* v, int len, size_t size) {
  char key[kKeySize];
  FormatKey(k, key);
  return v && static_cast<size_t>(len) == size && std::memcmp(v, key, kKeySize) == 0;
}

class Db {
 public:
  ~Db() {
    for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
    if (db_) sqlite3_close(db_);
  }
  Outcome Open(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) return Fail("open " + path);
    return Outcome::Ok();
  }
  Outcome LoadExtension(const std::string& path) {
    if (::access(path.c_str(), R_OK) != 0) {
      return Outcome::Fail("cannot load the Lightning extension: " + path +
                           " does not exist or is not readable");
    }
    sqlite3_enable_load_extension(db_, 1);
    char* err = nullptr;
    if (sqlite3_load_extension(db_, path.c_str(), "sqlite3_lightning_init", &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return Outcome::Fail("cannot load the Lightning extension from " + path + ": " + msg);
    }
    return Outcome::Ok();
  }
  Outcome Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = "\"" + sql + "\": " + (err ? err : "?");
      sqlite3_free(err);
      return Outcome::Fail(msg);
    }
    return Outcome::Ok();
  }
  // A cached prepared statement, reset and with bindings cleared.
  Outcome Prepare(const std::string& sql, sqlite3_stmt** out) {
    auto it = stmts_.find(sql);
    if (it == stmts_.end()) {
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) !=
          SQLITE_OK) {
        return Fail("prepare \"" + sql + "\"");
      }
      it = stmts_.emplace(sql, s).first;
    }
    *out = it->second;
    return Outcome::Ok();
  }
  Outcome Fail(const std::string& what) const {
    return Outcome::Fail(what + ": " + sqlite3_errmsg(db_));
  }
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*> stmts_;
};

// One face: open, create, run every workload, report rows through `emit`.
class FaceRun {
 public:
  FaceRun(const SqlFlags& f, std::string face, std::string dir, int run,
          std::function<void(const RowResult&)> emit)
      : f_(f), face_(std::move(face)), dir_(std::move(dir)), run_(run), emit_(std::move(emit)) {}

  void Run() {
    Outcome setup = Setup();
    for (const char* w : kWorkloads) {
      RowResult row;
      row.engine = face_;
      row.workload = w;
      row.run = run_;
      row.note = note_;
      Outcome o = setup.ok() ? RunWorkload(w, &row) : Outcome::Fail("setup: " + setup.message());
      if (!o.ok()) {
        row.ok = false;
        row.error = o.message();
        if (setup.ok() && std::string(w) == "bulk_insert")
          setup = Outcome::Fail("bulk_insert failed");
      }
      emit_(row);
    }
    if (face_ == "lightning" && setup.ok()) PrintStats();
  }

 private:
  Outcome Setup() {
    std::filesystem::create_directories(dir_);
    BENCH_RETURN_IF_ERROR(db_.Open(dir_ + "/" + face_ + ".db"));
    const char* sync = f_.sync_full ? "FULL" : "OFF";
    BENCH_RETURN_IF_ERROR(db_.Exec(std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") +
                                   sync + "; PRAGMA cache_size=-" +
                                   std::to_string(f_.cache_size >> 10)));
    if (face_ == "native") {
      note_ = std::string(
                  "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT); journal_mode=WAL, synchronous=") +
              sync;
      BENCH_RETURN_IF_ERROR(
          db_.Exec("CREATE TABLE x(k INTEGER PRIMARY KEY, email TEXT, grp INTEGER, v TEXT); "
                   "CREATE UNIQUE INDEX x_email ON x(email); CREATE INDEX x_grp ON x(grp)"));
      return db_.Exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)");
    }
    BENCH_RETURN_IF_ERROR(db_.LoadExtension(f_.extension));
    std::string options = std::string("sync=") + (f_.sync_full ? "full" : "off") +
                          ", cache_size='" + std::to_string(f_.cache_size >> 20) + "MB'";
    if (!f_.vtab_options.empty()) options += ", " + f_.vtab_options;
    const std::string create =
        "CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v TEXT, " + options + ")";
    note_ = create;
    BENCH_RETURN_IF_ERROR(
        db_.Exec("CREATE VIRTUAL TABLE x USING lightning(k INTEGER PRIMARY KEY, email TEXT, grp "
                 "INTEGER, v TEXT, UNIQUE INDEX ux_email(email), INDEX ix_grp(grp), " +
                 options + ")"));
    return db_.Exec(create);
  }

  Outcome RunWorkload(const std::string& w, RowResult* row) {
    if (w == "bulk_insert") return BulkInsert(row);
    if (w == "point_lookup") return PointLookups(row);
    if (w == "range_scan") return RangeScans(row);
    if (w == "full_scan") return FullScans(row);
    if (w == "concurrent_insert") return ConcurrentInserts(row);
    if (w == "indexed_insert") return IndexedInsert(row);
    if (w == "index_lookup") return IndexLookups(row);
    return Updates(row);
  }

  Outcome Step(sqlite3_stmt* s, int want) {
    int rc = sqlite3_step(s);
    if (rc != want) return db_.Fail(std::string("step \"") + sqlite3_sql(s) + "\"");
    return Outcome::Ok();
  }

  Outcome BulkInsert(RowResult* row) {
    sqlite3_stmt* ins;
    BENCH_RETURN_IF_ERROR(db_.Prepare("INSERT INTO t(k, v) VALUES(?1, ?2)", &ins));
    std::string text;
    const uint64_t start = NowNanos();
    BENCH_RETURN_IF_ERROR(db_.Exec("BEGIN"));
    for (uint64_t k = 0; k < f_.rows; ++k) {
      MakeText(k, 0, f_.value_size, &text);
      sqlite3_bind_int64(ins, 1, static_cast<sqlite3_int64>(k));
      sqlite3_bind_text(ins, 2, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      BENCH_RETURN_IF_ERROR(Step(ins, SQLITE_DONE));
      sqlite3_reset(ins);
    }
    BENCH_RETURN_IF_ERROR(db_.Exec("COMMIT"));
    Finish(row, f_.rows, NowNanos() - start, nullptr);
    row->file_bytes = static_cast<double>(DirBytes(dir_));
    return Outcome::Ok();
  }

  Outcome IndexedInsert(RowResult* row) {
    sqlite3_stmt* ins;
    BENCH_RETURN_IF_ERROR(
        db_.Prepare("INSERT INTO x(k, email, grp, v) VALUES(?1, ?2, ?3, ?4)", &ins));
    std::string text, email;
    const uint64_t start = NowNanos();
    BENCH_RETURN_IF_ERROR(db_.Exec("BEGIN"));
    for (uint64_t k = 0; k < f_.rows; ++k) {
      MakeText(k, 0, f_.value_size, &text);
      email = EmailOf(k);
      sqlite3_bind_int64(ins, 1, static_cast<sqlite3_int64>(k));
      sqlite3_bind_text(ins, 2, email.data(), static_cast<int>(email.size()), SQLITE_STATIC);
      sqlite3_bind_int64(ins, 3, static_cast<sqlite3_int64>(k % 1000));
      sqlite3_bind_text(ins, 4, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      BENCH_RETURN_IF_ERROR(Step(ins, SQLITE_DONE));
      sqlite3_reset(ins);
    }
    BENCH_RETURN_IF_ERROR(db_.Exec("COMMIT"));
    Finish(row, f_.rows, NowNanos() - start, nullptr);
    row->note = "table x with 2 secondary indexes; " + note_;
    return Outcome::Ok();
  }

  Outcome IndexLookups(RowResult* row) {
    sqlite3_stmt* sel;
    BENCH_RETURN_IF_ERROR(db_.Prepare("SELECT k, v FROM x WHERE email=?1", &sel));
    const uint64_t n = f_.Lookups();
    LatencyLog log;
    log.Reserve(n);
    Rng rng(14);
    std::string email;
    uint64_t prev = NowNanos();
    const uint64_t start = prev;
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t k = rng.Uniform(f_.rows);
      email = EmailOf(k);
      sqlite3_bind_text(sel, 1, email.data(), static_cast<int>(email.size()), SQLITE_STATIC);
      int rc = sqlite3_step(sel);
      const bool ok = rc == SQLITE_ROW &&
                      static_cast<uint64_t>(sqlite3_column_int64(sel, 0)) == k &&
                      TextMatchesKey(k, sqlite3_column_text(sel, 1), sqlite3_column_bytes(sel, 1),
                                     f_.value_size);
      sqlite3_reset(sel);
      if (!ok) return Outcome::Fail("email of key " + std::to_string(k) + " not found or wrong");
      const uint64_t now = NowNanos();
      log.Add(now - prev);
      prev = now;
    }
    Finish(row, n, prev - start, &log);
    row->note = "through the UNIQUE index on email; " + note_;
    return Outcome::Ok();
  }

  Outcome PointLookups(RowResult* row) {
    sqlite3_stmt* sel;
    BENCH_RETURN_IF_ERROR(db_.Prepare("SELECT v FROM t WHERE k=?1", &sel));
    const uint64_t n = f_.Lookups();
    LatencyLog log;
    log.Reserve(n);
    Rng rng(11);
    uint64_t prev = NowNanos();
    const uint64_t start = prev;
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t k = rng.Uniform(f_.rows);
      sqlite3_bind_int64(sel, 1, static_cast<sqlite3_int64>(k));
      int rc = sqlite3_step(sel);
      if (rc != SQLITE_ROW) {
        sqlite3_reset(sel);
        return rc == SQLITE_DONE ? Outcome::Fail("key " + std::to_string(k) + " not found")
                                 : db_.Fail("point lookup");
      }
      if (!TextMatchesKey(k, sqlite3_column_text(sel, 0), sqlite3_column_bytes(sel, 0),
                          f_.value_size)) {
        sqlite3_reset(sel);
        return Outcome::Fail("key " + std::to_string(k) + " returned a wrong value");
      }
      sqlite3_reset(sel);
      const uint64_t now = NowNanos();
      log.Add(now - prev);
      prev = now;
    }
    Finish(row, n, prev - start, &log);
    return Outcome::Ok();
  }

  Outcome RangeScans(RowResult* row) {
    sqlite3_stmt* sel;
    BENCH_RETURN_IF_ERROR(db_.Prepare("SELECT k, v FROM t WHERE k BETWEEN ?1 AND ?1+99", &sel));
    const uint64_t n = f_.RangeScans();
    LatencyLog log;
    log.Reserve(n);
    Rng rng(12);
    uint64_t prev = NowNanos();
    const uint64_t start = prev;
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t lo = rng.Uniform(f_.rows);
      sqlite3_bind_int64(sel, 1, static_cast<sqlite3_int64>(lo));
      uint64_t count = 0, key_sum = 0;
      int rc;
      while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        const uint64_t k = static_cast<uint64_t>(sqlite3_column_int64(sel, 0));
        if (!TextMatchesKey(k, sqlite3_column_text(sel, 1), sqlite3_column_bytes(sel, 1),
                            f_.value_size)) {
          sqlite3_reset(sel);
          return Outcome::Fail("range from " + std::to_string(lo) + ": key " + std::to_string(k) +
                               " has a wrong value");
        }
        ++count;
        key_sum += k;
      }
      sqlite3_reset(sel);
      if (rc != SQLITE_DONE) return db_.Fail("range scan");
      const uint64_t hi = std::min(lo + 99, f_.rows - 1);
      const uint64_t want = hi - lo + 1, want_sum = (lo + hi) * want / 2;
      if (count != want || key_sum != want_sum) {
        return Outcome::Fail("range " + std::to_string(lo) + ".." + std::to_string(lo + 99) + ": " +
                             std::to_string(count) + " rows, expected " + std::to_string(want));
      }
      const uint64_t now = NowNanos();
      log.Add(now - prev);
      prev = now;
    }
    Finish(row, n, prev - start, &log);
    return Outcome::Ok();
  }

  Outcome FullScans(RowResult* row) {
    sqlite3_stmt* sel;
    BENCH_RETURN_IF_ERROR(db_.Prepare("SELECT count(*), sum(length(v)) FROM t", &sel));
    const uint64_t start = NowNanos();
    for (uint64_t i = 0; i < f_.full_scans; ++i) {
      BENCH_RETURN_IF_ERROR(Step(sel, SQLITE_ROW));
      const uint64_t count = static_cast<uint64_t>(sqlite3_column_int64(sel, 0));
      const uint64_t bytes = static_cast<uint64_t>(sqlite3_column_int64(sel, 1));
      sqlite3_reset(sel);
      if (count != f_.rows || bytes != f_.rows * f_.value_size) {
        return Outcome::Fail("full scan: count " + std::to_string(count) + ", bytes " +
                             std::to_string(bytes) + "; expected " + std::to_string(f_.rows) +
                             ", " + std::to_string(f_.rows * f_.value_size));
      }
    }
    Finish(row, f_.full_scans * f_.rows, NowNanos() - start, nullptr);
    row->note = "ops = rows scanned; " + note_;
    return Outcome::Ok();
  }

  Outcome Updates(RowResult* row) {
    sqlite3_stmt* upd;
    BENCH_RETURN_IF_ERROR(db_.Prepare("UPDATE t SET v=?2 WHERE k=?1", &upd));
    const uint64_t n = f_.Updates();
    LatencyLog log;
    Rng rng(13);
    std::string text;
    std::vector<std::pair<uint64_t, uint32_t>> done;
    uint64_t prev = NowNanos();
    const uint64_t start = prev;
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t k = rng.Uniform(f_.rows);
      MakeText(k, static_cast<uint32_t>(i + 1), f_.value_size, &text);
      sqlite3_bind_int64(upd, 1, static_cast<sqlite3_int64>(k));
      sqlite3_bind_text(upd, 2, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      BENCH_RETURN_IF_ERROR(Step(upd, SQLITE_DONE));
      sqlite3_reset(upd);
      if (sqlite3_changes(db_.get()) != 1)
        return Outcome::Fail("UPDATE of key " + std::to_string(k) + " changed no row");
      if (i % 97 == 0) done.emplace_back(k, static_cast<uint32_t>(i + 1));
      const uint64_t now = NowNanos();
      log.Add(now - prev);
      prev = now;
    }
    Finish(row, n, prev - start, &log);
    // Untimed: a sample of the updates is visible.
    sqlite3_stmt* sel;
    BENCH_RETURN_IF_ERROR(db_.Prepare("SELECT v FROM t WHERE k=?1", &sel));
    std::map<uint64_t, uint32_t> last;
    for (auto& [k, gen] : done) last[k] = gen;
    for (auto& [k, gen] : last) {
      (void)gen;
      sqlite3_bind_int64(sel, 1, static_cast<sqlite3_int64>(k));
      int rc = sqlite3_step(sel);
      bool ok = rc == SQLITE_ROW && TextMatchesKey(k, sqlite3_column_text(sel, 0),
                                                   sqlite3_column_bytes(sel, 0), f_.value_size);
      sqlite3_reset(sel);
      if (!ok)
        return Outcome::Fail("after updates, key " + std::to_string(k) + " is missing or wrong");
    }
    return Outcome::Ok();
  }

  Outcome ConcurrentInserts(RowResult* row) {
    ConcurrentInsertSpec spec;
    spec.db_path = dir_ + "/" + face_ + ".db";
    spec.extension = f_.extension;
    spec.lightning = face_ == "lightning";
    spec.sync_full = f_.sync_full;
    spec.connections = f_.connections;
    spec.inserts = f_.ConcurrentInserts();
    spec.first_key = f_.rows;  // after the bulk-inserted keys
    spec.value_size = f_.value_size;
    uint64_t nanos = 0;
    LatencyLog log;
    BENCH_RETURN_IF_ERROR(RunConcurrentInserts(spec, &nanos, &log));
    Finish(row, spec.inserts, nanos, &log);
    row->note = std::to_string(spec.connections) + " connections, one thread each" +
                (spec.lightning ? ", temp alias of t; " : "; ") + note_;
    return Outcome::Ok();
  }

  void Finish(RowResult* row, uint64_t ops, uint64_t nanos, LatencyLog* log) {
    row->ops = ops;
    row->seconds = static_cast<double>(nanos) / 1e9;
    row->ops_per_sec = nanos ? static_cast<double>(ops) * 1e9 / static_cast<double>(nanos) : 0;
    if (log && log->size()) {
      row->p50_us = log->PercentileMicros(0.5);
      row->p95_us = log->PercentileMicros(0.95);
      row->p99_us = log->PercentileMicros(0.99);
      row->p999_us = log->PercentileMicros(0.999);
    }
  }

  void PrintStats() {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_.get(), "SELECT * FROM lightning_stats()", -1, &s, nullptr) !=
        SQLITE_OK) {
      std::printf("    (lightning_stats() unavailable: %s)\n", sqlite3_errmsg(db_.get()));
      return;
    }
    std::printf("    lightning_stats() after run %d:\n", run_);
    int rows = 0;
    while (sqlite3_step(s) == SQLITE_ROW && rows++ < 60) {
      std::printf("     ");
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        const unsigned char* t = sqlite3_column_text(s, c);
        std::printf(" %s=%s", sqlite3_column_name(s, c),
                    t ? reinterpret_cast<const char*>(t) : "NULL");
      }
      std::printf("\n");
    }
    sqlite3_finalize(s);
  }

  const SqlFlags& f_;
  std::string face_, dir_;
  int run_;
  std::function<void(const RowResult&)> emit_;
  Db db_;
  std::string note_;
};

std::string DefaultExtension() {
  const std::string relative = "build/lightning.so";
  if (::access(relative.c_str(), R_OK) == 0) return relative;
  return (std::filesystem::path(LIGHTNING_SOURCE_DIR) / "build" / "lightning.so")
      .lexically_normal()
      .string();
}

// Returns -1 to go on, or an exit code (0 after --help).
int ParseFlags(int argc, char** argv, SqlFlags* f) {
  CLI::App app("sql_bench: native SQLite table vs lightning virtual table", "sql_bench");
  app.add_option("--rows", f->rows, "rows in the table (1000000)")
      ->check(CLI::Range(100ull, 1ull << 40));
  app.add_option("--value_size", f->value_size, "bytes of each text value (100)")
      ->check(CLI::Range(kKeySize, size_t{1} << 20));
  app.add_option("--runs", f->runs, "repetitions; medians are reported (1)")
      ->check(CLI::Range(1, 1000));
  std::string sync = "full";
  app.add_option("--sync", sync, "synchronous=FULL, or OFF on both faces (full)")
      ->check(CLI::IsMember({"full", "off"}));
  app.add_option("--cache_size", f->cache_size, "page cache of both faces (256MB)")
      ->transform(ByteSize());
  app.add_option("--lookups", f->lookups, "point lookups (rows)");
  app.add_option("--range_scans", f->range_scans, "range scans of 100 rows (rows/20)");
  app.add_option("--full_scans", f->full_scans, "full scans (5)");
  app.add_option("--updates", f->updates, "autocommit updates (2000 with sync full, 50000 off)");
  app.add_option("--connections", f->connections, "connections of concurrent_insert (4)")
      ->check(CLI::Range(1, 64));
  app.add_option("--concurrent_inserts", f->concurrent_inserts,
                 "rows inserted by concurrent_insert (4000 with sync full, 40000 off)");
  app.add_option("--extension", f->extension, "lightning.so to load (build/lightning.so)");
  app.add_option("--vtab_options", f->vtab_options,
                 "extra 'name=value, ...' for the lightning table");
  app.add_option("--faces", f->faces, "native and/or lightning, comma-separated (both)")
      ->delimiter(',')
      ->check(CLI::IsMember({"native", "lightning"}));
  app.add_option("--json", f->json, "write results (medians and every run) as JSON");
  app.add_option("--baseline", f->baseline, "compare with a JSON written earlier");
  app.add_option("--noise", f->noise, "regression threshold, fraction of the median (0.10)")
      ->check(CLI::Range(0.0, 10.0));
  app.add_option("--dir", f->dir, "where databases are created (a fresh mkdtemp under /tmp)");
  app.add_option("--timeout", f->timeout_s, "seconds one (run, face) child may take (3600)")
      ->check(CLI::Range(1, 1 << 30));
  if (int rc = ParseCommandLine(app, argc, argv); rc >= 0) return rc;
  f->sync_full = sync == "full";
  if (f->extension.empty()) f->extension = DefaultExtension();
  return -1;
}

int Main(int argc, char** argv) {
  SqlFlags f;
  if (int rc = ParseFlags(argc, argv, &f); rc >= 0) return rc;

  // Fail early, and clearly, when the extension cannot be loaded.
  if (std::find(f.faces.begin(), f.faces.end(), "lightning") != f.faces.end()) {
    Db probe;
    Outcome o = probe.Open(":memory:");
    if (o.ok()) o = probe.LoadExtension(f.extension);
    if (!o.ok()) {
      std::fprintf(
          stderr,
          "sql_bench: %s\n"
          "  Build it first (cmake --build build --target lightning), pass --extension PATH,\n"
          "  or run only the native face with --faces native.\n",
          o.message().c_str());
      return 2;
    }
  }

  bool own_dir = f.dir.empty();
  std::string base = f.dir;
  if (own_dir) {
    char tmpl[] = "/tmp/lightning_sql_bench.XXXXXX";
    if (!::mkdtemp(tmpl)) {
      std::perror("sql_bench: mkdtemp");
      return 2;
    }
    base = tmpl;
  }
  std::printf(
      "sql_bench: rows=%llu value_size=%zu runs=%d sync=%s cache=%llu MiB extension=%s sqlite=%s\n",
      static_cast<unsigned long long>(f.rows), f.value_size, f.runs, f.sync_full ? "full" : "off",
      static_cast<unsigned long long>(f.cache_size >> 20), f.extension.c_str(),
      sqlite3_libversion());
  std::vector<RowResult> rows;
  auto progress = [&](const RowResult& r) {
    rows.push_back(r);
    if (r.ok) {
      std::printf("  [run %d] %-18s %-10s %14s ops/s  p50 %s p99 %s p99.9 %s us\n", r.run,
                  r.workload.c_str(), r.engine.c_str(), FormatMetric(r.ops_per_sec, 0).c_str(),
                  FormatMetric(r.p50_us, 2).c_str(), FormatMetric(r.p99_us, 2).c_str(),
                  FormatMetric(r.p999_us, 2).c_str());
    } else {
      std::printf("  [run %d] %-18s %-10s FAILED: %s\n", r.run, r.workload.c_str(),
                  r.engine.c_str(), r.error.c_str());
    }
    std::fflush(stdout);
  };
  for (int run = 1; run <= f.runs; ++run) {
    for (const std::string& face : f.faces) {
      const std::string dir = base + "/" + face + "-run" + std::to_string(run);
      size_t before = rows.size();
      std::string failure = RunInChild(
          [&](int fd) {
            FaceRun(f, face, dir, run, [&](const RowResult& r) {
              WriteLine(fd, SerializeRow(r));
            }).Run();
          },
          f.timeout_s,
          [&](const std::string& line) {
            RowResult r;
            if (ParseRow(line, &r)) progress(r);
          });
      std::filesystem::remove_all(dir);
      if (!failure.empty()) {
        for (const char* w : kWorkloads) {
          bool seen = false;
          for (size_t i = before; i < rows.size(); ++i) seen |= rows[i].workload == w;
          if (seen) continue;
          RowResult r;
          r.engine = face;
          r.workload = w;
          r.run = run;
          r.ok = false;
          r.error = "child process " + failure;
          progress(r);
        }
      }
    }
  }
  if (own_dir) std::filesystem::remove_all(base);

  std::vector<std::string> workloads(std::begin(kWorkloads), std::end(kWorkloads));
  std::vector<Aggregate> aggs = AggregateRows(rows, workloads, f.faces);
  std::printf("\nMedians over %d run(s):\n\n", f.runs);
  PrintTable(stdout, aggs);
  std::printf("\n");
  PrintMatrix(stdout, aggs, workloads, f.faces);
  std::vector<GoalResult> goals;
  if (f.faces.size() == 2) {
    goals = EvaluateSqlGoals(aggs);
    std::printf("\nGoals (lightning vs native, sync=%s):\n", f.sync_full ? "full" : "off");
    PrintGoals(stdout, goals);
  }
  if (!f.baseline.empty()) {
    std::printf("\n");
    CompareWithBaseline(stdout, f.baseline, aggs, f.noise);
  }
  if (!f.json.empty()) {
    const nlohmann::ordered_json meta = {{"rows", f.rows},
                                         {"value_size", f.value_size},
                                         {"runs", f.runs},
                                         {"sync", f.sync_full ? "full" : "off"},
                                         {"cache_size", f.cache_size},
                                         {"sqlite", sqlite3_libversion()},
                                         {"extension", f.extension}};
    std::string error;
    if (!WriteJson(f.json, "sql_bench", meta, aggs, goals, &error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 2;
    }
    std::printf("\nwrote %s\n", f.json.c_str());
  }
  int failed = 0;
  for (const auto& a : aggs) failed += a.ok ? 0 : 1;
  std::printf("\n%d passed, %d failed\n", static_cast<int>(aggs.size()) - failed, failed);
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace lightning_bench

int main(int argc, char** argv) { return lightning_bench::Main(argc, argv); }
