// Lightning adapter, against the public facade engine/db.h only. One store
// file <dir>/data.lightning with one tree "kv". Options: cache_size =
// cache_bytes, sync = off (non-durable) or full (durable), compression = lz4
// for the compressible-data run, everything else at its default. A read
// without BeginRead() opens its own ReadTxn (the per-operation snapshot);
// GetView keeps that snapshot alive until the next call so the view stays
// valid (zero-copy). Settle() is DB::Compact(): a checkpoint, then pages moved
// out of the file's tail and the file truncated -- the counterpart of the
// LSM peers' flush + full compaction.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "bench/kv_engine.h"
#include "lightning/db.h"

namespace lightning_bench {
namespace {

using lightning::Status;

Outcome LnError(const char* what, const Status& s) {
  return Outcome::Fail(std::string("lightning ") + what + ": " + s.ToString());
}

class LightningSession : public KvSession {
 public:
  LightningSession(lightning::DB* db, lightning::TreeId tree) : db_(db), tree_(tree) {}
  ~LightningSession() override {
    view_txn_.reset();
    read_.reset();
    write_.reset();
  }

  Outcome BeginWrite() override {
    view_txn_.reset();
    auto w = db_->BeginWrite();
    if (!w.ok()) return LnError("BeginWrite", w.status());
    write_ = std::move(w).value();
    return Outcome::Ok();
  }
  Outcome Put(Slice key, Slice value) override {
    Status s = write_->Put(tree_, key, value);
    return s.ok() ? Outcome::Ok() : LnError("Put", s);
  }
  Outcome Commit() override {
    Status s = write_->Commit();
    write_.reset();
    return s.ok() ? Outcome::Ok() : LnError("Commit", s);
  }

  Outcome BeginRead() override {
    view_txn_.reset();
    auto r = db_->BeginRead();
    if (!r.ok()) return LnError("BeginRead", r.status());
    read_ = std::move(r).value();
    return Outcome::Ok();
  }
  void EndRead() override { read_.reset(); }

  Outcome Get(Slice key, std::string* value, bool* found) override {
    view_txn_.reset();
    std::unique_ptr<lightning::ReadTxn> own;
    lightning::ReadTxn* txn = read_.get();
    if (!txn) {
      BENCH_RETURN_IF_ERROR(Begin(&own));
      txn = own.get();
    }
    Status s = txn->Get(tree_, key, value);
    return Found(s, found, "Get");
  }
  Outcome GetView(Slice key, Slice* value, bool* found) override {
    view_txn_.reset();
    lightning::ReadTxn* txn = read_.get();
    if (!txn) {
      BENCH_RETURN_IF_ERROR(Begin(&view_txn_));  // kept until the next call: the view lives in it
      txn = view_txn_.get();
    }
    Status s = txn->GetView(tree_, key, value);
    return Found(s, found, "GetView");
  }

  Outcome Scan(Slice start, bool reverse, uint64_t limit,
               FunctionRef<bool(Slice, Slice)> visit) override {
    view_txn_.reset();
    std::unique_ptr<lightning::ReadTxn> own;
    lightning::ReadTxn* txn = read_.get();
    if (!txn) {
      BENCH_RETURN_IF_ERROR(Begin(&own));
      txn = own.get();
    }
    auto c = txn->NewCursor(tree_);
    if (!c.ok()) return LnError("NewCursor", c.status());
    lightning::Cursor* cur = c.value().get();
    if (start.empty()) {
      reverse ? cur->SeekToLast() : cur->SeekToFirst();
    } else {
      reverse ? cur->SeekForPrev(start) : cur->Seek(start);
    }
    for (uint64_t n = 0; cur->Valid() && n < limit; ++n) {
      if (!visit(cur->key(), cur->value())) break;
      reverse ? cur->Prev() : cur->Next();
    }
    Status s = cur->status();
    return s.ok() ? Outcome::Ok() : LnError("Cursor", s);
  }

 private:
  Outcome Begin(std::unique_ptr<lightning::ReadTxn>* out) {
    auto r = db_->BeginRead();
    if (!r.ok()) return LnError("BeginRead", r.status());
    *out = std::move(r).value();
    return Outcome::Ok();
  }
  static Outcome Found(const Status& s, bool* found, const char* what) {
    *found = s.ok();
    if (s.ok() || s.IsNotFound()) return Outcome::Ok();
    return LnError(what, s);
  }

  lightning::DB* db_;
  lightning::TreeId tree_;
  std::unique_ptr<lightning::WriteTxn> write_;
  std::unique_ptr<lightning::ReadTxn> read_;      // BeginRead .. EndRead
  std::unique_ptr<lightning::ReadTxn> view_txn_;  // holds the last GetView's snapshot
};

// LIGHTNING_BENCH_OPTIONS="name=value,name=value" overrides engine options
// (any name Options::Set knows), for experiments such as page_size=4096.
Outcome ApplyEnvOptions(lightning::Options* options) {
  const char* env = std::getenv("LIGHTNING_BENCH_OPTIONS");
  if (env == nullptr) return Outcome::Ok();
  std::string_view rest(env);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Outcome::Fail("LIGHTNING_BENCH_OPTIONS: '" + std::string(item) +
                           "' is not name=value");
    }
    Status s = options->Set(item.substr(0, eq), item.substr(eq + 1));
    if (!s.ok()) return LnError("LIGHTNING_BENCH_OPTIONS", s);
  }
  return Outcome::Ok();
}

class LightningEngine : public KvEngine {
 public:
  ~LightningEngine() override { Close(); }
  const char* name() const override { return "lightning"; }
  std::string version() const override { return "working tree"; }
  bool zero_copy() const override { return true; }
  std::string Describe(const OpenParams& p) const override {
    char buf[200];
    std::snprintf(buf, sizeof(buf),
                  "sync=%s, cache_size %llu MiB, compression %s, other options default",
                  p.durable ? "full" : "off", static_cast<unsigned long long>(p.cache_bytes >> 20),
                  p.compress ? "lz4" : "none");
    return buf;
  }

  Outcome Open(const OpenParams& p) override {
    Close();
    lightning::Options options;
    options.cache_size = p.cache_bytes;
    options.sync = p.durable ? lightning::SyncMode::kFull : lightning::SyncMode::kOff;
    options.compression = p.compress ? lightning::Codec::kLz4 : lightning::Codec::kNone;
    if (Outcome o = ApplyEnvOptions(&options); !o.ok()) return o;
    auto db = lightning::DB::Open(p.dir + "/data.lightning", options);
    if (!db.ok()) return LnError("Open", db.status());
    db_ = std::move(db).value();

    auto w = db_->BeginWrite();
    if (!w.ok()) return LnError("BeginWrite", w.status());
    Status s = w.value()->OpenTree("kv", &tree_);
    if (s.IsNotFound()) s = w.value()->CreateTree("kv", &tree_);
    if (!s.ok()) return LnError("OpenTree/CreateTree", s);
    s = w.value()->Commit();
    return s.ok() ? Outcome::Ok() : LnError("Commit(create tree)", s);
  }
  Outcome NewSession(std::unique_ptr<KvSession>* s) override {
    *s = std::make_unique<LightningSession>(db_.get(), tree_);
    return Outcome::Ok();
  }
  Outcome Settle() override {
    Status s = db_->Compact();
    return s.ok() ? Outcome::Ok() : LnError("Compact", s);
  }
  void Close() override { db_.reset(); }

 private:
  std::shared_ptr<lightning::DB> db_;
  lightning::TreeId tree_ = 0;
};

}  // namespace

std::unique_ptr<KvEngine> NewLightningEngine() { return std::make_unique<LightningEngine>(); }

}  // namespace lightning_bench
