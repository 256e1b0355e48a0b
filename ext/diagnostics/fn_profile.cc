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
**   SELECT lightning_profile_start('/tmp/run.svg', 250);   -- the same two files
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
**   lightning_profile_start checks its arguments (hz an integer in 1..10000),
**   that no profile is running and that both files can be written, and opens
**   neither: a refused call leaves them as they were. A path ending in .svg
**   names the flame graph; the folded stacks then go to the .folded beside it.
**
** LIMITATIONS
**
**   One CPU profile per process at a time. The functions write the files
**   their SQL names (they are DIRECTONLY: only top-level SQL can call them).
**   Time a thread spends blocked (waiting for fsync or a lock) is in the
**   component profile but not in CPU samples.
*/
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "ext/diagnostics/cpu_sampler.h"
#include "ext/diagnostics/flame_graph.h"
#include "ext/functions/functions.h"
#include "ext/functions/tvf.h"
#include "ext/store_lookup.h"
#include "vfs/guarded_call.h"

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

// The two files of a profile: the folded stacks at `path`, the flame graph
// beside it with the extension .svg. A path that already ends in .svg names
// the flame graph; the folded stacks then go to the same stem + .folded, so
// neither file overwrites the other.
struct ProfilePaths {
  std::string folded, svg;
};

ProfilePaths PathsOf(const std::string& path) {
  const size_t dot = path.rfind('.'), slash = path.rfind('/');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  const std::string stem = has_ext ? path.substr(0, dot) : path;
  if (has_ext && path.substr(dot) == ".svg") return {stem + ".folded", path};
  return {path, stem + ".svg"};
}

// True if `path` could be written without creating or truncating it now: an
// existing file must be writable, a new one's directory writable.
bool Writable(const std::string& path) {
  if (access(path.c_str(), F_OK) == 0) return access(path.c_str(), W_OK) == 0;
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  return access(dir.c_str(), W_OK | X_OK) == 0;
}

// lightning_profile_start(path [, hz]). Everything is checked before the
// sampler starts, and no file is touched: a refused call leaves the files
// as they were (lightning_profile_stop writes them).
void StartFunc(sqlite3_context* ctx, int argc, sqlite3_value** argv) noexcept {
  GuardedResult(ctx, [&] {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
      return sqlite3_result_error(
          ctx, "lightning_profile_start: the path of the folded-stacks file is NULL", -1);
    const std::string path = ValueText(argv[0]);
    int64_t hz = 999;
    if (argc > 1) {
      hz = sqlite3_value_int64(argv[1]);
      if (sqlite3_value_numeric_type(argv[1]) != SQLITE_INTEGER || hz < 1 || hz > 10000) {
        const std::string msg =
            "lightning_profile_start: the sampling rate must be an integer from 1 to 10000 Hz, "
            "got '" +
            ValueText(argv[1]) + "'";
        return sqlite3_result_error(ctx, msg.c_str(), -1);
      }
    }
    if (CpuSampler::running())
      return sqlite3_result_error(ctx,
                                  "lightning_profile_start: a CPU profile is already running "
                                  "(lightning_profile_stop() ends it)",
                                  -1);
    const ProfilePaths files = PathsOf(path);
    for (const std::string& file : {files.folded, files.svg}) {
      if (!Writable(file))
        return sqlite3_result_error(
            ctx,
            ("lightning_profile_start: cannot write " + file + ": " + std::strerror(errno)).c_str(),
            -1);
    }
    Status s = CpuSampler::Start(static_cast<int>(hz));
    if (!s.ok())
      return sqlite3_result_error(ctx, ("lightning_profile_start: " + s.message()).c_str(), -1);
    {
      std::lock_guard<std::mutex> lock(g_path_mu);
      g_path = path;
    }
    std::string msg = "profiling at " + std::to_string(hz) + " Hz into " + files.folded;
    if (files.folded != path) msg += " and " + files.svg;
    sqlite3_result_text(ctx, msg.c_str(), -1, SQLITE_TRANSIENT);
  });
}

void StopFunc(sqlite3_context* ctx, int, sqlite3_value**) noexcept {
  GuardedResult(ctx, [&] {
    CpuProfile profile;
    Status s = CpuSampler::Stop(&profile);
    if (!s.ok())
      return sqlite3_result_error(ctx, ("lightning_profile_stop: " + s.message()).c_str(), -1);
    std::string path;
    {
      std::lock_guard<std::mutex> lock(g_path_mu);
      path = g_path;
    }
    const ProfilePaths files = PathsOf(path);
    const std::string& svg = files.svg;
    char title[160];
    std::snprintf(title, sizeof title, "lightning CPU profile: %llu samples at %d Hz over %.2f s",
                  static_cast<unsigned long long>(profile.samples), profile.hz, profile.seconds);
    s = WriteFoldedStacks(files.folded, profile);
    if (s.ok()) s = WriteFlameGraph(svg, profile.stacks, title);
    if (!s.ok())
      return sqlite3_result_error(ctx, ("lightning_profile_stop: " + s.message()).c_str(), -1);
    char msg[160];
    std::snprintf(msg, sizeof msg, "%llu samples (%llu dropped) over %.2f s at %d Hz: ",
                  static_cast<unsigned long long>(profile.samples),
                  static_cast<unsigned long long>(profile.dropped), profile.seconds, profile.hz);
    std::string result = msg + files.folded + " (folded stacks), " + svg + " (flame graph)";
    sqlite3_result_text(ctx, result.c_str(), -1, SQLITE_TRANSIENT);
  });
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
