// Status -> SQLite result code, with the message, for every SQLite-facing layer
// (the lightning VFS and the virtual-table module).
//
// The engine reports errors as lightning::Status; SQLite wants an int result
// code plus an error string. This is the one place that decides the mapping,
// so that the same engine failure reads the same in every face:
//
//   Status code       SQLite code                 note
//   OK                SQLITE_OK
//   Busy              SQLITE_BUSY                 writer lock not granted in time
//   Locked            SQLITE_BUSY                 another process holds the store
//   Corruption        SQLITE_CORRUPT
//   IOError           SQLITE_IOERR                SQLITE_CANTOPEN when opening
//   NoSpace           SQLITE_FULL
//   NoMemory          SQLITE_NOMEM
//   ReadOnly          SQLITE_READONLY
//   Aborted           SQLITE_ABORT
//   Interrupted       SQLITE_INTERRUPT            sqlite3_interrupt or a progress
//                                                 handler stopped a long operation
//   NotSupported      SQLITE_ERROR                SQLITE_CANTOPEN when opening
//   InvalidArgument   SQLITE_ERROR                SQLITE_TOOBIG for a write (size
//                                                 limits), SQLITE_NOTADB when opening
//   NotFound          SQLITE_ERROR                SQLITE_NOTFOUND for file controls
//
// Pure: includes sqlite3.h for the constants only and calls no SQLite function,
// so it is usable from the extension (which reaches SQLite only through the
// API table) and from plain tests alike. Thread-safe (no state).
#pragma once

#include <string>

#include "lightning/status.h"

namespace lightning {

// Where the failing call came from; some codes map differently by context.
enum class SqliteContext {
  kGeneral,      // reads, commits, catalog operations
  kOpen,         // opening a store (DB::Open)
  kWrite,        // Put / Delete of a row
  kFileControl,  // a VFS xFileControl
};

// The SQLite result code for `status` (SQLITE_OK when status.ok()).
int StatusToSqliteCode(const Status& status, SqliteContext context = SqliteContext::kGeneral);

// The message to show the user: the status message, or the code's name when
// the status has none. "" when status.ok().
std::string StatusToSqliteMessage(const Status& status);

}  // namespace lightning
