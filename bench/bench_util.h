// Small utilities shared by engine_bench and sql_bench: an outcome type,
// key and value generation with verification, the random generator, a latency
// log with exact percentiles, peak-RSS probes and directory sizes.
//
// Keys are 16 ASCII digits ("0000000000012345"), so byte order equals numeric
// order and a key is readable in an error message. A value of key i carries
// i (little-endian, bytes 0..7) and a generation number (bytes 8..11) followed
// by pseudo-random bytes derived from (i, generation): any value read back can
// be regenerated and compared byte for byte.
//
// Thread safety: ValueGen is immutable after construction and may be shared;
// Rng and LatencyLog belong to one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tests/common/random.h"

namespace lightning_bench {

using Slice = std::string_view;

// The result of an adapter or workload step: OK or an error message.
class [[nodiscard]] Outcome {
 public:
  static Outcome Ok() { return Outcome(); }
  static Outcome Fail(std::string message) {
    Outcome o;
    o.failed_ = true;
    o.message_ = std::move(message);
    return o;
  }
  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  bool failed_ = false;
  std::string message_;
};

#define BENCH_RETURN_IF_ERROR(expr)               \
  do {                                            \
    ::lightning_bench::Outcome bench_o_ = (expr); \
    if (!bench_o_.ok()) return bench_o_;          \
  } while (0)

// A non-owning reference to a callable, cheaper than std::function (no
// allocation); the callable must outlive the call it is passed to.
template <typename Fn>
class FunctionRef;
template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F>
  FunctionRef(F&& f)  // NOLINT: implicit by design
      : obj_(const_cast<void*>(static_cast<const void*>(&f))), call_([](void* o, Args... a) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(o))(a...);
        }) {}
  R operator()(Args... a) const { return call_(obj_, a...); }

 private:
  void* obj_;
  R (*call_)(void*, Args...);
};

inline constexpr size_t kKeySize = 16;

// Writes the 16-digit key of `i` to out[0..15].
void FormatKey(uint64_t i, char* out);
inline std::string KeyString(uint64_t i) {
  std::string s(kKeySize, '0');
  FormatKey(i, s.data());
  return s;
}
// Parses a key written by FormatKey; false if `key` is not one.
bool ParseKey(Slice key, uint64_t* i);

// Reads the key index stored in a value's first 8 bytes (0 if too short).
inline uint64_t ValueIndex(Slice v) {
  uint64_t i = 0;
  if (v.size() >= 8) std::memcpy(&i, v.data(), 8);
  return i;
}
inline uint32_t ValueGeneration(Slice v) {
  uint32_t g = 0;
  if (v.size() >= 12) std::memcpy(&g, v.data() + 8, 4);
  return g;
}

enum class ValueKind {
  kRandom,        // incompressible bytes after the 12-byte header
  kCompressible,  // first half random (header included), second half one repeated byte
};

class ValueGen {
 public:
  ValueGen();
  // The value of key `i`, generation `gen`, `size` bytes (size >= 12 and at
  // most kMaxValue).
  void Make(uint64_t i, uint32_t gen, size_t size, ValueKind kind, std::string* out) const;
  // True iff `v` is exactly the value Make() produces for key i with the
  // generation stored in v itself.
  bool Verify(uint64_t i, Slice v, size_t size, ValueKind kind) const;
  static constexpr size_t kMaxValue = 2u << 20;

 private:
  std::string random_;  // kMaxValue * 4 random bytes
};

// The generator the tests use too: xoshiro256**, deterministic per seed.
using Rng = lightning::test::Rng;

inline uint64_t NowNanos() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// Per-operation latencies in nanoseconds (saturating at ~4.29 s).
class LatencyLog {
 public:
  void Reserve(size_t n) { ns_.reserve(n); }
  void Add(uint64_t ns) {
    ns_.push_back(ns > 0xffffffffu ? 0xffffffffu : static_cast<uint32_t>(ns));
  }
  void Append(const LatencyLog& other) {
    ns_.insert(ns_.end(), other.ns_.begin(), other.ns_.end());
  }
  size_t size() const { return ns_.size(); }
  // Exact percentile (nearest rank) in microseconds; q in (0, 1]. -1 if empty.
  // Reorders the samples.
  double PercentileMicros(double q);

 private:
  std::vector<uint32_t> ns_;
};

// Peak resident set size of this process (VmHWM) in bytes, 0 if unknown.
uint64_t PeakRssBytes();
// Current resident set size (VmRSS) in bytes, 0 if unknown.
uint64_t CurrentRssBytes();
// Resets VmHWM to the current RSS (Linux clear_refs "5"); false if refused.
bool ResetPeakRss();

// Sum of the apparent sizes of all regular files under `dir` (recursively).
uint64_t DirBytes(const std::string& dir);

// Parses "256MB", "64MiB", "1g", "4096", "512k" (powers of 1024) into bytes.
bool ParseByteSize(std::string_view text, uint64_t* bytes);
// "1,234,567"
std::string WithCommas(double value);

}  // namespace lightning_bench
