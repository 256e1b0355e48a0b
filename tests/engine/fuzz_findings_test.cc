// Findings of the fuzz targets (tests/fuzz), each reduced to a store damaged
// by hand: the damage is refused or survived with a Status, never a crash or
// an allocation in proportion to a damaged number. The crash inputs
// themselves are replayed from tests/fuzz/regressions/ by the fuzz build.
#include <string>

#include "engine/checksum.h"
#include "engine/coding.h"
#include "engine/wal.h"
#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

// A store at `path` with tree "a" holding a few entries, closed cleanly.
TreeId MakeStore(const std::string& path) {
  auto opened = DB::Open(path, Options());
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  std::shared_ptr<DB> db = std::move(opened).value();
  auto w = db->BeginWrite();
  EXPECT_TRUE(w.ok());
  TreeId a = 0;
  EXPECT_TRUE(w.value()->CreateTree("a", &a).ok());
  for (int i = 0; i < 10; i++) EXPECT_TRUE(w.value()->Put(a, "k" + std::to_string(i), "v").ok());
  EXPECT_TRUE(w.value()->Commit().ok());
  return a;
}

// fuzz_wal: a logged "create tree" that reuses the id of a live tree made two
// catalog entries share one tree (Check: "page N is referenced twice").
TEST(FuzzFindingsTest, WalCreateRecordReusingATreeIdIsCorruption) {
  TempDir dir;
  const std::string path = StorePath(dir);
  const TreeId a = MakeStore(path);
  std::string wal = ReadFile(path + "-wal");
  ASSERT_GE(wal.size(), kWalHeaderSize);
  const uint64_t salt = DecodeFixed64(wal.data() + 16), base = DecodeFixed64(wal.data() + 24);
  std::string payload(1, static_cast<char>(WalOp::kCreateTree));
  PutVarint64(&payload, a);
  PutVarint64(&payload, 1);
  payload += "z";
  wal.resize(kWalHeaderSize);
  AppendWalRecord(&wal, base + 1, base, payload, salt);
  ASSERT_TRUE(WriteFile(path + "-wal", wal));
  auto opened = DB::Open(path, Options());
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().IsCorruption()) << opened.status().ToString();
}

// fuzz_store: a superblock whose next page id is huge made open reserve page
// table entries (and list free ids) up to it: out of memory, or past the page
// directory. Beyond the directory it is Corruption; below, ids above the
// highest live page are simply free.
TEST(FuzzFindingsTest, HugeNextPageIdInTheSuperblock) {
  for (uint64_t next : {uint64_t{1} << 40, uint64_t{1} << 31}) {
    TempDir dir;
    const std::string path = StorePath(dir);
    MakeStore(path);
    std::string data = ReadFile(path);
    ASSERT_GE(data.size(), 8192u);
    // The newer of the two superblocks.
    const size_t slot =
        DecodeFixed64(data.data() + 16) > DecodeFixed64(data.data() + 4096 + 16) ? 0 : 4096;
    EncodeFixed64(data.data() + slot + 32, next);
    EncodeFixed64(data.data() + slot + 120, Checksum64(data.data() + slot, 120));
    ASSERT_TRUE(WriteFile(path, data));
    auto opened = DB::Open(path, Options());
    if (next > (uint64_t{1} << 32)) {
      ASSERT_FALSE(opened.ok());
      EXPECT_TRUE(opened.status().IsCorruption()) << opened.status().ToString();
      continue;
    }
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    std::shared_ptr<DB> db = std::move(opened).value();
    auto r = db->BeginRead();
    ASSERT_TRUE(r.ok());
    TreeId id;
    ASSERT_TRUE(r.value()->OpenTree("a", &id).ok());
    std::string v;
    EXPECT_TRUE(r.value()->Get(id, "k3", &v).ok());
    std::vector<std::string> problems;
    EXPECT_TRUE(db->Check(&problems).ok());
    EXPECT_TRUE(problems.empty());
  }
}

}  // namespace
}  // namespace lightning::test
