// Fixed-width little-endian and big-endian integers, and LEB128 varints,
// for the byte formats in FORMAT.md. Decoders never read past `limit`.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace lightning {

inline void EncodeFixed32(char* dst, uint32_t v) { std::memcpy(dst, &v, 4); }
inline void EncodeFixed64(char* dst, uint64_t v) { std::memcpy(dst, &v, 8); }
inline uint32_t DecodeFixed16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline void PutFixed32(std::string* dst, uint32_t v) {
  dst->append(reinterpret_cast<char*>(&v), 4);
}
inline void PutFixed64(std::string* dst, uint64_t v) {
  dst->append(reinterpret_cast<char*>(&v), 8);
}

// Big-endian, so that byte order equals numeric order.
inline void EncodeBigEndian64(char* dst, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(dst, &v, 8);
}

// The first 8 bytes of `key` as a big-endian number, zero-padded: comparing
// two prefixes as integers orders keys by their first 8 bytes.
inline uint64_t KeyPrefix(const char* key, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, key, n < 8 ? n : 8);
  return __builtin_bswap64(v);
}

inline char* EncodeVarint64(char* dst, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (v >= 128) {
    *p++ = static_cast<unsigned char>(v | 128);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return reinterpret_cast<char*>(p);
}

inline void PutVarint64(std::string* dst, uint64_t v) {
  char buf[10];
  dst->append(buf, EncodeVarint64(buf, v) - buf);
}

inline int VarintLength(uint64_t v) {
  int len = 1;
  while (v >= 128) {
    v >>= 7;
    len++;
  }
  return len;
}

// Returns the byte after the varint, or nullptr if it is malformed or runs
// past `limit`.
inline const char* DecodeVarint64(const char* p, const char* limit, uint64_t* v) {
  uint64_t result = 0;
  for (uint32_t shift = 0; shift <= 63 && p < limit; shift += 7) {
    uint64_t byte = static_cast<unsigned char>(*p++);
    result |= (byte & 127) << shift;
    if (byte < 128) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

// Reads a varint-length-prefixed byte string from [*p, limit).
inline bool GetLengthPrefixed(const char** p, const char* limit, std::string_view* out) {
  uint64_t n;
  const char* q = DecodeVarint64(*p, limit, &n);
  if (q == nullptr || n > static_cast<uint64_t>(limit - q)) return false;
  *out = std::string_view(q, n);
  *p = q + n;
  return true;
}

inline void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s.data(), s.size());
}

}  // namespace lightning
