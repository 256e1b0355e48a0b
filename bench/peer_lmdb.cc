// LMDB adapter. Non-durable runs use MDB_NOSYNC|MDB_NOMETASYNC (commits reach
// the OS, never fsynced); durable runs use the default (fsync per commit).
// MDB_NOTLS ties read transactions to the session rather than the thread; each
// session keeps one read transaction and reuses it with reset/renew, LMDB's
// cheapest per-operation snapshot. mdb_get hands out a pointer into the map:
// zero-copy. Map size 64 GiB (address space only; the file grows as written).
#include <lmdb.h>

#include <cstdio>

#include "bench/kv_engine.h"

namespace lightning_bench {
namespace {

Outcome LmdbError(const char* what, int rc) {
  return Outcome::Fail(std::string("lmdb ") + what + ": " + mdb_strerror(rc));
}

inline MDB_val Val(Slice s) {
  MDB_val v;
  v.mv_size = s.size();
  v.mv_data = const_cast<char*>(s.data());
  return v;
}
inline Slice ToSlice(const MDB_val& v) {
  return Slice(static_cast<const char*>(v.mv_data), v.mv_size);
}

class LmdbSession : public KvSession {
 public:
  LmdbSession(MDB_env* env, MDB_dbi dbi) : env_(env), dbi_(dbi) {}
  ~LmdbSession() override {
    if (cursor_) mdb_cursor_close(cursor_);
    if (wtxn_) mdb_txn_abort(wtxn_);
    if (rtxn_) mdb_txn_abort(rtxn_);
  }

  Outcome BeginWrite() override {
    int rc = mdb_txn_begin(env_, nullptr, 0, &wtxn_);
    return rc ? LmdbError("txn_begin(write)", rc) : Outcome::Ok();
  }
  Outcome Put(Slice key, Slice value) override {
    MDB_val k = Val(key), v = Val(value);
    int rc = mdb_put(wtxn_, dbi_, &k, &v, 0);
    return rc ? LmdbError("put", rc) : Outcome::Ok();
  }
  Outcome Commit() override {
    int rc = mdb_txn_commit(wtxn_);
    wtxn_ = nullptr;
    return rc ? LmdbError("txn_commit", rc) : Outcome::Ok();
  }

  Outcome BeginRead() override {
    BENCH_RETURN_IF_ERROR(Renew());
    explicit_read_ = true;
    return Outcome::Ok();
  }
  void EndRead() override {
    explicit_read_ = false;
    Reset();
  }

  Outcome Get(Slice key, std::string* value, bool* found) override {
    MDB_val v;
    BENCH_RETURN_IF_ERROR(Lookup(key, &v, found));
    if (*found) value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
    if (!explicit_read_) Reset();
    return Outcome::Ok();
  }
  Outcome GetView(Slice key, Slice* value, bool* found) override {
    MDB_val v;
    BENCH_RETURN_IF_ERROR(Lookup(key, &v, found));  // the snapshot stays until the next call
    if (*found) *value = ToSlice(v);
    return Outcome::Ok();
  }

  Outcome Scan(Slice start, bool reverse, uint64_t limit,
               FunctionRef<bool(Slice, Slice)> visit) override {
    if (!explicit_read_) BENCH_RETURN_IF_ERROR(Renew());
    int rc = cursor_ ? mdb_cursor_renew(rtxn_, cursor_) : mdb_cursor_open(rtxn_, dbi_, &cursor_);
    if (rc) return LmdbError("cursor_open", rc);
    MDB_val k, v;
    if (start.empty()) {
      rc = mdb_cursor_get(cursor_, &k, &v, reverse ? MDB_LAST : MDB_FIRST);
    } else {
      k = Val(start);
      rc = mdb_cursor_get(cursor_, &k, &v, MDB_SET_RANGE);
      if (reverse) {
        if (rc == MDB_NOTFOUND) {
          rc = mdb_cursor_get(cursor_, &k, &v, MDB_LAST);
        } else if (rc == 0 && ToSlice(k) != start) {
          rc = mdb_cursor_get(cursor_, &k, &v, MDB_PREV);
        }
      }
    }
    const MDB_cursor_op step = reverse ? MDB_PREV : MDB_NEXT;
    for (uint64_t n = 0; rc == 0 && n < limit; ++n) {
      if (!visit(ToSlice(k), ToSlice(v))) break;
      rc = mdb_cursor_get(cursor_, &k, &v, step);
    }
    if (!explicit_read_) Reset();
    if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError("cursor_get", rc);
    return Outcome::Ok();
  }

 private:
  Outcome Renew() {
    if (active_) return Outcome::Ok();
    int rc = rtxn_ ? mdb_txn_renew(rtxn_) : mdb_txn_begin(env_, nullptr, MDB_RDONLY, &rtxn_);
    if (rc) return LmdbError("txn_begin(read)", rc);
    active_ = true;
    return Outcome::Ok();
  }
  void Reset() {
    if (active_) mdb_txn_reset(rtxn_);
    active_ = false;
  }
  Outcome Lookup(Slice key, MDB_val* v, bool* found) {
    if (!explicit_read_) {
      Reset();  // ends a GetView snapshot
      BENCH_RETURN_IF_ERROR(Renew());
    }
    MDB_val k = Val(key);
    int rc = mdb_get(rtxn_, dbi_, &k, v);
    *found = rc == 0;
    if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError("get", rc);
    return Outcome::Ok();
  }

  MDB_env* env_;
  MDB_dbi dbi_;
  MDB_txn* wtxn_ = nullptr;
  MDB_txn* rtxn_ = nullptr;
  MDB_cursor* cursor_ = nullptr;
  bool active_ = false;
  bool explicit_read_ = false;
};

class LmdbEngine : public KvEngine {
 public:
  ~LmdbEngine() override { Close(); }
  const char* name() const override { return "lmdb"; }
  std::string version() const override { return MDB_VERSION_STRING; }
  bool zero_copy() const override { return true; }
  std::string Describe(const OpenParams& p) const override {
    char buf[160];
    std::snprintf(buf, sizeof(buf),
                  "%s, MDB_NOTLS, map %llu GiB, no cache knob (OS page cache via mmap)",
                  p.durable ? "fsync per commit" : "MDB_NOSYNC|MDB_NOMETASYNC",
                  static_cast<unsigned long long>(p.lmdb_map_size >> 30));
    return buf;
  }

  Outcome Open(const OpenParams& p) override {
    Close();
    int rc = mdb_env_create(&env_);
    if (rc) return LmdbError("env_create", rc);
    if ((rc = mdb_env_set_mapsize(env_, p.lmdb_map_size))) return LmdbError("set_mapsize", rc);
    if ((rc = mdb_env_set_maxreaders(env_, 256))) return LmdbError("set_maxreaders", rc);
    unsigned flags = MDB_NOTLS;
    if (!p.durable) flags |= MDB_NOSYNC | MDB_NOMETASYNC;
    if ((rc = mdb_env_open(env_, p.dir.c_str(), flags, 0644))) return LmdbError("env_open", rc);
    MDB_txn* txn;
    if ((rc = mdb_txn_begin(env_, nullptr, 0, &txn))) return LmdbError("txn_begin", rc);
    if ((rc = mdb_dbi_open(txn, nullptr, 0, &dbi_))) {
      mdb_txn_abort(txn);
      return LmdbError("dbi_open", rc);
    }
    if ((rc = mdb_txn_commit(txn))) return LmdbError("txn_commit", rc);
    return Outcome::Ok();
  }
  Outcome NewSession(std::unique_ptr<KvSession>* s) override {
    *s = std::make_unique<LmdbSession>(env_, dbi_);
    return Outcome::Ok();
  }
  Outcome Settle() override {
    int rc = mdb_env_sync(env_, 1);
    return rc ? LmdbError("env_sync", rc) : Outcome::Ok();
  }
  void Close() override {
    if (env_) mdb_env_close(env_);
    env_ = nullptr;
  }

 private:
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

}  // namespace

std::unique_ptr<KvEngine> NewLmdbEngine() { return std::make_unique<LmdbEngine>(); }

}  // namespace lightning_bench
