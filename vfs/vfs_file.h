// The open main-database file of the lightning VFS (internal to vfs/).
//
// SQLite allocates szOsFile bytes per file: a LightningFile, then the lower
// VFS's file at kLowerOffset. The lower file is the database path opened by
// the default VFS; it serves only the locks and the WAL index (xLock, xShm*);
// its bytes are the engine's data file and are never read or written through
// SQLite. Files that are not main databases (journals, WAL, temp files) are
// opened by the lower VFS directly in the whole block and never see this type.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "vfs/page_store.h"
#include "vfs/sqlite_api.h"

namespace lightning::vfs {

struct LightningFile {
  sqlite3_file base;  // first: SQLite sees a sqlite3_file*
  std::shared_ptr<PageStore> store;
  ReadCache read_cache;  // attached to `store` while open

  sqlite3_file* lower();
};

inline constexpr size_t kLowerOffset = (sizeof(LightningFile) + 15) & ~size_t{15};

inline sqlite3_file* LightningFile::lower() {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(this) + kLowerOffset);
}

// The io_methods of a main database (vfs_file.cc).
const sqlite3_io_methods* MainDbMethods();

// Logs (sqlite3_log) and maps a failed engine/PageStore call inside an x-method.
// `fallback` is the code for errors without a specific mapping (SQLITE_IOERR_READ, ...).
int ReportError(const Status& status, int fallback, const char* operation);

// sqlite3_log(code, message), split into pieces SQLite's log buffer can hold.
void Log(int code, const std::string& message);

}  // namespace lightning::vfs
