// Node layout invariants that the B+tree code relies on.
#include "engine/node.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "engine/node_search.h"
#include "tests/common/random.h"

namespace lightning::test {
namespace {

// A fresh node written to disk must carry nothing of what its memory held
// before (another page's keys and values, possibly deleted ones).
TEST(NodeTest, InitClearsTheWholePage) {
  for (PageType type : {kLeafPage, kBranchPage}) {
    std::vector<char> page(8192, static_cast<char>(0xAB));
    Node n(page.data(), static_cast<uint32_t>(page.size()));
    n.Init(type, "shared-prefix");
    EXPECT_EQ(n.count(), 0u);
    EXPECT_EQ(n.heap(), page.size());
    for (size_t i = kNodeHeaderSize; i < page.size(); i++) {
      ASSERT_EQ(page[i], 0) << "byte " << i << " of a new node kept its old contents";
    }
  }
}

// Both search paths must agree with std::lower_bound on every size (the SIMD
// path switches from halving to vector compares at a few vectors, and ends in
// a masked partial vector), with runs of equal prefixes and keys outside the
// array's range.
TEST(NodeSearchTest, SimdAndScalarMatchLowerBound) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);  // every SIMD target this CPU can run
    SCOPED_TRACE(hwy::TargetName(target));
    lightning::test::Rng rng(7);
    for (uint32_t n = 0; n <= 700; n += (n < 80 ? 1 : 13)) {
      for (int round = 0; round < 20; round++) {
        // Few distinct values in some rounds: long runs of equal prefixes.
        const uint64_t spread = round % 3 == 0 ? 5 : UINT64_MAX;
        std::vector<uint64_t> a(n);
        for (auto& v : a) v = spread == UINT64_MAX ? rng() : rng() % spread;
        std::sort(a.begin(), a.end());
        std::vector<uint64_t> probes = {0, UINT64_MAX, rng(), rng() % 7};
        for (uint32_t i = 0; i < n; i += 1 + n / 16)
          probes.push_back(a[i]), probes.push_back(a[i] + 1);
        for (uint64_t key : probes) {
          const auto expect =
              static_cast<uint32_t>(std::lower_bound(a.begin(), a.end(), key) - a.begin());
          ASSERT_EQ(PrefixLowerBoundScalar(a.data(), n, key), expect) << "scalar, n=" << n;
          SetNodeSearch(NodeSearch::kSimd);
          ASSERT_EQ(PrefixLowerBound(a.data(), n, key), expect)
              << "simd " << NodeSearchTarget() << ", n=" << n;
          SetNodeSearch(NodeSearch::kScalar);
          ASSERT_EQ(PrefixLowerBound(a.data(), n, key), expect) << "scalar mode, n=" << n;
        }
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);  // back to what the CPU supports
  SetNodeSearch(NodeSearch::kSimd);
}

// LowerBound and ChildIndex through a real node: keys that tie on their
// 8-byte prefix (long shared middles) must be told apart by the whole key.
TEST(NodeSearchTest, NodeSearchesBreakPrefixTiesWithWholeKeys) {
  for (NodeSearch mode : {NodeSearch::kSimd, NodeSearch::kScalar}) {
    SetNodeSearch(mode);
    std::vector<char> page(8192);
    Node leaf(page.data(), static_cast<uint32_t>(page.size()));
    leaf.Init(kLeafPage);
    std::vector<std::string> keys;
    for (int group = 0; group < 12; group++) {
      for (int i = 0; i < 9; i++) {
        keys.push_back(std::string(1, static_cast<char>('a' + group)) + "-same-middle-" +
                       std::to_string(i));
      }
    }
    keys.push_back("b");  // shorter than the prefix: zero padded, ties with nothing
    std::sort(keys.begin(), keys.end());
    for (const auto& k : keys) {
      bool exact;
      uint32_t at = leaf.LowerBound(k, &exact);
      ASSERT_FALSE(exact);
      ASSERT_TRUE(leaf.InsertCell(at, k, Node::LeafCell(k, "v")));
    }
    ASSERT_EQ(leaf.count(), keys.size());
    for (uint32_t i = 0; i < keys.size(); i++) {
      bool exact;
      EXPECT_EQ(leaf.LowerBound(keys[i], &exact), i) << keys[i];
      EXPECT_TRUE(exact);
      EXPECT_EQ(leaf.LowerBound(keys[i] + "\x01", &exact), i + 1) << keys[i];
      EXPECT_FALSE(exact);
      EXPECT_EQ(leaf.ChildIndex(keys[i]), i + 1) << keys[i];  // separators <= key
      std::string before = keys[i];
      before.back() = static_cast<char>(before.back() - 1);
      if (i == 0 || before > keys[i - 1]) EXPECT_EQ(leaf.ChildIndex(before), i) << before;
    }
  }
  SetNodeSearch(NodeSearch::kSimd);
}

// A value replaced by one of the same size is rewritten where it is: no
// garbage, so a full leaf whose values are replaced one by one (the lightning
// VFS's pages) never defragments. Another size leaves the node unchanged.
TEST(NodeTest, ReplaceCellInPlaceOnlyAtTheSameSize) {
  std::vector<char> page(8192);
  Node leaf(page.data(), static_cast<uint32_t>(page.size()));
  leaf.Init(kLeafPage);
  for (int i = 0; i < 10; i++) {
    const std::string k = "key" + std::to_string(i);
    ASSERT_TRUE(leaf.InsertCell(static_cast<uint32_t>(i), k, Node::LeafCell(k, "old-value")));
  }
  const uint32_t heap = leaf.heap(), garbage = leaf.garbage();
  ASSERT_TRUE(leaf.ReplaceCellInPlace(4, Node::LeafCell("key4", "new-value")));
  EXPECT_EQ(leaf.value(4).inline_bytes, "new-value");
  EXPECT_EQ(leaf.heap(), heap);
  EXPECT_EQ(leaf.garbage(), garbage);
  const std::vector<char> before = page;
  EXPECT_FALSE(leaf.ReplaceCellInPlace(5, Node::LeafCell("key5", "longer-value")));
  EXPECT_FALSE(leaf.ReplaceCellInPlace(5, Node::LeafCell("key5", "short")));
  EXPECT_TRUE(page == before);
  for (int i = 0; i < 10; i++) {
    EXPECT_EQ(leaf.key(static_cast<uint32_t>(i)), "key" + std::to_string(i));
    EXPECT_EQ(leaf.value(static_cast<uint32_t>(i)).inline_bytes,
              i == 4 ? "new-value" : "old-value");
  }
}

}  // namespace
}  // namespace lightning::test
