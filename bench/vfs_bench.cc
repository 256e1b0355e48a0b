// vfs_bench: one mixed read/write SQL workload, timed, on any database URI.
//
//   vfs_bench --uri 'file:text-zstd.db?vfs=lightning' --ext build/lightning
//             --ops 20000 --journal wal --synchronous normal --batch 1
//
// The database is the one bench/make_text_db.py builds (docs, comments). The
// workload, the same for a given --seed whatever the VFS:
//
//   35% SELECT a document by id (title, author, body: overflow pages)
//   15% SELECT 20 documents by a `created` range (index range scan)
//   12% SELECT the comments of a document (index + row lookups)
//    8% SELECT count and total length of an author's comments
//   15% UPDATE a document's title and body (new prose, same size class)
//   10% INSERT a comment
//    5% DELETE a comment
//
// (--read_only: only the SELECTs, in the same proportions; --read_mostly: 90%
// SELECTs and 10% writes, each group in the same proportions.) Ops run in
// transactions of --batch ops (1 = autocommit). New prose is sampled from the
// words of existing documents, so it compresses like the rest. The first
// --warmup ops are not timed, and are followed by checkpoints (SQLite's, and
// the store's: PRAGMA lightning_checkpoint) so that the timed part starts
// clean; closing the database is timed (a VFS may defer work to it). Prints one JSON object:
// elapsed seconds, ops/s, CPU seconds of the timed part, and a checksum of everything read (equal
// across VFSs for equal databases: the work was the same).
//
// --workload write_heavy instead builds a new database at --uri (which must not
// exist) and times only writes, the acceptance workload of issue 18 item 6:
//
//   CREATE TABLE w(id INTEGER PRIMARY KEY, k INTEGER, v TEXT); CREATE INDEX w_k ON w(k)
//   insert --ops rows, k random (unordered inserts into the index), v 60-300 bytes of words
//   update --ops/2 random rows (new k, new v), delete --ops/4 random rows
//   VACUUM, then close
//
// in transactions of --batch statements; JSON adds the seconds of each phase.
//
// Links the system libsqlite3; the VFS comes from --ext (sqlite3_load_extension).
// Flags are parsed by CLI11 (bench/flags.h); --help lists them.
#include <sqlite3.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/flags.h"
#include "tests/common/random.h"

namespace {

using Rng = lightning::test::Rng;

struct Args {
  std::string uri;
  std::string ext;
  long ops = 20000;
  long warmup = 2000;
  int batch = 1;
  uint64_t seed = 42;
  std::string journal = "delete";
  std::string synchronous = "full";
  int cache_kib = 2000;  // SQLite's default page cache (PRAGMA cache_size=-2000)
  bool read_only = false;
  bool read_mostly = false;
  std::string stats_pragma;  // e.g. lightning_vfs_stats: printed to stderr at the end
  std::string workload = "mixed";
};

double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

[[noreturn]] void Die(const std::string& what, sqlite3* db = nullptr) {
  std::fprintf(stderr, "vfs_bench: %s%s%s\n", what.c_str(), db ? ": " : "",
               db ? sqlite3_errmsg(db) : "");
  std::exit(1);
}

Args Parse(int argc, char** argv) {
  Args a;
  CLI::App app("vfs_bench: one mixed read/write SQL workload, timed, on any database URI",
               "vfs_bench");
  app.add_option("--uri", a.uri, "the database (file: URI; ?vfs=lightning for the VFS)")
      ->required();
  app.add_option("--ext", a.ext, "extension to load first (build/lightning)");
  app.add_option("--ops", a.ops, "timed operations (20000)")->check(CLI::Range(1L, 1L << 40));
  app.add_option("--warmup", a.warmup, "untimed operations first (2000)")
      ->check(CLI::Range(0L, 1L << 40));
  app.add_option("--batch", a.batch, "operations per transaction; 1 = autocommit (1)")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--seed", a.seed, "seed of the operation mix (42)");
  app.add_option("--journal", a.journal, "PRAGMA journal_mode (delete)");
  app.add_option("--synchronous", a.synchronous, "PRAGMA synchronous (full)");
  app.add_option("--cache_kib", a.cache_kib, "SQLite page cache in KiB (2000)")
      ->check(CLI::Range(1, 1 << 30));
  app.add_flag("--read_only", a.read_only, "only the SELECTs");
  app.add_flag("--read_mostly", a.read_mostly, "90% SELECTs, 10% writes");
  app.add_option("--stats_pragma", a.stats_pragma, "a pragma printed to stderr at the end");
  app.add_option("--workload", a.workload,
                 "mixed (on make_text_db.py's database) or write_heavy (a new database)")
      ->check(CLI::IsMember({"mixed", "write_heavy"}));
  if (int rc = lightning_bench::ParseCommandLine(app, argc, argv); rc >= 0) std::exit(rc);
  return a;
}

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
      Die(std::string("prepare ") + sql, db);
  }
  ~Stmt() { Finalize(); }
  void Finalize() {
    sqlite3_finalize(s_);
    s_ = nullptr;
  }
  Stmt& Int(int i, sqlite3_int64 v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Steps to the end; returns a checksum of every column read.
  uint64_t Run() {
    uint64_t sum = 0;
    int rc;
    while ((rc = sqlite3_step(s_)) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(s_); c++) {
        if (sqlite3_column_type(s_, c) == SQLITE_INTEGER) {
          sum = sum * 31 + static_cast<uint64_t>(sqlite3_column_int64(s_, c));
        } else {
          const unsigned char* t = sqlite3_column_text(s_, c);
          int n = sqlite3_column_bytes(s_, c);
          sum = sum * 31 + static_cast<uint64_t>(n) + (n > 0 ? t[n / 2] : 0);
        }
      }
    }
    if (rc != SQLITE_DONE) Die("step", db_);
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    return sum;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Die(sql + ": " + (err ? err : "?"));
  }
}

sqlite3_int64 Scalar(sqlite3* db, const char* sql) {
  sqlite3_stmt* s;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW)
    Die(sql, db);
  sqlite3_int64 v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

// Words of existing documents, with their frequencies: new text reads like old.
std::vector<std::string> Vocabulary(sqlite3* db) {
  std::vector<std::string> words;
  sqlite3_stmt* raw;
  sqlite3_prepare_v2(db, "SELECT body FROM docs WHERE id % 97 = 0 LIMIT 150", -1, &raw, nullptr);
  while (sqlite3_step(raw) == SQLITE_ROW) {
    std::string body(reinterpret_cast<const char*>(sqlite3_column_text(raw, 0)));
    size_t at = 0;
    while (at < body.size()) {
      size_t end = body.find_first_of(" \n", at);
      if (end == std::string::npos) end = body.size();
      if (end > at) words.push_back(body.substr(at, end - at));
      at = end + 1;
    }
  }
  sqlite3_finalize(raw);
  if (words.empty()) Die("no documents: build the database with bench/make_text_db.py");
  return words;
}

// A few MB of prose made once from those words; new text is a slice of it, so
// that generating it costs the benchmark almost nothing.
std::string Corpus(const std::vector<std::string>& words) {
  Rng rng(7);
  std::string out;
  size_t at = 0;
  while (out.size() < (4u << 20)) {
    // Runs of consecutive words keep some of the source's local structure.
    if (rng() % 8 == 0) at = rng() % words.size();
    out += words[at];
    out += ' ';
    at = (at + 1) % words.size();
  }
  return out;
}

std::string Prose(Rng& rng, const std::string& corpus, size_t n) {
  return corpus.substr(rng() % (corpus.size() - n), n);
}

// About 1 MiB of words; a row's text is a slice of it (compresses about as
// prose does, and costs the benchmark almost nothing to make).
std::string WordCorpus() {
  static const char* const kWords[] = {
      "the",    "store",  "page",   "index", "commit", "write", "ahead", "log",    "tree",
      "branch", "leaf",   "cursor", "value", "key",    "sync",  "disk",  "cache",  "frame",
      "epoch",  "reader", "writer", "lock",  "table",  "row",   "query", "vacuum", "journal"};
  Rng rng(11);
  std::string out;
  while (out.size() < (1u << 20)) {
    out += kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
    out += ' ';
  }
  return out;
}

// The write-heavy workload (see the header): returns a checksum of the final
// table, printed with the seconds of each phase.
void WriteHeavy(const Args& a, sqlite3* db) {
  Exec(db,
       "CREATE TABLE w(id INTEGER PRIMARY KEY, k INTEGER, v TEXT);"
       "CREATE INDEX w_k ON w(k)");
  Stmt insert(db, "INSERT INTO w(id, k, v) VALUES (?1, ?2, ?3)");
  Stmt update(db, "UPDATE w SET k = ?2, v = ?3 WHERE id = ?1");
  Stmt erase(db, "DELETE FROM w WHERE id = ?1");
  Rng rng(a.seed);
  const std::string corpus = WordCorpus();
  const long rows = a.ops;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = CpuSeconds();
  auto since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  double phase[5] = {0};
  // Runs n statements made by `one(i)`, --batch per transaction.
  auto run = [&](long n, double* seconds, auto&& one) {
    const auto t = std::chrono::steady_clock::now();
    for (long i = 0; i < n; i++) {
      if (a.batch > 1 && i % a.batch == 0) Exec(db, "BEGIN");
      one(i);
      if (a.batch > 1 && ((i + 1) % a.batch == 0 || i + 1 == n)) Exec(db, "COMMIT");
    }
    *seconds = since(t);
  };
  // Row ids are a random permutation's prefix, so ids are unordered too.
  run(rows, &phase[0], [&](long i) {
    insert.Int(1, i + 1)
        .Int(2, static_cast<sqlite3_int64>(rng() >> 1))
        .Text(3, Prose(rng, corpus, 60 + rng() % 240))
        .Run();
  });
  run(rows / 2, &phase[1], [&](long) {
    update.Int(1, 1 + static_cast<sqlite3_int64>(rng() % rows))
        .Int(2, static_cast<sqlite3_int64>(rng() >> 1))
        .Text(3, Prose(rng, corpus, 60 + rng() % 240))
        .Run();
  });
  run(rows / 4, &phase[2],
      [&](long) { erase.Int(1, 1 + static_cast<sqlite3_int64>(rng() % rows)).Run(); });
  auto t = std::chrono::steady_clock::now();
  Exec(db, "VACUUM");
  phase[3] = since(t);
  const uint64_t checksum = static_cast<uint64_t>(
      Scalar(db, "SELECT count(*) * 1000003 + total(k % 1000003) + total(length(v)) FROM w"));
  if (!a.stats_pragma.empty()) {
    sqlite3_stmt* s;
    if (sqlite3_prepare_v2(db, ("PRAGMA " + a.stats_pragma).c_str(), -1, &s, nullptr) ==
        SQLITE_OK) {
      while (sqlite3_step(s) == SQLITE_ROW) std::fprintf(stderr, "%s\n", sqlite3_column_text(s, 0));
      sqlite3_finalize(s);
    }
  }
  insert.Finalize(), update.Finalize(), erase.Finalize();
  t = std::chrono::steady_clock::now();
  if (sqlite3_close(db) != SQLITE_OK) Die("close", db);
  phase[4] = since(t);
  const double elapsed = since(start);
  std::printf(
      "{\"uri\": \"%s\", \"workload\": \"write_heavy\", \"ops\": %ld, \"seconds\": %.4f, "
      "\"cpu_seconds\": %.4f, \"close_seconds\": %.4f, \"insert_seconds\": %.4f, "
      "\"update_seconds\": %.4f, \"delete_seconds\": %.4f, \"vacuum_seconds\": %.4f, "
      "\"checksum\": %llu, \"journal\": \"%s\", \"synchronous\": \"%s\", \"batch\": %d}\n",
      a.uri.c_str(), a.ops, elapsed, CpuSeconds() - cpu_start, phase[4], phase[0], phase[1],
      phase[2], phase[3], static_cast<unsigned long long>(checksum), a.journal.c_str(),
      a.synchronous.c_str(), a.batch);
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  sqlite3* db = nullptr;
  if (!a.ext.empty()) {
    // Load once on a scratch connection: the VFS is then registered process-wide.
    sqlite3* boot;
    sqlite3_open(":memory:", &boot);
    sqlite3_enable_load_extension(boot, 1);
    char* err = nullptr;
    if (sqlite3_load_extension(boot, a.ext.c_str(), nullptr, &err) != SQLITE_OK) {
      Die("load " + a.ext + ": " + (err ? err : "?"));
    }
    sqlite3_close(boot);
  }
  const bool write_heavy = a.workload == "write_heavy";
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | (write_heavy ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(a.uri.c_str(), &db, flags, nullptr) != SQLITE_OK) Die("open " + a.uri, db);
  Exec(db, "PRAGMA journal_mode=" + a.journal);
  Exec(db, "PRAGMA synchronous=" + a.synchronous);
  Exec(db, "PRAGMA cache_size=-" + std::to_string(a.cache_kib));
  if (write_heavy) {
    if (Scalar(db, "SELECT count(*) FROM sqlite_schema") != 0) Die(a.uri + " is not empty");
    WriteHeavy(a, db);
    return 0;
  }
  const sqlite3_int64 max_doc = Scalar(db, "SELECT max(id) FROM docs");
  const sqlite3_int64 min_created = Scalar(db, "SELECT min(created) FROM docs");
  const sqlite3_int64 max_created = Scalar(db, "SELECT max(created) FROM docs");
  const sqlite3_int64 max_comment = Scalar(db, "SELECT max(id) FROM comments");
  std::vector<std::string> authors;
  {
    sqlite3_stmt* s;
    sqlite3_prepare_v2(db, "SELECT DISTINCT author FROM comments LIMIT 500", -1, &s, nullptr);
    while (sqlite3_step(s) == SQLITE_ROW)
      authors.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
  }
  const std::string corpus = Corpus(Vocabulary(db));

  Stmt point(db, "SELECT title, author, body FROM docs WHERE id = ?1");
  Stmt range(db,
             "SELECT id, title, created FROM docs WHERE created BETWEEN ?1 AND ?2 ORDER BY created "
             "LIMIT 20");
  Stmt comments(db, "SELECT author, body FROM comments WHERE doc_id = ?1 ORDER BY created");
  Stmt by_author(db, "SELECT count(*), sum(length(body)) FROM comments WHERE author = ?1");
  Stmt update(db, "UPDATE docs SET title = ?2, body = ?3 WHERE id = ?1");
  Stmt insert(db, "INSERT INTO comments(doc_id, author, created, body) VALUES (?1, ?2, ?3, ?4)");
  Stmt erase(db, "DELETE FROM comments WHERE id = ?1");

  Rng rng(a.seed);
  uint64_t checksum = 0;
  long counts[7] = {0};
  auto clock = std::chrono::steady_clock::now();
  double cpu_start = CpuSeconds();
  double elapsed = 0;
  const long total = a.warmup + a.ops;
  bool in_txn = false;
  for (long op = 0; op < total; op++) {
    if (op == a.warmup) {
      if (in_txn) Exec(db, "COMMIT");
      in_txn = false;
      // Start the timed part clean: what the warm-up wrote is checkpointed
      // (an unknown PRAGMA, like lightning_checkpoint on the default VFS, is a no-op).
      Exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
      Exec(db, "PRAGMA lightning_checkpoint");
      clock = std::chrono::steady_clock::now();
      cpu_start = CpuSeconds();
    }
    if (a.batch > 1 && !in_txn) {
      Exec(db, "BEGIN");
      in_txn = true;
    }
    int r = static_cast<int>(rng() % 100);
    if (a.read_only) r = r * 70 / 100;
    if (a.read_mostly) r = r < 90 ? r * 70 / 90 : 70 + (r - 90) * 3;
    int kind;
    if (r < 35) {
      kind = 0;
      checksum += point.Int(1, 1 + rng() % max_doc).Run();
    } else if (r < 50) {
      kind = 1;
      const sqlite3_int64 lo = min_created + rng() % (max_created - min_created);
      checksum += range.Int(1, lo).Int(2, lo + 3600 * 12).Run();
    } else if (r < 62) {
      kind = 2;
      checksum += comments.Int(1, 1 + rng() % max_doc).Run();
    } else if (r < 70) {
      kind = 3;
      checksum += by_author.Text(1, authors[rng() % authors.size()]).Run();
    } else if (r < 85) {
      kind = 4;
      const size_t n = 1024 + rng() % 8192;
      update.Int(1, 1 + rng() % max_doc)
          .Text(2, Prose(rng, corpus, 60))
          .Text(3, Prose(rng, corpus, n))
          .Run();
    } else if (r < 95) {
      kind = 5;
      insert.Int(1, 1 + rng() % max_doc)
          .Text(2, authors[rng() % authors.size()])
          .Int(3, max_created + op)
          .Text(4, Prose(rng, corpus, 40 + rng() % 860))
          .Run();
    } else {
      kind = 6;
      erase.Int(1, 1 + rng() % max_comment).Run();
    }
    counts[kind]++;
    if (in_txn && (op + 1) % a.batch == 0) {
      Exec(db, "COMMIT");
      in_txn = false;
    }
  }
  if (in_txn) Exec(db, "COMMIT");
  if (!a.stats_pragma.empty()) {
    sqlite3_stmt* s;
    if (sqlite3_prepare_v2(db, ("PRAGMA " + a.stats_pragma).c_str(), -1, &s, nullptr) ==
        SQLITE_OK) {
      while (sqlite3_step(s) == SQLITE_ROW) std::fprintf(stderr, "%s\n", sqlite3_column_text(s, 0));
      sqlite3_finalize(s);
    }
  }
  // Closing is timed too: work a VFS defers (a final checkpoint) is still work.
  point.Finalize(), range.Finalize(), comments.Finalize(), by_author.Finalize();
  update.Finalize(), insert.Finalize(), erase.Finalize();
  const auto close_start = std::chrono::steady_clock::now();
  if (sqlite3_close(db) != SQLITE_OK) Die("close", db);
  const double close_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - close_start).count();
  elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - clock).count();
  const double cpu = CpuSeconds() - cpu_start;
  std::printf(
      "{\"uri\": \"%s\", \"ops\": %ld, \"seconds\": %.4f, \"cpu_seconds\": %.4f, "
      "\"close_seconds\": %.4f, \"ops_per_second\": %.1f, "
      "\"checksum\": %llu, \"journal\": \"%s\", \"synchronous\": \"%s\", \"batch\": %d, "
      "\"read_only\": %s, \"counts\": [%ld, %ld, %ld, %ld, %ld, %ld, %ld]}\n",
      a.uri.c_str(), a.ops, elapsed, cpu, close_seconds, a.ops / elapsed,
      static_cast<unsigned long long>(checksum), a.journal.c_str(), a.synchronous.c_str(), a.batch,
      a.read_only ? "true" : "false", counts[0], counts[1], counts[2], counts[3], counts[4],
      counts[5], counts[6]);
  return 0;
}
