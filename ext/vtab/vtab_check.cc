/*
** CHECK constraints of lightning tables: `a INTEGER CHECK(a > 0)`,
** `CONSTRAINT pos CHECK(...)`, `CHECK(a < b)` as a table constraint.
**
** USAGE
**
**   CREATE VIRTUAL TABLE t USING lightning(a INTEGER CHECK(a > 0), b TEXT,
**                                          CONSTRAINT short CHECK(length(b) < 10));
**   INSERT INTO t VALUES (0, 'x');   -- CHECK constraint failed: a > 0
**
** IMPLEMENTATION NOTES
**
**   SQLite evaluates the expressions, so its expression semantics, affinity
**   and collations apply as on a native table. Each connection prepares, at
**   the table's first write, one statement for all the table's constraints:
**
**     SELECT CASE WHEN (e1) IS FALSE THEN 1 WHEN (e2) IS FALSE THEN 2 ... ELSE 0 END
**     FROM (SELECT CAST(NULL AS INTEGER) COLLATE "c" AS "a", ... WHERE 0
**           UNION ALL SELECT ?1, ?2, ...) AS "t"
**
**   binds the row's values (affinity already applied, as native applies it
**   before its checks) and steps it once: the result is the first constraint
**   that is false (NULL passes), in the order declared, as native reports
**   it. The first arm of the UNION ALL gives each column of the subquery the
**   affinity (and collation) of the table's column without converting the
**   bound values: a comparison `b > 5` on a TEXT column compares as text, as
**   native does. The statement reads no table, so stepping it inside xUpdate
**   neither takes a lock nor touches a b-tree.
**
**   At CREATE, each expression is also prepared in a WHERE clause, so that
**   SQLite refuses what native CREATE TABLE refuses: unknown columns and
**   functions ("no such column: b"), aggregate and window functions
**   ("misuse of aggregate function sum()"). The parser (table_schema.cc)
**   refuses subqueries and parameters.
**
** LIMITATIONS
**
**   A name qualified
**   with the schema (`main.t.a`) is refused; after ALTER TABLE RENAME, a
**   column qualified with the old table name is no longer found (native
**   rewrites the expression). Native SQLite refuses date/time functions of
**   'now' in a CHECK when the row is written ("non-deterministic use of
**   date() in a CHECK constraint"); here they evaluate.
*/
#include <cctype>
#include <string>

#include "ext/vtab/sql_tokens.h"
#include "ext/vtab/vtab.h"

namespace lightning::ext {
namespace {

// "FROM (SELECT CAST(NULL AS <affinity>) [COLLATE c] AS "col", ... WHERE 0
// UNION ALL SELECT ?1, ...) AS "t"": the row as a subquery whose columns
// have the table's affinities and collations.
std::string RowSource(const LightningTable* t) {
  const auto& cols = t->schema.columns;
  std::string typed, params;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) {
      typed += ", ";
      params += ", ";
    }
    typed += std::string("CAST(NULL AS ") + AffinityName(cols[i].affinity) + ")";
    if (!cols[i].collation.empty()) typed += " COLLATE " + QuoteIdentifier(cols[i].collation);
    typed += " AS " + QuoteIdentifier(cols[i].name);
    params += "?" + std::to_string(i + 1);
  }
  // A rowid table's CHECK may name its rowid (rowid, oid, _rowid_, unless a
  // column has that name), as native: the new row's rowid, one more parameter.
  if (t->has_rowid()) {
    const std::string rowid_param = "?" + std::to_string(cols.size() + 1);
    for (const char* alias : {"rowid", "oid", "_rowid_"}) {
      if (t->schema.FindColumn(alias) >= 0) continue;
      typed += std::string(", CAST(NULL AS INTEGER) AS ") + alias;
      params += ", " + rowid_param;
    }
  }
  return " FROM (SELECT " + typed + " WHERE 0 UNION ALL SELECT " + params + ") AS " +
         QuoteIdentifier(t->name);
}

// The statement that finds the first failing constraint (0: none fails).
// Each expression sits on lines of its own, so that a trailing `--` comment
// in it cannot swallow the rest.
std::string CheckSql(const LightningTable* t) {
  std::string sql = "SELECT CASE";
  const auto& checks = t->schema.checks;
  for (size_t i = 0; i < checks.size(); ++i)
    sql += " WHEN (\n" + checks[i].expr + "\n) IS FALSE THEN " + std::to_string(i + 1);
  return sql + " ELSE 0 END" + RowSource(t);
}

// Prepares `sql` into *stmt; on failure *err is SQLite's message. A tail
// after the statement (text that closed the expression early) is refused.
int Prepare(sqlite3* db, const std::string& sql, sqlite3_stmt** stmt, std::string* err) {
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, stmt, &tail);
  if (rc != SQLITE_OK) {
    *err = sqlite3_errmsg(db);
    sqlite3_finalize(*stmt);
    *stmt = nullptr;
    return rc;
  }
  while (tail != nullptr && *tail != '\0' && std::isspace(static_cast<unsigned char>(*tail)))
    ++tail;
  if (*stmt == nullptr || (tail != nullptr && *tail != '\0')) {
    *err = "malformed CHECK expression";
    sqlite3_finalize(*stmt);
    *stmt = nullptr;
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

void Bind(sqlite3_stmt* stmt, int i, const SqlValue& v) {
  switch (v.type) {
    case SqlValue::Type::kNull:
      sqlite3_bind_null(stmt, i);
      break;
    case SqlValue::Type::kInteger:
      sqlite3_bind_int64(stmt, i, v.i);
      break;
    case SqlValue::Type::kReal:
      sqlite3_bind_double(stmt, i, v.r);
      break;
    case SqlValue::Type::kText:  // a null pointer would bind NULL: never pass one
      sqlite3_bind_text(stmt, i, v.bytes.empty() ? "" : v.bytes.data(),
                        static_cast<int>(v.bytes.size()), SQLITE_STATIC);
      break;
    case SqlValue::Type::kBlob:
      if (v.bytes.empty())
        sqlite3_bind_zeroblob(stmt, i, 0);
      else
        sqlite3_bind_blob(stmt, i, v.bytes.data(), static_cast<int>(v.bytes.size()), SQLITE_STATIC);
      break;
  }
}

// SQLite 3.40 gives a FROM subquery a `rowid` (NULL): a table without one
// must refuse the name itself, as native CREATE TABLE does.
bool NamesMissingRowid(const LightningTable* t, const std::string& expr, std::string* err) {
  if (t->has_rowid()) return false;
  std::vector<sql_tokens::Token> toks;
  if (!sql_tokens::Tokenize(expr, &toks).ok()) return false;  // SQLite will say why
  for (const sql_tokens::Token& tok : toks) {
    if (tok.kind != sql_tokens::Tok::kIdent && tok.kind != sql_tokens::Tok::kQuotedIdent) continue;
    const std::string name = sql_tokens::Lower(tok.value);
    if ((name == "rowid" || name == "oid" || name == "_rowid_") && t->schema.FindColumn(name) < 0) {
      *err = "no such column: " + tok.value + " in CHECK(" + expr + ")";
      return true;
    }
  }
  return false;
}

}  // namespace

int ValidateChecks(LightningTable* t, std::string* err) {
  const auto& checks = t->schema.checks;
  for (const CheckConstraint& check : checks) {
    if (NamesMissingRowid(t, check.expr, err)) return SQLITE_ERROR;
    sqlite3_stmt* stmt = nullptr;
    std::string why;
    int rc =
        Prepare(t->db, "SELECT 1" + RowSource(t) + " WHERE (\n" + check.expr + "\n)", &stmt, &why);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK) {
      *err = why + " in CHECK(" + check.expr + ")";
      return SQLITE_ERROR;
    }
  }
  if (checks.empty()) return SQLITE_OK;
  sqlite3_finalize(t->check_stmt);
  t->check_stmt = nullptr;
  if (Prepare(t->db, CheckSql(t), &t->check_stmt, err) != SQLITE_OK) {
    *err += " in the CHECK constraints";
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

int CheckReentry(LightningTable* t) {
  if (t->check_stmt == nullptr || !sqlite3_stmt_busy(t->check_stmt)) return SQLITE_OK;
  return SetTableError(t, SQLITE_ERROR,
                       "lightning: table " + t->name +
                           ": a CHECK expression wrote to its own table while it was evaluated");
}

int EvaluateChecks(LightningTable* t, const std::vector<SqlValue>& values, int64_t rowid) {
  const auto& checks = t->schema.checks;
  if (checks.empty()) return SQLITE_OK;
  if (t->check_stmt == nullptr) {
    std::string err;
    if (int rc = Prepare(t->db, CheckSql(t), &t->check_stmt, &err))
      return SetTableError(t, rc, "lightning: table " + t->name + ": " + err);
  }
  sqlite3_stmt* stmt = t->check_stmt;
  if (int rc = CheckReentry(t)) return rc;
  for (size_t i = 0; i < values.size(); ++i) Bind(stmt, static_cast<int>(i + 1), values[i]);
  if (t->has_rowid()) sqlite3_bind_int64(stmt, static_cast<int>(values.size() + 1), rowid);
  int rc = sqlite3_step(stmt);
  int failed = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
  if (rc != SQLITE_ROW) {
    // An error of the expression itself ("integer overflow", an interrupt).
    std::string message = sqlite3_errmsg(t->db);
    sqlite3_reset(stmt);
    return SetTableError(t, rc, message);
  }
  sqlite3_reset(stmt);
  if (failed <= 0 || failed > static_cast<int>(checks.size())) return SQLITE_OK;
  // OR IGNORE skips the row; OR REPLACE cannot replace anything to satisfy a
  // CHECK, so SQLite aborts the statement as native does.
  if (sqlite3_vtab_on_conflict(t->db) == SQLITE_IGNORE) return SQLITE_CONSTRAINT;
  return SetTableError(t, SQLITE_CONSTRAINT_CHECK,
                       "CHECK constraint failed: " + checks[static_cast<size_t>(failed - 1)].name);
}

}  // namespace lightning::ext
