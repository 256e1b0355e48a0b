// Node layout invariants that the B+tree code relies on.
#include "engine/node.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

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

}  // namespace
}  // namespace lightning::test
