// Highway's dynamic dispatch: this file is compiled once per SIMD target
// (foreach_target.h re-includes it), and HWY_DYNAMIC_DISPATCH calls the best
// one the CPU supports.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "engine/node_search.cc"
#include "engine/node_search.h"

#include <hwy/foreach_target.h>  // must come before highway.h
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace lightning {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Halves the range without branches until a few vectors remain, then counts
// the prefixes below `key` in that window with vector compares. A partial
// last vector is loaded as the window's last full vector, with the lanes
// already counted masked off, so nothing outside the array is read (not every
// target has a masked load that cannot fault).
uint32_t PrefixLowerBoundSimd(const uint64_t* p, uint32_t n, uint64_t key) {
  const hn::ScalableTag<uint64_t> d;
  const uint32_t lanes = static_cast<uint32_t>(hn::Lanes(d));
  const uint64_t* base = p;
  while (n > 4 * lanes) {
    const uint32_t half = n / 2;
    base = base[half] < key ? base + half : base;
    n -= half;
  }
  const uint32_t offset = static_cast<uint32_t>(base - p);
  if (n < lanes) return offset + PrefixLowerBoundScalar(base, n, key);
  const auto vkey = hn::Set(d, key);
  size_t below = 0;
  uint32_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    below += hn::CountTrue(d, hn::Lt(hn::LoadU(d, base + i), vkey));
  }
  if (i < n) {
    const auto fresh = hn::Not(hn::FirstN(d, lanes - (n - i)));
    below += hn::CountTrue(d, hn::And(fresh, hn::Lt(hn::LoadU(d, base + n - lanes), vkey)));
  }
  return offset + static_cast<uint32_t>(below);
}

const char* TargetName() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace lightning
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <atomic>
#include <cstdlib>
#include <cstring>

namespace lightning {

HWY_EXPORT(PrefixLowerBoundSimd);
HWY_EXPORT(TargetName);

namespace {

NodeSearch InitialMode() {
  const char* env = std::getenv("LIGHTNING_NODE_SEARCH");
  return env != nullptr && std::strcmp(env, "scalar") == 0 ? NodeSearch::kScalar
                                                           : NodeSearch::kSimd;
}

std::atomic<NodeSearch> search_mode{InitialMode()};

}  // namespace

void SetNodeSearch(NodeSearch mode) { search_mode.store(mode, std::memory_order_relaxed); }
NodeSearch GetNodeSearch() { return search_mode.load(std::memory_order_relaxed); }
const char* NodeSearchTarget() { return HWY_DYNAMIC_DISPATCH(TargetName)(); }

uint32_t PrefixLowerBound(const uint64_t* prefixes, uint32_t n, uint64_t key) {
  if (search_mode.load(std::memory_order_relaxed) == NodeSearch::kScalar) {
    return PrefixLowerBoundScalar(prefixes, n, key);
  }
  return HWY_DYNAMIC_DISPATCH(PrefixLowerBoundSimd)(prefixes, n, key);
}

}  // namespace lightning
#endif  // HWY_ONCE
