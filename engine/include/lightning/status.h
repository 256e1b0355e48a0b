// Status: the outcome of an engine operation, as a value.
//
// A Status is either OK or carries a code and a message a user can act on
// ("key of 5000 bytes exceeds the 2048-byte limit"). Bad bytes on disk are
// Corruption, never an assert. Status is cheap to copy when OK (no allocation)
// and must not be ignored.
//
// Thread safety: a Status is a plain value; distinct objects may be used from
// different threads without synchronisation.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace lightning {

class [[nodiscard]] Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound,         // the key, tree or file does not exist
    kCorruption,       // bytes on disk fail a checksum or a structural check
    kNotSupported,     // e.g. a store written by a newer format version
    kInvalidArgument,  // bad option, oversized key, wrong call sequence
    kIOError,          // the operating system refused a read, write or sync
    kBusy,             // writer lock not granted within busy_timeout
    kLocked,           // the store is held by another process
    kNoSpace,          // ENOSPC / EDQUOT
    kNoMemory,         // allocation failed
    kReadOnly,         // write attempted in a read transaction or failed store
    kAborted,          // the transaction can no longer commit
    kInterrupted,      // a long operation stopped because its Progress said so
  };

  Status() noexcept = default;
  Status(const Status& other) { *this = other; }
  Status& operator=(const Status& other) {
    code_ = other.code_;
    message_ = other.message_ ? std::make_unique<std::string>(*other.message_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status NotSupported(std::string_view msg) { return Status(Code::kNotSupported, msg); }
  static Status InvalidArgument(std::string_view msg) {
    return Status(Code::kInvalidArgument, msg);
  }
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  static Status Busy(std::string_view msg) { return Status(Code::kBusy, msg); }
  static Status Locked(std::string_view msg) { return Status(Code::kLocked, msg); }
  static Status NoSpace(std::string_view msg) { return Status(Code::kNoSpace, msg); }
  static Status NoMemory(std::string_view msg) { return Status(Code::kNoMemory, msg); }
  static Status ReadOnly(std::string_view msg) { return Status(Code::kReadOnly, msg); }
  static Status Aborted(std::string_view msg) { return Status(Code::kAborted, msg); }
  static Status Interrupted(std::string_view msg) { return Status(Code::kInterrupted, msg); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsInterrupted() const { return code_ == Code::kInterrupted; }

  // The message alone ("" when OK).
  const std::string& message() const;
  // "Corruption: page 12 ..." — the code's name, then the message.
  std::string ToString() const;
  static const char* CodeName(Code code);

 private:
  Status(Code code, std::string_view msg)
      : code_(code), message_(std::make_unique<std::string>(msg)) {}

  Code code_ = Code::kOk;
  std::unique_ptr<std::string> message_;
};

}  // namespace lightning

// Returns from the enclosing function when `expr` yields a non-OK Status.
#define LIGHTNING_RETURN_IF_ERROR(expr)                    \
  do {                                                     \
    ::lightning::Status lightning_status_ = (expr);        \
    if (!lightning_status_.ok()) return lightning_status_; \
  } while (0)
