// Options::env: a store opened through an Env other than the default one does
// all its file work there (tests/common's MemEnv and FaultEnv), the process
// shares one store per Env and path, and the POSIX Env's lock refuses a
// second holder naming this process.
#include "lightning/env.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lightning/db.h"
#include "tests/common/fault_env.h"
#include "tests/common/mem_env.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

Options EnvOptions(Env* env) {
  Options o;
  o.env = env;
  o.page_size = 4096;
  o.cache_size = 1 << 20;
  return o;
}

void PutOne(DB* db, const std::string& key, const std::string& value) {
  ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
  TreeId t = 0;
  Status s = w->OpenTree("t", &t);
  if (s.IsNotFound()) s = w->CreateTree("t", &t);
  ASSERT_OK(s);
  ASSERT_OK(w->Put(t, key, value));
  ASSERT_OK(w->Commit());
}

Status GetOne(DB* db, const std::string& key, std::string* value) {
  auto r = db->BeginRead();
  if (!r.ok()) return r.status();
  TreeId t = 0;
  LIGHTNING_RETURN_IF_ERROR(r.value()->OpenTree("t", &t));
  return r.value()->Get(t, key, value);
}

TEST(EnvTest, StoreLivesInMemEnvAcrossReopen) {
  MemEnv env;
  const std::string path = "/no/such/directory/store";  // exists only in `env`
  {
    ASSERT_OK_AND_ASSIGN(auto db, DB::Open(path, EnvOptions(&env)));
    PutOne(db.get(), "k", "v");
    ASSERT_OK(db->Checkpoint());
    PutOne(db.get(), "k2", "in the WAL only");
  }
  EXPECT_EQ(env.Paths(), (std::vector<std::string>{path, path + "-lock", path + "-wal"}));
  std::string lock;
  ASSERT_OK(env.ReadFile(path + "-lock", &lock));
  EXPECT_EQ(lock, std::to_string(::getpid()) + "\n");
  EXPECT_TRUE(Env::Default()->FileExists("/no/such/directory").IsNotFound());

  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(path, EnvOptions(&env)));
  std::string v;
  ASSERT_OK(GetOne(db.get(), "k", &v));
  EXPECT_EQ(v, "v");
  ASSERT_OK(GetOne(db.get(), "k2", &v));
  EXPECT_EQ(v, "in the WAL only");
  std::vector<std::string> problems;
  ASSERT_OK(db->Check(&problems));
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST(EnvTest, OneStorePerEnvAndPath) {
  MemEnv a, b;
  const std::string path = "/stores/s";
  ASSERT_OK_AND_ASSIGN(auto in_a, DB::Open(path, EnvOptions(&a)));
  ASSERT_OK_AND_ASSIGN(auto in_b, DB::Open(path, EnvOptions(&b)));
  ASSERT_OK_AND_ASSIGN(auto again, DB::Open("/stores//s", EnvOptions(&a)));
  EXPECT_NE(in_a.get(), in_b.get()) << "two file systems' stores were taken for one";
  EXPECT_EQ(in_a.get(), again.get()) << "one store opened twice under two spellings";
  PutOne(in_a.get(), "k", "a");
  std::string v;
  EXPECT_TRUE(GetOne(in_b.get(), "k", &v).IsNotFound());
}

TEST(EnvTest, MemEnvRefusesADirectoryAndASecondLock) {
  MemEnv env;
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open("/d/store", EnvOptions(&env)));
  auto dir = DB::Open("/d", EnvOptions(&env));
  ASSERT_FALSE(dir.ok());
  EXPECT_TRUE(dir.status().IsInvalidArgument()) << dir.status().ToString();
  std::unique_ptr<FileLock> lock;
  Status s = env.LockFile("/d/store-lock", &lock);
  EXPECT_EQ(s.code(), Status::Code::kLocked) << s.ToString();
  db.reset();
  ASSERT_OK(env.LockFile("/d/store-lock", &lock));
}

TEST(EnvTest, FaultEnvFailedWalSyncFailsTheStore) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open("/f/store", EnvOptions(&env)));
  PutOne(db.get(), "k", "v");  // sync=full: one WAL fsync per commit
  env.plan()->fail_sync_at = env.plan()->syncs.load() + 1;
  ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
  TreeId t = 0;
  ASSERT_OK(w->OpenTree("t", &t));
  ASSERT_OK(w->Put(t, "lost", "x"));
  Status s = w->Commit();
  EXPECT_EQ(s.code(), Status::Code::kIOError) << s.ToString();
  EXPECT_NE(s.message().find("injected fsync failure"), std::string::npos) << s.ToString();
  w.reset();
  // db.h: a failed store keeps reading and refuses writes with ReadOnly.
  std::string v;
  ASSERT_OK(GetOne(db.get(), "k", &v));
  EXPECT_TRUE(GetOne(db.get(), "lost", &v).IsNotFound());
  auto again = db->BeginWrite();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Status::Code::kReadOnly) << again.status().ToString();
  EXPECT_EQ(db->Checkpoint().code(), Status::Code::kReadOnly);
}

TEST(EnvTest, DefaultEnvLockNamesTheHolder) {
  TempDir dir;
  const std::string path = StorePath(dir);
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(path, FastOptions()));
  std::unique_ptr<FileLock> lock;
  Status s = Env::Default()->LockFile(path + "-lock", &lock);
  EXPECT_EQ(s.code(), Status::Code::kLocked) << s.ToString();
  EXPECT_NE(s.message().find("is locked by process " + std::to_string(::getpid())),
            std::string::npos)
      << s.ToString();
}

TEST(EnvTest, DefaultEnvIoUringBackendBatchesWrites) {
  TempDir dir;
  std::unique_ptr<File> f;
  ASSERT_OK(Env::Default()->OpenFile(dir.File("uring"), IoBackend::kIoUring, &f));
  // "pread" where the kernel refuses io_uring (a container's seccomp policy).
  const std::string backend = f->backend();
  EXPECT_TRUE(backend == "io_uring" || backend == "pread") << backend;
  std::printf("[ backend  ] %s\n", backend.c_str());
  std::vector<std::string> blocks;
  std::vector<WriteRequest> batch;
  for (int i = 0; i < 100; i++)
    blocks.push_back(std::string(4096, static_cast<char>('a' + i % 26)));
  for (int i = 99; i >= 0; i--) batch.push_back({uint64_t(i) * 4096, blocks[i].data(), 4096});
  ASSERT_OK(f->WriteBatch(batch));
  ASSERT_OK(f->Sync());
  uint64_t size = 0;
  ASSERT_OK(f->Size(&size));
  EXPECT_EQ(size, 100u * 4096);
  std::string back(size, '\0');
  size_t got = 0;
  ASSERT_OK(f->ReadAt(0, size, back.data(), &got));
  ASSERT_EQ(got, size);
  for (int i = 0; i < 100; i++) {
    ASSERT_EQ(back.compare(i * 4096, 4096, blocks[i]), 0) << "block " << i;
  }
}

}  // namespace
}  // namespace lightning::test
