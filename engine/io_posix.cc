#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/io.h"

namespace lightning {

Status IoErrorFromErrno(const std::string& what, const std::string& path, int err) {
  std::string msg = what + " " + path + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return Status::NoSpace(msg);
  if (err == ENOMEM) return Status::NoMemory(msg);
  return Status::IOError(msg);
}

Status File::WriteBatch(const std::vector<WriteRequest>& requests) {
  for (const WriteRequest& r : requests) {
    LIGHTNING_RETURN_IF_ERROR(WriteAt(r.offset, r.data, r.size));
  }
  return Status::OK();
}

class PosixFile : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }

  Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, dst + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return IoErrorFromErrno("read", path_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *got = done;
    return Status::OK();
  }

  Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pwrite(fd_, data + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return IoErrorFromErrno("write", path_, errno);
      }
      done += static_cast<size_t>(r);
    }
    return Status::OK();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return IoErrorFromErrno("fdatasync", path_, errno);
    return Status::OK();
  }

  Status Size(uint64_t* size) override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return IoErrorFromErrno("stat", path_, errno);
    *size = static_cast<uint64_t>(st.st_size);
    return Status::OK();
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return IoErrorFromErrno("truncate", path_, errno);
    }
    return Status::OK();
  }

  const char* backend() const override { return "pread"; }
  void WillNeed(uint64_t offset, uint64_t n) override {
    (void)::posix_fadvise(fd_, static_cast<off_t>(offset), static_cast<off_t>(n),
                          POSIX_FADV_WILLNEED);
  }
  int fd() const { return fd_; }

 private:
  const int fd_;
  const std::string path_;
};

std::unique_ptr<File> NewUringFile(int fd, const std::string& path);  // io_uring.cc

Status OpenFile(const std::string& path, IoBackend backend, bool create,
                std::unique_ptr<File>* file) {
  int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return IoErrorFromErrno("open", path, errno);
  struct stat st;
  if (::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + " is not a regular file");
  }
  if (backend == IoBackend::kIoUring) {
    std::unique_ptr<File> uring = NewUringFile(fd, path);
    if (uring) {
      *file = std::move(uring);
      return Status::OK();
    }
  }
  *file = std::make_unique<PosixFile>(fd, path);
  return Status::OK();
}

}  // namespace lightning
