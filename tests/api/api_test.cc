// The public API, used the way an embedder uses it: this file is compiled with
// engine/include/ as its only include directory (tests/api/CMakeLists.txt), so
// it can name nothing but lightning/*.h. Each test walks one family of the
// API: stores, trees and keys, cursors, transactions and snapshots,
// maintenance, options and presets, statistics, and the Env.
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lightning/db.h"
#include "lightning/env.h"
#include "lightning/metrics.h"
#include "lightning/options.h"
#include "lightning/presets.h"
#include "lightning/result.h"
#include "lightning/status.h"

namespace {

using lightning::Cursor;
using lightning::DB;
using lightning::Env;
using lightning::EnvWrapper;
using lightning::File;
using lightning::FileLock;
using lightning::IoBackend;
using lightning::LockMode;
using lightning::Options;
using lightning::SharedFile;
using lightning::Status;
using lightning::TreeId;

#define API_OK(expr)                                             \
  do {                                                           \
    const Status api_s_ = (expr);                                \
    ASSERT_TRUE(api_s_.ok()) << #expr ": " << api_s_.ToString(); \
  } while (0)

// A private directory, removed with the object.
class Dir {
 public:
  Dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lightning-api-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~Dir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  bool ok() const { return !path_.empty(); }

 private:
  std::string path_;
};

Options Fast() {
  Options o;
  o.sync = lightning::SyncMode::kOff;
  return o;
}

double MetricValue(const DB& db, const std::string& name) {
  for (const lightning::Metric& m : db.Metrics()) {
    if (m.name == name) return m.value;
  }
  ADD_FAILURE() << "no metric " << name;
  return -1;
}

TEST(Api, StoreTreesAndKeys) {
  Dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.File("store");
  {
    lightning::Result<std::shared_ptr<DB>> opened = DB::Open(path, Fast());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    std::shared_ptr<DB> db = std::move(opened).value();
    EXPECT_EQ(db->path(), std::filesystem::canonical(dir.File("")).string() + "/store");
    EXPECT_FALSE(db->in_memory());
    // The same path in one process is the same instance.
    auto again = DB::Open(path, Fast());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value().get(), db.get());

    auto w = db->BeginWrite();
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    TreeId t = 0, u = 0;
    API_OK(w.value()->CreateTree("t", &t));
    API_OK(w.value()->CreateTree("u", &u));
    EXPECT_TRUE(w.value()->CreateTree("t", &t).IsInvalidArgument());
    API_OK(w.value()->Put(t, "a", "1"));
    API_OK(w.value()->Put(t, "b", "2"));
    API_OK(w.value()->Put(u, "x", "9"));
    bool existed = false;
    API_OK(w.value()->Delete(t, "b", &existed));
    EXPECT_TRUE(existed);
    API_OK(w.value()->Delete(t, "never", &existed));
    EXPECT_FALSE(existed);
    API_OK(w.value()->RenameTree("u", "v"));
    API_OK(w.value()->ClearTree(u));
    API_OK(w.value()->Commit());
  }
  // Reopened: the committed state is there.
  auto opened = DB::Open(path, Fast());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::shared_ptr<DB> db = std::move(opened).value();
  auto r = db->BeginRead();
  ASSERT_TRUE(r.ok());
  TreeId t = 0;
  API_OK(r.value()->OpenTree("t", &t));
  std::string v;
  API_OK(r.value()->Get(t, "a", &v));
  EXPECT_EQ(v, "1");
  lightning::Slice view;
  API_OK(r.value()->GetView(t, "a", &view));
  EXPECT_EQ(view, "1");
  EXPECT_TRUE(r.value()->Get(t, "b", &v).IsNotFound());
  std::vector<lightning::TreeInfo> trees;
  API_OK(r.value()->ListTrees(&trees));
  ASSERT_EQ(trees.size(), 2u);
  EXPECT_EQ(trees[0].name, "t");
  EXPECT_EQ(trees[0].entries, 1u);
  EXPECT_EQ(trees[1].name, "v");
  EXPECT_EQ(trees[1].entries, 0u);
  lightning::TreeInfo info;
  API_OK(r.value()->GetTreeInfo(t, &info));
  EXPECT_EQ(info.depth, 1u);
  TreeId gone = 0;
  EXPECT_TRUE(r.value()->OpenTree("u", &gone).IsNotFound());
  r.value().reset();
  auto w = db->BeginWrite();
  ASSERT_TRUE(w.ok());
  API_OK(w.value()->DropTree("v"));
  EXPECT_TRUE(w.value()->DropTree("v").IsNotFound());
  API_OK(w.value()->Commit());
}

TEST(Api, CursorsBothWays) {
  auto opened = DB::Open(":memory:", Options());
  ASSERT_TRUE(opened.ok());
  std::shared_ptr<DB> db = std::move(opened).value();
  EXPECT_TRUE(db->in_memory());
  auto w = db->BeginWrite();
  ASSERT_TRUE(w.ok());
  TreeId t = 0;
  API_OK(w.value()->CreateTree("t", &t));
  for (char c = 'a'; c <= 'e'; c++) API_OK(w.value()->Put(t, std::string(1, c), "v"));
  API_OK(w.value()->Commit());

  auto r = db->BeginRead();
  ASSERT_TRUE(r.ok());
  auto made = r.value()->NewCursor(t);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  std::unique_ptr<Cursor> c = std::move(made).value();
  EXPECT_FALSE(c->Valid());
  std::string forward, backward;
  for (c->SeekToFirst(); c->Valid(); c->Next()) forward += c->key();
  API_OK(c->status());
  for (c->SeekToLast(); c->Valid(); c->Prev()) backward += c->key();
  EXPECT_EQ(forward, "abcde");
  EXPECT_EQ(backward, "edcba");
  c->Seek("bb");
  ASSERT_TRUE(c->Valid());
  EXPECT_EQ(c->key(), "c");
  EXPECT_EQ(c->value(), "v");
  c->SeekForPrev("bb");
  ASSERT_TRUE(c->Valid());
  EXPECT_EQ(c->key(), "b");
  c->Seek("z");
  EXPECT_FALSE(c->Valid());
}

TEST(Api, TransactionsSavepointsAndSnapshots) {
  auto opened = DB::Open(":memory:", Options());
  ASSERT_TRUE(opened.ok());
  std::shared_ptr<DB> db = std::move(opened).value();
  TreeId t = 0;
  {
    auto w = db->BeginWrite();
    ASSERT_TRUE(w.ok());
    API_OK(w.value()->CreateTree("t", &t));
    API_OK(w.value()->Put(t, "k", "old"));
    API_OK(w.value()->Commit());
  }
  auto snapshot = db->BeginRead();
  ASSERT_TRUE(snapshot.ok());
  const uint64_t snapshot_id = snapshot.value()->id();
  {
    auto w = db->BeginWrite();
    ASSERT_TRUE(w.ok());
    API_OK(w.value()->Put(t, "k", "new"));
    int depth = 0;
    API_OK(w.value()->Savepoint(&depth));
    EXPECT_EQ(depth, 1);
    API_OK(w.value()->Put(t, "undone", "x"));
    API_OK(w.value()->RollbackTo(depth));
    API_OK(w.value()->Release(depth));
    std::string v;
    EXPECT_TRUE(w.value()->Get(t, "undone", &v).IsNotFound());
    API_OK(w.value()->Commit());
    EXPECT_GT(w.value()->id(), snapshot_id);
  }
  {
    auto w = db->BeginWrite();
    ASSERT_TRUE(w.ok());
    API_OK(w.value()->Put(t, "aborted", "x"));
    w.value()->Abort();
  }
  std::string v;
  API_OK(snapshot.value()->Get(t, "k", &v));
  EXPECT_EQ(v, "old") << "a snapshot saw a later commit";
  snapshot.value().reset();
  auto now = db->BeginRead();
  ASSERT_TRUE(now.ok());
  API_OK(now.value()->Get(t, "k", &v));
  EXPECT_EQ(v, "new");
  EXPECT_TRUE(now.value()->Get(t, "aborted", &v).IsNotFound());
}

TEST(Api, MaintenanceStatisticsLatencyProfile) {
  Dir dir;
  ASSERT_TRUE(dir.ok());
  auto opened = DB::Open(dir.File("store"), Fast());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::shared_ptr<DB> db = std::move(opened).value();
  TreeId t = 0;
  auto w = db->BeginWrite();
  ASSERT_TRUE(w.ok());
  API_OK(w.value()->CreateTree("t", &t));
  for (int i = 0; i < 1000; i++) API_OK(w.value()->Put(t, "key" + std::to_string(i), "value"));
  API_OK(w.value()->Commit());
  w.value().reset();
  EXPECT_EQ(MetricValue(*db, "puts"), 1000);
  API_OK(db->Checkpoint());
  EXPECT_EQ(MetricValue(*db, "checkpoints"), 1);
  API_OK(db->Compact());
  std::vector<std::string> problems;
  API_OK(db->Check(&problems));
  EXPECT_TRUE(problems.empty()) << problems.front();

  bool commit_seen = false;
  for (const lightning::LatencySummary& l : db->Latency()) {
    if (l.operation == "commit") {
      commit_seen = true;
      EXPECT_EQ(l.count, 1u);
      EXPECT_GT(l.max, 0);
    }
  }
  EXPECT_TRUE(commit_seen);
  std::vector<lightning::ProfileRow> profile = db->Profile();
  ASSERT_FALSE(profile.empty());
  EXPECT_EQ(profile.back().component, "total");
  db->ResetStats();
  EXPECT_EQ(MetricValue(*db, "puts"), 0);
  EXPECT_EQ(MetricValue(*db, "stats_resets"), 1);
}

TEST(Api, OptionsAndPresets) {
  Options o;
  API_OK(o.Set("cache_size", "8MB"));
  EXPECT_EQ(o.cache_size, 8u << 20);
  std::string text;
  API_OK(o.Get("sync", &text));
  EXPECT_EQ(text, "full");
  Status bad = o.Set("cache_sise", "8MB");
  EXPECT_TRUE(bad.IsInvalidArgument());
  EXPECT_NE(bad.message().find("cache_size"), std::string::npos) << bad.ToString();
  EXPECT_NE(lightning::FindOption("page_size"), nullptr);
  EXPECT_FALSE(lightning::AllOptions().empty());
  uint64_t bytes = 0;
  API_OK(lightning::ParseBytes("1GiB", &bytes));
  EXPECT_EQ(bytes, 1ull << 30);

  const lightning::Preset* preset = lightning::FindPreset("READ_HEAVY");
  ASSERT_NE(preset, nullptr);
  EXPECT_EQ(lightning::AllPresets().front().name, std::string("read_heavy"));
  for (const lightning::PresetSetting& s : preset->settings) API_OK(o.Set(s.option, s.value));

  auto opened = DB::Open(":memory:", o);
  ASSERT_TRUE(opened.ok());
  std::shared_ptr<DB> db = std::move(opened).value();
  API_OK(db->SetOption("busy_timeout", "250"));
  EXPECT_EQ(db->GetOptions().busy_timeout_ms, 250u);
  EXPECT_EQ(db->SetOption("page_size", "4096").code(), Status::Code::kNotSupported);
}

// An Env that forwards to the default one and records what the store asked.
class RecordingEnv : public EnvWrapper {
 public:
  RecordingEnv() : EnvWrapper(Env::Default()) {}
  Status OpenFile(const std::string& path, IoBackend backend,
                  std::unique_ptr<File>* file) override {
    Record("open " + path.substr(path.rfind('/') + 1));
    return EnvWrapper::OpenFile(path, backend, file);
  }
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    Record("lock " + path.substr(path.rfind('/') + 1));
    return EnvWrapper::LockFile(path, lock);
  }
  Status SyncDir(const std::string& dir) override {
    Record("syncdir");
    return EnvWrapper::SyncDir(dir);
  }
  std::vector<std::string> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  void Record(std::string call) {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(std::move(call));
  }
  std::mutex mu_;
  std::vector<std::string> calls_;
};

TEST(Api, OptionsEnvSeesEveryFileOfTheStore) {
  Dir dir;
  ASSERT_TRUE(dir.ok());
  RecordingEnv env;
  Options o = Fast();
  o.env = &env;
  {
    auto opened = DB::Open(dir.File("store"), o);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(opened.value()->GetOptions().env, &env);
  }
  const std::vector<std::string> want = {"lock store-lock", "open store", "open store-wal",
                                         "syncdir"};
  EXPECT_EQ(env.calls(), want);
}

TEST(Api, DefaultEnvFilesAndLocks) {
  Dir dir;
  ASSERT_TRUE(dir.ok());
  Env* env = Env::Default();
  ASSERT_EQ(env, Env::Default());
  const std::string a = dir.File("a"), b = dir.File("b");
  EXPECT_TRUE(env->FileExists(a).IsNotFound());
  std::unique_ptr<File> f;
  API_OK(env->OpenFile(a, IoBackend::kPread, &f));
  EXPECT_STREQ(f->backend(), "pread");
  API_OK(f->WriteAt(0, "hello", 5));
  API_OK(f->WriteBatch({{5, " world", 6}}));
  API_OK(f->Sync());
  uint64_t size = 0;
  API_OK(f->Size(&size));
  EXPECT_EQ(size, 11u);
  char buf[16];
  size_t got = 0;
  API_OK(f->ReadAt(0, sizeof(buf), buf, &got));
  EXPECT_EQ(std::string(buf, got), "hello world");
  API_OK(f->Truncate(5));
  API_OK(f->Size(&size));
  EXPECT_EQ(size, 5u);
  f.reset();
  API_OK(env->FileExists(a));
  API_OK(env->RenameFile(a, b));
  EXPECT_TRUE(env->FileExists(a).IsNotFound());
  EXPECT_TRUE(env->RenameFile(a, b).IsNotFound());
  API_OK(env->RemoveFile(b));
  EXPECT_TRUE(env->RemoveFile(b).IsNotFound());
  API_OK(env->SyncDir(dir.File("")));
  std::string canonical;
  EXPECT_TRUE(env->CanonicalPath(dir.File(""), &canonical).IsInvalidArgument());

  // A store's lock file, held by the store, is refused to a second locker
  // naming this process.
  auto opened = DB::Open(dir.File("store"), Fast());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<FileLock> lock;
  Status s = env->LockFile(dir.File("store-lock"), &lock);
  EXPECT_EQ(s.code(), Status::Code::kLocked) << s.ToString();
  EXPECT_NE(s.message().find("is locked by process " + std::to_string(::getpid())),
            std::string::npos)
      << s.ToString();
  EXPECT_EQ(lock, nullptr);
  opened.value().reset();
  API_OK(env->LockFile(dir.File("store-lock"), &lock));
  EXPECT_NE(lock, nullptr);
}

// The shared file of the processes sharing a store (issue 12): written, then
// mapped; byte-range locks belong to each open, so two opens in one process
// conflict as two processes would.
TEST(Api, DefaultEnvSharedFileMapsAndLocksPerOpen) {
  Dir dir;
  ASSERT_TRUE(dir.ok());
  Env* env = Env::Default();
  std::unique_ptr<SharedFile> a, b;
  API_OK(env->OpenSharedFile(dir.File("store-shm"), &a));
  API_OK(env->OpenSharedFile(dir.File("store-shm"), &b));
  const std::string page(4096, 'x');
  API_OK(a->WriteAt(0, page.data(), page.size()));
  uint64_t size = 0;
  API_OK(b->Size(&size));
  EXPECT_EQ(size, page.size());
  char* base_a = nullptr;
  char* base_b = nullptr;
  API_OK(a->Map(page.size(), &base_a));
  API_OK(b->Map(page.size(), &base_b));
  base_a[7] = 'y';  // one mapping, seen through the other
  EXPECT_EQ(base_b[7], 'y');
  char c = 0;
  size_t got = 0;
  API_OK(b->ReadAt(7, 1, &c, &got));
  EXPECT_EQ(c, 'y');

  API_OK(a->TryLock(100, 1, LockMode::kShared));
  API_OK(b->TryLock(100, 1, LockMode::kShared));
  EXPECT_TRUE(b->TryLock(100, 1, LockMode::kExclusive).IsBusy());
  API_OK(a->Unlock(100, 1));
  API_OK(b->TryLock(100, 1, LockMode::kExclusive));  // shared -> exclusive in one step
  EXPECT_TRUE(a->TryLock(100, 1, LockMode::kShared).IsBusy());
  b.reset();  // closing drops its locks
  API_OK(a->TryLock(100, 1, LockMode::kExclusive));
}

}  // namespace
