// Access to SQLite for every ext/ translation unit except extension.cc.
//
// The extension calls SQLite only through the sqlite3_api routine table that
// SQLite hands to sqlite3_lightning_init (sqlite3ext.h redirects every
// sqlite3_* name to it). extension.cc holds the one SQLITE_EXTENSION_INIT1;
// everything else includes this header (SQLITE_EXTENSION_INIT3).
#pragma once

#include <sqlite3ext.h>

SQLITE_EXTENSION_INIT3

static_assert(
    SQLITE_VERSION_NUMBER >= 3038000,
    "lightning needs the SQLite >= 3.38 headers (sqlite3_vtab_in, LIMIT/OFFSET constraints)");

namespace lightning::ext {

// The oldest SQLite the extension runs in: sqlite3_vtab_in(), sqlite3_vtab_rhs_value()
// and LIMIT/OFFSET constraints arrived in 3.38.0.
inline constexpr int kMinSqliteVersion = 3038000;

}  // namespace lightning::ext
