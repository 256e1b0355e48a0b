// Model-based randomized test: a long random sequence of engine operations
// (puts, deletes, gets, cursor scans both ways, commits, aborts, nested
// savepoints, tree create/drop/rename/clear, checkpoints, close + reopen with
// a different codec) is applied to a store and to a std::map model, and every
// read must agree with the model.
//
//   LIGHTNING_SEED=<n>        repeat a run (the seed is printed)
//   LIGHTNING_MODEL_OPS=<n>   operation count (default 1,000,000; 100,000 with
//                             sanitizers)
//   LIGHTNING_PAGE_SIZE=<n>   page size of the store (default 4096)
//
// On the first disagreement the test stops and prints the seed, the operation
// number and the last operations.
#include "tests/engine/model.h"

#include <algorithm>
#include <cinttypes>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

constexpr uint64_t kDefaultSeed = 20240601;
constexpr uint64_t kKeySpace = 20000;  // key ids per tree
constexpr size_t kMaxTrees = 8;

// Builds key number `id`. Keys are a deterministic function of the id, so a
// bounded id space bounds the store while key shapes vary: binary keys of
// 1..64 bytes, keys with long shared prefixes (longer than the 8-byte
// search prefixes), very short keys, and ~1% near the key limit.
std::string MakeKey(uint64_t id, size_t key_limit) {
  uint64_t h = Mix(id, 0x6b6579);
  int cls = static_cast<int>(h % 100);
  std::string k;
  char buf[32];
  if (cls < 1) {
    size_t len = key_limit - (h >> 8) % 24;
    std::snprintf(buf, sizeof buf, "L%08" PRIu64, id);
    k = buf;
    while (k.size() < len) k.push_back(static_cast<char>('a' + (Mix(id, k.size()) % 26)));
    k.resize(len);
  } else if (cls < 25) {
    size_t len = 1 + (h >> 8) % 64;
    for (size_t i = 0; i < len; ++i) k.push_back(static_cast<char>(Mix(id, i + 1) & 0xff));
  } else if (cls < 60) {
    std::snprintf(buf, sizeof buf, "user:%08" PRIu64, id);
    k = buf;
    size_t extra = (h >> 8) % 41;
    for (size_t i = 0; i < extra; ++i) k.push_back(static_cast<char>('0' + Mix(id, i) % 10));
  } else if (cls < 85) {
    k.assign(20, 'p');
    for (int i = 3; i >= 0; --i) k.push_back(static_cast<char>((id >> (8 * i)) & 0xff));
    size_t extra = (h >> 8) % 30;
    for (size_t i = 0; i < extra; ++i) k.push_back(static_cast<char>(Mix(id, i) & 0xff));
  } else {
    size_t len = 1 + (h >> 8) % 3;
    for (size_t i = 0; i < len; ++i) k.push_back(static_cast<char>(Mix(id, i + 7) & 0xff));
  }
  return k;
}

std::string MakeValue(TestRng& rng) {
  size_t len;
  uint64_t r = rng.Uniform(10000);
  if (r < 8) {
    len = rng.Range(20000, 120000);  // overflow pages
  } else if (r < 4500) {
    len = rng.Range(0, 16);
  } else {
    len = rng.Range(17, 300);
  }
  if (rng.Chance(0.5)) return rng.Bytes(len);
  static const char kText[] = "the quick brown fox jumps over the lazy dog; ";
  std::string v(len, '\0');
  size_t off = rng.Uniform(sizeof kText - 1);
  for (size_t i = 0; i < len; ++i) v[i] = kText[(off + i) % (sizeof kText - 1)];
  return v;
}

class ModelRunner {
 public:
  ModelRunner(std::string path, uint64_t seed, uint64_t ops, uint32_t page_size)
      : path_(std::move(path)),
        seed_(seed),
        rng_(seed),
        ops_(ops),
        page_size_(page_size),
        key_limit_(page_size / 4) {}

  ~ModelRunner() { CloseAll(); }

  void Run() {
    ASSERT_NO_FATAL_FAILURE(Open());
    for (int i = 0; i < 4; ++i) {
      ASSERT_NO_FATAL_FAILURE(BeginWrite());
      CreateTreeOp();
      ASSERT_NO_FATAL_FAILURE(CommitOp());
    }
    uint64_t next_reopen = NextReopen();
    for (op_ = 0; op_ < ops_; ++op_) {
      if (op_ % 50000 == 0) grow_phase_ = !grow_phase_;
      if (op_ % (ops_ >= 500000 ? 100000 : 10000) == 0 && op_ > 0) Progress();
      if (!wtxn_ && op_ >= next_reopen && !in_memory()) {
        Note("reopen");
        Reopen();
        next_reopen = op_ + NextReopen();
      } else if (wtxn_) {
        OneWriteOp();
      } else {
        OneIdleOp();
      }
      if (::testing::Test::HasFailure()) {
        Dump();
        return;
      }
    }
    if (wtxn_) CommitOp();
    if (!in_memory()) Reopen();
    if (::testing::Test::HasFailure()) Dump();
    Progress();
  }

 private:
  bool in_memory() const { return path_.empty() || path_ == ":memory:"; }
  uint64_t NextReopen() { return rng_.Range(5000, 45000); }

  // ------------------------------------------------------------ bookkeeping
  void Note(std::string s) {
    if (history_.size() >= 40) history_.pop_front();
    history_.push_back("#" + std::to_string(op_) + " " + s);
  }
  void Dump() {
    std::printf("[ FAILED   ] seed=%" PRIu64 " op=%" PRIu64 " of %" PRIu64 "; last operations:\n",
                seed_, op_, ops_);
    for (auto& h : history_) std::printf("    %s\n", h.c_str());
    std::fflush(stdout);
  }
  void Progress() {
    size_t keys = 0;
    for (auto& [id, t] : m_.trees) keys += t.kv.size();
    uint32_t depth = 0;
    if (wtxn_) {
      for (auto& [id, t] : m_.trees) {
        TreeInfo info;
        if (wtxn_->GetTreeInfo(id, &info).ok()) depth = std::max(depth, info.depth);
      }
    }
    std::printf("[ progress ] op %" PRIu64 ": %zu trees, %zu keys, max depth %u, %" PRIu64
                " commits, %" PRIu64 " aborts, %" PRIu64 " reopens, %" PRIu64 " cursor steps\n",
                op_, m_.trees.size(), keys, depth, commits_, aborts_, reopens_, cursor_steps_);
    std::fflush(stdout);
  }
  std::string Ctx() const { return "seed=" + std::to_string(seed_) + " op=" + std::to_string(op_); }

  // ------------------------------------------------------------ open/close
  void Open() {
    Options o;
    o.page_size = page_size_;
    o.sync = SyncMode::kOff;
    o.cache_size = 2ull << 20;  // small: pages are evicted and read back
    o.checkpoint_wal_size = 1ull << 20;
    o.checkpoint_dirty_size = 512ull << 10;
    const Codec codecs[] = {Codec::kNone, Codec::kLz4, Codec::kZstd};
    o.compression = codecs[rng_.Uniform(3)];
    o.checksum = rng_.Chance(0.8);
    auto r = DB::Open(path_, o);
    ASSERT_TRUE(r.ok()) << Ctx() << " DB::Open: " << r.status().ToString();
    db_ = std::move(r).value();
  }
  void CloseAll() {
    live_.reset();
    snap_.reset();
    wtxn_.reset();
    db_.reset();
  }
  void Reopen() {
    ++reopens_;
    if (rng_.Chance(0.5)) {
      Status s = db_->Checkpoint();
      ASSERT_TRUE(s.ok()) << Ctx() << " Checkpoint before close: " << s.ToString();
    }
    CloseAll();
    ASSERT_NO_FATAL_FAILURE(Open());
    ASSERT_NO_FATAL_FAILURE(VerifyAll());
  }

  // Compares the whole store with the model: catalog, counts, every entry in
  // both directions.
  void VerifyAll() {
    auto r = db_->BeginRead();
    ASSERT_TRUE(r.ok()) << Ctx() << " BeginRead: " << r.status().ToString();
    std::unique_ptr<ReadTxn> txn = std::move(r).value();
    NoteReadId(txn->id());
    ASSERT_NO_FATAL_FAILURE(VerifyCatalog(txn.get()));
    for (auto& [id, t] : m_.trees) {
      ASSERT_NO_FATAL_FAILURE(FullScan(txn.get(), id, t.kv, /*forward=*/true));
      ASSERT_NO_FATAL_FAILURE(FullScan(txn.get(), id, t.kv, /*forward=*/false));
    }
  }
  void VerifyCatalog(Txn* txn) {
    std::vector<TreeInfo> infos;
    Status s = txn->ListTrees(&infos);
    ASSERT_TRUE(s.ok()) << Ctx() << " ListTrees: " << s.ToString();
    std::string got, want;
    for (auto& i : infos)
      got += i.name + "#" + std::to_string(i.id) + ":" + std::to_string(i.entries) + " ";
    for (auto& [name, id] : m_.names) {
      want +=
          name + "#" + std::to_string(id) + ":" + std::to_string(m_.trees.at(id).kv.size()) + " ";
    }
    ASSERT_EQ(got, want) << Ctx() << " ListTrees (name#id:entries) disagrees with the model";
    for (auto& i : infos) {
      bool empty = i.entries == 0;
      ASSERT_EQ(i.depth == 0, empty) << Ctx() << " tree " << i.name << " depth " << i.depth
                                     << " with " << i.entries << " entries";
    }
  }
  void FullScan(Txn* txn, TreeId id, const KV& kv, bool forward) {
    auto r = txn->NewCursor(id);
    ASSERT_TRUE(r.ok()) << Ctx() << " NewCursor: " << r.status().ToString();
    std::unique_ptr<Cursor> c = std::move(r).value();
    size_t n = 0;
    if (forward) {
      c->SeekToFirst();
      for (auto it = kv.begin(); it != kv.end(); ++it, ++n) {
        ASSERT_TRUE(c->Valid()) << Ctx() << " forward scan of tree " << id << " ended after " << n
                                << " of " << kv.size() << " entries; status "
                                << c->status().ToString();
        ASSERT_EQ(Printable(c->key()), Printable(it->first))
            << Ctx() << " forward scan entry " << n;
        ASSERT_TRUE(BytesEqual(c->value(), it->second))
            << Ctx() << " value of " << Printable(it->first);
        c->Next();
      }
    } else {
      c->SeekToLast();
      for (auto it = kv.rbegin(); it != kv.rend(); ++it, ++n) {
        ASSERT_TRUE(c->Valid()) << Ctx() << " backward scan of tree " << id << " ended after " << n
                                << " of " << kv.size() << " entries; status "
                                << c->status().ToString();
        ASSERT_EQ(Printable(c->key()), Printable(it->first))
            << Ctx() << " backward scan entry " << n;
        ASSERT_TRUE(BytesEqual(c->value(), it->second))
            << Ctx() << " value of " << Printable(it->first);
        c->Prev();
      }
    }
    ASSERT_FALSE(c->Valid()) << Ctx() << " scan of tree " << id << " has more than " << kv.size()
                             << " entries; extra key " << Printable(c->key());
    ASSERT_TRUE(c->status().ok()) << Ctx() << " cursor status " << c->status().ToString();
  }
  void NoteReadId(uint64_t id) {
    EXPECT_GE(id, last_read_id_) << Ctx() << " read transaction ids went backwards";
    last_read_id_ = std::max(last_read_id_, id);
  }

  // ------------------------------------------------------------ choices
  TreeId PickTree() {
    auto it = m_.trees.begin();
    std::advance(it, rng_.Uniform(m_.trees.size()));
    return it->first;
  }
  // A key for reading or deleting: often an existing one.
  std::string PickKey(const KV& kv, double existing) {
    std::string k = MakeKey(rng_.Uniform(kKeySpace), key_limit_);
    if (!kv.empty() && rng_.Chance(existing)) {
      auto it = kv.lower_bound(k);
      if (it == kv.end()) it = kv.begin();
      return it->first;
    }
    return k;
  }
  // A seek target: an existing key, a random one, or an existing key made a
  // little longer or shorter so that it falls between keys.
  std::string PickTarget(const KV& kv) {
    std::string k = PickKey(kv, 0.6);
    switch (rng_.Uniform(5)) {
      case 0:
        k.push_back('\0');
        break;
      case 1:
        if (k.size() > 1) k.pop_back();
        break;
      case 2:
        k.push_back('\xff');
        break;
      default:
        break;
    }
    if (k.empty()) k = "a";
    return k;
  }

  // ------------------------------------------------------------ operations
  void OneIdleOp() {
    uint64_t r = rng_.Uniform(100);
    if (r < 85) {
      BeginWrite();
    } else if (r < 97) {
      // Reads outside a write transaction, on a fresh snapshot.
      auto rr = db_->BeginRead();
      ASSERT_TRUE(rr.ok()) << Ctx() << " BeginRead: " << rr.status().ToString();
      std::unique_ptr<ReadTxn> txn = std::move(rr).value();
      NoteReadId(txn->id());
      TreeId id = PickTree();
      const KV& kv = m_.trees.at(id).kv;
      for (int i = 0; i < 5 && !::testing::Test::HasFailure(); ++i) {
        if (rng_.Chance(0.5)) {
          GetOp(txn.get(), id, kv, "read");
        } else {
          ScanOp(txn.get(), id, kv, "read");
        }
      }
    } else if (r < 99 && !in_memory()) {
      Note("checkpoint");
      Status s = db_->Checkpoint();
      ASSERT_TRUE(s.ok()) << Ctx() << " Checkpoint: " << s.ToString();
    } else {
      Note("verify catalog");
      auto rr = db_->BeginRead();
      ASSERT_TRUE(rr.ok()) << Ctx() << " BeginRead: " << rr.status().ToString();
      VerifyCatalog(rr.value().get());
    }
  }

  void BeginWrite() {
    auto r = db_->BeginWrite();
    ASSERT_TRUE(r.ok()) << Ctx() << " BeginWrite: " << r.status().ToString();
    wtxn_ = std::move(r).value();
    Note("begin write id=" + std::to_string(wtxn_->id()));
    EXPECT_GT(wtxn_->id(), last_commit_id_) << Ctx() << " write txn id not above the last commit";
    txn_len_ = rng_.Chance(0.1) ? rng_.Range(100, 1500) : rng_.Range(1, 60);
    txn_ops_ = 0;
    if (rng_.Chance(0.25)) {
      auto rr = db_->BeginRead();
      ASSERT_TRUE(rr.ok()) << Ctx() << " BeginRead: " << rr.status().ToString();
      snap_ = std::move(rr).value();
    }
  }

  void OneWriteOp() {
    if (txn_ops_++ >= txn_len_) {
      if (rng_.Chance(0.85)) {
        CommitOp();
      } else {
        AbortOp();
      }
      return;
    }
    TreeId id = PickTree();
    if (rng_.Chance(0.0002)) {  // rare: a tree op can wipe thousands of keys
      TreeOp();
      return;
    }
    uint64_t r = rng_.Uniform(1000);
    uint64_t put = grow_phase_ ? 500 : 250;
    uint64_t del = grow_phase_ ? 60 : 300;
    if (r < put) {
      PutOp(id);
    } else if ((r -= put) < del) {
      DeleteOp(id);
    } else if ((r -= del) < 180) {
      GetOp(wtxn_.get(), id, m_.trees.at(id).kv, "write");
    } else if ((r -= 180) < 60) {
      ScanOp(wtxn_.get(), id, m_.trees.at(id).kv, "write");
    } else if ((r -= 60) < 90) {
      LiveCursorOp();
    } else if ((r -= 90) < 40) {
      SavepointOp();
    } else if ((r -= 40) < 30) {
      SnapshotOp();
    } else {
      TreeInfoOp(id);
    }
  }

  void PutOp(TreeId id) {
    const KV& kv = m_.trees.at(id).kv;
    std::string key = PickKey(kv, 0.3);
    std::string value = MakeValue(rng_);
    Note("put t" + std::to_string(id) + " " + Printable(key) + " = " + Printable(value, 8));
    if (live_ && live_tree_ == id && live_deleted_ && key == *live_key_) live_.reset();
    Status s = wtxn_->Put(id, key, value);
    ASSERT_TRUE(s.ok()) << Ctx() << " Put " << Printable(key) << ": " << s.ToString();
    m_.Put(id, key, value);
  }

  void DeleteOp(TreeId id) {
    const KV& kv = m_.trees.at(id).kv;
    std::string key = PickKey(kv, 0.85);
    Note("delete t" + std::to_string(id) + " " + Printable(key));
    if (live_ && live_tree_ == id && live_deleted_ && key == *live_key_) live_.reset();
    bool existed = false;
    Status s = wtxn_->Delete(id, key, &existed);
    ASSERT_TRUE(s.ok()) << Ctx() << " Delete " << Printable(key) << ": " << s.ToString();
    bool model_existed = m_.Delete(id, key);
    ASSERT_EQ(existed, model_existed) << Ctx() << " Delete(" << Printable(key) << ") existed flag";
    if (live_ && live_tree_ == id && live_key_ && *live_key_ == key) live_deleted_ = true;
  }

  void GetOp(Txn* txn, TreeId id, const KV& kv, const char* what) {
    std::string key = PickKey(kv, 0.7);
    auto it = kv.find(key);
    bool view = rng_.Chance(0.4);
    Note(std::string(what) + (view ? " getview t" : " get t") + std::to_string(id) + " " +
         Printable(key));
    std::string got;
    Status s;
    if (view) {
      Slice v;
      s = txn->GetView(id, key, &v);
      if (s.ok()) got.assign(v.data(), v.size());
    } else {
      s = txn->Get(id, key, &got);
    }
    if (it == kv.end()) {
      ASSERT_TRUE(s.IsNotFound()) << Ctx() << " Get " << Printable(key)
                                  << " expected NotFound, got " << s.ToString() << " value "
                                  << Printable(got);
    } else {
      ASSERT_TRUE(s.ok()) << Ctx() << " Get " << Printable(key) << ": " << s.ToString();
      ASSERT_TRUE(BytesEqual(got, it->second)) << Ctx() << " Get " << Printable(key);
    }
  }

  // A cursor positioned by one of the four seeks, then stepped both ways,
  // compared with a std::map iterator at every step.
  void ScanOp(Txn* txn, TreeId id, const KV& kv, const char* what) {
    auto r = txn->NewCursor(id);
    ASSERT_TRUE(r.ok()) << Ctx() << " NewCursor: " << r.status().ToString();
    std::unique_ptr<Cursor> c = std::move(r).value();
    KV::const_iterator it;
    int mode = static_cast<int>(rng_.Uniform(4));
    bool forward = true;
    std::string target;
    switch (mode) {
      case 0:
        target = PickTarget(kv);
        c->Seek(target);
        it = kv.lower_bound(target);
        break;
      case 1:
        target = PickTarget(kv);
        c->SeekForPrev(target);
        it = kv.upper_bound(target);
        it = it == kv.begin() ? kv.end() : std::prev(it);
        forward = false;
        break;
      case 2:
        c->SeekToFirst();
        it = kv.begin();
        break;
      default:
        c->SeekToLast();
        it = kv.empty() ? kv.end() : std::prev(kv.end());
        forward = false;
        break;
    }
    static const char* kModes[] = {"Seek", "SeekForPrev", "SeekToFirst", "SeekToLast"};
    Note(std::string(what) + " scan t" + std::to_string(id) + " " + kModes[mode] + " " +
         Printable(target));
    int steps = static_cast<int>(rng_.Range(0, rng_.Chance(0.05) ? 400 : 25));
    bool mixed = rng_.Chance(0.3);
    for (int i = 0;; ++i) {
      ASSERT_NO_FATAL_FAILURE(
          ExpectAt(c.get(), kv, it, std::string(kModes[mode]) + " step " + std::to_string(i)));
      if (it == kv.end() || i >= steps) break;
      bool next = mixed ? rng_.Chance(0.5) : forward;
      ++cursor_steps_;
      if (next) {
        c->Next();
        ++it;
      } else {
        c->Prev();
        it = it == kv.begin() ? kv.end() : std::prev(it);
      }
    }
  }

  void ExpectAt(Cursor* c, const KV& kv, KV::const_iterator it, const std::string& where) {
    if (it == kv.end()) {
      ASSERT_FALSE(c->Valid()) << Ctx() << " " << where << ": cursor valid at "
                               << Printable(c->key()) << ", model has no entry";
      ASSERT_TRUE(c->status().ok()) << Ctx() << " " << where << ": " << c->status().ToString();
      return;
    }
    ASSERT_TRUE(c->Valid()) << Ctx() << " " << where << ": cursor invalid (status "
                            << c->status().ToString() << "), model at " << Printable(it->first);
    ASSERT_EQ(Printable(c->key()), Printable(it->first)) << Ctx() << " " << where;
    ASSERT_TRUE(BytesEqual(c->value(), it->second))
        << Ctx() << " " << where << " value of " << Printable(it->first);
  }

  // A cursor of the write transaction that lives across the transaction's
  // own puts and deletes. The header's contract: it re-finds its position by
  // key; a deleted current key leaves it just before the next greater key.
  void LiveCursorOp() {
    if (!live_ || rng_.Chance(0.1)) {
      live_.reset();
      live_tree_ = PickTree();
      auto r = wtxn_->NewCursor(live_tree_);
      ASSERT_TRUE(r.ok()) << Ctx() << " NewCursor: " << r.status().ToString();
      live_ = std::move(r).value();
      const KV& kv = m_.trees.at(live_tree_).kv;
      std::string target = PickTarget(kv);
      Note("live cursor t" + std::to_string(live_tree_) + " Seek " + Printable(target));
      live_->Seek(target);
      auto it = kv.lower_bound(target);
      live_key_ = it == kv.end() ? std::nullopt : std::optional<std::string>(it->first);
      live_deleted_ = false;
      ASSERT_NO_FATAL_FAILURE(ExpectAt(live_.get(), kv, it, "live cursor Seek"));
      return;
    }
    if (!live_key_) {  // not Valid(): only a seek may follow
      live_.reset();
      return;
    }
    const KV& kv = m_.trees.at(live_tree_).kv;
    if (!live_deleted_ && rng_.Chance(0.2)) {
      // Still on its key, with the value as the transaction last wrote it.
      Note("live cursor check at " + Printable(*live_key_));
      ASSERT_NO_FATAL_FAILURE(
          ExpectAt(live_.get(), kv, kv.find(*live_key_), "live cursor re-read"));
      return;
    }
    bool next = live_deleted_ || rng_.Chance(0.6);
    KV::const_iterator it;
    if (next) {
      it = kv.upper_bound(*live_key_);
      Note(std::string("live cursor Next from ") + Printable(*live_key_) +
           (live_deleted_ ? " (deleted)" : ""));
      live_->Next();
    } else {
      it = kv.lower_bound(*live_key_);
      it = it == kv.begin() ? kv.end() : std::prev(it);
      Note("live cursor Prev from " + Printable(*live_key_));
      live_->Prev();
    }
    ++cursor_steps_;
    live_deleted_ = false;
    live_key_ = it == kv.end() ? std::nullopt : std::optional<std::string>(it->first);
    ASSERT_NO_FATAL_FAILURE(
        ExpectAt(live_.get(), kv, it, next ? "live cursor Next" : "live cursor Prev"));
  }

  void SavepointOp() {
    int depth = m_.savepoint_depth();
    uint64_t r = rng_.Uniform(10);
    if (depth == 0 || (r < 5 && depth < 8)) {
      int got = 0;
      Status s = wtxn_->Savepoint(&got);
      int want = m_.Savepoint();
      Note("savepoint -> " + std::to_string(got));
      ASSERT_TRUE(s.ok()) << Ctx() << " Savepoint: " << s.ToString();
      ASSERT_EQ(got, want) << Ctx() << " Savepoint depth";
    } else if (r < 8) {
      int d = static_cast<int>(rng_.Range(1, depth));
      Note("rollback to " + std::to_string(d) + " of " + std::to_string(depth));
      live_.reset();
      Status s = wtxn_->RollbackTo(d);
      ASSERT_TRUE(s.ok()) << Ctx() << " RollbackTo(" << d << "): " << s.ToString();
      m_.RollbackTo(d);
    } else {
      int d = static_cast<int>(rng_.Range(1, depth));
      Note("release " + std::to_string(d) + " of " + std::to_string(depth));
      Status s = wtxn_->Release(d);
      ASSERT_TRUE(s.ok()) << Ctx() << " Release(" << d << "): " << s.ToString();
      m_.Release(d);
    }
  }

  // Reads through the snapshot taken when the write transaction began: it
  // must see the committed values, not the transaction's changes.
  void SnapshotOp() {
    if (!snap_ || m_.tree_ops_in_txn()) return;
    TreeId id = PickTree();
    if (rng_.Chance(0.05)) {
      Note("snapshot scan t" + std::to_string(id));
      KV committed = m_.CommittedTree(id);
      ScanOp(snap_.get(), id, committed, "snapshot");
      return;
    }
    std::string key;
    const auto& ov = m_.overlay();
    if (!ov.empty() && rng_.Chance(0.7)) {
      auto it = ov.lower_bound({rng_.Uniform(64), MakeKey(rng_.Uniform(kKeySpace), key_limit_)});
      if (it == ov.end()) it = ov.begin();
      id = it->first.first;
      key = it->first.second;
    } else {
      key = PickKey(m_.trees.at(id).kv, 0.5);
    }
    Note("snapshot get t" + std::to_string(id) + " " + Printable(key));
    ASSERT_NO_FATAL_FAILURE(ExpectSnapshotValue(id, key));
  }
  void ExpectSnapshotValue(TreeId id, const std::string& key) {
    std::optional<std::string> want = m_.CommittedValue(id, key);
    std::string got;
    Status s = snap_->Get(id, key, &got);
    if (!want) {
      ASSERT_TRUE(s.IsNotFound()) << Ctx() << " snapshot Get " << Printable(key)
                                  << " expected NotFound, got " << s.ToString() << " "
                                  << Printable(got);
    } else {
      ASSERT_TRUE(s.ok()) << Ctx() << " snapshot Get " << Printable(key) << ": " << s.ToString();
      ASSERT_TRUE(BytesEqual(got, *want)) << Ctx() << " snapshot Get " << Printable(key);
    }
  }

  void TreeOp() {
    live_.reset();
    uint64_t r = rng_.Uniform(5);
    if (r == 0 && m_.trees.size() < kMaxTrees) {
      CreateTreeOp();
    } else if (r == 1 && m_.trees.size() > 3) {
      TreeId id = PickTree();
      std::string name = m_.trees.at(id).name;
      Note("drop tree " + name);
      Status s = wtxn_->DropTree(name);
      ASSERT_TRUE(s.ok()) << Ctx() << " DropTree(" << name << "): " << s.ToString();
      m_.DropTree(name);
      TreeId gone;
      s = wtxn_->OpenTree(name, &gone);
      ASSERT_TRUE(s.IsNotFound()) << Ctx() << " OpenTree of dropped tree: " << s.ToString();
    } else if (r == 2) {
      TreeId id = PickTree();
      std::string from = m_.trees.at(id).name;
      std::string to = "tree-" + std::to_string(++tree_names_);
      Note("rename tree " + from + " -> " + to);
      Status s = wtxn_->RenameTree(from, to);
      ASSERT_TRUE(s.ok()) << Ctx() << " RenameTree: " << s.ToString();
      m_.RenameTree(from, to);
      TreeId got = 0;
      s = wtxn_->OpenTree(to, &got);
      ASSERT_TRUE(s.ok()) << Ctx() << " OpenTree after rename: " << s.ToString();
      ASSERT_EQ(got, id) << Ctx() << " tree id changed by rename";
    } else if (r == 3 && rng_.Chance(0.2)) {
      TreeId id = PickTree();
      Note("clear tree t" + std::to_string(id));
      Status s = wtxn_->ClearTree(id);
      ASSERT_TRUE(s.ok()) << Ctx() << " ClearTree: " << s.ToString();
      m_.ClearTree(id);
    } else {
      Note("list trees");
      VerifyCatalog(wtxn_.get());
    }
  }

  void CreateTreeOp() {
    std::string name = "tree-" + std::to_string(++tree_names_);
    TreeId id = 0;
    Note("create tree " + name);
    Status s = wtxn_->CreateTree(name, &id);
    ASSERT_TRUE(s.ok()) << Ctx() << " CreateTree(" << name << "): " << s.ToString();
    ASSERT_EQ(m_.trees.count(id), 0u) << Ctx() << " CreateTree reused live id " << id;
    m_.CreateTree(name, id);
    TreeId again = 0;
    s = wtxn_->OpenTree(name, &again);
    ASSERT_TRUE(s.ok()) << Ctx() << " OpenTree(" << name << "): " << s.ToString();
    ASSERT_EQ(again, id);
  }

  void TreeInfoOp(TreeId id) {
    TreeInfo info;
    Note("tree info t" + std::to_string(id));
    Status s = wtxn_->GetTreeInfo(id, &info);
    ASSERT_TRUE(s.ok()) << Ctx() << " GetTreeInfo: " << s.ToString();
    const TreeModel& t = m_.trees.at(id);
    ASSERT_EQ(info.name, t.name) << Ctx();
    ASSERT_EQ(info.id, id) << Ctx();
    ASSERT_EQ(info.entries, t.kv.size()) << Ctx() << " entries of " << t.name;
  }

  void CommitOp() {
    live_.reset();
    uint64_t id = wtxn_->id();
    Note("commit id=" + std::to_string(id));
    Status s = wtxn_->Commit();
    ASSERT_TRUE(s.ok()) << Ctx() << " Commit: " << s.ToString();
    wtxn_.reset();
    ++commits_;
    if (m_.txn_changed_anything()) {
      EXPECT_GT(id, last_commit_id_) << Ctx() << " commit ids must increase";
      last_commit_id_ = std::max(last_commit_id_, id);
    }
    // The snapshot taken before the commit still sees the old values.
    if (snap_ && !m_.tree_ops_in_txn()) {
      int n = 0;
      std::vector<std::pair<TreeId, std::string>> keys;
      for (auto& [k, v] : m_.overlay()) {
        if (n++ >= 20) break;
        keys.push_back(k);
      }
      for (auto& [tid, key] : keys) {
        ASSERT_NO_FATAL_FAILURE(ExpectSnapshotValue(tid, key));
      }
    }
    snap_.reset();
    m_.Commit();
  }

  void AbortOp() {
    live_.reset();
    snap_.reset();
    Note("abort");
    if (rng_.Chance(0.5)) {
      wtxn_->Abort();
    }
    wtxn_.reset();  // destroying an uncommitted WriteTxn aborts it
    ++aborts_;
    m_.Abort();
  }

  std::string path_;
  uint64_t seed_;
  TestRng rng_;
  uint64_t ops_;
  uint32_t page_size_;
  size_t key_limit_;

  std::shared_ptr<DB> db_;
  std::unique_ptr<WriteTxn> wtxn_;
  std::unique_ptr<ReadTxn> snap_;  // taken at BeginWrite, before any change
  std::unique_ptr<Cursor> live_;
  TreeId live_tree_ = 0;
  std::optional<std::string> live_key_;  // model position; nullopt = not Valid()
  bool live_deleted_ = false;            // its key was deleted since it moved

  Model m_;
  uint64_t op_ = 0;
  uint64_t txn_len_ = 0, txn_ops_ = 0;
  bool grow_phase_ = false;
  uint64_t tree_names_ = 0;
  uint64_t last_commit_id_ = 0, last_read_id_ = 0;
  uint64_t commits_ = 0, aborts_ = 0, reopens_ = 0, cursor_steps_ = 0;
  std::deque<std::string> history_;
};

uint64_t ModelOps(uint64_t divisor) {
  uint64_t def = kSanitized ? 100000 : 1000000;
  uint64_t ops = EnvU64("LIGHTNING_MODEL_OPS", def) / divisor;
  std::printf("[ ops      ] %llu operations (LIGHTNING_MODEL_OPS)\n",
              static_cast<unsigned long long>(ops));
  return ops;
}

TEST(ModelTest, RandomOperationsAgreeWithMap) {
  TempDir dir;
  ModelRunner runner(StorePath(dir), TestSeed(kDefaultSeed), ModelOps(1),
                     static_cast<uint32_t>(EnvU64("LIGHTNING_PAGE_SIZE", 4096)));
  runner.Run();
}

// The same workload on an in-memory store (no reopen), a tenth as long.
TEST(ModelTest, InMemoryStoreAgreesWithMap) {
  ModelRunner runner(":memory:", TestSeed(kDefaultSeed + 1), ModelOps(10),
                     static_cast<uint32_t>(EnvU64("LIGHTNING_PAGE_SIZE", 4096)));
  runner.Run();
}

}  // namespace
}  // namespace lightning::test
