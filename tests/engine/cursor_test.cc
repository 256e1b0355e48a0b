// Cursors: ordered iteration both ways, seeks at and between keys, a cursor
// of a write transaction that stays valid while that transaction inserts and
// deletes around it (splits and merges included), and a read cursor that keeps
// its snapshot while the writer commits.
#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

std::string K(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "k%04d", i);
  return buf;
}
std::string V(const std::string& k, int gen = 0) {
  return "value-of-" + k + "-" + std::to_string(gen);
}

class CursorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o = FastOptions();
    ASSERT_OK_AND_ASSIGN(db_, DB::Open(StorePath(dir_), o));
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    ASSERT_OK(txn->CreateTree("t", &tree_));
    for (int i = 0; i < 1000; ++i) {
      ASSERT_OK(txn->Put(tree_, K(i), V(K(i))));
      model_[K(i)] = V(K(i));
    }
    ASSERT_OK(txn->Commit());
  }
  void TearDown() override { db_.reset(); }

  // The cursor is at `key` with the model's value.
  void ExpectAt(Cursor* c, const std::string& key) {
    ASSERT_TRUE(c->Valid()) << "expected " << key << "; status " << c->status().ToString();
    ASSERT_EQ(std::string(c->key()), key);
    ASSERT_EQ(std::string(c->value()), model_.at(key));
  }

  TempDir dir_;
  std::shared_ptr<DB> db_;
  TreeId tree_ = 0;
  std::map<std::string, std::string> model_;
};

TEST_F(CursorTest, SeeksAndBothDirections) {
  ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginRead());
  ASSERT_OK_AND_ASSIGN(auto c, txn->NewCursor(tree_));
  EXPECT_FALSE(c->Valid());
  c->Seek("k0500");
  ExpectAt(c.get(), "k0500");
  c->Seek("k0500x");  // between keys
  ExpectAt(c.get(), "k0501");
  c->SeekForPrev("k0500x");
  ExpectAt(c.get(), "k0500");
  c->SeekForPrev("k0500");
  ExpectAt(c.get(), "k0500");
  c->Seek("a");  // before everything
  ExpectAt(c.get(), "k0000");
  c->SeekForPrev("a");
  EXPECT_FALSE(c->Valid());
  c->Seek("z");  // after everything
  EXPECT_FALSE(c->Valid());
  c->SeekForPrev("z");
  ExpectAt(c.get(), "k0999");
  c->SeekToFirst();
  for (int i = 0; i < 1000; ++i, c->Next()) ASSERT_NO_FATAL_FAILURE(ExpectAt(c.get(), K(i)));
  EXPECT_FALSE(c->Valid());
  c->SeekToLast();
  for (int i = 999; i >= 0; --i, c->Prev()) ASSERT_NO_FATAL_FAILURE(ExpectAt(c.get(), K(i)));
  EXPECT_FALSE(c->Valid());
  // Zig-zag across leaf boundaries.
  c->Seek("k0100");
  for (int i = 0; i < 300; ++i) {
    c->Next();
    c->Next();
    c->Prev();
    ASSERT_NO_FATAL_FAILURE(ExpectAt(c.get(), K(101 + i)));
  }
  EXPECT_OK(c->status());
}

TEST_F(CursorTest, EmptyTree) {
  ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
  TreeId empty;
  ASSERT_OK(txn->CreateTree("empty", &empty));
  ASSERT_OK_AND_ASSIGN(auto c, txn->NewCursor(empty));
  c->SeekToFirst();
  EXPECT_FALSE(c->Valid());
  c->SeekToLast();
  EXPECT_FALSE(c->Valid());
  c->Seek("x");
  EXPECT_FALSE(c->Valid());
  c->SeekForPrev("x");
  EXPECT_FALSE(c->Valid());
  EXPECT_OK(c->status());
}

// A write transaction's cursor keeps its position by key while the same
// transaction changes the tree under it.
TEST_F(CursorTest, WriteCursorStableAcrossOwnChanges) {
  ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
  ASSERT_OK_AND_ASSIGN(auto c, txn->NewCursor(tree_));
  c->Seek("k0500");
  ExpectAt(c.get(), "k0500");

  // Insert right after the current key: the cursor stays, Next sees it.
  ASSERT_OK(txn->Put(tree_, "k0500a", "inserted"));
  model_["k0500a"] = "inserted";
  ExpectAt(c.get(), "k0500");
  c->Next();
  ExpectAt(c.get(), "k0500a");
  c->Prev();
  ExpectAt(c.get(), "k0500");
  c->Next();

  // Delete the next key: Next skips it.
  bool existed = false;
  ASSERT_OK(txn->Delete(tree_, "k0501", &existed));
  EXPECT_TRUE(existed);
  model_.erase("k0501");
  c->Next();
  ExpectAt(c.get(), "k0502");

  // Delete the current key: Next goes to the next greater key.
  ASSERT_OK(txn->Delete(tree_, "k0502"));
  model_.erase("k0502");
  c->Next();
  ExpectAt(c.get(), "k0503");

  // Many inserts right after the current key split its leaf (and more).
  for (int i = 0; i < 600; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "k0503x%03d", i);
    std::string v(100, static_cast<char>('a' + i % 26));
    ASSERT_OK(txn->Put(tree_, buf, v));
    model_[buf] = v;
  }
  ExpectAt(c.get(), "k0503");
  c->Next();
  ExpectAt(c.get(), "k0503x000");
  c->Prev();
  ExpectAt(c.get(), "k0503");

  // Update the current key's value: the cursor shows the new value.
  ASSERT_OK(txn->Put(tree_, "k0503", "updated"));
  model_["k0503"] = "updated";
  ExpectAt(c.get(), "k0503");

  // Deleting a wide range ahead merges leaves; iterate to the end.
  for (int i = 600; i < 950; ++i) {
    ASSERT_OK(txn->Delete(tree_, K(i)));
    model_.erase(K(i));
  }
  // And behind, for Prev.
  for (int i = 100; i < 450; ++i) {
    ASSERT_OK(txn->Delete(tree_, K(i)));
    model_.erase(K(i));
  }
  ExpectAt(c.get(), "k0503");
  auto it = model_.find("k0503");
  for (; it != model_.end(); ++it, c->Next()) ASSERT_NO_FATAL_FAILURE(ExpectAt(c.get(), it->first));
  EXPECT_FALSE(c->Valid());
  c->SeekForPrev("k0503");
  auto rit = std::make_reverse_iterator(std::next(model_.find("k0503")));
  for (; rit != model_.rend(); ++rit, c->Prev())
    ASSERT_NO_FATAL_FAILURE(ExpectAt(c.get(), rit->first));
  EXPECT_FALSE(c->Valid());

  // Prev after deleting the previous key.
  c->Seek("k0460");
  ASSERT_OK(txn->Delete(tree_, "k0459"));
  model_.erase("k0459");
  c->Prev();
  ExpectAt(c.get(), "k0458");
  EXPECT_OK(c->status());
  c.reset();
  ASSERT_OK(txn->Commit());

  // What the cursor saw is what was committed.
  ASSERT_OK_AND_ASSIGN(auto r, db_->BeginRead());
  ASSERT_OK_AND_ASSIGN(auto rc, r->NewCursor(tree_));
  rc->SeekToFirst();
  for (auto& [k, v] : model_) {
    ASSERT_NO_FATAL_FAILURE(ExpectAt(rc.get(), k));
    rc->Next();
  }
  EXPECT_FALSE(rc->Valid());
}

// A read cursor keeps its snapshot while a writer commits changes to the
// pages it is walking.
TEST_F(CursorTest, ReadCursorKeepsSnapshotAcrossCommits) {
  auto old_model = model_;
  ASSERT_OK_AND_ASSIGN(auto r, db_->BeginRead());
  ASSERT_OK_AND_ASSIGN(auto c, r->NewCursor(tree_));
  c->SeekToFirst();
  auto it = old_model.begin();
  for (int round = 0; round < 10; ++round) {
    ASSERT_OK_AND_ASSIGN(auto w, db_->BeginWrite());
    for (int i = 0; i < 1000; i += 3) ASSERT_OK(w->Put(tree_, K(i), "new" + std::to_string(round)));
    for (int i = round; i < 1000; i += 10) ASSERT_OK(w->Delete(tree_, K(i)));
    ASSERT_OK(w->Commit());
    if (round == 5) {
      ASSERT_OK(db_->Checkpoint());
    }
    for (int step = 0; step < 100; ++step, ++it, c->Next()) {
      ASSERT_TRUE(c->Valid());
      ASSERT_EQ(std::string(c->key()), it->first);
      ASSERT_EQ(std::string(c->value()), it->second);
    }
  }
  EXPECT_FALSE(c->Valid());
  EXPECT_TRUE(it == old_model.end());
  std::string v;
  ASSERT_OK(r->Get(tree_, K(3), &v));
  EXPECT_EQ(v, V(K(3)));
}

}  // namespace
}  // namespace lightning::test
