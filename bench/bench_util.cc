#include "bench/bench_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace lightning_bench {

void FormatKey(uint64_t i, char* out) {
  for (int pos = static_cast<int>(kKeySize) - 1; pos >= 0; --pos) {
    out[pos] = static_cast<char>('0' + i % 10);
    i /= 10;
  }
}

bool ParseKey(Slice key, uint64_t* i) {
  if (key.size() != kKeySize) return false;
  uint64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *i = v;
  return true;
}

ValueGen::ValueGen() {
  random_.resize(kMaxValue * 4);
  uint64_t seed = 301;
  for (size_t off = 0; off + 8 <= random_.size(); off += 8) {
    uint64_t r = Rng::SplitMix(&seed);
    std::memcpy(random_.data() + off, &r, 8);
  }
}

void ValueGen::Make(uint64_t i, uint32_t gen, size_t size, ValueKind kind, std::string* out) const {
  out->resize(size);
  char* p = out->data();
  const size_t span = random_.size() - kMaxValue;
  const size_t off = static_cast<size_t>((i * 2654435761ull + gen * 40503ull) % span);
  std::memcpy(p, random_.data() + off, size);
  std::memcpy(p, &i, std::min<size_t>(8, size));
  if (size >= 12) std::memcpy(p + 8, &gen, 4);
  if (kind == ValueKind::kCompressible && size > 24) {
    const size_t half = size / 2;
    std::memset(p + half, 'a' + static_cast<int>(i % 26), size - half);
  }
}

bool ValueGen::Verify(uint64_t i, Slice v, size_t size, ValueKind kind) const {
  if (v.size() != size || ValueIndex(v) != i) return false;
  thread_local std::string expected;
  Make(i, ValueGeneration(v), size, kind, &expected);
  return std::memcmp(expected.data(), v.data(), size) == 0;
}

double LatencyLog::PercentileMicros(double q) {
  if (ns_.empty()) return -1;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(ns_.size())));
  if (rank == 0) rank = 1;
  if (rank > ns_.size()) rank = ns_.size();
  auto nth = ns_.begin() + static_cast<ptrdiff_t>(rank - 1);
  std::nth_element(ns_.begin(), nth, ns_.end());
  return static_cast<double>(*nth) / 1000.0;
}

namespace {
uint64_t StatusField(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
      return std::strtoull(line.c_str() + n + 1, nullptr, 10) * 1024;  // kB
    }
  }
  return 0;
}
}  // namespace

uint64_t PeakRssBytes() { return StatusField("VmHWM"); }
uint64_t CurrentRssBytes() { return StatusField("VmRSS"); }

bool ResetPeakRss() {
  int fd = ::open("/proc/self/clear_refs", O_WRONLY);
  if (fd < 0) return false;
  bool ok = ::write(fd, "5", 1) == 1;
  ::close(fd);
  return ok;
}

uint64_t DirBytes(const std::string& dir) {
  namespace fs = std::filesystem;
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    if (it->is_regular_file(ec2)) {
      uint64_t sz = it->file_size(ec2);
      if (!ec2) total += sz;
    }
  }
  return total;
}

bool ParseByteSize(std::string_view text, uint64_t* bytes) {
  size_t pos = 0;
  double number = 0;
  bool any = false, dot = false;
  double scale = 0.1;
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c >= '0' && c <= '9') {
      any = true;
      if (dot) {
        number += (c - '0') * scale;
        scale /= 10;
      } else {
        number = number * 10 + (c - '0');
      }
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!any) return false;
  std::string unit;
  for (; pos < text.size(); ++pos) {
    if (text[pos] != ' ')
      unit += static_cast<char>(std::tolower(static_cast<unsigned char>(text[pos])));
  }
  double mult = 1;
  if (unit.empty() || unit == "b")
    mult = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib")
    mult = 1024.0;
  else if (unit == "m" || unit == "mb" || unit == "mib")
    mult = 1024.0 * 1024;
  else if (unit == "g" || unit == "gb" || unit == "gib")
    mult = 1024.0 * 1024 * 1024;
  else
    return false;
  *bytes = static_cast<uint64_t>(number * mult);
  return true;
}

std::string WithCommas(double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.0f", value);
  std::string digits(buf);
  bool neg = !digits.empty() && digits[0] == '-';
  if (neg) digits.erase(0, 1);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count && count % 3 == 0) out.push_back(',');
    out.push_back(*it);
    ++count;
  }
  if (neg) out.push_back('-');
  return std::string(out.rbegin(), out.rend());
}

}  // namespace lightning_bench
