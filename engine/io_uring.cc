// io_uring backend: a PosixFile (single reads and writes stay pread/pwrite,
// one system call either way) whose WriteBatch submits every write of a
// checkpoint in one ring submission and reaps them together.
#include <liburing.h>

#include <mutex>

#include "engine/io.h"

namespace lightning {
namespace {

constexpr unsigned kQueueDepth = 64;

class UringFile : public PosixFile {
 public:
  // Takes ownership of `fd` and of the initialised `ring`.
  UringFile(int fd, std::string path, const io_uring& ring)
      : PosixFile(fd, std::move(path)), ring_(ring) {}
  ~UringFile() override { io_uring_queue_exit(&ring_); }

  Status WriteBatch(const std::vector<WriteRequest>& requests) override {
    std::lock_guard<std::mutex> lock(mu_);
    size_t next = 0;
    while (next < requests.size()) {
      unsigned queued = 0;
      while (next + queued < requests.size() && queued < kQueueDepth) {
        const WriteRequest& r = requests[next + queued];
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (sqe == nullptr) break;
        io_uring_prep_write(sqe, fd(), r.data, static_cast<unsigned>(r.size), r.offset);
        io_uring_sqe_set_data64(sqe, next + queued);
        queued++;
      }
      int submitted = io_uring_submit(&ring_);
      if (submitted < 0) return IoErrorFromErrno("io_uring_submit", path(), -submitted);
      Status first_error;
      for (unsigned i = 0; i < queued; i++) {
        io_uring_cqe* cqe = nullptr;
        int rc = io_uring_wait_cqe(&ring_, &cqe);
        if (rc < 0) return IoErrorFromErrno("io_uring_wait_cqe", path(), -rc);
        const WriteRequest& r = requests[io_uring_cqe_get_data64(cqe)];
        int res = cqe->res;
        io_uring_cqe_seen(&ring_, cqe);
        if (res < 0) {
          if (first_error.ok()) first_error = IoErrorFromErrno("write", path(), -res);
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

  const char* backend() const override { return "io_uring"; }

 private:
  io_uring ring_;
  std::mutex mu_;
};

}  // namespace

std::unique_ptr<File> NewUringFile(int fd, const std::string& path) {
  io_uring ring{};
  if (io_uring_queue_init(kQueueDepth, &ring, 0) != 0) return nullptr;  // fd stays the caller's
  return std::make_unique<UringFile>(fd, path, ring);
}

}  // namespace lightning
