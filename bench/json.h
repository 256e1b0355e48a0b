// A minimal JSON reader and string escaper for the benchmark reports (enough
// to read back what engine_bench and sql_bench write: objects, arrays,
// strings, numbers, booleans, null). Not a general-purpose library.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lightning_bench {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::map<std::string, JsonValue> object;

  // Member `key` of an object, or nullptr.
  const JsonValue* Find(const std::string& key) const;
  double NumberOr(const std::string& key, double fallback) const;
  std::string StringOr(const std::string& key, const std::string& fallback) const;
};

// Parses `text`; false with *error set on malformed input.
bool ParseJson(std::string_view text, JsonValue* out, std::string* error);

// `s` as a JSON string literal, quotes included.
std::string JsonString(std::string_view s);
// A number, or null for negative "not measured" markers when null_if_negative.
std::string JsonNumber(double v, bool null_if_negative = false);

}  // namespace lightning_bench
