// overhead_bench: what the engine's statistics cost on the read path.
//
// The same source is built twice (bench/overhead.cmake): overhead_bench links
// the engine as shipped — every counter, the sampled latency histograms and
// the profile hooks on — and overhead_bench_nostats links a copy of the
// engine compiled with LIGHTNING_NO_STATS, where all of them compile to
// nothing. Results: bench/RESULTS.md, "What the statistics cost".
//
// Each run fills one in-memory-cached store (--num keys of 16 bytes,
// --value_size-byte values, sync=off), then for --rounds rounds measures
//   readrandom  --reads point lookups of uniformly random keys, each in its
//               own read transaction (as engine_bench's readrandom), and
//   readseq     cursor passes over every key, each in its own read transaction
//   (--scans passes per round) and prints one line per round, then the
// median and the best round of each workload, as
//   RESULT variant=stats_on ... readrandom_median_ops=... readrandom_best_ops=... ...
// Every lookup must find its key and every value is checked by length.
//
// Driver mode runs both binaries alternately and compares them:
//
//   build/overhead_bench --compare=build/overhead_bench_nostats --pairs=10 --num=200000
//   --reads=300000
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bench/flags.h"
#include "lightning/db.h"
#include "tests/common/random.h"

namespace {

using lightning::DB;
using lightning::Options;
using lightning::Status;

struct Flags {
  uint64_t num = 500000;
  uint64_t value_size = 100;
  uint64_t reads = 2000000;
  int scans = 5;
  int rounds = 5;
  std::string dir;
  std::string compare;  // driver mode: the other variant's binary
  int pairs = 10;
  std::string pass_through;  // the workload flags, for the children
};

void FormatKey(uint64_t i, char* out) {
  for (int d = 15; d >= 0; d--) {
    out[d] = static_cast<char>('0' + i % 10);
    i /= 10;
  }
}

[[noreturn]] void Die(const char* what, const Status& s) {
  std::fprintf(stderr, "overhead_bench: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  CLI::App app(
      "overhead_bench: the cost of the engine's statistics (stats on vs LIGHTNING_NO_STATS)",
      "overhead_bench");
  app.add_option("--num", f.num, "keys loaded (500000)")->check(CLI::Range(1ull, 1ull << 32));
  app.add_option("--value_size", f.value_size, "value bytes (100)")
      ->check(CLI::Range(16ull, 1ull << 20));
  app.add_option("--reads", f.reads, "random point lookups per round (2000000)")
      ->check(CLI::Range(1ull, 1ull << 40));
  app.add_option("--scans", f.scans, "full scans per round (5)")->check(CLI::Range(1, 1 << 20));
  app.add_option("--rounds", f.rounds, "rounds; medians and bests are reported (5)")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--dir", f.dir, "where the store is created (a fresh mkdtemp)");
  app.add_option("--compare", f.compare, "driver mode: the other variant's binary");
  app.add_option("--pairs", f.pairs, "driver mode: runs of each binary (10)")
      ->check(CLI::Range(1, 1000));
  if (int rc = lightning_bench::ParseCommandLine(app, argc, argv); rc >= 0) std::exit(rc);
  // The workload flags again, for the children the driver runs.
  f.pass_through = " --num=" + std::to_string(f.num) +
                   " --value_size=" + std::to_string(f.value_size) +
                   " --reads=" + std::to_string(f.reads) + " --scans=" + std::to_string(f.scans) +
                   " --rounds=" + std::to_string(f.rounds);
  if (!f.dir.empty()) f.pass_through += " --dir=" + f.dir;
  return f;
}

// One child run's RESULT line, as numbers by key.
std::map<std::string, double> RunChild(const std::string& binary, const std::string& flags) {
  std::map<std::string, double> out;
  FILE* p = ::popen((binary + flags).c_str(), "r");
  if (p == nullptr) return out;
  char line[1024];
  while (std::fgets(line, sizeof line, p)) {
    std::fputs(line, stdout);
    if (std::strncmp(line, "RESULT ", 7) != 0) continue;
    for (char* tok = std::strtok(line + 7, " \n"); tok; tok = std::strtok(nullptr, " \n")) {
      if (char* eq = std::strchr(tok, '=')) {
        *eq = '\0';
        out[tok] = std::atof(eq + 1);
      }
    }
  }
  if (::pclose(p) != 0) out.clear();
  return out;
}

// Driver mode: runs this binary and `flags.compare` alternately, `pairs`
// times each, and compares them. Noise on a shared machine only slows a run
// down, so the figure to trust is the best round of each variant; the
// medians and the spread of the per-pair ratios show how noisy the run was.
int Compare(const char* self, const Flags& flags) {
  const char* keys[] = {"readrandom", "readseq"};
  std::map<std::string, std::vector<double>> on, off, ratio, cpu_on, cpu_off;
  for (int i = 0; i < flags.pairs; i++) {
    auto a = RunChild(self, flags.pass_through);
    auto b = RunChild(flags.compare, flags.pass_through);
    if (a.empty() || b.empty()) {
      std::fprintf(stderr, "overhead_bench: a child run failed\n");
      return 1;
    }
    for (const char* k : keys) {
      const std::string best = std::string(k) + "_best_ops";
      on[k].push_back(a[best]);
      off[k].push_back(b[best]);
      ratio[k].push_back(a[best] / b[best]);
      cpu_on[k].push_back(a[std::string(k) + "_cpu_ops"]);
      cpu_off[k].push_back(b[std::string(k) + "_cpu_ops"]);
    }
  }
  std::printf("\nSUMMARY of %d pairs (this binary vs %s), ops/s:\n", flags.pairs,
              flags.compare.c_str());
  std::printf("%-11s %14s %14s %9s %14s %14s %9s %22s\n", "workload", "best (this)", "best (other)",
              "ratio", "median (this)", "median (other)", "ratio", "pair ratios min..max");
  for (const char* k : keys) {
    const double best_on = *std::max_element(on[k].begin(), on[k].end());
    const double best_off = *std::max_element(off[k].begin(), off[k].end());
    const double med_on = Median(on[k]), med_off = Median(off[k]);
    std::printf("%-11s %14.0f %14.0f %9.4f %14.0f %14.0f %9.4f %10.4f..%.4f\n", k, best_on,
                best_off, best_on / best_off, med_on, med_off, med_on / med_off,
                *std::min_element(ratio[k].begin(), ratio[k].end()),
                *std::max_element(ratio[k].begin(), ratio[k].end()));
  }
  std::printf(
      "per CPU-second of the measuring thread (median of runs' medians; preemption excluded):\n");
  for (const char* k : keys) {
    const double a = Median(cpu_on[k]), b = Median(cpu_off[k]);
    std::printf("%-11s %14.0f %14.0f %9.4f\n", k, a, b, a / b);
  }
  return 0;
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The two measured loops, apart so that valgrind --toggle-collect can count
// their instructions alone (bench/RESULTS.md).
__attribute__((noinline)) void ReadRandom(DB& db, lightning::TreeId tree, const Flags& flags,
                                          lightning::test::Rng* rng) {
  char key[16];
  for (uint64_t n = 0; n < flags.reads; n++) {
    FormatKey(rng->Uniform(flags.num), key);
    auto r = db.BeginRead();
    if (!r.ok()) Die("BeginRead", r.status());
    lightning::Slice v;
    Status s = r.value()->GetView(tree, std::string_view(key, 16), &v);
    if (!s.ok()) Die("GetView", s);
    if (v.size() != flags.value_size) Die("GetView", Status::Corruption("wrong value length"));
  }
}

__attribute__((noinline)) uint64_t ReadSeq(DB& db, lightning::TreeId tree, const Flags& flags) {
  uint64_t seen = 0;
  for (int scan = 0; scan < flags.scans; scan++) {
    auto r = db.BeginRead();
    if (!r.ok()) Die("BeginRead", r.status());
    auto c = r.value()->NewCursor(tree);
    if (!c.ok()) Die("NewCursor", c.status());
    auto& cur = *c.value();
    for (cur.SeekToFirst(); cur.Valid(); cur.Next()) {
      if (cur.value().size() != flags.value_size)
        Die("scan", Status::Corruption("wrong value length"));
      seen++;
    }
    if (!cur.status().ok()) Die("scan", cur.status());
  }
  if (seen != flags.num * flags.scans)
    Die("scan", Status::Corruption("scan saw " + std::to_string(seen) + " keys"));
  return seen;
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  if (!flags.compare.empty()) return Compare(argv[0], flags);
#ifdef LIGHTNING_NO_STATS
  const char* variant = "stats_off";
#else
  const char* variant = "stats_on";
#endif
  namespace fs = std::filesystem;
  const fs::path dir = flags.dir.empty() ? fs::temp_directory_path() /
                                               ("overhead_bench." + std::to_string(::getpid()))
                                         : fs::path(flags.dir);
  fs::remove_all(dir);
  fs::create_directories(dir);

  Options options;
  options.sync = lightning::SyncMode::kOff;
  options.cache_size = 4ull << 30;  // everything stays cached: the read path without I/O
  std::shared_ptr<DB> db;
  {
    auto r = DB::Open((dir / "data.lightning").string(), options);
    if (!r.ok()) Die("open", r.status());
    db = std::move(r).value();
  }
  lightning::TreeId tree = 0;
  std::string value(flags.value_size, 'v');
  char key[16];
  for (uint64_t i = 0; i < flags.num;) {
    auto w = db->BeginWrite();
    if (!w.ok()) Die("BeginWrite", w.status());
    auto& txn = *w.value();
    if (i == 0) {
      Status s = txn.CreateTree("kv", &tree);
      if (!s.ok()) Die("CreateTree", s);
    }
    for (uint64_t end = std::min(flags.num, i + 1000); i < end; i++) {
      FormatKey(i, key);
      std::memcpy(value.data(), key, std::min<size_t>(16, value.size()));
      Status s = txn.Put(tree, std::string_view(key, 16), value);
      if (!s.ok()) Die("Put", s);
    }
    Status s = txn.Commit();
    if (!s.ok()) Die("Commit", s);
  }
  Status s = db->Checkpoint();
  if (!s.ok()) Die("Checkpoint", s);

  std::vector<double> random_ops, seq_ops, random_cpu_ops, seq_cpu_ops;
  lightning::test::Rng rng(1);
  for (int round = 0; round < flags.rounds; round++) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = ThreadCpuSeconds();
    ReadRandom(*db, tree, flags, &rng);
    const auto t1 = std::chrono::steady_clock::now();
    const double c1 = ThreadCpuSeconds();
    const uint64_t seen = ReadSeq(*db, tree, flags);
    const auto t2 = std::chrono::steady_clock::now();
    const double c2 = ThreadCpuSeconds();
    random_ops.push_back(static_cast<double>(flags.reads) / Seconds(t0, t1));
    seq_ops.push_back(static_cast<double>(seen) / Seconds(t1, t2));
    random_cpu_ops.push_back(static_cast<double>(flags.reads) / (c1 - c0));
    seq_cpu_ops.push_back(static_cast<double>(seen) / (c2 - c1));
    std::printf(
        "round %d variant=%s readrandom_ops=%.0f readseq_ops=%.0f readrandom_cpu_ops=%.0f "
        "readseq_cpu_ops=%.0f\n",
        round, variant, random_ops.back(), seq_ops.back(), random_cpu_ops.back(),
        seq_cpu_ops.back());
  }
  std::printf(
      "RESULT variant=%s num=%llu reads=%llu scans=%d rounds=%d readrandom_median_ops=%.0f "
      "readrandom_best_ops=%.0f readrandom_cpu_ops=%.0f readseq_median_ops=%.0f "
      "readseq_best_ops=%.0f "
      "readseq_cpu_ops=%.0f\n",
      variant, static_cast<unsigned long long>(flags.num),
      static_cast<unsigned long long>(flags.reads), flags.scans, flags.rounds, Median(random_ops),
      *std::max_element(random_ops.begin(), random_ops.end()), Median(random_cpu_ops),
      Median(seq_ops), *std::max_element(seq_ops.begin(), seq_ops.end()), Median(seq_cpu_ops));
  db.reset();
  fs::remove_all(dir);
  return 0;
}
