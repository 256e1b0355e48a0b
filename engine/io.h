// The I/O layer: one small interface, several backends.
//
//   PosixFile    pread/pwrite/fdatasync (the default)
//   UringFile    io_uring (liburing) for batched writes; falls back to
//                PosixFile where the kernel refuses io_uring
//   MemFile      bytes in memory (tests)
//   FaultFile    wraps another File and fails, shortens, tears or refuses
//                (ENOSPC) the k-th write or sync (tests)
//
// Thread safety: ReadAt may be called from any number of threads at once;
// WriteAt, WriteBatch, Sync and Truncate are called by one thread at a time
// (the engine's writer or checkpointer).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lightning/options.h"
#include "lightning/status.h"

namespace lightning {

struct WriteRequest {
  uint64_t offset;
  const char* data;
  size_t size;
};

class File {
 public:
  virtual ~File() = default;
  // Reads up to n bytes; *got is how many were read (fewer only at end of file).
  virtual Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) = 0;
  virtual Status WriteAt(uint64_t offset, const char* data, size_t n) = 0;
  // Writes every request; backends may submit them together. Default: in order.
  virtual Status WriteBatch(const std::vector<WriteRequest>& requests);
  virtual Status Sync() = 0;
  virtual Status Size(uint64_t* size) = 0;
  virtual Status Truncate(uint64_t size) = 0;
  virtual const char* backend() const = 0;
  // A hint that [offset, offset + n) will be read soon: the OS may start
  // reading it into its page cache (read-ahead). Default: ignored.
  virtual void WillNeed(uint64_t offset, uint64_t n) { (void)offset, (void)n; }
};

// Which of a store's files is being opened (for fault injection hooks).
enum class FileKind : int { kData, kWal };

// Opens (creating if asked) `path` with the chosen backend. io_uring falls back
// to pread silently when unavailable; backend() tells which one is in use.
Status OpenFile(const std::string& path, IoBackend backend, bool create,
                std::unique_ptr<File>* file);

std::unique_ptr<File> NewMemFile();

// Counts writes and syncs across every FaultFile sharing it, and fails the
// chosen one. Positions are 1-based; 0 disables that fault.
struct FaultPlan {
  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> syncs{0};
  uint64_t fail_write_at = 0;     // the write returns IOError, nothing written
  uint64_t short_write_at = 0;    // half the bytes written, then IOError
  uint64_t torn_write_at = 0;     // a prefix written, error reported
  uint64_t torn_seed = 0;         // nonzero: the torn prefix length is drawn from it
  uint64_t nospace_write_at = 0;  // NoSpace, nothing written
  uint64_t fail_sync_at = 0;      // Sync returns IOError
  bool sticky = false;            // once failed, every later write/sync fails too
  std::atomic<bool> tripped{false};
};

std::unique_ptr<File> NewFaultFile(std::unique_ptr<File> base, std::shared_ptr<FaultPlan> plan);

// errno -> Status with a message naming the operation and the path.
Status IoErrorFromErrno(const std::string& what, const std::string& path, int err);

}  // namespace lightning
