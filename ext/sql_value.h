// SqlValue: one SQL value (NULL, INTEGER, REAL, TEXT or BLOB) as plain data.
//
// The key codec and the record format work on SqlValue so that they can be
// tested without SQLite; the virtual table converts sqlite3_value to and from
// it (ext/vtab_values.cc). TEXT and BLOB hold a view: the bytes belong to
// whoever built the value (an sqlite3_value, a key, a record) and must outlive
// it.
#pragma once

#include <cstdint>
#include <string_view>

namespace lightning::ext {

struct SqlValue {
  // Declared in SQLite's sort order: NULL < numbers < TEXT < BLOB.
  enum class Type : uint8_t { kNull = 0, kInteger = 1, kReal = 2, kText = 3, kBlob = 4 };

  Type type = Type::kNull;
  int64_t i = 0;           // kInteger
  double r = 0;            // kReal
  std::string_view bytes;  // kText (UTF-8) and kBlob

  static SqlValue Null() { return SqlValue(); }
  static SqlValue Integer(int64_t v) {
    SqlValue x;
    x.type = Type::kInteger;
    x.i = v;
    return x;
  }
  static SqlValue Real(double v) {
    SqlValue x;
    x.type = Type::kReal;
    x.r = v;
    return x;
  }
  static SqlValue Text(std::string_view v) {
    SqlValue x;
    x.type = Type::kText;
    x.bytes = v;
    return x;
  }
  static SqlValue Blob(std::string_view v) {
    SqlValue x;
    x.type = Type::kBlob;
    x.bytes = v;
    return x;
  }

  bool is_null() const { return type == Type::kNull; }
  bool is_numeric() const { return type == Type::kInteger || type == Type::kReal; }
};

// Column affinity, as SQLite derives it from a declared type
// (https://sqlite.org/datatype3.html#determination_of_column_affinity).
enum class Affinity : uint8_t { kBlob, kText, kNumeric, kInteger, kReal };

// The affinity SQLite gives a column declared with `type` (rules 1-5, in order:
// "INT" -> INTEGER; "CHAR", "CLOB", "TEXT" -> TEXT; "BLOB" or no type -> BLOB;
// "REAL", "FLOA", "DOUB" -> REAL; anything else -> NUMERIC).
Affinity AffinityOfType(std::string_view type);
const char* AffinityName(Affinity affinity);

}  // namespace lightning::ext
