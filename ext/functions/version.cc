/*
** lightning_version(): what is loaded, into what, running which SIMD code.
**
** USAGE
**
**   SELECT lightning_version();
**
** EXAMPLE
**
**   sqlite> SELECT lightning_version();
**   lightning 0.1.0 (sqlite 3.40.1, simd AVX2)
**
** IMPLEMENTATION NOTES
**
**   The extension's version comes from CMake (project VERSION); the SQLite
**   version is the one of the process it is loaded into (sqlite3_libversion(),
**   which may differ from the headers it was built with); the SIMD target is
**   the best of Highway's run-time dispatch targets that this CPU supports and
**   this build compiled in. Deterministic and innocuous.
**
** LIMITATIONS
**
**   None.
*/
#include <hwy/targets.h>

#include <string>

#include "ext/sqlite_api.h"
#include "vfs/guarded_call.h"

#ifndef LIGHTNING_VERSION
#define LIGHTNING_VERSION "0.0.0"
#endif

namespace lightning::ext {
namespace {

// Highway targets: a lower bit is a better target.
const char* SimdTargetName() {
  int64_t targets = hwy::SupportedTargets() & HWY_TARGETS;
  if (targets == 0) return "none";
  return hwy::TargetName(targets & -targets);
}

void VersionFunc(sqlite3_context* ctx, int, sqlite3_value**) noexcept {
  GuardedResult(ctx, [&] {
    std::string v = std::string("lightning ") + LIGHTNING_VERSION + " (sqlite " +
                    sqlite3_libversion() + ", simd " + SimdTargetName() + ")";
    sqlite3_result_text(ctx, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  });
}

}  // namespace

int RegisterVersionFunction(sqlite3* db) {
  return sqlite3_create_function_v2(db, "lightning_version", 0,
                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                    VersionFunc, nullptr, nullptr, nullptr);
}

}  // namespace lightning::ext
