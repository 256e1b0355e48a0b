#include "vfs/uri_options.h"

#include <algorithm>

namespace lightning::vfs {
namespace {

struct UriOption {
  const char* uri_name;
  const char* engine_name;  // nullptr: a VFS option
};

constexpr UriOption kUriOptions[] = {
    {"compression", "compression"},
    {"level", "compression_level"},
    {"compression_level", "compression_level"},
    {"checksum", "checksum"},
    {"cache_size", "cache_size"},
    {"sync", "sync"},
    {"checkpoint_wal_size", "checkpoint_wal_size"},
    {"checkpoint_dirty_size", "checkpoint_dirty_size"},
    {"busy_timeout", "busy_timeout"},
    {"io", "io"},
    {"max_readers", "max_readers"},
    {"store_page_size", "page_size"},
    {"spill_size", nullptr},
    {"background_checkpoint", nullptr},
};

// URI parameters SQLite itself interprets (uri.html) plus the VFS selector.
constexpr const char* kSqliteParameters[] = {"vfs",    "mode",      "cache", "psow",
                                             "nolock", "immutable", "modeof"};

Status BadParameter(const char* uri_name, const char* value, const Status& why) {
  return Status::InvalidArgument(std::string("lightning VFS: URI parameter ") + uri_name + "=" +
                                 value + " is invalid: " + why.message());
}

}  // namespace

const std::vector<std::string>& UriOptionNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const UriOption& o : kUriOptions) n.emplace_back(o.uri_name);
    return n;
  }();
  return names;
}

Status ParseUriOptions(const UriLookup& lookup, const std::vector<std::string>& present,
                       StoreOptions* out) {
  out->engine.cache_size = kVfsDefaultCacheSize;
  for (const std::string& name : present) {
    bool known = false;
    for (const UriOption& o : kUriOptions) known |= name == o.uri_name;
    for (const char* p : kSqliteParameters) known |= name == p;
    if (known) continue;
    // Strict: a parameter far from ours belongs to another extension.
    for (const UriOption& o : kUriOptions) {
      const size_t len = std::string(o.uri_name).size();
      if (name.size() >= 3 && !ClosestName(name, {o.uri_name}, len >= 6 ? 2u : 1u).empty()) {
        return Status::InvalidArgument("lightning VFS: unknown URI parameter '" + name +
                                       "'; did you mean '" + o.uri_name + "'?");
      }
    }
  }
  for (const UriOption& o : kUriOptions) {
    const char* value = lookup(o.uri_name);
    if (value == nullptr) continue;
    if (o.engine_name == nullptr && std::string(o.uri_name) == "background_checkpoint") {
      uint64_t bytes = 0;
      Status s = std::string(value) == "off" ? Status::OK() : ParseBytes(value, &bytes);
      if (!s.ok()) return BadParameter(o.uri_name, value, s);
      if (bytes != 0 && bytes < (1u << 20)) {
        return BadParameter(
            o.uri_name, value,
            Status::InvalidArgument("must be 0 or off (no background thread) or at least 1MiB"));
      }
      out->background_checkpoint = bytes;
      continue;
    }
    if (o.engine_name == nullptr) {  // spill_size
      uint64_t bytes = 0;
      Status s = ParseBytes(value, &bytes);
      if (!s.ok()) return BadParameter(o.uri_name, value, s);
      if (bytes < (1u << 20)) {
        return BadParameter(o.uri_name, value, Status::InvalidArgument("must be at least 1MiB"));
      }
      out->spill_size = bytes;
      continue;
    }
    Status s = out->engine.Set(o.engine_name, value);
    if (!s.ok()) return BadParameter(o.uri_name, value, s);
    std::string canonical;
    (void)out->engine.Get(o.engine_name, &canonical);
    out->given[o.engine_name] = canonical;
  }
  return Status::OK();
}

}  // namespace lightning::vfs
