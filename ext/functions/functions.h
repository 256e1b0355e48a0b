// The lightning_*() SQL functions: one registration call per family, each in
// its own file. extension.cc calls RegisterFunctions for every connection.
//
//   fn_stats.cc        lightning_stats, lightning_stats_reset
//   fn_latency.cc      lightning_latency
//   fn_config.cc       lightning_config, lightning_preset, lightning_presets
//   fn_advisor.cc      lightning_recommendations (rules in advisor.cc)
//   fn_profile.cc      lightning_profile, lightning_profile_start/_stop
//   fn_metrics.cc      lightning_metrics (Prometheus text)
//   fn_maintenance.cc  lightning_checkpoint, lightning_compact, lightning_check
//   fn_bench.cc        lightning_bench (engine workloads on a temporary store)
//   fn_index.cc        lightning_create_index, lightning_drop_index
//   fn_vfs.cc          lightning_vfs_error (why an open through the VFS failed)
//   fn_aliases.cc      lightning_declare_aliases (temp aliases: concurrent writers)
//   help.cc            lightning_help (every function, option and preset)
//
// Every one is DIRECTONLY: usable from top-level SQL, never from a trigger,
// view or schema object (a database file must not be able to run them).
#pragma once

#include <vector>

#include "ext/sqlite_api.h"

namespace lightning::ext {

int RegisterStatsFunctions(sqlite3* db);
int RegisterLatencyFunctions(sqlite3* db);
int RegisterConfigFunctions(sqlite3* db);
int RegisterAdvisorFunctions(sqlite3* db);
int RegisterProfileFunctions(sqlite3* db);
int RegisterMetricsFunctions(sqlite3* db);
int RegisterMaintenanceFunctions(sqlite3* db);
int RegisterBenchFunctions(sqlite3* db);
int RegisterVfsFunctions(sqlite3* db);
int RegisterIndexFunctions(sqlite3* db);
int RegisterHelpFunctions(sqlite3* db);
int RegisterAliasFunctions(sqlite3* db);

// One line of lightning_help for each SQL function and module the extension
// registers (tests hold it equal to SQLite's function and module lists).
struct FunctionHelp {
  const char* kind;  // "module" or "function"
  const char* name;
  const char* usage;
  const char* description;
  const char* example;
};
const std::vector<FunctionHelp>& AllFunctionHelp();

// All of the above; stops at the first failure.
int RegisterFunctions(sqlite3* db);

}  // namespace lightning::ext
