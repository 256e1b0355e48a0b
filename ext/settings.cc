#include "ext/settings.h"

#include <mutex>

namespace lightning::ext {

Status LoadSettings(DB* db, std::map<std::string, std::string>* settings) {
  settings->clear();
  auto r = db->BeginRead();
  if (!r.ok()) return r.status();
  ReadTxn& txn = *r.value();
  TreeId tree;
  Status s = txn.OpenTree(kSettingsTree, &tree);
  if (s.IsNotFound()) return Status::OK();
  LIGHTNING_RETURN_IF_ERROR(s);
  auto c = txn.NewCursor(tree);
  if (!c.ok()) return c.status();
  Cursor& cur = *c.value();
  for (cur.SeekToFirst(); cur.Valid(); cur.Next()) {
    (*settings)[std::string(cur.key())] = std::string(cur.value());
  }
  return cur.status();
}

Status SaveSetting(DB* db, const std::string& name, const std::string& value) {
  Options check = db->GetOptions();
  LIGHTNING_RETURN_IF_ERROR(check.Set(name, value));
  const OptionInfo* info = FindOption(name);
  std::string canonical;
  LIGHTNING_RETURN_IF_ERROR(check.Get(info->name, &canonical));
  if (std::string(info->name) == "page_size") {
    std::string current;
    (void)db->GetOptions().Get("page_size", &current);
    if (canonical != current) {
      return Status::InvalidArgument(
          "page_size is fixed when the store is created (this store's is " + current + ")");
    }
  }
  auto w = db->BeginWrite();
  if (!w.ok()) return w.status();
  WriteTxn& txn = *w.value();
  TreeId tree;
  Status s = txn.OpenTree(kSettingsTree, &tree);
  if (s.IsNotFound()) s = txn.CreateTree(kSettingsTree, &tree);
  if (s.ok()) s = txn.Put(tree, info->name, canonical);
  if (s.ok()) s = txn.Commit();
  return s;
}

Status ApplySavedSettings(const std::string& path, const Options& opened, std::shared_ptr<DB>* db) {
  if ((*db)->in_memory()) return Status::OK();
  static std::mutex mu;
  static auto* seen = new std::map<std::string, std::weak_ptr<DB>>();  // never destroyed
  std::lock_guard<std::mutex> lock(mu);
  auto it = seen->find(path);
  if (it != seen->end() && it->second.lock() == *db) return Status::OK();

  std::map<std::string, std::string> saved;
  LIGHTNING_RETURN_IF_ERROR(LoadSettings(db->get(), &saved));
  Options merged = opened;
  const Options current = (*db)->GetOptions();
  bool reopen = false;
  for (const auto& [name, value] : saved) {
    const OptionInfo* info = FindOption(name);
    if (info == nullptr || !merged.Set(name, value).ok()) continue;  // from a newer build: skip
    std::string now;
    (void)current.Get(name, &now);
    if (!info->live && now != value && name != "page_size") reopen = true;
  }
  if (reopen && db->use_count() == 1) {
    db->reset();  // closes the store (it checkpoints) before it is opened again
    auto r = DB::Open(path, merged);
    if (!r.ok()) return r.status();
    *db = std::move(r).value();
  }
  for (const auto& [name, value] : saved) {
    const OptionInfo* info = FindOption(name);
    if (info != nullptr && info->live) (void)(*db)->SetOption(name, value);
  }
  (*seen)[path] = *db;
  return Status::OK();
}

}  // namespace lightning::ext
