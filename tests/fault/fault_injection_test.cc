// Systematic fault injection (issue 7): for a commit, a checkpoint and
// recovery, every I/O call the operation makes is failed in turn.
//
// Each scenario starts from a fixed disk image and runs a list of steps
// (commits, checkpoints, then a clean close) on a SimDisk (sim_disk.h) under
// FaultFile (tests/common/fault_env.h). A first run counts the writes, syncs, reads
// and truncations; then, for every k, a fresh run fails the k-th write (EIO),
// short-writes it, tears it at a random byte, refuses it with ENOSPC, fails
// the k-th fsync, the k-th read and the k-th truncation. Each run checks:
//
//   - the step that met the fault reported an error (NoSpace for ENOSPC), or
//     everything succeeded (the fault was harmless: counted and printed);
//   - no error was reported without a fault;
//   - in the same process, readers see exactly the acknowledged commits;
//   - after a crash at that instant (process exit, power loss, a random
//     subset of the unsynced writes) and after the close, the store opens,
//     DB::Check is clean, it holds every acknowledged commit and nothing
//     else — the failed commit at most, whole — and it takes a new commit.
//
// The test prints the injection points it visited. LIGHTNING_SEED repeats a
// run (the torn lengths and the partial crashes are drawn from it).
#include <cinttypes>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/test_util.h"
#include "tests/fault/sim_disk.h"

namespace lightning::test {
namespace {

using TreeMap = std::map<std::string, std::string>;
using State = std::map<std::string, TreeMap>;  // tree name -> contents

// One logical operation, applied to a write transaction and to the model.
struct Op {
  enum Kind { kPut, kDelete, kCreate, kDrop, kRename, kClear } kind;
  std::string tree, key, value;  // kRename: key is the new name
};

struct Step {
  enum Kind { kCommit, kCheckpoint } kind;
  std::vector<Op> ops;
};

void ApplyToModel(const std::vector<Op>& ops, State* s) {
  for (const Op& op : ops) {
    switch (op.kind) {
      case Op::kPut:
        (*s)[op.tree][op.key] = op.value;
        break;
      case Op::kDelete:
        (*s)[op.tree].erase(op.key);
        break;
      case Op::kCreate:
        (*s)[op.tree];
        break;
      case Op::kDrop:
        s->erase(op.tree);
        break;
      case Op::kRename: {
        auto node = s->extract(op.tree);
        node.key() = op.key;
        s->insert(std::move(node));
        break;
      }
      case Op::kClear:
        (*s)[op.tree].clear();
        break;
    }
  }
}

Status ApplyToTxn(const std::vector<Op>& ops, WriteTxn* w) {
  for (const Op& op : ops) {
    TreeId id = 0;
    Status s;
    switch (op.kind) {
      case Op::kPut:
        s = w->OpenTree(op.tree, &id);
        if (s.ok()) s = w->Put(id, op.key, op.value);
        break;
      case Op::kDelete:
        s = w->OpenTree(op.tree, &id);
        if (s.ok()) s = w->Delete(id, op.key);
        break;
      case Op::kCreate:
        s = w->CreateTree(op.tree, &id);
        break;
      case Op::kDrop:
        s = w->DropTree(op.tree);
        break;
      case Op::kRename:
        s = w->RenameTree(op.tree, op.key);
        break;
      case Op::kClear:
        s = w->OpenTree(op.tree, &id);
        if (s.ok()) s = w->ClearTree(id);
        break;
    }
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status ReadState(DB* db, State* out) {
  out->clear();
  auto r = db->BeginRead();
  if (!r.ok()) return r.status();
  auto txn = std::move(r).value();
  std::vector<TreeInfo> trees;
  LIGHTNING_RETURN_IF_ERROR(txn->ListTrees(&trees));
  for (const TreeInfo& t : trees) {
    TreeMap& m = (*out)[t.name];
    auto c = txn->NewCursor(t.id);
    if (!c.ok()) return c.status();
    for (c.value()->SeekToFirst(); c.value()->Valid(); c.value()->Next())
      m.emplace(std::string(c.value()->key()), std::string(c.value()->value()));
    LIGHTNING_RETURN_IF_ERROR(c.value()->status());
    if (m.size() != t.entries) {
      return Status::Corruption("tree " + t.name + " lists " + std::to_string(t.entries) +
                                " entries, cursor found " + std::to_string(m.size()));
    }
  }
  return Status::OK();
}

std::string Describe(const State& s) {
  std::string out;
  for (const auto& [name, m] : s) out += name + "(" + std::to_string(m.size()) + ") ";
  return out;
}

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "k%05d", i);
  return buf;
}

std::string Value(int i, int version, size_t len = 0) {
  if (len == 0) len = i % 50 == 7 ? 1500 : 60;  // now and then a blob page (> 4096/8)
  return SeededLetters(Mix(static_cast<uint64_t>(i), static_cast<uint64_t>(version)), len, 'a');
}

Options BaseOptions() {
  Options o;
  o.page_size = 4096;
  o.sync = SyncMode::kFull;
  o.cache_size = 8ull << 20;
  o.checkpoint_wal_size = 64ull << 20;
  o.checkpoint_dirty_size = 64ull << 20;
  return o;
}

enum class Fault {
  kNone,
  kFailWrite,
  kShortWrite,
  kTornWrite,
  kNoSpace,
  kFailSync,
  kFailRead,
  kFailTruncate
};

const char* FaultName(Fault f) {
  switch (f) {
    case Fault::kNone:
      return "none";
    case Fault::kFailWrite:
      return "fail-write";
    case Fault::kShortWrite:
      return "short-write";
    case Fault::kTornWrite:
      return "torn-write";
    case Fault::kNoSpace:
      return "enospc";
    case Fault::kFailSync:
      return "fail-fsync";
    case Fault::kFailRead:
      return "fail-read";
    case Fault::kFailTruncate:
      return "fail-truncate";
  }
  return "?";
}

struct Counts {
  uint64_t writes = 0, syncs = 0, reads = 0, truncates = 0;
};

Counts Snapshot(SimDisk* disk) {
  return {disk->plan()->writes.load(), disk->plan()->syncs.load(), disk->sim()->reads.load(),
          disk->sim()->truncates.load()};
}

void Arm(SimDisk* disk, Fault f, uint64_t k, uint64_t seed) {
  FaultPlan* p = disk->plan();
  p->torn_seed = seed | 1;
  switch (f) {
    case Fault::kNone:
      break;
    case Fault::kFailWrite:
      p->fail_write_at = k;
      break;
    case Fault::kShortWrite:
      p->short_write_at = k;
      break;
    case Fault::kTornWrite:
      p->torn_write_at = k;
      break;
    case Fault::kNoSpace:
      p->nospace_write_at = k;
      break;
    case Fault::kFailSync:
      p->fail_sync_at = k;
      break;
    case Fault::kFailRead:
      disk->sim()->fail_read_at = k;
      break;
    case Fault::kFailTruncate:
      disk->sim()->fail_truncate_at = k;
      break;
  }
}

struct Scenario {
  std::string name;
  DiskImage start;
  State start_state;
  Options options;
  bool fault_open = false;  // faults count from DB::Open (recovery) instead of after it
  std::vector<Step> steps;
};

struct Tally {
  uint64_t points = 0;    // runs with a fault armed
  uint64_t fired = 0;     // ... in which the fault happened
  uint64_t reported = 0;  // ... and a step reported it
  uint64_t deferred = 0;  // ... every step succeeded, the next commit reported it
  uint64_t harmless = 0;  // ... every step and the next commit succeeded
  uint64_t in_close = 0;  // ... during the clean close (no caller to tell)
  uint64_t images = 0;    // crash images verified
};

// Injection points of every scenario run, printed when the binary ends.
uint64_t g_total_points = 0;

class PrintTotal : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf("[ total    ] %" PRIu64 " injection points visited\n", g_total_points);
  }
};
const auto* const kPrintTotal = ::testing::AddGlobalTestEnvironment(new PrintTotal);

class FaultInjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = TestSeed(20261124);
    path_ = StorePath(dir_);
  }

  // Opens `image` without faults, checks it against `allowed`, then commits
  // one more change to show the store is writable.
  void VerifyImage(const DiskImage& image, const std::vector<State>& allowed,
                   const std::string& ctx) {
    SimDisk disk(image);
    Options o = BaseOptions();
    o.env = disk.env();
    auto r = DB::Open(path_, o);
    ASSERT_TRUE(r.ok()) << ctx << ": reopen failed: " << r.status().ToString();
    std::shared_ptr<DB> db = std::move(r).value();
    State got;
    ASSERT_OK(ReadState(db.get(), &got)) << ctx;
    bool match = false;
    for (const State& s : allowed) match = match || s == got;
    if (!match) {
      std::string want;
      for (const State& s : allowed) want += "[" + Describe(s) + "] ";
      FAIL() << ctx << ": store holds [" << Describe(got) << "], expected one of " << want;
    }
    std::vector<std::string> problems;
    ASSERT_OK(db->Check(&problems)) << ctx;
    ASSERT_TRUE(problems.empty()) << ctx << ": " << problems.front();
    ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
    TreeId id = 0;
    Status s = w->OpenTree("t", &id);
    if (s.IsNotFound()) s = w->CreateTree("t", &id);
    ASSERT_OK(s) << ctx;
    ASSERT_OK(w->Put(id, "after-reopen", "x")) << ctx;
    ASSERT_OK(w->Commit()) << ctx << ": the reopened store refuses a commit";
    ++tally_.images;
  }

  // One run of `sc` with `fault` at position k. With kNone, *counts gets the
  // I/O calls of the run.
  void Run(const Scenario& sc, Fault fault, uint64_t k, Counts* counts) {
    const std::string ctx = sc.name + " " + FaultName(fault) + " at " + std::to_string(k);
    SimDisk disk(sc.start);
    Options o = sc.options;
    o.env = disk.env();
    const uint64_t run_seed = Mix(seed_, Mix(static_cast<uint64_t>(fault), k));
    if (sc.fault_open) Arm(&disk, fault, k, run_seed);
    State acked = sc.start_state;
    std::vector<State> allowed;
    bool error = false;
    Status first_error;
    std::shared_ptr<DB> db;
    auto r = DB::Open(path_, o);
    if (!r.ok()) {
      error = true;
      first_error = r.status();
    } else {
      db = std::move(r).value();
      if (!sc.fault_open) {
        disk.ResetCounters();
        Arm(&disk, fault, k, run_seed);
      }
    }
    for (size_t i = 0; !error && i < sc.steps.size(); ++i) {
      const Step& step = sc.steps[i];
      Status s;
      if (step.kind == Step::kCheckpoint) {
        s = db->Checkpoint();
      } else {
        auto w = db->BeginWrite();
        s = w.status();
        if (s.ok()) s = ApplyToTxn(step.ops, w.value().get());
        if (s.ok()) s = w.value()->Commit();
        if (!s.ok()) {
          State maybe = acked;  // the failed commit may survive, whole
          ApplyToModel(step.ops, &maybe);
          allowed.push_back(maybe);
        } else {
          ApplyToModel(step.ops, &acked);
        }
      }
      if (!s.ok()) {
        error = true;
        first_error = s;
      }
    }
    const bool fired_in_op = disk.Tripped();
    if (fault != Fault::kNone && fired_in_op && !error) {
      // Nobody was told (e.g. a checkpoint that a durable commit triggered
      // failed after it): the next commit must report it, or succeed if the
      // fault really was harmless.
      std::vector<Op> probe = {{Op::kPut, "t", "probe", "p"}};
      auto w = db->BeginWrite();
      Status s = w.status();
      if (s.ok()) s = ApplyToTxn(probe, w.value().get());
      if (s.ok()) s = w.value()->Commit();
      State maybe = acked;
      ApplyToModel(probe, &maybe);
      if (s.ok()) {
        acked = maybe;
        ++tally_.harmless;
        std::printf("[ harmless ] %s: every step and a later commit succeeded\n", ctx.c_str());
      } else {
        allowed.push_back(maybe);
        ++tally_.deferred;
      }
    }
    allowed.push_back(acked);

    if (fault == Fault::kNone) {
      ASSERT_FALSE(error) << ctx << ": " << first_error.ToString();
    } else if (error) {
      ASSERT_TRUE(fired_in_op) << ctx << ": error without a fault: " << first_error.ToString();
      // ENOSPC is NoSpace where it happens; a later step refused by the failed
      // store (ReadOnly) names it as the cause.
      if (fault == Fault::kNoSpace && first_error.code() != Status::Code::kNoSpace &&
          first_error.ToString().find("NoSpace") == std::string::npos) {
        ADD_FAILURE() << ctx << ": ENOSPC reported as " << first_error.ToString();
      }
      ++tally_.reported;
    }

    if (db) {
      // Readers in this process see exactly the acknowledged commits.
      Counts saved = Snapshot(&disk);
      uint64_t read_at = disk.sim()->fail_read_at;
      disk.sim()->fail_read_at = 0;
      State now;
      Status s = ReadState(db.get(), &now);
      if (s.ok()) {
        EXPECT_TRUE(now == acked) << ctx << ": in-process view [" << Describe(now)
                                  << "], acknowledged [" << Describe(acked) << "]";
      }
      disk.sim()->reads = saved.reads;
      disk.sim()->fail_read_at = read_at;
    }

    // Crash now (three ways), then close cleanly and crash after that.
    TestRng rng(run_seed);
    std::vector<std::pair<std::string, DiskImage>> images;
    images.emplace_back("process-exit", disk.Crash(CrashModel::kProcessExit, &rng));
    images.emplace_back("power-loss", disk.Crash(CrashModel::kPowerLoss, &rng));
    images.emplace_back("partial", disk.Crash(CrashModel::kPartial, &rng));
    images.emplace_back("partial-2", disk.Crash(CrashModel::kPartial, &rng));
    db.reset();  // clean close: checkpoints unless the store failed
    if (fault != Fault::kNone) {
      ++tally_.points;
      if (disk.Tripped()) ++tally_.fired;
      if (disk.Tripped() && !fired_in_op) ++tally_.in_close;
    }
    images.emplace_back("after-close", disk.Crash(CrashModel::kProcessExit, &rng));
    images.emplace_back("after-close-power-loss", disk.Crash(CrashModel::kPowerLoss, &rng));
    if (counts != nullptr) *counts = Snapshot(&disk);
    for (const auto& [model, image] : images) {
      ASSERT_NO_FATAL_FAILURE(VerifyImage(image, allowed, ctx + ", " + model));
    }
  }

  void RunAll(const Scenario& sc) {
    Counts c;
    ASSERT_NO_FATAL_FAILURE(Run(sc, Fault::kNone, 0, &c));
    Tally before = tally_;
    const std::pair<Fault, uint64_t> plan[] = {
        {Fault::kFailWrite, c.writes},      {Fault::kShortWrite, c.writes},
        {Fault::kTornWrite, c.writes},      {Fault::kNoSpace, c.writes},
        {Fault::kFailSync, c.syncs},        {Fault::kFailRead, c.reads},
        {Fault::kFailTruncate, c.truncates}};
    for (auto [fault, n] : plan) {
      for (uint64_t k = 1; k <= n; ++k) ASSERT_NO_FATAL_FAILURE(Run(sc, fault, k, nullptr));
    }
    std::printf("[ %-22s] %" PRIu64 " writes, %" PRIu64 " syncs, %" PRIu64 " reads, %" PRIu64
                " truncates -> %" PRIu64 " injection points: %" PRIu64 " fired, %" PRIu64
                " reported, %" PRIu64 " deferred, %" PRIu64 " harmless, %" PRIu64
                " in close; %" PRIu64 " images\n",
                sc.name.c_str(), c.writes, c.syncs, c.reads, c.truncates,
                tally_.points - before.points, tally_.fired - before.fired,
                tally_.reported - before.reported, tally_.deferred - before.deferred,
                tally_.harmless - before.harmless, tally_.in_close - before.in_close,
                tally_.images - before.images);
    std::fflush(stdout);
    g_total_points += tally_.points - before.points;
    EXPECT_EQ(tally_.points - before.points, 4 * c.writes + c.syncs + c.reads + c.truncates);
    EXPECT_EQ(tally_.fired - before.fired, tally_.points - before.points)
        << "a planned fault never happened: the operation's I/O is not deterministic";
  }

  // The starting store: trees t and side, checkpointed, then two commits in
  // the WAL. *state gets its contents. `wal_tail` is appended to the WAL.
  void BuildBase(DiskImage* image, State* state, bool checkpoint_last = false) {
    SimDisk disk(DiskImage{});
    Options o = BaseOptions();
    o.env = disk.env();
    ASSERT_OK_AND_ASSIGN(auto db, DB::Open(path_, o));
    State s;
    std::vector<Step> steps;
    for (int b = 0; b < 4; ++b) {
      Step st{Step::kCommit, {}};
      if (b == 0) st.ops.push_back({Op::kCreate, "t", "", ""});
      if (b == 0) st.ops.push_back({Op::kCreate, "side", "", ""});
      for (int i = b * 100; i < (b + 1) * 100; ++i)
        st.ops.push_back({Op::kPut, "t", Key(i), Value(i, 0)});
      for (int i = b * 10; i < (b + 1) * 10; ++i)
        st.ops.push_back({Op::kPut, "side", Key(i), Value(i, 9)});
      steps.push_back(st);
    }
    steps.push_back({Step::kCheckpoint, {}});
    for (int b = 0; b < 2; ++b) {
      Step st{Step::kCommit, {}};
      for (int i = b; i < 400; i += 4) st.ops.push_back({Op::kPut, "t", Key(i), Value(i, 1 + b)});
      steps.push_back(st);
    }
    if (checkpoint_last) steps.push_back({Step::kCheckpoint, {}});
    for (const Step& st : steps) {
      if (st.kind == Step::kCheckpoint) {
        ASSERT_OK(db->Checkpoint());
        continue;
      }
      ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
      ASSERT_OK(ApplyToTxn(st.ops, w.get()));
      ASSERT_OK(w->Commit());
      ApplyToModel(st.ops, &s);
    }
    TestRng rng(1);
    *image = disk.Crash(CrashModel::kPowerLoss, &rng);  // all of it was synced
    *state = s;
    db.reset();
  }

  static std::vector<Step> CommitSteps() {
    std::vector<Step> steps;
    Step c1{Step::kCommit, {}};
    for (int i = 400; i < 430; ++i) c1.ops.push_back({Op::kPut, "t", Key(i), Value(i, 5)});
    for (int i = 0; i < 10; ++i) c1.ops.push_back({Op::kPut, "t", Key(i * 7), Value(i, 6)});
    for (int i = 0; i < 10; ++i) c1.ops.push_back({Op::kDelete, "t", Key(i * 11 + 3), ""});
    steps.push_back(c1);
    Step c2{Step::kCommit, {}};
    c2.ops.push_back({Op::kPut, "t", "big", Value(1, 7, 20000)});
    c2.ops.push_back({Op::kCreate, "u", "", ""});
    for (int i = 0; i < 10; ++i) c2.ops.push_back({Op::kPut, "u", Key(i), Value(i, 8)});
    steps.push_back(c2);
    Step c3{Step::kCommit, {}};
    c3.ops.push_back({Op::kRename, "u", "v", ""});
    c3.ops.push_back({Op::kClear, "side", "", ""});
    for (int i = 0; i < 5; ++i) c3.ops.push_back({Op::kDelete, "t", Key(200 + i), ""});
    steps.push_back(c3);
    Step c4{Step::kCommit, {}};
    c4.ops.push_back({Op::kDrop, "v", "", ""});
    c4.ops.push_back({Op::kPut, "t", "last", "1"});
    steps.push_back(c4);
    return steps;
  }

  std::string path_;
  uint64_t seed_ = 0;
  Tally tally_;

 private:
  TempDir dir_;
};

TEST_F(FaultInjectionTest, Commit) {
  Scenario sc{"commit", {}, {}, BaseOptions(), false, CommitSteps()};
  ASSERT_NO_FATAL_FAILURE(BuildBase(&sc.start, &sc.start_state));
  RunAll(sc);
}

// Small thresholds: commits checkpoint by themselves (inside Commit).
TEST_F(FaultInjectionTest, CommitWithAutoCheckpoint) {
  Scenario sc{"commit+auto-checkpoint", {}, {}, BaseOptions(), false, CommitSteps()};
  sc.options.checkpoint_wal_size = 8 << 10;
  ASSERT_NO_FATAL_FAILURE(BuildBase(&sc.start, &sc.start_state));
  RunAll(sc);
}

// Three checkpoints: the later ones reuse space the earlier ones freed.
TEST_F(FaultInjectionTest, Checkpoint) {
  std::vector<Step> commits = CommitSteps();
  Scenario sc{"checkpoint",
              {},
              {},
              BaseOptions(),
              false,
              {{Step::kCheckpoint, {}},
               commits[0],
               {Step::kCheckpoint, {}},
               commits[1],
               {Step::kCheckpoint, {}}}};
  ASSERT_NO_FATAL_FAILURE(BuildBase(&sc.start, &sc.start_state));
  RunAll(sc);
}

// Open after a crash: WAL replay with a torn tail to cut, then a commit that
// checkpoints (small checkpoint_wal_size). Faults count from DB::Open.
TEST_F(FaultInjectionTest, RecoveryWithTornTail) {
  std::vector<Step> commits = CommitSteps();
  Scenario sc{"recovery(torn tail)", {}, {}, BaseOptions(), true, {commits[0], commits[1]}};
  sc.options.checkpoint_wal_size = 8 << 10;
  ASSERT_NO_FATAL_FAILURE(BuildBase(&sc.start, &sc.start_state));
  // Half of a record header and some bytes: what a write torn by power loss leaves.
  std::string tail(120, '\0');
  tail[0] = 80;
  for (size_t i = 16; i < tail.size(); ++i) tail[i] = static_cast<char>(i * 13);
  sc.start.wal += tail;
  RunAll(sc);
}

// Open after a crash during a WAL reset: the header itself is torn.
TEST_F(FaultInjectionTest, RecoveryWithTornWalHeader) {
  std::vector<Step> commits = CommitSteps();
  Scenario sc{"recovery(torn header)", {}, {}, BaseOptions(), true, {commits[0]}};
  ASSERT_NO_FATAL_FAILURE(BuildBase(&sc.start, &sc.start_state, /*checkpoint_last=*/true));
  ASSERT_GE(sc.start.wal.size(), 64u);
  sc.start.wal.resize(30);
  RunAll(sc);
}

}  // namespace
}  // namespace lightning::test
