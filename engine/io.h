// The engine's side of the I/O layer (the interface is lightning/env.h).
//
//   PosixFile   pread/pwrite/fdatasync: Env::Default()'s file
//   UringFile   a PosixFile whose WriteBatch submits every write in one
//               io_uring submission (io_uring.cc); Env::Default() falls back
//               to PosixFile where the kernel refuses a ring
//
// Tests bring their own Envs (tests/common: in-memory, fault-injecting).
//
// Thread safety: as File (lightning/env.h).
#pragma once

#include <memory>
#include <string>

#include "lightning/env.h"
#include "lightning/status.h"

namespace lightning {

// A file descriptor read and written with pread/pwrite. Owns `fd`.
class PosixFile : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override;

  Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) override;
  Status WriteAt(uint64_t offset, const char* data, size_t n) override;
  Status Sync() override;
  Status Size(uint64_t* size) override;
  Status Truncate(uint64_t size) override;
  const char* backend() const override { return "pread"; }
  void WillNeed(uint64_t offset, uint64_t n) override;

 protected:
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  const int fd_;
  const std::string path_;
};

// A PosixFile batching WriteBatch through io_uring, or nullptr when the kernel
// refuses a ring (the caller then keeps `fd`, which is not closed).
std::unique_ptr<File> NewUringFile(int fd, const std::string& path);

// The shared file `path` of Env::Default() (env_posix_shared.cc): mmap and
// open-file-description locks. Refuses network file systems (NotSupported)
// and read-only ones (ReadOnly).
Status OpenPosixSharedFile(const std::string& path, std::unique_ptr<SharedFile>* file);

// The name of the network file system whose statfs magic is `fs_type`
// ("nfs", "smb", ...), or nullptr for a local one.
const char* NetworkFileSystemName(uint64_t fs_type);

// errno -> Status with a message naming the operation and the path: NoSpace
// for ENOSPC/EDQUOT, NoMemory for ENOMEM, else IOError.
Status IoErrorFromErrno(const std::string& what, const std::string& path, int err);

}  // namespace lightning
