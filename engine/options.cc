#include "lightning/options.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <string>

namespace lightning {
namespace {

const std::vector<OptionInfo> kOptions = {
    {"page_size", "8192", "4096", "32768", "bytes", "", false,
     "B+tree page size, a power of two; fixed when the store is created; keys up to page_size/4"},
    {"cache_size", "64MiB", "1MiB", "1TiB", "bytes", "", true,
     "upper bound on memory held by cached pages"},
    {"sync", "full", "", "", "", "full|normal|off", true,
     "full: fsync every commit (group commit); normal: fsync at checkpoints; off: never fsync"},
    {"compression", "none", "", "", "", "none|lz4|zstd|adaptive", true,
     "codec for pages written at checkpoint; incompressible pages are stored raw; adaptive: "
     "per page, lz4, or zstd where it saves 1/8 more"},
    {"compression_level", "1", "1", "22", "", "", true,
     "zstd level (1-22) or lz4 acceleration (1 = best ratio)"},
    {"checksum", "on", "", "", "", "on|off", true,
     "XXH3 checksum on every page extent (WAL records and superblocks always have one)"},
    {"checkpoint_wal_size", "256MiB", "64KiB", "64GiB", "bytes", "", true,
     "checkpoint automatically when the WAL grows past this size"},
    {"checkpoint_dirty_size", "256MiB", "64KiB", "64GiB", "bytes", "", true,
     "checkpoint automatically when committed unwritten pages exceed this size (or 3/4 of "
     "cache_size)"},
    {"busy_timeout", "5000", "0", "3600000", "ms", "", true,
     "how long a writer waits for the writer lock before giving up with Busy"},
    {"io", "pread", "", "", "", "pread|io_uring", false,
     "I/O backend for the data file; io_uring batches checkpoint writes and falls back to pread"},
    {"max_readers", "1024", "1", "65536", "", "", false,
     "most read transactions open at once in one process"},
    {"scan_readahead", "32", "0", "1024", "pages", "", true,
     "scans over uncached leaves ask the OS to read up to this many leaves ahead (0: off)"},
};

std::atomic<uint64_t> parse_count{0};

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); j++) prev[j] = j;
  for (size_t i = 1; i <= a.size(); i++) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); j++) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status BadValue(const OptionInfo& info, std::string_view value, std::string_view why) {
  std::string msg = "invalid value '" + std::string(value) + "' for option " + info.name + ": ";
  msg += why;
  return Status::InvalidArgument(msg);
}

Status ParseInRange(const OptionInfo& info, std::string_view value, bool bytes, uint64_t* out) {
  uint64_t v = 0;
  if (bytes) {
    Status s = ParseBytes(value, &v);
    if (!s.ok()) return BadValue(info, value, s.message());
  } else {
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || ptr != value.data() + value.size()) {
      return BadValue(info, value, "expected a whole number");
    }
  }
  uint64_t lo = 0, hi = 0;
  if (bytes) {
    (void)ParseBytes(info.min_value, &lo);
    (void)ParseBytes(info.max_value, &hi);
  } else {
    lo = std::stoull(info.min_value);
    hi = std::stoull(info.max_value);
  }
  if (v < lo || v > hi) {
    return BadValue(info, value,
                    std::string("must be between ") + info.min_value + " and " + info.max_value);
  }
  *out = v;
  return Status::OK();
}

std::string FormatBytes(uint64_t v) {
  static const char* kUnits[] = {"", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (u < 4 && v >= 1024 && v % 1024 == 0) {
    v /= 1024;
    u++;
  }
  return std::to_string(v) + kUnits[u];
}

}  // namespace

const std::vector<OptionInfo>& AllOptions() { return kOptions; }

const OptionInfo* FindOption(std::string_view name) {
  std::string lower = Lower(name);
  for (const OptionInfo& info : kOptions) {
    if (lower == info.name) return &info;
  }
  return nullptr;
}

Status ParseBytes(std::string_view text, uint64_t* bytes) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') i++;
  if (i == 0 || i > 19)
    return Status::InvalidArgument("expected a size such as 4096, 64MB or 1GiB");
  uint64_t v = std::stoull(std::string(text.substr(0, i)));
  std::string unit = Lower(text.substr(i));
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  int shift = 0;
  if (unit.empty() || unit == "b")
    shift = 0;
  else if (unit == "k" || unit == "kb" || unit == "kib")
    shift = 10;
  else if (unit == "m" || unit == "mb" || unit == "mib")
    shift = 20;
  else if (unit == "g" || unit == "gb" || unit == "gib")
    shift = 30;
  else if (unit == "t" || unit == "tb" || unit == "tib")
    shift = 40;
  else
    return Status::InvalidArgument("unknown size unit '" + unit + "' (use B, KB, MB, GB, TB)");
  if (shift > 0 && v > (UINT64_MAX >> shift)) return Status::InvalidArgument("size too large");
  *bytes = v << shift;
  return Status::OK();
}

const std::vector<std::string>& OptionNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const OptionInfo& info : kOptions) n.emplace_back(info.name);
    return n;
  }();
  return names;
}

std::string ClosestName(std::string_view name, const std::vector<std::string>& candidates,
                        size_t max_distance) {
  const std::string lower = Lower(name);
  const bool nearby = max_distance == kSuggestNearby;
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(lower, Lower(c));
    if (nearby && (c.find(lower) != std::string::npos || lower.find(c) != std::string::npos))
      d = std::min<size_t>(d, 2);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  const size_t limit = nearby ? std::max<size_t>(2, lower.size() / 2) : max_distance;
  return best_d <= limit ? best : "";
}

uint64_t OptionParseCount() { return parse_count.load(std::memory_order_relaxed); }

Status Options::Set(std::string_view name, std::string_view value) {
  parse_count.fetch_add(1, std::memory_order_relaxed);
  const OptionInfo* info = FindOption(name);
  if (info == nullptr) {
    std::string msg = "unknown option '" + std::string(name) + "'";
    const std::string close = ClosestName(name, OptionNames());
    if (!close.empty()) msg += "; did you mean '" + close + "'?";
    return Status::InvalidArgument(msg);
  }
  const std::string n = info->name;
  const std::string v = Lower(value);
  uint64_t number = 0;
  if (n == "page_size") {
    LIGHTNING_RETURN_IF_ERROR(ParseInRange(*info, value, true, &number));
    if ((number & (number - 1)) != 0) return BadValue(*info, value, "must be a power of two");
    page_size = static_cast<uint32_t>(number);
  } else if (n == "cache_size") {
    LIGHTNING_RETURN_IF_ERROR(ParseInRange(*info, value, true, &cache_size));
  } else if (n == "sync") {
    if (v == "full")
      sync = SyncMode::kFull;
    else if (v == "normal")
      sync = SyncMode::kNormal;
    else if (v == "off")
      sync = SyncMode::kOff;
    else
      return BadValue(*info, value, "expected full, normal or off");
  } else if (n == "compression") {
    if (v == "none")
      compression = Codec::kNone;
    else if (v == "lz4")
      compression = Codec::kLz4;
    else if (v == "zstd")
      compression = Codec::kZstd;
    else if (v == "adaptive")
      compression = Codec::kAdaptive;
    else
      return BadValue(*info, value, "expected none, lz4, zstd or adaptive");
  } else if (n == "compression_level") {
    LIGHTNING_RETURN_IF_ERROR(ParseInRange(*info, value, false, &number));
    compression_level = static_cast<int32_t>(number);
  } else if (n == "checksum") {
    if (v == "on" || v == "true" || v == "1")
      checksum = true;
    else if (v == "off" || v == "false" || v == "0")
      checksum = false;
    else
      return BadValue(*info, value, "expected on or off");
  } else if (n == "checkpoint_wal_size") {
    LIGHTNING_RETURN_IF_ERROR(ParseInRange(*info, value, true, &checkpoint_wal_size));
  } else if (n == "checkpoint_dirty_size") {
    LIGHTNING_RETURN_IF_ERROR(ParseInRange(*info, value, true, &checkpoint_dirty_size));
  } else if (n == "busy_timeout") {
    LIGHTNING_RETURN_IF_ERROR(ParseInRange(*info, value, false, &number));
    busy_timeout_ms = static_cast<uint32_t>(number);
  } else if (n == "io") {
    if (v == "pread")
      io = IoBackend::kPread;
    else if (v == "io_uring")
      io = IoBackend::kIoUring;
    else
      return BadValue(*info, value, "expected pread or io_uring");
  } else if (n == "max_readers") {
    LIGHTNING_RETURN_IF_ERROR(ParseInRange(*info, value, false, &number));
    max_readers = static_cast<uint32_t>(number);
  } else if (n == "scan_readahead") {
    LIGHTNING_RETURN_IF_ERROR(ParseInRange(*info, value, false, &number));
    scan_readahead = static_cast<uint32_t>(number);
  }
  return Status::OK();
}

Status Options::Get(std::string_view name, std::string* value) const {
  const OptionInfo* info = FindOption(name);
  if (info == nullptr) return Status::NotFound("unknown option '" + std::string(name) + "'");
  const std::string n = info->name;
  if (n == "page_size")
    *value = std::to_string(page_size);
  else if (n == "cache_size")
    *value = FormatBytes(cache_size);
  else if (n == "sync")
    *value = sync == SyncMode::kFull ? "full" : sync == SyncMode::kNormal ? "normal" : "off";
  else if (n == "compression") {
    *value = compression == Codec::kNone   ? "none"
             : compression == Codec::kLz4  ? "lz4"
             : compression == Codec::kZstd ? "zstd"
                                           : "adaptive";
  } else if (n == "compression_level")
    *value = std::to_string(compression_level);
  else if (n == "checksum")
    *value = checksum ? "on" : "off";
  else if (n == "checkpoint_wal_size")
    *value = FormatBytes(checkpoint_wal_size);
  else if (n == "checkpoint_dirty_size")
    *value = FormatBytes(checkpoint_dirty_size);
  else if (n == "busy_timeout")
    *value = std::to_string(busy_timeout_ms);
  else if (n == "io")
    *value = io == IoBackend::kPread ? "pread" : "io_uring";
  else if (n == "max_readers")
    *value = std::to_string(max_readers);
  else if (n == "scan_readahead")
    *value = std::to_string(scan_readahead);
  return Status::OK();
}

Status Options::Assign(std::string_view name, const Options& from) {
  const OptionInfo* info = FindOption(name);
  if (info == nullptr) return Status::NotFound("unknown option '" + std::string(name) + "'");
  const std::string n = info->name;
  if (n == "page_size")
    page_size = from.page_size;
  else if (n == "cache_size")
    cache_size = from.cache_size;
  else if (n == "sync")
    sync = from.sync;
  else if (n == "compression")
    compression = from.compression;
  else if (n == "compression_level")
    compression_level = from.compression_level;
  else if (n == "checksum")
    checksum = from.checksum;
  else if (n == "checkpoint_wal_size")
    checkpoint_wal_size = from.checkpoint_wal_size;
  else if (n == "checkpoint_dirty_size")
    checkpoint_dirty_size = from.checkpoint_dirty_size;
  else if (n == "busy_timeout")
    busy_timeout_ms = from.busy_timeout_ms;
  else if (n == "io")
    io = from.io;
  else if (n == "max_readers")
    max_readers = from.max_readers;
  else if (n == "scan_readahead")
    scan_readahead = from.scan_readahead;
  return Status::OK();
}

std::string OptionsMarkdown() {
  std::string md =
      "| option | default | range | applies | what it does |\n"
      "|---|---|---|---|---|\n";
  for (const OptionInfo& info : kOptions) {
    std::string range = *info.allowed ? std::string(info.allowed) : "";
    if (*info.min_value) range = std::string(info.min_value) + " .. " + info.max_value;
    if (*info.unit && *info.min_value) range += std::string(" ") + info.unit;
    for (size_t i = 0; (i = range.find('|', i)) != std::string::npos; i += 2)
      range.replace(i, 1, "\\|");
    const char* applies = std::string(info.name) == "page_size" ? "at creation"
                          : info.live                           ? "live"
                                                                : "next open";
    md += std::string("| `") + info.name + "` | " + info.default_value + " | " + range + " | " +
          applies + " | " + info.description + " |\n";
  }
  return md;
}

}  // namespace lightning
