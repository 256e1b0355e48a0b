#include "engine/histogram.h"

#include <cmath>

namespace lightning {

double Histogram::Percentile(double q) const {
  uint64_t total = 0;
  std::array<uint64_t, kBuckets> snap;
  for (int b = 0; b < kBuckets; b++) {
    snap[b] = bucket(b);
    total += snap[b];
  }
  if (total == 0) return 0;
  // Nearest rank: the smallest sample with at least q of the samples at or
  // below it (ceil(q * total)), so p99 of two samples is the larger one.
  double want = std::ceil(q * static_cast<double>(total));
  uint64_t rank = want < 1                            ? 1
                  : want > static_cast<double>(total) ? total
                                                      : static_cast<uint64_t>(want);
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; b++) {
    seen += snap[b];
    if (seen >= rank) {
      // The bucket's highest value, capped by the largest sample: never below
      // the sample of that rank, and at most 12.5% above it.
      const double hi = b + 1 < kBuckets ? static_cast<double>(BucketLow(b + 1) - 1)
                                         : static_cast<double>(BucketLow(b));
      const double mx = static_cast<double>(max());
      return hi > mx ? mx : hi;
    }
  }
  return static_cast<double>(max());
}

void Histogram::Reset() {
  for (Stripe& s : stripes_) {
    for (auto& b : s.buckets) b.store(0, std::memory_order_relaxed);
    s.count.store(0, std::memory_order_relaxed);
    s.sum.store(0, std::memory_order_relaxed);
    s.max.store(0, std::memory_order_relaxed);
  }
}

}  // namespace lightning
