// Helpers shared by the engine tests: temporary directories, Status
// assertions, seeds and operation counts from the environment, a fast
// deterministic RNG, metric look-up, byte comparison that never prints
// megabytes, and running this same test binary as a child process.
//
// Everything here is header-only and test-only. Thread safety: TestRng and
// TempDir are plain objects owned by one thread; the free functions are
// reentrant.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "lightning/db.h"
#include "lightning/options.h"
#include "lightning/result.h"
#include "lightning/status.h"
#include "tests/common/random.h"

// True when built with AddressSanitizer or ThreadSanitizer: tests scale their
// work down (about 10x) so that the sanitizer CI jobs stay within budget.
// Under ThreadSanitizer (5-50x slower on byte loops) the single-threaded
// bulk tests skip their largest cases: TSan adds nothing where there is one
// thread.
#if defined(__SANITIZE_THREAD__)
#define LIGHTNING_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LIGHTNING_TEST_TSAN 1
#endif
#endif
#ifndef LIGHTNING_TEST_TSAN
#define LIGHTNING_TEST_TSAN 0
#endif
#if defined(__SANITIZE_ADDRESS__) || LIGHTNING_TEST_TSAN
#define LIGHTNING_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LIGHTNING_TEST_SANITIZED 1
#endif
#endif
#ifndef LIGHTNING_TEST_SANITIZED
#define LIGHTNING_TEST_SANITIZED 0
#endif

namespace lightning::test {

inline constexpr bool kSanitized = LIGHTNING_TEST_SANITIZED != 0;
inline constexpr bool kThreadSanitizer = LIGHTNING_TEST_TSAN != 0;

// Skips the current test under ThreadSanitizer, saying why.
#define SKIP_UNDER_TSAN(why)                                                                \
  do {                                                                                      \
    if (::lightning::test::kThreadSanitizer) GTEST_SKIP() << "skipped under TSan: " << why; \
  } while (0)

// ---------------------------------------------------------------------------
// Status assertions. Each prints the expression and the full Status.

#define LT_CONCAT_INNER(a, b) a##b
#define LT_CONCAT(a, b) LT_CONCAT_INNER(a, b)

inline ::testing::AssertionResult StatusIsOk(const char* expr, const Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expr << " -> " << s.ToString();
}
// Both accept further `<< "context"`.
#define ASSERT_OK(expr) ASSERT_PRED_FORMAT1(::lightning::test::StatusIsOk, expr)
#define EXPECT_OK(expr) EXPECT_PRED_FORMAT1(::lightning::test::StatusIsOk, expr)

// ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL(LT_CONCAT(lt_result_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, rexpr)                      \
  auto tmp = (rexpr);                                                   \
  ASSERT_TRUE(tmp.ok()) << #rexpr << " -> " << tmp.status().ToString(); \
  lhs = std::move(tmp).value()

inline const char* CodeName(Status::Code code) { return Status::CodeName(code); }

// "true iff `haystack` contains `needle`, ignoring ASCII case".
inline bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && lower(haystack[i + j]) == lower(needle[j])) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

// True iff the message mentions at least one of `words` (case-insensitive).
inline bool MentionsAny(std::string_view message, std::initializer_list<std::string_view> words) {
  for (auto w : words) {
    if (ContainsNoCase(message, w)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Environment.

// The value of environment variable `name` as an unsigned integer, or `def`.
inline uint64_t EnvU64(const char* name, uint64_t def) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return def;
  return std::strtoull(v, nullptr, 0);
}

// Prints the seed again under a failing test that asked for one, so that the
// line to repeat it sits next to the failure, not at the top of a long log.
class SeedOnFailure : public ::testing::EmptyTestEventListener {
 public:
  // The listener GoogleTest calls; appended on first use, owned by GoogleTest.
  static SeedOnFailure* Get() {
    static SeedOnFailure* listener = [] {
      auto* l = new SeedOnFailure;
      ::testing::UnitTest::GetInstance()->listeners().Append(l);
      return l;
    }();
    return listener;
  }
  void set_seed(uint64_t seed) {
    seed_ = seed;
    has_seed_ = true;
  }
  void OnTestStart(const ::testing::TestInfo&) override { has_seed_ = false; }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (!has_seed_ || info.result() == nullptr || !info.result()->Failed()) return;
    std::printf("[ seed     ] %s.%s failed: LIGHTNING_SEED=%llu repeats it\n",
                info.test_suite_name(), info.name(), static_cast<unsigned long long>(seed_));
    std::fflush(stdout);
  }

 private:
  uint64_t seed_ = 0;
  bool has_seed_ = false;
};

// The seed for a randomized test: LIGHTNING_SEED if set, else `def`. Printed
// now, and again if the test fails.
inline uint64_t TestSeed(uint64_t def) {
  const uint64_t seed = lightning::test::SeedFromEnv(def);
  SeedOnFailure::Get()->set_seed(seed);
  return seed;
}

// ---------------------------------------------------------------------------
// A temporary directory, created with mkdtemp and removed with its contents.
// Set LIGHTNING_KEEP_TMP=1 to keep it (its path is printed) for post-mortems.

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/lightning-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp(" << tmpl << ") failed: " << std::strerror(errno);
      return;
    }
    path_ = buf.data();
  }
  ~TempDir() {
    if (path_.empty()) return;
    if (EnvU64("LIGHTNING_KEEP_TMP", 0) != 0) {
      std::printf("[ keep     ] %s\n", path_.c_str());
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory.
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// Size of a file in bytes, or 0 when it does not exist.
inline uint64_t FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(out);
}

// ---------------------------------------------------------------------------
// The random generator of every test and benchmark (tests/common/random.h).

using TestRng = lightning::test::Rng;
using lightning::test::Mix;

// `len` letters from `first` to `first` + 25, a pure function of `seed`.
inline std::string SeededLetters(uint64_t seed, size_t len, char first) {
  std::string v(len, '\0');
  uint64_t x = seed;
  for (size_t k = 0; k < len; ++k) {
    if (k % 8 == 0) x = TestRng::SplitMix(&x);
    v[k] = static_cast<char>(first + (x >> (8 * (k % 8))) % 26);
  }
  return v;
}

// ---------------------------------------------------------------------------
// Byte comparison that reports the first difference instead of printing
// both (possibly 64 MiB) strings.

inline ::testing::AssertionResult BytesEqual(std::string_view actual, std::string_view expected) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "size " << actual.size() << " != expected " << expected.size();
  }
  if (actual.empty() || std::memcmp(actual.data(), expected.data(), actual.size()) == 0) {
    return ::testing::AssertionSuccess();
  }
  size_t i = 0;
  while (actual[i] == expected[i]) ++i;
  return ::testing::AssertionFailure()
         << "first difference at byte " << i << " of " << actual.size() << ": got 0x" << std::hex
         << (static_cast<unsigned>(static_cast<unsigned char>(actual[i]))) << ", expected 0x"
         << (static_cast<unsigned>(static_cast<unsigned char>(expected[i])));
}

// Short printable rendering of a byte string (hex for binary, truncated).
inline std::string Printable(std::string_view s, size_t max = 48) {
  std::string out;
  bool binary = false;
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) binary = true;
  }
  char buf[4];
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    if (binary) {
      std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(s[i]));
      out += buf;
    } else {
      out += s[i];
    }
  }
  if (s.size() > max) out += "...";
  return (binary ? "0x" : "\"") + out + (binary ? "" : "\"") + "(" + std::to_string(s.size()) +
         "B)";
}

// ---------------------------------------------------------------------------
// Metrics.

// The first metric whose name contains `part`, or nullopt.
inline std::optional<Metric> FindMetric(const std::vector<Metric>& metrics, std::string_view part) {
  for (const auto& m : metrics) {
    if (m.name.find(part) != std::string::npos) return m;
  }
  return std::nullopt;
}

inline std::string MetricNames(const std::vector<Metric>& metrics) {
  std::string s;
  for (const auto& m : metrics) {
    if (!s.empty()) s += ", ";
    s += m.name;
  }
  return s;
}

// ---------------------------------------------------------------------------
// Child processes: this same binary, run with special arguments.

inline std::string SelfExe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  return buf;
}

// Starts this binary with `args` (argv[1..]); its stdout goes to `stdout_fd`
// when >= 0. Returns the child's pid, or -1.
inline pid_t SpawnSelf(const std::vector<std::string>& args, int stdout_fd = -1) {
  std::string exe = SelfExe();
  std::vector<std::string> all;
  all.push_back(exe);
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (stdout_fd >= 0) {
      ::dup2(stdout_fd, STDOUT_FILENO);
      ::close(stdout_fd);
    }
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

// Runs this binary with `args`, waits, and returns its exit status (as from
// waitpid) with its stdout in *out.
inline int RunSelf(const std::vector<std::string>& args, std::string* out) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t pid = SpawnSelf(args, fds[1]);
  ::close(fds[1]);
  out->clear();
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out->append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  if (pid < 0) return -1;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// ---------------------------------------------------------------------------
// Small conveniences over the engine API.

// Options for tests: small pages and sync off unless a test needs more.
inline Options FastOptions() {
  Options o;
  o.page_size = 4096;
  o.sync = SyncMode::kOff;
  return o;
}

inline std::string StorePath(const TempDir& dir) { return dir.File("store.lt"); }

}  // namespace lightning::test
