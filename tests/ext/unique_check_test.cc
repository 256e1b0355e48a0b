// lightning_check(table) checks each UNIQUE tree against the table's rows.
// The test builds a table through SQL (the extension loaded into the system
// SQLite), damages its UNIQUE tree through the engine API with the store
// closed (an entry deleted, one added for no row, one pointed at another
// row), reopens it and expects each problem reported once, and 'ok' again
// once the damage is undone.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ext/vtab/key_codec.h"
#include "lightning/db.h"

namespace lightning::ext {
namespace {

class UniqueCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("unique_check_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (db_ != nullptr) sqlite3_close(db_);
    std::filesystem::remove_all(dir_);
  }

  void Open() {
    ASSERT_EQ(sqlite3_open((dir_ / "app.db").c_str(), &db_), SQLITE_OK);
    sqlite3_enable_load_extension(db_, 1);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_load_extension(db_, LIGHTNING_EXTENSION, nullptr, &err), SQLITE_OK)
        << (err ? err : "");
  }
  void Close() {
    ASSERT_EQ(sqlite3_close(db_), SQLITE_OK);
    db_ = nullptr;
  }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << sql << ": " << (err ? err : "");
  }
  std::vector<std::string> Problems() {
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(
        sqlite3_prepare_v2(db_, "SELECT problem FROM lightning_check('t')", -1, &stmt, nullptr),
        SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    sqlite3_finalize(stmt);
    return out;
  }
  // Runs `damage` on the UNIQUE tree (number `n`) of table t, the store closed by SQLite.
  template <typename F>
  void Damage(int n, F&& damage) {
    auto db = DB::Open((dir_ / "app.db-lightning").string(), Options());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto w = db.value()->BeginWrite();
    ASSERT_TRUE(w.ok());
    TreeId tree = 0, table = 0;
    ASSERT_TRUE(w.value()->OpenTree(std::string("t\x1funique") + std::to_string(n), &tree).ok());
    ASSERT_TRUE(w.value()->OpenTree("t", &table).ok());
    damage(w.value().get(), tree, table);
    ASSERT_TRUE(w.value()->Commit().ok());
  }

  static std::string Entry(const SqlValue& v) {
    std::string key;
    AppendKeyComponent(v, false, &key);
    return key;
  }

  std::filesystem::path dir_;
  sqlite3* db_ = nullptr;
};

size_t Count(const std::vector<std::string>& problems, const std::string& part) {
  size_t n = 0;
  for (const std::string& p : problems) n += p.find(part) != std::string::npos;
  return n;
}

TEST_F(UniqueCheck, HealthyTableIsOk) {
  Open();
  Exec(
      "CREATE VIRTUAL TABLE t USING lightning(id INTEGER PRIMARY KEY, email TEXT UNIQUE, a, b,"
      " UNIQUE(a, b), CHECK(a IS NOT 5))");
  Exec(
      "INSERT INTO t VALUES (1, 'x', 1, 1), (2, 'y', 1, 2), (3, NULL, NULL, 1), (4, 'z', 2, NULL)");
  Exec("UPDATE t SET email = 'w' WHERE id = 1");
  Exec("DELETE FROM t WHERE id = 2");
  EXPECT_EQ(Problems(), std::vector<std::string>{"ok"});
  // The table's prepared CHECK statement is finalized with the table: a
  // plain sqlite3_close (which refuses to close with statements left) succeeds.
  Close();
}

TEST_F(UniqueCheck, DamagedUniqueTreeIsReportedOncePerProblem) {
  Open();
  Exec(
      "CREATE VIRTUAL TABLE t USING lightning(id INTEGER PRIMARY KEY, email TEXT UNIQUE, a, b,"
      " UNIQUE(a, b))");
  Exec(
      "INSERT INTO t VALUES (1, 'x', 1, 1), (2, 'y', 1, 2), (3, NULL, NULL, 1), (4, 'z', 2, NULL)");
  ASSERT_EQ(Problems(), std::vector<std::string>{"ok"});
  Close();
  Damage(1, [&](WriteTxn* txn, TreeId tree, TreeId) {
    // Row 2 loses its entry; an entry for a row that does not exist; 'z' names row 1.
    ASSERT_TRUE(txn->Delete(tree, Entry(SqlValue::Text("y"))).ok());
    ASSERT_TRUE(txn->Put(tree, Entry(SqlValue::Text("ghost")), EncodeIntegerKey(9)).ok());
    ASSERT_TRUE(txn->Put(tree, Entry(SqlValue::Text("z")), EncodeIntegerKey(1)).ok());
  });
  Open();
  std::vector<std::string> problems = Problems();
  for (const std::string& p : problems) std::printf("  problem: %s\n", p.c_str());
  EXPECT_EQ(problems.size(), 3u);
  for (const std::string& p : problems) EXPECT_EQ(p.rfind("table t, UNIQUE(email): ", 0), 0u) << p;
  EXPECT_EQ(Count(problems, "missing entry ('y') for row rowid 2"), 1u);
  EXPECT_EQ(Count(problems, "extra entry ('ghost'): its row rowid 9 does not exist"), 1u);
  EXPECT_EQ(Count(problems, "the entry ('z') for row rowid 4 names another row (rowid 1)"), 1u);
  // The table's own rows and the other UNIQUE tree are fine: SQL still reads.
  Close();
  Damage(1, [&](WriteTxn* txn, TreeId tree, TreeId) {
    ASSERT_TRUE(txn->Put(tree, Entry(SqlValue::Text("y")), EncodeIntegerKey(2)).ok());
    ASSERT_TRUE(txn->Delete(tree, Entry(SqlValue::Text("ghost"))).ok());
    ASSERT_TRUE(txn->Put(tree, Entry(SqlValue::Text("z")), EncodeIntegerKey(4)).ok());
  });
  Open();
  EXPECT_EQ(Problems(), std::vector<std::string>{"ok"});
}

TEST_F(UniqueCheck, EntryOfARowWithOtherValuesOrNullsIsExtra) {
  Open();
  Exec(
      "CREATE VIRTUAL TABLE t USING lightning(k TEXT, a INTEGER, b, PRIMARY KEY(k, a DESC),"
      " UNIQUE(a, b))");
  Exec("INSERT INTO t VALUES ('p', 1, 'x'), ('q', 2, NULL)");
  Close();
  std::string key_q;  // the composite key of row ('q', 2)
  Damage(1, [&](WriteTxn* txn, TreeId tree, TreeId table) {
    auto c = txn->NewCursor(table);
    ASSERT_TRUE(c.ok());
    for (c.value()->SeekToFirst(); c.value()->Valid(); c.value()->Next()) key_q = c.value()->key();
    // Row ('q', 2) has a NULL b: no entry is due, yet one names it.
    std::string tuple = Entry(SqlValue::Integer(2)) + Entry(SqlValue::Text("y"));
    ASSERT_TRUE(txn->Put(tree, tuple, key_q).ok());
  });
  Open();
  std::vector<std::string> problems = Problems();
  for (const std::string& p : problems) std::printf("  problem: %s\n", p.c_str());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find(
                "table t, UNIQUE(a, b): extra entry (2, 'y') for row (\"k\", \"a\")=('q', 2)"),
            std::string::npos)
      << problems[0];
  EXPECT_NE(problems[0].find("whose values call for no entry"), std::string::npos) << problems[0];
}

TEST_F(UniqueCheck, ManyProblemsAreCountedNotListed) {
  Open();
  Exec("CREATE VIRTUAL TABLE t USING lightning(id INTEGER PRIMARY KEY, email TEXT UNIQUE)");
  Exec(
      "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50)"
      " INSERT INTO t SELECT i, 'e' || i FROM c");
  Close();
  Damage(1, [&](WriteTxn* txn, TreeId tree, TreeId) { ASSERT_TRUE(txn->ClearTree(tree).ok()); });
  Open();
  std::vector<std::string> problems = Problems();
  ASSERT_EQ(problems.size(), 21u);
  EXPECT_EQ(Count(problems, "missing entry ('e"), 20u);
  EXPECT_EQ(problems.back(), "table t, UNIQUE(email): 30 more problems not listed");
}

}  // namespace
}  // namespace lightning::ext
