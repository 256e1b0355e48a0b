// lookup_misses: a small driver that does random point lookups on a warm
// store, for counting cache misses per lookup under valgrind's cachegrind
// (this VM has no hardware counters; engine_bench is too big to run there).
//
// It loads --num keys (16-digit decimal, as engine_bench's), checkpoints,
// reopens, warms the cache with one full scan, then does --gets random point
// lookups, each in its own read transaction (engine_bench's readrandom).
// Misses per lookup = (misses of a run with --gets=G) - (misses of a run with
// --gets=0), divided by G; bench/lookup_misses.sh does both runs and the
// division. Every value read is checked, so a wrong lookup fails the run.
//
//   build/bench/lookup_misses --num 200000 --gets 100000 [--dir D]
//
// Not part of `all`: cmake --build build --target lookup_misses.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "bench/flags.h"
#include "lightning/db.h"
#include "tests/common/random.h"

namespace {

using lightning::DB;
using lightning::Options;
using lightning::Status;

void FormatKey(uint64_t i, char* out) {
  for (int d = 15; d >= 0; d--) {
    out[d] = static_cast<char>('0' + i % 10);
    i /= 10;
  }
}

[[noreturn]] void Die(const char* what, const Status& s) {
  std::fprintf(stderr, "lookup_misses: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

// The value of key i: its index in the first 8 bytes, then filler.
std::string ValueOf(uint64_t i, size_t size) {
  std::string v(size, static_cast<char>('a' + i % 26));
  std::memcpy(v.data(), &i, sizeof i);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t num = 200000, gets = 100000, value_size = 100, cache_size = 1ull << 30;
  std::string dir;
  CLI::App app("lookup_misses: random point lookups on a warm store, for cachegrind",
               "lookup_misses");
  app.add_option("--num", num, "keys loaded (200000)")->check(CLI::Range(1ull, 1ull << 32));
  app.add_option("--gets", gets, "random point lookups, each its own read transaction (100000)");
  app.add_option("--value_size", value_size, "value bytes (100)")
      ->check(CLI::Range(8ull, 1ull << 16));
  app.add_option("--cache_size", cache_size, "cache_size of the store (1GiB)")
      ->transform(lightning_bench::ByteSize());
  app.add_option("--dir", dir, "where the store is created (a fresh mkdtemp)");
  if (int rc = lightning_bench::ParseCommandLine(app, argc, argv); rc >= 0) return rc;

  bool made_dir = false;
  if (dir.empty()) {
    char tmpl[] = "/tmp/lookup_misses.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
    made_dir = true;
  }
  const std::string path = dir + "/store";
  Options opts;
  opts.cache_size = cache_size;
  char key[16];
  {
    auto db = DB::Open(path, opts);
    if (!db.ok()) Die("open", db.status());
    lightning::TreeId tree;
    for (uint64_t i = 0; i < num;) {
      auto w = db.value()->BeginWrite();
      if (!w.ok()) Die("begin write", w.status());
      Status s = i == 0 ? w.value()->CreateTree("t", &tree) : Status::OK();
      if (!s.ok()) Die("create tree", s);
      for (uint64_t end = std::min(num, i + 1000); i < end; i++) {
        FormatKey(i, key);
        s = w.value()->Put(tree, lightning::Slice(key, 16), ValueOf(i, value_size));
        if (!s.ok()) Die("put", s);
      }
      s = w.value()->Commit();
      if (!s.ok()) Die("commit", s);
    }
    Status s = db.value()->Checkpoint();
    if (!s.ok()) Die("checkpoint", s);
  }
  auto db = DB::Open(path, opts);
  if (!db.ok()) Die("reopen", db.status());
  lightning::TreeId tree;
  {
    auto r = db.value()->BeginRead();
    if (!r.ok()) Die("begin read", r.status());
    Status s = r.value()->OpenTree("t", &tree);
    if (!s.ok()) Die("open tree", s);
    auto c = r.value()->NewCursor(tree);
    if (!c.ok()) Die("cursor", c.status());
    uint64_t n = 0;
    for (c.value()->SeekToFirst(); c.value()->Valid(); c.value()->Next()) n++;
    if (n != num) {
      std::fprintf(stderr, "lookup_misses: scan found %llu keys, expected %llu\n",
                   static_cast<unsigned long long>(n), static_cast<unsigned long long>(num));
      return 1;
    }
  }
  lightning::test::Rng rnd(301);
  for (uint64_t g = 0; g < gets; g++) {
    const uint64_t i = rnd.Uniform(num);
    FormatKey(i, key);
    auto r = db.value()->BeginRead();
    if (!r.ok()) Die("begin read", r.status());
    lightning::Slice v;
    Status s = r.value()->GetView(tree, lightning::Slice(key, 16), &v);
    if (!s.ok()) Die("get", s);
    uint64_t got;
    std::memcpy(&got, v.data(), sizeof got);
    if (v.size() != value_size || got != i) {
      std::fprintf(stderr, "lookup_misses: key %llu returned a wrong value\n",
                   static_cast<unsigned long long>(i));
      return 1;
    }
  }
  std::printf("RESULT num=%llu gets=%llu\n", static_cast<unsigned long long>(num),
              static_cast<unsigned long long>(gets));
  db.value().reset();  // closes the store before its directory goes
  if (made_dir) std::filesystem::remove_all(dir);
  return 0;
}
