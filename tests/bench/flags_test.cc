// bench/flags.h: the bench tools' command lines through CLI11 — sizes with
// units, lists, and a clear error (exit code 2) for an unknown flag or a bad
// value.
#include "bench/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lightning_bench {
namespace {

struct Parsed {
  int rc = 0;
  std::string err;
  uint64_t size = 7;
  int runs = 1;
  std::vector<std::string> list;
  bool flag = false;
};

Parsed Parse(std::vector<std::string> args) {
  Parsed p;
  CLI::App app("a test tool", "tool");
  app.add_option("--size", p.size, "bytes")->transform(ByteSize());
  app.add_option("--runs", p.runs, "repetitions")->check(CLI::Range(1, 10));
  app.add_option("--list", p.list, "a,b")->delimiter(',');
  app.add_flag("--flag", p.flag, "on");
  args.insert(args.begin(), "tool");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  testing::internal::CaptureStderr();
  p.rc = ParseCommandLine(app, static_cast<int>(argv.size()), argv.data());
  p.err = testing::internal::GetCapturedStderr();
  return p;
}

TEST(BenchFlagsTest, ValuesWithAndWithoutEquals) {
  Parsed p = Parse({"--size", "64MB", "--runs=3", "--list", "a,b,c", "--flag"});
  EXPECT_EQ(p.rc, -1) << p.err;
  EXPECT_EQ(p.size, 64u << 20);
  EXPECT_EQ(p.runs, 3);
  EXPECT_EQ(p.list, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(p.flag);
  p = Parse({"--size=4096"});
  EXPECT_EQ(p.rc, -1) << p.err;
  EXPECT_EQ(p.size, 4096u);
  EXPECT_EQ(Parse({}).size, 7u);  // untouched when absent
}

TEST(BenchFlagsTest, UnknownFlagIsRefusedByName) {
  const Parsed p = Parse({"--runs", "2", "--no_such_flag", "5"});
  EXPECT_EQ(p.rc, 2);
  EXPECT_NE(p.err.find("--no_such_flag"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("--help"), std::string::npos) << p.err;
}

TEST(BenchFlagsTest, BadValuesAreRefusedByName) {
  Parsed p = Parse({"--size", "lots"});
  EXPECT_EQ(p.rc, 2);
  EXPECT_NE(p.err.find("'lots' is not a size"), std::string::npos) << p.err;
  p = Parse({"--runs", "0"});
  EXPECT_EQ(p.rc, 2);
  EXPECT_NE(p.err.find("--runs"), std::string::npos) << p.err;
  p = Parse({"--runs", "x"});
  EXPECT_EQ(p.rc, 2);
  EXPECT_NE(p.err.find("--runs"), std::string::npos) << p.err;
  p = Parse({"--runs"});
  EXPECT_EQ(p.rc, 2);
  EXPECT_NE(p.err.find("--runs"), std::string::npos) << p.err;
  p = Parse({"stray"});
  EXPECT_EQ(p.rc, 2);
  EXPECT_NE(p.err.find("stray"), std::string::npos) << p.err;
}

TEST(BenchFlagsTest, HelpListsEveryFlagAndExitsZero) {
  testing::internal::CaptureStdout();
  const Parsed p = Parse({"--help"});
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(p.rc, 0);
  for (const char* flag : {"--size", "--runs", "--list", "--flag"})
    EXPECT_NE(out.find(flag), std::string::npos) << out;
}

}  // namespace
}  // namespace lightning_bench
