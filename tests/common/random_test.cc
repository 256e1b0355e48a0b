// tests/common/random.h: the generator is deterministic per seed and uniform
// enough for tests; LIGHTNING_SEED picks the seed, which is printed at the
// start and again under a failing test.
#include "tests/common/random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <vector>

#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

TEST(RandomTest, SameSeedSameSequenceOtherSeedOther) {
  Rng a(7), b(7), c(8);
  int differ = 0;
  for (int i = 0; i < 100; i++) {
    const uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differ += x != c.Next();
  }
  EXPECT_GT(differ, 95);
}

TEST(RandomTest, UniformStaysInRangeAndCoversIt) {
  Rng rng(1);
  std::vector<int> counts(10);
  for (int i = 0; i < 100000; i++) {
    const uint64_t v = rng.Uniform(10);
    ASSERT_LT(v, 10u);
    counts[v]++;
  }
  for (int n : counts) EXPECT_NEAR(n, 10000, 600);  // about 6 standard deviations
  for (int i = 0; i < 1000; i++) {
    const uint64_t v = rng.Range(5, 7);
    ASSERT_GE(v, 5u);
    ASSERT_LE(v, 7u);
  }
  EXPECT_EQ(rng.Uniform(1), 0u);
}

TEST(RandomTest, BytesChanceAndShuffle) {
  Rng rng(3);
  EXPECT_EQ(rng.Bytes(0).size(), 0u);
  EXPECT_EQ(rng.Bytes(13).size(), 13u);
  EXPECT_NE(rng.Bytes(16), rng.Bytes(16));
  int heads = 0;
  for (int i = 0; i < 10000; i++) heads += rng.Chance(0.25);
  EXPECT_NEAR(heads, 2500, 300);
  std::vector<int> v(100);
  std::iota(v.begin(), v.end(), 0);
  std::vector<int> shuffled = v;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);  // a UniformRandomBitGenerator
  EXPECT_NE(shuffled, v);
  std::sort(shuffled.begin(), shuffled.end());
  EXPECT_EQ(shuffled, v);
}

TEST(RandomTest, SeedFromEnvReadsLightningSeed) {
  ::unsetenv("LIGHTNING_SEED");
  EXPECT_EQ(SeedFromEnv(42), 42u);
  ::setenv("LIGHTNING_SEED", "123", 1);
  EXPECT_EQ(SeedFromEnv(42), 123u);
  ::setenv("LIGHTNING_SEED", "0x10", 1);
  EXPECT_EQ(SeedFromEnv(42), 16u);
  ::unsetenv("LIGHTNING_SEED");
}

// Fails on purpose, only when the test below runs it in a child process.
TEST(RandomTest, FailsOnPurposeInChild) {
  if (std::getenv("LIGHTNING_RANDOM_TEST_CHILD") == nullptr) GTEST_SKIP() << "child only";
  Rng rng(TestSeed(5));
  ADD_FAILURE() << "failing on purpose, first draw " << rng.Next();
}

TEST(RandomTest, FailingTestPrintsItsSeedAgain) {
  ::setenv("LIGHTNING_RANDOM_TEST_CHILD", "1", 1);
  ::setenv("LIGHTNING_SEED", "987654321", 1);
  std::string out;
  const int status = RunSelf({"--gtest_filter=RandomTest.FailsOnPurposeInChild"}, &out);
  ::unsetenv("LIGHTNING_RANDOM_TEST_CHILD");
  ::unsetenv("LIGHTNING_SEED");
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_NE(WEXITSTATUS(status), 0) << out;
  EXPECT_NE(out.find("[ seed     ] LIGHTNING_SEED=987654321"), std::string::npos) << out;
  EXPECT_NE(
      out.find("RandomTest.FailsOnPurposeInChild failed: LIGHTNING_SEED=987654321 repeats it"),
      std::string::npos)
      << out;
}

}  // namespace
}  // namespace lightning::test
