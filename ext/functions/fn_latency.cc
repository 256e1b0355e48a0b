/*
** lightning_latency([table]): latency of each engine operation of a store.
**
** USAGE
**
**   SELECT * FROM lightning_latency('users');
**   SELECT * FROM lightning_latency;          -- every store of this connection
**
** EXAMPLE
**
**   sqlite> SELECT operation, count, samples, p50_us, p99_us FROM lightning_latency('users');
**   get|100000|1562|0.9|3.1
**   put|20000|312|4.2|19.5
**   commit|20|20|1530.0|2650.0
**   ...
**
** IMPLEMENTATION NOTES
**
**   Operations: get, put, delete, seek, scan_step, commit, fsync, checkpoint.
**   `count` comes from the operation counters and is exact. Percentiles, mean
**   and max come from log-linear histograms (8 sub-buckets per power of two:
**   within 12.5%) of the timed operations, `samples` of them: gets, puts,
**   deletes and seeks are timed one in 64 per thread and kind, scan steps
**   one in 1024 per cursor (timing each would cost more than the
**   operation); commits, fsyncs and checkpoints are timed every time. Since
**   the last reset (lightning_stats).
**
** LIMITATIONS
**
**   put counts committed puts while put samples time every Put call
**   (including those of transactions later rolled back); delete counts and
**   times deletes of existing keys only.
*/
#include "ext/functions/functions.h"
#include "ext/functions/tvf.h"
#include "ext/store_lookup.h"

namespace lightning::ext {
namespace {

int FillLatency(sqlite3* db, sqlite3_value** args, std::vector<Row>* rows, std::string* err) {
  std::vector<StoreTarget> targets;
  std::string table = args[0] ? ValueText(args[0]) : "";
  int rc = FindStores(db, args[0] ? table.c_str() : nullptr, &targets, err);
  if (rc != SQLITE_OK) return rc;
  for (const StoreTarget& t : targets) {
    for (const LatencySummary& l : t.db->Latency()) {
      auto us = [&](double seconds) { return l.samples ? Cell(seconds * 1e6) : Cell(); };
      rows->push_back(Row{t.label, l.operation, static_cast<int64_t>(l.count),
                          static_cast<int64_t>(l.samples), us(l.mean), us(l.p50), us(l.p95),
                          us(l.p99), us(l.p999), us(l.max),
                          !l.sampled ? "every operation"
                          : l.operation == "scan_step"
                              ? "1 in " + std::to_string(l.sampled_every) + " per cursor"
                              : "1 in " + std::to_string(l.sampled_every) + " per thread"});
    }
  }
  return SQLITE_OK;
}

const TvfSpec kLatency = {
    .name = "lightning_latency",
    .schema =
        "CREATE TABLE x("
        " store TEXT,"       /* 0 the store's path, or :memory: */
        " operation TEXT,"   /* 1 get, put, delete, seek, scan_step, commit, fsync, checkpoint */
        " count INTEGER,"    /* 2 operations done (exact, from the operation counters) */
        " samples INTEGER,"  /* 3 operations timed (the histogram's population) */
        " mean_us REAL,"     /* 4 microseconds; NULL without samples */
        " p50_us REAL,"      /* 5 */
        " p95_us REAL,"      /* 6 */
        " p99_us REAL,"      /* 7 */
        " p999_us REAL,"     /* 8 */
        " max_us REAL,"      /* 9 */
        " timed TEXT,"       /* 10 which operations are timed */
        " table_name HIDDEN" /* 11 argument: a lightning table */
        ")",
    .num_columns = 12,
    .num_args = 1,
    .required_args = 0,
    .usage = "lightning_latency([table])",
    .fill = FillLatency,
    .update = nullptr,
};

}  // namespace

int RegisterLatencyFunctions(sqlite3* db) { return RegisterTvf(db, &kLatency); }

}  // namespace lightning::ext
