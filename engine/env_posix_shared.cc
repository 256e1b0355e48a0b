// Env::Default()'s SharedFile: a file mapped with MAP_SHARED and locked with
// open-file-description byte-range locks (F_OFD_SETLK, Linux 3.15+). OFD locks
// belong to the open file, not to the process, so two opens in one process
// conflict as two processes do, and closing one open never drops the locks of
// another (classic POSIX record locks would).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/io.h"

namespace lightning {

const char* NetworkFileSystemName(uint64_t fs_type) {
  // statfs f_type values, from <linux/magic.h> and the file systems' sources.
  switch (fs_type) {
    case 0x6969:
      return "nfs";
    case 0x517B:
      return "smb";
    case 0xFF534D42:
      return "cifs";
    case 0xFE534D42:
      return "smb2";
    case 0x01021997:
      return "9p";
    case 0x5346414F:
    case 0x6B414653:
      return "afs";
    case 0x00C36400:
      return "ceph";
    case 0x73757245:
      return "coda";
    case 0x564C:
      return "ncp";
    case 0x0BD00BD0:
      return "lustre";
    default:
      return nullptr;
  }
}

namespace {

class PosixSharedFile : public SharedFile {
 public:
  PosixSharedFile(int fd, const std::string& path)
      : fd_(fd), path_(path), file_(std::make_unique<PosixFile>(fd, path)) {}
  ~PosixSharedFile() override {
    if (base_ != nullptr) ::munmap(base_, size_);
    // file_ closes the descriptor, which releases every lock of this open.
  }

  Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) override {
    return file_->ReadAt(offset, n, dst, got);
  }
  Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    return file_->WriteAt(offset, data, n);
  }
  Status Size(uint64_t* size) override { return file_->Size(size); }

  Status Map(size_t size, char** base) override {
    if (base_ != nullptr) return Status::InvalidArgument(path_ + " is already mapped");
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) return IoErrorFromErrno("map", path_, errno);
    base_ = static_cast<char*>(p);
    size_ = size;
    *base = base_;
    return Status::OK();
  }

  Status TryLock(uint64_t offset, uint64_t n, LockMode mode) override {
    return SetLock(mode == LockMode::kExclusive ? F_WRLCK : F_RDLCK, offset, n);
  }
  Status Unlock(uint64_t offset, uint64_t n) override { return SetLock(F_UNLCK, offset, n); }

 private:
  Status SetLock(short type, uint64_t offset, uint64_t n) {
    struct flock fl = {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = static_cast<off_t>(offset);
    fl.l_len = static_cast<off_t>(n);
    fl.l_pid = 0;  // required by F_OFD_SETLK
    while (::fcntl(fd_, F_OFD_SETLK, &fl) != 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EACCES) {
        return Status::Busy("bytes " + std::to_string(offset) + ".." +
                            std::to_string(offset + n - 1) + " of " + path_ +
                            " are locked by another process");
      }
      return IoErrorFromErrno(type == F_UNLCK ? "unlock a byte range of" : "lock a byte range of",
                              path_, errno);
    }
    return Status::OK();
  }

  const int fd_;
  const std::string path_;
  std::unique_ptr<PosixFile> file_;  // owns fd_
  char* base_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

Status OpenPosixSharedFile(const std::string& path, std::unique_ptr<SharedFile>* file) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    if (err == EROFS || err == EACCES || err == EPERM) {
      return Status::ReadOnly("cannot open " + path + " for writing (" + std::strerror(err) +
                              "): sharing a store between processes needs to write it");
    }
    return IoErrorFromErrno("open", path, err);
  }
  auto shared = std::make_unique<PosixSharedFile>(fd, path);  // closes fd on every return
  struct stat st;
  if (::fstat(fd, &st) != 0) return IoErrorFromErrno("stat", path, errno);
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + " is not a regular file");
  struct statfs fs;
  if (::fstatfs(fd, &fs) != 0) return IoErrorFromErrno("statfs", path, errno);
  if (const char* name = NetworkFileSystemName(static_cast<uint64_t>(fs.f_type))) {
    return Status::NotSupported(path + " is on a network file system (" + name +
                                "): processes can share a store only on a local file system");
  }
  *file = std::move(shared);
  return Status::OK();
}

}  // namespace lightning
