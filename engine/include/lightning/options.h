// Options: every knob of a store, with its default, range, unit and effect.
//
// Options are set by name from strings (the SQL faces pass "cache_size" =
// "256MB"), so each one is described in one table (OptionInfo) that the
// parser, the SQL function lightning_config() and docs/options.md (generated
// by OptionsMarkdown()) all read. Unknown names and malformed or out-of-range
// values are InvalidArgument errors that name the option and, for names,
// suggest the closest valid one (ClosestName).
//
// The engine is the options' only home: a value given as text is parsed once,
// by Options::Set (the virtual table, lightning_config and the VFS's URI pass
// the text through unparsed, or the Options it produced); a store saves
// options in its own catalog (DB::SaveOption), and the next open starts from
// them.
//
// Thread safety: an Options value is plain data. A live DB keeps its own copy
// behind its own synchronisation (DB::SetOption).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lightning/status.h"

namespace lightning {

class Env;

enum class SyncMode : uint8_t {
  kOff = 0,     // WAL records are written to the OS, never fsynced: an OS crash
                // or power loss can lose recent commits (a process crash cannot).
  kNormal = 1,  // WAL fsynced at checkpoints only: power loss can lose the
                // commits since the last checkpoint, never corrupt the store.
  kFull = 2,    // every commit is fsynced before it returns (group commit).
};

// kAdaptive is a policy, never written to disk: per page, LZ4 first (a page it
// cannot shrink by 1/8 is stored raw), then Zstd, kept only when it is at
// least 1/8 smaller than LZ4's result (else LZ4, which decodes faster).
enum class Codec : uint8_t { kNone = 0, kLz4 = 1, kZstd = 2, kAdaptive = 3 };

enum class IoBackend : uint8_t { kPread = 0, kIoUring = 1 };

struct Options {
  // Size of a B+tree page in bytes; a power of two in [4096, 32768]. Fixed when
  // the store is created (a different value on reopen is ignored).
  // The largest key is page_size / 4 bytes. Default: 8192.
  uint32_t page_size = 8192;
  // Upper bound on memory used by cached pages, in bytes. Pages of the open
  // write transaction are not counted against it until they commit.
  // Default: 64 MiB. Live.
  uint64_t cache_size = 64ull << 20;
  // Durability of a commit. Default: kFull. Live.
  SyncMode sync = SyncMode::kFull;
  // Codec applied to each page at checkpoint; pages that do not shrink by at
  // least 1/8 are stored raw. Default: kNone. Live (affects pages written later).
  Codec compression = Codec::kNone;
  // Zstd level or LZ4 acceleration, 1..22 (for LZ4, 1 = best ratio). Default: 1. Live.
  int32_t compression_level = 1;
  // XXH3 checksum on every page written at checkpoint (WAL records and
  // superblocks are always checksummed). Default: true. Live.
  bool checksum = true;
  // Checkpoint when the WAL grows past this many bytes (bounds replay time
  // after a crash). Default: 256 MiB. Live.
  uint64_t checkpoint_wal_size = 256ull << 20;
  // Checkpoint when committed-but-unwritten pages exceed this many bytes; also
  // bounded by 3/4 of cache_size. Default: 256 MiB. Live.
  uint64_t checkpoint_dirty_size = 256ull << 20;
  // How long BeginWrite waits for the writer lock before returning Busy, in
  // milliseconds. Default: 5000. Live.
  uint32_t busy_timeout_ms = 5000;
  // How checkpoint writes reach the file. io_uring falls back to pread/pwrite
  // where the kernel refuses it. Default: kPread.
  IoBackend io = IoBackend::kPread;
  // Most read transactions open at once in one process. Default: 1024.
  uint32_t max_readers = 1024;
  // Read-ahead of scans: a cursor moving through leaves that are not cached
  // asks the OS to start reading up to this many following leaves (a window
  // that doubles from 2 as the scan goes on). 0 turns it off. Default: 32. Live.
  uint32_t scan_readahead = 32;

  // Where the WAL lives; empty means `<path>-wal`. Not an option: set by the
  // VFS, whose database already owns `<db>-wal` (SQLite's WAL mode).
  std::string wal_path;

  // The file system the store uses (lightning/env.h); it must outlive the
  // store. Not an option: set by embedders and tests (in-memory files, fault
  // injection). Fixed when the store is opened. Default: nullptr, meaning
  // Env::Default() (POSIX).
  Env* env = nullptr;

  // Sets option `name` from its text form ("64MB", "full", "lz4", "on").
  // Returns InvalidArgument naming the option for unknown names (with the
  // closest valid name), malformed values and values out of range. The only
  // parser of option text (counted by OptionParseCount()).
  Status Set(std::string_view name, std::string_view value);
  // The option's current value in text form; NotFound for unknown names.
  Status Get(std::string_view name, std::string* value) const;
  // Copies option `name` from `from`, already parsed (no text involved).
  // NotFound for unknown names.
  Status Assign(std::string_view name, const Options& from);
};

// One row of the option table.
struct OptionInfo {
  const char* name;
  const char* default_value;
  const char* min_value;  // "" where a range does not apply
  const char* max_value;
  const char* unit;     // "bytes", "ms", "" ...
  const char* allowed;  // for enumerations: "full|normal|off"; else ""
  bool live;            // applies to an open store without reopening
  const char* description;
};

// Every option, in a stable order.
const std::vector<OptionInfo>& AllOptions();
// The row for `name`, or nullptr.
const OptionInfo* FindOption(std::string_view name);

// Every option name, in AllOptions() order.
const std::vector<std::string>& OptionNames();

// Parses "64MB", "1GiB", "4096", "512k" into bytes (powers of 1024).
Status ParseBytes(std::string_view text, uint64_t* bytes);

// "Did you mean": the entry of `candidates` closest to `name` by edit
// distance (case-insensitive), or "" when none is within `max_distance`
// edits. With kSuggestNearby, a candidate within max(2, |name|/2) edits, or
// one that contains `name` or is contained in it, is close enough. The one
// such helper of the project: options, module arguments and URI parameters.
inline constexpr size_t kSuggestNearby = static_cast<size_t>(-1);
std::string ClosestName(std::string_view name, const std::vector<std::string>& candidates,
                        size_t max_distance = kSuggestNearby);

// How many option values Options::Set has parsed in this process so far. A
// test hook: it shows that a setting is parsed once on its way in.
uint64_t OptionParseCount();

// The option table of docs/options.md (Markdown), generated from
// AllOptions(); a test compares it with the checked-in file.
std::string OptionsMarkdown();

}  // namespace lightning
