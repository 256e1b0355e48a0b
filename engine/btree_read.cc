// BTree, the reader side: point lookups, visiting every page of a tree and
// the integrity check. Nothing here changes a page. The writer side is
// btree_write.cc; iteration is cursor.cc.
#include <functional>

#include "engine/btree.h"

namespace lightning {

Status TreeGet(PageSource* src, const TreeRoot& root, std::string_view key,
               std::string_view* value) {
  if (root.root == 0) return Status::NotFound("key not found");
  Frame* f;
  LIGHTNING_RETURN_IF_ERROR(src->Read(root.root, &f));
  uint32_t level = root.depth;  // of f; 1 = leaf
  while (f->type == kBranchPage) {
    Node n(f->data(), f->size);
    // A leaf is searched through its whole prefix and slot arrays: start
    // loading them with its header rather than after it.
    const uint32_t prefetch = --level == 1 ? kLeafPrefetchBytes : Pager::kPrefetchBytes;
    LIGHTNING_RETURN_IF_ERROR(src->ReadChild(f, n, n.ChildIndex(key), prefetch, &f));
  }
  if (f->type != kLeafPage) return Status::Corruption("tree path leads to a non-node page");
  Node leaf(f->data(), f->size);
  bool exact;
  uint32_t i = leaf.LowerBound(key, &exact);
  if (!exact) return Status::NotFound("key not found");
  return ReadLeafValue(src, leaf, i, value);
}

Status TreeVisitPages(PageSource* src, const TreeRoot& root,
                      const std::function<void(PageId, const Frame&)>& visit,
                      const std::function<bool()>& go_on) {
  if (root.root == 0) return Status::OK();
  std::vector<PageId> stack{root.root};
  while (!stack.empty()) {
    if (go_on && !go_on()) return Status::Interrupted("interrupted while visiting pages");
    PageId id = stack.back();
    stack.pop_back();
    Frame* f;
    LIGHTNING_RETURN_IF_ERROR(src->Read(id, &f));
    visit(id, *f);
    if (f->type == kBlobPage) continue;
    Node n(f->data(), f->size);
    if (n.is_leaf()) {
      for (uint32_t i = 0; i < n.count(); i++) {
        LeafValue v = n.value(i);
        if (v.blob) stack.push_back(v.blob_id);
      }
    } else {
      for (uint32_t i = 0; i <= n.count(); i++) stack.push_back(n.child(i));
    }
  }
  return Status::OK();
}

Status TreeCheck(PageSource* src, const TreeRoot& root, const std::string& name,
                 std::vector<std::string>* problems, const std::function<bool()>& go_on) {
  if (root.root == 0) {
    if (root.count != 0)
      problems->push_back("tree " + name + ": empty but count is " + std::to_string(root.count));
    return Status::OK();
  }
  uint64_t entries = 0;
  std::string last_key;
  bool have_last = false;
  // Depth-first, left to right: keys must increase across leaves and stay
  // within the separators of their ancestors; all leaves at one depth.
  std::function<Status(PageId, uint32_t, const std::string*, const std::string*)> walk =
      [&](PageId id, uint32_t depth, const std::string* lo, const std::string* hi) -> Status {
    if (go_on && !go_on()) return Status::Interrupted("check interrupted in tree " + name);
    Frame* f;
    Status s = src->Read(id, &f);
    if (!s.ok()) {
      problems->push_back("tree " + name + ": " + s.ToString());
      return Status::OK();
    }
    if (f->type == kBlobPage) {
      problems->push_back("tree " + name + ": page " + std::to_string(id) +
                          " is a blob where a node belongs");
      return Status::OK();
    }
    Node n(f->data(), f->size);
    std::string problem = n.Validate();
    if (!problem.empty()) {
      problems->push_back("tree " + name + ": page " + std::to_string(id) + ": " + problem);
      return Status::OK();
    }
    for (uint32_t i = 0; i < n.count(); i++) {
      std::string_view k = n.key(i);
      if ((lo && k < *lo) || (hi && k >= *hi)) {
        problems->push_back("tree " + name + ": page " + std::to_string(id) +
                            ": key outside its parent's range");
        break;
      }
    }
    if (n.is_leaf()) {
      if (depth != root.depth) {
        problems->push_back("tree " + name + ": leaf " + std::to_string(id) + " at depth " +
                            std::to_string(depth) + ", expected " + std::to_string(root.depth));
      }
      for (uint32_t i = 0; i < n.count(); i++) {
        std::string_view k = n.key(i);
        if (have_last && k <= last_key) {
          problems->push_back("tree " + name + ": keys out of order at page " + std::to_string(id));
        }
        last_key.assign(k);
        have_last = true;
        std::string_view v;
        Status vs = ReadLeafValue(src, n, i, &v);
        if (!vs.ok()) problems->push_back("tree " + name + ": " + vs.ToString());
      }
      entries += n.count();
      return Status::OK();
    }
    for (uint32_t i = 0; i <= n.count(); i++) {
      std::string child_lo = i == 0 ? (lo ? *lo : "") : std::string(n.key(i - 1));
      std::string child_hi = i == n.count() ? (hi ? *hi : "") : std::string(n.key(i));
      const bool has_lo = i > 0 || lo != nullptr;
      const bool has_hi = i < n.count() || hi != nullptr;
      LIGHTNING_RETURN_IF_ERROR(
          walk(n.child(i), depth + 1, has_lo ? &child_lo : nullptr, has_hi ? &child_hi : nullptr));
    }
    return Status::OK();
  };
  LIGHTNING_RETURN_IF_ERROR(walk(root.root, 1, nullptr, nullptr));
  if (entries != root.count) {
    problems->push_back("tree " + name + ": holds " + std::to_string(entries) +
                        " entries but its count says " + std::to_string(root.count));
  }
  return Status::OK();
}

}  // namespace lightning
