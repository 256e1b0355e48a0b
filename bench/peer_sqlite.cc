// SQLite (C API) adapter: CREATE TABLE kv(k BLOB PRIMARY KEY, v BLOB)
// WITHOUT ROWID, journal_mode=WAL, synchronous=OFF (non-durable) or FULL
// (durable), cache_size = cache_bytes per connection. Each session is its
// own connection (SQLITE_OPEN_NOMUTEX) with prepared statements; a write
// transaction is BEGIN IMMEDIATE ... COMMIT, concurrent writers wait in
// SQLite's busy handler (busy_timeout 10 s). A read without BeginRead() is
// one autocommit statement. sqlite3_column_blob points into SQLite's row
// buffer, so GetView avoids the copy into the caller's string.
#include <sqlite3.h>

#include <cstdio>

#include "bench/kv_engine.h"

namespace lightning_bench {
namespace {

Outcome SqlError(sqlite3* db, const char* what) {
  return Outcome::Fail(std::string("sqlite ") + what + ": " + sqlite3_errmsg(db));
}

Outcome Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = std::string("sqlite exec \"") + sql + "\": " + (err ? err : "?");
    sqlite3_free(err);
    return Outcome::Fail(msg);
  }
  return Outcome::Ok();
}

Outcome OpenConnection(const OpenParams& p, sqlite3** db) {
  std::string path = p.dir + "/kv.db";
  int rc = sqlite3_open_v2(
      path.c_str(), db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return SqlError(*db, "open");
  sqlite3_busy_timeout(*db, 10000);
  char sql[256];
  std::snprintf(sql, sizeof(sql),
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA cache_size=-%llu;",
                p.durable ? "FULL" : "OFF", static_cast<unsigned long long>(p.cache_bytes >> 10));
  return Exec(*db, sql);
}

class Stmt {
 public:
  ~Stmt() { sqlite3_finalize(stmt_); }
  Outcome Prepare(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
      return SqlError(db, sql);
    }
    return Outcome::Ok();
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteSession : public KvSession {
 public:
  // close_v2: the connection closes once the members' statements are finalized.
  ~SqliteSession() override { sqlite3_close_v2(db_); }
  Outcome Init(const OpenParams& p) {
    BENCH_RETURN_IF_ERROR(OpenConnection(p, &db_));
    BENCH_RETURN_IF_ERROR(get_.Prepare(db_, "SELECT v FROM kv WHERE k=?1"));
    BENCH_RETURN_IF_ERROR(put_.Prepare(db_, "INSERT OR REPLACE INTO kv(k, v) VALUES(?1, ?2)"));
    BENCH_RETURN_IF_ERROR(
        scan_fwd_.Prepare(db_, "SELECT k, v FROM kv WHERE k>=?1 ORDER BY k LIMIT ?2"));
    BENCH_RETURN_IF_ERROR(
        scan_rev_.Prepare(db_, "SELECT k, v FROM kv WHERE k<=?1 ORDER BY k DESC LIMIT ?2"));
    BENCH_RETURN_IF_ERROR(first_fwd_.Prepare(db_, "SELECT k, v FROM kv ORDER BY k LIMIT ?2"));
    BENCH_RETURN_IF_ERROR(last_rev_.Prepare(db_, "SELECT k, v FROM kv ORDER BY k DESC LIMIT ?2"));
    return Outcome::Ok();
  }

  Outcome BeginWrite() override { return Exec(db_, "BEGIN IMMEDIATE"); }
  Outcome Put(Slice key, Slice value) override {
    sqlite3_stmt* s = put_.get();
    sqlite3_bind_blob(s, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? Outcome::Ok() : SqlError(db_, "insert");
  }
  Outcome Commit() override {
    Outcome o = Exec(db_, "COMMIT");
    if (!o.ok()) (void)Exec(db_, "ROLLBACK");
    return o;
  }

  Outcome BeginRead() override { return Exec(db_, "BEGIN"); }
  void EndRead() override { (void)Exec(db_, "COMMIT"); }

  Outcome Get(Slice key, std::string* value, bool* found) override {
    Slice v;
    BENCH_RETURN_IF_ERROR(Lookup(key, &v, found));
    if (*found) value->assign(v.data(), v.size());
    sqlite3_reset(get_.get());
    return Outcome::Ok();
  }
  Outcome GetView(Slice key, Slice* value, bool* found) override {
    sqlite3_reset(get_.get());  // ends the previous view
    return Lookup(key, value, found);
  }

  Outcome Scan(Slice start, bool reverse, uint64_t limit,
               FunctionRef<bool(Slice, Slice)> visit) override {
    sqlite3_reset(get_.get());
    sqlite3_stmt* s = start.empty() ? (reverse ? last_rev_.get() : first_fwd_.get())
                                    : (reverse ? scan_rev_.get() : scan_fwd_.get());
    if (!start.empty())
      sqlite3_bind_blob(s, 1, start.data(), static_cast<int>(start.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, limit > INT64_MAX ? -1 : static_cast<int64_t>(limit));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      Slice k(static_cast<const char*>(sqlite3_column_blob(s, 0)), sqlite3_column_bytes(s, 0));
      Slice v(static_cast<const char*>(sqlite3_column_blob(s, 1)), sqlite3_column_bytes(s, 1));
      if (!visit(k, v)) {
        rc = SQLITE_DONE;
        break;
      }
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? Outcome::Ok() : SqlError(db_, "scan");
  }

 private:
  Outcome Lookup(Slice key, Slice* value, bool* found) {
    sqlite3_stmt* s = get_.get();
    sqlite3_bind_blob(s, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
      const void* blob = sqlite3_column_blob(s, 0);
      *value = Slice(static_cast<const char*>(blob), sqlite3_column_bytes(s, 0));
      return Outcome::Ok();
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? Outcome::Ok() : SqlError(db_, "select");
  }

  sqlite3* db_ = nullptr;
  Stmt get_, put_, scan_fwd_, scan_rev_, first_fwd_, last_rev_;
};

class SqliteEngine : public KvEngine {
 public:
  ~SqliteEngine() override { Close(); }
  const char* name() const override { return "sqlite"; }
  std::string version() const override { return sqlite3_libversion(); }
  bool zero_copy() const override { return false; }
  std::string Describe(const OpenParams& p) const override {
    char buf[200];
    std::snprintf(buf, sizeof(buf),
                  "WITHOUT ROWID kv(k BLOB PRIMARY KEY, v BLOB), journal_mode=WAL, synchronous=%s, "
                  "cache_size %llu MiB per connection",
                  p.durable ? "FULL" : "OFF", static_cast<unsigned long long>(p.cache_bytes >> 20));
    return buf;
  }

  Outcome Open(const OpenParams& p) override {
    Close();
    params_ = p;
    BENCH_RETURN_IF_ERROR(OpenConnection(p, &db_));
    return Exec(db_, "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID");
  }
  Outcome NewSession(std::unique_ptr<KvSession>* out) override {
    auto s = std::make_unique<SqliteSession>();
    BENCH_RETURN_IF_ERROR(s->Init(params_));
    *out = std::move(s);
    return Outcome::Ok();
  }
  Outcome Settle() override { return Exec(db_, "PRAGMA wal_checkpoint(TRUNCATE)"); }
  void Close() override {
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

 private:
  OpenParams params_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<KvEngine> NewSqliteEngine() { return std::make_unique<SqliteEngine>(); }

}  // namespace lightning_bench
