// FramePool: objects are distinct, aligned and reused; memory follows the
// live objects (slabs are unmapped once empty, one kept).
#include "engine/frame_pool.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

#include "tests/common/random.h"

namespace lightning::test {
namespace {

TEST(FramePoolTest, ObjectsAreDistinctAlignedAndWritable) {
  FramePool pool(8192 + 64);
  const size_t n = 3 * pool.objects_per_slab() + 7;
  std::vector<char*> objects;
  for (size_t i = 0; i < n; i++) {
    char* p = static_cast<char*>(pool.Allocate());
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % FramePool::kAlign, 0u);
    std::memset(p, static_cast<int>(i & 0xff), pool.object_bytes());
    objects.push_back(p);
  }
  for (size_t i = 0; i < n; i++) {  // no object overlapped another
    for (size_t b = 0; b < pool.object_bytes(); b += 512) {
      ASSERT_EQ(static_cast<unsigned char>(objects[i][b]), i & 0xff) << "object " << i;
    }
  }
  EXPECT_EQ(pool.live_objects(), n);
  EXPECT_EQ(pool.mapped_bytes(), 4 * FramePool::kSlabBytes);
  for (char* p : objects) pool.Free(p);
  EXPECT_EQ(pool.live_objects(), 0u);
  EXPECT_EQ(pool.mapped_bytes(), FramePool::kSlabBytes);  // one empty slab kept
}

// Random churn (the cache's pattern: allocate on a miss, free on eviction)
// with a bounded live set keeps the mapping near the live set's size.
TEST(FramePoolTest, MemoryFollowsTheLiveSet) {
  FramePool pool(8192 + 64);
  lightning::test::Rng rng(lightning::test::SeedFromEnv(42));
  std::vector<void*> live;
  const size_t cap = 2000;
  for (int step = 0; step < 200000; step++) {
    if (live.size() < cap && (live.empty() || rng() % 2 == 0)) {
      void* p = pool.Allocate();
      ASSERT_NE(p, nullptr);
      live.push_back(p);
    } else {
      const size_t i = rng() % live.size();
      pool.Free(live[i]);
      live[i] = live.back();
      live.pop_back();
    }
  }
  const size_t needed = (cap + pool.objects_per_slab() - 1) / pool.objects_per_slab();
  EXPECT_LE(pool.mapped_bytes(), (needed + 2) * FramePool::kSlabBytes * 3 / 2)
      << "slabs mapped for " << live.size() << " live objects";
  std::set<void*> distinct(live.begin(), live.end());
  EXPECT_EQ(distinct.size(), live.size());
  for (void* p : live) pool.Free(p);
  EXPECT_EQ(pool.mapped_bytes(), FramePool::kSlabBytes);
}

}  // namespace
}  // namespace lightning::test
