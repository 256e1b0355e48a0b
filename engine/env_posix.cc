// Env::Default(): the POSIX file system. PosixFile reads and writes with
// pread/pwrite; lock files are flock()ed and hold the holder's pid.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
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

PosixFile::~PosixFile() { ::close(fd_); }

Status PosixFile::ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) {
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

Status PosixFile::WriteAt(uint64_t offset, const char* data, size_t n) {
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

Status PosixFile::Sync() {
  if (::fdatasync(fd_) != 0) return IoErrorFromErrno("fdatasync", path_, errno);
  return Status::OK();
}

Status PosixFile::Size(uint64_t* size) {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return IoErrorFromErrno("stat", path_, errno);
  *size = static_cast<uint64_t>(st.st_size);
  return Status::OK();
}

Status PosixFile::Truncate(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return IoErrorFromErrno("truncate", path_, errno);
  }
  return Status::OK();
}

void PosixFile::WillNeed(uint64_t offset, uint64_t n) {
  (void)::posix_fadvise(fd_, static_cast<off_t>(offset), static_cast<off_t>(n),
                        POSIX_FADV_WILLNEED);
}

namespace {

// An flock()ed lock file; closing the descriptor releases the lock.
class PosixFileLock : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }

 private:
  const int fd_;
};

class PosixEnv : public Env {
 public:
  Status CanonicalPath(const std::string& path, std::string* canonical) override {
    std::string dir = ".", base = path;
    size_t slash = path.rfind('/');
    if (slash != std::string::npos) {
      dir = slash == 0 ? "/" : path.substr(0, slash);
      base = path.substr(slash + 1);
    }
    if (base.empty()) return Status::InvalidArgument("store path '" + path + "' names a directory");
    char resolved[PATH_MAX];
    if (::realpath(dir.c_str(), resolved) == nullptr) {
      return IoErrorFromErrno("resolve directory of", path, errno);
    }
    *canonical = std::string(resolved) + (std::strcmp(resolved, "/") == 0 ? "" : "/") + base;
    struct stat st;
    if (::stat(canonical->c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument("store path '" + path + "' is a directory");
    }
    return Status::OK();
  }

  Status OpenFile(const std::string& path, IoBackend backend,
                  std::unique_ptr<File>* file) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
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

  Status FileExists(const std::string& path) override {
    if (::access(path.c_str(), F_OK) == 0) return Status::OK();
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound(path + " does not exist");
    return IoErrorFromErrno("look up", path, errno);
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) == 0) return Status::OK();
    if (errno == ENOENT) return Status::NotFound("cannot remove " + path + ": it does not exist");
    return IoErrorFromErrno("remove", path, errno);
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) == 0) return Status::OK();
    if (errno == ENOENT) {
      return Status::NotFound("cannot rename " + from + " to " + to + ": it does not exist");
    }
    return IoErrorFromErrno("rename to " + to + ":", from, errno);
  }

  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return IoErrorFromErrno("open lock file", path, errno);
    auto held = std::make_unique<PosixFileLock>(fd);  // closes fd on every return below
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      char buf[32] = {0};
      ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
      std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return Status::Locked(path + " is locked by process " + pid);
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      return IoErrorFromErrno("write lock file", path, errno);
    }
    *lock = std::move(held);
    return Status::OK();
  }

  Status OpenSharedFile(const std::string& path, std::unique_ptr<SharedFile>* file) override {
    return OpenPosixSharedFile(path, file);
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.empty() ? "/" : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return IoErrorFromErrno("open directory", dir, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return IoErrorFromErrno("fsync directory", dir, err);
    return Status::OK();
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();  // never deleted: stores may outlive static destructors
  return env;
}

}  // namespace lightning
