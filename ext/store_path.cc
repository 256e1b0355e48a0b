#include "ext/store_path.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

namespace lightning::ext {
namespace {

namespace fs = std::filesystem;

// realpath() of an existing path; "" if it does not exist.
std::string RealPath(const std::string& p) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf) == nullptr) return "";
  return buf;
}

bool Inside(const std::string& dir, const std::string& path) {
  if (dir == "/") return true;
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

}  // namespace

Status ResolveStore(sqlite3* db, const char* schema, const std::string* file_option,
                    StoreLocation* out) {
  const char* db_file = sqlite3_db_filename(db, schema);
  bool db_in_memory = db_file == nullptr || db_file[0] == '\0';
  *out = StoreLocation();
  if (file_option == nullptr || *file_option == ":memory:") {
    if (db_in_memory || file_option != nullptr) {
      out->in_memory = true;
      out->key = std::string("mem:") + schema;
      return Status::OK();
    }
    out->path = std::string(db_file) + "-lightning";
    out->key = "file:" + out->path;
    return Status::OK();
  }
  if (file_option->empty()) return Status::InvalidArgument("file= needs a path");

  std::error_code ec;
  fs::path base = db_in_memory ? fs::current_path(ec) : fs::path(db_file).parent_path();
  if (ec) return Status::IOError("cannot read the current directory: " + ec.message());
  fs::path candidate = fs::path(*file_option);
  if (candidate.is_relative()) candidate = base / candidate;
  candidate = candidate.lexically_normal();
  if (candidate.filename().empty())
    return Status::InvalidArgument("file='" + *file_option +
                                   "' names a directory, not a store file");

  std::string parent = RealPath(candidate.parent_path().string());
  if (parent.empty())
    return Status::NotFound("file='" + *file_option + "': directory " +
                            candidate.parent_path().string() + " does not exist");
  std::string resolved = (fs::path(parent) / candidate.filename()).string();
  std::string target = RealPath(resolved);  // follows a symlinked store file
  if (!target.empty()) resolved = target;

  bool unsafe_ok = !db_in_memory && sqlite3_uri_boolean(db_file, "lightning_unsafe_paths", 0);
  if (!unsafe_ok) {
    std::string base_real = RealPath(base.string());
    if (base_real.empty() || !Inside(base_real, resolved))
      return Status::InvalidArgument(
          "file='" + *file_option + "' resolves to " + resolved +
          ", outside the database's directory " + base_real +
          "; a store must live beside its database unless the application opens the database with "
          "the URI parameter lightning_unsafe_paths=1");
  }
  if (!db_in_memory) {
    std::string main_real = RealPath(db_file);
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
      if (!main_real.empty() && resolved == main_real + suffix)
        return Status::InvalidArgument("file='" + *file_option +
                                       "' names the database's own file " + resolved);
    }
  }
  out->path = resolved;
  out->key = "file:" + resolved;
  return Status::OK();
}

}  // namespace lightning::ext
