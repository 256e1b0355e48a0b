// Cache: with cache_size = 4 MiB, a data set ten times larger is loaded in
// many transactions and read back by random gets and a full scan. The metric
// for cache bytes in use (name contains "cache_used") must never exceed
// cache_size when sampled between operations, and pages must be evicted.
#include <algorithm>
#include <cinttypes>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

constexpr uint64_t kCache = 4ull << 20;

std::string Key(uint64_t i) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "k%010" PRIu64, i);
  return buf;
}
std::string Value(uint64_t i) {
  std::string v(400, '\0');
  uint64_t x = i;
  for (size_t k = 0; k < v.size(); k += 8) {
    x = TestRng::SplitMix(&x);
    std::memcpy(&v[k], &x, 8);
  }
  return v;
}

class CacheTest : public ::testing::Test {
 protected:
  // Samples the cache gauge; fails if it is above cache_size.
  void Sample(const char* when) {
    auto metrics = db_->Metrics();
    auto used = FindMetric(metrics, "cache_used");
    ASSERT_TRUE(used.has_value()) << "no metric named *cache_used*; metrics: "
                                  << MetricNames(metrics);
    max_used_ = std::max(max_used_, used->value);
    ++samples_;
    if (used->value <= double(kCache)) return;
    std::string related;
    for (const auto& m : metrics) {
      if (m.name.find("cache") != std::string::npos || m.name.find("dirty") != std::string::npos ||
          m.name.find("evict") != std::string::npos || m.name.find("frame") != std::string::npos) {
        related += " " + m.name + "=" + std::to_string(static_cast<uint64_t>(m.value));
      }
    }
    FAIL() << when << " (sample " << samples_ << "): " << used->name << " = " << used->value
           << " exceeds cache_size " << kCache << ";" << related;
  }

  TempDir dir_;
  std::shared_ptr<DB> db_;
  double max_used_ = 0;
  uint64_t samples_ = 0;
};

TEST_F(CacheTest, UsageStaysWithinCacheSize) {
  SKIP_UNDER_TSAN("single-threaded bulk test, ~5 min under TSan; runs in Release and ASan");
  // 10x the cache in values alone; fewer rows under sanitizers is not needed
  // (about 40 MiB either way).
  const uint64_t n = (10 * kCache) / 400 + 1000;
  Options o = FastOptions();
  o.cache_size = kCache;
  ASSERT_OK_AND_ASSIGN(db_, DB::Open(StorePath(dir_), o));
  TreeId id = 0;
  const uint64_t batch = 500;
  for (uint64_t b = 0; b < n; b += batch) {
    ASSERT_OK_AND_ASSIGN(auto w, db_->BeginWrite());
    if (b == 0) {
      ASSERT_OK(w->CreateTree("t", &id));
    }
    for (uint64_t i = b; i < std::min(n, b + batch); ++i) ASSERT_OK(w->Put(id, Key(i), Value(i)));
    ASSERT_OK(w->Commit());
    ASSERT_NO_FATAL_FAILURE(Sample("after a load transaction"));
  }
  std::printf("[ load     ] %" PRIu64 " rows (%.1f MiB of values), file %" PRIu64 " B\n", n,
              double(n * 400) / (1 << 20), FileSize(StorePath(dir_)));

  // Random gets.
  std::vector<uint64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  TestRng rng(3);
  for (uint64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.Uniform(i + 1)]);
  {
    ASSERT_OK_AND_ASSIGN(auto t, db_->BeginRead());
    for (uint64_t k = 0; k < n; ++k) {
      std::string v;
      ASSERT_OK(t->Get(id, Key(order[k]), &v));
      ASSERT_TRUE(BytesEqual(v, Value(order[k]))) << Key(order[k]);
      if (k % 1000 == 0) {
        ASSERT_NO_FATAL_FAILURE(Sample("during random gets"));
      }
    }
  }
  ASSERT_NO_FATAL_FAILURE(Sample("after random gets"));
  // Full scan, one new read transaction per 5000 rows.
  uint64_t i = 0;
  std::string from = Key(0);
  while (i < n) {
    ASSERT_OK_AND_ASSIGN(auto t, db_->BeginRead());
    ASSERT_OK_AND_ASSIGN(auto c, t->NewCursor(id));
    c->Seek(from);
    for (int step = 0; step < 5000 && i < n; ++step, ++i, c->Next()) {
      ASSERT_TRUE(c->Valid()) << "scan stopped at " << i << ": " << c->status().ToString();
      ASSERT_EQ(std::string(c->key()), Key(i));
      ASSERT_TRUE(BytesEqual(c->value(), Value(i))) << Key(i);
    }
    from = Key(i);
    c.reset();
    t.reset();
    ASSERT_NO_FATAL_FAILURE(Sample("during the scan"));
  }
  auto metrics = db_->Metrics();
  auto evictions = FindMetric(metrics, "evict");
  ASSERT_TRUE(evictions.has_value()) << "no eviction metric; metrics: " << MetricNames(metrics);
  auto misses = FindMetric(metrics, "cache_miss");
  std::printf("[ cache    ] %" PRIu64 " samples, max %s %.0f B of %" PRIu64
              " B, %s = %.0f, %s = %.0f\n",
              samples_, "cache_used", max_used_, kCache, evictions->name.c_str(), evictions->value,
              misses ? misses->name.c_str() : "cache_miss*", misses ? misses->value : -1.0);
  EXPECT_GT(evictions->value, 0) << "a data set 10x the cache was read without evicting anything";
  EXPECT_GT(max_used_, 0) << "the cache gauge never moved";
}

// Read-ahead (scan_readahead): a scan over leaves that are not cached asks
// the OS for the leaves ahead of it, forward and backward, and returns the
// same rows as without; with the option at 0, or with everything cached,
// nothing is read ahead; a short range scan reads ahead only a little.
TEST_F(CacheTest, ScansReadAheadUncachedLeaves) {
  const uint64_t n = 20000;  // ~8 MiB of values, twice the cache
  Options o = FastOptions();
  o.cache_size = kCache;
  ASSERT_OK_AND_ASSIGN(db_, DB::Open(StorePath(dir_), o));
  TreeId id = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto w, db_->BeginWrite());
    ASSERT_OK(w->CreateTree("t", &id));
    for (uint64_t i = 0; i < n; ++i) ASSERT_OK(w->Put(id, Key(i), Value(i)));
    ASSERT_OK(w->Commit());
  }
  ASSERT_OK(db_->Checkpoint());
  auto readahead = [&] { return FindMetric(db_->Metrics(), "readahead_pages")->value; };
  auto reopen = [&](const char* readahead_pages) {
    db_.reset();
    Options r = o;
    ASSERT_OK(r.Set("scan_readahead", readahead_pages));
    ASSERT_OK_AND_ASSIGN(db_, DB::Open(StorePath(dir_), r));
  };
  auto scan = [&](bool forward) {
    ASSERT_OK_AND_ASSIGN(auto t, db_->BeginRead());
    ASSERT_OK_AND_ASSIGN(auto c, t->NewCursor(id));
    forward ? c->SeekToFirst() : c->SeekToLast();
    for (uint64_t k = 0; k < n; ++k, forward ? c->Next() : c->Prev()) {
      const uint64_t i = forward ? k : n - 1 - k;
      ASSERT_TRUE(c->Valid()) << "scan stopped at " << i << ": " << c->status().ToString();
      ASSERT_EQ(std::string(c->key()), Key(i));
      ASSERT_TRUE(BytesEqual(c->value(), Value(i))) << Key(i);
    }
    EXPECT_FALSE(c->Valid());
    ASSERT_OK(c->status());
  };

  ASSERT_NO_FATAL_FAILURE(reopen("0"));
  ASSERT_NO_FATAL_FAILURE(scan(true));
  EXPECT_EQ(readahead(), 0) << "scan_readahead=0 read ahead";

  ASSERT_NO_FATAL_FAILURE(reopen("32"));
  ASSERT_NO_FATAL_FAILURE(scan(true));
  const double forward = readahead();
  ASSERT_NO_FATAL_FAILURE(scan(false));  // the cache holds the last half now: misses the first
  const double backward = readahead() - forward;
  std::printf("[ readahead] forward %.0f pages, backward %.0f pages\n", forward, backward);
  EXPECT_GT(forward, 100) << "a cold forward scan of ~" << n / 25 << " leaves read few ahead";
  EXPECT_GT(backward, 100) << "a backward scan over evicted leaves read few ahead";

  // A short range scan starts with a window of 2 leaves, doubling as it goes.
  ASSERT_NO_FATAL_FAILURE(reopen("32"));
  {
    ASSERT_OK_AND_ASSIGN(auto t, db_->BeginRead());
    ASSERT_OK_AND_ASSIGN(auto c, t->NewCursor(id));
    c->Seek(Key(n / 2));
    for (int k = 0; k < 100 && c->Valid(); ++k) c->Next();
    ASSERT_OK(c->status());
  }
  // 100 rows are 0.5% of the data: far less than 5% of the leaves ahead.
  EXPECT_LT(readahead(), forward / 20) << "a 100-row range scan read far ahead";

  // Everything cached: nothing to read ahead.
  o.cache_size = 256ull << 20;
  ASSERT_NO_FATAL_FAILURE(reopen("32"));
  ASSERT_NO_FATAL_FAILURE(scan(true));
  const double cold = readahead();
  ASSERT_NO_FATAL_FAILURE(scan(true));
  EXPECT_EQ(readahead(), cold) << "a scan of cached leaves read ahead";
}

// Shrinking cache_size on a live store brings usage under the new bound.
TEST_F(CacheTest, ShrinkLive) {
  Options o = FastOptions();
  o.cache_size = 32ull << 20;
  ASSERT_OK_AND_ASSIGN(db_, DB::Open(StorePath(dir_), o));
  TreeId id = 0;
  ASSERT_OK_AND_ASSIGN(auto w, db_->BeginWrite());
  ASSERT_OK(w->CreateTree("t", &id));
  for (uint64_t i = 0; i < 40000; ++i) ASSERT_OK(w->Put(id, Key(i), Value(i)));
  ASSERT_OK(w->Commit());
  ASSERT_OK(db_->Checkpoint());
  ASSERT_OK(db_->SetOption("cache_size", "4MiB"));
  EXPECT_EQ(db_->GetOptions().cache_size, kCache);
  ASSERT_OK_AND_ASSIGN(auto t, db_->BeginRead());
  for (uint64_t i = 0; i < 40000; i += 3) {
    std::string v;
    ASSERT_OK(t->Get(id, Key(i), &v));
  }
  t.reset();
  ASSERT_NO_FATAL_FAILURE(Sample("after shrinking cache_size live"));
}

}  // namespace
}  // namespace lightning::test
