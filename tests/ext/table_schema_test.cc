#include "ext/vtab/table_schema.h"

#include <gtest/gtest.h>

namespace lightning::ext {
namespace {

const std::vector<std::string> kOptions = {"file", "cache_size", "page_size", "sync",
                                           "compression"};

Status Parse(std::vector<std::string_view> args, TableSchema* s) {
  return ParseTableArgs(args, kOptions, s);
}

TEST(TableSchema, RowidTable) {
  TableSchema s;
  ASSERT_TRUE(Parse({"a", "b TEXT", "c REAL NOT NULL"}, &s).ok());
  EXPECT_EQ(s.key_kind, KeyKind::kRowid);
  EXPECT_EQ(s.key_column, -1);
  ASSERT_EQ(s.columns.size(), 3u);
  EXPECT_EQ(s.columns[0].affinity, Affinity::kBlob);
  EXPECT_EQ(s.columns[1].affinity, Affinity::kText);
  EXPECT_EQ(s.columns[2].affinity, Affinity::kReal);
  EXPECT_TRUE(s.columns[2].not_null);
  EXPECT_EQ(s.DeclareSql(), "CREATE TABLE x(\"a\", \"b\" TEXT, \"c\" REAL NOT NULL)");
}

TEST(TableSchema, IntegerPrimaryKeyIsTheRowid) {
  TableSchema s;
  ASSERT_TRUE(Parse({"id INTEGER PRIMARY KEY", "name TEXT", "cache_size='256MB'"}, &s).ok());
  EXPECT_EQ(s.key_kind, KeyKind::kIntegerPrimaryKey);
  EXPECT_EQ(s.key_column, 0);
  ASSERT_EQ(s.options.size(), 1u);
  EXPECT_EQ(s.options[0].first, "cache_size");
  EXPECT_EQ(s.options[0].second, "256MB");
  EXPECT_FALSE(s.StoredInRecord(0));
  EXPECT_TRUE(s.StoredInRecord(1));
}

TEST(TableSchema, OtherKeysAreWithoutRowid) {
  TableSchema s;
  ASSERT_TRUE(Parse({"k TEXT PRIMARY KEY", "v"}, &s).ok());
  EXPECT_EQ(s.key_kind, KeyKind::kWithoutRowid);
  EXPECT_TRUE(s.columns[0].not_null);
  EXPECT_EQ(s.DeclareSql(), "CREATE TABLE x(\"k\" TEXT NOT NULL PRIMARY KEY, \"v\") WITHOUT ROWID");
  ASSERT_TRUE(Parse({"id INT PRIMARY KEY", "v"}, &s).ok());  // INT is not a rowid alias
  EXPECT_EQ(s.key_kind, KeyKind::kWithoutRowid);
  ASSERT_TRUE(Parse({"id INTEGER PRIMARY KEY DESC", "v"}, &s).ok());
  EXPECT_EQ(s.key_kind, KeyKind::kWithoutRowid);
  ASSERT_TRUE(Parse({"id INTEGER", "v", "PRIMARY KEY (id)"}, &s).ok());
  EXPECT_EQ(s.key_kind, KeyKind::kIntegerPrimaryKey);
  ASSERT_TRUE(Parse({"a", "\"weird \"\"name\"\"\" BLOB PRIMARY KEY"}, &s).ok());
  EXPECT_EQ(s.columns[1].name, "weird \"name\"");
  EXPECT_EQ(s.key_column, 1);
}

TEST(TableSchema, CompositeKeys) {
  TableSchema s;
  ASSERT_TRUE(
      Parse({"a INTEGER", "b TEXT", "c", "CONSTRAINT pk PRIMARY KEY (b DESC, a)"}, &s).ok());
  EXPECT_EQ(s.key_kind, KeyKind::kComposite);
  EXPECT_EQ(s.key_column, -1);
  EXPECT_EQ(s.key_columns, (std::vector<int>{1, 0}));
  EXPECT_EQ(s.key_desc, (std::vector<bool>{true, false}));
  EXPECT_TRUE(s.columns[0].not_null && s.columns[1].not_null && !s.columns[2].not_null);
  EXPECT_FALSE(s.StoredInRecord(0));
  EXPECT_FALSE(s.StoredInRecord(1));
  EXPECT_TRUE(s.StoredInRecord(2));
  EXPECT_EQ(s.hidden_key_index(), 3);
  EXPECT_EQ(s.DeclareSql(),
            "CREATE TABLE x(\"a\" INTEGER NOT NULL, \"b\" TEXT NOT NULL, \"c\", "
            "\"lightning_key\" HIDDEN PRIMARY KEY) WITHOUT ROWID");
  // The hidden column's name avoids the table's own columns.
  ASSERT_TRUE(
      Parse({"lightning_key", "b", "PRIMARY KEY(lightning_key, b COLLATE BINARY ASC)"}, &s).ok());
  EXPECT_EQ(s.hidden_key_name, "lightning_key_");
}

TEST(TableSchema, UniqueConstraints) {
  TableSchema s;
  ASSERT_TRUE(
      Parse({"b UNIQUE", "a PRIMARY KEY", "c", "d UNIQUE", "CONSTRAINT u UNIQUE (c, b DESC)"}, &s)
          .ok());
  ASSERT_EQ(s.uniques.size(), 3u);
  EXPECT_EQ(s.uniques[0].columns, (std::vector<int>{0}));
  EXPECT_EQ(s.uniques[1].columns, (std::vector<int>{3}));
  EXPECT_EQ(s.uniques[2].columns, (std::vector<int>{2, 0}));
  // Declaration order of the key and UNIQUE constraints (native reports the newest first).
  EXPECT_EQ(s.uniques[0].seq, 0);
  EXPECT_EQ(s.key_seq, 1);
  EXPECT_EQ(s.uniques[1].seq, 2);
  EXPECT_EQ(s.uniques[2].seq, 3);
  EXPECT_TRUE(s.columns[0].unique);
  EXPECT_TRUE(s.StoredInRecord(0));
}

TEST(TableSchema, TypeNamesAndAffinity) {
  TableSchema s;
  ASSERT_TRUE(
      Parse({"a VARCHAR(20)", "b DOUBLE PRECISION", "c UNSIGNED BIG INT", "d DECIMAL(10, 5)",
             "e FLOATING POINT", "f", "g BOOLEAN", "h CLOB COLLATE NOCASE"},
            &s)
          .ok());
  EXPECT_EQ(s.columns[0].type, "VARCHAR(20)");
  EXPECT_EQ(s.columns[0].affinity, Affinity::kText);
  EXPECT_EQ(s.columns[1].affinity, Affinity::kReal);
  EXPECT_EQ(s.columns[2].affinity, Affinity::kInteger);
  EXPECT_EQ(s.columns[3].affinity, Affinity::kNumeric);
  EXPECT_EQ(s.columns[4].affinity, Affinity::kInteger);  // "FLOATING POINT" contains INT
  EXPECT_EQ(s.columns[5].affinity, Affinity::kBlob);
  EXPECT_EQ(s.columns[6].affinity, Affinity::kNumeric);
  EXPECT_EQ(s.columns[7].collation, "NOCASE");
}

TEST(TableSchema, OptionErrorsNameTheOption) {
  TableSchema s;
  Status st = Parse({"a", "cach_size=10MB"}, &s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("unknown option \"cach_size\""), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("did you mean \"cache_size\""), std::string::npos) << st.message();
  st = Parse({"a", "fil='x'"}, &s);
  EXPECT_NE(st.message().find("did you mean \"file\""), std::string::npos) << st.message();
  st = Parse({"a", "sync=full", "SYNC=off"}, &s);
  EXPECT_NE(st.message().find("given twice"), std::string::npos) << st.message();
  st = Parse({"a", "sync="}, &s);
  EXPECT_NE(st.message().find("needs a value"), std::string::npos) << st.message();
}

TEST(TableSchema, UnsupportedConstraintsAreErrors) {
  TableSchema s;
  for (auto args : std::vector<std::vector<std::string_view>>{
           {"a UNIQUE ON CONFLICT IGNORE"},
           {"a", "UNIQUE(zz)"},
           {"a", "UNIQUE(a) ON CONFLICT REPLACE"},
           {"a TEXT COLLATE NOCASE UNIQUE"},
           {"a CHECK (a > (SELECT 1))"},
           {"a CHECK (a > ?)"},
           {"a CHECK (a > :x)"},
           {"a CHECK a > 0"},
           {"a CHECK ()"},
           {"a CHECK (a > 0"},
           {"a", "CHECK(a > 0) x"},
           {"a", "FOREIGN KEY(a) REFERENCES b(c)"},
           {"a REFERENCES b(c)"},
           {"a AS (1)"},
           {"a GENERATED ALWAYS AS (1)"},
           {"a DEFAULT 5"},
           {"a INTEGER PRIMARY KEY AUTOINCREMENT"},
           {"a PRIMARY KEY ON CONFLICT REPLACE"},
           {"a PRIMARY KEY", "b PRIMARY KEY"},
           {"a", "b", "PRIMARY KEY(a, a)"},
           {"a", "b", "PRIMARY KEY(a, zz)"},
           {"a", "b", "PRIMARY KEY(a, b) ON CONFLICT REPLACE"},
           {"a", "b TEXT COLLATE NOCASE", "PRIMARY KEY(a, b)"},
           {"a PRIMARY KEY", "b", "PRIMARY KEY(a, b)"},
           {"a TEXT COLLATE NOCASE PRIMARY KEY"},
           {"a", "PRIMARY KEY(zz)"},
           {"a", "A"},
           {},
           {"cache_size=1MB"},
       }) {
    Status st = Parse(args, &s);
    EXPECT_FALSE(st.ok()) << (args.empty() ? "" : args[0]);
    EXPECT_TRUE(st.IsInvalidArgument());
    EXPECT_FALSE(st.message().empty());
  }
  EXPECT_TRUE(Parse({"a DEFAULT NULL", "b NULL", "c CONSTRAINT x NOT NULL"}, &s).ok());
}

TEST(TableSchema, SecondaryIndexes) {
  TableSchema s;
  ASSERT_TRUE(
      Parse({"INDEX ix_b(b DESC, a)", "a INTEGER", "b TEXT", "UNIQUE INDEX \"u x\"(a ASC)"}, &s)
          .ok());
  ASSERT_EQ(s.indexes.size(), 2u);
  EXPECT_EQ(s.indexes[0].name, "ix_b");
  EXPECT_FALSE(s.indexes[0].unique);
  EXPECT_EQ(s.indexes[0].columns, (std::vector<int>{1, 0}));
  EXPECT_EQ(s.indexes[0].desc, (std::vector<bool>{true, false}));
  EXPECT_EQ(s.indexes[1].name, "u x");
  EXPECT_TRUE(s.indexes[1].unique);
  EXPECT_EQ(IndexColumnsText(s, s.indexes[0]), "\"b\" DESC, \"a\"");
  // The canonical text parses back to the same index.
  IndexDef again;
  again.name = "again";
  ASSERT_TRUE(ParseIndexColumns(IndexColumnsText(s, s.indexes[0]), s, &again).ok());
  EXPECT_EQ(again.columns, s.indexes[0].columns);
  EXPECT_EQ(again.desc, s.indexes[0].desc);
  // The declared CREATE TABLE does not mention them.
  EXPECT_EQ(s.DeclareSql(), "CREATE TABLE x(\"a\" INTEGER, \"b\" TEXT)");

  for (auto args : std::vector<std::vector<std::string_view>>{
           {"a", "INDEX ix(zz)"},
           {"a", "INDEX ix(a), INDEX IX(a)"},
           {"a", "INDEX ix(a)", "INDEX IX(a)"},
           {"a", "INDEX ix(a UP)"},
           {"a", "INDEX ix(a, a)"},
           {"a", "INDEX ix()"},
           {"a", "INDEX ix"},
           {"a", "INDEX (a)"},
           {"a COLLATE NOCASE", "INDEX ix(a)"},
           {"a", "INDEX ix(a COLLATE NOCASE)"},
       }) {
    Status st = Parse(args, &s);
    EXPECT_TRUE(st.IsInvalidArgument()) << args[1];
  }
}

TEST(TableSchema, CheckConstraints) {
  TableSchema s;
  ASSERT_TRUE(
      Parse({"a INTEGER CHECK(  a > 0 ) NOT NULL", "b CONSTRAINT pos CHECK (b > 0) CHECK(b < 9)",
             "[c] CHECK([c]<`a` /* x */)", "CHECK(a < b)", "CONSTRAINT \"q q\" CHECK (a != 5)"},
            &s)
          .ok());
  ASSERT_EQ(s.checks.size(), 6u);
  EXPECT_EQ(s.checks[0].expr, "a > 0");
  EXPECT_EQ(s.checks[0].name, "a > 0");
  EXPECT_EQ(s.checks[1].name, "pos");
  EXPECT_EQ(s.checks[2].name,
            "pos");  // as SQLite: the name holds for the column's later constraints
  EXPECT_EQ(s.checks[2].expr, "b < 9");
  EXPECT_EQ(s.checks[3].expr, "[c]<`a` /* x */");
  EXPECT_EQ(s.checks[3].name, "c");  // SQLite dequotes the text it names the constraint with
  EXPECT_EQ(s.checks[4].name, "a < b");
  EXPECT_EQ(s.checks[5].name, "q q");
  EXPECT_TRUE(s.columns[0].not_null);
  EXPECT_EQ(SqliteDequote("'it''s' x"), "it's");
  EXPECT_EQ(SqliteDequote("a"), "a");
}

TEST(TableSchema, ClosestName) {
  EXPECT_EQ(ClosestName("compresion", kOptions), "compression");
  EXPECT_EQ(ClosestName("zzzzzzzzzzzzzzzz", kOptions), "");
  EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
}

}  // namespace
}  // namespace lightning::ext
