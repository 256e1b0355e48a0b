#include "ext/vtab/key_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "lightning/db.h"

namespace lightning::ext {
namespace {

constexpr double kTwoPow63 = 9223372036854775808.0;  // 2^63
constexpr uint64_t kSignBit = uint64_t{1} << 63;

void PutBigEndian64(uint64_t v, std::string* out) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 8);
}

uint64_t GetBigEndian64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

uint64_t DoubleBits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

double BitsToDouble(uint64_t u) {
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d;
}

// IEEE bits rearranged so that unsigned order equals numeric order.
uint64_t OrderedDoubleBits(double d) {
  uint64_t u = DoubleBits(d);
  return (u & kSignBit) ? ~u : (u | kSignBit);
}

double FromOrderedDoubleBits(uint64_t u) {
  return BitsToDouble((u & kSignBit) ? (u & ~kSignBit) : ~u);
}

void EncodeNumber(double d, uint16_t remainder, std::string* out) {
  out->push_back(static_cast<char>(kKeyTagNumber));
  PutBigEndian64(OrderedDoubleBits(d == 0 ? 0.0 : d), out);  // -0.0 == 0
  if (remainder != 0) {
    out->push_back(static_cast<char>(remainder >> 8));
    out->push_back(static_cast<char>(remainder & 0xff));
  }
}

void EncodeInteger(int64_t v, std::string* out) {
  double d = static_cast<double>(v);  // round to nearest; may be 2^63
  if (d >= kTwoPow63 || static_cast<int64_t>(d) > v) d = std::nextafter(d, -INFINITY);
  // |v - d| < 2048: the spacing of doubles below 2^63.
  EncodeNumber(d, static_cast<uint16_t>(v - static_cast<int64_t>(d)), out);
}

void EncodeReal(double d, std::string* out) { EncodeNumber(d, 0, out); }

int CompareIntReal(int64_t i, double r) {
  if (r < -kTwoPow63) return 1;
  if (r >= kTwoPow63) return -1;
  double whole = std::floor(r);
  int64_t w = static_cast<int64_t>(whole);
  if (i < w) return -1;
  if (i > w) return 1;
  return r > whole ? -1 : 0;
}

int CompareBytes(std::string_view a, std::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

size_t MaxKeyValueSize(uint32_t page_size) {
  const size_t engine_limit = std::min<size_t>(kMaxKeySize, page_size / 4);
  return engine_limit - 1;  // the tag byte
}

void EncodeKey(const SqlValue& value, std::string* out) {
  out->clear();
  switch (value.type) {
    case SqlValue::Type::kNull:
      out->push_back(static_cast<char>(kKeyTagNull));
      return;
    case SqlValue::Type::kInteger:
      EncodeInteger(value.i, out);
      return;
    case SqlValue::Type::kReal:
      EncodeReal(value.r, out);
      return;
    case SqlValue::Type::kText:
      out->reserve(1 + value.bytes.size());
      out->push_back(static_cast<char>(kKeyTagText));
      out->append(value.bytes);
      return;
    case SqlValue::Type::kBlob:
      out->reserve(1 + value.bytes.size());
      out->push_back(static_cast<char>(kKeyTagBlob));
      out->append(value.bytes);
      return;
  }
}

std::string EncodeIntegerKey(int64_t value) {
  std::string out;
  EncodeInteger(value, &out);
  return out;
}

bool DecodeKey(std::string_view key, bool prefer_real, SqlValue* value) {
  if (key.empty()) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(key.data());
  switch (p[0]) {
    case kKeyTagNull:
      if (key.size() != 1) return false;
      *value = SqlValue::Null();
      return true;
    case kKeyTagNumber: {
      if (key.size() != 9 && key.size() != 11) return false;
      double d = FromOrderedDoubleBits(GetBigEndian64(p + 1));
      if (std::isnan(d)) return false;
      bool whole = d >= -kTwoPow63 && d < kTwoPow63 && std::floor(d) == d;
      if (key.size() == 11) {
        uint16_t rem = static_cast<uint16_t>((p[9] << 8) | p[10]);
        // The remainder is below the spacing of doubles at d (as EncodeInteger
        // makes it): anything else is a damaged key, and could overflow.
        if (!whole || rem == 0 || rem >= std::nextafter(d, INFINITY) - d) return false;
        *value = SqlValue::Integer(static_cast<int64_t>(d) + rem);
        return true;
      }
      *value =
          whole && !prefer_real ? SqlValue::Integer(static_cast<int64_t>(d)) : SqlValue::Real(d);
      return true;
    }
    case kKeyTagText:
      *value = SqlValue::Text(key.substr(1));
      return true;
    case kKeyTagBlob:
      *value = SqlValue::Blob(key.substr(1));
      return true;
    default:
      return false;
  }
}

bool DecodeIntegerKey(std::string_view key, int64_t* value) {
  constexpr double kTwoPow53 = 9007199254740992.0;
  if (key.size() == 9 && static_cast<unsigned char>(key[0]) == kKeyTagNumber) {
    double d = FromOrderedDoubleBits(
        GetBigEndian64(reinterpret_cast<const unsigned char*>(key.data()) + 1));
    // Within +-2^53 the cast is exact for whole numbers (and NaN fails the
    // range test): no std::floor call.
    if (d >= -kTwoPow53 && d <= kTwoPow53) {
      auto i = static_cast<int64_t>(d);
      if (static_cast<double>(i) != d) return false;  // a REAL with a fraction
      *value = i;
      return true;
    }
  }
  SqlValue v;
  if (!DecodeKey(key, false, &v) || v.type != SqlValue::Type::kInteger) return false;
  *value = v.i;
  return true;
}

bool KeyIsWholeNumber(std::string_view key) {
  if (key.size() != 9 || static_cast<unsigned char>(key[0]) != kKeyTagNumber) return false;
  double d =
      FromOrderedDoubleBits(GetBigEndian64(reinterpret_cast<const unsigned char*>(key.data()) + 1));
  return d >= -kTwoPow63 && d < kTwoPow63 && std::floor(d) == d;
}

int CompareSqlValues(const SqlValue& a, const SqlValue& b) {
  auto rank = [](SqlValue::Type t) {
    switch (t) {
      case SqlValue::Type::kNull:
        return 0;
      case SqlValue::Type::kInteger:
      case SqlValue::Type::kReal:
        return 1;
      case SqlValue::Type::kText:
        return 2;
      case SqlValue::Type::kBlob:
        return 3;
    }
    return 0;
  };
  int ra = rank(a.type), rb = rank(b.type);
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      if (a.type == SqlValue::Type::kInteger && b.type == SqlValue::Type::kInteger)
        return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
      if (a.type == SqlValue::Type::kReal && b.type == SqlValue::Type::kReal)
        return a.r < b.r ? -1 : (a.r > b.r ? 1 : 0);
      if (a.type == SqlValue::Type::kInteger) return CompareIntReal(a.i, b.r);
      return -CompareIntReal(b.i, a.r);
    default:
      return CompareBytes(a.bytes, b.bytes);
  }
}

}  // namespace lightning::ext
