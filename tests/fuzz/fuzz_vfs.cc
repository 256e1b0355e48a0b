// Fuzz target: the lightning VFS reading arbitrary page bytes.
//
// Input: one mode byte, then
//   mode even  A PageStore over an engine store whose "meta" and "pages"
//              trees hold what the input says (held in memory):
//                u8 format variant (0 "1", 1 absent, 2 "2", 3 empty) |
//                u32 block_size LE | u64 file_size LE |
//                { u32 block number BE | u16 length LE | bytes }*
//              then reads of the whole file, writes, Sync, reads again,
//              close and reopen.
//   mode odd   The rest is a SQLite database image: written through a
//              PageStore into a store under /dev/shm, then opened by SQLite
//              with ?vfs=lightning (read-only) and queried: quick_check,
//              sqlite_master, every table.
//
// Properties: no crash, hang, leak or sanitizer report; a PageStore that
// opens reads every byte of its file or reports an error; after writes and a
// successful Sync, the file reads back exactly as written (a byte model), also
// after a reopen; an image written through a PageStore reads back unchanged.
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_common.h"
#include "vfs/lightning_vfs.h"
#include "vfs/page_store.h"

extern "C" int sqlite3_lightning_init(sqlite3* db, char** err, const sqlite3_api_routines* api);

using namespace lightning;
using namespace lightning::fuzz;
using lightning::vfs::PageStore;
using lightning::vfs::StoreOptions;

namespace {

constexpr uint64_t kMaxRead = 1 << 20;  // bytes of a file read back, at most
std::string g_dir;

struct Reader {
  const uint8_t* p;
  size_t n;
  size_t i = 0;
  uint64_t Le(int bytes) {
    uint64_t v = 0;
    for (int b = 0; b < bytes; b++) v |= uint64_t{i < n ? p[i++] : uint8_t{0}} << (8 * b);
    return v;
  }
  std::string Bytes(size_t len) {
    len = std::min(len, n - std::min(n, i));
    std::string s(reinterpret_cast<const char*>(p + i), len);
    i += len;
    return s;
  }
  bool done() const { return i >= n; }
};

StoreOptions MemStoreOptions(const MemStore& mem) {
  StoreOptions so;
  so.engine = MemOptions(mem, 1 << 20);
  so.background_checkpoint = 0;
  so.spill_size = 1 << 20;
  return so;
}

// Reads [0, min(size, kMaxRead)) in uneven pieces. False on a read error.
bool ReadFile(PageStore* ps, std::string* out, uint64_t* bad_offset = nullptr) {
  const uint64_t size = std::min<uint64_t>(ps->Size(), kMaxRead);
  out->assign(size, '\0');
  uint64_t off = 0;
  size_t piece = 4096;
  while (off < size) {
    size_t n = std::min<uint64_t>(piece, size - off);
    size_t got = 0;
    Status s = ps->Read(off, n, out->data() + off, &got);
    if (!s.ok()) {
      if (std::getenv("LIGHTNING_FUZZ_VFS_DEBUG"))
        std::fprintf(stderr, "read at %llu: %s\n", (unsigned long long)off, s.ToString().c_str());
      if (bad_offset) *bad_offset = s.IsCorruption() ? off + n : UINT64_MAX;  // end of the piece
      return false;
    }
    if (got != n)
      Fail("PageStore::Read returned " + std::to_string(got) + " of " + std::to_string(n) +
           " bytes inside the file");
    off += n;
    piece = piece == 4096 ? 1000 : 4096;
  }
  // A read past the end is zero-filled and reports how much lay before it.
  char tail[16];
  size_t got = 99;
  Status s = ps->Read(ps->Size(), sizeof tail, tail, &got);
  if (s.ok() && got != 0) Fail("a read at the end of the file returned bytes");
  return true;
}

void FuzzStore(const uint8_t* data, size_t size) {
  static const bool debug = std::getenv("LIGHTNING_FUZZ_VFS_DEBUG") != nullptr;
  Reader in{data, size};
  MemStore mem;
  {
    auto opened = DB::Open(StorePath(), MemOptions(mem));
    if (!opened.ok()) Fail("cannot create a store: " + opened.status().ToString());
    std::shared_ptr<DB> db = std::move(opened).value();
    auto w = db->BeginWrite();
    if (!w.ok()) Fail(w.status().ToString());
    std::unique_ptr<WriteTxn> txn = std::move(w).value();
    TreeId meta = 0, pages = 0;
    Status s = txn->CreateTree("meta", &meta);
    if (s.ok()) s = txn->CreateTree("pages", &pages);
    const int variant = static_cast<int>(in.Le(1) % 4);
    static const char* const kFormats[] = {"1", nullptr, "2", ""};
    if (s.ok() && kFormats[variant]) s = txn->Put(meta, "format", kFormats[variant]);
    std::string bs(4, '\0'), fs(8, '\0');
    EncodeFixed32(bs.data(), static_cast<uint32_t>(in.Le(4)));
    EncodeFixed64(fs.data(), in.Le(8));
    if (s.ok()) s = txn->Put(meta, "block_size", bs);
    if (s.ok()) s = txn->Put(meta, "file_size", fs);
    for (int i = 0; s.ok() && i < 64 && !in.done(); i++) {
      uint64_t b = in.Le(4);
      std::string key(4, '\0');
      for (int k = 0; k < 4; k++)
        key[k] = static_cast<char>(b >> (8 * k));  // as read: big-endian bytes
      s = txn->Put(pages, key, in.Bytes(static_cast<size_t>(in.Le(2))));
    }
    if (s.ok()) s = txn->Commit();
    if (!s.ok()) Fail("cannot build the store: " + s.ToString());
  }
  std::string model;
  {
    auto opened = PageStore::Open(StorePath(), MemStoreOptions(mem));
    if (!opened.ok()) return;
    std::shared_ptr<PageStore> ps = std::move(opened).value();
    if (!ReadFile(ps.get(), &model)) return;
    if (ps->Size() > kMaxRead) return;  // not modelled
    const uint64_t initial_size = model.size();
    // Writes at offsets and lengths from the input (often whole blocks).
    const uint32_t bs = ps->block_size() ? ps->block_size() : 4096;
    for (int i = 0; i < 4 && !in.done(); i++) {
      const uint64_t off = in.Le(1) % 16 * (in.Le(1) & 1 ? bs : 700);
      const std::string bytes = in.Bytes(in.Le(1) & 1 ? bs : in.Le(1) * 13);
      if (debug)
        std::fprintf(stderr, "write %zu bytes at %llu (size %llu)\n", bytes.size(),
                     (unsigned long long)off, (unsigned long long)ps->Size());
      if (!ps->Write(off, bytes.data(), bytes.size()).ok()) return;
      if (bytes.empty()) continue;  // like pwrite: writing nothing extends nothing
      if (model.size() < off + bytes.size()) model.resize(off + bytes.size(), '\0');
      model.replace(off, bytes.size(), bytes);
    }
    if (in.Le(1) & 1) {
      const uint64_t cut = in.Le(2);
      if (debug) std::fprintf(stderr, "truncate to %llu\n", (unsigned long long)cut);
      if (!ps->Truncate(cut).ok()) return;
      model.resize(cut, '\0');
    }
    if (!ps->Sync().ok()) return;
    if (ps->Size() != model.size())
      Fail("PageStore::Size is " + std::to_string(ps->Size()) + " after writes that make " +
           std::to_string(model.size()));
    std::string back;
    uint64_t bad = UINT64_MAX;
    if (!ReadFile(ps.get(), &back, &bad)) {
      // Growing the file can uncover a damaged block stored past the old end
      // (blocks this harness wrote were read, modified and written whole).
      if (bad != UINT64_MAX && bad > initial_size) return;
      Fail("reading back a synced PageStore fails");
    }
    if (back != model) Fail("a synced PageStore reads back other bytes than were written");
  }
  auto opened = PageStore::Open(StorePath(), MemStoreOptions(mem));
  if (!opened.ok()) Fail("reopening a synced PageStore fails: " + opened.status().ToString());
  std::string back;
  if (!ReadFile(opened.value().get(), &back)) Fail("reading a reopened PageStore fails");
  if (back != model) Fail("a reopened PageStore reads back other bytes than were written");
}

int Progress(void* counter) { return ++*static_cast<long*>(counter) > 5000; }

void Query(sqlite3* db, const std::string& sql, std::vector<std::string>* first_column = nullptr) {
  sqlite3_stmt* stmt = nullptr;
  static const bool debug = std::getenv("LIGHTNING_FUZZ_VFS_DEBUG") != nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    if (debug) std::fprintf(stderr, "%s: %s\n", sql.c_str(), sqlite3_errmsg(db));
    return;
  }
  int rows = 0;
  while (sqlite3_step(stmt) == SQLITE_ROW && ++rows < 1000) {
    for (int i = 0; i < sqlite3_column_count(stmt); i++) (void)sqlite3_column_blob(stmt, i);
    if (first_column && sqlite3_column_type(stmt, 0) == SQLITE_TEXT)
      first_column->emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  if (debug) std::fprintf(stderr, "%s: %d rows, %s\n", sql.c_str(), rows, sqlite3_errmsg(db));
  sqlite3_finalize(stmt);
}

void FuzzSqlite(const uint8_t* data, size_t size) {
  const std::string path = g_dir + "/db";
  for (const char* suffix : {"", "-lwal", "-lock", "-journal", "-wal", "-shm"})
    ::unlink((path + suffix).c_str());
  const std::string image(reinterpret_cast<const char*>(data), size);
  {
    StoreOptions so;
    so.background_checkpoint = 0;
    so.engine.sync = SyncMode::kOff;
    auto opened = PageStore::Open(path, so);
    if (!opened.ok()) Fail("cannot create a PageStore: " + opened.status().ToString());
    std::shared_ptr<PageStore> ps = std::move(opened).value();
    Status s = ps->Write(0, image.data(), image.size());
    if (s.ok()) s = ps->Sync();
    if (!s.ok()) Fail("cannot write the image: " + s.ToString());
    std::string back;
    if (!ReadFile(ps.get(), &back)) Fail("reading back the image fails");
    if (back != image.substr(0, kMaxRead)) Fail("the image reads back changed");
  }
  sqlite3* db = nullptr;
  const std::string uri = "file:" + path + "?vfs=lightning";
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) ==
      SQLITE_OK) {
    long progress = 0;
    sqlite3_progress_handler(db, 1000, Progress, &progress);
    std::vector<std::string> tables;
    Query(db, "PRAGMA quick_check");
    Query(db, "SELECT name FROM sqlite_master WHERE type = 'table'", &tables);
    for (size_t i = 0; i < tables.size() && i < 8; i++) {
      std::string q = "\"";
      for (char c : tables[i]) q += c == '"' ? std::string("\"\"") : std::string(1, c);
      Query(db, "SELECT * FROM " + q + "\"");
    }
  }
  sqlite3_close(db);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_dir = MakeTempDir("/dev/shm/lightning-fuzz-vfs-");
  if (g_dir.empty()) g_dir = MakeTempDir("/tmp/lightning-fuzz-vfs-");
  if (g_dir.empty()) Fail("mkdtemp");
  sqlite3_initialize();
  sqlite3_auto_extension(reinterpret_cast<void (*)(void)>(&sqlite3_lightning_init));
  sqlite3* db = nullptr;
  sqlite3_open(":memory:", &db);  // runs the entry point: the API table is set
  sqlite3_close(db);
  if (lightning_vfs_register() != SQLITE_OK) Fail("lightning_vfs_register failed");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1 << 20)) return 0;
  if (data[0] & 1) {
    FuzzSqlite(data + 1, size - 1);
  } else {
    FuzzStore(data + 1, size - 1);
  }
  return 0;
}
