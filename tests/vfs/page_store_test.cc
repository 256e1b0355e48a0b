// PageStore (the SQLite-free core of the lightning VFS) and its URI options.
#include "vfs/page_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "tests/common/random.h"
#include "vfs/lightning_vfs.h"
#include "vfs/uri_options.h"

namespace lightning::vfs {
namespace {

namespace fs = std::filesystem;

class PageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vfs_page_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "app.db").string();
  }
  void TearDown() override {
    if (std::getenv("LIGHTNING_KEEP_TMP") == nullptr) fs::remove_all(dir_);
  }

  std::shared_ptr<PageStore> Open(StoreOptions options = {}) {
    auto r = PageStore::Open(path_, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  static std::string Page(char fill, size_t n = 4096) { return std::string(n, fill); }

  static std::string ReadAll(PageStore& s, uint64_t offset, size_t n, Status* status = nullptr) {
    std::string out(n, '?');
    size_t got = 0;
    Status st = s.Read(offset, n, out.data(), &got);
    if (status)
      *status = st;
    else
      EXPECT_TRUE(st.ok()) << st.ToString();
    out.resize(got);
    return out;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(PageStoreTest, NewFileIsEmptyAndShortReadsZeroFill) {
  auto s = Open();
  EXPECT_EQ(s->Size(), 0u);
  std::string buf(100, 'x');
  size_t got = 7;
  ASSERT_TRUE(s->Read(0, 100, buf.data(), &got).ok());
  EXPECT_EQ(got, 0u);
  EXPECT_EQ(buf, std::string(100, '\0'));
}

TEST_F(PageStoreTest, WritesAreVisibleAtOnceAndDurableAfterSync) {
  {
    auto s = Open();
    ASSERT_TRUE(s->Write(0, Page('a').data(), 4096).ok());
    ASSERT_TRUE(s->Write(4096, Page('b').data(), 4096).ok());
    EXPECT_EQ(s->block_size(), 4096u);
    EXPECT_EQ(s->Size(), 8192u);
    EXPECT_EQ(ReadAll(*s, 4096, 4096), Page('b'));
    EXPECT_TRUE(s->HasPending());
    ASSERT_TRUE(s->Sync().ok());
    EXPECT_FALSE(s->HasPending());
    EXPECT_EQ(ReadAll(*s, 0, 4096), Page('a'));
  }
  auto s = Open();
  EXPECT_EQ(s->Size(), 8192u);
  EXPECT_EQ(ReadAll(*s, 0, 8192), Page('a') + Page('b'));
}

TEST_F(PageStoreTest, SubPageReadsAcrossBlocks) {
  auto s = Open();
  std::string two = Page('a') + Page('b');
  for (size_t i = 0; i < two.size(); i++) two[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(s->Write(0, two.data(), 4096).ok());
  ASSERT_TRUE(s->Write(4096, two.data() + 4096, 4096).ok());
  EXPECT_EQ(ReadAll(*s, 0, 100), two.substr(0, 100));  // SQLite's header read
  ASSERT_TRUE(s->Sync().ok());
  EXPECT_EQ(ReadAll(*s, 0, 100), two.substr(0, 100));
  EXPECT_EQ(ReadAll(*s, 4000, 200), two.substr(4000, 200));
  EXPECT_EQ(ReadAll(*s, 8000, 500), two.substr(8000));  // short: 192 bytes
}

TEST_F(PageStoreTest, BlockSizeComesFromTheFirstWriteAndMisalignedWritesWork) {
  {
    auto s = Open();
    ASSERT_TRUE(s->Write(0, Page('p', 8192).data(), 8192).ok());
    EXPECT_EQ(s->block_size(), 8192u);
    ASSERT_TRUE(s->Write(100, "hello", 5).ok());  // read-modify-write, pending
    ASSERT_TRUE(s->Sync().ok());
    ASSERT_TRUE(s->Write(8190, "XYZW", 4).ok());  // spans two blocks, grows
    ASSERT_TRUE(s->Sync().ok());
  }
  auto s = Open();
  EXPECT_EQ(s->block_size(), 8192u);
  EXPECT_EQ(s->Size(), 8194u);
  std::string all = ReadAll(*s, 0, 8194);
  EXPECT_EQ(all.substr(100, 5), "hello");
  EXPECT_EQ(all.substr(8190), "XYZW");
  EXPECT_EQ(all[99], 'p');
}

TEST_F(PageStoreTest, TruncateDropsBytesAndRegrowthReadsZeros) {
  {
    auto s = Open();
    for (int i = 0; i < 4; i++) ASSERT_TRUE(s->Write(i * 4096, Page('a' + i).data(), 4096).ok());
    ASSERT_TRUE(s->Sync().ok());
    ASSERT_TRUE(s->Truncate(4096 + 10).ok());  // mid-block: the tail is zeroed
    EXPECT_EQ(s->Size(), 4106u);
    ASSERT_TRUE(s->Truncate(4 * 4096).ok());  // grow again before the sync
    EXPECT_EQ(ReadAll(*s, 4096, 4096), std::string(10, 'b') + std::string(4086, '\0'));
    EXPECT_EQ(ReadAll(*s, 3 * 4096, 4096), std::string(4096, '\0'));
    ASSERT_TRUE(s->Sync().ok());
    EXPECT_EQ(ReadAll(*s, 2 * 4096, 4096), std::string(4096, '\0'));
    ASSERT_TRUE(s->Truncate(4096).ok());
    ASSERT_TRUE(s->Sync().ok());
  }
  auto s = Open();
  EXPECT_EQ(s->Size(), 4096u);
  EXPECT_EQ(ReadAll(*s, 0, 8192), Page('a'));
  ASSERT_TRUE(s->Truncate(8192).ok());
  EXPECT_EQ(ReadAll(*s, 4096, 4096), std::string(4096, '\0'));
}

// A commit that shrinks the file by 1/8 or more (VACUUM) compacts the store,
// so the data file gives the space back; a smaller shrink does not.
TEST_F(PageStoreTest, ShrinkingCommitCompactsTheStore) {
  auto s = Open();
  lightning::test::Rng rng(7);
  std::string page(4096, '\0'), kept;
  for (int i = 0; i < 1024; i++) {  // 4 MiB of incompressible pages
    for (char& c : page) c = static_cast<char>(rng());
    ASSERT_TRUE(s->Write(uint64_t(i) * 4096, page.data(), page.size()).ok());
    if (i == 255) kept = page;
  }
  ASSERT_TRUE(s->Sync().ok());
  ASSERT_TRUE(s->db()->Checkpoint().ok());
  ASSERT_TRUE(s->Truncate(uint64_t(1000) * 4096).ok());  // 2% smaller: no compaction
  ASSERT_TRUE(s->Sync().ok());
  EXPECT_EQ(s->counters().compactions.load(), 0u);
  const auto before = fs::file_size(path_);
  ASSERT_TRUE(s->Truncate(uint64_t(256) * 4096).ok());  // as a VACUUM does
  ASSERT_TRUE(s->Sync().ok());
  EXPECT_EQ(s->counters().compactions.load(), 1u);
  EXPECT_EQ(s->counters().compaction_errors.load(), 0u);
  const auto after = fs::file_size(path_);
  EXPECT_LT(after, before / 2) << before << " -> " << after;
  EXPECT_TRUE(ReadAll(*s, 255 * 4096, 4096) == kept);  // the last page kept, intact
  EXPECT_EQ(s->Size(), uint64_t(256) * 4096);
}

// ... but not when the data file holds almost nothing yet (the pages are all
// in the store's log): there are no extents to move, and the checkpoint that
// writes the pages out later writes only the ones that are left.
TEST_F(PageStoreTest, ShrinkBeforeAnyCheckpointDoesNotCompact) {
  auto s = Open();
  lightning::test::Rng rng(8);
  std::string page(4096, '\0'), kept;
  for (int i = 0; i < 1024; i++) {
    for (char& c : page) c = static_cast<char>(rng());
    ASSERT_TRUE(s->Write(uint64_t(i) * 4096, page.data(), page.size()).ok());
    if (i == 255) kept = page;
  }
  ASSERT_TRUE(s->Sync().ok());
  ASSERT_LT(fs::file_size(path_), uint64_t(256) * 4096 / 8);  // nothing checkpointed yet
  ASSERT_TRUE(s->Truncate(uint64_t(256) * 4096).ok());
  ASSERT_TRUE(s->Sync().ok());
  EXPECT_EQ(s->counters().compactions.load(), 0u);
  ASSERT_TRUE(s->db()->Checkpoint().ok());
  EXPECT_LT(fs::file_size(path_), uint64_t(256) * 4096 * 9 / 8);
  EXPECT_TRUE(ReadAll(*s, 255 * 4096, 4096) == kept);
  EXPECT_EQ(s->Size(), uint64_t(256) * 4096);
}

TEST_F(PageStoreTest, UnsyncedWritesDoNotSurviveACrash) {
  {
    auto s = Open();
    ASSERT_TRUE(s->Write(0, Page('a').data(), 4096).ok());
    ASSERT_TRUE(s->Sync().ok());
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    auto r = PageStore::Open(path_, StoreOptions{});
    if (!r.ok()) ::_exit(2);
    auto s = std::move(r).value();
    (void)s->Write(0, Page('b').data(), 4096);
    (void)s->Write(4096, Page('c').data(), 4096);
    ::_exit(0);  // no destructors: like SIGKILL after the writes
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto s = Open();
  EXPECT_EQ(s->Size(), 4096u);
  EXPECT_EQ(ReadAll(*s, 0, 4096), Page('a'));
}

TEST_F(PageStoreTest, SpillCommitsEarlyPastSpillSize) {
  StoreOptions o;
  o.spill_size = 1 << 20;
  auto s = Open(o);
  for (int i = 0; i < 600; i++)
    ASSERT_TRUE(s->Write(uint64_t(i) * 4096, Page('s').data(), 4096).ok());
  EXPECT_GE(s->counters().spills.load(), 2u);
  EXPECT_EQ(ReadAll(*s, 599 * 4096, 4096), Page('s'));
}

TEST_F(PageStoreTest, OneInstancePerPathAndMetrics) {
  auto a = Open();
  auto b = Open();
  EXPECT_EQ(a.get(), b.get());
  ASSERT_TRUE(a->Write(0, Page('m').data(), 4096).ok());
  ASSERT_TRUE(a->Sync().ok());
  (void)ReadAll(*b, 0, 4096);
  bool seen = false;
  ForEachOpenStore([&](const std::string& path, PageStore& s) {
    if (&s != a.get()) return;
    seen = true;
    EXPECT_EQ(path, fs::canonical(path_).string());
  });
  EXPECT_TRUE(seen);
  std::map<std::string, double> m;
  for (const Metric& x : a->Metrics()) m[x.name] = x.value;
  EXPECT_EQ(m.at("vfs_pages_written"), 1);
  EXPECT_EQ(m.at("vfs_commits"), 1);
  EXPECT_GE(m.at("vfs_pages_read"), 1);
  EXPECT_TRUE(m.count("cache_hits") && m.count("compression_raw_bytes") && m.count("wal_fsyncs"));
  EXPECT_TRUE(m.count("vfs_checksum_checks"));
}

TEST_F(PageStoreTest, OptionsGivenAtCreationAreRemembered) {
  {
    StoreOptions o;
    ASSERT_TRUE(ParseUriOptions(
                    [](const char* k) -> const char* {
                      return std::string(k) == "compression" ? "ZSTD"
                             : std::string(k) == "level"     ? "5"
                                                             : nullptr;
                    },
                    {"compression", "level", "vfs"}, &o)
                    .ok());
    auto s = Open(o);
    std::string v;
    ASSERT_TRUE(s->db()->GetOptions().Get("compression", &v).ok());
    EXPECT_EQ(v, "zstd");
  }
  {
    auto s = Open();
    std::string v;
    ASSERT_TRUE(s->db()->GetOptions().Get("compression", &v).ok());
    EXPECT_EQ(v, "zstd");
    ASSERT_TRUE(s->db()->GetOptions().Get("compression_level", &v).ok());
    EXPECT_EQ(v, "5");
  }
  StoreOptions o;
  o.engine.compression = Codec::kLz4;
  o.given["compression"] = "lz4";
  { auto s = Open(o); }
  auto s = Open();
  std::string v;
  ASSERT_TRUE(s->db()->GetOptions().Get("compression", &v).ok());
  EXPECT_EQ(v, "lz4");
}

TEST_F(PageStoreTest, AUriOptionIsParsedOnceAndSavedInTheCatalog) {
  StoreOptions o;
  const uint64_t before = OptionParseCount();
  ASSERT_TRUE(ParseUriOptions(
                  [](const char* k) -> const char* {
                    return std::string(k) == "compression" ? "lz4" : nullptr;
                  },
                  {"compression"}, &o)
                  .ok());
  auto s = Open(o);
  EXPECT_EQ(OptionParseCount() - before, 1u);  // from the URI to the store's catalog
  std::map<std::string, std::string> saved;
  ASSERT_TRUE(s->db()->SavedOptions(&saved).ok());
  EXPECT_EQ(saved["compression"], "lz4");
  EXPECT_EQ(saved["checksum"], "on");  // not named: saved as it is now
}

TEST_F(PageStoreTest, OptionsInAnOlderMetaTreeMoveToTheCatalog) {
  {
    // A database as an older build left it: its options in "meta" as opt.<name>.
    auto db = DB::Open(path_, Options()).value();
    auto w = db->BeginWrite();
    ASSERT_TRUE(w.ok());
    TreeId pages, meta;
    ASSERT_TRUE(w.value()->CreateTree("pages", &pages).ok());
    ASSERT_TRUE(w.value()->CreateTree("meta", &meta).ok());
    ASSERT_TRUE(w.value()->Put(meta, "format", "1").ok());
    ASSERT_TRUE(w.value()->Put(meta, "opt.compression", "zstd").ok());
    ASSERT_TRUE(w.value()->Put(meta, "opt.compression_level", "7").ok());
    ASSERT_TRUE(w.value()->Put(meta, "opt.checksum", "off").ok());
    ASSERT_TRUE(w.value()->Commit().ok());
  }
  StoreOptions o;
  o.engine.checksum = true;  // named by this opener: replaces the old value
  o.given["checksum"] = "on";
  {
    auto s = Open(o);
    std::string v;
    ASSERT_TRUE(s->db()->GetOptions().Get("compression", &v).ok());
    EXPECT_EQ(v, "zstd");
    std::map<std::string, std::string> saved;
    ASSERT_TRUE(s->db()->SavedOptions(&saved).ok());
    EXPECT_EQ(saved, (std::map<std::string, std::string>{
                         {"checksum", "on"}, {"compression", "zstd"}, {"compression_level", "7"}}));
    auto r = s->db()->BeginRead();
    ASSERT_TRUE(r.ok());
    TreeId meta;
    ASSERT_TRUE(r.value()->OpenTree("meta", &meta).ok());
    EXPECT_TRUE(r.value()->Get(meta, "opt.compression", &v).IsNotFound());
  }
  auto s = Open();
  std::string v;
  ASSERT_TRUE(s->db()->GetOptions().Get("compression_level", &v).ok());
  EXPECT_EQ(v, "7");
}

TEST_F(PageStoreTest, RefusesAStoreWithTables) {
  {
    auto db = DB::Open(path_, Options{});
    ASSERT_TRUE(db.ok());
    auto w = db.value()->BeginWrite();
    TreeId id;
    ASSERT_TRUE(w.value()->CreateTree("users", &id).ok());
    ASSERT_TRUE(w.value()->Commit().ok());
  }
  auto r = PageStore::Open(path_, StoreOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("not a database of the lightning VFS"), std::string::npos);
}

TEST_F(PageStoreTest, DamagedExtentIsCorruptionNamingThePage) {
  StoreOptions o;
  o.engine.compression = Codec::kZstd;
  {
    auto s = Open(o);
    std::string text;
    for (int i = 0; i < 4096; i++) text += "lorem ipsum "[i % 12];
    for (int i = 0; i < 8; i++) ASSERT_TRUE(s->Write(uint64_t(i) * 4096, text.data(), 4096).ok());
    ASSERT_TRUE(s->Sync().ok());
  }  // closing checkpoints: the pages are extents in the file now
  // Flip one payload byte of every blob extent (type 3) in the data file.
  std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  int damaged = 0;
  for (size_t off = 8192; off + 48 < bytes.size(); off += 16) {
    if (bytes.compare(off, 4, "1GPL") == 0 && bytes[off + 5] == 3) {
      f.seekp(static_cast<std::streamoff>(off + 40));
      f.put(static_cast<char>(bytes[off + 40] ^ 0x5A));
      damaged++;
    }
  }
  f.close();
  ASSERT_GT(damaged, 0);
  auto s = Open();
  Status st;
  std::string got = ReadAll(*s, 3 * 4096, 4096, &st);
  ASSERT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_NE(st.message().find("SQLite page 4 "), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("checksum"), std::string::npos) << st.message();
  EXPECT_GE(s->counters().read_errors.load(), 1u);
}

TEST_F(PageStoreTest, RandomOperationsMatchAModel) {
  // A new seed each run unless LIGHTNING_SEED repeats one.
  const uint64_t seed = lightning::test::SeedFromEnv(std::random_device{}());
  SCOPED_TRACE("LIGHTNING_SEED=" + std::to_string(seed));
  lightning::test::Rng rng(seed);
  std::string model, durable;
  auto s = Open();
  for (int op = 0; op < 3000; op++) {
    const int kind = rng() % 100;
    if (kind < 45) {
      const uint64_t page = rng() % 40;
      const bool whole = rng() % 4 != 0;
      const uint64_t off = whole ? page * 4096 : page * 4096 + rng() % 4096;
      const size_t n = whole ? 4096 : 1 + rng() % 6000;
      std::string data(n, '\0');
      for (auto& c : data) c = static_cast<char>(rng());
      ASSERT_TRUE(s->Write(off, data.data(), n).ok());
      if (model.size() < off + n) model.resize(off + n, '\0');
      model.replace(off, n, data);
    } else if (kind < 75) {
      const uint64_t off = rng() % (model.size() + 100);
      const size_t n = 1 + rng() % 9000;
      std::string got = ReadAll(*s, off, n);
      ASSERT_EQ(got, off < model.size() ? model.substr(off, n) : "") << "op " << op;
    } else if (kind < 82) {
      const uint64_t size = rng() % (model.size() + 8192);
      ASSERT_TRUE(s->Truncate(size).ok());
      model.resize(size, '\0');
    } else if (kind < 95) {
      ASSERT_TRUE(s->Sync().ok());
      durable = model;
    } else {
      ASSERT_TRUE(s->Sync().ok());
      durable = model;
      s.reset();
      s = Open();
      ASSERT_EQ(s->Size(), durable.size());
    }
    ASSERT_EQ(s->Size(), model.size());
  }
  ASSERT_EQ(ReadAll(*s, 0, model.size() + 10), model);
}

// The background thread checkpoints once enough pages were committed: the
// store's WAL empties and the pages are extents in the file, without any
// explicit Checkpoint() and before close.
TEST_F(PageStoreTest, BackgroundCheckpointerCheckpointsCommittedPages) {
  StoreOptions o;
  o.engine.compression = Codec::kZstd;
  o.background_checkpoint = 1 << 20;
  auto s = Open(o);
  ASSERT_TRUE(s);
  std::string expected;
  for (uint32_t b = 0; b < 600; b++) {  // 2.4 MB of compressible pages
    std::string page = Page(static_cast<char>('a' + b % 26));
    ASSERT_TRUE(s->Write(uint64_t{b} * 4096, page.data(), page.size()).ok());
    expected += page;
    if (b % 50 == 49) {
      ASSERT_TRUE(s->Sync().ok());
    }
  }
  ASSERT_TRUE(s->Sync().ok());
  for (int i = 0; i < 200 && s->counters().background_checkpoints.load() == 0; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(s->counters().background_checkpoints.load(), 1u);
  EXPECT_EQ(s->counters().background_checkpoint_errors.load(), 0u);
  double stored = -1;
  for (const Metric& m : s->Metrics()) {
    if (m.name == "compression_stored_bytes") stored = m.value;
  }
  EXPECT_GT(stored, 0);  // pages went out compressed, by the background thread
  EXPECT_EQ(ReadAll(*s, 0, expected.size()), expected);
  s.reset();
  s = Open();
  EXPECT_EQ(ReadAll(*s, 0, expected.size()), expected);
  // Turned off: no thread, no checkpoint until close.
  s.reset();
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  o.background_checkpoint = 0;
  s = Open(o);
  for (uint32_t b = 0; b < 600; b++) {
    std::string page = Page('q');
    ASSERT_TRUE(s->Write(uint64_t{b} * 4096, page.data(), page.size()).ok());
  }
  ASSERT_TRUE(s->Sync().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(s->counters().background_checkpoints.load(), 0u);
}

TEST_F(PageStoreTest, ForEachOpenDatabaseListsOpenStoresWithTheirCounters) {
  auto count = [](const std::string& path, double* written) {
    int n = 0;
    ForEachOpenDatabase([&](const std::string& name, const std::vector<Metric>& metrics) {
      if (name != path) return;
      n++;
      for (const Metric& m : metrics) {
        if (m.name == "vfs_pages_written") *written = m.value;
      }
    });
    return n;
  };
  auto s = Open();
  const std::string page = Page('z');
  ASSERT_TRUE(s->Write(0, page.data(), page.size()).ok());
  ASSERT_TRUE(s->Write(4096, page.data(), page.size()).ok());
  double written = -1;
  EXPECT_EQ(count(s->path(), &written), 1);
  EXPECT_EQ(written, 2);
  const std::string path = s->path();
  s.reset();
  EXPECT_EQ(count(path, &written), 0);
}

TEST(UriOptionsTest, BadValuesAndMisspellingsNameTheParameter) {
  auto parse = [](std::map<std::string, std::string> uri, StoreOptions* o) {
    std::vector<std::string> keys;
    for (auto& [k, v] : uri) keys.push_back(k);
    return ParseUriOptions(
        [&](const char* k) -> const char* {
          auto it = uri.find(k);
          return it == uri.end() ? nullptr : it->second.c_str();
        },
        keys, o);
  };
  StoreOptions o;
  Status s = parse({{"compression", "brotli"}}, &o);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("compression=brotli"), std::string::npos) << s.message();
  s = parse({{"level", "99"}}, &o);
  EXPECT_NE(s.message().find("level=99"), std::string::npos) << s.message();
  s = parse({{"cache_size", "lots"}}, &o);
  EXPECT_NE(s.message().find("cache_size=lots"), std::string::npos) << s.message();
  s = parse({{"compresion", "zstd"}}, &o);
  EXPECT_NE(s.message().find("did you mean 'compression'"), std::string::npos) << s.message();
  s = parse({{"spill_size", "10"}}, &o);
  EXPECT_TRUE(s.IsInvalidArgument());
  s = parse({{"background_checkpoint", "10"}}, &o);
  EXPECT_NE(s.message().find("background_checkpoint=10"), std::string::npos) << s.message();
  StoreOptions off;
  ASSERT_TRUE(parse({{"background_checkpoint", "off"}}, &off).ok());
  EXPECT_EQ(off.background_checkpoint, 0u);
  ASSERT_TRUE(parse({{"background_checkpoint", "4MB"}}, &off).ok());
  EXPECT_EQ(off.background_checkpoint, 4u << 20);
  StoreOptions ok;
  ASSERT_TRUE(parse({{"compression", "lz4"},
                     {"checksum", "off"},
                     {"cache_size", "16MB"},
                     {"mode", "rwc"},
                     {"other_extension_flag", "1"},
                     {"store_page_size", "16384"}},
                    &ok)
                  .ok());
  EXPECT_EQ(ok.engine.compression, Codec::kLz4);
  EXPECT_FALSE(ok.engine.checksum);
  EXPECT_EQ(ok.engine.cache_size, 16u << 20);
  EXPECT_EQ(ok.engine.page_size, 16384u);
  EXPECT_EQ(ok.given.at("checksum"), "off");
}

}  // namespace
}  // namespace lightning::vfs

namespace lightning::vfs {
namespace {

TEST_F(PageStoreTest, CachedReadTransactionsSeeCommitsAndPinNothingAfterThem) {
  auto s = Open();
  ReadCache a, b;
  s->Attach(&a);
  s->Attach(&b);
  std::string out(4096, '\0');
  size_t got;
  for (int round = 0; round < 20; round++) {
    for (int p = 0; p < 50; p++) {
      ASSERT_TRUE(s->Write(uint64_t(p) * 4096, Page('a' + round % 26).data(), 4096).ok());
    }
    ASSERT_TRUE(s->Sync().ok());
    ASSERT_TRUE(s->Read(4096 * (round % 50), 4096, out.data(), &got, &a).ok());
    ASSERT_EQ(out, Page('a' + round % 26)) << "round " << round;
    if (round % 3 == 0) {
      ASSERT_TRUE(s->Read(0, 4096, out.data(), &got, &b).ok());
    }
  }
  std::map<std::string, double> m;
  for (const Metric& x : s->Metrics()) m[x.name] = x.value;
  EXPECT_EQ(m.at("pinned_pages"), 0) << "an idle cache kept old pages alive";
  s->Detach(&a);
  s->Detach(&b);
}

}  // namespace
}  // namespace lightning::vfs
