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
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bench/child_process.h"
#include "bench/json.h"
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

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

void PrintHelp() {
  std::printf(
      "engine_bench: Lightning vs LMDB, RocksDB, LevelDB and SQLite on the same workloads.\n\n"
      "  --num N              keys in the core workloads (1000000)\n"
      "  --value_size B       value bytes in the core workloads (100)\n"
      "  --runs N             repetitions; medians are reported (1)\n"
      "  --engines a,b        subset of the engines (all compiled in)\n"
      "  --workloads a,b      subset of the workloads (all); see --list\n"
      "  --cache_size S       cache of every engine (256MB)\n"
      "  --small_cache S      cache in larger_than_cache (64MB)\n"
      "  --ltc_factor N       larger_than_cache data = N x small_cache (10)\n"
      "  --ltc_value_size B   value bytes there (1000)\n"
      "  --ltc_keys N         override the key count there\n"
      "  --batch N            puts per transaction in fills (1000)\n"
      "  --durable_ops N      commits in durable_1w/4w and syncs in fsync4k_* (2000)\n"
      "  --durable_threads N  writers in durable_4w (4)\n"
      "  --reads_per_txn N    random gets per read snapshot (1)\n"
      "  --scans N            scans in scan100 (num/20)\n"
      "  --value4k_num N      keys in fill4k/readrandom4k (num/10)\n"
      "  --big_count N        1 MiB values in fill1m/read1m_view (cache_size/2MiB, 4..512)\n"
      "  --min_scan_seconds S readseq/readreverse repeat full passes until S seconds (0.5)\n"
      "  --json FILE          write results (medians and every run) as JSON\n"
      "  --baseline FILE      compare with a JSON written earlier\n"
      "  --from_json FILE     no run: print the tables and goals of a saved JSON\n"
      "  --noise F            regression threshold, fraction of the median (0.10)\n"
      "  --fail_on_regression exit 3 when the baseline comparison flags a regression\n"
      "  --dir DIR            where stores are created (a fresh mkdtemp under /tmp)\n"
      "  --keep               leave the stores on disk\n"
      "  --timeout S          seconds one (run, group, engine) child may take (3600)\n"
      "  --no_fork            run everything in this process (for debugging)\n"
      "  --list               list workloads and engines\n");
}

void PrintList() {
  std::printf("engines:");
  for (const auto& e : AllEngines()) std::printf(" %s", e.name);
  std::printf("\n\n%-18s %-13s %-10s %s\n", "workload", "group", "unit", "what");
  for (const auto& w : AllWorkloads())
    std::printf("%-18s %-13s %-10s %s\n", w.name, w.group, w.unit, w.what);
}

// Returns 0 to go on, or an exit code.
int ParseFlags(int argc, char** argv, Flags* f) {
  std::map<std::string, std::string> kv;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") return PrintHelp(), -1;
    if (a == "--list") return PrintList(), -1;
    if (a.rfind("--", 0) != 0) {
      std::fprintf(stderr, "unexpected argument %s (see --help)\n", a.c_str());
      return 2;
    }
    a = a.substr(2);
    size_t eq = a.find('=');
    if (eq != std::string::npos) {
      kv[a.substr(0, eq)] = a.substr(eq + 1);
    } else if (a == "no_fork" || a == "keep" || a == "fail_on_regression") {
      kv[a] = "1";
    } else if (i + 1 < argc) {
      kv[a] = argv[++i];
    } else {
      std::fprintf(stderr, "--%s needs a value\n", a.c_str());
      return 2;
    }
  }
  BenchConfig& c = f->config;
  for (const auto& [name, value] : kv) {
    auto u64 = [&](uint64_t* out) {
      char* end = nullptr;
      *out = std::strtoull(value.c_str(), &end, 10);
      return end && *end == 0 && !value.empty();
    };
    auto bytes = [&](uint64_t* out) { return ParseByteSize(value, out); };
    uint64_t tmp = 0;
    bool ok = true;
    if (name == "num")
      ok = u64(&c.num) && c.num > 0 && c.num < (1ull << 32);
    else if (name == "value_size")
      ok = u64(&tmp) && tmp >= 16 && tmp <= (1u << 20), c.value_size = tmp;
    else if (name == "runs")
      ok = u64(&tmp) && tmp >= 1, c.runs = static_cast<int>(tmp);
    else if (name == "cache_size")
      ok = bytes(&c.cache_size) && c.cache_size > 0;
    else if (name == "small_cache")
      ok = bytes(&c.small_cache) && c.small_cache > 0;
    else if (name == "ltc_factor")
      ok = u64(&c.ltc_factor) && c.ltc_factor > 0;
    else if (name == "ltc_value_size")
      ok = u64(&tmp) && tmp >= 16 && tmp <= (1u << 20), c.ltc_value_size = tmp;
    else if (name == "ltc_keys")
      ok = u64(&c.ltc_keys);
    else if (name == "batch")
      ok = u64(&c.batch) && c.batch > 0;
    else if (name == "durable_ops")
      ok = u64(&c.durable_ops) && c.durable_ops > 0;
    else if (name == "durable_threads")
      ok = u64(&tmp) && tmp >= 1 && tmp <= 64, c.durable_threads = static_cast<int>(tmp);
    else if (name == "reads_per_txn")
      ok = u64(&c.reads_per_txn) && c.reads_per_txn > 0;
    else if (name == "scans")
      ok = u64(&c.scans);
    else if (name == "value4k_num")
      ok = u64(&c.value4k_num);
    else if (name == "big_count")
      ok = u64(&c.big_count);
    else if (name == "min_scan_seconds")
      c.min_scan_seconds = std::atof(value.c_str());
    else if (name == "engines")
      f->engines = SplitList(value);
    else if (name == "workloads")
      f->workloads = SplitList(value);
    else if (name == "dir")
      f->dir = value;
    else if (name == "json")
      f->json = value;
    else if (name == "baseline")
      f->baseline = value;
    else if (name == "from_json")
      f->from_json = value;
    else if (name == "noise")
      f->noise = std::atof(value.c_str());
    else if (name == "timeout")
      f->timeout_s = std::atoi(value.c_str());
    else if (name == "no_fork")
      f->fork = false;
    else if (name == "keep")
      f->keep = true;
    else if (name == "fail_on_regression")
      f->fail_on_regression = true;
    else {
      std::fprintf(stderr, "unknown flag --%s (see --help)\n", name.c_str());
      return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "bad value for --%s: '%s'\n", name.c_str(), value.c_str());
      return 2;
    }
  }
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
  return 0;
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

std::string MetaJson(const Flags& f, int argc, char** argv, const std::string& load_start) {
  std::string cmd;
  for (int i = 0; i < argc; ++i) cmd += (i ? " " : "") + std::string(argv[i]);
  char date[64];
  time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S%z", std::localtime(&now));
  utsname u{};
  ::uname(&u);
  const BenchConfig& c = f.config;
  std::ostringstream o;
  o << "{\"date\": " << JsonString(date) << ", \"command\": " << JsonString(cmd)
    << ",\n   \"machine\": {\"cpu\": " << JsonString(ReadFirstMatch("/proc/cpuinfo", "model name"))
    << ", \"cpus\": " << ::sysconf(_SC_NPROCESSORS_ONLN)
    << ", \"memory\": " << JsonString(ReadFirstMatch("/proc/meminfo", "MemTotal"))
    << ", \"kernel\": " << JsonString(std::string(u.sysname) + " " + u.release)
    << ", \"compiler\": " << JsonString(__VERSION__)
    << ", \"loadavg_start\": " << JsonString(load_start)
    << ", \"loadavg_end\": " << JsonString(LoadAverage())
    << "},\n   \"params\": {\"num\": " << c.num << ", \"value_size\": " << c.value_size
    << ", \"runs\": " << c.runs << ", \"cache_size\": " << c.cache_size
    << ", \"small_cache\": " << c.small_cache << ", \"batch\": " << c.batch
    << ", \"durable_ops\": " << c.durable_ops << ", \"durable_threads\": " << c.durable_threads
    << ", \"reads_per_txn\": " << c.reads_per_txn << ", \"scans\": " << c.Scans()
    << ", \"scan_len\": " << c.scan_len << ", \"value4k_num\": " << c.Value4kNum()
    << ", \"big_count\": " << c.BigCount() << ", \"ltc_keys\": " << c.LtcKeys()
    << ", \"ltc_value_size\": " << c.ltc_value_size << "},\n   \"engines\": {";
  bool first = true;
  for (const auto& name : f.engines) {
    for (const auto& e : AllEngines()) {
      if (name != e.name) continue;
      auto engine = e.make();
      OpenParams p;
      p.cache_bytes = c.cache_size;
      p.lmdb_map_size = c.lmdb_map_size;
      o << (first ? "" : ", ") << JsonString(e.name)
        << ": {\"version\": " << JsonString(engine->version())
        << ", \"settings\": " << JsonString(engine->Describe(p)) << "}";
      first = false;
    }
  }
  o << "}}";
  return o.str();
}

// --from_json: the tables, goals and baseline comparison of a saved run.
int ReportSaved(const Flags& flags) {
  std::vector<RowResult> rows;
  std::vector<std::string> engines;
  JsonValue root;
  std::string error;
  if (!ReadJsonRows(flags.from_json, &rows, &engines, &root, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  uint64_t small_cache = flags.config.small_cache;
  if (const JsonValue* meta = root.Find("meta")) {
    if (const JsonValue* params = meta->Find("params")) {
      small_cache =
          static_cast<uint64_t>(params->NumberOr("small_cache", static_cast<double>(small_cache)));
    }
    std::printf("%s: %s\n", flags.from_json.c_str(), meta->StringOr("command", "").c_str());
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
  int rc = ParseFlags(argc, argv, &flags);
  if (rc) return rc < 0 ? 0 : rc;
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
