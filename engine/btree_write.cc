// BTree, the writer side: put (with the finger, splits and suffix-truncated
// separators), delete (with merges and root collapse) and clear, each making
// its root-to-leaf path writable first. The reader side is btree_read.cc.
#include <algorithm>
#include <functional>

#include "engine/btree.h"

namespace lightning {
namespace {

struct PathEntry {
  Frame* frame;    // a writable branch
  uint32_t index;  // the child taken
};

// The shortest key s with left < s <= right (suffix truncation).
std::string ShortestSeparator(std::string_view left, std::string_view right) {
  size_t c = 0;
  while (c < left.size() && c < right.size() && left[c] == right[c]) c++;
  return std::string(right.substr(0, std::min(right.size(), c + 1)));
}

struct CellCopy {
  std::string key;
  std::string cell;
};

std::vector<CellCopy> CopyCells(const Node& n) {
  std::vector<CellCopy> cells(n.count());
  for (uint32_t i = 0; i < n.count(); i++) {
    cells[i].key = std::string(n.key(i));
    cells[i].cell = std::string(n.cell(i));
  }
  return cells;
}

// The separators that bound the leaf a descent reaches: keys in [low, high).
struct LeafBounds {
  std::string_view low, high;
  bool has_low = false, has_high = false;
};

// Makes the path to the leaf for `key` writable. path receives the branches;
// bounds (optional) the leaf's key range, as views into the branches.
Status WritablePath(PageWriter* w, TreeRoot* root, std::string_view key,
                    std::vector<PathEntry>* path, Frame** leaf, LeafBounds* bounds = nullptr) {
  Frame* f;
  LIGHTNING_RETURN_IF_ERROR(w->Writable(root->root, &f));
  root->root = f->id;
  while (f->type == kBranchPage) {
    Node n(f->data(), f->size);
    uint32_t idx = n.ChildIndex(key);
    Frame* child;
    LIGHTNING_RETURN_IF_ERROR(w->Writable(n.child(idx), &child));
    n.set_child(idx, child->id);
    path->push_back({f, idx});
    if (bounds != nullptr) {  // a deeper level's separators lie inside its parent's
      if (idx > 0) bounds->low = n.key(idx - 1), bounds->has_low = true;
      if (idx < n.count()) bounds->high = n.key(idx), bounds->has_high = true;
    }
    f = child;
  }
  if (f->type != kLeafPage) return Status::Corruption("tree path leads to a non-node page");
  *leaf = f;
  return Status::OK();
}

// Rebuilds node `f` from `cells` (and child0 for branches).
void FillNode(Frame* f, PageType type, PageId child0, const std::vector<CellCopy>& cells,
              size_t begin, size_t end) {
  // Keys are sorted, so what the first and last share, all share.
  size_t skip = 0;
  if (end > begin) {
    const std::string& a = cells[begin].key;
    const std::string& b = cells[end - 1].key;
    while (skip < a.size() && skip < b.size() && a[skip] == b[skip]) skip++;
  }
  Node n(f->data(), f->size);
  n.Init(type,
         end > begin ? std::string_view(cells[begin].key).substr(0, skip) : std::string_view());
  if (type == kBranchPage) n.set_child0(child0);
  for (size_t i = begin; i < end; i++) {
    bool ok = n.InsertCell(n.count(), cells[i].key, cells[i].cell);
    (void)ok;  // sizes were checked by the caller's split point
  }
}

// Chooses where to split `cells` into [0, m) and [m, n) (a branch moves
// cells[m] up instead, so it is counted on neither side). Both halves must
// fit a page; among the splits that fit, the most even one wins. `append`
// puts only the last cell on the right, so sequential loads fill pages.
size_t SplitPoint(const std::vector<CellCopy>& cells, bool append, bool branch,
                  uint32_t page_size) {
  const size_t n = cells.size();
  const uint64_t avail = page_size - kNodeHeaderSize;
  std::vector<uint64_t> prefix(n + 1, 0);
  for (size_t i = 0; i < n; i++) prefix[i + 1] = prefix[i] + Node::CellCost(cells[i].cell.size());
  auto fits = [&](size_t m) {
    uint64_t left = prefix[m];
    uint64_t right = prefix[n] - prefix[branch ? m + 1 : m];
    return left <= avail && right <= avail;
  };
  const size_t lo = 1, hi = branch ? n - 2 : n - 1;
  if (append && fits(hi)) return hi;
  size_t best = lo;
  uint64_t best_cost = UINT64_MAX;
  for (size_t m = lo; m <= hi; m++) {
    if (!fits(m)) continue;
    uint64_t left = prefix[m], right = prefix[n] - prefix[branch ? m + 1 : m];
    uint64_t worst = std::max(left, right);
    if (worst < best_cost) {
      best_cost = worst;
      best = m;
    }
  }
  return best;
}

// Inserts (sep -> right) after child `idx` of the branch at path[level],
// splitting upwards as needed.
Status InsertSeparator(PageWriter* w, uint32_t page_size, TreeRoot* root,
                       std::vector<PathEntry>& path, int level, std::string sep, PageId left,
                       PageId right) {
  while (true) {
    if (level < 0) {  // split the root: a new root above
      Frame* nr;
      LIGHTNING_RETURN_IF_ERROR(w->NewPage(kBranchPage, page_size, &nr));
      Node n(nr->data(), nr->size);
      n.Init(kBranchPage);
      n.set_child0(left);
      std::string cell = Node::BranchCell(sep, right);
      (void)n.InsertCell(0, sep, cell);
      root->root = nr->id;
      root->depth++;
      return Status::OK();
    }
    Frame* pf = path[level].frame;
    const uint32_t idx = path[level].index;  // left is child(idx)
    Node p(pf->data(), pf->size);
    std::string cell = Node::BranchCell(sep, right);
    if (p.InsertCell(idx, sep, cell)) return Status::OK();
    // Split the branch: cells with the new one, then a middle key goes up.
    std::vector<CellCopy> cells = CopyCells(p);
    cells.insert(cells.begin() + idx, CellCopy{sep, cell});
    const bool append = (idx == p.count());
    const size_t m = SplitPoint(cells, append, true, page_size);
    // cells[m] moves up: its child becomes the right node's child0.
    const CellCopy& mid = cells[m];
    PageId mid_child = DecodeFixed64(mid.cell.data() + mid.cell.size() - 8);
    Frame* rf;
    LIGHTNING_RETURN_IF_ERROR(w->NewPage(kBranchPage, page_size, &rf));
    const PageId child0 = p.child0();
    std::string up = mid.key;
    FillNode(rf, kBranchPage, mid_child, cells, m + 1, cells.size());
    FillNode(pf, kBranchPage, child0, cells, 0, m);
    sep = std::move(up);
    left = pf->id;
    right = rf->id;
    level--;
  }
}

// After a removal, merges underfull nodes on the path with a sibling and
// collapses a root with a single child.
Status Rebalance(PageWriter* w, uint32_t page_size, TreeRoot* root, std::vector<PathEntry>& path,
                 Frame* node) {
  for (int level = static_cast<int>(path.size()) - 1; level >= 0; level--) {
    Node n(node->data(), node->size);
    const bool leaf = n.is_leaf();
    Frame* pf = path[level].frame;
    Node p(pf->data(), pf->size);
    const uint32_t idx = path[level].index;
    if (leaf && n.count() == 0) {
      // Drop the empty leaf from its parent.
      w->FreePage(node->id);
      if (p.count() == 0) {
        // The parent had only this child: it becomes empty too.
        node = pf;
        Node(pf->data(), pf->size).Init(kLeafPage);  // treated as an empty leaf above
        continue;
      }
      if (idx == 0) {
        p.set_child0(p.child(1));
        p.RemoveCell(0);
      } else {
        p.RemoveCell(idx - 1);
      }
      node = pf;
      continue;
    }
    if (n.used_bytes() >= page_size / 4 || p.count() == 0) {
      node = pf;
      continue;
    }
    // Merge with a sibling when both fit in one page.
    const uint32_t left_idx = idx > 0 ? idx - 1 : idx;
    Frame* lf;
    Frame* rf;
    if (idx > 0) {
      LIGHTNING_RETURN_IF_ERROR(w->Writable(p.child(left_idx), &lf));
      p.set_child(left_idx, lf->id);
      rf = node;
    } else {
      lf = node;
      LIGHTNING_RETURN_IF_ERROR(w->Writable(p.child(1), &rf));
      p.set_child(1, rf->id);
    }
    Node l(lf->data(), lf->size), r(rf->data(), rf->size);
    std::string_view sep = p.key(left_idx);
    uint64_t need = l.used_bytes() + r.used_bytes() - kNodeHeaderSize;
    std::string sep_cell;
    if (!leaf) {
      sep_cell = Node::BranchCell(sep, r.child0());
      need += Node::CellCost(sep_cell.size());
    }
    if (need > page_size) {
      node = pf;
      continue;
    }
    if (!leaf) (void)l.InsertCell(l.count(), sep, sep_cell);
    for (uint32_t i = 0; i < r.count(); i++) (void)l.InsertCell(l.count(), r.key(i), r.cell(i));
    w->FreePage(rf->id);
    p.RemoveCell(left_idx);
    node = pf;
  }
  // Collapse the root while it is a branch with a single child.
  while (true) {
    Frame* rf;
    LIGHTNING_RETURN_IF_ERROR(w->Read(root->root, &rf));
    Node r(rf->data(), rf->size);
    if (r.is_leaf()) {
      if (r.count() == 0) {
        w->FreePage(root->root);
        root->root = 0;
        root->depth = 0;
      }
      return Status::OK();
    }
    if (r.count() > 0) return Status::OK();
    PageId only = r.child0();
    w->FreePage(root->root);
    root->root = only;
    root->depth--;
  }
}

}  // namespace

Status TreePut(PageWriter* w, uint32_t page_size, TreeRoot* root, std::string_view key,
               std::string_view value, bool* inserted, PutFinger* finger) {
  // The cell is built in a per-thread buffer: no allocation per put (a split
  // moves it out, and the next put allocates again).
  thread_local std::string cell_buffer;
  std::string& cell = cell_buffer;
  if (value.size() > InlineValueLimit(page_size)) {
    Frame* blob;
    LIGHTNING_RETURN_IF_ERROR(w->NewPage(kBlobPage, static_cast<uint32_t>(value.size()), &blob));
    std::memcpy(blob->data(), value.data(), value.size());
    cell = Node::LeafBlobCell(key, blob->id, value.size());
  } else {
    Node::LeafCellInto(key, value, &cell);
  }
  if (root->root == 0) {
    Frame* leaf;
    LIGHTNING_RETURN_IF_ERROR(w->NewPage(kLeafPage, page_size, &leaf));
    Node n(leaf->data(), leaf->size);
    n.Init(kLeafPage);
    (void)n.InsertCell(0, key, cell);
    *root = TreeRoot{leaf->id, 1, 1};
    *inserted = true;
    if (finger != nullptr) finger->Clear();
    return Status::OK();
  }
  // Replaces or inserts in a leaf that has room for the new cell.
  auto put_in_leaf = [&](Node& leaf) {
    bool exact;
    uint32_t i = leaf.LowerBound(key, &exact);
    if (exact) {
      LeafValue old = leaf.value(i);
      if (old.blob) w->FreePage(old.blob_id);
      *inserted = false;
      // Same key, same size (a blob replaced, a fixed-size value): in place.
      if (leaf.ReplaceCellInPlace(i, cell)) return std::make_pair(i, true);
      leaf.RemoveCell(i);
    }
    *inserted = !exact;
    if (!exact) root->count++;
    return std::make_pair(i, leaf.InsertCell(i, key, cell));
  };
  auto has_room = [&](const Node& leaf) {
    const uint32_t need = Node::CellCost(cell.size());
    return leaf.contiguous_free() >= need || leaf.contiguous_free() + leaf.garbage() >= need;
  };
  if (finger != nullptr && finger->Covers(key)) {
    if (Frame* lf = w->PrivateFrame(finger->leaf); lf != nullptr && lf->type == kLeafPage) {
      Node leaf(lf->data(), lf->size);
      if (has_room(leaf)) {
        (void)put_in_leaf(leaf);  // cannot fail: room was checked, a removal only adds some
        return Status::OK();
      }
    }
  }
  std::vector<PathEntry> path;
  Frame* lf;
  LeafBounds bounds;
  LIGHTNING_RETURN_IF_ERROR(WritablePath(w, root, key, &path, &lf, finger ? &bounds : nullptr));
  Node leaf(lf->data(), lf->size);
  auto [i, fitted] = put_in_leaf(leaf);
  if (fitted) {
    if (finger != nullptr) {
      finger->leaf = lf->id;
      finger->has_low = bounds.has_low;
      finger->has_high = bounds.has_high;
      finger->low.assign(bounds.low);
      finger->high.assign(bounds.high);
    }
    return Status::OK();
  }
  if (finger != nullptr) finger->Clear();  // the leaf splits; the next put descends again
  // Split the leaf. Appending past its last key (sequential inserts), the
  // new key alone starts the right node and the left node stays as it is.
  if (i == leaf.count() && leaf.count() > 0) {
    Frame* rf;
    LIGHTNING_RETURN_IF_ERROR(w->NewPage(kLeafPage, page_size, &rf));
    Node right(rf->data(), rf->size);
    // As FillNode does for one key: the whole key is shared, and the keys
    // inserted later shrink it to what they all share (prefix truncation;
    // a node started with nothing shared could never gain it).
    right.Init(kLeafPage, key);
    (void)right.InsertCell(0, key, cell);
    std::string sep = ShortestSeparator(leaf.key(leaf.count() - 1), key);
    return InsertSeparator(w, page_size, root, path, static_cast<int>(path.size()) - 1,
                           std::move(sep), lf->id, rf->id);
  }
  std::vector<CellCopy> cells = CopyCells(leaf);
  cells.insert(cells.begin() + i, CellCopy{std::string(key), std::move(cell)});
  const bool append = (i + 1 == cells.size());
  size_t m = SplitPoint(cells, append, false, page_size);
  Frame* rf;
  LIGHTNING_RETURN_IF_ERROR(w->NewPage(kLeafPage, page_size, &rf));
  FillNode(rf, kLeafPage, 0, cells, m, cells.size());
  FillNode(lf, kLeafPage, 0, cells, 0, m);
  std::string sep = ShortestSeparator(cells[m - 1].key, cells[m].key);
  return InsertSeparator(w, page_size, root, path, static_cast<int>(path.size()) - 1,
                         std::move(sep), lf->id, rf->id);
}

Status TreeDelete(PageWriter* w, uint32_t page_size, TreeRoot* root, std::string_view key,
                  bool* existed) {
  std::string_view ignored;
  Status s = TreeGet(w, *root, key, &ignored);
  if (s.IsNotFound()) {
    *existed = false;
    return Status::OK();
  }
  LIGHTNING_RETURN_IF_ERROR(s);
  *existed = true;
  std::vector<PathEntry> path;
  Frame* lf;
  LIGHTNING_RETURN_IF_ERROR(WritablePath(w, root, key, &path, &lf));
  Node leaf(lf->data(), lf->size);
  bool exact;
  uint32_t i = leaf.LowerBound(key, &exact);
  if (!exact) return Status::Corruption("key vanished between lookup and delete");
  LeafValue old = leaf.value(i);
  if (old.blob) w->FreePage(old.blob_id);
  leaf.RemoveCell(i);
  root->count--;
  return Rebalance(w, page_size, root, path, lf);
}

Status TreeClear(PageWriter* w, TreeRoot* root) {
  std::vector<PageId> ids;
  LIGHTNING_RETURN_IF_ERROR(
      TreeVisitPages(w, *root, [&](PageId id, const Frame&) { ids.push_back(id); }));
  for (PageId id : ids) w->FreePage(id);
  *root = TreeRoot{};
  return Status::OK();
}

}  // namespace lightning
