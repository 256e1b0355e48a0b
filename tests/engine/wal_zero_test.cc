// The WAL keeps zeroed space ahead of its records under sync=full, so that a
// commit's fdatasync overwrites blocks the file has instead of growing it.
// Recovery must read those zeros as the log's end: a copy of a store taken
// while it is open (as a crash leaves it) reopens with every commit, and the
// zeros are cut from the log.
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

TEST(WalZeroTest, ZeroedTailIsTheLogsEndAtRecovery) {
  TempDir dir, copy;
  Options o = FastOptions();
  o.sync = SyncMode::kFull;
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), o));
  TreeId tree;
  {
    ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
    ASSERT_OK(w->CreateTree("t", &tree));
    ASSERT_OK(w->Commit());
  }
  for (int i = 0; i < 50; i++) {
    ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
    ASSERT_OK(
        w->Put(tree, "k" + std::to_string(i), std::string(100, static_cast<char>('a' + i % 26))));
    ASSERT_OK(w->Commit());
  }
  const std::string wal = StorePath(dir) + "-wal";
  // 51 small records, then the zeroed chunk (1 MiB) ahead of them.
  EXPECT_GE(FileSize(wal), 1u << 20) << "no zeroed space ahead of the records";
  // A crash image: the files as they are now, the store still open.
  for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
    std::filesystem::copy_file(f.path(), copy.path() + "/" + f.path().filename().string());
  }
  db.reset();

  ASSERT_OK_AND_ASSIGN(auto again, DB::Open(StorePath(copy), o));
  ASSERT_OK_AND_ASSIGN(auto r, again->BeginRead());
  ASSERT_OK(r->OpenTree("t", &tree));
  for (int i = 0; i < 50; i++) {
    std::string v;
    ASSERT_OK(r->Get(tree, "k" + std::to_string(i), &v)) << i;
    EXPECT_EQ(v, std::string(100, static_cast<char>('a' + i % 26)));
  }
  r.reset();
  std::vector<std::string> problems;
  ASSERT_OK(again->Check(&problems));
  EXPECT_TRUE(problems.empty()) << problems.front();
  // More commits after recovery land where the zeros were cut.
  {
    ASSERT_OK_AND_ASSIGN(auto w, again->BeginWrite());
    ASSERT_OK(w->Put(tree, "after", "recovery"));
    ASSERT_OK(w->Commit());
  }
  again.reset();
  ASSERT_OK_AND_ASSIGN(auto third, DB::Open(StorePath(copy), o));
  ASSERT_OK_AND_ASSIGN(auto r3, third->BeginRead());
  std::string v;
  ASSERT_OK(r3->Get(tree, "after", &v));
  EXPECT_EQ(v, "recovery");
}

}  // namespace
}  // namespace lightning::test
