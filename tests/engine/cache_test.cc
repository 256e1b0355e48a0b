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
