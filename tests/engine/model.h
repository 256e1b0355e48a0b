// The reference model for randomized engine tests: named trees of std::map,
// changed in place by the open write transaction with an undo log, so that
// Abort, RollbackTo and Release cost what the transaction changed and not the
// size of the store.
//
// committed state = working state with the undo log rolled back. For point
// reads against a snapshot taken before the transaction, `committed_overlay`
// remembers the committed value of every key the transaction touched.
//
// Thread safety: none; one model per test thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lightning/db.h"

namespace lightning::test {

using KV = std::map<std::string, std::string>;

struct TreeModel {
  std::string name;
  KV kv;
};

class Model {
 public:
  // Live trees by id, and the catalog name -> id.
  std::map<TreeId, TreeModel> trees;
  std::map<std::string, TreeId> names;

  // ---- changes made inside a write transaction (all undoable)
  void Put(TreeId id, const std::string& key, const std::string& value) {
    KV& kv = trees.at(id).kv;
    auto it = kv.find(key);
    RememberKv(id, key, it == kv.end() ? std::nullopt : std::optional<std::string>(it->second));
    if (it == kv.end()) {
      kv.emplace(key, value);
    } else {
      it->second = value;
    }
  }
  // Returns whether the key existed.
  bool Delete(TreeId id, const std::string& key) {
    KV& kv = trees.at(id).kv;
    auto it = kv.find(key);
    if (it == kv.end()) return false;
    RememberKv(id, key, it->second);
    kv.erase(it);
    return true;
  }
  void CreateTree(const std::string& name, TreeId id) {
    trees[id] = TreeModel{name, {}};
    names[name] = id;
    Undo u;
    u.kind = Undo::kCreate;
    u.id = id;
    u.name = name;
    undo_.push_back(std::move(u));
    tree_ops_ = true;
  }
  void DropTree(const std::string& name) {
    TreeId id = names.at(name);
    Undo u;
    u.kind = Undo::kDrop;
    u.id = id;
    u.name = name;
    u.saved = std::move(trees.at(id).kv);
    trees.erase(id);
    names.erase(name);
    undo_.push_back(std::move(u));
    tree_ops_ = true;
  }
  void RenameTree(const std::string& from, const std::string& to) {
    TreeId id = names.at(from);
    names.erase(from);
    names[to] = id;
    trees.at(id).name = to;
    Undo u;
    u.kind = Undo::kRename;
    u.id = id;
    u.name = from;
    u.name2 = to;
    undo_.push_back(std::move(u));
    tree_ops_ = true;
  }
  void ClearTree(TreeId id) {
    Undo u;
    u.kind = Undo::kClear;
    u.id = id;
    u.saved = std::move(trees.at(id).kv);
    trees.at(id).kv.clear();
    undo_.push_back(std::move(u));
    tree_ops_ = true;
  }

  // ---- transaction boundaries
  void Commit() {
    undo_.clear();
    savepoints_.clear();
    overlay_.clear();
    tree_ops_ = false;
  }
  void Abort() {
    RollbackUndoTo(0);
    savepoints_.clear();
    overlay_.clear();
    tree_ops_ = false;
  }
  // Returns the depth the engine should report.
  int Savepoint() {
    savepoints_.push_back(undo_.size());
    return static_cast<int>(savepoints_.size());
  }
  // REQUIRES: 1 <= depth <= savepoint_depth()
  void RollbackTo(int depth) {
    RollbackUndoTo(savepoints_[depth - 1]);
    savepoints_.resize(depth);
  }
  void Release(int depth) { savepoints_.resize(depth - 1); }
  int savepoint_depth() const { return static_cast<int>(savepoints_.size()); }

  // True once the open transaction created, dropped, renamed or cleared a
  // tree: committed values are then not derivable from the overlay alone.
  bool tree_ops_in_txn() const { return tree_ops_; }
  bool txn_changed_anything() const { return !undo_.empty(); }

  // The committed value of (id, key) as a snapshot taken before the open
  // transaction sees it. REQUIRES: !tree_ops_in_txn()
  std::optional<std::string> CommittedValue(TreeId id, const std::string& key) const {
    auto o = overlay_.find({id, key});
    if (o != overlay_.end()) return o->second;
    const KV& kv = trees.at(id).kv;
    auto it = kv.find(key);
    if (it == kv.end()) return std::nullopt;
    return it->second;
  }
  // The committed contents of one tree. REQUIRES: !tree_ops_in_txn()
  KV CommittedTree(TreeId id) const {
    KV kv = trees.at(id).kv;
    for (auto it = overlay_.lower_bound({id, std::string()});
         it != overlay_.end() && it->first.first == id; ++it) {
      if (it->second) {
        kv[it->first.second] = *it->second;
      } else {
        kv.erase(it->first.second);
      }
    }
    return kv;
  }
  // Keys the open transaction touched (for snapshot checks).
  const std::map<std::pair<TreeId, std::string>, std::optional<std::string>>& overlay() const {
    return overlay_;
  }

 private:
  struct Undo {
    enum Kind { kKv, kCreate, kDrop, kRename, kClear } kind = kKv;
    TreeId id = 0;
    std::string key;                 // kKv
    std::optional<std::string> old;  // kKv: value before, nullopt = absent
    std::string name, name2;         // kCreate/kDrop: name; kRename: from, to
    KV saved;                        // kDrop, kClear: the contents before
  };

  void RememberKv(TreeId id, const std::string& key, std::optional<std::string> old) {
    if (!tree_ops_) overlay_.emplace(std::make_pair(id, key), old);  // first touch wins
    Undo u;
    u.kind = Undo::kKv;
    u.id = id;
    u.key = key;
    u.old = std::move(old);
    undo_.push_back(std::move(u));
  }

  void RollbackUndoTo(size_t pos) {
    while (undo_.size() > pos) {
      Undo& u = undo_.back();
      switch (u.kind) {
        case Undo::kKv: {
          KV& kv = trees.at(u.id).kv;
          if (u.old) {
            kv[u.key] = std::move(*u.old);
          } else {
            kv.erase(u.key);
          }
          break;
        }
        case Undo::kCreate:
          trees.erase(u.id);
          names.erase(u.name);
          break;
        case Undo::kDrop:
          trees[u.id] = TreeModel{u.name, std::move(u.saved)};
          names[u.name] = u.id;
          break;
        case Undo::kRename:
          names.erase(u.name2);
          names[u.name] = u.id;
          trees.at(u.id).name = u.name;
          break;
        case Undo::kClear:
          trees.at(u.id).kv = std::move(u.saved);
          break;
      }
      undo_.pop_back();
    }
  }

  std::vector<Undo> undo_;
  std::vector<size_t> savepoints_;  // undo_ sizes when each savepoint was taken
  std::map<std::pair<TreeId, std::string>, std::optional<std::string>> overlay_;
  bool tree_ops_ = false;
};

}  // namespace lightning::test
