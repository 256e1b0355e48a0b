// Env: the engine's whole window on the file system (LevelDB's Env is the
// model).
//
// Everything a store does to files goes through one Env: resolving its path,
// taking its lock file, opening its data file and WAL, opening the file the
// processes sharing a store coordinate through (SharedFile), and making the
// names of new files durable. Env::Default() is the operating system's (POSIX:
// pread/pwrite/fdatasync, flock, io_uring where asked and allowed);
// Options::env substitutes another, e.g. an in-memory file system or a
// wrapper that injects faults (tests/common has both). EnvWrapper forwards
// every call to another Env, so a wrapper overrides only what it changes.
//
// A store opened with an Env calls it from any thread; the Env must outlive
// every store opened with it. Env::Default() lives for the whole process.
//
// Thread safety: an Env is shared by every store opened with it and must be
// safe to call from any number of threads at once. A File's ReadAt may be
// called from any number of threads at once; its other methods are called by
// one thread at a time (the store's writer or checkpointer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lightning/options.h"
#include "lightning/status.h"

namespace lightning {

// One write of File::WriteBatch: `size` bytes from `data` at `offset`.
struct WriteRequest {
  uint64_t offset;
  const char* data;
  size_t size;
};

// An open file, read and written at offsets. Destroying it closes it.
class File {
 public:
  virtual ~File() = default;
  // Reads up to n bytes at `offset` into dst; *got is how many were read
  // (fewer than n only at the end of the file). IOError if the OS refuses.
  virtual Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) = 0;
  // Writes all n bytes at `offset`, growing the file as needed. IOError or
  // NoSpace if the OS refuses (some of the bytes may have been written).
  virtual Status WriteAt(uint64_t offset, const char* data, size_t n) = 0;
  // Writes every request; a File may submit them together (io_uring does).
  // Default: WriteAt of each in order, stopping at the first error.
  virtual Status WriteBatch(const std::vector<WriteRequest>& requests);
  // Makes every byte written so far durable (fdatasync). IOError if not.
  virtual Status Sync() = 0;
  // The file's length in bytes.
  virtual Status Size(uint64_t* size) = 0;
  // Sets the file's length: drops the bytes past `size` or adds zeros.
  virtual Status Truncate(uint64_t size) = 0;
  // What reads and writes the bytes: "pread", "io_uring", "memory", ...
  virtual const char* backend() const = 0;
  // A hint that [offset, offset + n) will be read soon: the OS may start
  // reading it into its page cache (read-ahead). Default: ignored.
  virtual void WillNeed(uint64_t offset, uint64_t n) { (void)offset, (void)n; }
};

// A lock held through Env::LockFile. Destroying it releases the lock.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// How SharedFile::TryLock takes a byte range.
enum class LockMode : uint8_t { kShared, kExclusive };

// A file the processes sharing a store coordinate through (`PATH-shm`,
// engine/FORMAT.md): written at offsets while it is set up, then mapped into
// memory, and carrying advisory byte-range locks.
//
// Locks belong to this SharedFile (POSIX: to its open file description,
// F_OFD_SETLK), not to the process: two SharedFiles of one path in one process
// conflict exactly as two processes do. Every lock is released when the
// SharedFile is destroyed or its process dies. Locks are advisory: they
// neither protect nor hinder reads and writes of the bytes they cover.
//
// Thread safety: one thread at a time calls a SharedFile's methods; the mapped
// bytes may be read and written by any thread of any process (with atomics).
class SharedFile {
 public:
  virtual ~SharedFile() = default;
  // As File::ReadAt, File::WriteAt and File::Size.
  virtual Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) = 0;
  virtual Status WriteAt(uint64_t offset, const char* data, size_t n) = 0;
  virtual Status Size(uint64_t* size) = 0;
  // Maps bytes [0, size) shared and writable into *base, which stays valid
  // until the SharedFile is destroyed. REQUIRES: the file holds at least
  // `size` bytes, written (so no store into the mapping meets an unallocated
  // block); called at most once. IOError or NoMemory if the OS refuses.
  virtual Status Map(size_t size, char** base) = 0;
  // Takes [offset, offset + n) in `mode` without waiting, replacing whatever
  // lock this SharedFile holds there (so exclusive -> shared is one atomic
  // step). OK when granted; Busy when another holder's lock conflicts;
  // IOError if the OS refuses.
  virtual Status TryLock(uint64_t offset, uint64_t n, LockMode mode) = 0;
  // Releases this SharedFile's locks on [offset, offset + n). IOError if the
  // OS refuses (the range may then still be held, until destruction).
  virtual Status Unlock(uint64_t offset, uint64_t n) = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The operating system's file system (POSIX). Never null, never deleted.
  static Env* Default();

  // The spelling of `path` that names its file uniquely (Default(): the
  // absolute path with the directory's symbolic links resolved; the file
  // itself need not exist). A process shares one store per Env and canonical
  // path. InvalidArgument if `path` names a directory; IOError if the
  // directory cannot be resolved.
  virtual Status CanonicalPath(const std::string& path, std::string* canonical) = 0;

  // Opens `path` for reading and writing, creating it empty if absent.
  // `backend` is a hint: Default() uses io_uring for kIoUring where the kernel
  // allows it and pread/pwrite otherwise (File::backend() says which); other
  // Envs may ignore it. InvalidArgument if `path` is not a regular file;
  // IOError, NoSpace or NoMemory if the OS refuses.
  virtual Status OpenFile(const std::string& path, IoBackend backend,
                          std::unique_ptr<File>* file) = 0;

  // OK if `path` exists, NotFound if it does not, IOError if it cannot tell.
  virtual Status FileExists(const std::string& path) = 0;
  // Deletes the file `path`. NotFound if it does not exist.
  virtual Status RemoveFile(const std::string& path) = 0;
  // Renames `from` to `to`, replacing `to` if it exists. NotFound if `from`
  // does not exist.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;

  // Takes the exclusive lock `path` (created if absent) for this process and
  // records the process id in it. Locked, with a message ending "is locked by
  // process <pid>", while another holder has it; IOError if the OS refuses.
  virtual Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) = 0;

  // Makes the names of files created or removed in directory `dir` durable
  // (fsync of the directory). IOError if the OS refuses.
  virtual Status SyncDir(const std::string& dir) = 0;

  // Opens the shared file `path` for reading and writing, creating it empty
  // if absent. NotSupported, naming the file system, when it cannot be shared
  // safely between processes (Default(): a network file system); ReadOnly when
  // it cannot be opened for writing (read-only file, directory or medium);
  // IOError otherwise. Default: NotSupported (an Env without sharing).
  virtual Status OpenSharedFile(const std::string& path, std::unique_ptr<SharedFile>* file) {
    (void)file;
    return Status::NotSupported("this Env cannot share " + path + " between processes");
  }
};

// An Env that forwards every call to `target` (which must outlive it):
// derive from it and override only what changes.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Status CanonicalPath(const std::string& path, std::string* canonical) override {
    return target_->CanonicalPath(path, canonical);
  }
  Status OpenFile(const std::string& path, IoBackend backend,
                  std::unique_ptr<File>* file) override {
    return target_->OpenFile(path, backend, file);
  }
  Status FileExists(const std::string& path) override { return target_->FileExists(path); }
  Status RemoveFile(const std::string& path) override { return target_->RemoveFile(path); }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    return target_->LockFile(path, lock);
  }
  Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  Status OpenSharedFile(const std::string& path, std::unique_ptr<SharedFile>* file) override {
    return target_->OpenSharedFile(path, file);
  }

 private:
  Env* const target_;
};

}  // namespace lightning
