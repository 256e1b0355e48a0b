// vfs/guarded_call.h: exceptions stop at the SQLite boundary as codes.
#include "vfs/guarded_call.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace lightning {
namespace {

TEST(GuardedCall, ReturnsTheBodysCode) {
  EXPECT_EQ(GuardedCall([] { return SQLITE_BUSY; }), SQLITE_BUSY);
}

TEST(GuardedCall, OutOfMemoryBecomesTheCallersCode) {
  EXPECT_EQ(GuardedCall([]() -> int { throw std::bad_alloc(); }), SQLITE_NOMEM);
  EXPECT_EQ(GuardedCall([]() -> int { throw std::bad_alloc(); }, SQLITE_IOERR_NOMEM),
            SQLITE_IOERR_NOMEM);
}

TEST(GuardedCall, OtherExceptionsAreInternalErrorsWithTheirMessage) {
  std::string seen;
  auto keep = [&](int rc, const std::string& message) {
    seen = message;
    return rc;
  };
  EXPECT_EQ(GuardedCall([]() -> int { throw std::runtime_error("boom"); }, SQLITE_NOMEM, keep),
            SQLITE_INTERNAL);
  EXPECT_EQ(seen, "lightning: internal error: boom");
  EXPECT_EQ(GuardedCall([]() -> int { throw 42; }), SQLITE_INTERNAL);
}

}  // namespace
}  // namespace lightning
