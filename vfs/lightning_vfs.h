// The `lightning` VFS: ordinary SQLite databases whose pages live in a
// Lightning page store — compressed, checksummed, committed atomically.
//
// USAGE
//
//   .load ./build/lightning
//   .open file:app.db?vfs=lightning&compression=zstd
//
//   sqlite3_open_v2("file:app.db?vfs=lightning&compression=zstd", &db,
//                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nullptr);
//
// URI parameters: vfs/uri_options.h. What is stored where: vfs/page_store.h.
// The user-facing description, with the conversion recipe (VACUUM INTO), is
// the README, "The lightning VFS".
//
// This header is the VFS's whole interface to the rest of the extension:
// registration (called once by sqlite3_lightning_init) and the counters for
// the lightning_stats() SQL function.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "lightning/db.h"

struct sqlite3_file;

// Registers the VFS "lightning" with SQLite, never as the default VFS, on top
// of the default VFS of the moment (sqlite3_vfs_find(0)). Idempotent: the
// first call registers, later calls return its result. Returns SQLITE_OK or
// the error of sqlite3_vfs_register. REQUIRES: the extension API table is set
// (SQLITE_EXTENSION_INIT2 ran), i.e. call it from the extension entry point.
extern "C" int lightning_vfs_register(void);

namespace lightning::vfs {

inline constexpr char kVfsName[] = "lightning";

// Calls fn(name, metrics) for every database open through the VFS in this
// process, in name order. SQLite-free (defined with the page store): any C++
// caller may use it. `name` is the database's absolute path (the name
// sqlite3_db_filename() reports); `metrics` are the VFS's counters (names
// starting "vfs_": pages read/written, syncs, commits, checksum checks, ...)
// followed by every engine metric (compression_raw_bytes,
// compression_stored_bytes, cache_hits, cache_misses, wal_fsyncs,
// data_fsyncs, checksum_failures, ...).
void ForEachOpenDatabase(
    const std::function<void(const std::string& name, const std::vector<Metric>& metrics)>& fn);

// The same metrics for one SQLite file handle (e.g. from
// sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file)).
// Returns false, leaving *metrics alone, if the file is not a database of the
// lightning VFS.
bool FileMetrics(sqlite3_file* file, std::vector<Metric>* metrics);

// The engine store behind `file` when it is a main database of the lightning
// VFS (else nullptr); valid while the file is open.
DB* FileStore(sqlite3_file* file);

// Compacts the store behind `file` (DB::Compact, after ending the idle read
// transactions the VFS keeps, which would hold the old pages): gives free
// space back to the file system. InvalidArgument if `file` is not a main
// database of the lightning VFS.
Status CompactFile(sqlite3_file* file);

// Why the last failed open of a lightning database on this thread failed
// ("" if none; a successful open through the VFS on this thread clears it):
// SQLite's xOpen can return only a code, so the message also goes to
// sqlite3_log. SQL: lightning_vfs_error().
std::string LastOpenError();

}  // namespace lightning::vfs
