#include "lightning/status.h"

namespace lightning {

const std::string& Status::message() const {
  static const std::string kEmpty;
  return message_ ? *message_ : kEmpty;
}

const char* Status::CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      return "NotFound";
    case Code::kCorruption:
      return "Corruption";
    case Code::kNotSupported:
      return "NotSupported";
    case Code::kInvalidArgument:
      return "InvalidArgument";
    case Code::kIOError:
      return "IOError";
    case Code::kBusy:
      return "Busy";
    case Code::kLocked:
      return "Locked";
    case Code::kNoSpace:
      return "NoSpace";
    case Code::kNoMemory:
      return "NoMemory";
    case Code::kReadOnly:
      return "ReadOnly";
    case Code::kAborted:
      return "Aborted";
    case Code::kInterrupted:
      return "Interrupted";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = CodeName(code_);
  s += ": ";
  s += message();
  return s;
}

}  // namespace lightning
