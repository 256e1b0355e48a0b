// Child links (Pager::LinkChild, engine/pager.h): read transactions link a
// cached child's frame into its parent's frame and later descents follow the
// link instead of the page table. These tests check that links form, that
// turning them off leaves none, and that lookups stay right while links are
// undone under them: readers on several threads against a writer that
// rewrites keys (copy-on-write frees linked pages), checkpoints and a cache
// far smaller than the data (eviction of linked parents and children).
#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/pager.h"
#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

std::string Key(uint64_t i) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "k%012" PRIu64, i);
  return buf;
}
// The key's number, then the generation, then filler: a reader can tell the
// value belongs to the key it asked for.
std::string Value(uint64_t i, uint64_t gen, size_t size) {
  std::string v(size, static_cast<char>('a' + (i + gen) % 26));
  std::memcpy(v.data(), &i, 8);
  std::memcpy(v.data() + 8, &gen, 8);
  return v;
}

double MetricValue(DB* db, const char* name) {
  auto m = FindMetric(db->Metrics(), name);
  EXPECT_TRUE(m.has_value()) << name << " not among " << MetricNames(db->Metrics());
  return m ? m->value : -1;
}

// Restores the process-wide switch whatever the test does.
class ChildLinksTest : public ::testing::Test {
 protected:
  void TearDown() override { Pager::SetChildLinks(true); }

  void Load(DB* db, TreeId* tree, uint64_t n, size_t value_size) {
    ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
    ASSERT_OK(w->CreateTree("t", tree));
    for (uint64_t i = 0; i < n; i++) ASSERT_OK(w->Put(*tree, Key(i), Value(i, 0, value_size)));
    ASSERT_OK(w->Commit());
  }
  // `gets` random point reads, each in its own read transaction; every value
  // must be its key's.
  void Gets(DB* db, TreeId tree, uint64_t n, uint64_t gets, uint64_t seed) {
    TestRng rng(seed);
    for (uint64_t g = 0; g < gets; g++) {
      const uint64_t i = rng.Uniform(n);
      ASSERT_OK_AND_ASSIGN(auto r, db->BeginRead());
      Slice v;
      ASSERT_OK(r->GetView(tree, Key(i), &v));
      uint64_t got;
      ASSERT_GE(v.size(), 16u);
      std::memcpy(&got, v.data(), 8);
      ASSERT_EQ(got, i) << "key " << Key(i) << " read another key's value";
    }
  }
};

TEST_F(ChildLinksTest, ReadsLinkChildrenAndFollowThem) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), FastOptions()));
  TreeId tree;
  constexpr uint64_t kKeys = 20000;
  Load(db.get(), &tree, kKeys, 100);
  ASSERT_EQ(MetricValue(db.get(), "cache_child_links"), 0) << "only read transactions link";
  Gets(db.get(), tree, kKeys, 5000, TestSeed(1));
  const double links = MetricValue(db.get(), "cache_child_links");
  EXPECT_GT(links, 0);
  EXPECT_LT(links, MetricValue(db.get(), "cache_pages"));
  // Lookups through the links: same answers, no new links needed.
  Gets(db.get(), tree, kKeys, 5000, TestSeed(1));
  EXPECT_EQ(MetricValue(db.get(), "cache_child_links"), links);
  // Seeks follow them too.
  ASSERT_OK_AND_ASSIGN(auto r, db->BeginRead());
  ASSERT_OK_AND_ASSIGN(auto c, r->NewCursor(tree));
  for (uint64_t i = 0; i < kKeys; i += 997) {
    c->Seek(Key(i));
    ASSERT_TRUE(c->Valid());
    EXPECT_EQ(std::string(c->key()), Key(i));
  }
  // Scans move between leaves through them, both ways.
  uint64_t n = 0;
  for (c->SeekToFirst(); c->Valid(); c->Next(), n++) ASSERT_EQ(std::string(c->key()), Key(n));
  EXPECT_EQ(n, kKeys);
  for (c->SeekToLast(); c->Valid(); c->Prev()) ASSERT_EQ(std::string(c->key()), Key(--n));
  EXPECT_EQ(n, 0u);
  ASSERT_OK(c->status());
}

TEST_F(ChildLinksTest, OffMeansNoLinks) {
  Pager::SetChildLinks(false);
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), FastOptions()));
  TreeId tree;
  Load(db.get(), &tree, 20000, 100);
  Gets(db.get(), tree, 20000, 3000, TestSeed(2));
  EXPECT_EQ(MetricValue(db.get(), "cache_child_links"), 0);
}

// Links are undone when a page is replaced (its frame dropped) or evicted;
// readers on other threads keep finding their keys meanwhile.
TEST_F(ChildLinksTest, ReadersRightWhileLinkedPagesAreReplacedAndEvicted) {
  TempDir dir;
  Options o = FastOptions();
  o.cache_size = 1ull << 20;  // the data is several times larger
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), o));
  TreeId tree;
  constexpr uint64_t kKeys = 12000;
  constexpr size_t kValue = 300;
  Load(db.get(), &tree, kKeys, kValue);
  ASSERT_OK(db->Checkpoint());
  const uint64_t seed = TestSeed(3);
  const int rounds = kSanitized ? 6 : 30;
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; t++) {
    readers.emplace_back([&, t] {
      TestRng rng(seed + t);
      while (!stop.load()) {
        auto r = db->BeginRead();
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        for (int k = 0; k < 20; k++) {
          const uint64_t i = rng.Uniform(kKeys);
          Slice v;
          Status s = r.value()->GetView(tree, Key(i), &v);
          ASSERT_TRUE(s.ok()) << Key(i) << ": " << s.ToString();
          uint64_t got;
          std::memcpy(&got, v.data(), 8);
          ASSERT_EQ(got, i) << "key " << Key(i) << " read another key's value";
        }
        // A short scan across leaves (and their links).
        auto c = r.value()->NewCursor(tree);
        ASSERT_TRUE(c.ok()) << c.status().ToString();
        uint64_t i = rng.Uniform(kKeys);
        for (c.value()->Seek(Key(i)); c.value()->Valid() && i < kKeys; c.value()->Next(), i++) {
          ASSERT_EQ(std::string(c.value()->key()), Key(i));
          if (i % 50 == 49) break;
        }
        ASSERT_TRUE(c.value()->status().ok()) << c.value()->status().ToString();
      }
    });
  }
  TestRng rng(seed ^ 0x5eed);
  double max_links = 0;
  for (int round = 1; round <= rounds && !HasFatalFailure(); round++) {
    ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
    for (int k = 0; k < 400; k++) {
      const uint64_t i = rng.Uniform(kKeys);
      ASSERT_OK(w->Put(tree, Key(i), Value(i, round, kValue)));
    }
    ASSERT_OK(w->Commit());
    if (round % 3 == 0) ASSERT_OK(db->Checkpoint());
    max_links = std::max(max_links, MetricValue(db.get(), "cache_child_links"));
  }
  stop = true;
  for (auto& t : readers) t.join();
  ASSERT_OK(db->Checkpoint());
  EXPECT_GT(max_links, 0) << "the readers made no links";
  EXPECT_GT(MetricValue(db.get(), "cache_evictions"), 0);
  EXPECT_LE(MetricValue(db.get(), "cache_used"), static_cast<double>(o.cache_size));
  std::vector<std::string> problems;
  ASSERT_OK(db->Check(&problems));
  EXPECT_TRUE(problems.empty()) << problems.front();
  Gets(db.get(), tree, kKeys, 2000, seed + 99);
}

}  // namespace
}  // namespace lightning::test
