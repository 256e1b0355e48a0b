// RocksDB adapter. Defaults plus: an LRU block cache of cache_bytes, a 10-bit
// Bloom filter, WriteOptions::sync = durable. A write transaction is one
// WriteBatch. Get with a PinnableSlice pins the block in the cache instead of
// copying (zero-copy view); reads without BeginRead() use RocksDB's implicit
// per-call snapshot. Compression: the library default (Snappy).
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/version.h>
#include <rocksdb/write_batch.h>

#include <cstdio>

#include "bench/kv_engine.h"

namespace lightning_bench {
namespace {

Outcome RocksError(const char* what, const rocksdb::Status& s) {
  return Outcome::Fail(std::string("rocksdb ") + what + ": " + s.ToString());
}
inline rocksdb::Slice RS(Slice s) { return rocksdb::Slice(s.data(), s.size()); }
inline Slice FromRS(const rocksdb::Slice& s) { return Slice(s.data(), s.size()); }

class RocksSession : public KvSession {
 public:
  RocksSession(rocksdb::DB* db, bool durable) : db_(db) { write_options_.sync = durable; }
  ~RocksSession() override { EndRead(); }

  Outcome BeginWrite() override {
    batch_.Clear();
    return Outcome::Ok();
  }
  Outcome Put(Slice key, Slice value) override {
    rocksdb::Status s = batch_.Put(RS(key), RS(value));
    return s.ok() ? Outcome::Ok() : RocksError("batch put", s);
  }
  Outcome Commit() override {
    rocksdb::Status s = db_->Write(write_options_, &batch_);
    batch_.Clear();
    return s.ok() ? Outcome::Ok() : RocksError("write", s);
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
    rocksdb::Status s = db_->Get(read_options_, RS(key), value);
    return Found(s, found);
  }
  Outcome GetView(Slice key, Slice* value, bool* found) override {
    pinned_.Reset();
    rocksdb::Status s = db_->Get(read_options_, db_->DefaultColumnFamily(), RS(key), &pinned_);
    BENCH_RETURN_IF_ERROR(Found(s, found));
    if (*found) *value = Slice(pinned_.data(), pinned_.size());
    return Outcome::Ok();
  }

  Outcome Scan(Slice start, bool reverse, uint64_t limit,
               FunctionRef<bool(Slice, Slice)> visit) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_));
    if (start.empty()) {
      reverse ? it->SeekToLast() : it->SeekToFirst();
    } else {
      reverse ? it->SeekForPrev(RS(start)) : it->Seek(RS(start));
    }
    for (uint64_t n = 0; it->Valid() && n < limit; ++n) {
      if (!visit(FromRS(it->key()), FromRS(it->value()))) break;
      reverse ? it->Prev() : it->Next();
    }
    return it->status().ok() ? Outcome::Ok() : RocksError("iterator", it->status());
  }

 private:
  Outcome Found(const rocksdb::Status& s, bool* found) {
    *found = s.ok();
    if (s.ok() || s.IsNotFound()) return Outcome::Ok();
    return RocksError("get", s);
  }

  rocksdb::DB* db_;
  rocksdb::WriteOptions write_options_;
  rocksdb::ReadOptions read_options_;
  rocksdb::WriteBatch batch_;
  rocksdb::PinnableSlice pinned_;
};

class RocksEngine : public KvEngine {
 public:
  ~RocksEngine() override { Close(); }
  const char* name() const override { return "rocksdb"; }
  std::string version() const override {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%d.%d.%d", ROCKSDB_MAJOR, ROCKSDB_MINOR, ROCKSDB_PATCH);
    return buf;
  }
  bool zero_copy() const override { return true; }
  std::string Describe(const OpenParams& p) const override {
    char buf[200];
    std::snprintf(buf, sizeof(buf),
                  "sync=%s, WAL on, LRU block cache %llu MiB, bloom 10 bits/key, default "
                  "compression (snappy)",
                  p.durable ? "true" : "false",
                  static_cast<unsigned long long>(p.cache_bytes >> 20));
    return buf;
  }

  Outcome Open(const OpenParams& p) override {
    Close();
    params_ = p;
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(p.cache_bytes);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, p.dir, &db);
    if (!s.ok()) return RocksError("open", s);
    db_.reset(db);
    return Outcome::Ok();
  }
  Outcome NewSession(std::unique_ptr<KvSession>* s) override {
    *s = std::make_unique<RocksSession>(db_.get(), params_.durable);
    return Outcome::Ok();
  }
  Outcome Settle() override {
    rocksdb::CompactRangeOptions options;
    rocksdb::Status s = db_->CompactRange(options, nullptr, nullptr);
    return s.ok() ? Outcome::Ok() : RocksError("compact_range", s);
  }
  void Close() override { db_.reset(); }

 private:
  OpenParams params_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

std::unique_ptr<KvEngine> NewRocksDbEngine() { return std::make_unique<RocksEngine>(); }

}  // namespace lightning_bench
