#include "ext/store_lookup.h"

#include <cctype>
#include <cstring>

#include "ext/connection.h"
#include "ext/session.h"
#include "ext/vtab/vtab.h"
#include "vfs/lightning_vfs.h"

namespace lightning::ext {
namespace {

std::string QuoteId(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

// True if schema `schema` has a table named `name`. Asked before Touch, whose
// failed prepare SQLite would log ("no such table: temp.users").
bool TableExists(sqlite3* db, const std::string& schema, const std::string& name) {
  const std::string sql =
      "SELECT 1 FROM " + QuoteId(schema) +
      ".sqlite_master WHERE type IN ('table', 'view') AND name = ?1 COLLATE NOCASE";
  sqlite3_stmt* stmt = nullptr;
  bool found = false;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(stmt, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    found = sqlite3_step(stmt) == SQLITE_ROW;
  }
  sqlite3_finalize(stmt);
  return found;
}

// Prepares a statement naming schema.name, which makes SQLite connect a
// virtual table not yet connected on this connection. SQLITE_OK if it exists.
int Touch(sqlite3* db, const std::string& schema, const std::string& name, std::string* err) {
  const std::string sql = "SELECT 1 FROM " + QuoteId(schema) + "." + QuoteId(name) + " LIMIT 0";
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  if (rc != SQLITE_OK && err) *err = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  return rc;
}

std::vector<std::string> Schemas(sqlite3* db) {
  std::vector<std::string> out;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA database_list", -1, &stmt, nullptr) != SQLITE_OK) return out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
  }
  sqlite3_finalize(stmt);
  // SQLite resolves an unqualified name in temp first, then main, then attached.
  for (size_t i = 0; i < out.size(); i++) {
    if (out[i] == "temp") {
      out.erase(out.begin() + static_cast<long>(i));
      out.insert(out.begin(), "temp");
      break;
    }
  }
  return out;
}

// True if a CREATE VIRTUAL TABLE statement uses the lightning module.
bool UsesLightning(const char* sql) {
  const size_t n = std::strlen(sql);
  for (size_t i = 0; i + 5 <= n; i++) {
    if (sqlite3_strnicmp(sql + i, "using", 5) != 0) continue;
    if (i > 0 && (std::isalnum(static_cast<unsigned char>(sql[i - 1])) || sql[i - 1] == '_'))
      continue;
    size_t j = i + 5;
    if (j < n && (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_')) continue;
    while (j < n && std::isspace(static_cast<unsigned char>(sql[j]))) j++;
    if (j < n && (sql[j] == '"' || sql[j] == '`' || sql[j] == '[' || sql[j] == '\'')) j++;
    if (j + 9 > n || sqlite3_strnicmp(sql + j, "lightning", 9) != 0) return false;
    const char after = j + 9 < n ? sql[j + 9] : '\0';
    return !(std::isalnum(static_cast<unsigned char>(after)) || after == '_');
  }
  return false;
}

std::vector<std::string> LightningTables(sqlite3* db, const std::string& schema) {
  std::vector<std::string> out;
  const std::string sql =
      "SELECT name, sql FROM " + QuoteId(schema) +
      ".sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const char* name = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    const char* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    if (name && text && UsesLightning(text)) out.emplace_back(name);
  }
  sqlite3_finalize(stmt);
  return out;
}

StoreTarget TargetOf(LightningTable* t, bool one_table) {
  StoreTarget target;
  target.session = t->session;
  target.db = t->session->db();
  target.label = t->session->label();
  target.table = t->name;
  target.schema = t->schema_name;
  target.one_table = one_table;
  return target;
}

// Finds lightning table `name` in `schema` (connecting it first). Sets
// *exists when some table of that name exists there.
LightningTable* Resolve(sqlite3* db, Connection* conn, const std::string& schema,
                        const std::string& name, bool* exists, std::string* err) {
  if (LightningTable* t = conn->FindTable(schema, name)) return t;
  if (!TableExists(db, schema, name)) return nullptr;
  std::string why;
  if (Touch(db, schema, name, &why) != SQLITE_OK) {
    // "no such table" is not an error yet (another schema may have it);
    // anything else (the store cannot be opened) is.
    if (why.find("no such table") == std::string::npos && err->empty()) *err = why;
    return nullptr;
  }
  *exists = true;
  return conn->FindTable(schema, name);
}

// The database of this connection opened through the lightning VFS whose
// schema name or path is `name`; false if none.
bool ResolveVfsDatabase(sqlite3* db, const std::string& name, StoreTarget* out) {
  for (const std::string& schema : Schemas(db)) {
    const char* path = sqlite3_db_filename(db, schema.c_str());
    if (sqlite3_stricmp(schema.c_str(), name.c_str()) != 0 && (path == nullptr || name != path))
      continue;
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db, schema.c_str(), SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK)
      continue;
    DB* store = vfs::FileStore(file);
    if (store == nullptr) continue;
    *out = StoreTarget();
    out->db = store;
    out->vfs_file = file;
    out->label = path != nullptr ? path : store->path();
    // The name that finds it again (lightning_compact('aux') in advice).
    out->table = schema;
    out->schema = "main";
    return true;
  }
  return false;
}

}  // namespace

int FindStore(sqlite3* db, const std::string& table, StoreTarget* out, std::string* err) {
  Connection* conn = Connection::Find(db);
  if (conn == nullptr) {
    *err = "lightning is not loaded on this connection";
    return SQLITE_ERROR;
  }
  bool exists = false;
  std::string open_error;
  const std::vector<std::string> schemas = Schemas(db);
  for (const std::string& schema : schemas) {
    if (LightningTable* t = Resolve(db, conn, schema, table, &exists, &open_error)) {
      *out = TargetOf(t, true);
      return SQLITE_OK;
    }
  }
  const size_t dot = table.find('.');
  bool known_schema = false;
  for (const std::string& schema : schemas)
    known_schema |= dot != std::string::npos &&
                    sqlite3_stricmp(schema.c_str(), table.substr(0, dot).c_str()) == 0;
  if (known_schema) {
    if (LightningTable* t =
            Resolve(db, conn, table.substr(0, dot), table.substr(dot + 1), &exists, &open_error)) {
      *out = TargetOf(t, true);
      return SQLITE_OK;
    }
  }
  if (!exists && open_error.empty() && ResolveVfsDatabase(db, table, out)) return SQLITE_OK;
  if (!open_error.empty()) {
    *err = "table " + table + ": " + open_error;
  } else if (exists) {
    *err = table + " is not a lightning table";
  } else {
    *err = "no such table: " + table;
  }
  return SQLITE_ERROR;
}

int FindStores(sqlite3* db, const char* table, std::vector<StoreTarget>* out, std::string* err) {
  out->clear();
  if (table != nullptr) {
    StoreTarget t;
    int rc = FindStore(db, table, &t, err);
    if (rc == SQLITE_OK) out->push_back(std::move(t));
    return rc;
  }
  Connection* conn = Connection::Find(db);
  if (conn == nullptr) {
    *err = "lightning is not loaded on this connection";
    return SQLITE_ERROR;
  }
  for (const std::string& schema : Schemas(db)) {
    for (const std::string& name : LightningTables(db, schema)) {
      bool exists = false;
      std::string open_error;
      LightningTable* t = Resolve(db, conn, schema, name, &exists, &open_error);
      if (t == nullptr) {
        if (!open_error.empty()) {
          *err = "table " + name + ": " + open_error;
          return SQLITE_ERROR;
        }
        continue;
      }
      bool seen = false;
      for (const StoreTarget& s : *out) seen |= s.session == t->session;
      if (!seen) out->push_back(TargetOf(t, false));
    }
  }
  return SQLITE_OK;
}

Session* FindSessionByLabel(sqlite3* db, const std::string& label) {
  Connection* conn = Connection::Find(db);
  if (conn == nullptr) return nullptr;
  for (const auto& [key, session] : conn->sessions()) {
    if (session->label() == label) return session.get();
  }
  return nullptr;
}

std::string SqlQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace lightning::ext
