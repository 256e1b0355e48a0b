// Bad input: every misuse gets a specific Status with a message a user can
// act on, and leaves the store unharmed.
#include <sys/stat.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_, DB::Open(StorePath(dir_), FastOptions()));
    ASSERT_OK_AND_ASSIGN(auto w, db_->BeginWrite());
    ASSERT_OK(w->CreateTree("t", &tree_));
    ASSERT_OK(w->Put(tree_, "existing", "value"));
    ASSERT_OK(w->Commit());
  }
  // The store still holds exactly what SetUp wrote.
  void ExpectUnharmed() {
    ASSERT_OK_AND_ASSIGN(auto t, db_->BeginRead());
    std::string v;
    ASSERT_OK(t->Get(tree_, "existing", &v));
    EXPECT_EQ(v, "value");
    TreeInfo info;
    ASSERT_OK(t->GetTreeInfo(tree_, &info));
    EXPECT_EQ(info.entries, 1u);
  }

  TempDir dir_;
  std::shared_ptr<DB> db_;
  TreeId tree_ = 0;
};

TEST_F(BadInputTest, KeyLongerThanLimit) {
  const size_t limit = 4096 / 4;
  ASSERT_OK_AND_ASSIGN(auto w, db_->BeginWrite());
  EXPECT_OK(w->Put(tree_, std::string(limit, 'k'), "at the limit"));
  Status s = w->Put(tree_, std::string(limit + 1, 'k'), "v");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find(std::to_string(limit + 1)), std::string::npos)
      << "message does not mention the key's size " << limit + 1 << ": " << s.ToString();
  std::printf("[ message  ] %s\n", s.ToString().c_str());
  // A key over the limit is never stored (db.h): looking it up is NotFound
  // and deleting it is OK with *existed false, as for any absent key.
  std::string v;
  Status g = w->Get(tree_, std::string(limit + 1, 'k'), &v);
  EXPECT_TRUE(g.IsNotFound()) << g.ToString();
  bool existed = true;
  Status d = w->Delete(tree_, std::string(kMaxKeySize + 1, 'k'), &existed);
  EXPECT_OK(d);
  EXPECT_FALSE(existed);
  // The failed put did not end the transaction.
  EXPECT_OK(w->Commit());
  ASSERT_OK_AND_ASSIGN(auto t, db_->BeginRead());
  ASSERT_OK(t->Get(tree_, std::string(limit, 'k'), &v));
  EXPECT_EQ(v, "at the limit");
}

TEST(BadInputLimits, KeyAboveMaxKeySizeWithLargestPages) {
  TempDir dir;
  Options o = FastOptions();
  o.page_size = 32768;
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), o));
  ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
  TreeId id;
  ASSERT_OK(w->CreateTree("t", &id));
  EXPECT_OK(w->Put(id, std::string(kMaxKeySize, 'x'), "max"));
  Status s = w->Put(id, std::string(kMaxKeySize + 1, 'x'), "v");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find(std::to_string(kMaxKeySize + 1)), std::string::npos) << s.ToString();
}

TEST_F(BadInputTest, ValueLargerThan256MiB) {
  ASSERT_OK_AND_ASSIGN(auto w, db_->BeginWrite());
  std::string big(kMaxValueSize + 1, 'v');
  Status s = w->Put(tree_, "big", big);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_TRUE(MentionsAny(s.message(), {std::to_string(kMaxValueSize + 1), "256"}))
      << "message does not mention the size: " << s.ToString();
  std::printf("[ message  ] %s\n", s.ToString().c_str());
  big = std::string();
  std::string v;
  EXPECT_TRUE(w->Get(tree_, "big", &v).IsNotFound());
  EXPECT_OK(w->Commit());
  ExpectUnharmed();
}

TEST(BadInputOptions, UnknownNameSuggestsClosest) {
  Options o;
  Status s = o.Set("cache_sise", "1MB");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("cache_sise"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("cache_size"), std::string::npos) << "no suggestion: " << s.ToString();
  std::printf("[ message  ] %s\n", s.ToString().c_str());
  s = o.Set("compresion", "lz4");
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("compression"), std::string::npos) << s.ToString();
  s = o.Set("busy_timeot", "10");
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("busy_timeout"), std::string::npos) << s.ToString();
  std::string v;
  EXPECT_TRUE(o.Get("no_such_option", &v).IsNotFound());
  EXPECT_EQ(FindOption("no_such_option"), nullptr);
}

TEST(BadInputOptions, BadValuesNameTheOption) {
  struct Case {
    const char* name;
    const char* value;
  } cases[] = {
      {"cache_size", "lots"}, {"cache_size", "-5MB"},  {"cache_size", ""},
      {"sync", "sometimes"},  {"page_size", "1000"},   {"page_size", "65536"},
      {"page_size", "6000"},  {"compression", "gzip"}, {"compression_level", "abc"},
      {"checksum", "maybe"},  {"busy_timeout", "-1"},  {"io", "carrier-pigeon"},
      {"max_readers", "0"},   {"cache_size", "12XB"},
  };
  for (const Case& c : cases) {
    Options o;
    Options before = o;
    Status s = o.Set(c.name, c.value);
    EXPECT_TRUE(s.IsInvalidArgument()) << c.name << "=" << c.value << " -> " << s.ToString();
    EXPECT_NE(s.message().find(c.name), std::string::npos)
        << c.name << "=" << c.value << ": message does not name the option: " << s.ToString();
    EXPECT_EQ(o.page_size, before.page_size);
    EXPECT_EQ(o.cache_size, before.cache_size);
    EXPECT_EQ(o.sync, before.sync);
  }
  Options o;
  Status s = o.Set("sync", "sometimes");
  std::printf("[ message  ] %s\n", s.ToString().c_str());
  EXPECT_TRUE(MentionsAny(s.message(), {"full"})) << "allowed values not listed: " << s.ToString();
}

TEST(BadInputOptions, GoodValuesParse) {
  Options o;
  EXPECT_OK(o.Set("cache_size", "256MB"));
  EXPECT_EQ(o.cache_size, 256ull << 20);
  EXPECT_OK(o.Set("cache_size", "1GiB"));
  EXPECT_EQ(o.cache_size, 1ull << 30);
  EXPECT_OK(o.Set("cache_size", "1536k"));
  EXPECT_EQ(o.cache_size, 1536ull << 10);
  EXPECT_OK(o.Set("busy_timeout", "250"));
  EXPECT_EQ(o.busy_timeout_ms, 250u);
  EXPECT_OK(o.Set("sync", "normal"));
  EXPECT_EQ(o.sync, SyncMode::kNormal);
  EXPECT_OK(o.Set("compression", "zstd"));
  EXPECT_EQ(o.compression, Codec::kZstd);
  EXPECT_OK(o.Set("page_size", "16384"));
  EXPECT_EQ(o.page_size, 16384u);
  EXPECT_OK(o.Set("checksum", "off"));
  EXPECT_FALSE(o.checksum);
  std::string v;
  EXPECT_OK(o.Get("sync", &v));
  EXPECT_EQ(v, "normal");
  // Every listed option can be read back and re-set from its default.
  for (const OptionInfo& info : AllOptions()) {
    Options fresh;
    std::string def;
    EXPECT_OK(fresh.Get(info.name, &def));
    EXPECT_OK(fresh.Set(info.name, def)) << info.name << "=" << def;
    EXPECT_EQ(FindOption(info.name), &info);
  }
  uint64_t bytes = 0;
  EXPECT_OK(ParseBytes("64MB", &bytes));
  EXPECT_EQ(bytes, 64ull << 20);
  EXPECT_FALSE(ParseBytes("lots", &bytes).ok());
}

TEST(BadInputOpen, BadPageSizeInOptionsStruct) {
  TempDir dir;
  Options o = FastOptions();
  o.page_size = 1000;
  auto r = DB::Open(StorePath(dir), o);
  ASSERT_FALSE(r.ok()) << "page_size 1000 accepted";
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("page_size"), std::string::npos) << r.status().ToString();
}

TEST(BadInputOpen, DirectoryAsStore) {
  TempDir dir;
  auto r = DB::Open(dir.path(), FastOptions());
  ASSERT_FALSE(r.ok()) << "a directory opened as a store";
  std::printf("[ message  ] %s\n", r.status().ToString().c_str());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_TRUE(MentionsAny(r.status().message(), {"director", dir.path()})) << r.status().ToString();
}

TEST(BadInputOpen, MissingParentDirectory) {
  TempDir dir;
  auto r = DB::Open(dir.File("no/such/dir/store"), FastOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.status().message().empty());
}

TEST_F(BadInputTest, PutInDroppedTree) {
  {
    ASSERT_OK_AND_ASSIGN(auto w, db_->BeginWrite());
    TreeId doomed;
    ASSERT_OK(w->CreateTree("doomed", &doomed));
    ASSERT_OK(w->Put(doomed, "a", "1"));
    ASSERT_OK(w->Commit());
    // Dropped and then used in the same transaction.
    ASSERT_OK_AND_ASSIGN(auto w2, db_->BeginWrite());
    ASSERT_OK(w2->DropTree("doomed"));
    Status s = w2->Put(doomed, "b", "2");
    EXPECT_FALSE(s.ok()) << "Put into a tree dropped in this transaction succeeded";
    EXPECT_TRUE(s.IsNotFound()) << s.ToString();
    std::string v;
    EXPECT_FALSE(w2->Get(doomed, "a", &v).ok());
    ASSERT_OK(w2->Commit());
    // And in a later transaction.
    ASSERT_OK_AND_ASSIGN(auto w3, db_->BeginWrite());
    s = w3->Put(doomed, "c", "3");
    EXPECT_TRUE(s.IsNotFound()) << s.ToString();
    TreeId id;
    EXPECT_TRUE(w3->OpenTree("doomed", &id).IsNotFound());
    auto c = w3->NewCursor(doomed);
    EXPECT_FALSE(c.ok()) << "cursor on a dropped tree";
    EXPECT_TRUE(c.status().IsNotFound()) << c.status().ToString();
    EXPECT_TRUE(w3->ClearTree(doomed).IsNotFound());
    TreeInfo info;
    EXPECT_TRUE(w3->GetTreeInfo(doomed, &info).IsNotFound());
    EXPECT_TRUE(w3->DropTree("doomed").IsNotFound());
    EXPECT_OK(w3->Commit());
  }
  // A tree id that never existed.
  ASSERT_OK_AND_ASSIGN(auto t, db_->BeginRead());
  std::string v;
  Status s = t->Get(987654321, "k", &v);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_NE(s.message().find("no tree with id 987654321"), std::string::npos) << s.ToString();
  t.reset();
  ExpectUnharmed();
}

TEST_F(BadInputTest, CommitAfterAbort) {
  ASSERT_OK_AND_ASSIGN(auto w, db_->BeginWrite());
  ASSERT_OK(w->Put(tree_, "aborted", "x"));
  w->Abort();
  Status s = w->Commit();
  EXPECT_FALSE(s.ok()) << "Commit after Abort succeeded";
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  std::printf("[ message  ] %s\n", s.ToString().c_str());
  // Further use of the finished transaction fails too, and nothing leaked.
  EXPECT_FALSE(w->Put(tree_, "after", "y").ok());
  w->Abort();  // always succeeds, also twice
  w.reset();
  ExpectUnharmed();
  // The writer lock was released by Abort.
  ASSERT_OK(db_->SetOption("busy_timeout", "100"));
  ASSERT_OK_AND_ASSIGN(auto w2, db_->BeginWrite());
  EXPECT_OK(w2->Commit());
}

TEST_F(BadInputTest, CommitTwice) {
  ASSERT_OK_AND_ASSIGN(auto w, db_->BeginWrite());
  ASSERT_OK(w->Put(tree_, "k2", "v2"));
  ASSERT_OK(w->Commit());
  Status s = w->Commit();
  EXPECT_FALSE(s.ok()) << "second Commit succeeded";
  EXPECT_FALSE(w->Put(tree_, "k3", "v3").ok()) << "Put after Commit succeeded";
}

TEST_F(BadInputTest, BadSavepointDepths) {
  ASSERT_OK_AND_ASSIGN(auto w, db_->BeginWrite());
  EXPECT_TRUE(w->RollbackTo(1).IsInvalidArgument());
  EXPECT_TRUE(w->Release(1).IsInvalidArgument());
  int d = 0;
  ASSERT_OK(w->Savepoint(&d));
  EXPECT_EQ(d, 1);
  EXPECT_TRUE(w->RollbackTo(2).IsInvalidArgument());
  EXPECT_TRUE(w->RollbackTo(0).IsInvalidArgument());
  EXPECT_TRUE(w->RollbackTo(-3).IsInvalidArgument());
  EXPECT_OK(w->RollbackTo(1));
  EXPECT_OK(w->Release(1));
  EXPECT_TRUE(w->Release(1).IsInvalidArgument());
  EXPECT_OK(w->Commit());
}

TEST_F(BadInputTest, TreeNames) {
  ASSERT_OK_AND_ASSIGN(auto w, db_->BeginWrite());
  TreeId id;
  EXPECT_TRUE(w->CreateTree("", &id).IsInvalidArgument());
  EXPECT_TRUE(w->CreateTree("t", &id).IsInvalidArgument()) << "duplicate name accepted";
  EXPECT_TRUE(w->CreateTree(std::string(kMaxTreeNameSize + 1, 'n'), &id).IsInvalidArgument());
  EXPECT_OK(w->CreateTree(std::string(kMaxTreeNameSize, 'n'), &id));
  EXPECT_TRUE(w->DropTree("missing").IsNotFound());
  EXPECT_TRUE(w->RenameTree("missing", "x").IsNotFound());
  EXPECT_TRUE(w->RenameTree(std::string(kMaxTreeNameSize, 'n'), "t").IsInvalidArgument());
  EXPECT_OK(w->Commit());
  ExpectUnharmed();
}

TEST_F(BadInputTest, LiveOptions) {
  EXPECT_OK(db_->SetOption("compression", "zstd"));
  EXPECT_EQ(db_->GetOptions().compression, Codec::kZstd);
  Status s = db_->SetOption("page_size", "16384");
  EXPECT_EQ(s.code(), Status::Code::kNotSupported) << s.ToString();
  EXPECT_EQ(db_->GetOptions().page_size, 4096u);
  s = db_->SetOption("cache_size", "lots");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  s = db_->SetOption("cache_sise", "1MB");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("cache_size"), std::string::npos) << s.ToString();
}

// The savepoint calls' documented refusals (db.h).
TEST_F(BadInputTest, SavepointDepthNotOpen) {
  ASSERT_OK_AND_ASSIGN(auto w, db_->BeginWrite());
  EXPECT_TRUE(w->RollbackTo(1).IsInvalidArgument());
  int depth = 0;
  ASSERT_OK(w->Savepoint(&depth));
  EXPECT_EQ(depth, 1);
  Status s = w->Release(2);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("no savepoint at depth 2"), std::string::npos) << s.ToString();
  ASSERT_OK(w->Release(1));
  EXPECT_TRUE(w->RollbackTo(1).IsInvalidArgument());
  w->Abort();
  w->Abort();  // a no-op on a finished transaction
  EXPECT_TRUE(w->Commit().IsInvalidArgument());
}

}  // namespace
}  // namespace lightning::test
