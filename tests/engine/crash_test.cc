// Crash test: a child process (this binary, re-executed with --crash-child)
// opens a store with sync=full and commits numbered transactions in a loop,
// appending each transaction number to an acknowledgement file only after
// Commit() returned OK; it also checkpoints now and then (and with a small
// checkpoint_wal_size the engine checkpoints by itself). The parent SIGKILLs
// it after a random delay, then opens the store and checks:
//   - the store opens without error and DB::Check finds no problem;
//   - the "last" marker L is at least every acknowledged transaction number;
//   - the data tree holds exactly the keys of transactions L-kKeep+1 .. L,
//     each complete and with the right values (transaction t writes its
//     batch and deletes the batch of t-kKeep), so no transaction is partly
//     visible.
// LIGHTNING_CRASH_ROUNDS (default 60) kills; LIGHTNING_SEED repeats a run.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

constexpr uint64_t kKeep = 50;  // transaction t deletes what t - kKeep wrote

uint32_t Batch(uint64_t t) { return 1 + static_cast<uint32_t>(Mix(t, 1) % 40); }

std::string DataKey(uint64_t t, uint32_t i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "d:%010" PRIu64 ":%03u", t, i);
  return buf;
}

std::string DataValue(uint64_t t, uint32_t i) {
  uint64_t h = Mix(t, i + 1000);
  size_t len = 20 + h % 380;
  if (i == 0 && t % 40 == 7) len = 30000;  // now and then an overflow value
  return SeededLetters(h, len, 'A');
}

Options CrashOptions() {
  Options o;
  o.page_size = 4096;
  o.sync = SyncMode::kFull;
  o.cache_size = 2ull << 20;
  o.checkpoint_wal_size = 128ull << 10;
  o.checkpoint_dirty_size = 128ull << 10;
  return o;
}

[[noreturn]] void ChildDie(int code, const std::string& what, const Status& s) {
  std::fprintf(stderr, "crash child: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::fflush(stderr);
  std::_Exit(code);
}

// The child: commits forever until killed. argv: path ack_file checkpoint_every.
int CrashChild(const std::string& path, const std::string& ack_file, uint64_t checkpoint_every) {
  int ack = ::open(ack_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (ack < 0) return 4;
  auto r = DB::Open(path, CrashOptions());
  if (!r.ok()) ChildDie(2, "DB::Open", r.status());
  std::shared_ptr<DB> db = std::move(r).value();
  TreeId data = 0, meta = 0;
  uint64_t last = 0;
  {
    auto rr = db->BeginRead();
    if (!rr.ok()) ChildDie(2, "BeginRead", rr.status());
    Status s = rr.value()->OpenTree("meta", &meta);
    if (s.ok()) {
      std::string v;
      s = rr.value()->Get(meta, "last", &v);
      if (!s.ok()) ChildDie(2, "Get last", s);
      last = std::strtoull(v.c_str(), nullptr, 10);
      s = rr.value()->OpenTree("data", &data);
      if (!s.ok()) ChildDie(2, "OpenTree data", s);
    } else if (!s.IsNotFound()) {
      ChildDie(2, "OpenTree meta", s);
    }
  }
  for (uint64_t t = last + 1;; ++t) {
    auto wr = db->BeginWrite();
    if (!wr.ok()) ChildDie(3, "BeginWrite", wr.status());
    std::unique_ptr<WriteTxn> w = std::move(wr).value();
    Status s;
    if (t == 1) {
      s = w->CreateTree("data", &data);
      if (s.ok()) s = w->CreateTree("meta", &meta);
      if (!s.ok()) ChildDie(3, "CreateTree", s);
    }
    for (uint32_t i = 0; i < Batch(t) && s.ok(); ++i)
      s = w->Put(data, DataKey(t, i), DataValue(t, i));
    if (t > kKeep) {
      for (uint32_t i = 0; i < Batch(t - kKeep) && s.ok(); ++i)
        s = w->Delete(data, DataKey(t - kKeep, i));
    }
    if (s.ok()) s = w->Put(meta, "last", std::to_string(t));
    if (!s.ok()) ChildDie(3, "write", s);
    s = w->Commit();
    if (!s.ok()) ChildDie(3, "Commit", s);
    w.reset();
    if (::write(ack, &t, sizeof t) != static_cast<ssize_t>(sizeof t)) return 5;
    if (checkpoint_every != 0 && t % checkpoint_every == 0) {
      s = db->Checkpoint();
      if (!s.ok()) ChildDie(3, "Checkpoint", s);
    }
  }
}

std::vector<uint64_t> ReadAcks(const std::string& file) {
  std::string bytes = ReadFile(file);
  std::vector<uint64_t> acks(bytes.size() / 8);
  if (!acks.empty()) std::memcpy(acks.data(), bytes.data(), acks.size() * 8);
  return acks;
}

// Opens the store and checks the invariants. Returns L through *last.
void VerifyStore(const std::string& path, uint64_t max_acked, uint64_t* last) {
  auto r = DB::Open(path, CrashOptions());
  ASSERT_TRUE(r.ok()) << "reopen after kill: " << r.status().ToString();
  std::shared_ptr<DB> db = std::move(r).value();
  ASSERT_OK_AND_ASSIGN(auto txn, db->BeginRead());
  TreeId meta = 0, data = 0;
  Status s = txn->OpenTree("meta", &meta);
  if (s.IsNotFound()) {
    ASSERT_EQ(max_acked, 0u) << "transaction " << max_acked
                             << " was acknowledged but the store is empty";
    ASSERT_TRUE(txn->OpenTree("data", &data).IsNotFound()) << "tree data without tree meta";
    *last = 0;
    return;
  }
  ASSERT_OK(s);
  ASSERT_OK(txn->OpenTree("data", &data));
  std::string v;
  ASSERT_OK(txn->Get(meta, "last", &v));
  uint64_t L = std::strtoull(v.c_str(), nullptr, 10);
  *last = L;
  ASSERT_GE(L, max_acked) << "acknowledged transaction " << max_acked
                          << " lost: store says last=" << L;

  // Exactly the keys of transactions L-kKeep+1 .. L, complete and correct.
  uint64_t first = L > kKeep ? L - kKeep + 1 : 1;
  std::map<std::string, std::pair<uint64_t, uint32_t>> expected;
  for (uint64_t t = first; t <= L; ++t) {
    for (uint32_t i = 0; i < Batch(t); ++i) expected[DataKey(t, i)] = {t, i};
  }
  ASSERT_OK_AND_ASSIGN(auto c, txn->NewCursor(data));
  c->SeekToFirst();
  size_t n = 0;
  for (auto& [key, ti] : expected) {
    ASSERT_TRUE(c->Valid()) << "last=" << L << ": key " << key << " of transaction " << ti.first
                            << " missing (end of tree after " << n << " keys; status "
                            << c->status().ToString() << ")";
    ASSERT_EQ(std::string(c->key()), key)
        << "last=" << L << ": transaction partly visible or stale key present";
    ASSERT_TRUE(BytesEqual(c->value(), DataValue(ti.first, ti.second))) << "value of " << key;
    c->Next();
    ++n;
  }
  ASSERT_FALSE(c->Valid()) << "last=" << L << ": unexpected key " << Printable(c->key())
                           << " (a transaction after last, or a delete not applied)";
  ASSERT_OK(c->status());
  c.reset();
  txn.reset();
  std::vector<std::string> problems;
  ASSERT_OK(db->Check(&problems));
  ASSERT_TRUE(problems.empty()) << "Check after crash: " << problems.size()
                                << " problems, first: " << problems.front();
}

TEST(CrashTest, KillDuringCommitsAndCheckpoints) {
  TempDir dir;
  std::string path = StorePath(dir);
  std::string ack_file = dir.File("acks");
  TestRng rng(TestSeed(777));
  uint64_t rounds = EnvU64("LIGHTNING_CRASH_ROUNDS", 60);
  uint64_t last = 0, max_acked = 0, killed_mid_checkpoint_mode = 0;
  auto start = std::chrono::steady_clock::now();
  for (uint64_t round = 0; round < rounds; ++round) {
    // Every third round the child checkpoints after every commit, so that
    // kills land inside checkpoints often.
    uint64_t every = round % 3 == 0 ? 1 : rng.Range(5, 30);
    pid_t pid = SpawnSelf({"--crash-child", path, ack_file, std::to_string(every)});
    ASSERT_GT(pid, 0);
    auto delay = std::chrono::milliseconds(rng.Range(5, 350));
    std::this_thread::sleep_for(delay);
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    ASSERT_EQ(done, 0) << "round " << round << ": the child ended before the kill, "
                       << (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                             : "signal " + std::to_string(WTERMSIG(status)))
                       << " (its stderr is above)";
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    if (every == 1) ++killed_mid_checkpoint_mode;

    std::vector<uint64_t> acks = ReadAcks(ack_file);
    uint64_t round_acks = 0;
    for (uint64_t a : acks) {
      if (a > max_acked) ++round_acks;
      max_acked = std::max(max_acked, a);
    }
    uint64_t L = 0;
    ASSERT_NO_FATAL_FAILURE(VerifyStore(path, max_acked, &L))
        << "round " << round << " (kill after " << delay.count() << " ms, max acked " << max_acked
        << ")";
    ASSERT_GE(L, last) << "round " << round << ": the store went back from last=" << last;
    last = L;
    if (round % 10 == 9) {
      std::printf("[ round %2" PRIu64 " ] last=%" PRIu64 " max_acked=%" PRIu64 " (+%" PRIu64
                  " this round), data file %" PRIu64 " B, wal %" PRIu64 " B\n",
                  round, last, max_acked, round_acks, FileSize(path), FileSize(path + "-wal"));
      std::fflush(stdout);
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ done     ] %" PRIu64 " kills in %.1f s, %" PRIu64 " transactions survived\n",
              rounds, secs, last);
  EXPECT_GT(max_acked, rounds) << "too few commits between kills to test anything";
}

}  // namespace
}  // namespace lightning::test

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--crash-child") {
    return lightning::test::CrashChild(argv[2], argv[3], std::strtoull(argv[4], nullptr, 10));
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
