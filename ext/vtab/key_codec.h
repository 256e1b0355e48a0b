// Key codec: an order-preserving, type-tagged encoding of one SQL value.
//
// memcmp() order of encoded keys equals SQLite's order of the values under the
// BINARY collation: NULL < numbers (INTEGER and REAL compared numerically) <
// TEXT (bytewise) < BLOB (bytewise). Values SQLite considers equal encode to
// equal bytes: INTEGER 3 and REAL 3.0 are one key, as they are one PRIMARY KEY
// value in a native table. Whether a numeric key was REAL is therefore not in
// the key; the row record carries that bit (see record.h, kRecordKeyIsReal).
//
// Layout (first byte is the tag):
//   0x05                      NULL
//   0x11 + 8 bytes [+ 2]      a number x: d = the largest double <= x, its IEEE
//                             bits rearranged so that unsigned big-endian order
//                             is numeric order; then, only for an INTEGER that
//                             d does not represent exactly (|x| > 2^53), the
//                             remainder x - d (1..2047) as 2 big-endian bytes.
//                             Rounding d down keeps the remainder positive, so
//                             "no remainder" sorts first and x < y iff
//                             (d, rem) < (d', rem').
//   0x20 + bytes              TEXT (UTF-8, verbatim)
//   0x30 + bytes              BLOB (verbatim)
// A key is always one whole value, so TEXT and BLOB need no terminator. An
// INTEGER key takes 9 bytes (11 beyond +-2^53). NaN never reaches the codec
// (SQLite stores NULL instead).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ext/sql_value.h"

namespace lightning::ext {

inline constexpr uint8_t kKeyTagNull = 0x05;
inline constexpr uint8_t kKeyTagNumber = 0x11;
inline constexpr uint8_t kKeyTagText = 0x20;
inline constexpr uint8_t kKeyTagBlob = 0x30;

// The longest TEXT or BLOB key value, in bytes, that a store with pages of
// `page_size` bytes accepts: the engine's key limit (min(kMaxKeySize,
// page_size / 4), lightning/db.h) less the one tag byte of the encoding.
// 2047 bytes with the default 8 KiB pages. Numeric keys (9 or 11 bytes) and
// NULL always fit.
size_t MaxKeyValueSize(uint32_t page_size);

// The bytes of `encoded` a user sees as the key's size: the value's length for
// TEXT and BLOB (the encoding less its tag byte). REQUIRES: !encoded.empty().
inline size_t KeyValueSize(std::string_view encoded) { return encoded.size() - 1; }

// Replaces *out with the encoding of `value`.
void EncodeKey(const SqlValue& value, std::string* out);

// The 9-byte encoding of an integer key (rowids).
std::string EncodeIntegerKey(int64_t value);

// Decodes `key` into *value. TEXT and BLOB views point into `key`. A numeric
// key decodes as INTEGER when it is a whole number that fits int64 and
// `prefer_real` is false, else as REAL. Returns false if `key` is malformed.
bool DecodeKey(std::string_view key, bool prefer_real, SqlValue* value);

// Same as DecodeKey(key, false, &v) yielding an INTEGER v: sets *value to
// v.i and returns true; false when `key` is malformed or not an integer.
// Cheaper for the 9-byte keys of integers within +-2^53 (every rowid key of
// a table that did not go near the int64 limits).
bool DecodeIntegerKey(std::string_view key, int64_t* value);

// True if the encoded numeric key needs the "key is REAL" bit to be decoded
// faithfully (a whole number that could be either INTEGER or REAL).
bool KeyIsWholeNumber(std::string_view key);

// Compares two values in SQLite's order (BINARY collation); <0, 0, >0.
// The reference the codec is tested against.
int CompareSqlValues(const SqlValue& a, const SqlValue& b);

}  // namespace lightning::ext
