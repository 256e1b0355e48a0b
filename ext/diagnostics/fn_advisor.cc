/*
** lightning_recommendations([table]): advice from a store's live statistics.
**
** USAGE
**
**   SELECT title, evidence, sql FROM lightning_recommendations('users');
**
** EXAMPLE
**
**   sqlite> SELECT rule, sql FROM lightning_recommendations('users');
**   cache_too_small|UPDATE lightning_config SET value = '8MiB' WHERE table_name = 'users' AND name
*= 'cache_size';
**
** IMPLEMENTATION NOTES
**
**   The rules live in advisor.cc (SQLite-free). Each row names its rule, a
**   severity, the evidence (a JSON object of the measured values that
**   triggered it: json_extract(evidence, '$.cache_hit_rate')), the effect to
**   expect (with the figures it rests on) and the SQL that applies it. The
**   statistics are those since the last reset (lightning_stats_reset).
**
**   A store that no rule applies to has one row, rule `none`, saying there is
**   nothing to recommend (its sql is NULL).
**
** LIMITATIONS
**
**   Two rules have no setting to apply (a long-lived snapshot, frequent but
**   successful writer-lock waits): their sql is an SQL comment saying what to
**   change in the application.
*/
#include <unistd.h>

#include "ext/diagnostics/advisor.h"
#include "ext/functions/functions.h"
#include "ext/functions/tvf.h"
#include "ext/store_lookup.h"

namespace lightning::ext {
namespace {

uint64_t PhysicalMemory() {
  const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(size) : 0;
}

int FillRecommendations(sqlite3* db, sqlite3_value** args, std::vector<Row>* rows,
                        std::string* err) {
  std::vector<StoreTarget> targets;
  std::string table = args[0] ? ValueText(args[0]) : "";
  int rc = FindStores(db, args[0] ? table.c_str() : nullptr, &targets, err);
  if (rc != SQLITE_OK) return rc;
  for (const StoreTarget& t : targets) {
    AdvisorInput in;
    for (const Metric& m : t.db->Metrics()) in.metrics[m.name] = m.value;
    in.options = t.db->GetOptions();
    in.in_memory = t.db->in_memory();
    in.table = (t.schema == "main" || t.schema == "temp") ? t.table : t.schema + "." + t.table;
    for (const LatencySummary& l : t.db->Latency()) {
      if (l.operation == "fsync") {
        in.fsync_mean_seconds = l.mean;
        in.fsync_seconds = l.sum;
      }
    }
    for (const ProfileRow& p : t.db->Profile()) {
      if (p.component == "compress") in.compress_seconds = p.seconds;
    }
    in.physical_memory = PhysicalMemory();
    const std::vector<Recommendation> advice = Advise(in);
    for (const Recommendation& r : advice) {
      rows->push_back(Row{t.label, r.rule, r.severity, r.title, r.evidence, r.effect, r.sql});
    }
    if (advice.empty()) {  // say so, rather than return nothing
      rows->push_back(Row{t.label, "none", "none",
                          "nothing to recommend: no rule applies to the statistics since the last "
                          "reset",
                          "{}", "", Cell()});
    }
  }
  return SQLITE_OK;
}

const TvfSpec kRecommendations = {
    .name = "lightning_recommendations",
    .schema =
        "CREATE TABLE x("
        " store TEXT,"           /* 0 the store's path, or :memory: */
        " rule TEXT,"            /* 1 rule id (README, lightning_recommendations) */
        " severity TEXT,"        /* 2 high, medium, low */
        " title TEXT,"           /* 3 */
        " evidence TEXT,"        /* 4 JSON object: measured values that triggered it */
        " expected_effect TEXT," /* 5 */
        " sql TEXT,"             /* 6 the SQL that applies it */
        " table_name HIDDEN"     /* 7 argument: a lightning table */
        ")",
    .num_columns = 8,
    .num_args = 1,
    .required_args = 0,
    .usage = "lightning_recommendations([table])",
    .fill = FillRecommendations,
    .update = nullptr,
};

}  // namespace

int RegisterAdvisorFunctions(sqlite3* db) { return RegisterTvf(db, &kRecommendations); }

}  // namespace lightning::ext
