// LevelDB adapter. Defaults plus: an LRU block cache of cache_bytes, a 10-bit
// Bloom filter, WriteOptions::sync = durable. A write transaction is one
// WriteBatch. LevelDB's Get always copies, so GetView copies into a session
// buffer (not zero-copy). Compression: the library default (Snappy).
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <cstdio>

#include "bench/kv_engine.h"

namespace lightning_bench {
namespace {

Outcome LevelError(const char* what, const leveldb::Status& s) {
  return Outcome::Fail(std::string("leveldb ") + what + ": " + s.ToString());
}
inline leveldb::Slice LS(Slice s) { return leveldb::Slice(s.data(), s.size()); }
inline Slice FromLS(const leveldb::Slice& s) { return Slice(s.data(), s.size()); }

class LevelSession : public KvSession {
 public:
  LevelSession(leveldb::DB* db, bool durable) : db_(db) { write_options_.sync = durable; }
  ~LevelSession() override { EndRead(); }

  Outcome BeginWrite() override {
    batch_.Clear();
    return Outcome::Ok();
  }
  Outcome Put(Slice key, Slice value) override {
    batch_.Put(LS(key), LS(value));
    return Outcome::Ok();
  }
  Outcome Commit() override {
    leveldb::Status s = db_->Write(write_options_, &batch_);
    batch_.Clear();
    return s.ok() ? Outcome::Ok() : LevelError("write", s);
  }

  Outcome BeginRead() override {
    read_options_.snapshot = db_->GetSnapshot();
    return Outcome::Ok();
  }
  void EndRead() override {
    if (read_options_.snapshot) db_->ReleaseSnapshot(read_options_.snapshot);
    read_options_.snapshot = nullptr;
  }

  Outcome Get(Slice key, std::string* value, bool* found) override {
    leveldb::Status s = db_->Get(read_options_, LS(key), value);
    *found = s.ok();
    if (s.ok() || s.IsNotFound()) return Outcome::Ok();
    return LevelError("get", s);
  }
  Outcome GetView(Slice key, Slice* value, bool* found) override {
    BENCH_RETURN_IF_ERROR(Get(key, &buffer_, found));
    if (*found) *value = buffer_;
    return Outcome::Ok();
  }

  Outcome Scan(Slice start, bool reverse, uint64_t limit,
               FunctionRef<bool(Slice, Slice)> visit) override {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(read_options_));
    if (start.empty()) {
      reverse ? it->SeekToLast() : it->SeekToFirst();
    } else {
      it->Seek(LS(start));
      if (reverse) {  // LevelDB has no SeekForPrev
        if (!it->Valid()) {
          it->SeekToLast();
        } else if (FromLS(it->key()) != start) {
          it->Prev();
        }
      }
    }
    for (uint64_t n = 0; it->Valid() && n < limit; ++n) {
      if (!visit(FromLS(it->key()), FromLS(it->value()))) break;
      reverse ? it->Prev() : it->Next();
    }
    return it->status().ok() ? Outcome::Ok() : LevelError("iterator", it->status());
  }

 private:
  leveldb::DB* db_;
  leveldb::WriteOptions write_options_;
  leveldb::ReadOptions read_options_;
  leveldb::WriteBatch batch_;
  std::string buffer_;
};

class LevelEngine : public KvEngine {
 public:
  ~LevelEngine() override { Close(); }
  const char* name() const override { return "leveldb"; }
  std::string version() const override {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%d.%d", leveldb::kMajorVersion, leveldb::kMinorVersion);
    return buf;
  }
  bool zero_copy() const override { return false; }
  std::string Describe(const OpenParams& p) const override {
    char buf[200];
    std::snprintf(
        buf, sizeof(buf),
        "sync=%s, LRU block cache %llu MiB, bloom 10 bits/key, default compression (snappy)",
        p.durable ? "true" : "false", static_cast<unsigned long long>(p.cache_bytes >> 20));
    return buf;
  }

  Outcome Open(const OpenParams& p) override {
    Close();
    params_ = p;
    cache_.reset(leveldb::NewLRUCache(p.cache_bytes));
    filter_.reset(leveldb::NewBloomFilterPolicy(10));
    leveldb::Options options;
    options.create_if_missing = true;
    options.block_cache = cache_.get();
    options.filter_policy = filter_.get();
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(options, p.dir, &db);
    if (!s.ok()) return LevelError("open", s);
    db_.reset(db);
    return Outcome::Ok();
  }
  Outcome NewSession(std::unique_ptr<KvSession>* s) override {
    *s = std::make_unique<LevelSession>(db_.get(), params_.durable);
    return Outcome::Ok();
  }
  Outcome Settle() override {
    db_->CompactRange(nullptr, nullptr);
    return Outcome::Ok();
  }
  void Close() override {
    db_.reset();  // before the cache and filter it uses
    cache_.reset();
    filter_.reset();
  }

 private:
  OpenParams params_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;
};

}  // namespace

std::unique_ptr<KvEngine> NewLevelDbEngine() { return std::make_unique<LevelEngine>(); }

}  // namespace lightning_bench
