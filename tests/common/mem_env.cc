#include "tests/common/mem_env.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <shared_mutex>

namespace lightning::test {

struct MemEnv::Contents {
  std::shared_mutex mu;
  std::string bytes;  // GUARDED_BY(mu)
};

namespace {

class MemFile : public File {
 public:
  explicit MemFile(std::shared_ptr<MemEnv::Contents> c) : c_(std::move(c)) {}

  Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) override {
    std::shared_lock lock(c_->mu);
    const std::string& b = c_->bytes;
    *got = offset >= b.size() ? 0 : std::min<size_t>(n, b.size() - offset);
    if (*got > 0) std::memcpy(dst, b.data() + offset, *got);
    return Status::OK();
  }
  Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    std::unique_lock lock(c_->mu);
    if (offset + n > c_->bytes.size()) c_->bytes.resize(offset + n);
    std::memcpy(c_->bytes.data() + offset, data, n);
    return Status::OK();
  }
  Status Sync() override { return Status::OK(); }
  Status Size(uint64_t* size) override {
    std::shared_lock lock(c_->mu);
    *size = c_->bytes.size();
    return Status::OK();
  }
  Status Truncate(uint64_t size) override {
    std::unique_lock lock(c_->mu);
    c_->bytes.resize(size);
    return Status::OK();
  }
  const char* backend() const override { return "memory"; }

 private:
  std::shared_ptr<MemEnv::Contents> c_;
};

class MemLock : public FileLock {
 public:
  MemLock(std::function<void()> release) : release_(std::move(release)) {}
  ~MemLock() override { release_(); }

 private:
  std::function<void()> release_;
};

}  // namespace

Status MemEnv::CanonicalPath(const std::string& path, std::string* canonical) {
  if (path.empty() || path.back() == '/') {
    return Status::InvalidArgument("store path '" + path + "' names a directory");
  }
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.lower_bound(out + "/");
  if (it != files_.end() && it->first.compare(0, out.size() + 1, out + "/") == 0) {
    return Status::InvalidArgument("store path '" + path + "' is a directory");
  }
  *canonical = std::move(out);
  return Status::OK();
}

Status MemEnv::OpenFile(const std::string& path, IoBackend, std::unique_ptr<File>* file) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& c = files_[path];
  if (!c) c = std::make_shared<Contents>();
  *file = std::make_unique<MemFile>(c);
  return Status::OK();
}

Status MemEnv::FileExists(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (files_.count(path) != 0) return Status::OK();
  return Status::NotFound(path + " does not exist");
}

Status MemEnv::RemoveFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (files_.erase(path) == 0) {
    return Status::NotFound("cannot remove " + path + ": it does not exist");
  }
  return Status::OK();
}

Status MemEnv::RenameFile(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(from);
  if (it == files_.end()) {
    return Status::NotFound("cannot rename " + from + " to " + to + ": it does not exist");
  }
  std::shared_ptr<Contents> c = std::move(it->second);
  files_.erase(it);
  files_[to] = std::move(c);
  return Status::OK();
}

Status MemEnv::LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) {
  std::lock_guard<std::mutex> guard(mu_);
  if (!locked_.insert(path).second) {
    return Status::Locked(path + " is locked by process " + std::to_string(::getpid()));
  }
  auto& c = files_[path];
  if (!c) c = std::make_shared<Contents>();
  c->bytes = std::to_string(::getpid()) + "\n";
  *lock = std::make_unique<MemLock>([this, path] { Unlock(path); });
  return Status::OK();
}

void MemEnv::Unlock(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  locked_.erase(path);
}

Status MemEnv::ReadFile(const std::string& path, std::string* bytes) {
  std::shared_ptr<Contents> c;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound(path + " does not exist");
    c = it->second;
  }
  std::shared_lock lock(c->mu);
  *bytes = c->bytes;
  return Status::OK();
}

void MemEnv::WriteFile(const std::string& path, std::string bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto c = std::make_shared<Contents>();
  c->bytes = std::move(bytes);
  files_[path] = std::move(c);
}

std::vector<std::string> MemEnv::Paths() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> paths;
  for (const auto& [path, c] : files_) paths.push_back(path);
  return paths;
}

}  // namespace lightning::test
