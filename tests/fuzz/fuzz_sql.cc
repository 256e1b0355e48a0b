// Fuzz target: random SQL against lightning virtual tables, checked against
// native SQLite tables that receive the same statements (differential).
//
// The harness links the system libsqlite3 (not instrumented) and the
// extension's own objects (instrumented), registered with
// sqlite3_auto_extension(sqlite3_lightning_init) so that every connection gets
// the module exactly as `.load` would give it.
//
// Each input is turned into a short session (FuzzedDataProvider):
//   - the main database is in memory (stores in memory) or a file under
//     /dev/shm (stores on disk with sync=off: WAL, checkpoints, reopen and
//     recovery run);
//   - three lightning tables with options picked from the input:
//       t0(a INTEGER PRIMARY KEY, b TEXT, c)      rowid alias
//       t1(k TEXT PRIMARY KEY, v, w REAL)         WITHOUT ROWID
//       t2(x, y NOT NULL, z BLOB)                 rowid table
//     and native twins n0, n1, n2 with the same declarations;
//   - up to 48 statements: INSERT (OR REPLACE/IGNORE/ABORT/FAIL/ROLLBACK,
//     multi-row, INSERT ... SELECT), UPDATE (key changes included), DELETE,
//     SELECT (=, IN, ranges, ORDER BY ASC/DESC, LIMIT/OFFSET), BEGIN, COMMIT,
//     ROLLBACK, SAVEPOINT, RELEASE, ROLLBACK TO, the lightning_*() functions,
//     and (file mode) closing and reopening the connection.
// Each data statement runs on the lightning table, then on its native twin.
//
// Properties: no crash or sanitizer report; both runs succeed or both fail;
// SELECTs return the same rows; at the end every table equals its twin.
// LIGHTNING_FUZZ_SQL_NO_DIFF=1 turns the differential checks off.
#include <fuzzer/FuzzedDataProvider.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

extern "C" int sqlite3_lightning_init(sqlite3* db, char** err, const sqlite3_api_routines* api);

namespace {

std::string g_dir;
bool g_diff = true;
std::vector<std::string> g_log;  // statements run for the current input

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "---- statements of this input:\n");
  for (const auto& s : g_log) std::fprintf(stderr, "%s;\n", s.c_str());
  std::fprintf(stderr, "FUZZ PROPERTY VIOLATED: %s\n", what.c_str());
  std::abort();
}

int Progress(void* counter) { return ++*static_cast<long*>(counter) > 20000; }  // x1000 VM ops

struct Outcome {
  int rc = SQLITE_OK;
  std::string error;
  std::vector<std::string> rows;
};

// Runs every statement of `sql`, collecting rows as text with type tags.
Outcome Run(sqlite3* db, const std::string& sql) {
  Outcome out;
  g_log.push_back(sql);
  const char* tail = sql.c_str();
  while (tail && *tail) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, tail, -1, &stmt, &tail);
    if (rc != SQLITE_OK) {
      out.rc = rc;
      out.error = sqlite3_errmsg(db);
      return out;
    }
    if (!stmt) break;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(stmt); i++) {
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_NULL:
            row += "N|";
            break;
          case SQLITE_INTEGER:
            row += "I" + std::to_string(sqlite3_column_int64(stmt, i)) + "|";
            break;
          case SQLITE_FLOAT: {
            char buf[40];
            std::snprintf(buf, sizeof buf, "F%.17g|", sqlite3_column_double(stmt, i));
            row += buf;
            break;
          }
          case SQLITE_TEXT:
            row += "T" +
                   std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i)),
                               sqlite3_column_bytes(stmt, i)) +
                   "|";
            break;
          default: {
            const char* b = static_cast<const char*>(sqlite3_column_blob(stmt, i));
            row += "B" + std::string(b ? b : "", sqlite3_column_bytes(stmt, i)) + "|";
          }
        }
      }
      out.rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) {
      out.rc = rc;
      out.error = sqlite3_errmsg(db);
    }
    sqlite3_finalize(stmt);
    if (out.rc != SQLITE_OK) return out;
  }
  return out;
}

// ---- the statement generator --------------------------------------------

const char* const kKey[3] = {"a", "k", "rowid"};
const char* const kCols[3][3] = {{"a", "b", "c"}, {"k", "v", "w"}, {"x", "y", "z"}};

class Gen {
 public:
  explicit Gen(FuzzedDataProvider* in) : in_(in) {}

  // A value for column `col` of table `table` (-1: anywhere). The rowid alias
  // t0.a only gets integers or NULL: a statement failing with "datatype
  // mismatch" leaves native SQLite's partial changes in place (no statement
  // journal under OR REPLACE) while a virtual table's are rolled back.
  std::string Value(int table, int col) {
    if (table == 0 && col == 0) {
      return in_->ConsumeBool() ? "NULL" : std::to_string(in_->ConsumeIntegralInRange<int>(-8, 40));
    }
    switch (in_->ConsumeIntegralInRange<int>(0, 12)) {
      case 0:
        return "NULL";
      case 1:
      case 2:
      case 3:
        return std::to_string(in_->ConsumeIntegralInRange<int>(-8, 40));
      case 4: {
        static const char* const kReals[] = {"1.5",   "-0.0", "3.0",    "2.5e300",
                                             "-7.25", "0.1",  "1e-300", "40.0"};
        return kReals[in_->ConsumeIntegralInRange<int>(0, 7)];
      }
      case 5:
      case 6:
      case 7:
        return "'" + Word() + "'";
      case 8:
        return "x'" + Hex() + "'";
      case 9:
        return "'" + std::to_string(in_->ConsumeIntegralInRange<int>(-3, 30)) + "'";  // affinity
      case 10:
        return "(SELECT max(" + std::string(kKey[table]) + ") FROM {" + std::to_string(table) +
               "})";
      case 11:
        return "zeroblob(" + std::to_string(in_->ConsumeIntegralInRange<int>(0, 900)) +
               ")";  // keys stay under page_size/4
      default:
        return "'" + std::string(in_->ConsumeIntegralInRange<size_t>(0, 900), 'p') + "'";
    }
    (void)col;
  }

  std::string Word() {
    std::string w;
    size_t n = in_->ConsumeIntegralInRange<size_t>(0, 6);
    for (size_t i = 0; i < n; i++) {
      const char c = "abcAB%_'"[in_->ConsumeIntegralInRange<int>(0, 7)];
      w += c == '\'' ? std::string("''") : std::string(1, c);
    }
    return w;
  }

  std::string Hex() {
    std::string h;
    size_t n = in_->ConsumeIntegralInRange<size_t>(0, 4);
    static const char* const kBytes[] = {"00", "ff", "7a", "41"};
    for (size_t i = 0; i < n; i++) h += kBytes[in_->ConsumeIntegralInRange<int>(0, 3)];
    return h;
  }

  std::string Cond(int t) {
    const std::string key = kKey[t];
    const std::string col = kCols[t][in_->ConsumeIntegralInRange<int>(0, 2)];
    std::string c;
    switch (in_->ConsumeIntegralInRange<int>(0, 11)) {
      case 0:
        c = key + " = " + Value(t, -1);
        break;
      case 1:
        c = key + " IN (" + Value(t, -1) + ", " + Value(t, -1) + ", " + Value(t, -1) + ")";
        break;
      case 2:
        c = key + " BETWEEN " + Value(t, -1) + " AND " + Value(t, -1);
        break;
      case 3:
        c = key + (in_->ConsumeBool() ? " > " : " <= ") + Value(t, -1);
        break;
      case 4:
        c = key + (in_->ConsumeBool() ? " >= " : " < ") + Value(t, -1) + " AND " + key + " < " +
            Value(t, -1);
        break;
      case 5:
        c = col + " IS NULL";
        break;
      case 6:
        c = col + " LIKE '" + Word() + "%'";
        break;
      case 7:
        c = key + " != " + Value(t, -1);
        break;
      case 8:
        c = col + " = " + Value(t, 1);
        break;
      case 9:
        c = Cond(t) + (in_->ConsumeBool() ? " AND " : " OR ") + Cond(t);
        break;
      case 10: {
        // A subquery column carries its affinity: against t1's TEXT key an
        // INTEGER one compares numerically ('1.0' = 1), which a key lookup
        // cannot do (a known difference: see README.md). Compare text there.
        const std::string sub = kKey[(t + 1) % 3];
        c = key + " IN (SELECT " + (t == 1 ? "CAST(" + sub + " AS TEXT)" : sub) + " FROM {" +
            std::to_string((t + 1) % 3) + "})";
        break;
      }
      default:
        c = "1";
        break;
    }
    return c;
  }

  std::string Conflict() {
    static const char* const kOr[] = {"",          "OR REPLACE ", "OR IGNORE ",
                                      "OR ABORT ", "OR FAIL ",    "OR ROLLBACK "};
    return kOr[in_->ConsumeIntegralInRange<int>(0, 5)];
  }

  // A data statement with {0} {1} {2} for the tables.
  std::string DataStatement(int t, bool* is_select) {
    const std::string T = "{" + std::to_string(t) + "}";
    *is_select = false;
    switch (in_->ConsumeIntegralInRange<int>(0, 9)) {
      case 0:
      case 1:
      case 2: {
        std::string sql = "INSERT " + Conflict() + "INTO " + T + "(" + kCols[t][0] + ", " +
                          kCols[t][1] + ", " + kCols[t][2] + ") VALUES ";
        int rows = in_->ConsumeIntegralInRange<int>(1, 4);
        for (int r = 0; r < rows; r++)
          sql += std::string(r ? ", " : "") + "(" + Value(t, 0) + ", " + Value(t, 1) + ", " +
                 Value(t, 2) + ")";
        return sql;
      }
      case 3: {
        int s = in_->ConsumeIntegralInRange<int>(0, 2);
        // Into t0's rowid alias: small integers (past rowid 2^63-1 both
        // SQLite and lightning pick random new rowids: not comparable).
        const std::string first = std::string(kCols[s][0]) + (in_->ConsumeBool() ? " + 1" : "");
        return "INSERT " + Conflict() + "INTO " + T + "(" + kCols[t][0] + ", " + kCols[t][1] +
               ", " + kCols[t][2] + ") SELECT " +
               (t == 0 ? "CAST(" + first + " AS INTEGER) % 1000" : first) + ", " + kCols[s][1] +
               ", " + kCols[s][2] + " FROM {" + std::to_string(s) + "} WHERE " + Cond(s) +
               " ORDER BY " + kKey[s] + " LIMIT " +
               std::to_string(in_->ConsumeIntegralInRange<int>(0, 20));
      }
      case 4:
      case 5: {
        std::string set;
        switch (in_->ConsumeIntegralInRange<int>(0, 3)) {
          case 0:
            set = std::string(kCols[t][0]) + " = " + kCols[t][0] + " + " +
                  std::to_string(in_->ConsumeIntegralInRange<int>(-2, 3));
            break;
          case 1:
            set = std::string(kCols[t][1]) + " = " + Value(t, 1);
            break;
          case 2:
            set = std::string(kCols[t][2]) + " = " + Value(t, 2) + ", " + kCols[t][0] + " = " +
                  Value(t, 0);
            break;
          default:
            set = std::string(kCols[t][1]) + " = " + kCols[t][2] + ", " + kCols[t][2] + " = " +
                  kCols[t][1];
            break;
        }
        std::string conflict = Conflict();
        // Known difference (README.md): OR REPLACE while moving several keys
        // onto each other resurrects a replaced row's values. Not generated.
        if (conflict == "OR REPLACE " &&
            set.find(std::string(kCols[t][0]) + " = ") != std::string::npos)
          conflict = "OR IGNORE ";
        return "UPDATE " + conflict + T + " SET " + set + " WHERE " + Cond(t);
      }
      case 6:
        return "DELETE FROM " + T + " WHERE " + Cond(t);
      default: {
        *is_select = true;
        std::string sql = "SELECT " + std::string(t == 2 ? "rowid, " : "") + "* FROM " + T +
                          " WHERE " + Cond(t) + " ORDER BY " + kKey[t] +
                          (in_->ConsumeBool() ? " DESC" : "");
        if (in_->ConsumeBool()) {
          sql += " LIMIT " + std::to_string(in_->ConsumeIntegralInRange<int>(0, 5));
          if (in_->ConsumeBool())
            sql += " OFFSET " + std::to_string(in_->ConsumeIntegralInRange<int>(0, 5));
        }
        return sql;
      }
    }
  }

  // Tables of one store share its page size (a mismatch is refused), so the
  // page size is chosen once per input (`small_pages`), the rest per table.
  std::string TableOptions(bool file_mode, bool small_pages) {
    std::string o = file_mode ? ", sync=off" : "";
    if (small_pages) o += ", page_size=4096";
    static const char* const kOpts[] = {"",
                                        "cache_size='1MB'",
                                        "compression=lz4",
                                        "compression=zstd",
                                        "checksum=off",
                                        "checkpoint_wal_size='64KB'",
                                        "checkpoint_dirty_size='64KB'",
                                        "compression_level=3"};
    uint8_t bits = in_->ConsumeIntegral<uint8_t>();
    for (int i = 0; i < 8; i++)
      if (i > 0 && (bits >> i) & 1 && !(i == 3 && (bits & 4))) o += std::string(", ") + kOpts[i];
    return o;
  }

 private:
  FuzzedDataProvider* in_;
};

std::string Subst(std::string sql, const char* prefix) {
  for (int t = 0; t < 3; t++) {
    const std::string ph = "{" + std::to_string(t) + "}";
    for (size_t p; (p = sql.find(ph)) != std::string::npos;)
      sql.replace(p, ph.size(), prefix + std::to_string(t));
  }
  return sql;
}

const char* const kDecl[3] = {"a INTEGER PRIMARY KEY, b TEXT, c", "k TEXT PRIMARY KEY, v, w REAL",
                              "x, y NOT NULL, z BLOB"};

sqlite3* OpenDb(const std::string& path, long* progress) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK)
    Fail(std::string("sqlite3_open: ") + sqlite3_errmsg(db));
  sqlite3_progress_handler(db, 1000, Progress, progress);
  Run(db, "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF");
  return db;
}

bool Same(const Outcome& a, const Outcome& b) {
  return (a.rc == SQLITE_OK) == (b.rc == SQLITE_OK) && a.rows == b.rows;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* e = std::getenv("LIGHTNING_FUZZ_SQL_NO_DIFF")) g_diff = *e != '1';
  char tmpl[] = "/dev/shm/lightning-fuzz-sql-XXXXXX";
  char tmpl2[] = "/tmp/lightning-fuzz-sql-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  if (!dir) dir = ::mkdtemp(tmpl2);
  if (!dir) Fail("mkdtemp");
  g_dir = dir;
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(g_dir, ec);
  });
  sqlite3_initialize();
  sqlite3_auto_extension(reinterpret_cast<void (*)(void)>(&sqlite3_lightning_init));
  if (const char* script = std::getenv("LIGHTNING_FUZZ_SQL_SCRIPT")) {
    // Debugging aid: run a file of statements (one per line) with the
    // instrumented extension and print what each returns, then exit.
    sqlite3* db = nullptr;
    sqlite3_open(":memory:", &db);
    FILE* f = std::fopen(script, "r");
    char line[65536];
    while (f && std::fgets(line, sizeof line, f)) {
      Outcome o = Run(db, line);
      std::printf("%s", line);
      for (const auto& r : o.rows) std::printf("  -> %s\n", r.c_str());
      if (o.rc != SQLITE_OK) std::printf("  -> error %d: %s\n", o.rc, o.error.c_str());
    }
    if (f) std::fclose(f);
    sqlite3_close(db);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Gen gen(&in);
  g_log.clear();
  const bool file_mode = in.ConsumeBool();
  const std::string path = file_mode ? g_dir + "/main.db" : ":memory:";
  if (file_mode) {
    for (const char* suffix : {"", "-journal", "-lightning", "-lightning-wal", "-lightning-lock"})
      ::unlink((path + suffix).c_str());
  }
  long progress = 0;
  sqlite3* db = OpenDb(path, &progress);
  const bool small_pages = in.ConsumeBool();
  for (int t = 0; t < 3; t++) {
    Outcome c = Run(db, "CREATE VIRTUAL TABLE t" + std::to_string(t) + " USING lightning(" +
                            kDecl[t] + gen.TableOptions(file_mode, small_pages) + ")");
    if (c.rc != SQLITE_OK) Fail("CREATE VIRTUAL TABLE fails: " + c.error);
    Run(db, "CREATE TABLE n" + std::to_string(t) + "(" + kDecl[t] + ")" +
                (t == 1 ? " WITHOUT ROWID" : ""));
  }
  bool diverged = false;  // a statement was interrupted: the twins may differ
  int savepoints = 0;
  for (int step = 0; step < 48 && in.remaining_bytes() > 0 && !diverged; step++) {
    progress = 0;
    const int kind = in.ConsumeIntegralInRange<int>(0, 15);
    if (kind < 10) {
      bool is_select = false;
      const std::string sql = gen.DataStatement(in.ConsumeIntegralInRange<int>(0, 2), &is_select);
      const bool in_txn = !sqlite3_get_autocommit(db);
      Outcome l = Run(db, Subst(sql, "t"));
      if (in_txn && sqlite3_get_autocommit(db)) {
        // The error rolled the whole transaction back (OR ROLLBACK), native
        // tables included: the twins agree again; running the native
        // statement now would run it on another state.
        if (l.rc == SQLITE_OK) Fail("a successful statement ended the transaction: " + sql);
        continue;
      }
      Outcome n = Run(db, Subst(sql, "n"));
      if (l.rc == SQLITE_INTERRUPT || n.rc == SQLITE_INTERRUPT) {
        diverged = true;
      } else if (g_diff && !Same(l, n)) {
        Fail("lightning and native disagree on: " + sql + "\n  lightning: rc " +
             std::to_string(l.rc) + " " + l.error + ", " + std::to_string(l.rows.size()) +
             " rows\n  native: rc " + std::to_string(n.rc) + " " + n.error + ", " +
             std::to_string(n.rows.size()) + " rows");
      }
      continue;
    }
    const std::string sp = "s" + std::to_string(in.ConsumeIntegralInRange<int>(0, savepoints));
    const std::string table = "t" + std::to_string(in.ConsumeIntegralInRange<int>(0, 2));
    switch (kind) {
      case 10:
        Run(db, in.ConsumeBool() ? "BEGIN" : "COMMIT");
        break;
      case 11:
        Run(db, "ROLLBACK");
        break;
      case 12:
        Run(db, "SAVEPOINT s" + std::to_string(++savepoints));
        break;
      case 13:
        Run(db, (in.ConsumeBool() ? "RELEASE " : "ROLLBACK TO ") + sp);
        break;
      case 14: {
        static const char* const kFns[] = {"SELECT count(*) FROM lightning_stats('%s')",
                                           "SELECT count(*) FROM lightning_check('%s')",
                                           "SELECT count(*) FROM lightning_checkpoint('%s')",
                                           "SELECT count(*) FROM lightning_config('%s')",
                                           "SELECT count(*) FROM lightning_latency('%s')",
                                           "SELECT count(*) FROM lightning_recommendations('%s')",
                                           "UPDATE lightning_config SET value = '2MB' WHERE name = "
                                           "'cache_size' AND \"table\" = '%s'",
                                           "SELECT count(*) FROM lightning_compact('%s')",
                                           "SELECT lightning_version()",
                                           "SELECT count(*) FROM lightning_profile('%s')",
                                           "SELECT count(*) FROM lightning_metrics()"};
        char buf[200];
        std::snprintf(buf, sizeof buf, kFns[in.ConsumeIntegralInRange<int>(0, 10)], table.c_str());
        Outcome o = Run(db, buf);
        if (o.rc == SQLITE_INTERRUPT) diverged = true;
        break;
      }
      default:
        if (file_mode) {  // close and reopen: the stores are closed and recovered
          sqlite3_close(db);
          db = OpenDb(path, &progress);
          savepoints = 0;
          g_log.push_back("-- reopen");
        }
        break;
    }
  }
  progress = 0;
  if (g_diff && !diverged) {
    Run(db, "COMMIT");
    for (int t = 0; t < 3; t++) {
      const std::string sql = std::string("SELECT ") + (t == 2 ? "rowid, " : "") + "* FROM {" +
                              std::to_string(t) + "} ORDER BY " + kKey[t];
      Outcome l = Run(db, Subst(sql, "t")), n = Run(db, Subst(sql, "n"));
      if (l.rc == SQLITE_INTERRUPT || n.rc == SQLITE_INTERRUPT) break;
      if (!Same(l, n))
        Fail("table t" + std::to_string(t) + " differs from its native twin at the end");
    }
  }
  if (sqlite3_close(db) != SQLITE_OK) Fail(std::string("sqlite3_close: ") + sqlite3_errmsg(db));
  return 0;
}
