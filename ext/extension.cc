/*
** lightning.so: the Lightning storage engine as one loadable SQLite extension.
**
** USAGE
**
**   .load ./build/lightning                    -- sqlite3 shell
**   conn.load_extension("./build/lightning")    # Python (sqlite3)
**   db.loadExtension("./build/lightning.so")    // Node (better-sqlite3)
**
** EXAMPLE
**
**   .load ./build/lightning
**   SELECT lightning_version();
**   CREATE VIRTUAL TABLE kv USING lightning(k TEXT PRIMARY KEY, v);
**
** IMPLEMENTATION NOTES
**
**   The only SQLITE_EXTENSION_INIT1 of the extension: every other file reaches
**   SQLite through the same API table (sqlite_api.h). The entry point refuses
**   a SQLite older than 3.38.0 with a message, registers the `lightning`
**   module and the lightning_*() functions on the loading connection, and
**   registers itself once per process (std::call_once) with
**   sqlite3_auto_extension so that every later connection gets them too. It
**   returns SQLITE_OK_LOAD_PERMANENTLY: the library must stay loaded as long as
**   the process may open connections that use it.
**
** LIMITATIONS
**
**   Once loaded, the extension stays loaded for the life of the process.
*/
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <mutex>
#include <string>

#include "ext/connection.h"
#include "ext/functions/functions.h"
#include "ext/sqlite_api.h"
#include "ext/vtab/vtab.h"
#include "vfs/guarded_call.h"
#include "vfs/lightning_vfs.h"

namespace lightning::ext {
int RegisterVersionFunction(sqlite3* db);

namespace {

std::once_flag g_auto_extension_once;

int RegisterAll(sqlite3* db, char** err) noexcept {
  return GuardedCall([&] {
    if (sqlite3_libversion_number() < kMinSqliteVersion) {
      if (err)
        *err =
            sqlite3_mprintf("lightning needs SQLite 3.38.0 or later; this process runs SQLite %s",
                            sqlite3_libversion());
      return SQLITE_ERROR;
    }
    bool created = false;
    Connection* conn = Connection::Attach(db, &created);
    if (created) {
      int rc = RegisterLightningModule(db, conn);  // on failure SQLite destroys conn
      if (rc != SQLITE_OK) {
        if (err)
          *err = sqlite3_mprintf("lightning: cannot register the lightning module: %s",
                                 sqlite3_errmsg(db));
        return rc;
      }
    }
    int rc = RegisterVersionFunction(db);
    if (rc == SQLITE_OK) rc = RegisterFunctions(db);
    if (rc == SQLITE_OK) rc = lightning_vfs_register();  // the VFS: once per process, never default
    if (rc != SQLITE_OK && err)
      *err = sqlite3_mprintf("lightning: cannot register functions: %s", sqlite3_errmsg(db));
    return rc;
  });
}

// Called by SQLite for each new connection once the extension is loaded.
// Auto-extensions must return SQLITE_OK on success (any other value fails
// the open), so this is not the public entry point.
extern "C" int AutoInit(sqlite3* db, char** err, const sqlite3_api_routines* api) {
  SQLITE_EXTENSION_INIT2(api);
  return RegisterAll(db, err);
}

}  // namespace
}  // namespace lightning::ext

extern "C" __attribute__((visibility("default"))) int sqlite3_lightning_init(
    sqlite3* db, char** err, const sqlite3_api_routines* api) {
  SQLITE_EXTENSION_INIT2(api);
  int rc = lightning::ext::RegisterAll(db, err);
  if (rc != SQLITE_OK) return rc;
  std::call_once(lightning::ext::g_auto_extension_once, [] {
    sqlite3_auto_extension(reinterpret_cast<void (*)(void)>(&lightning::ext::AutoInit));
  });
  return SQLITE_OK_LOAD_PERMANENTLY;
}
