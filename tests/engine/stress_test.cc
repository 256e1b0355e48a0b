// Stress (issue 7), bounded in time so that it runs under TSan and ASan:
//
//   MixedThreadsWithSavepoints  writer threads (retrying on Busy) that nest,
//       roll back and release savepoints; reader threads that check an
//       invariant on their snapshots by gets and scans; a checkpoint thread.
//       LIGHTNING_STRESS_MS (default 3000) bounds it.
//   LongReaderGrowthIsBoundedAndVisible  a reader held while writers churn:
//       pinned_pages and oldest_snapshot_age report it; once it ends, the
//       pages are released and further churn reuses space.
//   TenThousandTrees  10,000 trees in one store, across a reopen and drops.
//   DeepSavepointNesting  1,000 nested savepoints, rolled back and released.
//   MaximumKeysAndValues  many keys of the largest size (page splits at the
//       limit) and a value of the largest size (256 MiB; 32 MiB sanitized).
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

// ---------------------------------------------------------------------------
// Mixed threads. The invariant: tree "data" has exactly as many keys as the
// decimal value of "meta/count", and every value names its key.

std::string DKey(uint64_t i) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "d%08" PRIu64, i);
  return buf;
}
std::string DValue(const std::string& key, uint64_t salt) {
  return key + ":" + std::to_string(salt) + std::string(salt % 300, 'v');
}
bool ValueNamesKey(Slice key, Slice value) {
  return value.size() > key.size() && value.substr(0, key.size()) == key &&
         value[key.size()] == ':';
}

struct Shared {
  std::shared_ptr<DB> db;
  TreeId data = 0, meta = 0;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> commits{0}, busy{0}, rollbacks{0}, reads{0}, scans{0}, checkpoints{0};
  std::mutex mu;
  int failures = 0;
  void Fail(const std::string& msg) {
    std::lock_guard<std::mutex> l(mu);
    if (failures++ < 10) ADD_FAILURE() << msg;
    stop = true;
  }
};

// One write transaction: savepoints nested up to 4 deep, some rolled back.
// The count is kept right at every level: each level records the count it
// started from and rollback restores it.
void WriteOnce(Shared* sh, TestRng* rng) {
  auto wr = sh->db->BeginWrite();
  if (!wr.ok()) {
    if (wr.status().IsBusy()) {
      ++sh->busy;
      return;
    }
    return sh->Fail("BeginWrite: " + wr.status().ToString());
  }
  auto w = std::move(wr).value();
  std::string v;
  Status s = w->Get(sh->meta, "count", &v);
  if (!s.ok()) return sh->Fail("Get count: " + s.ToString());
  int64_t count = std::strtoll(v.c_str(), nullptr, 10);
  std::vector<std::pair<int, int64_t>> levels;  // (savepoint depth, count at it)
  const int steps = static_cast<int>(rng->Range(1, 12));
  for (int i = 0; i < steps && s.ok(); ++i) {
    uint64_t r = rng->Uniform(10);
    if (r < 2 && levels.size() < 4) {
      int depth = 0;
      s = w->Savepoint(&depth);
      levels.emplace_back(depth, count);
    } else if (r == 2 && !levels.empty()) {
      size_t at = rng->Uniform(levels.size());
      s = w->RollbackTo(levels[at].first);
      count = levels[at].second;
      levels.resize(at + 1);
      ++sh->rollbacks;
    } else if (r == 3 && !levels.empty()) {
      size_t at = rng->Uniform(levels.size());
      s = w->Release(levels[at].first);
      levels.resize(at);
    } else {
      std::string key = DKey(rng->Uniform(3000));
      bool existed = false;
      if (rng->Chance(0.3)) {
        s = w->Delete(sh->data, key, &existed);
        if (existed) --count;
      } else {
        Status g = w->Get(sh->data, key, &v);
        if (!g.ok() && !g.IsNotFound()) s = g;
        if (s.ok()) s = w->Put(sh->data, key, DValue(key, rng->Next() % 1000));
        if (g.IsNotFound()) ++count;
      }
    }
    if (s.ok()) s = w->Put(sh->meta, "count", std::to_string(count));
  }
  if (!s.ok()) return sh->Fail("write: " + s.ToString());
  if (rng->Chance(0.1)) {
    w->Abort();
    return;
  }
  s = w->Commit();
  if (!s.ok()) return sh->Fail("Commit: " + s.ToString());
  ++sh->commits;
}

void ReadOnce(Shared* sh, TestRng* rng) {
  auto rr = sh->db->BeginRead();
  if (!rr.ok()) return sh->Fail("BeginRead: " + rr.status().ToString());
  auto r = std::move(rr).value();
  std::string v;
  Status s = r->Get(sh->meta, "count", &v);
  if (!s.ok()) return sh->Fail("read count: " + s.ToString());
  const int64_t count = std::strtoll(v.c_str(), nullptr, 10);
  TreeInfo info;
  s = r->GetTreeInfo(sh->data, &info);
  if (!s.ok()) return sh->Fail("GetTreeInfo: " + s.ToString());
  if (static_cast<int64_t>(info.entries) != count)
    return sh->Fail("snapshot: tree has " + std::to_string(info.entries) + " entries, count says " +
                    v);
  if (rng->Chance(0.3)) {  // a full scan, forwards or backwards
    auto c = r->NewCursor(sh->data);
    if (!c.ok()) return sh->Fail("NewCursor: " + c.status().ToString());
    int64_t n = 0;
    bool back = rng->Chance(0.5);
    for (back ? c.value()->SeekToLast() : c.value()->SeekToFirst(); c.value()->Valid();
         back ? c.value()->Prev() : c.value()->Next()) {
      if (!ValueNamesKey(c.value()->key(), c.value()->value()))
        return sh->Fail("scan: value of " + std::string(c.value()->key()) + " is wrong");
      ++n;
    }
    if (!c.value()->status().ok()) return sh->Fail("scan: " + c.value()->status().ToString());
    if (n != count) return sh->Fail("scan saw " + std::to_string(n) + " keys, count says " + v);
    ++sh->scans;
  } else {
    for (int i = 0; i < 20; ++i) {
      std::string key = DKey(rng->Uniform(3000));
      Slice view;
      s = r->GetView(sh->data, key, &view);
      if (s.ok() && !ValueNamesKey(key, view))
        return sh->Fail("get: value of " + key + " is wrong");
      if (!s.ok() && !s.IsNotFound()) return sh->Fail("get: " + s.ToString());
    }
  }
  ++sh->reads;
}

TEST(StressTest, MixedThreadsWithSavepoints) {
  TempDir dir;
  Options o = FastOptions();
  o.cache_size = 4ull << 20;  // small: eviction and cache misses under load
  o.checkpoint_wal_size = 1ull << 20;
  o.busy_timeout_ms = 50;
  auto r = DB::Open(StorePath(dir), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Shared sh;
  sh.db = std::move(r).value();
  {
    ASSERT_OK_AND_ASSIGN(auto w, sh.db->BeginWrite());
    ASSERT_OK(w->CreateTree("data", &sh.data));
    ASSERT_OK(w->CreateTree("meta", &sh.meta));
    ASSERT_OK(w->Put(sh.meta, "count", "0"));
    ASSERT_OK(w->Commit());
  }
  const uint64_t seed = TestSeed(4242);
  const auto ms = std::chrono::milliseconds(EnvU64("LIGHTNING_STRESS_MS", 3000));
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      TestRng rng(Mix(seed, i));
      while (!sh.stop) WriteOnce(&sh, &rng);
    });
  }
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      TestRng rng(Mix(seed, 100 + i));
      while (!sh.stop) ReadOnce(&sh, &rng);
    });
  }
  threads.emplace_back([&] {
    while (!sh.stop) {
      Status s = sh.db->Checkpoint();
      if (!s.ok() && !s.IsBusy()) sh.Fail("Checkpoint: " + s.ToString());
      if (s.ok()) ++sh.checkpoints;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  auto end = std::chrono::steady_clock::now() + ms;
  while (!sh.stop && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  sh.stop = true;
  for (auto& t : threads) t.join();
  std::printf("[ stress   ] %" PRIu64 " commits, %" PRIu64 " busy, %" PRIu64 " rollbacks, %" PRIu64
              " reads, %" PRIu64 " scans, %" PRIu64 " checkpoints\n",
              sh.commits.load(), sh.busy.load(), sh.rollbacks.load(), sh.reads.load(),
              sh.scans.load(), sh.checkpoints.load());
  ASSERT_EQ(sh.failures, 0);
  EXPECT_GT(sh.commits.load(), 0u);
  EXPECT_GT(sh.reads.load(), 0u);
  std::vector<std::string> problems;
  ASSERT_OK(sh.db->Check(&problems));
  ASSERT_TRUE(problems.empty()) << problems.front();
  // Reopen: the same invariant holds on disk.
  const std::string path = sh.db->path();
  sh.db.reset();
  ASSERT_OK_AND_ASSIGN(sh.db, DB::Open(path, o));
  TestRng rng(seed);
  ReadOnce(&sh, &rng);
  ASSERT_EQ(sh.failures, 0);
}

// ---------------------------------------------------------------------------

double MetricValue(DB* db, const char* name) {
  auto m = FindMetric(db->Metrics(), name);
  EXPECT_TRUE(m.has_value()) << name << " not among " << MetricNames(db->Metrics());
  return m ? m->value : -1;
}

// Overwrites keys 0..n-1 `rounds` times, one commit per round; checkpoints
// every 4 rounds.
void Churn(DB* db, TreeId tree, int n, int rounds, int version) {
  for (int r = 0; r < rounds; ++r) {
    ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
    for (int i = 0; i < n; ++i)
      ASSERT_OK(w->Put(tree, DKey(i), DValue(DKey(i), static_cast<uint64_t>(version * 1000 + r))));
    ASSERT_OK(w->Commit());
    if (r % 4 == 3) {
      ASSERT_OK(db->Checkpoint());
    }
  }
}

TEST(StressTest, LongReaderGrowthIsBoundedAndVisible) {
  TempDir dir;
  Options o = FastOptions();
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), o));
  TreeId tree = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
    ASSERT_OK(w->CreateTree("data", &tree));
    ASSERT_OK(w->Commit());
  }
  const int n = 2000, rounds = kSanitized ? 12 : 40;
  ASSERT_NO_FATAL_FAILURE(Churn(db.get(), tree, n, 4, 0));
  ASSERT_OK(db->Checkpoint());
  EXPECT_EQ(MetricValue(db.get(), "pinned_pages"), 0);
  const uint64_t baseline = FileSize(db->path());

  // A reader holds the version of now while writers churn.
  ASSERT_OK_AND_ASSIGN(auto reader, db->BeginRead());
  std::string before;
  ASSERT_OK(reader->Get(tree, DKey(7), &before));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_NO_FATAL_FAILURE(Churn(db.get(), tree, n, rounds, 1));
  const double pinned = MetricValue(db.get(), "pinned_pages");
  const double age = MetricValue(db.get(), "oldest_snapshot_age");
  const uint64_t held_size = FileSize(db->path());
  std::printf("[ reader   ] held: pinned_pages=%.0f oldest_snapshot_age=%.3f s, file %" PRIu64
              " B (baseline %" PRIu64 " B)\n",
              pinned, age, held_size, baseline);
  EXPECT_GT(pinned, 0) << "a long reader must be visible in pinned_pages";
  EXPECT_GE(age, 0.02) << "a long reader must be visible in oldest_snapshot_age";
  std::string still;
  ASSERT_OK(reader->Get(tree, DKey(7), &still));
  EXPECT_EQ(still, before) << "the held snapshot changed";

  // Released: the pages go, and the same churn again does not grow the file.
  reader.reset();
  ASSERT_NO_FATAL_FAILURE(Churn(db.get(), tree, n, 4, 2));
  ASSERT_OK(db->Checkpoint());
  ASSERT_OK(db->Checkpoint());
  const double pinned_after = MetricValue(db.get(), "pinned_pages");
  const uint64_t after1 = FileSize(db->path());
  ASSERT_NO_FATAL_FAILURE(Churn(db.get(), tree, n, rounds, 3));
  ASSERT_OK(db->Checkpoint());
  ASSERT_OK(db->Checkpoint());
  const uint64_t after2 = FileSize(db->path());
  std::printf("[ reader   ] released: pinned_pages=%.0f, file %" PRIu64
              " B, after more churn %" PRIu64 " B\n",
              pinned_after, after1, after2);
  EXPECT_LT(pinned_after, pinned) << "pages pinned by the reader were not released";
  EXPECT_LE(after2, std::max(after1, held_size) + (held_size / 4))
      << "the file keeps growing under churn with no reader";
  EXPECT_EQ(MetricValue(db.get(), "active_readers"), 0);
}

// ---------------------------------------------------------------------------

TEST(StressTest, TenThousandTrees) {
  TempDir dir;
  Options o = FastOptions();
  const std::string path = StorePath(dir);
  constexpr int kTrees = 10000;
  auto name = [](int i) { return "table_" + std::to_string(i); };
  {
    ASSERT_OK_AND_ASSIGN(auto db, DB::Open(path, o));
    for (int base = 0; base < kTrees; base += 1000) {
      ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
      for (int i = base; i < base + 1000; ++i) {
        TreeId id = 0;
        ASSERT_OK(w->CreateTree(name(i), &id));
        for (int k = 0; k < 1 + i % 3; ++k) ASSERT_OK(w->Put(id, DKey(k), DValue(DKey(k), i)));
      }
      ASSERT_OK(w->Commit());
    }
  }  // closed: checkpointed
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(path, o));
  {
    ASSERT_OK_AND_ASSIGN(auto r, db->BeginRead());
    std::vector<TreeInfo> trees;
    ASSERT_OK(r->ListTrees(&trees));
    ASSERT_EQ(trees.size(), static_cast<size_t>(kTrees));
    for (int i = 0; i < kTrees; i += 97) {
      TreeId id = 0;
      ASSERT_OK(r->OpenTree(name(i), &id)) << name(i);
      TreeInfo info;
      ASSERT_OK(r->GetTreeInfo(id, &info));
      ASSERT_EQ(info.entries, static_cast<uint64_t>(1 + i % 3)) << name(i);
      std::string v;
      ASSERT_OK(r->Get(id, DKey(0), &v));
      ASSERT_EQ(v, DValue(DKey(0), i));
    }
  }
  {  // drop every other tree, rename a few, then reopen from the WAL alone
    ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
    for (int i = 0; i < kTrees; i += 2) ASSERT_OK(w->DropTree(name(i)));
    for (int i = 1; i < 100; i += 2)
      ASSERT_OK(w->RenameTree(name(i), "renamed_" + std::to_string(i)));
    ASSERT_OK(w->Commit());
  }
  std::vector<std::string> problems;
  ASSERT_OK(db->Check(&problems));
  ASSERT_TRUE(problems.empty()) << problems.front();
  db.reset();
  ASSERT_OK_AND_ASSIGN(db, DB::Open(path, o));
  ASSERT_OK_AND_ASSIGN(auto r, db->BeginRead());
  std::vector<TreeInfo> trees;
  ASSERT_OK(r->ListTrees(&trees));
  EXPECT_EQ(trees.size(), static_cast<size_t>(kTrees / 2));
  TreeId id = 0;
  EXPECT_TRUE(r->OpenTree(name(0), &id).IsNotFound());
  ASSERT_OK(r->OpenTree("renamed_3", &id));
  std::string v;
  ASSERT_OK(r->Get(id, DKey(0), &v));
  EXPECT_EQ(v, DValue(DKey(0), 3));
}

// ---------------------------------------------------------------------------

TEST(StressTest, DeepSavepointNesting) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), FastOptions()));
  constexpr int kDepth = 1000;
  ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
  TreeId tree = 0;
  ASSERT_OK(w->CreateTree("t", &tree));
  std::vector<int> depth_at(kDepth);
  for (int i = 0; i < kDepth; ++i) {
    ASSERT_OK(w->Savepoint(&depth_at[i]));
    ASSERT_EQ(depth_at[i], i + 1);
    // Each level writes its own key and overwrites a shared one.
    ASSERT_OK(w->Put(tree, DKey(i), DValue(DKey(i), i)));
    ASSERT_OK(w->Put(tree, "shared", std::to_string(i)));
  }
  std::string v;
  ASSERT_OK(w->Get(tree, "shared", &v));
  EXPECT_EQ(v, std::to_string(kDepth - 1));
  // Back to level 700: its own writes and deeper ones go, and it stays.
  ASSERT_OK(w->RollbackTo(depth_at[700]));
  ASSERT_OK(w->Get(tree, "shared", &v));
  EXPECT_EQ(v, "699");
  EXPECT_TRUE(w->Get(tree, DKey(700), &v).IsNotFound());
  EXPECT_OK(w->Get(tree, DKey(699), &v));
  // Release 300..700, keeping their changes; roll back to 200.
  ASSERT_OK(w->Release(depth_at[300]));
  ASSERT_OK(w->RollbackTo(depth_at[200]));
  ASSERT_OK(w->Get(tree, "shared", &v));
  EXPECT_EQ(v, "199");
  // A deeper level again after rolling back, then everything released.
  int d = 0;
  ASSERT_OK(w->Savepoint(&d));
  EXPECT_EQ(d, depth_at[200] + 1);
  ASSERT_OK(w->Put(tree, "after", "x"));
  ASSERT_OK(w->Release(1));
  ASSERT_OK(w->Commit());
  w.reset();
  ASSERT_OK_AND_ASSIGN(auto r, db->BeginRead());
  TreeInfo info;
  ASSERT_OK(r->GetTreeInfo(tree, &info));
  EXPECT_EQ(info.entries, 200u + 2u);  // keys 0..199, "shared", "after"
  ASSERT_OK(r->Get(tree, "shared", &v));
  EXPECT_EQ(v, "199");
}

// ---------------------------------------------------------------------------

TEST(StressTest, MaximumKeysAndValues) {
  for (uint32_t page_size : {4096u, 32768u}) {
    SCOPED_TRACE("page_size " + std::to_string(page_size));
    TempDir dir;
    Options o = FastOptions();
    o.page_size = page_size;
    const std::string path = StorePath(dir);
    const size_t max_key = std::min<size_t>(kMaxKeySize, page_size / 4);
    TestRng rng(page_size);
    std::map<std::string, std::string> model;
    ASSERT_OK_AND_ASSIGN(auto db, DB::Open(path, o));
    TreeId tree = 0;
    {
      ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
      ASSERT_OK(w->CreateTree("t", &tree));
      // Keys of the largest size that differ only in their last bytes: pages
      // split with at most 3 keys each, and prefixes cannot tell them apart.
      for (int i = 0; i < 300; ++i) {
        std::string key(max_key, 'k');
        std::snprintf(&key[max_key - 8], 9, "%08d", i);
        std::string value = rng.Bytes(rng.Range(0, page_size));
        ASSERT_OK(w->Put(tree, key, value));
        model[key] = value;
      }
      EXPECT_TRUE(w->Put(tree, std::string(max_key + 1, 'k'), "x").IsInvalidArgument());
      ASSERT_OK(w->Commit());
    }
    {
      ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
      int i = 0;
      for (auto it = model.begin(); it != model.end(); ++i) {
        if (i % 2 == 0) {
          ASSERT_OK(w->Delete(tree, it->first));
          it = model.erase(it);
        } else {
          ++it;
        }
      }
      ASSERT_OK(w->Commit());
    }
    // The largest value (256 MiB; 32 MiB under sanitizers, once) under a largest key.
    const size_t big = kSanitized ? (page_size == 4096 ? (32u << 20) : (1u << 20)) : kMaxValueSize;
    std::string big_key(max_key, 'z');
    {
      std::string value(big, 'v');
      for (size_t p = 0; p < big; p += 4096) value[p] = static_cast<char>(p >> 12);
      ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
      ASSERT_OK(w->Put(tree, big_key, value));
      ASSERT_OK(w->Commit());
      model[big_key] = std::move(value);
    }
    ASSERT_OK(db->Checkpoint());
    db.reset();
    ASSERT_OK_AND_ASSIGN(db, DB::Open(path, o));
    ASSERT_OK_AND_ASSIGN(auto r, db->BeginRead());
    ASSERT_OK_AND_ASSIGN(auto c, r->NewCursor(tree));
    c->SeekToFirst();
    for (const auto& [key, value] : model) {
      ASSERT_TRUE(c->Valid()) << c->status().ToString();
      ASSERT_TRUE(BytesEqual(c->key(), key));
      ASSERT_TRUE(BytesEqual(c->value(), value)) << Printable(key);
      c->Next();
    }
    EXPECT_FALSE(c->Valid());
    ASSERT_OK(c->status());
    c.reset();
    r.reset();
    std::vector<std::string> problems;
    ASSERT_OK(db->Check(&problems));
    ASSERT_TRUE(problems.empty()) << problems.front();
  }
}

}  // namespace
}  // namespace lightning::test
