#include "ext/vtab/record.h"

#include <cstring>

namespace lightning::ext {
namespace {

// Bytes needed for `v` as big-endian two's complement (1..8).
int IntegerWidth(int64_t v) {
  for (int n = 1; n < 8; ++n) {
    int64_t lo = -(int64_t{1} << (8 * n - 1));
    int64_t hi = (int64_t{1} << (8 * n - 1)) - 1;
    if (v >= lo && v <= hi) return n;
  }
  return 8;
}

uint64_t SerialType(const SqlValue& v) {
  switch (v.type) {
    case SqlValue::Type::kNull:
      return 0;
    case SqlValue::Type::kInteger:
      if (v.i == 0) return 1;
      if (v.i == 1) return 2;
      return 2 + static_cast<uint64_t>(IntegerWidth(v.i));
    case SqlValue::Type::kReal:
      return 11;
    case SqlValue::Type::kText:
      return 12 + 2 * static_cast<uint64_t>(v.bytes.size());
    case SqlValue::Type::kBlob:
      return 13 + 2 * static_cast<uint64_t>(v.bytes.size());
  }
  return 0;
}

uint64_t PayloadSize(uint64_t type) {
  if (type <= 2) return 0;
  if (type <= 10) return type - 2;
  if (type == 11) return 8;
  return (type - 12) / 2;
}

// GetVarint on raw bytes, inlined for the parse loop: the same rules (at most
// 10 bytes, false when truncated).
inline bool ReadVarint(const unsigned char** p, const unsigned char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0, n = 0; n < 10; ++n, shift += 7) {
    if (*p == end) return false;
    uint8_t byte = *(*p)++;
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view in, size_t* pos, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0, n = 0; n < 10; ++n, shift += 7) {
    if (*pos >= in.size()) return false;
    uint8_t byte = static_cast<uint8_t>(in[(*pos)++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

void EncodeRecord(const SqlValue* columns, size_t count, uint8_t flags, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(flags));
  PutVarint(count, out);
  size_t body = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t t = SerialType(columns[i]);
    PutVarint(t, out);
    body += PayloadSize(t);
  }
  out->reserve(out->size() + body);
  for (size_t i = 0; i < count; ++i) {
    const SqlValue& v = columns[i];
    switch (v.type) {
      case SqlValue::Type::kNull:
        break;
      case SqlValue::Type::kInteger: {
        if (v.i == 0 || v.i == 1) break;
        int n = IntegerWidth(v.i);
        uint64_t u = static_cast<uint64_t>(v.i);
        for (int b = n - 1; b >= 0; --b) out->push_back(static_cast<char>((u >> (8 * b)) & 0xff));
        break;
      }
      case SqlValue::Type::kReal: {
        uint64_t u;
        std::memcpy(&u, &v.r, sizeof u);
        for (int b = 7; b >= 0; --b) out->push_back(static_cast<char>((u >> (8 * b)) & 0xff));
        break;
      }
      case SqlValue::Type::kText:
      case SqlValue::Type::kBlob:
        out->append(v.bytes);
        break;
    }
  }
}

bool RecordReader::Parse(std::string_view record) {
  record_ = record;
  size_ = 0;
  if (record.empty()) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(record.data());
  const unsigned char* end = p + record.size();
  flags_ = *p++;
  uint64_t n;
  if (!ReadVarint(&p, end, &n) || n > record.size()) return false;
  if (n > types_.size()) {
    types_.resize(n);
    offsets_.resize(n);
  }
  // One pass over the header: offsets are first relative to the body, which
  // starts where the header ends.
  uint64_t body = 0;
  for (uint64_t i = 0; i < n; ++i) {
    if (!ReadVarint(&p, end, &types_[i])) return false;
    offsets_[i] = static_cast<uint32_t>(body);
    body += PayloadSize(types_[i]);
    if (body > record.size()) return false;
  }
  const uint64_t start =
      static_cast<uint64_t>(p - reinterpret_cast<const unsigned char*>(record.data()));
  if (start + body != record.size()) return false;
  body_start_ = static_cast<uint32_t>(start);
  size_ = n;
  return true;
}

SqlValue RecordReader::Column(size_t i) const {
  if (i >= size_) return SqlValue::Null();
  uint64_t t = types_[i];
  const auto* p =
      reinterpret_cast<const unsigned char*>(record_.data()) + body_start_ + offsets_[i];
  if (t == 0) return SqlValue::Null();
  if (t == 1) return SqlValue::Integer(0);
  if (t == 2) return SqlValue::Integer(1);
  if (t <= 10) {
    size_t n = t - 2;
    uint64_t u = (p[0] & 0x80) ? ~uint64_t{0} : 0;  // sign-extend
    for (size_t b = 0; b < n; ++b) u = (u << 8) | p[b];
    return SqlValue::Integer(static_cast<int64_t>(u));
  }
  if (t == 11) {
    uint64_t u = 0;
    for (int b = 0; b < 8; ++b) u = (u << 8) | p[b];
    double d;
    std::memcpy(&d, &u, sizeof d);
    return SqlValue::Real(d);
  }
  std::string_view bytes(reinterpret_cast<const char*>(p), PayloadSize(t));
  return (t & 1) ? SqlValue::Blob(bytes) : SqlValue::Text(bytes);
}

}  // namespace lightning::ext
