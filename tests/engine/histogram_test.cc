// Histogram::Percentile: nearest-rank percentiles that never report less than
// the sample they stand for, even with few samples (issue 17, item 4).
#include "engine/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

namespace lightning::test {
namespace {

TEST(HistogramTest, TwoSamplesHaveTheLargerAsTheirTail) {
  Histogram h;
  h.Record(59'000);     // 59 us
  h.Record(6'102'000);  // 6102 us
  EXPECT_LE(h.Percentile(0.50), 59'000 * 1.125);
  EXPECT_GE(h.Percentile(0.50), 59'000);
  EXPECT_EQ(h.Percentile(0.95), 6'102'000);  // capped by the max
  EXPECT_EQ(h.Percentile(0.99), 6'102'000);
  EXPECT_EQ(h.Percentile(0.999), 6'102'000);
}

TEST(HistogramTest, EmptyIsZero) {
  Histogram h;
  EXPECT_EQ(h.Percentile(0.99), 0);
}

TEST(HistogramTest, NeverBelowTheNearestRankSampleNorMoreThanABucketAbove) {
  std::mt19937_64 rng(17);
  for (int n : {1, 2, 3, 10, 99, 100, 101, 1000, 5000}) {
    Histogram h;
    std::vector<uint64_t> v;
    std::lognormal_distribution<double> dist(10, 2);
    for (int i = 0; i < n; i++) {
      const uint64_t x = static_cast<uint64_t>(dist(rng)) + 1;
      v.push_back(x);
      h.Record(x);
    }
    std::sort(v.begin(), v.end());
    for (double q : {0.0, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0}) {
      size_t rank = static_cast<size_t>(std::ceil(q * n));
      rank = std::clamp<size_t>(rank, 1, n);
      const double want = static_cast<double>(v[rank - 1]);
      const double got = h.Percentile(q);
      EXPECT_GE(got, want) << "n=" << n << " q=" << q;
      EXPECT_LE(got, want * 1.125 + 1) << "n=" << n << " q=" << q;
      EXPECT_LE(got, static_cast<double>(v.back()));
    }
  }
}

// Threads record into striped copies (issue 18 item 2); every reader sums them.
TEST(HistogramTest, RecordsFromManyThreadsAllCount) {
  Histogram h;
  constexpr int kThreads = 6, kEach = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&h, t] {
      for (int i = 1; i <= kEach; i++) h.Record(static_cast<uint64_t>(t * kEach + i));
    });
  }
  for (auto& t : threads) t.join();
  const uint64_t n = uint64_t{kThreads} * kEach;
  EXPECT_EQ(h.count(), n);
  EXPECT_EQ(h.sum(), n * (n + 1) / 2);
  EXPECT_EQ(h.max(), n);
  uint64_t in_buckets = 0;
  for (int b = 0; b < Histogram::kBuckets; b++) in_buckets += h.bucket(b);
  EXPECT_EQ(in_buckets, n);
  EXPECT_GE(h.Percentile(0.5), static_cast<double>(n / 2));
  EXPECT_LE(h.Percentile(0.5), n / 2 * 1.125 + 1);
  h.Reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.Percentile(0.99), 0);
}

}  // namespace
}  // namespace lightning::test
