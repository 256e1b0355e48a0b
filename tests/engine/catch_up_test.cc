// Catch-up (issue 12): an instance of a store applies the WAL records another
// instance of the same store appended after its last lsn. Two instances of
// one path, each through its own Env, stand for two processes. PATH-lock
// still refuses a second instance (multi-process opening is not wired yet), so
// the second one opens through an Env that grants the lock file without
// taking it, and refuses every write (it must neither checkpoint over the
// first nor touch its log): a read-only follower.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "engine/db_impl.h"
#include "tests/common/fault_env.h"
#include "tests/common/mem_env.h"
#include "tests/engine/test_util.h"

namespace lightning {
namespace {

using test::TempDir;

class NoLock : public FileLock {};

// Grants PATH-lock without taking it: what issue 12 does away with.
class SharedOpenEnv : public EnvWrapper {
 public:
  explicit SharedOpenEnv(Env* base) : EnvWrapper(base) {}
  Status LockFile(const std::string&, std::unique_ptr<FileLock>* lock) override {
    *lock = std::make_unique<NoLock>();
    return Status::OK();
  }
};

Options Quiet(Env* env) {
  Options o;
  o.env = env;
  o.checkpoint_wal_size = 1ull << 40;  // no checkpoint until close
  o.checkpoint_dirty_size = 1ull << 40;
  o.cache_size = 256ull << 20;
  return o;
}

std::string Key(int i) { return "key" + std::to_string(1000 + i); }

Status PutRange(DB* db, const std::string& tree, int from, int to) {
  auto w = db->BeginWrite();
  LIGHTNING_RETURN_IF_ERROR(w.status());
  TreeId id = 0;
  if (!w.value()->OpenTree(tree, &id).ok())
    LIGHTNING_RETURN_IF_ERROR(w.value()->CreateTree(tree, &id));
  for (int i = from; i < to; i++) {
    LIGHTNING_RETURN_IF_ERROR(w.value()->Put(id, Key(i), "v" + std::to_string(i)));
  }
  return w.value()->Commit();
}

// How many of keys [from, to) `db` sees in `tree` now (-1: no such tree).
int Visible(DB* db, const std::string& tree, int from, int to) {
  auto r = db->BeginRead();
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  TreeId id = 0;
  if (!r.value()->OpenTree(tree, &id).ok()) return -1;
  int n = 0;
  for (int i = from; i < to; i++) {
    std::string v;
    Status s = r.value()->Get(id, Key(i), &v);
    if (s.ok()) {
      EXPECT_EQ(v, "v" + std::to_string(i));
      n++;
    } else {
      EXPECT_TRUE(s.IsNotFound()) << s.ToString();
    }
  }
  return n;
}

constexpr int kAccounts = 16, kStart = 1000;

// Creates the accounts; returns the lsn of that commit in *lsn.
Status OpenAccounts(DB* db, uint64_t* lsn) {
  auto w = db->BeginWrite();
  LIGHTNING_RETURN_IF_ERROR(w.status());
  TreeId t = 0;
  LIGHTNING_RETURN_IF_ERROR(w.value()->CreateTree("acct", &t));
  for (int i = 0; i < kAccounts; i++) {
    LIGHTNING_RETURN_IF_ERROR(w.value()->Put(t, Key(i), std::to_string(kStart)));
  }
  LIGHTNING_RETURN_IF_ERROR(w.value()->Put(t, "transfers", "0"));
  *lsn = w.value()->id();
  return w.value()->Commit();
}

// Transfer number n: moves a random amount between two random accounts and
// records n in the same transaction.
Status MoveMoney(DB* db, test::Rng* rng, int n) {
  auto w = db->BeginWrite();
  LIGHTNING_RETURN_IF_ERROR(w.status());
  TreeId t = 0;
  LIGHTNING_RETURN_IF_ERROR(w.value()->OpenTree("acct", &t));
  const int a = static_cast<int>(rng->Uniform(kAccounts));
  const int b = static_cast<int>(rng->Uniform(kAccounts));
  const long amount = static_cast<long>(rng->Uniform(50));
  std::string v;
  LIGHTNING_RETURN_IF_ERROR(w.value()->Get(t, Key(a), &v));
  LIGHTNING_RETURN_IF_ERROR(w.value()->Put(t, Key(a), std::to_string(std::stol(v) - amount)));
  LIGHTNING_RETURN_IF_ERROR(w.value()->Get(t, Key(b), &v));
  LIGHTNING_RETURN_IF_ERROR(w.value()->Put(t, Key(b), std::to_string(std::stol(v) + amount)));
  LIGHTNING_RETURN_IF_ERROR(w.value()->Put(t, "transfers", std::to_string(n)));
  return w.value()->Commit();
}

// Checks one snapshot: the total is unchanged and the transfer count matches
// its lsn. Returns the count.
long CheckSnapshot(ReadTxn* r, uint64_t lsn0) {
  TreeId t = 0;
  EXPECT_OK(r->OpenTree("acct", &t));
  long total = 0;
  for (int i = 0; i < kAccounts; i++) {
    std::string v;
    EXPECT_OK(r->Get(t, Key(i), &v));
    total += v.empty() ? 0 : std::stol(v);
  }
  std::string count = "0";
  EXPECT_OK(r->Get(t, "transfers", &count));
  EXPECT_EQ(total, long{kAccounts} * kStart) << "snapshot " << r->id();
  EXPECT_EQ(static_cast<uint64_t>(std::stol(count)), r->id() - lsn0) << "snapshot " << r->id();
  return std::stol(count);
}

class CatchUpTest : public ::testing::TestWithParam<bool> {
 protected:
  Env* base() { return GetParam() ? Env::Default() : static_cast<Env*>(&mem_); }
  std::string path() { return GetParam() ? dir_.File("store") : "/mem/store"; }

  test::MemEnv mem_;
  TempDir dir_;
};

TEST_P(CatchUpTest, FollowerAppliesWhatTheWriterCommittedAfterItsLastLsn) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<DB> writer, DB::Open(path(), Quiet(base())));
  ASSERT_OK(PutRange(writer.get(), "t", 0, 100));

  SharedOpenEnv shared(base());
  auto plan = std::make_shared<test::FaultPlan>();
  plan->fail_write_at = 1;  // every write fails: a follower writes nothing
  plan->sticky = true;
  test::FaultEnv follower_env(&shared, plan);
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<DB> opened, DB::Open(path(), Quiet(&follower_env)));
  auto* follower = static_cast<DBImpl*>(opened.get());
  EXPECT_EQ(Visible(follower, "t", 0, 100), 100);  // its recovery replayed them

  // The writer goes on: more puts, a delete, a new tree, a savepoint rolled back.
  ASSERT_OK(PutRange(writer.get(), "t", 100, 250));
  {
    ASSERT_OK_AND_ASSIGN(auto w, writer->BeginWrite());
    TreeId t = 0, u = 0;
    ASSERT_OK(w->OpenTree("t", &t));
    bool existed = false;
    ASSERT_OK(w->Delete(t, Key(0), &existed));
    EXPECT_TRUE(existed);
    int depth = 0;
    ASSERT_OK(w->Savepoint(&depth));
    ASSERT_OK(w->Put(t, Key(999), "rolled back"));
    ASSERT_OK(w->RollbackTo(depth));
    ASSERT_OK(w->CreateTree("u", &u));
    ASSERT_OK(w->Put(u, Key(1), "v1"));
    ASSERT_OK(w->Commit());
  }
  EXPECT_EQ(Visible(follower, "t", 100, 250), 0);  // not yet
  auto before = follower->BeginRead();
  ASSERT_TRUE(before.ok());
  const uint64_t old_id = before.value()->id();

  // Bounded (as a reader bounds it by the shared durable lsn): one record.
  uint64_t applied = 0;
  ASSERT_OK(follower->CatchUp(&applied, old_id + 1));
  EXPECT_EQ(applied, 1u);
  EXPECT_EQ(Visible(follower, "t", 100, 250), 150);
  EXPECT_EQ(Visible(follower, "u", 1, 2), -1);  // the next commit's tree: not yet
  ASSERT_OK(follower->CatchUp(&applied));
  EXPECT_EQ(applied, 1u);
  EXPECT_EQ(Visible(follower, "t", 0, 1), 0);  // deleted
  EXPECT_EQ(Visible(follower, "t", 1, 250), 249);
  EXPECT_EQ(Visible(follower, "t", 999, 1000), 0);  // rolled back there, absent here
  EXPECT_EQ(Visible(follower, "u", 1, 2), 1);
  ASSERT_OK_AND_ASSIGN(auto now, follower->BeginRead());
  ASSERT_OK_AND_ASSIGN(auto writer_now, writer->BeginRead());
  EXPECT_EQ(now->id(), writer_now->id());  // the same lsn in both
  now.reset();                             // transactions end before their stores close (db.h)
  writer_now.reset();
  // A snapshot taken before the catch-up keeps its view.
  EXPECT_EQ(before.value()->id(), old_id);
  TreeId t = 0;
  ASSERT_OK(before.value()->OpenTree("t", &t));
  std::string v;
  EXPECT_TRUE(before.value()->Get(t, Key(150), &v).IsNotFound());
  ASSERT_OK(before.value()->Get(t, Key(0), &v));
  before->reset();

  // Nothing new: nothing applied, nothing written by the follower.
  ASSERT_OK(follower->CatchUp(&applied));
  EXPECT_EQ(applied, 0u);
  EXPECT_EQ(plan->writes.load(), 0u);
  std::vector<std::string> problems;
  ASSERT_OK(follower->Check(&problems));
  EXPECT_TRUE(problems.empty()) << problems.front();

  // A checkpoint by the writer resets the log: the follower is told to
  // reopen (reloading is the next layer), and applies nothing wrong.
  ASSERT_OK(PutRange(writer.get(), "t", 250, 260));
  ASSERT_OK(writer->Checkpoint());
  Status s = follower->CatchUp(&applied);
  EXPECT_EQ(s.code(), Status::Code::kAborted) << s.ToString();
  EXPECT_NE(s.message().find("reset by a checkpoint"), std::string::npos) << s.ToString();
  EXPECT_EQ(applied, 0u);

  opened.reset();  // its closing checkpoint fails on the first write: nothing written
  EXPECT_EQ(plan->writes.load(), 1u);
  writer.reset();
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<DB> again, DB::Open(path(), Quiet(base())));
  EXPECT_EQ(Visible(again.get(), "t", 1, 260), 259);
  ASSERT_OK(again->Check(&problems));
  EXPECT_TRUE(problems.empty()) << problems.front();
}

// Records the writer has only partly written are left for the next call.
TEST_P(CatchUpTest, StopsAtARecordStillBeingWritten) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<DB> writer, DB::Open(path(), Quiet(base())));
  ASSERT_OK(PutRange(writer.get(), "t", 0, 10));
  SharedOpenEnv shared(base());
  auto plan = std::make_shared<test::FaultPlan>();
  plan->fail_write_at = 1;
  plan->sticky = true;
  test::FaultEnv follower_env(&shared, plan);
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<DB> opened, DB::Open(path(), Quiet(&follower_env)));
  auto* follower = static_cast<DBImpl*>(opened.get());
  ASSERT_OK(PutRange(writer.get(), "t", 10, 20));
  ASSERT_OK(PutRange(writer.get(), "t", 20, 30));

  // Cut the log inside the last record, as if its writer were mid-pwrite.
  std::unique_ptr<File> wal;
  ASSERT_OK(base()->OpenFile(path() + "-wal", IoBackend::kPread, &wal));
  std::string whole;
  uint64_t size = 0;
  ASSERT_OK(wal->Size(&size));
  whole.resize(size);
  size_t got = 0;
  ASSERT_OK(wal->ReadAt(0, size, whole.data(), &got));
  // The end of the last record (written zeros may follow it): walk the
  // records, u32 payload length | u32 0 | u64 lsn | ... | u64 checksum.
  size_t end = 64;
  while (end + 24 <= whole.size()) {
    uint32_t len = 0;
    uint64_t lsn = 0;
    std::memcpy(&len, whole.data() + end, 4);
    std::memcpy(&lsn, whole.data() + end + 8, 8);
    if (lsn == 0) break;
    end += 24 + len + 8;
  }
  ASSERT_GT(end, 64u);
  ASSERT_OK(wal->Truncate(end - 5));
  uint64_t applied = 0;
  ASSERT_OK(follower->CatchUp(&applied));
  EXPECT_EQ(applied, 1u);
  EXPECT_EQ(Visible(follower, "t", 0, 30), 20);
  ASSERT_OK(wal->WriteAt(0, whole.data(), end));  // the writer finishes it
  ASSERT_OK(follower->CatchUp(&applied));
  EXPECT_EQ(applied, 1u);
  EXPECT_EQ(Visible(follower, "t", 0, 30), 30);
}

// A writer thread moves money between accounts, counting its transfers in
// the same transaction, while the follower catches up and reads in a loop:
// every snapshot the follower shows holds whole commits only (the total
// never changes, and the transfer count matches the snapshot's lsn).
TEST_P(CatchUpTest, EverySnapshotOfTheFollowerHoldsWholeCommits) {
  constexpr int kTransfers = 400;
  Options o = Quiet(base());
  o.sync = SyncMode::kNormal;  // written at commit, no fsync: the test is about order
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<DB> writer, DB::Open(path(), o));
  uint64_t lsn0 = 0;
  ASSERT_OK(OpenAccounts(writer.get(), &lsn0));
  SharedOpenEnv shared(base());
  auto plan = std::make_shared<test::FaultPlan>();
  plan->fail_write_at = 1;
  plan->sticky = true;
  test::FaultEnv follower_env(&shared, plan);
  Options fo = o;
  fo.env = &follower_env;
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<DB> opened, DB::Open(path(), fo));
  auto* follower = static_cast<DBImpl*>(opened.get());

  std::atomic<bool> done{false};
  std::thread mover([&] {
    test::Rng rng(test::Mix(test::TestSeed(12), 1));
    for (int n = 1; n <= kTransfers; n++) ASSERT_OK(MoveMoney(writer.get(), &rng, n));
    done = true;
  });

  int snapshots = 0;
  uint64_t last_id = 0;
  for (bool more = true; more;) {
    const bool finished = done.load();
    uint64_t applied = 0;
    ASSERT_OK(follower->CatchUp(&applied));
    ASSERT_OK_AND_ASSIGN(auto r, follower->BeginRead());
    CheckSnapshot(r.get(), lsn0);
    if (::testing::Test::HasFailure()) return;
    ASSERT_GE(r->id(), last_id);
    last_id = r->id();
    snapshots++;
    more = !finished || applied != 0;  // after the writer stopped: until nothing is left
  }
  mover.join();
  EXPECT_EQ(last_id, lsn0 + kTransfers);
  EXPECT_GT(snapshots, 1);
  EXPECT_EQ(plan->writes.load(), 0u);
  ASSERT_OK_AND_ASSIGN(auto mine, follower->BeginRead());
  ASSERT_OK_AND_ASSIGN(auto theirs, writer->BeginRead());
  TreeId tm = 0, tt = 0;
  ASSERT_OK(mine->OpenTree("acct", &tm));
  ASSERT_OK(theirs->OpenTree("acct", &tt));
  for (int i = 0; i < kAccounts; i++) {
    std::string a, b;
    ASSERT_OK(mine->Get(tm, Key(i), &a));
    ASSERT_OK(theirs->Get(tt, Key(i), &b));
    EXPECT_EQ(a, b) << Key(i);
  }
}

// The same across processes: the writer is a forked child that commits
// transfers and tells the parent each acknowledged one, until the parent
// SIGKILLs it mid-stream. The parent, a follower, catches up as it goes and
// at the end holds every acknowledged transfer, whole.
TEST(CatchUpProcesses, FollowerKeepsUpWithAWriterProcessKilledMidStream) {
  TempDir dir;
  const std::string path = dir.File("store");
  int ready[2], go[2], acks[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(go), 0);
  ASSERT_EQ(::pipe(acks), 0);
  const pid_t pid = ::fork();  // before any store is open here
  if (pid == 0) {
    Options o = Quiet(Env::Default());
    o.sync = SyncMode::kNormal;  // a killed process loses nothing written
    auto db = DB::Open(path, o);
    uint64_t lsn0 = 0;
    if (!db.ok() || !OpenAccounts(db.value().get(), &lsn0).ok()) ::_exit(1);
    if (::write(ready[1], &lsn0, sizeof(lsn0)) != sizeof(lsn0)) ::_exit(2);
    // Wait until the follower has opened: its recovery must not meet (and
    // cut, as a torn tail) a record being written. Attaching followers that
    // never cut the log is the wiring still to come.
    char c = 0;
    if (::read(go[0], &c, 1) != 1) ::_exit(5);
    test::Rng rng(7);
    for (int n = 1;; n++) {
      if (!MoveMoney(db.value().get(), &rng, n).ok()) ::_exit(3);
      if (::write(acks[1], &n, sizeof(n)) != sizeof(n)) ::_exit(4);
      if (n % 64 == 0) ::usleep(1000);
    }
  }
  ::close(ready[1]);
  ::close(acks[1]);
  uint64_t lsn0 = 0;
  ASSERT_EQ(::read(ready[0], &lsn0, sizeof(lsn0)), static_cast<ssize_t>(sizeof(lsn0)));

  SharedOpenEnv shared(Env::Default());
  auto plan = std::make_shared<test::FaultPlan>();
  plan->fail_write_at = 1;
  plan->sticky = true;
  test::FaultEnv follower_env(&shared, plan);
  Options fo = Quiet(&follower_env);
  fo.sync = SyncMode::kNormal;
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<DB> opened, DB::Open(path, fo));
  auto* follower = static_cast<DBImpl*>(opened.get());
  ASSERT_EQ(::write(go[1], "g", 1), 1);
  long seen = 0;
  for (int round = 0; round < 200 && seen < 300; round++) {
    uint64_t applied = 0;
    ASSERT_OK(follower->CatchUp(&applied));
    ASSERT_OK_AND_ASSIGN(auto r, follower->BeginRead());
    const long count = CheckSnapshot(r.get(), lsn0);
    ASSERT_GE(count, seen);
    seen = count;
    ::usleep(2000);
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited with " << WEXITSTATUS(status);
  int acked = 0, n = 0;
  while (::read(acks[0], &n, sizeof(n)) == static_cast<ssize_t>(sizeof(n))) acked = n;
  ::close(acks[0]);
  ::close(ready[0]);
  ::close(go[0]);
  ::close(go[1]);
  ASSERT_GT(acked, 0);

  uint64_t applied = 0;
  ASSERT_OK(follower->CatchUp(&applied));
  ASSERT_OK_AND_ASSIGN(auto r, follower->BeginRead());
  const long final_count = CheckSnapshot(r.get(), lsn0);
  EXPECT_GE(final_count, acked);      // every acknowledged transfer
  EXPECT_LE(final_count, acked + 1);  // at most the one written but not yet acknowledged
  r.reset();
  opened.reset();
  EXPECT_EQ(plan->writes.load(), 1u);  // only its failed closing checkpoint

  // Recovery of the dead writer's store agrees with what the follower saw.
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<DB> db, DB::Open(path, Quiet(Env::Default())));
  ASSERT_OK_AND_ASSIGN(auto again, db->BeginRead());
  EXPECT_EQ(CheckSnapshot(again.get(), lsn0), final_count);
  std::vector<std::string> problems;
  ASSERT_OK(db->Check(&problems));
  EXPECT_TRUE(problems.empty()) << problems.front();
}

INSTANTIATE_TEST_SUITE_P(Envs, CatchUpTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Posix" : "Mem"; });

}  // namespace
}  // namespace lightning
