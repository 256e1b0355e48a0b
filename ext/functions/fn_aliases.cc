/*
** lightning_declare_aliases([schema]): declares, in this connection's temp
** schema, an alias of every lightning table of `schema` (default 'main') that
** has none yet, and returns how many it declared.
**
** USAGE
**
**   SELECT lightning_declare_aliases();        -- once per writing connection
**   SELECT lightning_declare_aliases('aux');   -- the tables of an ATTACHed schema
**
** EXAMPLE
**
**   sqlite> SELECT lightning_declare_aliases();
**   2
**   sqlite> SELECT name, sql FROM sqlite_temp_schema;
**   events|CREATE VIRTUAL TABLE "events" USING lightning(alias='main')
**   users|CREATE VIRTUAL TABLE "users" USING lightning(alias='main')
**
** IMPLEMENTATION NOTES
**
**   Each alias is `CREATE VIRTUAL TABLE temp."<name>" USING
**   lightning(alias='<schema>')` (ext/vtab/vtab_alias.cc: why aliases let
**   several connections write concurrently). The tables are those of
**   <schema>.sqlite_schema whose CREATE VIRTUAL TABLE names the module
**   lightning; a name that temp already has (an alias or anything else) is
**   skipped. The statements run on the calling connection, after the list is
**   read.
**
** LIMITATIONS
**
**   Tables created later, in this connection or another, get no alias: call
**   it again. Refused inside a transaction (the aliases would roll back with
**   it while the caller believes them declared).
*/
#include <string>
#include <vector>

#include "ext/functions/functions.h"
#include "ext/vtab/sql_tokens.h"
#include "ext/vtab/table_schema.h"
#include "vfs/guarded_call.h"

namespace lightning::ext {
namespace {

// True if `sql` is CREATE VIRTUAL TABLE ... USING lightning(...).
bool UsesLightning(const char* sql) {
  std::vector<sql_tokens::Token> toks;
  if (sql == nullptr || !sql_tokens::Tokenize(sql, &toks).ok()) return false;
  for (size_t i = 0; i + 1 < toks.size(); ++i) {
    if (toks[i].kind == sql_tokens::Tok::kPunct && toks[i].value == "(") return false;
    if (sql_tokens::IsKeyword(toks[i], "using"))
      return sql_tokens::Lower(toks[i + 1].value) == "lightning";
  }
  return false;
}

// The lightning tables of `schema` without a temp table of the same name.
int ListTargets(sqlite3* db, const std::string& schema, std::vector<std::string>* names,
                std::string* err) {
  const std::string sql =
      "SELECT s.name, s.sql FROM " + QuoteIdentifier(schema) +
      ".sqlite_schema AS s WHERE s.type = 'table' AND s.sql LIKE 'CREATE VIRTUAL TABLE%' "
      "AND s.name NOT IN (SELECT name FROM temp.sqlite_schema) ORDER BY s.name";
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (UsesLightning(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1))))
      names->emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    rc = SQLITE_OK;
  }
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  if (rc != SQLITE_OK) *err = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  return rc;
}

void DeclareAliasesFunc(sqlite3_context* ctx, int argc, sqlite3_value** argv) noexcept {
  GuardedResult(ctx, [&] {
    sqlite3* db = sqlite3_context_db_handle(ctx);
    std::string schema = "main";
    if (argc == 1) {
      const unsigned char* s = sqlite3_value_text(argv[0]);
      if (s == nullptr || *s == '\0')
        return sqlite3_result_error(
            ctx, "lightning_declare_aliases: the schema must be a name such as 'main'", -1);
      schema = reinterpret_cast<const char*>(s);
    }
    if (sqlite3_stricmp(schema.c_str(), "temp") == 0)
      return sqlite3_result_error(
          ctx, "lightning_declare_aliases: aliases are of main or an attached schema, not temp",
          -1);
    if (sqlite3_db_filename(db, schema.c_str()) == nullptr) {
      const std::string msg = "lightning_declare_aliases: no such schema: " + schema;
      return sqlite3_result_error(ctx, msg.c_str(), -1);
    }
    if (!sqlite3_get_autocommit(db))
      return sqlite3_result_error(
          ctx, "lightning_declare_aliases: not inside a transaction; COMMIT first", -1);
    std::vector<std::string> names;
    std::string err;
    if (ListTargets(db, schema, &names, &err) != SQLITE_OK) {
      const std::string msg = "lightning_declare_aliases: " + err;
      return sqlite3_result_error(ctx, msg.c_str(), -1);
    }
    int declared = 0;
    for (const std::string& name : names) {
      char* quoted_schema = sqlite3_mprintf("%Q", schema.c_str());
      const std::string sql = "CREATE VIRTUAL TABLE temp." + QuoteIdentifier(name) +
                              " USING lightning(alias=" + quoted_schema + ")";
      sqlite3_free(quoted_schema);
      char* msg = nullptr;
      if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
        const std::string full = "lightning_declare_aliases: " + name + ": " +
                                 (msg ? msg : sqlite3_errmsg(db)) + " (" +
                                 std::to_string(declared) + " declared before it)";
        sqlite3_free(msg);
        return sqlite3_result_error(ctx, full.c_str(), -1);
      }
      ++declared;
    }
    sqlite3_result_int(ctx, declared);
  });
}

}  // namespace

int RegisterAliasFunctions(sqlite3* db) {
  for (int argc : {0, 1}) {
    int rc = sqlite3_create_function_v2(db, "lightning_declare_aliases", argc,
                                        SQLITE_UTF8 | SQLITE_DIRECTONLY, nullptr,
                                        DeclareAliasesFunc, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace lightning::ext
