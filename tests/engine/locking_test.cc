// Locking: one process opens a store at a time, and inside a process every
// DB::Open of the same path shares one instance.
//
// The second process is this binary re-executed with --open-child <path>: it
// calls DB::Open and prints the status code and message on stdout.
#include <unistd.h>

#include <chrono>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

int OpenChild(const std::string& path) {
  auto r = DB::Open(path, FastOptions());
  Status s = r.ok() ? Status::OK() : r.status();
  std::printf("code=%d\nmessage=%s\n", static_cast<int>(s.code()), s.message().c_str());
  std::fflush(stdout);
  if (r.ok()) {
    // Prove the store is usable from this process too.
    auto w = r.value()->BeginWrite();
    if (!w.ok()) return 3;
    TreeId id;
    Status ts = w.value()->OpenTree("t", &id);
    if (ts.IsNotFound()) ts = w.value()->CreateTree("t", &id);
    if (ts.ok()) ts = w.value()->Put(id, "from-child", std::to_string(getpid()));
    if (ts.ok()) ts = w.value()->Commit();
    if (!ts.ok()) return 4;
  }
  return 0;
}

struct ChildResult {
  int exit_status = -1;
  int code = -1;
  std::string message;
};

ChildResult RunOpenChild(const std::string& path) {
  std::string out;
  ChildResult res;
  res.exit_status = RunSelf({"--open-child", path}, &out);
  size_t c = out.find("code=");
  size_t m = out.find("message=");
  if (c != std::string::npos) res.code = std::atoi(out.c_str() + c + 5);
  if (m != std::string::npos) {
    res.message = out.substr(m + 8);
    while (!res.message.empty() && res.message.back() == '\n') res.message.pop_back();
  }
  return res;
}

TEST(LockingTest, SecondProcessGetsLockedWithHolderPid) {
  TempDir dir;
  std::string path = StorePath(dir);
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(path, FastOptions()));
  {
    ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
    TreeId id;
    ASSERT_OK(w->CreateTree("t", &id));
    ASSERT_OK(w->Commit());
  }
  ChildResult r = RunOpenChild(path);
  ASSERT_TRUE(WIFEXITED(r.exit_status)) << "the child crashed";
  EXPECT_EQ(r.code, static_cast<int>(Status::Code::kLocked))
      << "second process got " << Status::CodeName(static_cast<Status::Code>(r.code)) << ": "
      << r.message;
  EXPECT_NE(r.message.find(std::to_string(getpid())), std::string::npos)
      << "the message does not name the holder's pid " << getpid() << ": " << r.message;
  std::printf("[ message  ] %s\n", r.message.c_str());

  // Still locked while a transaction is open, and a refused open did not
  // disturb this process's store.
  ASSERT_OK_AND_ASSIGN(auto rt, db->BeginRead());
  r = RunOpenChild(path);
  EXPECT_EQ(r.code, static_cast<int>(Status::Code::kLocked)) << r.message;
  rt.reset();

  // Once this process closes the store, another one can open and write it.
  db.reset();
  r = RunOpenChild(path);
  ASSERT_TRUE(WIFEXITED(r.exit_status) && WEXITSTATUS(r.exit_status) == 0)
      << "child exit status " << r.exit_status;
  EXPECT_EQ(r.code, 0) << "open after the holder closed: " << r.message;

  // And its write is visible here afterwards.
  ASSERT_OK_AND_ASSIGN(db, DB::Open(path, FastOptions()));
  ASSERT_OK_AND_ASSIGN(auto t, db->BeginRead());
  TreeId id;
  ASSERT_OK(t->OpenTree("t", &id));
  std::string v;
  ASSERT_OK(t->Get(id, "from-child", &v));
  EXPECT_FALSE(v.empty());
}

// A process killed while holding the store does not leave it locked.
TEST(LockingTest, LockDiesWithItsProcess) {
  TempDir dir;
  std::string path = StorePath(dir);
  ChildResult r = RunOpenChild(path);  // creates, writes, exits without error
  ASSERT_EQ(r.code, 0) << r.message;
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(path, FastOptions()));
}

TEST(LockingTest, ThreadsOpeningTheSamePathShareOneInstance) {
  TempDir dir;
  std::string path = StorePath(dir);
  for (int round = 0; round < 20; ++round) {
    constexpr int kThreads = 4;
    std::vector<std::shared_ptr<DB>> got(kThreads);
    std::vector<std::string> errors(kThreads);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto r = DB::Open(path, FastOptions());
        if (r.ok()) {
          got[i] = std::move(r).value();
        } else {
          errors[i] = r.status().ToString();
        }
      });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < kThreads; ++i) {
      ASSERT_TRUE(got[i] != nullptr) << "round " << round << " thread " << i << ": " << errors[i];
      EXPECT_EQ(got[i].get(), got[0].get()) << "round " << round << ": two instances of one store";
    }
    // A different spelling of the same path reaches the same instance.
    auto again = DB::Open(dir.path() + "/./" + "store.lt", FastOptions());
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(again.value().get(), got[0].get()) << "the registry is not keyed by canonical path";
  }
}

// Options of a second Open of an open store are ignored; the first stay.
TEST(LockingTest, SecondOpenKeepsFirstOptions) {
  TempDir dir;
  std::string path = StorePath(dir);
  Options a = FastOptions();
  a.cache_size = 8ull << 20;
  ASSERT_OK_AND_ASSIGN(auto db1, DB::Open(path, a));
  Options b = FastOptions();
  b.cache_size = 16ull << 20;
  ASSERT_OK_AND_ASSIGN(auto db2, DB::Open(path, b));
  EXPECT_EQ(db1.get(), db2.get());
  EXPECT_EQ(db2->GetOptions().cache_size, a.cache_size);
  // A transaction through one handle is seen through the other.
  {
    ASSERT_OK_AND_ASSIGN(auto w, db1->BeginWrite());
    TreeId id;
    ASSERT_OK(w->CreateTree("t", &id));
    ASSERT_OK(w->Commit());
  }
  db1.reset();
  ASSERT_OK_AND_ASSIGN(auto t, db2->BeginRead());
  TreeId id;
  EXPECT_OK(t->OpenTree("t", &id));
}

// In-memory stores are private: two opens are two stores.
TEST(LockingTest, InMemoryStoresAreIndependent) {
  ASSERT_OK_AND_ASSIGN(auto a, DB::Open(":memory:", FastOptions()));
  ASSERT_OK_AND_ASSIGN(auto b, DB::Open(":memory:", FastOptions()));
  EXPECT_TRUE(a->in_memory());
  {
    ASSERT_OK_AND_ASSIGN(auto w, a->BeginWrite());
    TreeId id;
    ASSERT_OK(w->CreateTree("only-in-a", &id));
    ASSERT_OK(w->Commit());
  }
  if (a.get() == b.get()) {
    std::printf("[ note     ] two opens of :memory: share one instance\n");
    return;
  }
  ASSERT_OK_AND_ASSIGN(auto t, b->BeginRead());
  TreeId id;
  EXPECT_TRUE(t->OpenTree("only-in-a", &id).IsNotFound());
}

// Stores opened one after another in one thread (often at the same address,
// with the same transaction and tree ids) never see each other's data, e.g.
// through a per-thread cache keyed by instance and snapshot.
TEST(LockingTest, SequentialStoresDoNotShareState) {
  TempDir dir;
  for (int round = 0; round < 40; ++round) {
    bool memory = round % 2 == 0;
    std::string path = memory ? ":memory:" : dir.File("s" + std::to_string(round));
    ASSERT_OK_AND_ASSIGN(auto db, DB::Open(path, FastOptions()));
    TreeId id;
    {
      ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
      ASSERT_OK(w->CreateTree("t", &id));
      ASSERT_OK(w->Commit());
    }
    {
      ASSERT_OK_AND_ASSIGN(auto r, db->BeginRead());
      std::string v;
      EXPECT_TRUE(r->Get(id, "k1", &v).IsNotFound()) << "round " << round << ": " << v;
    }
    const std::string want = "round" + std::to_string(round);
    {
      ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
      for (int i = 0; i < 20 + round * 37; ++i)
        ASSERT_OK(w->Put(id, "k" + std::to_string(i), want));
      ASSERT_OK(w->Commit());
    }
    ASSERT_OK_AND_ASSIGN(auto r, db->BeginRead());
    std::string v;
    ASSERT_OK(r->Get(id, "k1", &v)) << "round " << round;
    ASSERT_EQ(v, want) << "round " << round << ": data of another store";
    TreeInfo info;
    ASSERT_OK(r->GetTreeInfo(id, &info));
    EXPECT_EQ(info.entries, uint64_t(20 + round * 37));
  }
}

// BeginWrite(max_wait) waits for the writer lock up to max_wait, whatever the
// store's busy_timeout, and takes the lock as soon as it is freed.
TEST(LockingTest, BeginWriteWaitsUpToTheGivenTime) {
  Options options = FastOptions();
  options.busy_timeout_ms = 50;
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(":memory:", options));
  ASSERT_OK_AND_ASSIGN(auto holder, db->BeginWrite());

  auto t0 = std::chrono::steady_clock::now();
  auto r = db->BeginWrite(std::chrono::milliseconds(400));
  auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r.status().IsBusy()) << r.status().ToString();
  EXPECT_GE(waited, std::chrono::milliseconds(390));  // not busy_timeout's 50 ms
  EXPECT_NE(r.status().message().find("400 ms"), std::string::npos) << r.status().ToString();

  t0 = std::chrono::steady_clock::now();
  r = db->BeginWrite(std::chrono::milliseconds(0));  // zero: at once
  EXPECT_TRUE(r.status().IsBusy()) << r.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(40));

  t0 = std::chrono::steady_clock::now();
  r = db->BeginWrite();  // no argument: busy_timeout
  waited = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.status().IsBusy()) << r.status().ToString();
  EXPECT_GE(waited, std::chrono::milliseconds(45));
  EXPECT_LT(waited, std::chrono::milliseconds(390));

  // Freed while a writer waits: the waiter gets it well before its limit.
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_OK(holder->Commit());
    holder.reset();
  });
  t0 = std::chrono::steady_clock::now();
  auto w = db->BeginWrite(std::chrono::milliseconds(10000));
  waited = std::chrono::steady_clock::now() - t0;
  release.join();
  ASSERT_OK(w.status());
  EXPECT_LT(waited, std::chrono::milliseconds(5000));
}

}  // namespace
}  // namespace lightning::test

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--open-child")
    return lightning::test::OpenChild(argv[2]);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
