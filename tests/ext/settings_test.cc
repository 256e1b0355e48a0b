// Settings saved by older builds in the reserved tree __lightning_settings
// move to the store's catalog at the first open (ext/settings.h).
#include "ext/settings.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

namespace lightning::ext {
namespace {

namespace fs = std::filesystem;

std::string Get(const DB& db, const char* name) {
  std::string v;
  EXPECT_TRUE(db.GetOptions().Get(name, &v).ok());
  return v;
}

TEST(LegacySettings, TheReservedTreeMovesToTheCatalogOnce) {
  const fs::path dir = fs::temp_directory_path() / ("ext_settings_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "app.db-lightning").string();
  {
    // The store as an older build left it.
    auto db = DB::Open(path, Options()).value();
    auto w = db->BeginWrite();
    ASSERT_TRUE(w.ok());
    TreeId tree;
    ASSERT_TRUE(w.value()->CreateTree(kSettingsTree, &tree).ok());
    ASSERT_TRUE(w.value()->Put(tree, "cache_size", "8MiB").ok());
    ASSERT_TRUE(w.value()->Put(tree, "max_readers", "64").ok());
    ASSERT_TRUE(w.value()->Put(tree, "busy_timeout", "lots").ok());  // not valid: dropped
    ASSERT_TRUE(w.value()->Put(tree, "from_the_future", "1").ok());  // unknown: dropped
    ASSERT_TRUE(w.value()->Commit().ok());
  }
  Options opened;
  opened.cache_size = 32 << 20;
  auto db = DB::Open(path, opened).value();
  EXPECT_EQ(Get(*db, "cache_size"), "32MiB");  // the engine knows nothing of the old tree
  ASSERT_TRUE(MigrateLegacySettings(path, opened, &db).ok());
  EXPECT_EQ(Get(*db, "cache_size"), "8MiB");
  EXPECT_EQ(Get(*db, "max_readers"), "64");  // an open-time option: reopened with it
  std::map<std::string, std::string> saved;
  ASSERT_TRUE(db->SavedOptions(&saved).ok());
  EXPECT_EQ(saved,
            (std::map<std::string, std::string>{{"cache_size", "8MiB"}, {"max_readers", "64"}}));
  {
    auto r = db->BeginRead();
    ASSERT_TRUE(r.ok());
    TreeId tree;
    EXPECT_TRUE(r.value()->OpenTree(kSettingsTree, &tree).IsNotFound());
  }
  db.reset();
  // Later opens find them in the catalog.
  db = DB::Open(path, opened).value();
  EXPECT_EQ(Get(*db, "cache_size"), "8MiB");
  EXPECT_EQ(Get(*db, "max_readers"), "64");
  ASSERT_TRUE(MigrateLegacySettings(path, opened, &db).ok());  // nothing left to do
  db.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lightning::ext
