#include "vfs/status_to_sqlite.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace lightning {
namespace {

TEST(StatusToSqlite, Codes) {
  EXPECT_EQ(StatusToSqliteCode(Status::OK()), SQLITE_OK);
  EXPECT_EQ(StatusToSqliteCode(Status::Busy("b")), SQLITE_BUSY);
  EXPECT_EQ(StatusToSqliteCode(Status::Locked("held by pid 7")), SQLITE_BUSY);
  EXPECT_EQ(StatusToSqliteCode(Status::Corruption("c")), SQLITE_CORRUPT);
  EXPECT_EQ(StatusToSqliteCode(Status::IOError("e")), SQLITE_IOERR);
  EXPECT_EQ(StatusToSqliteCode(Status::IOError("e"), SqliteContext::kOpen), SQLITE_CANTOPEN);
  EXPECT_EQ(StatusToSqliteCode(Status::NoSpace("n")), SQLITE_FULL);
  EXPECT_EQ(StatusToSqliteCode(Status::NoMemory("m")), SQLITE_NOMEM);
  EXPECT_EQ(StatusToSqliteCode(Status::ReadOnly("r")), SQLITE_READONLY);
  EXPECT_EQ(StatusToSqliteCode(Status::Aborted("a")), SQLITE_ABORT);
  EXPECT_EQ(StatusToSqliteCode(Status::Interrupted("stopped")), SQLITE_INTERRUPT);
  EXPECT_EQ(StatusToSqliteCode(Status::InvalidArgument("i")), SQLITE_ERROR);
  EXPECT_EQ(StatusToSqliteCode(Status::InvalidArgument("i"), SqliteContext::kWrite), SQLITE_TOOBIG);
  EXPECT_EQ(StatusToSqliteCode(Status::InvalidArgument("i"), SqliteContext::kOpen), SQLITE_NOTADB);
  EXPECT_EQ(StatusToSqliteCode(Status::NotFound("f")), SQLITE_ERROR);
  EXPECT_EQ(StatusToSqliteCode(Status::NotFound("f"), SqliteContext::kFileControl),
            SQLITE_NOTFOUND);
}

TEST(StatusToSqlite, Messages) {
  EXPECT_EQ(StatusToSqliteMessage(Status::OK()), "");
  EXPECT_EQ(StatusToSqliteMessage(Status::Busy("writer busy for 5000 ms")),
            "writer busy for 5000 ms");
  EXPECT_EQ(StatusToSqliteMessage(Status::Busy("")), "Busy");
}

}  // namespace
}  // namespace lightning
