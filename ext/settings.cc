#include "ext/settings.h"

#include <map>

namespace lightning::ext {
namespace {

// The old tree's entries; none when there is no such tree.
Status ReadLegacyTree(DB* db, std::map<std::string, std::string>* settings) {
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
  if (!cur.status().ok()) return cur.status();
  if (settings->empty()) (*settings)[""] = "";  // an empty tree: still to be dropped
  return Status::OK();
}

}  // namespace

Status MigrateLegacySettings(const std::string& path, const Options& opened,
                             std::shared_ptr<DB>* db) {
  if ((*db)->in_memory()) return Status::OK();
  std::map<std::string, std::string> legacy;
  LIGHTNING_RETURN_IF_ERROR(ReadLegacyTree(db->get(), &legacy));
  if (legacy.empty()) return Status::OK();
  const Options before = (*db)->GetOptions();
  bool reopen = false;
  for (const auto& [name, value] : legacy) {
    const OptionInfo* info = FindOption(name);
    if (info == nullptr || name == "page_size") continue;
    if (!(*db)->SaveOption(name, value).ok()) continue;  // not valid in this build: dropped
    std::string now;
    (void)before.Get(name, &now);
    if (!info->live && now != value) reopen = true;
  }
  {
    auto w = (*db)->BeginWrite();
    if (!w.ok()) return w.status();
    Status s = w.value()->DropTree(kSettingsTree);
    if (s.ok()) s = w.value()->Commit();
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  if (reopen && db->use_count() == 1) {
    db->reset();  // closes the store (it checkpoints) before it is opened again
    auto r = DB::Open(path, opened);
    if (!r.ok()) return r.status();
    *db = std::move(r).value();
  }
  return Status::OK();
}

}  // namespace lightning::ext
