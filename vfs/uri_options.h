// URI parameters of the lightning VFS -> StoreOptions.
//
//   file:app.db?vfs=lightning&compression=zstd&level=3&cache_size=256MB
//
// Each parameter maps to an engine option (engine/options.h has the defaults,
// ranges and effects) or to a VFS option:
//
//   URI name               engine option          note
//   compression            compression            none|lz4|zstd; remembered by the database
//   level                  compression_level      also accepted as compression_level; remembered
//   checksum               checksum               on|off; remembered
//   cache_size             cache_size             e.g. 1GB; default 256MiB here (see below)
//   sync                   sync                   full|normal|off (the store's WAL fsyncs)
//   checkpoint_wal_size    checkpoint_wal_size
//   checkpoint_dirty_size  checkpoint_dirty_size
//   busy_timeout           busy_timeout           ms
//   io                     io                     pread|io_uring
//   max_readers            max_readers
//   store_page_size        page_size              the store's B+tree page; at creation only
//   spill_size             (VFS)                  commit pending pages early past this size
//                                                 (default: cache_size / 4)
//   background_checkpoint  (VFS)                  checkpoint in a background thread every
//                                                 this many committed bytes; 0|off: none
//                                                 (default off)
//
// cache_size defaults to kVfsDefaultCacheSize rather than the engine's 64 MiB:
// the engine's cache stands in for the OS page cache (it holds pages
// uncompressed, and SQLite keeps only ~2 MB itself), and a miss costs a
// decompression. It is an upper bound: a small database uses what it touches.
//
// A bad value is InvalidArgument naming the URI parameter. A parameter that is
// not ours, not SQLite's, and within two edits of one of ours ("compresion") is
// an error too, with a suggestion; anything else is left to other extensions.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lightning/status.h"
#include "vfs/page_store.h"

namespace lightning::vfs {

inline constexpr uint64_t kVfsDefaultCacheSize = 256ull << 20;

// Returns the value of URI parameter `name`, or nullptr when absent.
using UriLookup = std::function<const char*(const char* name)>;

// Fills *out from the parameters (starting from the VFS's defaults). `present` lists every
// parameter name in the URI (for the misspelling check; may be empty).
Status ParseUriOptions(const UriLookup& lookup, const std::vector<std::string>& present,
                       StoreOptions* out);

// The URI parameter names the VFS understands, in documentation order.
const std::vector<std::string>& UriOptionNames();

}  // namespace lightning::vfs
