// sqlite3_value <-> SqlValue, and SQLite's affinity rules for lightning tables.
#include <cmath>

#include "ext/vtab/vtab.h"

namespace lightning::ext {
namespace {

// sqlite3VdbeIntegerAffinity(): a REAL that is exactly an integer (strictly
// inside the int64 range) becomes that INTEGER.
SqlValue IntegerIfExact(double r) {
  if (r > -9223372036854775808.0 && r < 9223372036854775808.0) {
    auto i = static_cast<int64_t>(r);
    if (static_cast<double>(i) == r && i > INT64_MIN && i < INT64_MAX) return SqlValue::Integer(i);
  }
  return SqlValue::Real(r);
}

// SQLite's numeric conversion of a TEXT value (leading/trailing spaces allowed,
// no hex), done by SQLite itself on a copy. Returns false if not numeric.
bool TextAsNumber(sqlite3_value* v, SqlValue* out) {
  sqlite3_value* dup = sqlite3_value_dup(v);
  if (dup == nullptr) throw std::bad_alloc();
  int t = sqlite3_value_numeric_type(dup);
  bool ok = true;
  if (t == SQLITE_INTEGER)
    *out = SqlValue::Integer(sqlite3_value_int64(dup));
  else if (t == SQLITE_FLOAT)
    *out = SqlValue::Real(sqlite3_value_double(dup));
  else
    ok = false;
  sqlite3_value_free(dup);
  return ok;
}

// SQLite's text rendering of a number (the same text a TEXT column stores).
SqlValue NumberAsText(sqlite3_value* v, std::string* scratch) {
  sqlite3_value* dup = sqlite3_value_dup(v);
  if (dup == nullptr) throw std::bad_alloc();
  const unsigned char* text = sqlite3_value_text(dup);
  if (text == nullptr) {
    sqlite3_value_free(dup);
    throw std::bad_alloc();
  }
  scratch->assign(reinterpret_cast<const char*>(text),
                  static_cast<size_t>(sqlite3_value_bytes(dup)));
  sqlite3_value_free(dup);
  return SqlValue::Text(*scratch);
}

}  // namespace

SqlValue FromSqlite(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return SqlValue::Integer(sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return SqlValue::Real(sqlite3_value_double(v));
    case SQLITE_TEXT: {
      // sqlite3_value_bytes() first: it converts UTF-16 text to UTF-8 in
      // place; sqlite3_value_blob() then returns those bytes. Unlike
      // sqlite3_value_text() it does not need a NUL after them, which SQLite
      // would add by copying a value bound with an explicit length.
      int n = sqlite3_value_bytes(v);
      if (n == 0) {  // empty, or a conversion that ran out of memory
        if (sqlite3_value_text(v) == nullptr) throw std::bad_alloc();
        return SqlValue::Text(std::string_view());
      }
      const void* p = sqlite3_value_blob(v);
      if (p == nullptr) throw std::bad_alloc();
      return SqlValue::Text({static_cast<const char*>(p), static_cast<size_t>(n)});
    }
    case SQLITE_BLOB: {
      const void* p = sqlite3_value_blob(v);
      int n = sqlite3_value_bytes(v);
      return SqlValue::Blob(
          n > 0 ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n))
                : std::string_view());
    }
    default:
      return SqlValue::Null();
  }
}

SqlValue ApplyAffinity(sqlite3_value* v, Affinity affinity, std::string* scratch) {
  int type = sqlite3_value_type(v);
  switch (affinity) {
    case Affinity::kBlob:
      return FromSqlite(v);
    case Affinity::kText:
      if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) return NumberAsText(v, scratch);
      return FromSqlite(v);
    case Affinity::kNumeric:
    case Affinity::kInteger:
    case Affinity::kReal: {
      SqlValue x = FromSqlite(v);
      if (type == SQLITE_TEXT) {
        SqlValue n;
        if (!TextAsNumber(v, &n)) return x;
        x = n;
      }
      if (affinity == Affinity::kReal) {
        // SQLite stores a whole REAL of a REAL column as an integer and reads it
        // back as REAL: -0.0 comes back as 0.0.
        if (x.type == SqlValue::Type::kInteger) return SqlValue::Real(static_cast<double>(x.i));
        if (x.type == SqlValue::Type::kReal) {
          SqlValue i = IntegerIfExact(x.r);
          if (i.type == SqlValue::Type::kInteger) return SqlValue::Real(static_cast<double>(i.i));
        }
        return x;
      }
      if (x.type == SqlValue::Type::kReal) return IntegerIfExact(x.r);
      return x;
    }
  }
  return FromSqlite(v);
}

SqlValue ConstraintValue(sqlite3_value* v, Affinity affinity, std::string* scratch) {
  int type = sqlite3_value_type(v);
  switch (affinity) {
    case Affinity::kBlob:
      return FromSqlite(v);
    case Affinity::kText:
      if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) return NumberAsText(v, scratch);
      return FromSqlite(v);
    default: {
      // Numeric column: a numeric-looking TEXT operand compares as a number;
      // INTEGER and REAL operands compare numerically as they are.
      SqlValue n;
      if (type == SQLITE_TEXT && TextAsNumber(v, &n)) return n;
      return FromSqlite(v);
    }
  }
}

void ResultValue(sqlite3_context* ctx, const SqlValue& v) {
  switch (v.type) {
    case SqlValue::Type::kNull:
      sqlite3_result_null(ctx);
      break;
    case SqlValue::Type::kInteger:
      sqlite3_result_int64(ctx, v.i);
      break;
    case SqlValue::Type::kReal:
      sqlite3_result_double(ctx, v.r);
      break;
    case SqlValue::Type::kText:
      sqlite3_result_text(ctx, v.bytes.empty() ? "" : v.bytes.data(),
                          static_cast<int>(v.bytes.size()), SQLITE_TRANSIENT);
      break;
    case SqlValue::Type::kBlob:
      if (v.bytes.empty())
        sqlite3_result_zeroblob(ctx, 0);
      else
        sqlite3_result_blob(ctx, v.bytes.data(), static_cast<int>(v.bytes.size()),
                            SQLITE_TRANSIENT);
      break;
  }
}

}  // namespace lightning::ext
