// Shared helpers of the engine fuzz targets (fuzz_store, fuzz_wal) and of
// make_corpus: stores held in memory, checksum repair, reading a whole store.
//
// A store is opened through a BufferEnv (Options::env): its data file and WAL
// are BufferFiles and its lock file is a MemEnv's, so no fuzz input ever
// reaches the disk and every iteration starts from exactly the bytes it was
// given.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/checksum.h"
#include "engine/coding.h"
#include "engine/pager.h"
#include "engine/wal.h"
#include "lightning/db.h"
#include "lightning/env.h"
#include "tests/common/mem_env.h"

namespace lightning::fuzz {

// Writes past this offset fail with NoSpace: a damaged superblock may place
// extents anywhere, and a real file would merely be sparse there.
inline constexpr uint64_t kMaxFileBytes = 64ull << 20;

// A File whose bytes live in a string owned by the caller, so the caller can
// read what the engine wrote while the store is open or after it closed.
class BufferFile : public File {
 public:
  explicit BufferFile(std::shared_ptr<std::string> data) : data_(std::move(data)) {}
  Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (offset >= data_->size()) {
      *got = 0;
      return Status::OK();
    }
    *got = std::min<size_t>(n, data_->size() - offset);
    std::memcpy(dst, data_->data() + offset, *got);
    return Status::OK();
  }
  Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (offset > kMaxFileBytes || n > kMaxFileBytes - offset)
      return Status::NoSpace("fuzz file limit");
    if (offset + n > data_->size()) data_->resize(offset + n);
    std::memcpy(data_->data() + offset, data, n);
    return Status::OK();
  }
  Status Sync() override { return Status::OK(); }
  Status Size(uint64_t* size) override {
    std::lock_guard<std::mutex> lock(mu_);
    *size = data_->size();
    return Status::OK();
  }
  Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (size > kMaxFileBytes) return Status::NoSpace("fuzz file limit");
    data_->resize(size);
    return Status::OK();
  }
  const char* backend() const override { return "fuzz-buffer"; }

 private:
  std::mutex mu_;
  std::shared_ptr<std::string> data_;
};

// A private directory, made once per process and removed at exit (a crash
// leaves it for inspection). `prefix` like "/tmp/lightning-fuzz-".
inline std::string MakeTempDir(const std::string& prefix) {
  static std::vector<std::string>* dirs = nullptr;
  std::string tmpl = prefix + "XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return "";
  if (dirs == nullptr) {
    dirs = new std::vector<std::string>();
    std::atexit([] {
      for (const auto& d : *dirs) {
        std::error_code ec;
        std::filesystem::remove_all(d, ec);
      }
    });
  }
  dirs->push_back(tmpl);
  return tmpl;
}

// The path of the stores: a private directory, in which the BufferEnv
// creates nothing (the path is only a name).
inline const std::string& StorePath() {
  static const std::string path = [] {
    std::string dir = MakeTempDir("/tmp/lightning-fuzz-");
    if (dir.empty()) {
      std::perror("mkdtemp");
      std::abort();
    }
    return dir + "/store";
  }();
  return path;
}

// Opens a store's WAL (the path ending in "-wal") and its data file (any
// other path) as BufferFiles over `data` and `wal`; names and the lock file
// are a MemEnv's.
class BufferEnv : public EnvWrapper {
 public:
  BufferEnv(std::shared_ptr<std::string> data, std::shared_ptr<std::string> wal)
      : EnvWrapper(&names_), data_(std::move(data)), wal_(std::move(wal)) {}
  Status OpenFile(const std::string& path, IoBackend backend,
                  std::unique_ptr<File>* file) override {
    std::unique_ptr<File> name;
    LIGHTNING_RETURN_IF_ERROR(names_.OpenFile(path, backend, &name));
    const bool is_wal = path.size() >= 4 && path.compare(path.size() - 4, 4, "-wal") == 0;
    *file = std::make_unique<BufferFile>(is_wal ? wal_ : data_);
    return Status::OK();
  }

 private:
  test::MemEnv names_;
  std::shared_ptr<std::string> data_, wal_;
};

// The two files of a store in memory, and the Env that opens them.
struct MemStore {
  std::shared_ptr<std::string> data = std::make_shared<std::string>();
  std::shared_ptr<std::string> wal = std::make_shared<std::string>();
  std::shared_ptr<Env> env = std::make_shared<BufferEnv>(data, wal);
};

// Options for a store held in `mem` (which must outlive the store). Small
// cache so eviction paths run.
inline Options MemOptions(const MemStore& mem, uint64_t cache = 256 << 10) {
  Options o;
  o.cache_size = cache;
  o.busy_timeout_ms = 10;
  o.max_readers = 8;
  o.env = mem.env.get();
  return o;
}

// Recomputes the checksums a mutation broke, so that the fuzzer reaches the
// structure behind them: superblocks whose magic is intact, and extents found
// at 16-byte boundaries whose header says they are checksummed.
inline void RepairDataChecksums(std::string* d) {
  for (uint64_t slot : {uint64_t{0}, uint64_t{4096}}) {
    if (d->size() >= slot + 128 && DecodeFixed64(d->data() + slot) == 0x524F5453474E544CULL) {
      EncodeFixed64(d->data() + slot + 120, Checksum64(d->data() + slot, 120));
    }
  }
  for (uint64_t off = 8192; off + kExtentHeaderSize <= d->size(); off += 16) {
    char* h = d->data() + off;
    if (DecodeFixed32(h) != kExtentMagic || !(h[6] & kExtentChecksummed)) continue;
    const uint32_t stored = DecodeFixed32(h + 8);
    if (stored > d->size() - off - kExtentHeaderSize) continue;
    EncodeFixed64(h + 24, Checksum64(h + kExtentHeaderSize, stored, Checksum64(h, 24)));
  }
}

// Recomputes the WAL header checksum and each record's checksum in turn.
inline void RepairWalChecksums(std::string* w) {
  if (w->size() < kWalHeaderSize || DecodeFixed64(w->data()) != kWalMagic) return;
  EncodeFixed64(w->data() + 56, Checksum64(w->data(), 56));
  const uint64_t salt = DecodeFixed64(w->data() + 16);
  uint64_t off = kWalHeaderSize;
  while (off + kWalRecordHeader + 8 <= w->size()) {
    char* r = w->data() + off;
    const uint64_t len = DecodeFixed32(r);
    if (len > w->size() - off - kWalRecordHeader - 8) break;
    EncodeFixed64(r + kWalRecordHeader + len, Checksum64(r, kWalRecordHeader + len, salt));
    off += kWalRecordHeader + len + 8;
  }
}

// Everything a store holds: tree name -> (key, value) pairs in cursor order.
using Contents = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;

// Reads every tree forwards and backwards with a cursor and looks every key
// up (at most `max_items` entries overall). Returns the first error met; a
// disagreement between the three views, or with the tree's entry count, is a
// Corruption whose message starts with "fuzz:".
inline Status ReadAll(DB* db, Contents* out, size_t max_items = 100000) {
  auto r = db->BeginRead();
  if (!r.ok()) return r.status();
  std::unique_ptr<ReadTxn> txn = std::move(r).value();
  std::vector<TreeInfo> trees;
  LIGHTNING_RETURN_IF_ERROR(txn->ListTrees(&trees));
  size_t items = 0;
  for (const TreeInfo& t : trees) {
    TreeId id = 0;
    LIGHTNING_RETURN_IF_ERROR(txn->OpenTree(t.name, &id));
    auto c = txn->NewCursor(id);
    if (!c.ok()) return c.status();
    std::unique_ptr<Cursor> cursor = std::move(c).value();
    auto& rows = (*out)[t.name];
    for (cursor->SeekToFirst(); cursor->Valid() && items < max_items; cursor->Next(), items++) {
      rows.emplace_back(std::string(cursor->key()), std::string(cursor->value()));
    }
    LIGHTNING_RETURN_IF_ERROR(cursor->status());
    if (items >= max_items) return Status::OK();  // too big to compare: stop here
    if (rows.size() != t.entries) {
      return Status::Corruption("fuzz: tree " + t.name + " lists " + std::to_string(t.entries) +
                                " entries, its cursor finds " + std::to_string(rows.size()));
    }
    size_t back = rows.size();
    for (cursor->SeekToLast(); cursor->Valid(); cursor->Prev()) {
      if (back == 0 || cursor->key() != rows[back - 1].first) {
        return Status::Corruption("fuzz: tree " + t.name + ": backward scan disagrees");
      }
      --back;
    }
    LIGHTNING_RETURN_IF_ERROR(cursor->status());
    if (back != 0) return Status::Corruption("fuzz: tree " + t.name + ": backward scan is short");
    for (auto& [k, v] : rows) {
      std::string got;
      Status s = txn->Get(id, k, &got);
      if (s.IsNotFound() || (s.ok() && got != v)) {
        return Status::Corruption("fuzz: tree " + t.name + ": Get disagrees with the cursor");
      }
      LIGHTNING_RETURN_IF_ERROR(s);
    }
  }
  return Status::OK();
}

// Prints `what` and aborts: a property the fuzzer checks does not hold.
[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "FUZZ PROPERTY VIOLATED: %s\n", what.c_str());
  std::abort();
}

// The last step of a target: the store, closed cleanly after the run, must
// reopen with exactly `before`.
inline int ExpectSameAfterReopen(const MemStore& mem, const Contents& before) {
  auto opened = DB::Open(StorePath(), MemOptions(mem));
  if (!opened.ok()) Fail("reopening after a clean close fails: " + opened.status().ToString());
  std::shared_ptr<DB> db = std::move(opened).value();
  Contents again;
  Status s = ReadAll(db.get(), &again);
  if (!s.ok()) Fail("reading after reopen fails: " + s.ToString());
  if (again != before) Fail("store contents changed across close and reopen");
  return 0;
}

// The sound store fuzz_wal replays logs onto, rebuilt identically each time:
// two trees "a" (small values and blob values) and "b" (many small keys),
// checkpointed and closed, so its WAL is empty. Returns the data file.
inline std::string BuildBaseStore() {
  MemStore mem;
  {
    Options o = MemOptions(mem);
    o.page_size = 4096;
    auto opened = DB::Open(StorePath(), o);
    if (!opened.ok()) Fail("cannot create the base store: " + opened.status().ToString());
    std::shared_ptr<DB> db = std::move(opened).value();
    auto w = db->BeginWrite();
    if (!w.ok()) Fail("base store: " + w.status().ToString());
    std::unique_ptr<WriteTxn> txn = std::move(w).value();
    TreeId a = 0, b = 0;
    Status s = txn->CreateTree("a", &a);
    if (s.ok()) s = txn->CreateTree("b", &b);
    for (int i = 0; s.ok() && i < 40; i++) {
      std::string value(static_cast<size_t>(i % 10 == 0 ? 1500 : 10 + i),
                        static_cast<char>('A' + i % 26));
      s = txn->Put(a, "key" + std::to_string(i), value);
    }
    for (int i = 0; s.ok() && i < 400; i++)
      s = txn->Put(b, "b" + std::to_string(i * 7919 % 1000), "v");
    if (s.ok()) s = txn->Commit();
    if (s.ok()) s = db->Checkpoint();
    if (!s.ok()) Fail("base store: " + s.ToString());
  }
  return *mem.data;
}

// The lsn of the newest valid superblock of a data file (0 if none).
inline uint64_t StoreLsn(const std::string& d) {
  uint64_t best_gen = 0, lsn = 0;
  for (uint64_t slot : {uint64_t{0}, uint64_t{4096}}) {
    if (d.size() < slot + 128) continue;
    const char* p = d.data() + slot;
    if (DecodeFixed64(p) != 0x524F5453474E544CULL || DecodeFixed64(p + 120) != Checksum64(p, 120))
      continue;
    if (DecodeFixed64(p + 16) >= best_gen) {
      best_gen = DecodeFixed64(p + 16);
      lsn = DecodeFixed64(p + 24);
    }
  }
  return lsn;
}

// The fixed salt of logs fuzz_wal builds from bare payloads (mode 2).
inline constexpr uint64_t kFuzzSalt = 0x5EED5EED5EED5EEDULL;

}  // namespace lightning::fuzz
