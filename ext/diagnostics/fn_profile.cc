/*
** lightning_profile([table]): where the engine's time goes, by component.
** lightning_profile_start(path [, hz]) / lightning_profile_stop(): a CPU
** profile of the whole process as folded stacks and an SVG flame graph.
**
** USAGE
**
**   SELECT component, seconds, share FROM lightning_profile('users');
**   SELECT lightning_profile_start('/tmp/run.folded');      -- 999 Hz
**   ... the workload ...
**   SELECT lightning_profile_stop();   -- writes /tmp/run.folded and /tmp/run.svg
**
** EXAMPLE
**
**   sqlite> SELECT component, round(seconds, 4), round(share, 3) FROM lightning_profile('users');
**   tree_search|0.0412|0.38
**   cache_load|0.0101|0.093
**   ...
**   unattributed|0.0047|0.043
**   total|0.1084|1.0
**
** IMPLEMENTATION NOTES
**
**   The component profile is the engine's (engine/profile.h): each measured
**   operation's wall time is split among tree_search, tree_update,
**   cache_load, decompress, compress, checksum, wal_append, fsync and
**   checkpoint; what none claims is `unattributed`, and `total` is the wall
**   time of the operations. Gets, puts, deletes, seeks and scan steps are
**   measured 1 in 64 per thread and kind (scan steps 1 in 1024 per cursor)
**   and scaled up; commits,
**   checkpoints and compactions every time. Reset with lightning_stats_reset.
**   The CPU profile samples every thread of the process (SIGPROF at `hz` per
**   CPU-second); see cpu_sampler.h. The folded file has one "a;b;c N" line
**   per distinct stack, outermost frame first: flamegraph.pl, speedscope and
**   inferno read it. The SVG is drawn by flame_graph.cc.
**
** LIMITATIONS
**
**   One CPU profile per process at a time. The functions write the files
**   their SQL names (they are DIRECTONLY: only top-level SQL can call them).
**   Time a thread spends blocked (waiting for fsync or a lock) is in the
**   component profile but not in CPU samples.
*/
#include <cstdio>
#include <mutex>

#include "ext/diagnostics/cpu_sampler.h"
#include "ext/diagnostics/flame_graph.h"
#include "ext/functions/functions.h"
#include "ext/functions/tvf.h"
#include "ext/store_lookup.h"

namespace lightning::ext {
namespace {

int FillProfile(sqlite3* db, sqlite3_value** args, std::vector<Row>* rows, std::string* err) {
  std::vector<StoreTarget> targets;
  std::string table = args[0] ? ValueText(args[0]) : "";
  int rc = FindStores(db, args[0] ? table.c_str() : nullptr, &targets, err);
  if (rc != SQLITE_OK) return rc;
  for (const StoreTarget& t : targets) {
    for (const ProfileRow& p : t.db->Profile()) {
      rows->push_back(Row{t.label, p.component, p.seconds, p.share,
                          static_cast<int64_t>(p.measured), p.method, p.description});
    }
  }
  return SQLITE_OK;
}

const TvfSpec kProfile = {
    .name = "lightning_profile",
    .schema =
        "CREATE TABLE x("
        " store TEXT,"       /* 0 the store's path, or :memory: */
        " component TEXT,"   /* 1 a component, unattributed, or total */
        " seconds REAL,"     /* 2 estimated time since the last reset */
        " share REAL,"       /* 3 seconds / total seconds */
        " measured INTEGER," /* 4 measured operations of the kinds that spent time here */
        " method TEXT,"      /* 5 how it is measured */
        " description TEXT," /* 6 */
        " table_name HIDDEN" /* 7 argument: a lightning table */
        ")",
    .num_columns = 8,
    .num_args = 1,
    .required_args = 0,
    .usage = "lightning_profile([table])",
    .fill = FillProfile,
    .update = nullptr,
};

std::mutex g_path_mu;
std::string g_path;  // GUARDED_BY(g_path_mu): where lightning_profile_stop writes

std::string SvgPath(const std::string& folded) {
  const size_t dot = folded.rfind('.'), slash = folded.rfind('/');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash))
    return folded.substr(0, dot) + ".svg";
  return folded + ".svg";
}

void StartFunc(sqlite3_context* ctx, int argc, sqlite3_value** argv) noexcept {
  try {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
      return sqlite3_result_error(
          ctx, "lightning_profile_start: the path of the folded-stacks file is NULL", -1);
    const std::string path = ValueText(argv[0]);
    const int hz = argc > 1 ? sqlite3_value_int(argv[1]) : 999;
    if (FILE* f = std::fopen(path.c_str(), "w")) {
      std::fclose(f);
    } else {
      return sqlite3_result_error(ctx, ("lightning_profile_start: cannot write " + path).c_str(),
                                  -1);
    }
    Status s = CpuSampler::Start(hz);
    if (!s.ok())
      return sqlite3_result_error(ctx, ("lightning_profile_start: " + s.message()).c_str(), -1);
    {
      std::lock_guard<std::mutex> lock(g_path_mu);
      g_path = path;
    }
    std::string msg = "profiling at " + std::to_string(hz) + " Hz into " + path;
    sqlite3_result_text(ctx, msg.c_str(), -1, SQLITE_TRANSIENT);
  } catch (...) {
    sqlite3_result_error_nomem(ctx);
  }
}

void StopFunc(sqlite3_context* ctx, int, sqlite3_value**) noexcept {
  try {
    CpuProfile profile;
    Status s = CpuSampler::Stop(&profile);
    if (!s.ok())
      return sqlite3_result_error(ctx, ("lightning_profile_stop: " + s.message()).c_str(), -1);
    std::string path;
    {
      std::lock_guard<std::mutex> lock(g_path_mu);
      path = g_path;
    }
    const std::string svg = SvgPath(path);
    char title[160];
    std::snprintf(title, sizeof title, "lightning CPU profile: %llu samples at %d Hz over %.2f s",
                  static_cast<unsigned long long>(profile.samples), profile.hz, profile.seconds);
    s = WriteFoldedStacks(path, profile);
    if (s.ok()) s = WriteFlameGraph(svg, profile.stacks, title);
    if (!s.ok())
      return sqlite3_result_error(ctx, ("lightning_profile_stop: " + s.message()).c_str(), -1);
    char msg[160];
    std::snprintf(msg, sizeof msg, "%llu samples (%llu dropped) over %.2f s at %d Hz: ",
                  static_cast<unsigned long long>(profile.samples),
                  static_cast<unsigned long long>(profile.dropped), profile.seconds, profile.hz);
    std::string result = msg + path + " (folded stacks), " + svg + " (flame graph)";
    sqlite3_result_text(ctx, result.c_str(), -1, SQLITE_TRANSIENT);
  } catch (...) {
    sqlite3_result_error_nomem(ctx);
  }
}

}  // namespace

int RegisterProfileFunctions(sqlite3* db) {
  int rc = RegisterTvf(db, &kProfile);
  const int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
  for (int n = 1; n <= 2 && rc == SQLITE_OK; n++)
    rc = sqlite3_create_function_v2(db, "lightning_profile_start", n, flags, nullptr, StartFunc,
                                    nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function_v2(db, "lightning_profile_stop", 0, flags, nullptr, StopFunc,
                                    nullptr, nullptr, nullptr);
  return rc;
}

}  // namespace lightning::ext
