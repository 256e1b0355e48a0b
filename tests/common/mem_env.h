// MemEnv: a file system held in memory, for tests (the counterpart of
// LevelDB's helpers/memenv).
//
// Files are byte strings in a map from path to contents; an open File keeps
// its contents alive after RemoveFile (as an unlinked file stays readable).
// Sync makes nothing more durable: every write is "durable" at once. Locks are
// per MemEnv: a second LockFile of a held path returns Locked. Shared files
// (OpenSharedFile) are files like the others; their byte-range locks belong to
// each open SharedFile, as OFD locks do, so two opens in one test behave as two
// processes; a mapped shared file cannot grow (a real mapping would not see it). There are no
// directories: CanonicalPath collapses repeated slashes and refuses a path
// that ends in '/' or is the prefix "<path>/" of an existing file.
//
// Thread safety: every method may be called from any thread. A MemEnv must
// outlive every store, File and FileLock made from it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "lightning/env.h"

namespace lightning::test {

class MemEnv : public Env {
 public:
  MemEnv() = default;
  MemEnv(const MemEnv&) = delete;
  MemEnv& operator=(const MemEnv&) = delete;

  Status CanonicalPath(const std::string& path, std::string* canonical) override;
  Status OpenFile(const std::string& path, IoBackend backend, std::unique_ptr<File>* file) override;
  Status FileExists(const std::string& path) override;
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override;
  Status SyncDir(const std::string& dir) override { return Status::OK(); }
  Status OpenSharedFile(const std::string& path, std::unique_ptr<SharedFile>* file) override;

  // Test access to the bytes: the whole contents of `path` (NotFound if
  // absent), and replacing them (creating the file).
  Status ReadFile(const std::string& path, std::string* bytes);
  void WriteFile(const std::string& path, std::string bytes);
  // Every path, in order.
  std::vector<std::string> Paths();

  struct Contents;  // one file's bytes and their lock (mem_env.cc)

 private:
  void Unlock(const std::string& path);

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Contents>> files_;  // GUARDED_BY(mu_)
  std::set<std::string> locked_;                            // GUARDED_BY(mu_)
};

}  // namespace lightning::test
