// The io_methods of a main database opened through the lightning VFS: reads,
// writes, truncation, size and sync go to the PageStore; locks and the WAL
// index go to the lower file (one line each, as in cksumvfs.c).
#include "vfs/vfs_file.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <string>

#include "vfs/guarded_call.h"
#include "vfs/lightning_vfs.h"

namespace lightning::vfs {
namespace {

LightningFile* Self(sqlite3_file* f) { return reinterpret_cast<LightningFile*>(f); }
sqlite3_file* Lower(sqlite3_file* f) { return Self(f)->lower(); }

// Commits what is pending; used wherever SQLite ends a write without xSync.
int CommitPending(LightningFile* f, const char* when) {
  if (!f->store->HasPending()) return SQLITE_OK;
  return ReportError(f->store->Sync(), SQLITE_IOERR_FSYNC, when);
}

// Closes the lower file and destroys ours. The last handle on a database
// commits what is still pending (synchronous=OFF, VACUUM INTO's output).
int xClose(sqlite3_file* file) noexcept {
  LightningFile* f = Self(file);
  int rc = SQLITE_OK;
  if (f->store) {
    f->store->Detach(&f->read_cache);
    if (f->store.use_count() == 1) rc = CommitPending(f, "commit at close");
  }
  int lower_rc = Lower(file)->pMethods ? Lower(file)->pMethods->xClose(Lower(file)) : SQLITE_OK;
  f->~LightningFile();
  file->pMethods = nullptr;
  return rc != SQLITE_OK ? rc : lower_rc;
}

// Reads from pending writes or the store; a checksum failure is IOERR_DATA.
int xRead(sqlite3_file* file, void* buf, int amount, sqlite3_int64 offset) noexcept {
  return GuardedCall(
      [&] {
        size_t got = 0;
        LightningFile* f = Self(file);
        Status s = f->store->Read(static_cast<uint64_t>(offset), static_cast<size_t>(amount),
                                  static_cast<char*>(buf), &got, &f->read_cache);
        if (!s.ok()) return ReportError(s, SQLITE_IOERR_READ, "read");
        return got < static_cast<size_t>(amount) ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
      },
      SQLITE_IOERR_NOMEM);
}

// Buffers the write until xSync (visible to every connection at once).
int xWrite(sqlite3_file* file, const void* buf, int amount, sqlite3_int64 offset) noexcept {
  return GuardedCall(
      [&] {
        Status s =
            Self(file)->store->Write(static_cast<uint64_t>(offset), static_cast<const char*>(buf),
                                     static_cast<size_t>(amount));
        return s.ok() ? SQLITE_OK : ReportError(s, SQLITE_IOERR_WRITE, "write");
      },
      SQLITE_IOERR_NOMEM);
}

int xTruncate(sqlite3_file* file, sqlite3_int64 size) noexcept {
  return GuardedCall(
      [&] {
        Status s = Self(file)->store->Truncate(static_cast<uint64_t>(size));
        return s.ok() ? SQLITE_OK : ReportError(s, SQLITE_IOERR_TRUNCATE, "truncate");
      },
      SQLITE_IOERR_NOMEM);
}

// The commit point: every pending page and the size, in one engine transaction.
int xSync(sqlite3_file* file, int flags) noexcept {
  return GuardedCall(
      [&] {
        Status s = Self(file)->store->Sync();
        return s.ok() ? SQLITE_OK : ReportError(s, SQLITE_IOERR_FSYNC, "sync");
      },
      SQLITE_IOERR_NOMEM);
}

int xFileSize(sqlite3_file* file, sqlite3_int64* size) noexcept {
  *size = static_cast<sqlite3_int64>(Self(file)->store->Size());
  return SQLITE_OK;
}

int xLock(sqlite3_file* file, int level) noexcept {
  return Lower(file)->pMethods->xLock(Lower(file), level);
}

// Ending a write transaction without xSync (synchronous=OFF) commits here.
int xUnlock(sqlite3_file* file, int level) noexcept {
  int rc = SQLITE_OK;
  if (level <= SQLITE_LOCK_SHARED) {
    rc = GuardedCall([&] { return CommitPending(Self(file), "commit at unlock"); },
                     SQLITE_IOERR_NOMEM);
  }
  int lower_rc = Lower(file)->pMethods->xUnlock(Lower(file), level);
  return rc != SQLITE_OK ? rc : lower_rc;
}

int xCheckReservedLock(sqlite3_file* file, int* out) noexcept {
  return Lower(file)->pMethods->xCheckReservedLock(Lower(file), out);
}

// PRAGMA lightning_checkpoint | lightning_vfs_stats | lightning_<option>[=value].
int Pragma(LightningFile* f, char** args) {
  const std::string name = args[1];
  const char* value = args[2];
  if (name.rfind("lightning_", 0) != 0) return SQLITE_NOTFOUND;
  const std::string what = name.substr(10);
  DB* db = f->store->db();
  if (what == "checkpoint") {
    Status s = f->store->Sync();
    if (s.ok()) s = db->Checkpoint();
    if (!s.ok()) {
      args[0] = sqlite3_mprintf("lightning_checkpoint: %s", s.ToString().c_str());
      return SQLITE_ERROR;
    }
    args[0] = sqlite3_mprintf("ok");
    return SQLITE_OK;
  }
  if (what == "vfs_stats") {
    std::string text;
    for (const Metric& m : f->store->Metrics()) {
      // As lightning_stats shows them: counts and bytes as integers, other
      // figures as SQLite prints a REAL (%!.15g: 0.057685018, not
      // 0.057685017999999998).
      char line[160];
      const bool integer = m.unit == "count" || m.unit == "bytes" || m.unit == "lsn";
      if (std::isnan(m.value))  // unknown: nothing measured yet (NULL in lightning_stats)
        sqlite3_snprintf(sizeof(line), line, "%s=\n", m.name.c_str());
      else if (integer)
        sqlite3_snprintf(sizeof(line), line, "%s=%lld\n", m.name.c_str(),
                         static_cast<long long>(m.value));
      else
        sqlite3_snprintf(sizeof(line), line, "%s=%!.15g\n", m.name.c_str(), m.value);
      text += line;
    }
    if (!text.empty()) text.pop_back();
    args[0] = sqlite3_mprintf("%s", text.c_str());
    return SQLITE_OK;
  }
  if (FindOption(what) == nullptr) return SQLITE_NOTFOUND;
  if (value != nullptr) {
    Status s = db->SetOption(what, value);
    if (!s.ok()) {
      args[0] = sqlite3_mprintf("%s", s.message().c_str());
      return SQLITE_ERROR;
    }
  }
  std::string current;
  (void)db->GetOptions().Get(what, &current);
  args[0] = sqlite3_mprintf("%s", current.c_str());
  return SQLITE_OK;
}

// File controls that would touch the lower file's bytes (which are the
// engine's) are answered here; the rest are forwarded.
int xFileControl(sqlite3_file* file, int op, void* arg) noexcept {
  LightningFile* f = Self(file);
  sqlite3_file* lower = Lower(file);
  return GuardedCall(
      [&] {
        switch (op) {
          case SQLITE_FCNTL_SIZE_HINT:
          case SQLITE_FCNTL_CHUNK_SIZE:
            return SQLITE_OK;  // the store allocates its own space
          case SQLITE_FCNTL_MMAP_SIZE:
            *static_cast<sqlite3_int64*>(arg) = 0;  // pages are transformed: no mmap
            return SQLITE_OK;
          case SQLITE_FCNTL_CKPT_DONE:
            // A WAL checkpoint copied frames into the file; with synchronous=OFF
            // no xSync follows, and the WAL may be reset before the next one.
            (void)CommitPending(f, "commit after checkpoint");
            return SQLITE_OK;
          case SQLITE_FCNTL_PRAGMA:
            return Pragma(f, static_cast<char**>(arg));
          case SQLITE_FCNTL_VFSNAME: {
            int rc = lower->pMethods->xFileControl(lower, op, arg);
            char** name = static_cast<char**>(arg);
            *name = rc == SQLITE_OK && *name ? sqlite3_mprintf("%s/%z", kVfsName, *name)
                                             : sqlite3_mprintf("%s", kVfsName);
            return SQLITE_OK;
          }
          default:
            return lower->pMethods->xFileControl(lower, op, arg);
        }
      },
      SQLITE_NOMEM);
}

int xSectorSize(sqlite3_file* file) noexcept {
  return Lower(file)->pMethods->xSectorSize(Lower(file));
}

// Only what still holds: a write never changes bytes outside its range (a
// commit is atomic), and an immutable file stays immutable. Writes are not
// atomic one by one, nor ordered, nor safe to append, on their own.
int xDeviceCharacteristics(sqlite3_file* file) noexcept {
  const int lower = Lower(file)->pMethods->xDeviceCharacteristics(Lower(file));
  return SQLITE_IOCAP_POWERSAFE_OVERWRITE | (lower & SQLITE_IOCAP_IMMUTABLE);
}

int xShmMap(sqlite3_file* file, int page, int size, int extend, void volatile** p) noexcept {
  sqlite3_file* lower = Lower(file);
  if (lower->pMethods->iVersion < 2) return SQLITE_IOERR_SHMMAP;
  return lower->pMethods->xShmMap(lower, page, size, extend, p);
}

int xShmLock(sqlite3_file* file, int offset, int n, int flags) noexcept {
  return Lower(file)->pMethods->xShmLock(Lower(file), offset, n, flags);
}

void xShmBarrier(sqlite3_file* file) noexcept { Lower(file)->pMethods->xShmBarrier(Lower(file)); }

int xShmUnmap(sqlite3_file* file, int delete_flag) noexcept {
  sqlite3_file* lower = Lower(file);
  if (lower->pMethods->iVersion < 2) return SQLITE_OK;
  return lower->pMethods->xShmUnmap(lower, delete_flag);
}

// Memory mapping would bypass decompression and checksums: never a page.
int xFetch(sqlite3_file*, sqlite3_int64, int, void** p) noexcept {
  *p = nullptr;
  return SQLITE_OK;
}

int xUnfetch(sqlite3_file*, sqlite3_int64, void*) noexcept { return SQLITE_OK; }

const sqlite3_io_methods kMainDbMethods = {
    .iVersion = 3,  // xShm* (WAL) and xFetch
    .xClose = xClose,
    .xRead = xRead,
    .xWrite = xWrite,
    .xTruncate = xTruncate,
    .xSync = xSync,
    .xFileSize = xFileSize,
    .xLock = xLock,
    .xUnlock = xUnlock,
    .xCheckReservedLock = xCheckReservedLock,
    .xFileControl = xFileControl,
    .xSectorSize = xSectorSize,
    .xDeviceCharacteristics = xDeviceCharacteristics,
    .xShmMap = xShmMap,
    .xShmLock = xShmLock,
    .xShmBarrier = xShmBarrier,
    .xShmUnmap = xShmUnmap,
    .xFetch = xFetch,
    .xUnfetch = xUnfetch,
};

}  // namespace

const sqlite3_io_methods* MainDbMethods() { return &kMainDbMethods; }

int ReportError(const Status& status, int fallback, const char* operation) {
  if (status.ok()) return SQLITE_OK;
  int code = fallback;
  switch (status.code()) {
    case Status::Code::kCorruption:
      code = SQLITE_IOERR_DATA;
      break;
    case Status::Code::kNoMemory:
      code = SQLITE_IOERR_NOMEM;
      break;
    case Status::Code::kNoSpace:
      code = SQLITE_FULL;
      break;
    case Status::Code::kBusy:
      code = SQLITE_BUSY;
      break;
    default:
      break;
  }
  Log(code, std::string("lightning VFS: ") + operation + " failed: " + status.ToString());
  return code;
}

void Log(int code, const std::string& message) {
  // sqlite3_log formats into a buffer of about 200 bytes: longer messages
  // (paths!) go out in pieces, cut at spaces where possible.
  constexpr size_t kPiece = 170;
  size_t at = 0;
  while (at < message.size()) {
    size_t n = std::min(kPiece, message.size() - at);
    if (at + n < message.size()) {
      size_t space = message.rfind(' ', at + n);
      if (space != std::string::npos && space > at + kPiece / 2) n = space - at;
    }
    sqlite3_log(code, "%s%.*s", at == 0 ? "" : "... ", static_cast<int>(n), message.c_str() + at);
    at += n;
    while (at < message.size() && message[at] == ' ') at++;
  }
}

DB* FileStore(sqlite3_file* file) {
  if (file == nullptr || file->pMethods != &kMainDbMethods) return nullptr;
  return Self(file)->store->db();
}

Status CompactFile(sqlite3_file* file) {
  if (file == nullptr || file->pMethods != &kMainDbMethods)
    return Status::InvalidArgument("not a database of the lightning VFS");
  return Self(file)->store->Compact();
}

bool FileMetrics(sqlite3_file* file, std::vector<Metric>* metrics) {
  if (file == nullptr || file->pMethods != &kMainDbMethods) return false;
  *metrics = Self(file)->store->Metrics();
  return true;
}

}  // namespace lightning::vfs
