// io_uring backend: single reads and writes go through pread/pwrite (one
// system call either way); WriteBatch submits every write of a checkpoint in
// one ring submission and reaps them together.
#include <liburing.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

#include "engine/io.h"

namespace lightning {
namespace {

constexpr unsigned kQueueDepth = 64;

class UringFile : public File {
 public:
  UringFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~UringFile() override {
    io_uring_queue_exit(&ring_);
    ::close(fd_);
  }
  // Takes ownership of fd_ only once the ring exists.
  static bool InitRing(io_uring* ring) { return io_uring_queue_init(kQueueDepth, ring, 0) == 0; }
  io_uring ring_{};

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

  Status WriteBatch(const std::vector<WriteRequest>& requests) override {
    std::lock_guard<std::mutex> lock(mu_);
    size_t next = 0;
    while (next < requests.size()) {
      unsigned queued = 0;
      while (next + queued < requests.size() && queued < kQueueDepth) {
        const WriteRequest& r = requests[next + queued];
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (sqe == nullptr) break;
        io_uring_prep_write(sqe, fd_, r.data, static_cast<unsigned>(r.size), r.offset);
        io_uring_sqe_set_data64(sqe, next + queued);
        queued++;
      }
      int submitted = io_uring_submit(&ring_);
      if (submitted < 0) return IoErrorFromErrno("io_uring_submit", path_, -submitted);
      Status first_error;
      for (unsigned i = 0; i < queued; i++) {
        io_uring_cqe* cqe = nullptr;
        int rc = io_uring_wait_cqe(&ring_, &cqe);
        if (rc < 0) return IoErrorFromErrno("io_uring_wait_cqe", path_, -rc);
        const WriteRequest& r = requests[io_uring_cqe_get_data64(cqe)];
        int res = cqe->res;
        io_uring_cqe_seen(&ring_, cqe);
        if (res < 0) {
          if (first_error.ok()) first_error = IoErrorFromErrno("write", path_, -res);
        } else if (static_cast<size_t>(res) < r.size) {
          // Short write: finish the rest synchronously.
          Status s = WriteAt(r.offset + res, r.data + res, r.size - res);
          if (!s.ok() && first_error.ok()) first_error = s;
        }
      }
      if (!first_error.ok()) return first_error;
      next += queued;
    }
    return Status::OK();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return IoErrorFromErrno("fdatasync", path_, errno);
    return Status::OK();
  }

  Status Size(uint64_t* size) override {
    off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) return IoErrorFromErrno("seek", path_, errno);
    *size = static_cast<uint64_t>(end);
    return Status::OK();
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return IoErrorFromErrno("truncate", path_, errno);
    }
    return Status::OK();
  }

  const char* backend() const override { return "io_uring"; }
  void WillNeed(uint64_t offset, uint64_t n) override {
    (void)::posix_fadvise(fd_, static_cast<off_t>(offset), static_cast<off_t>(n),
                          POSIX_FADV_WILLNEED);
  }

 private:
  const int fd_;
  const std::string path_;
  std::mutex mu_;
};

}  // namespace

// Returns nullptr (the caller falls back to pread) when the kernel refuses a ring.
std::unique_ptr<File> NewUringFile(int fd, const std::string& path) {
  io_uring ring{};
  if (!UringFile::InitRing(&ring)) return nullptr;  // fd stays the caller's
  auto file = std::make_unique<UringFile>(fd, path);
  file->ring_ = ring;
  return file;
}

}  // namespace lightning
