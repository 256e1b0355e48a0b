// Record: the compact row format stored as a tree value.
//
// A row's non-key columns, in declaration order, in a layout close to SQLite's
// own record format:
//
//   flags      1 byte   bit 0 (kRecordKeyIsReal): the key is a whole-number
//                       REAL (3.0, not 3); other bits zero, reserved
//   n          varint   number of columns stored
//   type[n]    varint   per column: 0 NULL, 1 integer 0, 2 integer 1,
//                       3..10 integer of (type-2) bytes, 11 REAL (8 bytes),
//                       12+2L TEXT of L bytes, 13+2L BLOB of L bytes
//   body                the payloads, in column order
//
// Integers are big-endian two's complement in the fewest bytes that hold them,
// REALs are IEEE-754 big-endian. Varints are LEB128 (7 bits per byte, low
// first). Columns beyond n read as NULL, so a record written with fewer
// columns stays readable.
//
// RecordReader parses the header once and then decodes any column on demand,
// without copying: TEXT and BLOB views point into the record bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ext/sql_value.h"

namespace lightning::ext {

inline constexpr uint8_t kRecordKeyIsReal = 0x01;

// Replaces *out with the record of `columns`.
void EncodeRecord(const SqlValue* columns, size_t count, uint8_t flags, std::string* out);
inline void EncodeRecord(const std::vector<SqlValue>& columns, uint8_t flags, std::string* out) {
  EncodeRecord(columns.data(), columns.size(), flags, out);
}

class RecordReader {
 public:
  // Parses the header of `record`, which must outlive the reader's use.
  // Returns false if the record is malformed (truncated, lengths past the end).
  bool Parse(std::string_view record);

  uint8_t flags() const { return flags_; }
  size_t size() const { return size_; }
  // Column `i` (NULL when i >= size()). REQUIRES: Parse() returned true.
  SqlValue Column(size_t i) const;

 private:
  std::string_view record_;
  uint8_t flags_ = 0;
  size_t size_ = 0;  // columns of the parsed record
  // Per column; grown, never shrunk, so that parsing row after row does not
  // allocate. Entries past size_ are stale.
  std::vector<uint64_t> types_;
  std::vector<uint32_t> offsets_;  // offset of each column's payload in the body
  uint32_t body_start_ = 0;        // where the body starts in record_
};

// LEB128 varints, shared with tests.
void PutVarint(uint64_t v, std::string* out);
// Reads a varint at *pos, advancing it; false if truncated or longer than 10 bytes.
bool GetVarint(std::string_view in, size_t* pos, uint64_t* v);

}  // namespace lightning::ext
