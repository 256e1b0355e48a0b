// The advisor's evidence is JSON that any parser reads: text escaped (a table
// name may hold quotes, backslashes, newlines), integers exact, and figures
// that are not finite given as null rather than a made-up 0.
#include "ext/diagnostics/advisor.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lightning::ext {
namespace {

// Free space in the file that compaction returns: the compaction_space rule.
AdvisorInput FreeSpace(const std::string& table, double free_bytes, double file_size) {
  AdvisorInput in;
  in.table = table;
  in.metrics["free_bytes"] = free_bytes;
  in.metrics["file_size"] = file_size;
  return in;
}

const Recommendation* Find(const std::vector<Recommendation>& recs, const std::string& rule) {
  for (const Recommendation& r : recs) {
    if (r.rule == rule) return &r;
  }
  return nullptr;
}

TEST(AdvisorTest, EvidenceEscapesTheTableName) {
  const std::string table = "main.we\"ird \\ name\nwith a 'quote'";
  const auto recs = Advise(FreeSpace(table, 8 << 20, 16 << 20));
  const Recommendation* r = Find(recs, "compaction_space");
  ASSERT_NE(r, nullptr);
  const auto ev = nlohmann::json::parse(r->evidence);  // throws on malformed JSON
  EXPECT_EQ(ev["table"], table);
  EXPECT_EQ(ev["free_bytes"], 8 << 20);
  EXPECT_TRUE(ev["free_bytes"].is_number_integer());
  EXPECT_EQ(ev["free_share"], 0.5);
  // Names in the order they were added, the table first.
  EXPECT_EQ(nlohmann::ordered_json::parse(r->evidence).begin().key(), "table");
  EXPECT_EQ(r->sql, "SELECT lightning_compact('main.we\"ird \\ name\nwith a ''quote''');");
}

TEST(AdvisorTest, NotFiniteFiguresAreNull) {
  // A file size of 0 makes free_share = free_bytes / 0 = Inf.
  auto recs = Advise(FreeSpace("t", 4 << 20, 0));
  const Recommendation* r = Find(recs, "compaction_space");
  ASSERT_NE(r, nullptr);
  auto ev = nlohmann::json::parse(r->evidence);
  EXPECT_TRUE(ev["free_share"].is_null()) << r->evidence;
  EXPECT_EQ(ev["file_size"], 0);

  recs = Advise(FreeSpace("t", std::numeric_limits<double>::infinity(), 1 << 20));
  r = Find(recs, "compaction_space");
  ASSERT_NE(r, nullptr);
  ev = nlohmann::json::parse(r->evidence);
  EXPECT_TRUE(ev["free_bytes"].is_null()) << r->evidence;
  EXPECT_TRUE(ev["free_share"].is_null()) << r->evidence;
}

TEST(AdvisorTest, InvalidUtf8InANameStillGivesValidJson) {
  const auto recs = Advise(FreeSpace("t\xff\xfe", 8 << 20, 16 << 20));
  const Recommendation* r = Find(recs, "compaction_space");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(nlohmann::json::parse(r->evidence)["table"], "t\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace lightning::ext
