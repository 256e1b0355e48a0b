// Options end to end in the engine: one parser (counted), options saved in
// the store's catalog and applied by every later open, the "did you mean"
// helper, and the process registry of open stores with their attachments.
#include <map>

#include "test_util.h"

namespace lightning {
namespace {

using test::TempDir;

std::string Get(const Options& o, const char* name) {
  std::string v;
  EXPECT_OK(o.Get(name, &v));
  return v;
}

class OptionsTest : public ::testing::Test {
 protected:
  std::shared_ptr<DB> Open(const Options& o = Options()) {
    auto r = DB::Open(path_, o);
    EXPECT_OK(r.status());
    return r.ok() ? std::move(r).value() : nullptr;
  }
  TempDir dir_;
  std::string path_ = dir_.path() + "/store";
};

TEST_F(OptionsTest, SavedOptionsOutliveTheProcessAndOverrideTheGivenOnes) {
  {
    auto db = Open();
    bool live = false;
    ASSERT_OK(db->SaveOption("cache_size", "8MB", &live));
    EXPECT_TRUE(live);
    EXPECT_EQ(Get(db->GetOptions(), "cache_size"), "8MiB");  // applied at once
    ASSERT_OK(db->SaveOption("max_readers", "64", &live));
    EXPECT_FALSE(live);
    EXPECT_EQ(Get(db->GetOptions(), "max_readers"), "1024");  // at the next open
    std::map<std::string, std::string> saved;
    ASSERT_OK(db->SavedOptions(&saved));
    EXPECT_EQ(saved,
              (std::map<std::string, std::string>{{"cache_size", "8MiB"}, {"max_readers", "64"}}));
  }
  Options given;
  ASSERT_OK(given.Set("cache_size", "32MB"));
  auto db = Open(given);
  EXPECT_EQ(Get(db->GetOptions(), "cache_size"), "8MiB");
  EXPECT_EQ(Get(db->GetOptions(), "max_readers"), "64");  // the store was opened with it
  std::vector<TreeInfo> trees;
  auto r = db->BeginRead();
  ASSERT_OK(r.status());
  ASSERT_OK(r.value()->ListTrees(&trees));
  EXPECT_TRUE(trees.empty());  // options are catalog entries, not trees
  std::vector<std::string> problems;
  r.value().reset();
  ASSERT_OK(db->Check(&problems));
  EXPECT_TRUE(problems.empty());
}

TEST_F(OptionsTest, ASavedOptionIsReplayedFromTheWal) {
  // Reopen in a child after a commit that no checkpoint wrote: recovery must
  // replay the option's WAL record.
  Options o;
  o.checkpoint_wal_size = 64 << 10;
  auto db = Open(o);
  ASSERT_OK(db->SaveOption("compression", "zstd"));
  ASSERT_OK(db->SaveOption("compression", "lz4"));  // the later one wins
  const std::string copy = dir_.path() + "/copy";
  std::filesystem::copy_file(path_, copy);
  std::filesystem::copy_file(path_ + "-wal", copy + "-wal");
  auto r = DB::Open(copy, Options());
  ASSERT_OK(r.status());
  EXPECT_EQ(Get(r.value()->GetOptions(), "compression"), "lz4");
}

TEST_F(OptionsTest, BadSavesAreRefusedAndSaveNothing) {
  auto db = Open();
  Status s = db->SaveOption("cache_sise", "8MB");
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("did you mean 'cache_size'"), std::string::npos) << s.ToString();
  s = db->SaveOption("cache_size", "lots");
  EXPECT_NE(s.message().find("invalid value 'lots' for option cache_size"), std::string::npos);
  s = db->SaveOption("page_size", "16384");
  EXPECT_NE(s.message().find("page_size is fixed when the store is created (this store's is 8192)"),
            std::string::npos)
      << s.ToString();
  EXPECT_OK(db->SaveOption("page_size", "8192"));  // its own value: accepted
  std::map<std::string, std::string> saved;
  ASSERT_OK(db->SavedOptions(&saved));
  EXPECT_EQ(saved, (std::map<std::string, std::string>{{"page_size", "8192"}}));
}

TEST_F(OptionsTest, InMemoryStoresApplyLiveOptionsAndRefuseOpenTimeOnes) {
  auto r = DB::Open(":memory:", Options());
  ASSERT_OK(r.status());
  auto db = std::move(r).value();
  ASSERT_OK(db->SaveOption("sync", "off"));
  EXPECT_EQ(Get(db->GetOptions(), "sync"), "off");
  Status s = db->SaveOption("io", "io_uring");
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("in-memory store is never reopened"), std::string::npos);
}

TEST_F(OptionsTest, EachWayInParsesTheValueOnce) {
  auto db = Open();
  uint64_t before = OptionParseCount();
  ASSERT_OK(db->SaveOption("cache_size", "16MB"));  // lightning_config's way
  EXPECT_EQ(OptionParseCount() - before, 1u);
  before = OptionParseCount();
  ASSERT_OK(db->SetOption("scan_readahead", "8"));  // PRAGMA lightning_... (VFS)
  EXPECT_EQ(OptionParseCount() - before, 1u);
  // CREATE VIRTUAL TABLE's and the URI's way: parsed once into Options, which
  // go on as values.
  Options parsed;
  before = OptionParseCount();
  ASSERT_OK(parsed.Set("checkpoint_wal_size", "1MB"));
  ASSERT_OK(db->SetOptions(parsed, {"checkpoint_wal_size"}, true));
  EXPECT_EQ(OptionParseCount() - before, 1u);
  EXPECT_EQ(Get(db->GetOptions(), "checkpoint_wal_size"), "1MiB");
}

TEST(ClosestNameTest, OneHelperForEveryDidYouMean) {
  const std::vector<std::string>& names = OptionNames();
  EXPECT_EQ(names.size(), AllOptions().size());
  EXPECT_EQ(ClosestName("compresion", names), "compression");
  EXPECT_EQ(ClosestName("CACHE_SISE", names), "cache_size");
  EXPECT_EQ(ClosestName("readahead", names), "scan_readahead");  // contained in it
  EXPECT_EQ(ClosestName("zzzzzzzzzzzzzzzz", names), "");
  // A strict bound (the VFS's, for URI parameters of other extensions).
  EXPECT_EQ(ClosestName("compresion", {"compression"}, 1), "compression");
  EXPECT_EQ(ClosestName("compresn", {"compression"}, 2), "");
}

TEST_F(OptionsTest, OpenStoresIsTheRegistryAndHoldsAttachmentsWeakly) {
  auto db = Open();
  bool listed = false;
  for (const auto& s : DB::OpenStores()) listed |= s == db;
  EXPECT_TRUE(listed);
  int made = 0;
  auto make = [&]() -> Result<std::shared_ptr<void>> {
    made++;
    return std::shared_ptr<void>(std::make_shared<int>(42));
  };
  auto a = db->Attached("test", make);
  ASSERT_OK(a.status());
  auto b = db->Attached("test", make);
  ASSERT_OK(b.status());
  EXPECT_EQ(a.value(), b.value());
  EXPECT_EQ(made, 1);
  a.value().reset();
  b.value().reset();
  auto gone = db->Attached("test", nullptr);
  ASSERT_OK(gone.status());
  EXPECT_EQ(gone.value(), nullptr);  // held weakly: gone with its last user
  std::weak_ptr<DB> weak = db;
  db.reset();
  EXPECT_TRUE(weak.expired());
  for (const auto& s : DB::OpenStores()) EXPECT_NE(s->path(), path_);
}

}  // namespace
}  // namespace lightning
