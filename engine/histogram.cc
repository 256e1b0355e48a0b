#include "engine/histogram.h"

namespace lightning {

double Histogram::Percentile(double q) const {
  uint64_t total = 0;
  std::array<uint64_t, kBuckets> snap;
  for (int b = 0; b < kBuckets; b++) {
    snap[b] = buckets_[b].load(std::memory_order_relaxed);
    total += snap[b];
  }
  if (total == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total - 1)) + 1;
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; b++) {
    seen += snap[b];
    if (seen >= rank) {
      uint64_t lo = BucketLow(b);
      uint64_t hi = b + 1 < kBuckets ? BucketLow(b + 1) : lo;
      double mid = (static_cast<double>(lo) + static_cast<double>(hi)) / 2.0;
      double mx = static_cast<double>(max());
      return mid > mx ? mx : mid;
    }
  }
  return static_cast<double>(max());
}

void Histogram::Reset() {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  sum_.store(0, std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
}

}  // namespace lightning
