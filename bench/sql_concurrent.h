// sql_bench's concurrent workload: several connections of one process, each
// in its own thread, doing autocommit INSERTs into table t of one database.
//
// native:    each connection writes main.t (SQLite serialises writers on the
//            WAL write lock; busy_timeout lets them wait instead of failing).
// lightning: each connection first declares `temp.t USING lightning(alias='main')`
//            (docs/vtab.md, "Concurrent writers"), so writers meet only in
//            the engine, whose group commit shares fsyncs between them.
//
// Thread safety: RunConcurrentInserts opens and closes its own connections.
#pragma once

#include <cstdint>
#include <string>

#include "bench/bench_util.h"

namespace lightning_bench {

struct ConcurrentInsertSpec {
  std::string db_path;    // an existing WAL database holding table t(k, v)
  std::string extension;  // lightning.so, loaded into each connection when lightning
  bool lightning = false;
  bool sync_full = true;  // PRAGMA synchronous=FULL (else OFF) on each connection
  int connections = 4;
  uint64_t inserts = 0;    // in total, split evenly between the connections
  uint64_t first_key = 0;  // keys first_key .. first_key+inserts-1, none present yet
  size_t value_size = 100;
};

// Runs the inserts; on success sets *nanos (wall time from the first insert to
// the last) and appends every insert's latency to *log, and checks that every
// row is there with its value. Fails with the first error of any connection.
Outcome RunConcurrentInserts(const ConcurrentInsertSpec& spec, uint64_t* nanos, LatencyLog* log);

}  // namespace lightning_bench
