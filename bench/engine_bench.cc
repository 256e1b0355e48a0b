// engine_bench: Lightning and its peers (LMDB, RocksDB, LevelDB, SQLite's C
// API) side by side, on the same workloads, in one run.
//
// USAGE
//   engine_bench [--num 1000000] [--value_size 100] [--runs 3]
//                [--engines lightning,lmdb,rocksdb,leveldb,sqlite]
//                [--workloads fillseq,readrandom,...] [--cache_size 256MB]
//                [--json FILE] [--baseline FILE] [--noise 0.10] [--dir DIR]
//   engine_bench --list            workloads, groups and engines
//   engine_bench --help            every flag
//
// IMPLEMENTATION NOTES
//   Each (run, group, engine) runs in a forked child process so that peak
//   RSS, leaked memory and crashes stay with it; the child reports rows over
//   a pipe. The parent never opens a store, so it has no threads to fork.
//   Each engine gets fresh directories under --dir, removed afterwards.
//   Reported figures are medians over --runs.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "bench/child_process.h"
#include "bench/flags.h"
#include "bench/kv_engine.h"
#include "bench/report.h"
#include "bench/workloads.h"

namespace lightning_bench {

const std::vector<EngineFactory>& AllEngines() {
  static const std::vector<EngineFactory> kEngines = {
#ifdef LIGHTNING_BENCH_HAVE_ENGINE
      {"lightning", &NewLightningEngine},
#endif
      {"lmdb", &NewLmdbEngine},           {"rocksdb", &NewRocksDbEngine},
      {"leveldb", &NewLevelDbEngine},     {"sqlite", &NewSqliteEngine},
  };
  return kEngines;
}

namespace {

struct Flags {
  BenchConfig config;
  std::vector<std::string> engines;
  std::vector<std::string> workloads;
  std::string dir;
  std::string json;
  std::string baseline;
  std::string from_json;  // report on a saved JSON instead of running
  double noise = 0.10;
  int timeout_s = 3600;
  bool fork = true;
  bool keep = false;
  bool fail_on_regression = false;
};

void PrintList() {
  std::printf("engines:");
  for (const auto& e : AllEngines()) std::printf(" %s", e.name);
  std::printf("\n\n%-18s %-13s %-10s %s\n", "workload", "group", "unit", "what");
  for (const auto& w : AllWorkloads())
    std::printf("%-18s %-13s %-10s %s\n", w.name, w.group, w.unit, w.what);
}

// Returns -1 to go on, or an exit code (0 after --help or --list).
int ParseFlags(int argc, char** argv, Flags* f) {
  CLI::App app(
      "engine_bench: Lightning vs LMDB, RocksDB, LevelDB and SQLite on the same workloads.",
      "engine_bench");
  BenchConfig& c = f->config;
  auto range = [](uint64_t lo, uint64_t hi) { return CLI::Range(lo, hi); };
  app.add_option("--num", c.num, "keys in the core workloads (1000000)")
      ->check(range(1, (1ull << 32) - 1));
  app.add_option("--value_size", c.value_size, "value bytes in the core workloads (100)")
      ->check(range(16, 1u << 20));
  app.add_option("--runs", c.runs, "repetitions; medians are reported (1)")->check(range(1, 1000));
  app.add_option("--engines", f->engines,
                 "subset of the engines, comma-separated (all compiled in)")
      ->delimiter(',');
  app.add_option("--workloads", f->workloads,
                 "subset of the workloads, comma-separated (all); see --list")
      ->delimiter(',');
  app.add_option("--cache_size", c.cache_size, "cache of every engine (256MB)")
      ->transform(ByteSize())
      ->check(range(1, UINT64_MAX));
  app.add_option("--small_cache", c.small_cache, "cache in larger_than_cache (64MB)")
      ->transform(ByteSize())
      ->check(range(1, UINT64_MAX));
  app.add_option("--ltc_factor", c.ltc_factor, "larger_than_cache data = N x small_cache (10)")
      ->check(range(1, 1u << 20));
  app.add_option("--ltc_value_size", c.ltc_value_size, "value bytes there (1000)")
      ->check(range(16, 1u << 20));
  app.add_option("--ltc_keys", c.ltc_keys, "override the key count there");
  app.add_option("--batch", c.batch, "puts per transaction in fills (1000)")
      ->check(range(1, UINT64_MAX));
  app.add_option("--durable_ops", c.durable_ops,
                 "commits in durable_1w/4w and syncs in fsync4k_* (2000)")
      ->check(range(1, UINT64_MAX));
  app.add_option("--durable_threads", c.durable_threads, "writers in durable_4w (4)")
      ->check(range(1, 64));
  app.add_option("--reads_per_txn", c.reads_per_txn, "random gets per read snapshot (1)")
      ->check(range(1, UINT64_MAX));
  app.add_option("--scans", c.scans, "scans in scan100 (num/20)");
  app.add_option("--value4k_num", c.value4k_num, "keys in fill4k/readrandom4k (num/10)");
  app.add_option("--big_count", c.big_count,
                 "1 MiB values in fill1m/read1m_view (cache_size/2MiB, 4..512)");
  app.add_option("--min_scan_seconds", c.min_scan_seconds,
                 "readseq/readreverse repeat full passes until S seconds (0.5)")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--json", f->json, "write results (medians and every run) as JSON");
  app.add_option("--baseline", f->baseline, "compare with a JSON written earlier");
  app.add_option("--from_json", f->from_json, "no run: print the tables and goals of a saved JSON");
  app.add_option("--noise", f->noise, "regression threshold, fraction of the median (0.10)")
      ->check(CLI::Range(0.0, 10.0));
  app.add_flag("--fail_on_regression", f->fail_on_regression,
               "exit 3 when the baseline comparison flags a regression");
  app.add_option("--dir", f->dir, "where stores are created (a fresh mkdtemp under /tmp)");
  app.add_flag("--keep", f->keep, "leave the stores on disk");
  app.add_option("--timeout", f->timeout_s,
                 "seconds one (run, group, engine) child may take (3600)")
      ->check(CLI::Range(1, 1 << 30));
  bool no_fork = false, list = false;
  app.add_flag("--no_fork", no_fork, "run everything in this process (for debugging)");
  app.add_flag("--list", list, "list workloads and engines");
  if (int rc = ParseCommandLine(app, argc, argv); rc >= 0) return rc;
  f->fork = !no_fork;
  if (list) return PrintList(), 0;
  if (f->engines.empty()) {
    for (const auto& e : AllEngines()) f->engines.push_back(e.name);
  }
  for (const auto& e : f->engines) {
    bool known =
        std::any_of(AllEngines().begin(), AllEngines().end(), [&](auto& x) { return e == x.name; });
    if (!known) {
      std::fprintf(stderr, "engine '%s' is not compiled into this binary%s (see --list)\n",
                   e.c_str(), e == "lightning" ? " (built with -DLIGHTNING_BENCH_ENGINE=OFF)" : "");
      return 2;
    }
  }
  if (f->workloads.empty()) {
    for (const auto& w : AllWorkloads()) f->workloads.push_back(w.name);
  }
  std::vector<std::string> expanded;
  for (const auto& w : f->workloads) {
    if (w == "fsync4k") {  // shorthand for the machine group
      expanded.push_back("fsync4k_append");
      expanded.push_back("fsync4k_overwrite");
    } else if (!FindWorkload(w)) {
      std::fprintf(stderr, "unknown workload '%s' (see --list)\n", w.c_str());
      return 2;
    } else {
      expanded.push_back(w);
    }
  }
  f->workloads = expanded;
  return -1;
}

// ---- child processes -----------------------------------------------------

// Writes progress lines to a pipe: "S\t<workload>" and "R\t<row>".
class PipeSink : public GroupSink {
 public:
  PipeSink(int fd, int run) : fd_(fd), run_(run) {}
  void Started(const std::string& workload) override { WriteLine(fd_, "S\t" + workload); }
  void Row(const RowResult& row) override {
    RowResult r = row;
    r.run = run_;
    WriteLine(fd_, "R\t" + SerializeRow(r));
  }

 private:
  int fd_;
  int run_;
};

class CollectSink : public GroupSink {
 public:
  CollectSink(int run, std::vector<RowResult>* rows, void (*progress)(const RowResult&))
      : run_(run), rows_(rows), progress_(progress) {}
  void Started(const std::string& workload) override { started_ = workload; }
  void Row(const RowResult& row) override {
    RowResult r = row;
    r.run = run_;
    rows_->push_back(r);
    progress_(r);
  }
  std::string started_;

 private:
  int run_;
  std::vector<RowResult>* rows_;
  void (*progress_)(const RowResult&);
};

void PrintProgress(const RowResult& r) {
  const WorkloadInfo* info = FindWorkload(r.workload);
  if (!r.ok) {
    std::printf("  [run %d] %-18s %-10s FAILED: %s\n", r.run, r.workload.c_str(), r.engine.c_str(),
                r.error.c_str());
  } else {
    std::printf(
        "  [run %d] %-18s %-10s %14s %-9s p50 %s p99 %s p99.9 %s us  file %s MiB  RSS %s MiB\n",
        r.run, r.workload.c_str(), r.engine.c_str(), FormatMetric(r.ops_per_sec, 0).c_str(),
        info ? info->unit : "ops/s", FormatMetric(r.p50_us, 2).c_str(),
        FormatMetric(r.p99_us, 2).c_str(), FormatMetric(r.p999_us, 2).c_str(),
        FormatMiB(r.file_bytes).c_str(), FormatMiB(r.peak_rss_bytes).c_str());
  }
  std::fflush(stdout);
}

// Runs one group for one engine in a child process; appends its rows (and
// failure rows for the selected workloads it did not report) to *rows.
void RunChild(const Flags& flags, const EngineFactory* factory, const std::string& group,
              const std::vector<std::string>& selected, const std::string& dir, int run,
              std::vector<RowResult>* rows) {
  const std::string engine = factory ? factory->name : "machine";
  std::set<std::string> reported;
  std::string in_progress;
  std::string failure;

  if (!flags.fork) {
    CollectSink sink(run, rows, &PrintProgress);
    RunGroup(flags.config, factory, group, selected, dir, &sink);
    return;
  }

  failure = RunInChild(
      [&](int fd) {
        PipeSink sink(fd, run);
        RunGroup(flags.config, factory, group, selected, dir, &sink);
      },
      flags.timeout_s,
      [&](const std::string& line) {
        if (line.rfind("S\t", 0) == 0) {
          in_progress = line.substr(2);
        } else if (line.rfind("R\t", 0) == 0) {
          RowResult r;
          if (ParseRow(line.substr(2), &r)) {
            reported.insert(r.workload);
            rows->push_back(r);
            PrintProgress(r);
            in_progress.clear();
          }
        }
      });
  if (failure.empty()) return;
  for (const auto& w : selected) {
    if (reported.count(w)) continue;
    RowResult r;
    r.engine = engine;
    r.workload = w;
    r.run = run;
    r.ok = false;
    r.error = w == in_progress || in_progress.empty()
                  ? failure + (in_progress.empty() ? "" : " during " + w)
                  : "not run: " + failure + " during " + in_progress;
    rows->push_back(r);
    PrintProgress(r);
  }
}

// ---- metadata ----------------------------------------------------------------

std::string ReadFirstMatch(const char* path, const char* prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      size_t colon = line.find(':');
      std::string v = colon == std::string::npos ? line : line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "";
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

nlohmann::ordered_json MetaJson(const Flags& f, int argc, char** argv,
                                const std::string& load_start) {
  std::string cmd;
  for (int i = 0; i < argc; ++i) cmd += (i ? " " : "") + std::string(argv[i]);
  char date[64];
  time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S%z", std::localtime(&now));
  utsname u{};
  ::uname(&u);
  const BenchConfig& c = f.config;
  nlohmann::ordered_json meta = {{"date", date},
                                 {"command", cmd},
                                 {"machine",
                                  {{"cpu", ReadFirstMatch("/proc/cpuinfo", "model name")},
                                   {"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
                                   {"memory", ReadFirstMatch("/proc/meminfo", "MemTotal")},
                                   {"kernel", std::string(u.sysname) + " " + u.release},
                                   {"compiler", __VERSION__},
                                   {"loadavg_start", load_start},
                                   {"loadavg_end", LoadAverage()}}},
                                 {"params",
                                  {{"num", c.num},
                                   {"value_size", c.value_size},
                                   {"runs", c.runs},
                                   {"cache_size", c.cache_size},
                                   {"small_cache", c.small_cache},
                                   {"batch", c.batch},
                                   {"durable_ops", c.durable_ops},
                                   {"durable_threads", c.durable_threads},
                                   {"reads_per_txn", c.reads_per_txn},
                                   {"scans", c.Scans()},
                                   {"scan_len", c.scan_len},
                                   {"value4k_num", c.Value4kNum()},
                                   {"big_count", c.BigCount()},
                                   {"ltc_keys", c.LtcKeys()},
                                   {"ltc_value_size", c.ltc_value_size}}}};
  nlohmann::ordered_json& engines = meta["engines"] = nlohmann::ordered_json::object();
  for (const auto& name : f.engines) {
    for (const auto& e : AllEngines()) {
      if (name != e.name) continue;
      auto engine = e.make();
      OpenParams p;
      p.cache_bytes = c.cache_size;
      p.lmdb_map_size = c.lmdb_map_size;
      engines[e.name] = {{"version", engine->version()}, {"settings", engine->Describe(p)}};
    }
  }
  return meta;
}

// --from_json: the tables, goals and baseline comparison of a saved run.
int ReportSaved(const Flags& flags) {
  std::vector<RowResult> rows;
  std::vector<std::string> engines;
  nlohmann::json root;
  std::string error;
  if (!ReadJsonRows(flags.from_json, &rows, &engines, &root, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  // "meta" is optional; a figure of the wrong type there is ignored, not fatal.
  uint64_t small_cache = flags.config.small_cache;
  const nlohmann::json* meta = root.contains("meta") ? &root["meta"] : nullptr;
  if (meta != nullptr && meta->is_object()) {
    auto params = meta->find("params");
    if (params != meta->end() && params->is_object()) {
      auto v = params->find("small_cache");
      if (v != params->end() && v->is_number_unsigned()) small_cache = v->get<uint64_t>();
    }
    auto command = meta->find("command");
    std::printf(
        "%s: %s\n", flags.from_json.c_str(),
        command != meta->end() && command->is_string() ? command->get<std::string>().c_str() : "");
  }
  std::vector<std::string> workload_order;
  for (const auto& w : AllWorkloads()) workload_order.push_back(w.name);
  std::vector<Aggregate> aggs = AggregateRows(rows, workload_order, engines);
  PrintTable(stdout, aggs);
  std::printf("\n");
  PrintMatrix(stdout, aggs, workload_order, engines);
  if (std::find(engines.begin(), engines.end(), "lightning") != engines.end()) {
    std::printf("\nGoals (Lightning):\n");
    PrintGoals(stdout, EvaluateGoals(aggs, small_cache));
  }
  if (!flags.baseline.empty()) {
    std::printf("\n");
    CompareWithBaseline(stdout, flags.baseline, aggs, flags.noise);
  }
  return 0;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (int rc = ParseFlags(argc, argv, &flags); rc >= 0) return rc;
  if (!flags.from_json.empty()) return ReportSaved(flags);
  const BenchConfig& c = flags.config;

  bool own_dir = false;
  std::string base = flags.dir;
  if (base.empty()) {
    char tmpl[] = "/tmp/lightning_bench.XXXXXX";
    if (!::mkdtemp(tmpl)) {
      std::perror("mkdtemp");
      return 2;
    }
    base = tmpl;
    own_dir = true;
  } else {
    std::filesystem::create_directories(base);
  }

  std::printf("engine_bench: num=%llu value_size=%zu runs=%d cache_size=%llu MiB engines=",
              (unsigned long long)c.num, c.value_size, c.runs,
              (unsigned long long)(c.cache_size >> 20));
  for (size_t i = 0; i < flags.engines.size(); ++i)
    std::printf("%s%s", i ? "," : "", flags.engines[i].c_str());
  const std::string load_start = LoadAverage();
  std::printf(" dir=%s loadavg=%s\n", base.c_str(), load_start.c_str());

  std::vector<RowResult> rows;
  for (int run = 1; run <= c.runs; ++run) {
    for (const std::string& group : AllGroups()) {
      std::vector<std::string> selected;
      for (const auto& w : flags.workloads) {
        if (FindWorkload(w)->group == group) selected.push_back(w);
      }
      if (selected.empty()) continue;
      std::vector<const EngineFactory*> targets;
      if (group == "machine") {
        targets.push_back(nullptr);
      } else {
        for (const auto& name : flags.engines) {
          for (const auto& e : AllEngines()) {
            if (name == e.name) targets.push_back(&e);
          }
        }
      }
      for (const EngineFactory* factory : targets) {
        const std::string dir = base + "/" + (factory ? factory->name : "machine") + "-run" +
                                std::to_string(run) + "-" + group;
        std::filesystem::create_directories(dir);
        RunChild(flags, factory, group, selected, dir, run, &rows);
        if (!flags.keep) std::filesystem::remove_all(dir);
      }
    }
  }
  if (own_dir && !flags.keep) std::filesystem::remove_all(base);

  std::vector<std::string> workload_order;
  for (const auto& w : AllWorkloads()) workload_order.push_back(w.name);
  std::vector<std::string> engine_order = flags.engines;
  engine_order.push_back("machine");
  std::vector<Aggregate> aggs = AggregateRows(rows, workload_order, engine_order);

  std::printf("\nMedians over %d run(s):\n\n", c.runs);
  PrintTable(stdout, aggs);
  std::printf("\n");
  PrintMatrix(stdout, aggs, workload_order, engine_order);

  std::vector<GoalResult> goals;
  if (std::find(flags.engines.begin(), flags.engines.end(), "lightning") != flags.engines.end()) {
    goals = EvaluateGoals(aggs, c.small_cache);
    std::printf("\nGoals (Lightning):\n");
    PrintGoals(stdout, goals);
  }

  int regressions = 0;
  if (!flags.baseline.empty()) {
    std::printf("\n");
    regressions = CompareWithBaseline(stdout, flags.baseline, aggs, flags.noise);
  }
  if (!flags.json.empty()) {
    std::string error;
    if (!WriteJson(flags.json, "engine_bench", MetaJson(flags, argc, argv, load_start), aggs, goals,
                   &error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 2;
    }
    std::printf("\nwrote %s\n", flags.json.c_str());
  }

  int failed = 0;
  for (const auto& a : aggs) failed += a.ok ? 0 : 1;
  std::printf("\n%d passed, %d failed\n", static_cast<int>(aggs.size()) - failed, failed);
  if (failed) return 1;
  if (flags.fail_on_regression && regressions > 0) return 3;
  return 0;
}

}  // namespace
}  // namespace lightning_bench

int main(int argc, char** argv) { return lightning_bench::Main(argc, argv); }
