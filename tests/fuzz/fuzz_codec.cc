// Fuzz target: the key codec (ext/key_codec.*) and the row record format
// (ext/record.*), which decode bytes read back from a store.
//
// Input: one selector byte, then
//   sel % 4 == 0  bytes decoded as a key
//   sel % 4 == 1  a list of SQL values (see ReadValues), encoded as keys
//   sel % 4 == 2  bytes decoded as a record
//   sel % 4 == 3  a list of SQL values, encoded as a record
//
// Properties:
//   - decoders never read out of bounds, overflow or crash on any bytes;
//   - decode(encode(x)) == x for keys (numerically, with the REAL bit the
//     record keeps) and records (exactly, bit for bit);
//   - a decoded key re-encodes to a key that decodes to the same value;
//   - memcmp order of encoded keys == CompareSqlValues order of the values;
//   - a parsed record re-encodes to a record that parses to the same values.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ext/vtab/key_codec.h"
#include "ext/vtab/record.h"

using lightning::ext::SqlValue;
namespace ext = lightning::ext;

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "FUZZ PROPERTY VIOLATED: %s\n", what);
  std::abort();
}

uint64_t Bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

// Exactly the same value: type, and bits for REAL.
bool Identical(const SqlValue& a, const SqlValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case SqlValue::Type::kNull:
      return true;
    case SqlValue::Type::kInteger:
      return a.i == b.i;
    case SqlValue::Type::kReal:
      return Bits(a.r) == Bits(b.r);
    default:
      return a.bytes == b.bytes;
  }
}

// Values from bytes: a tag byte, then 8 bytes (INTEGER, REAL) or a length
// byte and that many bytes (TEXT, BLOB). Tags 5 and 6 give integers near
// +-2^53 and +-2^63, where the key codec needs its remainder bytes.
std::vector<SqlValue> ReadValues(const uint8_t* p, size_t n) {
  std::vector<SqlValue> values;
  size_t i = 0;
  auto fixed64 = [&](uint64_t* v) {
    *v = 0;
    for (int b = 0; b < 8; b++) *v = (*v << 8) | (i < n ? p[i++] : 0);
  };
  while (i < n && values.size() < 64) {
    const uint8_t tag = p[i++] % 8;
    uint64_t u = 0;
    switch (tag) {
      case 0:
        values.push_back(SqlValue::Null());
        break;
      case 1:
        fixed64(&u);
        values.push_back(SqlValue::Integer(static_cast<int64_t>(u)));
        break;
      case 2: {
        fixed64(&u);
        double d;
        std::memcpy(&d, &u, sizeof d);
        values.push_back(SqlValue::Real(d));
        break;
      }
      case 3:
      case 4: {
        size_t len = i < n ? p[i++] : 0;
        len = std::min(len, n - i);
        std::string_view bytes(reinterpret_cast<const char*>(p + i), len);
        i += len;
        values.push_back(tag == 3 ? SqlValue::Text(bytes) : SqlValue::Blob(bytes));
        break;
      }
      case 5:
      case 6: {
        const int64_t base = tag == 5 ? (int64_t{1} << 53) : INT64_MAX;
        const int64_t delta = i < n ? static_cast<int8_t>(p[i++]) * 17 : 0;
        int64_t v = tag == 5 ? base + delta : (delta >= 0 ? base - delta : INT64_MIN - delta);
        if (i < n && (p[i++] & 1)) v = v == INT64_MIN ? v : -v;
        values.push_back(SqlValue::Integer(v));
        break;
      }
      default: {  // small whole numbers as INTEGER or REAL: the 3 == 3.0 case
        int8_t s = i < n ? static_cast<int8_t>(p[i++]) : 0;
        values.push_back((s & 1) ? SqlValue::Real(s / 2) : SqlValue::Integer(s / 2));
      }
    }
  }
  return values;
}

int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

void FuzzKeyBytes(std::string_view key) {
  for (bool prefer_real : {false, true}) {
    SqlValue v;
    if (!ext::DecodeKey(key, prefer_real, &v)) continue;
    std::string again;
    ext::EncodeKey(v, &again);
    SqlValue w;
    if (!ext::DecodeKey(again, prefer_real, &w))
      Fail("a decoded key re-encodes to an undecodable key");
    if (ext::CompareSqlValues(v, w) != 0) Fail("a decoded key re-encodes to another value");
    (void)ext::KeyIsWholeNumber(key);
  }
}

void FuzzKeyValues(const std::vector<SqlValue>& values) {
  std::vector<std::string> keys(values.size());
  for (size_t i = 0; i < values.size(); i++) {
    const SqlValue& x = values[i];
    if (x.type == SqlValue::Type::kReal && std::isnan(x.r)) continue;  // SQLite stores NULL
    ext::EncodeKey(x, &keys[i]);
    // The row record keeps "the key is REAL" for whole numbers; decode with it.
    const bool prefer_real = x.type == SqlValue::Type::kReal;
    SqlValue y;
    if (!ext::DecodeKey(keys[i], prefer_real, &y)) Fail("an encoded key does not decode");
    if (x.type == SqlValue::Type::kReal) {
      if (y.type != SqlValue::Type::kReal || !(y.r == x.r)) Fail("REAL key round trip");
    } else if (!Identical(x, y)) {
      Fail("key round trip changes the value");
    }
    if (x.type == SqlValue::Type::kInteger && keys[i] != ext::EncodeIntegerKey(x.i))
      Fail("EncodeIntegerKey disagrees with EncodeKey");
  }
  for (size_t i = 0; i + 1 < values.size(); i++) {
    for (size_t j = i + 1; j < values.size() && j < i + 4; j++) {
      if (keys[i].empty() || keys[j].empty()) continue;
      const int by_bytes = Sign(
          std::memcmp(keys[i].data(), keys[j].data(), std::min(keys[i].size(), keys[j].size())));
      const int bytes_order =
          by_bytes != 0 ? by_bytes
                        : Sign(static_cast<int>(keys[i].size()) - static_cast<int>(keys[j].size()));
      if (bytes_order != Sign(ext::CompareSqlValues(values[i], values[j])))
        Fail("key byte order differs from SQLite's value order");
    }
  }
}

std::vector<SqlValue> ParseAll(const ext::RecordReader& r) {
  std::vector<SqlValue> cols;
  for (size_t i = 0; i < r.size(); i++) cols.push_back(r.Column(i));
  if (!r.Column(r.size()).is_null()) Fail("a column past the record's end is not NULL");
  return cols;
}

void FuzzRecordBytes(std::string_view bytes) {
  ext::RecordReader r;
  if (!r.Parse(bytes)) return;
  std::vector<SqlValue> cols = ParseAll(r);
  std::string again;
  ext::EncodeRecord(cols, r.flags(), &again);
  ext::RecordReader r2;
  if (!r2.Parse(again)) Fail("a parsed record re-encodes to an unparsable record");
  if (r2.flags() != r.flags() || r2.size() != cols.size())
    Fail("record re-encoding changes its header");
  for (size_t i = 0; i < cols.size(); i++)
    if (!Identical(cols[i], r2.Column(i))) Fail("record re-encoding changes a column");
}

void FuzzRecordValues(const std::vector<SqlValue>& values, uint8_t flags) {
  std::string rec;
  ext::EncodeRecord(values, flags, &rec);
  ext::RecordReader r;
  if (!r.Parse(rec)) Fail("an encoded record does not parse");
  if (r.flags() != flags || r.size() != values.size()) Fail("record header round trip");
  for (size_t i = 0; i < values.size(); i++)
    if (!Identical(values[i], r.Column(i))) Fail("record round trip changes a column");
  // Every strict prefix of a record is malformed, never misread.
  for (size_t cut = 0; cut < rec.size(); cut += 1 + rec.size() / 16) {
    ext::RecordReader t;
    if (t.Parse(std::string_view(rec).substr(0, cut))) Fail("a truncated record parses");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t sel = data[0];
  const uint8_t* p = data + 1;
  const size_t n = size - 1;
  std::string_view bytes(reinterpret_cast<const char*>(p), n);
  switch (sel % 4) {
    case 0:
      FuzzKeyBytes(bytes);
      break;
    case 1:
      FuzzKeyValues(ReadValues(p, n));
      break;
    case 2:
      FuzzRecordBytes(bytes);
      break;
    case 3:
      FuzzRecordValues(ReadValues(p, n), static_cast<uint8_t>(sel >> 2) & ext::kRecordKeyIsReal);
      break;
  }
  return 0;
}
