/*
** lightning_vfs_error(): why the last open of a database through the
** lightning VFS on this thread was refused, or NULL.
**
** USAGE
**
**   SELECT lightning_vfs_error();   -- on any connection with the extension
**
** EXAMPLE
**
**   sqlite> .open file:app.db?vfs=lightning&compresion=zstd
**   Error: unable to open database "file:app.db?vfs=lightning&compresion=zstd": unable to open
**   database file
**   sqlite> .open
**   sqlite> SELECT lightning_vfs_error();
**   lightning VFS: unknown URI parameter 'compresion'; did you mean 'compression'? (opening ...)
**
** IMPLEMENTATION NOTES
**
**   SQLite's xOpen returns only a result code, so sqlite3_open_v2 can report
**   no more than "unable to open database file" or "file is not a
**   database". The VFS keeps the reason of its last refusal per thread
**   (vfs::LastOpenError) and also sends it to sqlite3_log; a later
**   successful open through the VFS on the same thread clears it.
**
** LIMITATIONS
**
**   Per thread: ask from the thread that opened. Refusals that SQLite makes
**   itself (a missing directory, permissions) never reach the VFS's record.
*/
#include <string>

#include "ext/functions/functions.h"
#include "vfs/guarded_call.h"
#include "vfs/lightning_vfs.h"

namespace lightning::ext {
namespace {

void VfsErrorFunc(sqlite3_context* ctx, int, sqlite3_value**) noexcept {
  GuardedResult(ctx, [&] {
    const std::string reason = vfs::LastOpenError();
    if (reason.empty()) return sqlite3_result_null(ctx);
    sqlite3_result_text(ctx, reason.c_str(), static_cast<int>(reason.size()), SQLITE_TRANSIENT);
  });
}

}  // namespace

int RegisterVfsFunctions(sqlite3* db) {
  return sqlite3_create_function_v2(db, "lightning_vfs_error", 0, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                    nullptr, VfsErrorFunc, nullptr, nullptr, nullptr);
}

}  // namespace lightning::ext
