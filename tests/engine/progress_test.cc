// Progress: DB::Checkpoint, Compact and Check report how far they got and
// stop when their Progress says so. A stopped operation returns Interrupted
// and leaves the store valid: every committed key readable, Check clean, the
// same operation able to run to the end afterwards, the data there after a
// reopen.
#include <chrono>
#include <cinttypes>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

struct Call {
  std::string stage;
  uint64_t done, total;
};

// Records every call; says stop at call number `stop_at` (1-based) of
// `stage` ("" = any stage), or never when stop_at is 0.
class Recorder : public Progress {
 public:
  explicit Recorder(uint64_t stop_at = 0, std::string stage = "")
      : stop_at_(stop_at), stage_(std::move(stage)) {}
  bool Continue(std::string_view stage, uint64_t done, uint64_t total) override {
    calls.push_back({std::string(stage), done, total});
    if (stage_.empty() || stage == stage_) seen_++;
    return stop_at_ == 0 || seen_ < stop_at_;
  }
  uint64_t Count(std::string_view stage) const {
    uint64_t n = 0;
    for (const Call& c : calls) n += c.stage == stage;
    return n;
  }
  std::vector<Call> calls;

 private:
  uint64_t stop_at_;
  std::string stage_;
  uint64_t seen_ = 0;
};

std::string Key(uint64_t i) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "k%010" PRIu64, i);
  return buf;
}
std::string Value(uint64_t i) { return std::string(100, static_cast<char>('a' + i % 26)); }

// No automatic checkpoint: the explicit one has every page to write.
Options BigOptions() {
  Options o = FastOptions();
  o.cache_size = 256ull << 20;
  o.checkpoint_wal_size = 1ull << 30;
  o.checkpoint_dirty_size = 1ull << 30;
  return o;
}

// Keys [from, to) with their values, in transactions of 5000.
void Load(DB* db, TreeId* id, uint64_t from, uint64_t to) {
  for (uint64_t b = from; b < to; b += 5000) {
    ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
    if (*id == 0) {
      ASSERT_OK(w->CreateTree("t", id));
    }
    for (uint64_t i = b; i < std::min(to, b + 5000); i++) ASSERT_OK(w->Put(*id, Key(i), Value(i)));
    ASSERT_OK(w->Commit());
  }
}

// Every key in `want` (and no other) has its value; Check finds nothing.
void Verify(DB* db, const std::vector<uint64_t>& want) {
  std::vector<std::string> problems;
  ASSERT_OK(db->Check(&problems));
  ASSERT_TRUE(problems.empty()) << problems.front();
  ASSERT_OK_AND_ASSIGN(auto r, db->BeginRead());
  TreeId id;
  ASSERT_OK(r->OpenTree("t", &id));
  TreeInfo info;
  ASSERT_OK(r->GetTreeInfo(id, &info));
  ASSERT_EQ(info.entries, want.size());
  std::string v;
  for (uint64_t i : want) {
    ASSERT_OK(r->Get(id, Key(i), &v)) << Key(i);
    ASSERT_EQ(v, Value(i));
  }
}

std::vector<uint64_t> Range(uint64_t n, uint64_t step = 1) {
  std::vector<uint64_t> v;
  for (uint64_t i = 0; i < n; i += step) v.push_back(i);
  return v;
}

TEST(ProgressTest, CheckpointReportsPagesAndStopsBetweenBatches) {
  TempDir dir;
  const uint64_t n = 80000;  // ~10 MB of pages: several 4 MiB write batches
  {
    ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), BigOptions()));
    TreeId id = 0;
    Load(db.get(), &id, 0, n);
    const uint64_t size_before = FileSize(StorePath(dir));

    Recorder stop(2, "write pages");  // after the first batch
    Status s = db->Checkpoint(&stop);
    ASSERT_TRUE(s.IsInterrupted()) << s.ToString();
    EXPECT_NE(s.message().find("the store is unchanged"), std::string::npos) << s.message();
    ASSERT_EQ(stop.Count("write pages"), 2u);
    const Call& last = stop.calls.back();
    EXPECT_GT(last.done, 0u);
    EXPECT_LT(last.done, last.total);
    EXPECT_EQ(FindMetric(db->Metrics(), "checkpoints")->value, 0) << "no checkpoint was counted";
    Verify(db.get(), Range(n));

    // Run to the end: reports every batch, done rising to total; the space of
    // the stopped attempt is reused, not added to.
    Recorder all;
    ASSERT_OK(db->Checkpoint(&all));
    ASSERT_GE(all.Count("write pages"), 3u);
    for (size_t i = 1; i < all.calls.size(); i++)
      EXPECT_GE(all.calls[i].done, all.calls[i - 1].done);
    EXPECT_EQ(all.calls.back().done, all.calls.back().total);
    EXPECT_EQ(all.calls.back().total, last.total);
    Verify(db.get(), Range(n));
    const uint64_t size_after = FileSize(StorePath(dir));
    EXPECT_GT(size_after, size_before);
    // Reference: the same keys checkpointed in one go, in a second store.
    TempDir ref_dir;
    ASSERT_OK_AND_ASSIGN(auto ref, DB::Open(StorePath(ref_dir), BigOptions()));
    TreeId ref_id = 0;
    Load(ref.get(), &ref_id, 0, n);
    ASSERT_OK(ref->Checkpoint());
    EXPECT_EQ(size_after, FileSize(StorePath(ref_dir)));
  }
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), BigOptions()));
  Verify(db.get(), Range(n));
}

TEST(ProgressTest, StoppedCheckpointLeavesTheWalInCharge) {
  TempDir dir;
  const uint64_t n = 20000;
  {
    ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), BigOptions()));
    TreeId id = 0;
    Load(db.get(), &id, 0, n);
    Recorder stop(1);  // before any page is written
    ASSERT_TRUE(db->Checkpoint(&stop).IsInterrupted());
    EXPECT_EQ(stop.calls.front().done, 0u);
    // Writes go on after the stopped checkpoint.
    Load(db.get(), &id, n, n + 1000);
    Verify(db.get(), Range(n + 1000));
  }
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), BigOptions()));
  Verify(db.get(), Range(n + 1000));
}

TEST(ProgressTest, CompactionStoppedWhileMovingKeepsTheStore) {
  TempDir dir;
  const uint64_t n = 60000;
  std::vector<uint64_t> kept = Range(n, 10);
  uint64_t full = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), BigOptions()));
    TreeId id = 0;
    Load(db.get(), &id, 0, n);
    ASSERT_OK(db->Checkpoint());
    full = FileSize(StorePath(dir));
    ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
    for (uint64_t i = 0; i < n; i++) {
      if (i % 10 != 0) {
        ASSERT_OK(w->Delete(id, Key(i)));
      }
    }
    ASSERT_OK(w->Commit());

    Recorder stop(5, "move extents");
    Status s = db->Compact(&stop);
    ASSERT_TRUE(s.IsInterrupted()) << s.ToString();
    EXPECT_NE(s.message().find("compaction interrupted after moving 4 of"), std::string::npos)
        << s.message();
    ASSERT_EQ(stop.Count("move extents"), 5u);
    EXPECT_GT(stop.Count("write pages"), 0u) << "the compaction's first checkpoint reports too";
    EXPECT_EQ(stop.calls.back().done, 4u);
    EXPECT_GT(stop.calls.back().total, 4u);
    Verify(db.get(), kept);

    // A checkpoint records the extents moved so far; a compaction finishes.
    ASSERT_OK(db->Checkpoint());
    Verify(db.get(), kept);
    Recorder all;
    ASSERT_OK(db->Compact(&all));
    EXPECT_LT(FileSize(StorePath(dir)), full / 2);
    Verify(db.get(), kept);
  }
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), BigOptions()));
  Verify(db.get(), kept);
}

TEST(ProgressTest, CompactionStoppedInItsFirstCheckpoint) {
  TempDir dir;
  const uint64_t n = 20000;
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), BigOptions()));
  TreeId id = 0;
  Load(db.get(), &id, 0, n);  // every page dirty: the first checkpoint writes them
  Recorder stop(1);
  Status s = db->Compact(&stop);
  ASSERT_TRUE(s.IsInterrupted()) << s.ToString();
  EXPECT_NE(s.message().find("compaction interrupted in its first checkpoint"), std::string::npos)
      << s.message();
  ASSERT_EQ(stop.calls.size(), 1u);
  EXPECT_EQ(stop.calls[0].stage, "write pages");
  EXPECT_GT(stop.calls[0].total, 0u);
  Verify(db.get(), Range(n));
  ASSERT_OK(db->Compact());
  Verify(db.get(), Range(n));
}

TEST(ProgressTest, CompactionStoppedThenReopenedWithoutCheckpoint) {
  TempDir dir;
  const uint64_t n = 40000;
  std::vector<uint64_t> kept = Range(n, 7);
  {
    ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), BigOptions()));
    TreeId id = 0;
    Load(db.get(), &id, 0, n);
    ASSERT_OK(db->Checkpoint());
    ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
    for (uint64_t i = 0; i < n; i++) {
      if (i % 7 != 0) {
        ASSERT_OK(w->Delete(id, Key(i)));
      }
    }
    ASSERT_OK(w->Commit());
    Recorder stop(3, "move extents");
    ASSERT_TRUE(db->Compact(&stop).IsInterrupted());
  }  // closing checkpoints
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), BigOptions()));
  Verify(db.get(), kept);
}

TEST(ProgressTest, CheckReportsPageVisitsAndStops) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), BigOptions()));
  TreeId id = 0;
  Load(db.get(), &id, 0, 30000);
  ASSERT_OK(db->Checkpoint());

  Recorder all;
  std::vector<std::string> problems;
  ASSERT_OK(db->Check(&problems, &all));
  EXPECT_TRUE(problems.empty());
  ASSERT_GT(all.calls.size(), 100u);  // one call per page visit
  for (const Call& c : all.calls) {
    EXPECT_EQ(c.stage, "check pages");
    EXPECT_LE(c.done, c.total);
  }
  EXPECT_EQ(all.calls.back().done, all.calls.size());
  // Each live page is visited twice (blob pages, of which there are none
  // here, only once): done ends at total.
  EXPECT_EQ(all.calls.back().done, all.calls.back().total);

  Recorder stop(50);
  problems.clear();
  Status s = db->Check(&problems, &stop);
  ASSERT_TRUE(s.IsInterrupted()) << s.ToString();
  EXPECT_EQ(stop.calls.size(), 50u);
  EXPECT_TRUE(problems.empty());
  Verify(db.get(), Range(30000));
}

TEST(ProgressTest, WaitForTheWriterLockCanBeStopped) {
  TempDir dir;
  Options o = BigOptions();
  o.busy_timeout_ms = 60000;
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(StorePath(dir), o));
  TreeId id = 0;
  Load(db.get(), &id, 0, 1000);
  ASSERT_OK_AND_ASSIGN(auto writer, db->BeginWrite());  // holds the writer lock
  ASSERT_OK(writer->Put(id, Key(1000), Value(1000)));
  for (int compact = 0; compact <= 1; compact++) {
    Recorder stop(3);
    const auto start = std::chrono::steady_clock::now();
    Status s = compact ? db->Compact(&stop) : db->Checkpoint(&stop);
    ASSERT_TRUE(s.IsInterrupted()) << s.ToString();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10))
        << "stopped long before busy_timeout";
    EXPECT_NE(s.message().find("interrupted while waiting for a write transaction"),
              std::string::npos)
        << s.message();
    ASSERT_EQ(stop.calls.size(), 3u);
    for (const Call& c : stop.calls) {
      EXPECT_EQ(c.stage, "wait for writer lock");
      EXPECT_EQ(c.total, 60000u);
    }
    EXPECT_LT(stop.calls[0].done, stop.calls[2].done);
  }
  ASSERT_OK(writer->Commit());
  Recorder all;
  ASSERT_OK(db->Checkpoint(&all));  // the lock is free: no wait reported
  EXPECT_EQ(all.Count("wait for writer lock"), 0u);
  Verify(db.get(), Range(1001));
}

TEST(ProgressTest, InMemoryStoreHasNothingToStop) {
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(":memory:", FastOptions()));
  Recorder never(1);
  EXPECT_OK(db->Checkpoint(&never));
  EXPECT_OK(db->Compact(&never));
  EXPECT_TRUE(never.calls.empty());
}

}  // namespace
}  // namespace lightning::test
