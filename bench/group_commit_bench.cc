// group_commit_bench: durable single-put commits from N writer threads on one
// store, reporting commits/s and how many commits each WAL fsync carried
// (from the store's own counters). Not part of `all`:
//
//   cmake --build build --target group_commit_bench
//   build/bench/group_commit_bench DIR [threads=4] [commits_per_thread=1500]
//
// Results: bench/RESULTS.md ("Engine changes after these runs").
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench/flags.h"
#include "lightning/db.h"

namespace {

int Fail(const lightning::Status& s) {
  std::fprintf(stderr, "group_commit_bench: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  int threads = 4, per_thread = 1500;
  CLI::App app("group_commit_bench: durable single-put commits from N writer threads",
               "group_commit_bench");
  app.add_option("dir", dir, "where the store is created")->required();
  app.add_option("threads", threads, "writer threads (4)")->check(CLI::Range(1, 256));
  app.add_option("commits_per_thread", per_thread, "commits each (1500)")
      ->check(CLI::Range(1, 1 << 30));
  if (int rc = lightning_bench::ParseCommandLine(app, argc, argv); rc >= 0) return rc;
  lightning::Options options;
  options.sync = lightning::SyncMode::kFull;
  auto opened = lightning::DB::Open(dir + "/group_commit.lightning", options);
  if (!opened.ok()) return Fail(opened.status());
  auto db = std::move(opened).value();
  lightning::TreeId tree = 0;
  {
    auto w = db->BeginWrite();
    if (!w.ok()) return Fail(w.status());
    lightning::Status s = w.value()->CreateTree("kv", &tree);
    if (s.ok()) s = w.value()->Commit();
    if (!s.ok()) return Fail(s);
  }
  db->ResetStats();
  std::vector<std::thread> writers;
  std::vector<lightning::Status> errors(threads);
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; t++) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < per_thread && errors[t].ok(); i++) {
        auto w = db->BeginWrite();
        if (!w.ok()) {
          errors[t] = w.status();
          break;
        }
        lightning::Status s = w.value()->Put(tree, std::to_string(t * 100000000 + i), "value");
        if (s.ok()) s = w.value()->Commit();
        errors[t] = s;
      }
    });
  }
  for (auto& w : writers) w.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& s : errors) {
    if (!s.ok()) return Fail(s);
  }
  double commits = 0, fsyncs = 0;
  for (const auto& m : db->Metrics()) {
    if (m.name == "commits") commits = m.value;
    if (m.name == "wal_fsyncs") fsyncs = m.value;
  }
  std::printf("%d writers: %.0f commits/s, %.0f commits, %.0f WAL fsyncs, %.2f commits per fsync\n",
              threads, threads * per_thread / seconds, commits, fsyncs,
              fsyncs > 0 ? commits / fsyncs : 0.0);
  return 0;
}
