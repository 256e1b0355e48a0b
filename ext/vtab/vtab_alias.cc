/*
** Alias tables: `CREATE VIRTUAL TABLE temp.t USING lightning(alias='main')`
** declares, in the connection's own temp schema, a second name for the
** lightning table main.t: same columns, same store, same trees, same session.
**
** USAGE
**
**   -- once per connection that writes, for each table it writes:
**   CREATE VIRTUAL TABLE temp.events USING lightning(alias='main');
**   INSERT INTO events VALUES (...);   -- unqualified names find temp first
**   SELECT lightning_declare_aliases();  -- or: one for every lightning table
**                                        -- of main (ext/functions/fn_aliases.cc)
**
** WHY
**
**   SQLite opens a write transaction on the schema a written table lives in
**   (insert.c/update.c/delete.c: sqlite3BeginWriteOperation(pParse, 0, iDb);
**   build.c codes OP_Transaction(iDb, write) for every schema in the write
**   mask, then OP_VBegin per virtual table). For main.t that is main's write
**   lock (in WAL mode the WAL write lock), held until COMMIT and across the
**   engine commit made in xSync, so writers of lightning tables in different
**   connections serialise on it, fsync included. temp is private to each
**   connection, so its write lock never contends: transactions that write
**   only aliases meet only in the engine, whose writer lock is released
**   before the fsync and whose group commit shares one fsync between the
**   commits that arrive meanwhile (docs/ARCHITECTURE.md, "Concurrent writers
**   through SQL").
**
** IMPLEMENTATION NOTES
**
**   xCreate/xConnect of an alias prepare `SELECT * FROM "<schema>"."<name>"`
**   (a nested statement: it connects the target table if this connection has
**   not yet) and copy the target's schema, store session and tree ids. Both
**   tables then share the connection's Session of that store, so a
**   transaction writing both is one engine write transaction. A change to
**   main's schema resets temp too (SQLite's sqlite3ResetOneSchema), so an
**   alias reconnects after the target is dropped or recreated elsewhere.
**
** LIMITATIONS
**
**   Only in temp; the target must be a lightning table (not an alias). DROP
**   TABLE temp.t forgets the alias and leaves the rows; ALTER TABLE ... RENAME
**   of an alias is refused. When the target is gone the alias stays
**   connected, unusable, so that DROP TABLE can remove it.
*/
#include <string>

#include "ext/connection.h"
#include "ext/session.h"
#include "ext/vtab/sql_tokens.h"
#include "ext/vtab/vtab.h"

namespace lightning::ext {

Status FindAliasOption(const std::vector<std::string_view>& args, std::string* target) {
  using sql_tokens::Tok;
  target->clear();
  bool others = false;
  for (std::string_view arg : args) {
    std::vector<sql_tokens::Token> toks;
    Status s = sql_tokens::Tokenize(arg, &toks);
    if (!s.ok() || toks.empty()) {
      others = others || !s.ok();
      continue;
    }
    if (toks.size() >= 2 && sql_tokens::IsKeyword(toks[0], "alias") &&
        toks[1].kind == Tok::kPunct && toks[1].value == "=") {
      if (toks.size() != 3 || !sql_tokens::IsName(toks[2]) || toks[2].value.empty())
        return Status::InvalidArgument("alias= needs a schema name, e.g. alias='main'");
      if (!target->empty()) return Status::InvalidArgument("option \"alias\" is given twice");
      *target = toks[2].value;
    } else {
      others = true;
    }
  }
  if (!target->empty() && others)
    return Status::InvalidArgument(
        "an alias table takes its columns and options from its target: give only alias=");
  return Status::OK();
}

int ConnectAlias(LightningTable* table, const std::string& target_schema, bool create,
                 char** err_out) {
  sqlite3* db = table->db;
  auto fail = [&](int rc, const std::string& msg) {
    *err_out = sqlite3_mprintf("lightning: %s", msg.c_str());
    return rc;
  };
  if (sqlite3_stricmp(table->schema_name.c_str(), "temp") != 0)
    return fail(SQLITE_ERROR, "alias table " + table->name + " must live in the temp schema (" +
                                  "CREATE VIRTUAL TABLE temp." + table->name +
                                  " USING lightning(alias='" + target_schema + "'))");
  if (sqlite3_stricmp(target_schema.c_str(), "temp") == 0)
    return fail(SQLITE_ERROR,
                "alias='temp': the target must be a table of main or an attached "
                "schema");
  // Connects the target on this connection if it is not yet.
  const std::string probe = "SELECT * FROM " + QuoteIdentifier(target_schema) + "." +
                            QuoteIdentifier(table->name) + " LIMIT 0";
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, probe.c_str(), -1, &stmt, nullptr);
  std::string why = rc == SQLITE_OK ? "" : sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  const LightningTable* target =
      rc == SQLITE_OK ? table->conn->FindTable(target_schema, table->name) : nullptr;
  if (target == nullptr || !target->alias_of.empty()) {
    std::string msg = "alias table temp." + table->name + ": " + target_schema + "." + table->name +
                      " is not a lightning table" +
                      (why.empty() ? std::string() : " (" + why + ")");
    if (create) return fail(SQLITE_ERROR, msg);
    // Connected anyway, unusable, so that DROP TABLE temp.<name> still works.
    table->alias_of = target_schema;
    table->missing_tree =
        "lightning: " + msg + "; DROP TABLE temp." + table->name + " removes the alias";
    return sqlite3_declare_vtab(db, "CREATE TABLE x(lightning_alias_target_missing)");
  }
  table->alias_of = target_schema;
  table->session = target->session;
  table->schema = target->schema;
  table->tree = target->tree;
  table->unique_trees = target->unique_trees;
  table->index_trees = target->index_trees;
  table->missing_tree = target->missing_tree;
  table->max_key_value_size = target->max_key_value_size;
  table->record_slot = target->record_slot;
  table->record_width = target->record_width;
  table->key_position = target->key_position;
  table->key_real_slot = target->key_real_slot;
  rc = sqlite3_declare_vtab(db, table->schema.DeclareSql().c_str());
  if (rc != SQLITE_OK)
    return fail(rc, "cannot declare alias table " + table->name + ": " + sqlite3_errmsg(db));
  sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  return SQLITE_OK;
}

int CheckAliasTarget(LightningTable* t) {
  if (t->alias_of.empty() || !t->session->writing()) return SQLITE_OK;
  TreeId id = 0;
  Status s = t->session->write_txn()->OpenTree(t->name, &id);
  if (s.ok() && id == t->tree) return SQLITE_OK;
  if (!s.ok() && !s.IsNotFound()) return SetTableStatus(t, s, 0);
  return SetTableError(
      t, SQLITE_ERROR,
      "lightning: alias table temp." + t->name + ": its target " + t->alias_of + "." + t->name +
          " was dropped, renamed or replaced by another connection; run a statement on " +
          t->alias_of + " (e.g. SELECT 1 FROM " + t->alias_of + "." + t->name +
          ") to reload the schema, or DROP TABLE temp." + t->name);
}

void ForgetAliasesOf(const LightningTable* target, const char* what) {
  for (LightningTable* alias : target->conn->tables()) {
    if (alias == target || alias->alias_of.empty() || alias->session != target->session ||
        alias->tree != target->tree || !alias->missing_tree.empty())
      continue;
    alias->missing_tree = "lightning: alias table temp." + alias->name + ": its target " +
                          target->schema_name + "." + target->name + " was " + what +
                          "; DROP TABLE temp." + alias->name + " removes the alias";
  }
}

}  // namespace lightning::ext
