// The adapter interface engine_bench drives: one implementation per engine
// (peer_lightning.cc, peer_lmdb.cc, peer_rocksdb.cc, peer_leveldb.cc,
// peer_sqlite.cc), each a thin translation to the engine's native API with the
// settings described by Describe().
//
// Lifecycle: Open() on a fresh directory, NewSession() once per thread, the
// sessions destroyed, then Close() (or the destructor). Open() again on the
// same directory reopens the store (used to start reads from a clean state).
//
// Transactions map as follows:
//   BeginWrite / Put... / Commit  one write transaction (LMDB, Lightning,
//                                  SQLite) or one WriteBatch (LevelDB, RocksDB);
//                                  durable iff OpenParams::durable.
//   Get / GetView / Scan           each in its own snapshot (the engine's
//                                  cheapest per-operation read transaction),
//                                  unless BeginRead() opened one to share.
//
// Thread safety: a KvEngine is used by one thread for Open/Close/Settle and
// NewSession; each KvSession belongs to one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"

namespace lightning_bench {

struct OpenParams {
  std::string dir;           // an existing directory owned by this store
  uint64_t cache_bytes = 0;  // engine cache (block cache / page cache)
  bool durable = false;      // every Commit() reaches stable storage
  bool compress = false;     // compressible-data run: Lightning uses lz4
  uint64_t lmdb_map_size = 64ull << 30;
};

class KvSession {
 public:
  virtual ~KvSession() = default;

  virtual Outcome BeginWrite() = 0;
  // REQUIRES: inside BeginWrite/Commit.
  virtual Outcome Put(Slice key, Slice value) = 0;
  virtual Outcome Commit() = 0;

  // Optional shared snapshot for the reads until EndRead().
  virtual Outcome BeginRead() = 0;
  virtual void EndRead() = 0;

  // Copies the value of `key` into *value; *found = false when absent.
  virtual Outcome Get(Slice key, std::string* value, bool* found) = 0;
  // Points *value at the value: into the engine's memory for zero-copy
  // engines, else into a session buffer. Valid until the next call on this
  // session.
  virtual Outcome GetView(Slice key, Slice* value, bool* found) = 0;
  // Visits up to `limit` entries in key order from the first key >= start
  // (forward) or in reverse order from the last key <= start (reverse); an
  // empty `start` means the first (last) key. `visit` returns false to stop.
  // Views passed to `visit` are valid during the call only.
  virtual Outcome Scan(Slice start, bool reverse, uint64_t limit,
                       FunctionRef<bool(Slice key, Slice value)> visit) = 0;
};

class KvEngine {
 public:
  virtual ~KvEngine() = default;
  virtual const char* name() const = 0;
  // The library version linked ("0.9.24").
  virtual std::string version() const = 0;
  // One line with the settings used ("MDB_NOSYNC|MDB_NOMETASYNC, map 64 GiB").
  virtual std::string Describe(const OpenParams& params) const = 0;
  // True when GetView hands out the engine's own memory.
  virtual bool zero_copy() const = 0;

  virtual Outcome Open(const OpenParams& params) = 0;
  virtual Outcome NewSession(std::unique_ptr<KvSession>* session) = 0;
  // Brings the files to a steady state before their size is measured:
  // checkpoint (Lightning, SQLite), flush + full compaction (LevelDB, RocksDB),
  // sync (LMDB). Not timed.
  virtual Outcome Settle() = 0;
  // REQUIRES: every session destroyed.
  virtual void Close() = 0;
};

struct EngineFactory {
  const char* name;
  std::unique_ptr<KvEngine> (*make)();
};

std::unique_ptr<KvEngine> NewLightningEngine();
std::unique_ptr<KvEngine> NewLmdbEngine();
std::unique_ptr<KvEngine> NewRocksDbEngine();
std::unique_ptr<KvEngine> NewLevelDbEngine();
std::unique_ptr<KvEngine> NewSqliteEngine();

// Every engine compiled into this binary, in report order.
const std::vector<EngineFactory>& AllEngines();

}  // namespace lightning_bench
