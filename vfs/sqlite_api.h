// Access to SQLite for vfs/ (except status_to_sqlite.cc, which needs only the
// constants): every call goes through the extension API table that
// sqlite3_lightning_init installs (ext/extension.cc holds the one
// SQLITE_EXTENSION_INIT1). Test programs that link libsqlite3 define the table
// pointer themselves (tests/vfs/sqlite_api_for_tests.cc).
#pragma once

#include <sqlite3ext.h>

SQLITE_EXTENSION_INIT3
