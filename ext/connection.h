// Connection: the extension's state for one sqlite3 database connection.
//
// SQLite registers the `lightning` module once per connection (directly when
// the extension is loaded, then through sqlite3_auto_extension for every later
// connection); the module's client data is this object, and SQLite destroys it
// when the connection closes, after every virtual table has disconnected.
//
// It owns one Session per store the connection uses. A store is identified by
// a key: "file:<canonical path>" for a store file (DB::Open shares the
// instance with other connections of the process) or "mem:<schema>" for the
// private in-memory store of an in-memory or temporary database — which must
// outlive the tables' disconnect/reconnect cycles, hence owned here and not by
// the tables.
//
// Thread safety: SQLite serialises all calls on one connection, so a
// Connection needs no lock of its own. The process-wide registry (Find/Attach)
// is guarded by a mutex.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ext/sqlite_api.h"
#include "lightning/db.h"

namespace lightning::ext {

class Session;
struct LightningTable;

class Connection {
 public:
  // The Connection of `db`, created and registered if there is none yet.
  // `*created` tells which. Never null.
  static Connection* Attach(sqlite3* db, bool* created);
  // The registered Connection of `db`, or nullptr.
  static Connection* Find(sqlite3* db);
  // sqlite3_create_module_v2 destructor: unregisters and deletes `p`.
  static void Destroy(void* p) noexcept;

  sqlite3* db() const { return db_; }

  // The session of store `key`, or nullptr.
  Session* FindSession(const std::string& key);
  // Adopts `session` under `key` (replacing nothing: the key must be new).
  Session* AddSession(const std::string& key, std::unique_ptr<Session> session);
  // Every session, by key.
  const std::map<std::string, std::unique_ptr<Session>>& sessions() const { return sessions_; }

  // The lightning tables connected on this connection (xConnect/xCreate add
  // them, xDisconnect/xDestroy remove them), so that the lightning_*()
  // functions can find the store behind a table name.
  void AddTable(LightningTable* table) { tables_.push_back(table); }
  void RemoveTable(LightningTable* table);
  // Every connected lightning table.
  const std::vector<LightningTable*>& tables() const { return tables_; }
  // The table `name` of schema `schema`, or nullptr.
  LightningTable* FindTable(const std::string& schema, const std::string& name) const;

  ~Connection();

 private:
  explicit Connection(sqlite3* db);

  sqlite3* db_;
  std::map<std::string, std::unique_ptr<Session>> sessions_;
  std::vector<LightningTable*> tables_;
};

}  // namespace lightning::ext
