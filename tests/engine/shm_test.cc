// engine/shm.{h,cc}: PATH-shm, the file the processes sharing a store
// coordinate through (issue 12, first layer). Two SharedStates of one path in
// one process behave as two processes (each open has its own locks), so most
// cases run in-process on MemEnv and on the POSIX Env; the cases about
// processes (a SIGKILLed owner, the writer lock across processes) fork.
#include "engine/shm.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/format.h"
#include "engine/io.h"
#include "tests/common/fault_env.h"
#include "tests/common/mem_env.h"
#include "tests/engine/test_util.h"

namespace lightning {
namespace {

using std::chrono::milliseconds;
using test::TempDir;

Status Attach(Env* env, const std::string& store, std::unique_ptr<SharedState>* state,
              uint32_t max_processes = 126, milliseconds timeout = milliseconds(2000)) {
  SharedStateOptions o;
  o.max_processes = max_processes;
  o.busy_timeout = timeout;
  LIGHTNING_RETURN_IF_ERROR(SharedState::Open(env, store, o, state));
  return (*state)->EndInitialisation();
}

bool Contains(const Status& s, const std::string& part) {
  return s.message().find(part) != std::string::npos;
}

// The same cases on the in-memory Env and on the POSIX one.
class SharedStateTest : public ::testing::TestWithParam<bool> {
 protected:
  Env* env() { return GetParam() ? Env::Default() : static_cast<Env*>(&mem_); }
  std::string store() { return GetParam() ? dir_.File("store") : "/mem/store"; }

  test::MemEnv mem_;
  TempDir dir_;
};

TEST_P(SharedStateTest, FirstRebuildsLaterOnesValidateAndTakeOtherSlots) {
  std::unique_ptr<SharedState> a, b;
  ASSERT_OK(SharedState::Open(env(), store(), SharedStateOptions{}, &a));
  EXPECT_TRUE(a->first());
  EXPECT_EQ(a->path(), store() + "-shm");
  // While the first one initialises, nobody else attaches.
  SharedStateOptions quick;
  quick.busy_timeout = milliseconds(20);
  Status s = SharedState::Open(env(), store(), quick, &b);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_TRUE(Contains(s, "being rebuilt by another process")) << s.ToString();
  ASSERT_OK(a->EndInitialisation());

  ASSERT_OK(Attach(env(), store(), &b, /*max_processes=*/5));
  EXPECT_FALSE(b->first());
  EXPECT_EQ(b->slot_count(), 126u);  // the table the first one built
  EXPECT_NE(a->slot(), b->slot());
  std::vector<ProcessSlot> slots;
  ASSERT_OK(a->Slots(&slots));
  ASSERT_EQ(slots.size(), 2u);
  for (const ProcessSlot& p : slots) {
    EXPECT_EQ(p.pid, static_cast<uint64_t>(::getpid()));
    EXPECT_NE(p.start_token, 0u);
    EXPECT_EQ(p.self, p.index == a->slot());
  }
  a.reset();
  b.reset();
  // Nobody attached: the next one rebuilds, with its own slot count.
  ASSERT_OK(Attach(env(), store(), &a, 3));
  EXPECT_TRUE(a->first());
  EXPECT_EQ(a->slot_count(), 3u);
  EXPECT_EQ(a->slot(), 0u);
}

TEST_P(SharedStateTest, OutOfSlotsNamesTheLimitAndTheOption) {
  std::unique_ptr<SharedState> a, b, c;
  ASSERT_OK(Attach(env(), store(), &a, 2));
  ASSERT_OK(Attach(env(), store(), &b, 2));
  Status s = Attach(env(), store(), &c, 2);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_TRUE(Contains(s, "all 2 process slots")) << s.ToString();
  EXPECT_TRUE(Contains(s, "max_processes")) << s.ToString();
  const uint32_t freed = b->slot();
  b.reset();
  ASSERT_OK(Attach(env(), store(), &c, 2));
  EXPECT_EQ(c->slot(), freed);

  SharedStateOptions bad;
  bad.max_processes = 0;
  s = SharedState::Open(env(), store(), bad, &b);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_TRUE(Contains(s, "max_processes")) << s.ToString();
}

TEST_P(SharedStateTest, WriterLockIsExclusiveAndTimesOut) {
  std::unique_ptr<SharedState> a, b;
  ASSERT_OK(Attach(env(), store(), &a));
  ASSERT_OK(Attach(env(), store(), &b));
  ASSERT_OK(a->LockWriter(milliseconds(0)));
  EXPECT_TRUE(a->holds_writer());
  EXPECT_TRUE(a->LockWriter(milliseconds(0)).IsInvalidArgument());
  const uint64_t waits = a->writer_waits();
  Status s = b->LockWriter(milliseconds(20));
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_TRUE(Contains(s, "process " + std::to_string(::getpid()) + " holds the writer lock"))
      << s.ToString();
  EXPECT_TRUE(Contains(s, "busy_timeout")) << s.ToString();
  EXPECT_EQ(b->writer_waits(), waits + 1);
  ASSERT_OK(a->UnlockWriter());
  EXPECT_TRUE(a->UnlockWriter().IsInvalidArgument());
  ASSERT_OK(b->LockWriter(milliseconds(0)));
  b.reset();  // detaching releases it
  ASSERT_OK(a->LockWriter(milliseconds(0)));
  ASSERT_OK(a->UnlockWriter());
}

TEST_P(SharedStateTest, CommitStateAndPinsAreSharedBetweenAttachments) {
  std::unique_ptr<SharedState> a, b;
  ASSERT_OK(Attach(env(), store(), &a));
  ASSERT_OK(Attach(env(), store(), &b));
  ASSERT_OK(a->LockWriter(milliseconds(0)));
  CommitState c{41, 4096, 0xABCDEF, 3, 40};
  a->StoreCommitState(c);
  ASSERT_OK(a->UnlockWriter());
  CommitState seen;
  ASSERT_TRUE(b->LoadCommitState(&seen));
  EXPECT_EQ(seen.written_lsn, 41u);
  EXPECT_EQ(seen.wal_end, 4096u);
  EXPECT_EQ(seen.wal_salt, 0xABCDEFu);
  EXPECT_EQ(seen.checkpoint_generation, 3u);
  EXPECT_EQ(seen.checkpoint_lsn, 40u);

  b->AdvanceDurableLsn(41);
  a->AdvanceDurableLsn(39);  // never moves back
  EXPECT_EQ(a->durable_lsn(), 41u);

  uint64_t gen = 99, lsn = 99;
  ASSERT_OK(a->OldestPin(&gen, &lsn));
  EXPECT_EQ(gen, 0u);  // nothing pinned
  a->SetPin(3, 40);
  b->SetPin(2, 20);
  ASSERT_OK(a->OldestPin(&gen, &lsn));
  EXPECT_EQ(gen, 2u);
  EXPECT_EQ(lsn, 20u);
  b->SetPin(0, 0);  // b released its old snapshots
  ASSERT_OK(b->OldestPin(&gen, &lsn));
  EXPECT_EQ(gen, 3u);
  b->SetPin(1, 10);
  b.reset();  // a detached process protects nothing
  ASSERT_OK(a->OldestPin(&gen, &lsn));
  EXPECT_EQ(gen, 3u);
}

TEST_P(SharedStateTest, PinForLoadPinsTheNewestCheckpointOrKeepsAnOlderPin) {
  std::unique_ptr<SharedState> a, b;
  ASSERT_OK(Attach(env(), store(), &a));
  ASSERT_OK(Attach(env(), store(), &b));
  ASSERT_OK(a->LockWriter(milliseconds(0)));
  a->StoreCommitState(CommitState{50, 4096, 1, 4, 50});
  ASSERT_OK(a->UnlockWriter());
  uint64_t lsn = 0, gen = 0;
  ASSERT_TRUE(b->PinForLoad(&gen, &lsn));
  EXPECT_EQ(gen, 4u);  // nothing pinned: pins generation 4
  EXPECT_EQ(lsn, 50u);
  ASSERT_OK(a->OldestPin(&gen, &lsn));
  EXPECT_EQ(gen, 4u);
  // A later checkpoint: b loads it, its older pin (4) stays and protects it.
  ASSERT_OK(a->LockWriter(milliseconds(0)));
  a->StoreCommitState(CommitState{0, 64, 2, 5, 80});
  ASSERT_OK(a->UnlockWriter());
  ASSERT_TRUE(b->PinForLoad(&gen, &lsn));
  EXPECT_EQ(gen, 5u);
  EXPECT_EQ(lsn, 80u);
  ASSERT_OK(a->OldestPin(&gen, &lsn));
  EXPECT_EQ(gen, 4u);
  EXPECT_EQ(lsn, 50u);
}

// A writer that dies while changing the commit state leaves the sequence odd:
// readers give up instead of spinning forever, and whoever takes the writer
// lock next sees it torn and repairs it.
TEST_P(SharedStateTest, CommitStateTornByADeadWriterIsReportedAndRepaired) {
  std::unique_ptr<SharedState> a, b;
  ASSERT_OK(Attach(env(), store(), &a));
  ASSERT_OK(Attach(env(), store(), &b));
  ASSERT_OK(a->LockWriter(milliseconds(0)));
  a->StoreCommitState(CommitState{7, 640, 3, 1, 0});
  EXPECT_FALSE(a->commit_state_torn());
  ASSERT_OK(a->UnlockWriter());
  // What a writer killed between its first and last store leaves: an odd
  // sequence (written here through another open of the file).
  std::unique_ptr<SharedFile> raw;
  ASSERT_OK(env()->OpenSharedFile(store() + "-shm", &raw));
  char seq[8] = {};
  size_t got = 0;
  ASSERT_OK(raw->ReadAt(ShmHeader::kSequence, 8, seq, &got));
  seq[0] |= 1;
  ASSERT_OK(raw->WriteAt(ShmHeader::kSequence, seq, 8));
  CommitState c;
  EXPECT_FALSE(b->LoadCommitState(&c));
  uint64_t gen = 0, lsn = 0;
  EXPECT_FALSE(b->PinForLoad(&gen, &lsn));
  ASSERT_OK(b->LockWriter(milliseconds(0)));
  EXPECT_TRUE(b->commit_state_torn());
  b->StoreCommitState(CommitState{8, 700, 3, 1, 0});  // re-derived from the files
  EXPECT_FALSE(b->commit_state_torn());
  ASSERT_OK(b->UnlockWriter());
  ASSERT_TRUE(a->LoadCommitState(&c));
  EXPECT_EQ(c.written_lsn, 8u);
  EXPECT_EQ(c.wal_end, 700u);
}

INSTANTIATE_TEST_SUITE_P(Envs, SharedStateTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Posix" : "Mem"; });

// Bytes of a file others are attached to that do not match: Corruption naming
// the field (a first process would rebuild the file instead).
TEST(SharedStateFile, BadHeaderIsCorruptionNamingTheField) {
  TempDir dir;
  Env* env = Env::Default();
  std::unique_ptr<SharedState> a, b;
  ASSERT_OK(Attach(env, dir.File("store"), &a, 4));
  std::unique_ptr<File> raw;
  ASSERT_OK(env->OpenFile(dir.File("store-shm"), IoBackend::kPread, &raw));
  std::string good(kShmHeaderSize + 4 * kShmSlotSize, '\0');
  size_t got = 0;
  ASSERT_OK(raw->ReadAt(0, good.size(), good.data(), &got));
  ASSERT_EQ(got, good.size());

  struct Case {
    size_t offset;
    std::string bytes;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {ShmHeader::kMagic, "NOTSHM!!", "bad magic"},
      {ShmHeader::kVersion, std::string("\x02\0\0\0", 4), "bad version 2 (expected 1)"},
      {ShmHeader::kHeaderSize, std::string("\x80\0\0\0", 4), "bad header size 128"},
      {ShmHeader::kSlotSize, std::string("\x20\0\0\0", 4), "bad slot size 32"},
      {ShmHeader::kSlotCount, std::string("\0\0\0\0", 4), "bad slot count 0"},
      {ShmHeader::kSlotCount, std::string("\x09\0\0\0", 4), "9 slots need 832"},
  };
  for (const Case& c : cases) {
    ASSERT_OK(raw->WriteAt(c.offset, c.bytes.data(), c.bytes.size()));
    Status s = Attach(env, dir.File("store"), &b, 4);
    EXPECT_TRUE(s.IsCorruption()) << c.expect << ": " << s.ToString();
    EXPECT_TRUE(Contains(s, c.expect)) << s.ToString();
    EXPECT_TRUE(Contains(s, "store-shm")) << s.ToString();
    ASSERT_OK(raw->WriteAt(0, good.data(), good.size()));
  }
  // A file cut short (restored before `a` touches its mapping again).
  ASSERT_OK(raw->Truncate(100));
  Status s = Attach(env, dir.File("store"), &b, 4);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(Contains(s, "shorter than its 256-byte header")) << s.ToString();
  ASSERT_OK(raw->WriteAt(0, good.data(), good.size()));
  ASSERT_OK(Attach(env, dir.File("store"), &b, 4));
}

TEST(SharedStateFile, NetworkFileSystemsAreRecognised) {
  EXPECT_STREQ(NetworkFileSystemName(0x6969), "nfs");
  EXPECT_STREQ(NetworkFileSystemName(0xFF534D42), "cifs");
  EXPECT_STREQ(NetworkFileSystemName(0xFE534D42), "smb2");
  EXPECT_STREQ(NetworkFileSystemName(0x01021997), "9p");
  EXPECT_EQ(NetworkFileSystemName(0xEF53), nullptr);      // ext4
  EXPECT_EQ(NetworkFileSystemName(0x01021994), nullptr);  // tmpfs
  EXPECT_EQ(NetworkFileSystemName(0x58465342), nullptr);  // xfs
}

TEST(SharedStateFile, ReadOnlyDirectoryIsReadOnly) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes into read-only directories";
  TempDir dir;
  const std::string ro = dir.File("ro");
  ASSERT_EQ(::mkdir(ro.c_str(), 0555), 0);
  std::unique_ptr<SharedState> a;
  Status s = Attach(Env::Default(), ro + "/store", &a);
  EXPECT_EQ(s.code(), Status::Code::kReadOnly) << s.ToString();
  EXPECT_TRUE(Contains(s, "store-shm")) << s.ToString();
}

// ---- Across processes ----

// A pipe the parent and a forked child pass single bytes through.
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() { EXPECT_EQ(::pipe(fd), 0); }
  ~Pipe() {
    ::close(fd[0]);
    ::close(fd[1]);
  }
  void Send(char c) { EXPECT_EQ(::write(fd[1], &c, 1), 1); }
  char Receive() {
    char c = 0;
    return ::read(fd[0], &c, 1) == 1 ? c : 0;
  }
};

// Forks a child running `body` (which reports through pipes) that stays alive
// until killed; returns its pid.
pid_t Child(const std::function<void()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    body();
    for (;;) ::pause();
  }
  return pid;
}

void Kill(pid_t pid) {
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
}

TEST(SharedStateProcesses, SlotOfAKilledProcessIsReclaimedWithoutAnyCall) {
  TempDir dir;
  const std::string store = dir.File("store");
  std::unique_ptr<SharedState> a;
  ASSERT_OK(Attach(Env::Default(), store, &a));
  a->SetPin(9, 900);
  Pipe up;
  const pid_t pid = Child([&] {
    std::unique_ptr<SharedState> mine;  // its own open: its own locks
    if (!Attach(Env::Default(), store, &mine).ok()) ::_exit(1);
    mine->SetPin(5, 500);  // an old snapshot, protecting generation 5's space
    up.Send(static_cast<char>('0' + mine->slot()));
    for (;;) ::pause();  // killed holding it
  });
  const char slot = up.Receive();
  ASSERT_EQ(slot, '1');
  uint64_t gen = 0, lsn = 0;
  ASSERT_OK(a->OldestPin(&gen, &lsn));
  EXPECT_EQ(gen, 5u);
  EXPECT_EQ(lsn, 500u);
  std::vector<ProcessSlot> slots;
  ASSERT_OK(a->Slots(&slots));
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[1].pid, static_cast<uint64_t>(pid));

  Kill(pid);
  // The checkpointer's own scan finds the dead slot and frees it: the space
  // the killed process protected is no longer held.
  ASSERT_OK(a->OldestPin(&gen, &lsn));
  EXPECT_EQ(gen, 9u);
  ASSERT_OK(a->Slots(&slots));
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_TRUE(slots[0].self);
  std::unique_ptr<SharedState> b;
  ASSERT_OK(Attach(Env::Default(), store, &b));
  EXPECT_EQ(b->slot(), 1u);  // the reclaimed slot
}

TEST(SharedStateProcesses, WriterLockAcrossProcessesWaitsTimesOutAndSurvivesAKill) {
  TempDir dir;
  const std::string store = dir.File("store");
  std::unique_ptr<SharedState> a;
  ASSERT_OK(Attach(Env::Default(), store, &a));
  Pipe up, down;
  const pid_t pid = Child([&] {
    std::unique_ptr<SharedState> mine;
    if (!Attach(Env::Default(), store, &mine).ok()) ::_exit(1);
    if (!mine->LockWriter(milliseconds(0)).ok()) ::_exit(2);
    up.Send('L');  // holding the writer lock
    down.Receive();
    if (!mine->UnlockWriter().ok()) ::_exit(3);
    // Take it again as soon as the parent lets go, and die holding it.
    down.Receive();
    if (!mine->LockWriter(milliseconds(10000)).ok()) ::_exit(4);
    up.Send('M');
    for (;;) ::pause();
  });
  ASSERT_EQ(up.Receive(), 'L');
  Status s = a->LockWriter(milliseconds(30));
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_TRUE(Contains(s, "process " + std::to_string(pid) + " holds the writer lock"))
      << s.ToString();
  // A waiter gets it once the holder lets go.
  down.Send('u');
  ASSERT_OK(a->LockWriter(milliseconds(10000)));
  down.Send('g');
  ASSERT_OK(a->UnlockWriter());
  ASSERT_EQ(up.Receive(), 'M');
  EXPECT_TRUE(a->LockWriter(milliseconds(0)).IsBusy());
  // The holder is killed: the kernel drops its lock, nobody has to clean up.
  Kill(pid);
  ASSERT_OK(a->LockWriter(milliseconds(10000)));
  ASSERT_OK(a->UnlockWriter());
}

// Four processes increment a counter in a plain file under the writer lock
// (read, then write the value plus one: a lost update if two ever held it at
// once); one is SIGKILLed while they run. The counter ends equal to the
// increments the processes acknowledged (plus at most the killed one's last,
// written but not yet acknowledged), and the lock is still usable.
TEST(SharedStateProcesses, WriterLockExcludesAcrossFourProcessesAndAKill) {
  TempDir dir;
  const std::string store = dir.File("store"), counter = dir.File("counter");
  constexpr int kProcesses = 4, kIncrements = 150;
  int acks[2];
  ASSERT_EQ(::pipe(acks), 0);
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcesses; p++) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(acks[0]);
      std::unique_ptr<SharedState> mine;
      std::unique_ptr<File> f;
      if (!Attach(Env::Default(), store, &mine).ok()) ::_exit(1);
      if (!Env::Default()->OpenFile(counter, IoBackend::kPread, &f).ok()) ::_exit(2);
      for (int i = 0; i < kIncrements; i++) {
        if (!mine->LockWriter(milliseconds(30000)).ok()) ::_exit(3);
        uint64_t v = 0;
        size_t got = 0;
        if (!f->ReadAt(0, sizeof(v), reinterpret_cast<char*>(&v), &got).ok()) ::_exit(4);
        if (got != 0 && got != sizeof(v)) ::_exit(5);
        ::usleep(100);  // widen the window: without the lock, updates would be lost
        v++;
        if (!f->WriteAt(0, reinterpret_cast<const char*>(&v), sizeof(v)).ok()) ::_exit(6);
        if (!mine->UnlockWriter().ok()) ::_exit(7);
        const char one = 'i';
        if (::write(acks[1], &one, 1) != 1) ::_exit(8);
      }
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  ::close(acks[1]);
  // Let them run a little, then kill one mid-stream.
  int acked = 0;
  char c = 0;
  while (acked < kIncrements && ::read(acks[0], &c, 1) == 1) acked++;
  ASSERT_EQ(::kill(pids[1], SIGKILL), 0);
  int killed_status = 0;
  ASSERT_EQ(::waitpid(pids[1], &killed_status, 0), pids[1]);
  while (::read(acks[0], &c, 1) == 1) acked++;  // until every writer end is closed
  ::close(acks[0]);
  for (int p = 0; p < kProcesses; p++) {
    if (p == 1) continue;
    int status = 0;
    ASSERT_EQ(::waitpid(pids[p], &status, 0), pids[p]);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "process " << p;
  }
  std::unique_ptr<File> f;
  ASSERT_OK(Env::Default()->OpenFile(counter, IoBackend::kPread, &f));
  uint64_t v = 0;
  size_t got = 0;
  ASSERT_OK(f->ReadAt(0, sizeof(v), reinterpret_cast<char*>(&v), &got));
  ASSERT_EQ(got, sizeof(v));
  EXPECT_GE(v, static_cast<uint64_t>(acked));
  EXPECT_LE(v, static_cast<uint64_t>(acked) + 1);
  if (WIFSIGNALED(killed_status)) {
    EXPECT_LT(acked, kProcesses * kIncrements);  // the killed one did not finish
  }
  std::unique_ptr<SharedState> a;
  ASSERT_OK(Attach(Env::Default(), store, &a));
  ASSERT_OK(a->LockWriter(milliseconds(10000)));
  ASSERT_OK(a->UnlockWriter());
}

// ---- Fault injection: every write, mapping and lock call ----

// Two attachments doing everything the layer offers; returns the first
// unexpected error.
Status Scenario(Env* env, const std::string& store) {
  std::unique_ptr<SharedState> a, b;
  LIGHTNING_RETURN_IF_ERROR(Attach(env, store, &a, 4));
  LIGHTNING_RETURN_IF_ERROR(Attach(env, store, &b, 4));
  LIGHTNING_RETURN_IF_ERROR(a->LockWriter(milliseconds(0)));
  Status s = b->LockWriter(milliseconds(0));
  if (!s.IsBusy()) return s.ok() ? Status::Aborted("two writers at once") : s;
  a->StoreCommitState(CommitState{1, 128, 7, 1, 0});
  LIGHTNING_RETURN_IF_ERROR(a->UnlockWriter());
  LIGHTNING_RETURN_IF_ERROR(b->LockWriter(milliseconds(0)));
  LIGHTNING_RETURN_IF_ERROR(b->UnlockWriter());
  b->SetPin(1, 0);
  uint64_t gen = 0, lsn = 0;
  LIGHTNING_RETURN_IF_ERROR(a->OldestPin(&gen, &lsn));
  if (gen != 1) return Status::Aborted("pin lost");
  b.reset();
  std::vector<ProcessSlot> slots;
  LIGHTNING_RETURN_IF_ERROR(a->Slots(&slots));
  if (slots.size() != 1) return Status::Aborted("detached slot still listed");
  return Status::OK();
}

void EveryFault(Env* base, const std::string& store) {
  auto plan = std::make_shared<test::FaultPlan>();
  test::FaultEnv env(base, plan);
  ASSERT_OK(Scenario(&env, store));
  const uint64_t writes = plan->writes, maps = plan->maps, locks = plan->locks;
  ASSERT_GT(writes, 0u);
  ASSERT_GT(maps, 0u);
  ASSERT_GT(locks, 10u);
  int injected = 0;
  for (int kind = 0; kind < 5; kind++) {
    const uint64_t calls = kind == 3 ? maps : kind == 4 ? locks : writes;
    for (uint64_t k = 1; k <= calls; k++) {
      plan->writes = plan->maps = plan->locks = 0;
      plan->tripped = false;
      plan->fail_write_at = kind == 0 ? k : 0;
      plan->torn_write_at = kind == 1 ? k : 0;
      plan->nospace_write_at = kind == 2 ? k : 0;
      plan->fail_map_at = kind == 3 ? k : 0;
      plan->fail_lock_at = kind == 4 ? k : 0;
      Status s = Scenario(&env, store);
      ASSERT_TRUE(plan->tripped.load()) << "kind " << kind << " call " << k;
      // A clean error, naming the injected failure (never a wrong result)...
      EXPECT_FALSE(s.ok()) << "kind " << kind << " call " << k;
      EXPECT_TRUE(Contains(s, "injected"))
          << "kind " << kind << " call " << k << ": " << s.ToString();
      injected++;
      // ...after which nothing is left locked or broken.
      plan->fail_write_at = plan->torn_write_at = plan->nospace_write_at = 0;
      plan->fail_map_at = plan->fail_lock_at = 0;
      ASSERT_OK(Scenario(&env, store)) << "after kind " << kind << " call " << k;
    }
  }
  EXPECT_EQ(injected, static_cast<int>(3 * writes + maps + locks));
}

TEST(SharedStateFaults, EveryWriteMapAndLockCallFailsCleanlyInMemory) {
  test::MemEnv mem;
  EveryFault(&mem, "/mem/store");
}

TEST(SharedStateFaults, EveryWriteMapAndLockCallFailsCleanlyOnPosix) {
  TempDir dir;
  EveryFault(Env::Default(), dir.File("store"));
}

}  // namespace
}  // namespace lightning
