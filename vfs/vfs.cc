/*
** The `lightning` VFS: a shim over the default VFS that keeps main-database
** pages in a Lightning page store.
**
** USAGE
**
**   .load ./build/lightning
**   .open file:app.db?vfs=lightning&compression=zstd
**   VACUUM INTO 'file:copy.db?vfs=lightning&compression=zstd';   -- convert
**
** IMPLEMENTATION NOTES
**
**   xOpen of a main database opens the lower file (for locks and the WAL
**   index) and then the PageStore at the same path (vfs/page_store.h): the
**   database path becomes the engine's data file, with `<db>-lwal` as the
**   engine's WAL (SQLite's own `<db>-wal`, `-journal` and `-shm` stay
**   SQLite's) and `<db>-lock` as its lock file. Every other file (journals,
**   WAL, temp files, a main database without a name) is opened by the lower
**   VFS in the whole block, untouched. The VFS methods forward to the lower
**   VFS one line each.
**
** LIMITATIONS
**
**   A lightning database is open in one process at a time (the engine's lock;
**   a second process gets SQLITE_BUSY), though any number of connections in
**   that process share it. Options of the first open in a process apply to
**   all later ones. Open errors are a result code only (SQLite's xOpen has no
**   message): the reason goes to sqlite3_log and LastOpenError() (SQL:
**   lightning_vfs_error()). A refused open removes the files it created.
*/
#include <cstring>
#include <filesystem>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "vfs/guarded_call.h"
#include "vfs/lightning_vfs.h"
#include "vfs/page_store.h"
#include "vfs/status_to_sqlite.h"
#include "vfs/uri_options.h"
#include "vfs/vfs_file.h"

namespace lightning::vfs {
namespace {

sqlite3_vfs g_vfs;
thread_local std::string t_last_open_error;

sqlite3_vfs* LowerVfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int OpenFailed(const std::string& message, int code) {
  t_last_open_error = message;
  Log(code, message);
  return code;
}

Status ReadUriOptions(const char* name, StoreOptions* options) {
  std::vector<std::string> present;
  for (int i = 0;; i++) {
    const char* key = sqlite3_uri_key(name, i);
    if (key == nullptr) break;
    present.emplace_back(key);
  }
  return ParseUriOptions([name](const char* key) { return sqlite3_uri_parameter(name, key); },
                         present, options);
}

// Logs options the opener named that differ from those of the store already
// open in this process (which keep applying).
void WarnAboutIgnoredOptions(const PageStore& store, const StoreOptions& options) {
  const Options current = store.db()->GetOptions();
  for (const auto& [name, value] : options.given) {
    std::string now;
    if (current.Get(name, &now).ok() && now != value) {
      Log(SQLITE_WARNING, "lightning VFS: " + store.path() +
                              " is already open in this process with " + name + "=" + now + "; " +
                              name + "=" + value + " is ignored");
    }
  }
}

// The files an open may create: the database itself (the lower VFS creates
// it), the store's lock file and its WAL. Notes which exist before the open,
// so that a refused open removes exactly the ones it created and leaves
// nothing beside the user's file.
class FilesOfAnOpen {
 public:
  explicit FilesOfAnOpen(const std::string& db) {
    for (const std::string& path : {db, db + "-lock", db + kEngineWalSuffix}) {
      std::error_code ec;
      files_.push_back({path, std::filesystem::exists(path, ec) || ec});
    }
  }
  // Removes the files that did not exist before; the database only if empty
  // (it cannot hold anything of the user's).
  void RemoveCreated() const {
    for (size_t i = 0; i < files_.size(); i++) {
      if (files_[i].existed) continue;
      std::error_code ec;
      if (i == 0 && std::filesystem::file_size(files_[i].path, ec) != 0) continue;
      std::filesystem::remove(files_[i].path, ec);
    }
  }

 private:
  struct File {
    std::string path;
    bool existed;
  };
  std::vector<File> files_;
};

int OpenMainDb(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  StoreOptions options;
  Status s = ReadUriOptions(name, &options);
  if (!s.ok()) return OpenFailed(s.message() + " (opening " + name + ")", SQLITE_CANTOPEN);
  const FilesOfAnOpen files(name);

  auto* f = new (file) LightningFile();
  f->base.pMethods = nullptr;
  sqlite3_file* lower = f->lower();
  int rc = LowerVfs(vfs)->xOpen(LowerVfs(vfs), name, lower, flags, out_flags);
  if (rc != SQLITE_OK) {
    f->~LightningFile();
    return rc;
  }
  auto opened = PageStore::Open(name, options);
  if (!opened.ok()) {
    if (lower->pMethods) lower->pMethods->xClose(lower);
    f->~LightningFile();
    files.RemoveCreated();
    std::string message = "lightning VFS: cannot open " + std::string(name) + ": ";
    if (opened.status().IsInvalidArgument()) {
      message +=
          "to convert a plain SQLite database, open it normally and run "
          "VACUUM INTO 'file:new.db?vfs=lightning'; ";
    }
    message += opened.status().ToString();
    return OpenFailed(message, StatusToSqliteCode(opened.status(), SqliteContext::kOpen));
  }
  f->store = std::move(opened).value();
  f->store->Attach(&f->read_cache);
  WarnAboutIgnoredOptions(*f->store, options);
  f->base.pMethods = MainDbMethods();
  t_last_open_error.clear();  // the last open on this thread succeeded
  return SQLITE_OK;
}

// Main databases get a LightningFile; everything else is the lower VFS's own.
int xOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags,
          int* out_flags) noexcept {
  file->pMethods = nullptr;
  if ((flags & SQLITE_OPEN_MAIN_DB) == 0 || name == nullptr) {
    return LowerVfs(vfs)->xOpen(LowerVfs(vfs), name, file, flags, out_flags);
  }
  return GuardedCall([&] { return OpenMainDb(vfs, name, file, flags, out_flags); }, SQLITE_NOMEM);
}

int xDelete(sqlite3_vfs* vfs, const char* name, int sync_dir) noexcept {
  return LowerVfs(vfs)->xDelete(LowerVfs(vfs), name, sync_dir);
}

int xAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out) noexcept {
  return LowerVfs(vfs)->xAccess(LowerVfs(vfs), name, flags, out);
}

int xFullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) noexcept {
  return LowerVfs(vfs)->xFullPathname(LowerVfs(vfs), name, n, out);
}

void* xDlOpen(sqlite3_vfs* vfs, const char* path) noexcept {
  return LowerVfs(vfs)->xDlOpen(LowerVfs(vfs), path);
}

void xDlError(sqlite3_vfs* vfs, int n, char* msg) noexcept {
  LowerVfs(vfs)->xDlError(LowerVfs(vfs), n, msg);
}

void (*xDlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return LowerVfs(vfs)->xDlSym(LowerVfs(vfs), handle, symbol);
}

void xDlClose(sqlite3_vfs* vfs, void* handle) noexcept {
  LowerVfs(vfs)->xDlClose(LowerVfs(vfs), handle);
}

int xRandomness(sqlite3_vfs* vfs, int n, char* out) noexcept {
  return LowerVfs(vfs)->xRandomness(LowerVfs(vfs), n, out);
}

int xSleep(sqlite3_vfs* vfs, int micros) noexcept {
  return LowerVfs(vfs)->xSleep(LowerVfs(vfs), micros);
}

int xCurrentTime(sqlite3_vfs* vfs, double* out) noexcept {
  return LowerVfs(vfs)->xCurrentTime(LowerVfs(vfs), out);
}

int xGetLastError(sqlite3_vfs* vfs, int n, char* out) noexcept {
  return LowerVfs(vfs)->xGetLastError ? LowerVfs(vfs)->xGetLastError(LowerVfs(vfs), n, out) : 0;
}

int xCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) noexcept {
  return LowerVfs(vfs)->xCurrentTimeInt64(LowerVfs(vfs), out);
}

int xSetSystemCall(sqlite3_vfs* vfs, const char* name, sqlite3_syscall_ptr call) noexcept {
  return LowerVfs(vfs)->xSetSystemCall(LowerVfs(vfs), name, call);
}

sqlite3_syscall_ptr xGetSystemCall(sqlite3_vfs* vfs, const char* name) noexcept {
  return LowerVfs(vfs)->xGetSystemCall(LowerVfs(vfs), name);
}

const char* xNextSystemCall(sqlite3_vfs* vfs, const char* name) noexcept {
  return LowerVfs(vfs)->xNextSystemCall(LowerVfs(vfs), name);
}

int Register() {
  sqlite3_vfs* existing = sqlite3_vfs_find(kVfsName);
  if (existing != nullptr) {
    // Another copy of the library registered it first; keep that one.
    sqlite3_log(SQLITE_OK, "lightning VFS: a VFS named \"lightning\" is registered already");
    return SQLITE_OK;
  }
  sqlite3_vfs* lower = sqlite3_vfs_find(nullptr);
  if (lower == nullptr) return SQLITE_ERROR;
  std::memset(&g_vfs, 0, sizeof(g_vfs));
  g_vfs.iVersion = lower->iVersion < 3 ? lower->iVersion : 3;
  g_vfs.szOsFile = static_cast<int>(kLowerOffset) + lower->szOsFile;
  g_vfs.mxPathname = lower->mxPathname;
  g_vfs.zName = kVfsName;
  g_vfs.pAppData = lower;
  g_vfs.xOpen = xOpen;
  g_vfs.xDelete = xDelete;
  g_vfs.xAccess = xAccess;
  g_vfs.xFullPathname = xFullPathname;
  g_vfs.xDlOpen = xDlOpen;
  g_vfs.xDlError = xDlError;
  g_vfs.xDlSym = xDlSym;
  g_vfs.xDlClose = xDlClose;
  g_vfs.xRandomness = xRandomness;
  g_vfs.xSleep = xSleep;
  g_vfs.xCurrentTime = xCurrentTime;
  g_vfs.xGetLastError = xGetLastError;
  if (g_vfs.iVersion >= 2) g_vfs.xCurrentTimeInt64 = xCurrentTimeInt64;
  if (g_vfs.iVersion >= 3) {
    g_vfs.xSetSystemCall = xSetSystemCall;
    g_vfs.xGetSystemCall = xGetSystemCall;
    g_vfs.xNextSystemCall = xNextSystemCall;
  }
  return sqlite3_vfs_register(&g_vfs, /*makeDflt=*/0);
}

}  // namespace

std::string LastOpenError() { return t_last_open_error; }

}  // namespace lightning::vfs

extern "C" int lightning_vfs_register(void) {
  static std::once_flag once;
  static int rc = SQLITE_OK;
  std::call_once(once, [] { rc = lightning::vfs::Register(); });
  return rc;
}
