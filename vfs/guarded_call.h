// Guarded calls: where C++ exceptions stop at the SQLite boundary.
//
// Every x-method and SQL function of the extension and the VFS is noexcept: an
// exception must not unwind into SQLite's C frames. Each runs its body through
// one of these instead of a try/catch of its own:
//
//   int xRead(...) noexcept { return GuardedCall([&] { ... return SQLITE_OK; },
//                                                SQLITE_IOERR_NOMEM); }
//   void Func(sqlite3_context* ctx, ...) noexcept { GuardedResult(ctx, [&] { ... }); }
//
// std::bad_alloc becomes the caller's out-of-memory code (SQLITE_NOMEM, or
// SQLITE_IOERR_NOMEM for file methods); any other exception SQLITE_INTERNAL,
// with "lightning: internal error: <what>" handed to `on_error` where the
// caller can show a message (a virtual table's zErrMsg).
//
// Here rather than in ext/ because vfs/ is the lowest SQLite-aware layer.
#pragma once

#include <exception>
#include <new>
#include <string>
#include <utility>

#include "vfs/sqlite_api.h"

namespace lightning {

// Runs `body` (returning an SQLite code); see above. `on_error(rc, message)`
// returns the code to report (it may store the message).
template <typename F, typename OnError>
int GuardedCall(F&& body, int nomem_code, OnError&& on_error) noexcept {
  std::string message;
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return nomem_code;
  } catch (const std::exception& e) {
    try {
      message = std::string("lightning: internal error: ") + e.what();
    } catch (...) {
      return nomem_code;
    }
  } catch (...) {
    return SQLITE_INTERNAL;
  }
  try {
    return on_error(SQLITE_INTERNAL, message);
  } catch (...) {
    return SQLITE_INTERNAL;
  }
}

template <typename F>
int GuardedCall(F&& body, int nomem_code = SQLITE_NOMEM) noexcept {
  return GuardedCall(std::forward<F>(body), nomem_code,
                     [](int rc, const std::string&) { return rc; });
}

// For SQL functions: runs `body` (which sets the result); an exception sets
// an out-of-memory or internal error result instead.
template <typename F>
void GuardedResult(sqlite3_context* ctx, F&& body) noexcept {
  const int rc = GuardedCall(
      [&] {
        body();
        return SQLITE_OK;
      },
      SQLITE_NOMEM,
      [ctx](int code, const std::string& message) {
        sqlite3_result_error(ctx, message.c_str(), -1);
        sqlite3_result_error_code(ctx, code);
        return code;
      });
  if (rc == SQLITE_NOMEM) sqlite3_result_error_nomem(ctx);  // body() threw bad_alloc
}

}  // namespace lightning
