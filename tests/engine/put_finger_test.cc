// The put finger (PutFinger in engine/btree.h): a transaction's puts that land
// in the leaf of its previous put skip the descent. These tests drive the
// cases where that leaf or its key range changes under the finger: splits of
// the leaf and of its neighbours, puts that hop between ranges, deletes that
// merge leaves, savepoint rollbacks that drop the leaf (its page id then
// reused), reopen and recovery. Every case is checked against a std::map
// model, by point reads, a full scan, and the store's structural check.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/btree.h"
#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

std::string Key(uint64_t i) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "key%012llu", static_cast<unsigned long long>(i));
  return buf;
}

class PutFingerTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    ASSERT_OK_AND_ASSIGN(db_, DB::Open(StorePath(dir_), FastOptions()));
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    Status s = txn->OpenTree("t", &tree_);
    if (s.IsNotFound()) s = txn->CreateTree("t", &tree_);
    ASSERT_OK(s);
    ASSERT_OK(txn->Commit());
  }
  void Put(WriteTxn* txn, uint64_t i, int gen, std::map<std::string, std::string>* model) {
    const std::string k = Key(i);
    // Values of varying size, so that leaves split at varying counts.
    std::string v = "v" + std::to_string(gen) + "-" + std::string(20 + (i * 7 + gen) % 90, 'x');
    ASSERT_OK(txn->Put(tree_, k, v));
    (*model)[k] = v;
  }
  // Point reads of every model key, a full scan equal to the model, and a
  // clean structural check.
  void Verify(const std::map<std::string, std::string>& model) {
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginRead());
    for (const auto& [k, v] : model) {
      std::string got;
      ASSERT_OK(txn->Get(tree_, k, &got)) << k;
      ASSERT_EQ(got, v) << k;
    }
    ASSERT_OK_AND_ASSIGN(auto c, txn->NewCursor(tree_));
    c->SeekToFirst();
    auto it = model.begin();
    for (; c->Valid(); c->Next(), ++it) {
      ASSERT_NE(it, model.end()) << "scan has extra key " << std::string(c->key());
      ASSERT_EQ(std::string(c->key()), it->first);
      ASSERT_EQ(std::string(c->value()), it->second);
    }
    ASSERT_OK(c->status());
    ASSERT_EQ(it, model.end()) << "scan ended before " << it->first;
    TreeInfo info;
    ASSERT_OK(txn->GetTreeInfo(tree_, &info));
    EXPECT_EQ(info.entries, model.size());
    std::vector<std::string> problems;
    ASSERT_OK(db_->Check(&problems));
    EXPECT_TRUE(problems.empty()) << problems.front();
  }

  TempDir dir_;
  std::shared_ptr<DB> db_;
  TreeId tree_ = 0;
};

TEST_F(PutFingerTest, AscendingDescendingAndOverwritesInOneTransaction) {
  std::map<std::string, std::string> model;
  ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
  for (uint64_t i = 0; i < 20000; i += 2) Put(txn.get(), i, 0, &model);  // ascending: many splits
  for (uint64_t i = 19999; i < 20000; i -= 2)
    Put(txn.get(), i, 0, &model);  // descending, in between
  for (uint64_t i = 0; i < 20000; i += 3) {
    Put(txn.get(), i, 1, &model);  // overwrite, then the neighbour: same leaf
    Put(txn.get(), i + 1, 1, &model);
  }
  ASSERT_OK(txn->Commit());
  Verify(model);
}

TEST_F(PutFingerTest, PutsHoppingBetweenRangesAcrossTransactions) {
  std::map<std::string, std::string> model;
  TestRng rng(TestSeed(11));
  for (int t = 0; t < 30; t++) {
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    // Runs of ascending keys starting at random places: the finger holds for
    // a run, then the next run starts in another leaf (perhaps one that a
    // neighbour's split has just narrowed).
    for (int run = 0; run < 20; run++) {
      uint64_t start = rng.Uniform(100000);
      for (uint64_t k = start; k < start + 1 + rng.Uniform(200); k++) Put(txn.get(), k, t, &model);
    }
    ASSERT_OK(txn->Commit());
  }
  Verify(model);
}

TEST_F(PutFingerTest, DeletesAndRollbacksBetweenPuts) {
  std::map<std::string, std::string> model;
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    for (uint64_t i = 0; i < 5000; i++) Put(txn.get(), i * 4, 0, &model);
    ASSERT_OK(txn->Commit());
  }
  TestRng rng(TestSeed(12));
  for (int t = 0; t < 20; t++) {
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    std::map<std::string, std::string> saved = model;
    int depth = 0;
    for (int step = 0; step < 400; step++) {
      const uint64_t k = rng.Uniform(20000);
      switch (rng.Uniform(8)) {
        case 0: {  // delete a run: leaves empty out and merge under the finger
          for (uint64_t d = k; d < k + 60; d++) {
            bool existed;
            ASSERT_OK(txn->Delete(tree_, Key(d), &existed));
            EXPECT_EQ(existed, model.erase(Key(d)) == 1);
          }
          break;
        }
        case 1:  // a savepoint: the finger's leaf stops being private
          ASSERT_OK(txn->Savepoint(&depth));
          saved = model;
          break;
        case 2:  // roll back: the finger's leaf may be dropped and its id reused
          if (depth > 0) {
            ASSERT_OK(txn->RollbackTo(depth));
            model = saved;
          }
          break;
        default:
          for (uint64_t p = k; p < k + 1 + rng.Uniform(40); p++) Put(txn.get(), p, t, &model);
      }
    }
    if (t % 3 == 2) {
      txn->Abort();
      // The model must forget this transaction: rebuild it from the store.
      model.clear();
      ASSERT_OK_AND_ASSIGN(auto r, db_->BeginRead());
      ASSERT_OK_AND_ASSIGN(auto c, r->NewCursor(tree_));
      for (c->SeekToFirst(); c->Valid(); c->Next())
        model[std::string(c->key())] = std::string(c->value());
      ASSERT_OK(c->status());
    } else {
      ASSERT_OK(txn->Commit());
    }
    Verify(model);
  }
  // Recovery replays the same puts through the same path.
  db_.reset();
  Open();
  Verify(model);
}

// Pages in a map, all private to the one writer: TreePut on its own.
class MemPages : public PageWriter {
 public:
  ~MemPages() override {
    for (auto& [id, f] : pages_) Frame::Free(f);
  }
  Status Read(PageId id, Frame** frame) override {
    auto it = pages_.find(id);
    if (it == pages_.end()) return Status::Corruption("no page " + std::to_string(id));
    *frame = it->second;
    return Status::OK();
  }
  Status NewPage(PageType type, uint32_t size, Frame** frame) override {
    *frame = pages_[next_] = Frame::Allocate(next_, size, type);
    next_++;
    return Status::OK();
  }
  Status Writable(PageId id, Frame** frame) override { return Read(id, frame); }
  void FreePage(PageId id) override {
    Frame::Free(pages_.at(id));
    pages_.erase(id);
  }
  Frame* PrivateFrame(PageId id) override {
    Frame* f;
    return Read(id, &f).ok() ? f : nullptr;
  }
  // Calls visit(node) for every leaf, in key order.
  void Leaves(PageId id, const std::function<void(const Node&)>& visit) {
    Frame* f = pages_.at(id);
    Node n(f->data(), f->size);
    if (n.is_leaf()) return visit(n);
    for (uint32_t i = 0; i <= n.count(); i++) Leaves(n.child(i), visit);
  }

 private:
  std::map<PageId, Frame*> pages_;
  PageId next_ = 1;
};

// Appends split a leaf by starting a new right leaf with the new key alone.
// That leaf must start with the whole key shared, as a rebuilt node does, so
// prefix truncation keeps working: a leaf begun with nothing shared keeps
// skip 0 for good, and with keys sharing their first 8 bytes every search in
// it falls back to whole-key compares (readrandom lost a third once).
TEST(PutFingerTreeTest, AppendSplitsKeepPrefixTruncation) {
  MemPages pages;
  TreeRoot root;
  PutFinger finger;
  const std::string value(100, 'v');
  for (uint64_t i = 0; i < 20000; i++) {
    bool inserted;
    ASSERT_OK(TreePut(&pages, 8192, &root, Key(i), value, &inserted, &finger));
    ASSERT_TRUE(inserted);
  }
  ASSERT_GT(root.depth, 1u);
  uint32_t leaves = 0, truncated = 0;
  pages.Leaves(root.root, [&](const Node& n) {
    leaves++;
    // Keys are "key" + 12 digits below 100000: all share "key0000000".
    if (n.skip() >= 10) truncated++;
  });
  EXPECT_GE(truncated + 1, leaves) << "leaves without prefix truncation (the first may have none)";
  std::vector<std::string> problems;
  ASSERT_OK(TreeCheck(&pages, root, "t", &problems));
  EXPECT_TRUE(problems.empty()) << problems.front();
}

}  // namespace
}  // namespace lightning::test
