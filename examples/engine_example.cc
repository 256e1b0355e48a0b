// engine_example: embeds the Lightning engine in a C++ program, no SQLite.
//
// Opens a store in a fresh temporary directory, creates the tree "users",
// writes a few rows in one write transaction, reads them back in a read
// transaction with a cursor (forwards, then backwards) and prints a few of
// the store's metrics. The directory is removed at the end.
//
//   scripts/build.sh release && build/examples/engine_example

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lightning/db.h"

namespace {

using lightning::Cursor;
using lightning::DB;
using lightning::Options;
using lightning::Status;
using lightning::TreeId;

// Writes the rows in one write transaction: all of them or none are stored.
// Keys are kept in byte order, whatever order they are put in.
Status WriteUsers(DB& db) {
  const std::vector<std::pair<std::string, std::string>> users = {
      {"grace", "grace@example.org"},
      {"ada", "ada@example.org"},
      {"edsger", "edsger@example.org"},
      {"barbara", "barbara@example.org"},
  };
  auto txn_or = db.BeginWrite();
  if (!txn_or.ok()) return txn_or.status();
  lightning::WriteTxn& txn = *txn_or.value();

  TreeId users_tree = 0;
  LIGHTNING_RETURN_IF_ERROR(txn.CreateTree("users", &users_tree));
  for (const auto& [name, email] : users) {
    LIGHTNING_RETURN_IF_ERROR(txn.Put(users_tree, name, email));
  }
  return txn.Commit();
}

// Reads the rows back from a snapshot, forwards and then backwards.
Status ReadUsers(DB& db) {
  auto txn_or = db.BeginRead();
  if (!txn_or.ok()) return txn_or.status();
  lightning::ReadTxn& txn = *txn_or.value();

  TreeId users_tree = 0;
  LIGHTNING_RETURN_IF_ERROR(txn.OpenTree("users", &users_tree));
  auto cursor_or = txn.NewCursor(users_tree);
  if (!cursor_or.ok()) return cursor_or.status();
  Cursor& cursor = *cursor_or.value();

  std::printf("users, forwards (snapshot %llu):\n", static_cast<unsigned long long>(txn.id()));
  for (cursor.SeekToFirst(); cursor.Valid(); cursor.Next()) {
    std::printf("  %-8.*s %.*s\n", static_cast<int>(cursor.key().size()), cursor.key().data(),
                static_cast<int>(cursor.value().size()), cursor.value().data());
  }
  LIGHTNING_RETURN_IF_ERROR(cursor.status());

  std::printf("users, backwards:\n");
  for (cursor.SeekToLast(); cursor.Valid(); cursor.Prev()) {
    std::printf("  %.*s\n", static_cast<int>(cursor.key().size()), cursor.key().data());
  }
  return cursor.status();
}

void PrintMetrics(const DB& db) {
  const std::vector<lightning::Metric> metrics = db.Metrics();
  const size_t shown = std::min<size_t>(metrics.size(), 8);
  std::printf("metrics (%zu of %zu):\n", shown, metrics.size());
  for (size_t i = 0; i < shown; ++i) {
    const lightning::Metric& m = metrics[i];
    std::printf("  %-24s %12g %-8s %s\n", m.name.c_str(), m.value, m.unit.c_str(),
                m.description.c_str());
  }
}

Status Run(const std::string& path) {
  Options options;
  LIGHTNING_RETURN_IF_ERROR(options.Set("cache_size", "16MB"));
  auto db_or = DB::Open(path, options);
  if (!db_or.ok()) return db_or.status();
  DB& db = *db_or.value();
  std::printf("opened %s\n", db.path().c_str());

  LIGHTNING_RETURN_IF_ERROR(WriteUsers(db));
  LIGHTNING_RETURN_IF_ERROR(ReadUsers(db));
  PrintMetrics(db);
  return Status::OK();
}

}  // namespace

int main() {
  std::string dir = (std::filesystem::temp_directory_path() / "lightning-example-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) {
    std::perror("engine_example: mkdtemp");
    return 1;
  }
  const Status s = Run(dir + "/users.lightning");
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  if (!s.ok()) {
    std::fprintf(stderr, "engine_example: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
