// The one pseudo-random generator of the tests and the benchmarks, and the
// seed they take from the environment.
//
//   lightning::test::Rng rng(lightning::test::SeedFromEnv(42));
//   uint64_t i = rng.Uniform(n);
//
// Rng is xoshiro256** seeded through splitmix64: fast, deterministic per seed
// on every platform (unlike std::uniform_int_distribution, whose output the
// standard leaves to the library), and a UniformRandomBitGenerator, so
// std::shuffle and <random> distributions take it.
//
// SeedFromEnv reads LIGHTNING_SEED (default `def`) and prints it: a failing
// randomized run says how to repeat it. GoogleTest tests call TestSeed
// (tests/engine/test_util.h), which also prints the seed again under any test
// that fails.
//
// Header-only, no dependency beyond the C++ standard library: bench/ and the
// fuzz tools include it too. Thread safety: an Rng belongs to one thread; give
// each thread its own, seeded with Mix(seed, thread).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

namespace lightning::test {

class Rng {
 public:
  using result_type = uint64_t;

  explicit Rng(uint64_t seed) {
    for (auto& s : s_) s = SplitMix(&seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n) by a 128-bit multiply (Lemire): no division, and a
  // bias below n / 2^64. REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform in [lo, hi]. REQUIRES: lo <= hi < UINT64_MAX.
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Uniform(hi - lo + 1); }
  // Uniform in [0, 1).
  double Double() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // True with probability p.
  bool Chance(double p) { return Double() < p; }
  // `n` random bytes.
  std::string Bytes(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; i += 8) {
      const uint64_t v = Next();
      std::memcpy(&s[i], &v, n - i < 8 ? n - i : 8);
    }
    return s;
  }

  // UniformRandomBitGenerator, for std::shuffle and <random>.
  static constexpr uint64_t min() { return 0; }
  static constexpr uint64_t max() { return std::numeric_limits<uint64_t>::max(); }
  uint64_t operator()() { return Next(); }

  // One splitmix64 step: advances *x and returns a well-mixed value of it.
  static uint64_t SplitMix(uint64_t* x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// A stable 64-bit hash of two integers: per-thread or per-round seeds
// derived from one seed.
inline uint64_t Mix(uint64_t a, uint64_t b = 0) {
  uint64_t x = a * 0x9e3779b97f4a7c15ull + b;
  return Rng::SplitMix(&x);
}

// LIGHTNING_SEED if set (decimal, or 0x hex), else `def`; printed to stdout
// as "[ seed     ] LIGHTNING_SEED=<n>" so that any run can be repeated.
inline uint64_t SeedFromEnv(uint64_t def) {
  const char* v = std::getenv("LIGHTNING_SEED");
  const uint64_t seed = v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 0) : def;
  std::printf("[ seed     ] LIGHTNING_SEED=%llu\n", static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  return seed;
}

}  // namespace lightning::test
