#include "vfs/status_to_sqlite.h"

#include <sqlite3.h>

namespace lightning {

int StatusToSqliteCode(const Status& status, SqliteContext context) {
  using Code = Status::Code;
  const bool opening = context == SqliteContext::kOpen;
  switch (status.code()) {
    case Code::kOk:
      return SQLITE_OK;
    case Code::kBusy:
      return SQLITE_BUSY;
    case Code::kLocked:
      return SQLITE_BUSY;
    case Code::kCorruption:
      return SQLITE_CORRUPT;
    case Code::kIOError:
      return opening ? SQLITE_CANTOPEN : SQLITE_IOERR;
    case Code::kNoSpace:
      return SQLITE_FULL;
    case Code::kNoMemory:
      return SQLITE_NOMEM;
    case Code::kReadOnly:
      return SQLITE_READONLY;
    case Code::kAborted:
      return SQLITE_ABORT;
    case Code::kInterrupted:
      return SQLITE_INTERRUPT;
    case Code::kNotSupported:
      return opening ? SQLITE_CANTOPEN : SQLITE_ERROR;
    case Code::kInvalidArgument:
      if (context == SqliteContext::kWrite) return SQLITE_TOOBIG;
      if (opening) return SQLITE_NOTADB;
      return SQLITE_ERROR;
    case Code::kNotFound:
      return context == SqliteContext::kFileControl ? SQLITE_NOTFOUND : SQLITE_ERROR;
  }
  return SQLITE_ERROR;
}

std::string StatusToSqliteMessage(const Status& status) {
  if (status.ok()) return "";
  if (!status.message().empty()) return status.message();
  return Status::CodeName(status.code());
}

}  // namespace lightning
