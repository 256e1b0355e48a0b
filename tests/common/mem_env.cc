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
  size_t mapped = 0;  // GUARDED_BY(mu): bytes mapped by a SharedFile (no growth past them)
  // Byte-range locks of shared files: byte -> holder -> mode. GUARDED_BY(mu)
  std::map<uint64_t, std::map<const void*, LockMode>> locks;
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

// A shared file: the MemFile's bytes plus a mapping (the string's buffer,
// which cannot move once mapped because the file cannot grow) and locks held
// in the Contents by this object.
class MemSharedFile : public SharedFile {
 public:
  explicit MemSharedFile(std::shared_ptr<MemEnv::Contents> c) : c_(std::move(c)) {}
  ~MemSharedFile() override {
    std::unique_lock lock(c_->mu);
    for (auto it = c_->locks.begin(); it != c_->locks.end();) {
      it->second.erase(this);
      it = it->second.empty() ? c_->locks.erase(it) : std::next(it);
    }
  }

  Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) override {
    return MemFile(c_).ReadAt(offset, n, dst, got);
  }
  Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    {
      std::shared_lock lock(c_->mu);
      if (c_->mapped != 0 && offset + n > c_->bytes.size()) {
        return Status::IOError("MemEnv: a mapped shared file cannot grow");
      }
    }
    return MemFile(c_).WriteAt(offset, data, n);
  }
  Status Size(uint64_t* size) override { return MemFile(c_).Size(size); }

  Status Map(size_t size, char** base) override {
    std::unique_lock lock(c_->mu);
    if (c_->bytes.size() < size) {
      return Status::IOError("MemEnv: cannot map " + std::to_string(size) + " bytes of a " +
                             std::to_string(c_->bytes.size()) + "-byte file");
    }
    c_->mapped = std::max(c_->mapped, size);
    *base = c_->bytes.data();
    return Status::OK();
  }

  Status TryLock(uint64_t offset, uint64_t n, LockMode mode) override {
    if (n > 4096) return Status::InvalidArgument("MemEnv locks at most 4096 bytes at once");
    std::unique_lock lock(c_->mu);
    for (uint64_t b = offset; b < offset + n; b++) {
      auto it = c_->locks.find(b);
      if (it == c_->locks.end()) continue;
      for (const auto& [holder, held] : it->second) {
        if (holder != this && (mode == LockMode::kExclusive || held == LockMode::kExclusive)) {
          return Status::Busy("byte " + std::to_string(b) + " is locked by another holder");
        }
      }
    }
    for (uint64_t b = offset; b < offset + n; b++) c_->locks[b][this] = mode;
    return Status::OK();
  }
  Status Unlock(uint64_t offset, uint64_t n) override {
    std::unique_lock lock(c_->mu);
    for (uint64_t b = offset; b < offset + n; b++) {
      auto it = c_->locks.find(b);
      if (it == c_->locks.end()) continue;
      it->second.erase(this);
      if (it->second.empty()) c_->locks.erase(it);
    }
    return Status::OK();
  }

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

Status MemEnv::OpenSharedFile(const std::string& path, std::unique_ptr<SharedFile>* file) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& c = files_[path];
  if (!c) c = std::make_shared<Contents>();
  *file = std::make_unique<MemSharedFile>(c);
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
