#include "ext/connection.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "ext/session.h"
#include "ext/vtab/vtab.h"

namespace lightning::ext {
namespace {

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}

std::unordered_map<sqlite3*, Connection*>& Registry() {
  static auto* registry = new std::unordered_map<sqlite3*, Connection*>();  // never destroyed
  return *registry;
}

}  // namespace

Connection* Connection::Attach(sqlite3* db, bool* created) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  auto& registry = Registry();
  auto it = registry.find(db);
  if (it != registry.end()) {
    *created = false;
    return it->second;
  }
  auto* conn = new Connection(db);
  registry.emplace(db, conn);
  *created = true;
  return conn;
}

Connection* Connection::Find(sqlite3* db) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  auto it = Registry().find(db);
  return it == Registry().end() ? nullptr : it->second;
}

void Connection::Destroy(void* p) noexcept {
  auto* conn = static_cast<Connection*>(p);
  {
    std::lock_guard<std::mutex> lock(RegistryMutex());
    auto it = Registry().find(conn->db_);
    if (it != Registry().end() && it->second == conn) Registry().erase(it);
  }
  delete conn;
}

Connection::Connection(sqlite3* db) : db_(db) {}

Connection::~Connection() {
  // Sessions end their transactions before their DB reference goes.
  for (auto& [key, session] : sessions_) session->Shutdown();
  sessions_.clear();
}

Session* Connection::FindSession(const std::string& key) {
  auto it = sessions_.find(key);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void Connection::RemoveTable(LightningTable* table) {
  tables_.erase(std::remove(tables_.begin(), tables_.end(), table), tables_.end());
}

LightningTable* Connection::FindTable(const std::string& schema, const std::string& name) const {
  for (LightningTable* t : tables_) {
    if (sqlite3_stricmp(t->schema_name.c_str(), schema.c_str()) == 0 &&
        sqlite3_stricmp(t->name.c_str(), name.c_str()) == 0)
      return t;
  }
  return nullptr;
}

Session* Connection::AddSession(const std::string& key, std::unique_ptr<Session> session) {
  Session* raw = session.get();
  sessions_[key] = std::move(session);
  return raw;
}

}  // namespace lightning::ext
