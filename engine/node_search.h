// Searching a node's sorted array of 8-byte key prefixes.
//
// PrefixLowerBound returns the number of prefixes below `key` in a
// non-decreasing array: the first index whose prefix is >= key. Two paths
// compute it: a Highway SIMD scan (the CPU's best target, chosen at run time)
// and a branch-free scalar binary search. SIMD is the default;
// SetNodeSearch(kScalar), or LIGHTNING_NODE_SEARCH=scalar in the environment
// at start-up, selects the scalar path so the two can be compared.
#pragma once

#include <cstdint>

namespace lightning {

enum class NodeSearch : uint8_t { kSimd, kScalar };

void SetNodeSearch(NodeSearch mode);
NodeSearch GetNodeSearch();
// The SIMD target in use, e.g. "AVX3", "AVX2", "SSE4" or "EMU128".
const char* NodeSearchTarget();

uint32_t PrefixLowerBound(const uint64_t* prefixes, uint32_t n, uint64_t key);

// The scalar path on its own (also the SIMD path's tail).
inline uint32_t PrefixLowerBoundScalar(const uint64_t* p, uint32_t n, uint64_t key) {
  const uint64_t* base = p;
  while (n > 1) {
    const uint32_t half = n / 2;
    base = base[half] < key ? base + half : base;  // a conditional move, no branch
    n -= half;
  }
  return static_cast<uint32_t>(base - p) + (n == 1 && *base < key ? 1 : 0);
}

// Starts loading the first `bytes` of a node (header, prefixes, slots) so the
// search's cache misses overlap instead of following one another.
inline void PrefetchNode(const char* node, uint32_t bytes) {
  for (uint32_t off = 0; off < bytes; off += 64) __builtin_prefetch(node + off);
}

}  // namespace lightning
