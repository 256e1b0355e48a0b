// bench/report_json.cc: rows cross the child-process pipe intact, and a
// results file written by WriteJson reads back (--from_json, --baseline) with
// the same figures; "not measured" and non-finite figures are null in the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/report.h"

namespace lightning_bench {
namespace {

RowResult Row(const std::string& engine, const std::string& workload, int run, double ops) {
  RowResult r;
  r.engine = engine;
  r.workload = workload;
  r.run = run;
  r.ops = 1000;
  r.seconds = 0.5;
  r.ops_per_sec = ops;
  r.p99_us = 12.25;
  return r;
}

class TempFile {
 public:
  TempFile() {
    char tmpl[] = "/tmp/bench_json_test.XXXXXX";
    const int fd = ::mkstemp(tmpl);
    if (fd >= 0) ::close(fd);
    path_ = tmpl;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }
  void Write(const std::string& text) const { std::ofstream(path_) << text; }

 private:
  std::string path_;
};

TEST(BenchJsonTest, RowCrossesThePipeIntact) {
  RowResult r = Row("lightning", "readrandom", 2, 1234567.890123);
  r.ok = false;
  r.error = "bad value \"x\"\tat\nline 2 \\ end \xc3\xa9";
  r.note = "cache=1MiB; {braces} [brackets]";
  const std::string line = SerializeRow(r);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;  // one line on the pipe
  RowResult back;
  ASSERT_TRUE(ParseRow(line, &back)) << line;
  EXPECT_EQ(back.engine, r.engine);
  EXPECT_EQ(back.workload, r.workload);
  EXPECT_EQ(back.run, 2);
  EXPECT_FALSE(back.ok);
  EXPECT_EQ(back.error, r.error);
  EXPECT_EQ(back.note, r.note);
  EXPECT_EQ(back.ops, 1000u);
  for (const RowField& f : kRowFields) EXPECT_EQ(back.*f.member, r.*f.member) << f.name;
  EXPECT_EQ(back.mb_per_sec, -1);  // not measured stays not measured
  EXPECT_FALSE(ParseRow("S\treadrandom", &back));
  EXPECT_FALSE(ParseRow("{\"engine\": \"x\"", &back));
}

TEST(BenchJsonTest, ResultsFileRoundTrip) {
  std::vector<RowResult> rows = {Row("lmdb", "fillseq", 1, 100), Row("lmdb", "fillseq", 2, 300),
                                 Row("lightning", "fillseq", 1, 500)};
  rows[2].ok = false;
  rows[2].error = "child process killed by \"SIGKILL\"\n";
  rows[1].file_bytes = std::numeric_limits<double>::infinity();
  const auto aggs = AggregateRows(rows, {"fillseq"}, {"lmdb", "lightning"});
  ASSERT_EQ(aggs.size(), 2u);
  std::vector<GoalResult> goals = {{"fills >= 1x \"LMDB\"", "0.5x", "NOT MET"}};
  const nlohmann::ordered_json meta = {{"command", "engine_bench --num 10"},
                                       {"params", {{"small_cache", 1 << 20}}}};
  TempFile file;
  std::string error;
  ASSERT_TRUE(WriteJson(file.path(), "engine_bench", meta, aggs, goals, &error)) << error;

  // The file as any JSON reader sees it.
  std::ifstream in(file.path());
  const auto doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc["tool"], "engine_bench");
  EXPECT_EQ(doc["format"], 1);
  EXPECT_EQ(doc["goals"][0]["goal"], "fills >= 1x \"LMDB\"");
  const auto& lmdb = doc["results"][0];
  EXPECT_EQ(lmdb["engine"], "lmdb");
  EXPECT_EQ(lmdb["median"]["ops_per_sec"], 200);
  EXPECT_TRUE(lmdb["median"]["mb_per_sec"].is_null());   // negative: not measured
  EXPECT_TRUE(lmdb["runs"][1]["file_bytes"].is_null());  // Inf
  EXPECT_FALSE(doc["results"][1]["ok"].get<bool>());

  // Read back as --from_json does.
  std::vector<RowResult> back;
  std::vector<std::string> engines;
  nlohmann::json root;
  ASSERT_TRUE(ReadJsonRows(file.path(), &back, &engines, &root, &error)) << error;
  EXPECT_EQ(engines, (std::vector<std::string>{"lmdb", "lightning"}));
  EXPECT_EQ(root["meta"]["params"]["small_cache"], 1 << 20);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].ops_per_sec, 100);
  EXPECT_EQ(back[1].ops_per_sec, 300);
  EXPECT_EQ(back[1].file_bytes, -1);
  EXPECT_EQ(back[0].p99_us, 12.25);
  EXPECT_FALSE(back[2].ok);
  EXPECT_EQ(back[2].error, rows[2].error);
}

TEST(BenchJsonTest, BadFilesAreNamedInTheError) {
  std::vector<RowResult> rows;
  std::vector<std::string> engines;
  nlohmann::json root;
  std::string error;
  TempFile file;
  file.Write("{\"results\": [1, 2");
  EXPECT_FALSE(ReadJsonRows(file.path(), &rows, &engines, &root, &error));
  EXPECT_NE(error.find(file.path() + ": not valid JSON"), std::string::npos) << error;
  file.Write("{\"tool\": \"x\"}");
  EXPECT_FALSE(ReadJsonRows(file.path(), &rows, &engines, &root, &error));
  EXPECT_EQ(error, file.path() + " has no \"results\" array");
  EXPECT_FALSE(ReadJsonRows("/nonexistent/x.json", &rows, &engines, &root, &error));
  EXPECT_EQ(error, "cannot read /nonexistent/x.json");
}

TEST(BenchJsonTest, BaselineComparisonFlagsASlowdown) {
  const auto base = AggregateRows({Row("lmdb", "fillseq", 1, 1000)}, {"fillseq"}, {"lmdb"});
  TempFile file;
  std::string error;
  ASSERT_TRUE(
      WriteJson(file.path(), "engine_bench", nlohmann::ordered_json::object(), base, {}, &error));
  const auto same = AggregateRows({Row("lmdb", "fillseq", 1, 980)}, {"fillseq"}, {"lmdb"});
  const auto slower = AggregateRows({Row("lmdb", "fillseq", 1, 700)}, {"fillseq"}, {"lmdb"});
  FILE* out = std::tmpfile();
  EXPECT_EQ(CompareWithBaseline(out, file.path(), same, 0.10), 0);
  EXPECT_EQ(CompareWithBaseline(out, file.path(), slower, 0.10), 1);
  EXPECT_EQ(CompareWithBaseline(out, "/nonexistent/x.json", slower, 0.10), -1);
  std::fclose(out);
}

}  // namespace
}  // namespace lightning_bench
