/*
** lightning_help([topic]): every SQL function, option and preset of the
** extension, each with a one-line description and an example.
**
** USAGE
**
**   SELECT * FROM lightning_help;                     -- everything
**   SELECT name, example FROM lightning_help WHERE kind = 'option';
**   SELECT * FROM lightning_help('cache_size');       -- one topic
**   SELECT lightning_help();                          -- the same, as one text
**   SELECT lightning_help('lightning_stats');
**
** EXAMPLE
**
**   sqlite> SELECT kind, name, example FROM lightning_help('oltp');
**   preset|oltp|SELECT * FROM lightning_preset('t', 'oltp');
**
** IMPLEMENTATION NOTES
**
**   The rows come from the registries themselves: the function table
**   (AllFunctionHelp, below, which tests/python/test_help.py holds equal to
**   what SQLite has registered: PRAGMA function_list and module_list), the
**   option table (AllOptions) and the presets (AllPresets). Kinds, in order:
**   module, function, option, preset. A topic matches a name
**   case-insensitively, or a kind.
**
** LIMITATIONS
**
**   One line each: the full reference is docs/functions.md and
**   docs/options.md.
*/
#include <cctype>
#include <string>
#include <vector>

#include "ext/functions/functions.h"
#include "ext/functions/tvf.h"
#include "lightning/options.h"
#include "lightning/presets.h"
#include "vfs/guarded_call.h"

namespace lightning::ext {

const std::vector<FunctionHelp>& AllFunctionHelp() {
  static const std::vector<FunctionHelp> kHelp = {
      {"module", "lightning", "lightning(column definitions [, option=value ...])",
       "a table stored in the lightning engine (one store per database file by default)",
       "CREATE VIRTUAL TABLE kv USING lightning(k TEXT PRIMARY KEY, v, cache_size='256MiB');"},
      {"function", "lightning_version", "lightning_version()",
       "the extension's version, the SQLite it runs in and the SIMD level in use",
       "SELECT lightning_version();"},
      {"function", "lightning_help", "lightning_help([topic])",
       "this list: every function, option and preset, with an example (table and scalar)",
       "SELECT name, description FROM lightning_help WHERE kind = 'function';"},
      {"function", "lightning_stats", "lightning_stats([table])",
       "counters and gauges of a store, one row per metric, with a human-readable column",
       "SELECT name, value, pretty FROM lightning_stats('kv');"},
      {"function", "lightning_stats_reset", "lightning_stats_reset([table])",
       "zeroes a store's counters, latency histograms and profile; returns how many stores",
       "SELECT lightning_stats_reset('kv');"},
      {"function", "lightning_latency", "lightning_latency([table])",
       "count, mean, percentiles and max of each engine operation",
       "SELECT operation, count, p50_us, p99_us FROM lightning_latency('kv');"},
      {"function", "lightning_config", "lightning_config([table])",
       "every option of a store; UPDATE its value column to change one",
       "UPDATE lightning_config SET value = '256MiB' WHERE table_name = 'kv' AND name = "
       "'cache_size';"},
      {"function", "lightning_preset", "lightning_preset(table, preset)",
       "applies a named bundle of options to a table's store",
       "SELECT option, new_value, applies FROM lightning_preset('kv', 'read_heavy');"},
      {"function", "lightning_presets", "lightning_presets",
       "the presets, when to use each, and the options they set",
       "SELECT DISTINCT preset, when_to_use FROM lightning_presets;"},
      {"function", "lightning_recommendations", "lightning_recommendations([table])",
       "advice from a store's live statistics, with the evidence and the SQL that applies it",
       "SELECT rule, title, sql FROM lightning_recommendations('kv');"},
      {"function", "lightning_profile", "lightning_profile([table])",
       "where the engine's time goes, by component",
       "SELECT component, seconds, share FROM lightning_profile('kv');"},
      {"function", "lightning_profile_start", "lightning_profile_start(path [, hz])",
       "starts a CPU profile of the process (folded stacks and an SVG flame graph at stop)",
       "SELECT lightning_profile_start('/tmp/run.folded', 999);"},
      {"function", "lightning_profile_stop", "lightning_profile_stop()",
       "stops the CPU profile and writes its folded stacks and flame graph",
       "SELECT lightning_profile_stop();"},
      {"function", "lightning_metrics", "lightning_metrics([table])",
       "every figure in the Prometheus text exposition format (table and scalar)",
       "SELECT lightning_metrics();"},
      {"function", "lightning_checkpoint", "lightning_checkpoint(table)",
       "writes committed pages into the store's file and resets its WAL",
       "SELECT lightning_checkpoint('kv');"},
      {"function", "lightning_compact", "lightning_compact(table)",
       "moves pages out of the file's tail and truncates it, giving space back",
       "SELECT lightning_compact('kv');"},
      {"function", "lightning_check", "lightning_check(table)",
       "full integrity check of a store: one row per problem, or one row 'ok'",
       "SELECT problem FROM lightning_check('kv');"},
      {"function", "lightning_create_index",
       "lightning_create_index(table, name, columns [, unique])",
       "adds a secondary index to a lightning table, built from its rows in one transaction "
       "(columns as 'a, b DESC'; unique=1 for a UNIQUE index)",
       "SELECT lightning_create_index('kv', 'ix_v', 'v');"},
      {"function", "lightning_drop_index", "lightning_drop_index(table, name)",
       "removes an index added with lightning_create_index",
       "SELECT lightning_drop_index('kv', 'ix_v');"},
      {"function", "lightning_bench", "lightning_bench(workload, n [, value_size [, threads]])",
       "an engine benchmark on a temporary store (fillseq, fillrandom, readrandom, readseq, "
       "mixed)",
       "SELECT phase, ops_per_sec, p99_us FROM lightning_bench('readrandom', 100000);"},
      {"function", "lightning_vfs_error", "lightning_vfs_error()",
       "why the last open through the lightning VFS on this thread was refused, or NULL",
       "SELECT lightning_vfs_error();"},
      {"function", "lightning_declare_aliases", "lightning_declare_aliases([schema])",
       "declares temp.<name> USING lightning(alias=schema) for every lightning table of schema "
       "(default main) without one, so that this connection's writes share fsyncs with other "
       "connections'; returns how many",
       "SELECT lightning_declare_aliases();"},
  };
  return kHelp;
}

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string OptionExample(const OptionInfo& o) {
  if (o.live)
    return std::string("UPDATE lightning_config SET value = '") + o.default_value +
           "' WHERE table_name = 'kv' AND name = '" + o.name + "';";
  return std::string("CREATE VIRTUAL TABLE kv USING lightning(k TEXT PRIMARY KEY, v, ") + o.name +
         "='" + o.default_value + "');";
}

std::string OptionDescription(const OptionInfo& o) {
  std::string d = o.description;
  d += std::string(" (default ") + o.default_value;
  if (*o.allowed) d += std::string("; one of ") + o.allowed;
  if (*o.min_value) d += std::string("; ") + o.min_value + " to " + o.max_value;
  d += o.live ? "; live)" : "; at open)";
  return d;
}

// Every help row (kind, name, usage, description, example), filtered by
// `topic` unless it is empty.
std::vector<Row> HelpRows(const std::string& topic) {
  std::vector<Row> rows;
  const std::string want = Lower(topic);
  auto add = [&](const std::string& kind, const std::string& name, const std::string& usage,
                 const std::string& description, const std::string& example) {
    if (want.empty() || want == kind || want == Lower(name))
      rows.push_back(Row{kind, name, usage, description, example});
  };
  for (const FunctionHelp& f : AllFunctionHelp())
    add(f.kind, f.name, f.usage, f.description, f.example);
  for (const OptionInfo& o : AllOptions())
    add("option", o.name, std::string(o.name) + "='" + o.default_value + "'", OptionDescription(o),
        OptionExample(o));
  for (const Preset& p : AllPresets())
    add("preset", p.name, std::string("lightning_preset(table, '") + p.name + "')", p.when_to_use,
        std::string("SELECT * FROM lightning_preset('kv', '") + p.name + "');");
  return rows;
}

int FillHelp(sqlite3*, sqlite3_value** args, std::vector<Row>* rows, std::string* err) {
  const std::string topic = args[0] ? ValueText(args[0]) : "";
  *rows = HelpRows(topic);
  if (rows->empty()) {
    *err = "no function, option or preset named '" + topic +
           "'; SELECT name FROM lightning_help lists them";
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

const TvfSpec kHelpSpec = {
    .name = "lightning_help",
    .schema =
        "CREATE TABLE x("
        " kind TEXT,"        /* 0 module, function, option or preset */
        " name TEXT,"        /* 1 */
        " usage TEXT,"       /* 2 how it is called or written */
        " description TEXT," /* 3 one line */
        " example TEXT,"     /* 4 SQL to try */
        " topic HIDDEN"      /* 5 argument: a name or a kind */
        ")",
    .num_columns = 6,
    .num_args = 1,
    .required_args = 0,
    .usage = "lightning_help([topic])",
    .fill = FillHelp,
    .update = nullptr,
};

// lightning_help([topic]) as a scalar: the rows as text, two lines each.
void HelpFunc(sqlite3_context* ctx, int argc, sqlite3_value** argv) noexcept {
  GuardedResult(ctx, [&] {
    if (argc == 1 && sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);
    const std::string topic = argc == 1 ? ValueText(argv[0]) : "";
    std::string text;
    for (const Row& r : HelpRows(topic)) {
      const auto& kind = std::get<std::string>(r[0]);
      const auto& usage = std::get<std::string>(r[2]);
      text += kind + " " + usage + ": " + std::get<std::string>(r[3]) + "\n    " +
              std::get<std::string>(r[4]) + "\n";
    }
    if (text.empty()) {
      const std::string msg = "lightning_help: no function, option or preset named '" + topic +
                              "'; SELECT name FROM lightning_help lists them";
      return sqlite3_result_error(ctx, msg.c_str(), -1);
    }
    text.pop_back();
    sqlite3_result_text(ctx, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  });
}

}  // namespace

int RegisterHelpFunctions(sqlite3* db) {
  int rc = RegisterTvf(db, &kHelpSpec);
  for (int n = 0; n <= 1 && rc == SQLITE_OK; n++) {
    rc = sqlite3_create_function_v2(db, "lightning_help", n, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                    nullptr, HelpFunc, nullptr, nullptr, nullptr);
  }
  return rc;
}

}  // namespace lightning::ext
