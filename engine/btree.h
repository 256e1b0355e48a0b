// BTree: the copy-on-write B+tree algorithms over pages.
//
// A tree is a root PageId plus its depth and entry count (TreeRoot). Reads
// descend from the root through a PageSource. Writes go through a
// PageWriter, which hands out writable pages: a page already private to the
// transaction is changed in place, any other is copied to a new id first
// (and the old one freed once no reader can see it). Every write makes the
// whole root-to-leaf path writable top-down, as LMDB does, so a change never
// touches a page a reader might be using.
//
// Values larger than page_size/8 live in a blob page of their own (one
// extent on disk), so a large value can be read as one contiguous view.
//
// Reads are btree_read.cc, writes btree_write.cc; iterating (TreeIterator)
// is engine/cursor.h.
//
// Thread safety: a BTree object is used by one thread; the pages it reads
// are immutable unless private to the writer using it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/node.h"
#include "engine/pager.h"
#include "lightning/status.h"

namespace lightning {

struct TreeRoot {
  PageId root = 0;     // 0: empty tree
  uint32_t depth = 0;  // 0 for empty, 1 for a single leaf
  uint64_t count = 0;  // entries
};

class PageSource {
 public:
  virtual ~PageSource() = default;
  virtual Status Read(PageId id, Frame** frame) = 0;
  // Child `index` of the branch `n` held by `parent`: as Read(n.child(index)),
  // after starting to load its first `prefetch_bytes` when more than a hit
  // loads anyway. Read transactions go through the parent frame's child link
  // when there is one (Pager::LinkedChild), skipping the child id and the
  // page table.
  virtual Status ReadChild(Frame* parent, const Node& n, uint32_t index, uint32_t prefetch_bytes,
                           Frame** frame) {
    (void)parent;
    const PageId id = n.child(index);
    if (prefetch_bytes > Pager::kPrefetchBytes) Prefetch(id, prefetch_bytes);
    return Read(id, frame);
  }
  // Starts loading the first `bytes` of page `id` (and its frame header) into
  // the CPU cache if it is in the page cache; never reads the file. A hint:
  // scans call it for the next leaf, point reads for the leaf they reach.
  virtual void Prefetch(PageId id, uint32_t bytes) { (void)id, (void)bytes; }
  // Scans over pages that are not cached: asks for `ids` to be read ahead
  // (a hint; never fails). ReadAheadLimit() caps how many at once (0: off).
  virtual void ReadAhead(const PageId* ids, size_t n) { (void)ids, (void)n; }
  virtual uint32_t ReadAheadLimit() const { return 0; }
};

// What a point read prefetches of the leaf it descends to: the header and
// the prefix and slot arrays of a leaf of up to about 70 entries.
inline constexpr uint32_t kLeafPrefetchBytes = 768;

class PageWriter : public virtual PageSource {
 public:
  // A new private page of `size` bytes.
  virtual Status NewPage(PageType type, uint32_t size, Frame** frame) = 0;
  // The private version of page `id` (a copy with a new id unless private).
  virtual Status Writable(PageId id, Frame** frame) = 0;
  // `id` is no longer part of the tree.
  virtual void FreePage(PageId id) = 0;
  // The frame of `id` if the page is already private to this writer (it would
  // change in place), else nullptr.
  virtual Frame* PrivateFrame(PageId id) = 0;
};

// Where the previous put of a transaction landed: a leaf private to the
// writer and the key range [low, high) its parents route to it. A put whose
// key falls in that range goes straight to the leaf instead of descending
// (sequential inserts: one descent per leaf instead of one per key). TreePut
// keeps it; the owner must Clear() it whenever the tree may have changed
// other than through TreePut (deletes, rollbacks, clears).
struct PutFinger {
  PageId leaf = 0;  // 0: no finger
  bool has_low = false, has_high = false;
  std::string low, high;
  void Clear() { leaf = 0; }
  bool Covers(std::string_view key) const {
    return leaf != 0 && (!has_low || key >= low) && (!has_high || key < high);
  }
};

// Largest value kept inside a leaf; larger ones go to a blob page.
inline uint32_t InlineValueLimit(uint32_t page_size) { return page_size / 8; }
inline uint32_t MaxKeySize(uint32_t page_size) { return page_size / 4; }

// The value of leaf cell i: a view of its inline bytes, or of the blob page
// it refers to (read through `src`). Corruption if the blob page does not match.
inline Status ReadLeafValue(PageSource* src, const Node& leaf, uint32_t i,
                            std::string_view* value) {
  LeafValue v = leaf.value(i);
  if (!v.blob) {
    *value = v.inline_bytes;
    return Status::OK();
  }
  Frame* blob;
  LIGHTNING_RETURN_IF_ERROR(src->Read(v.blob_id, &blob));
  if (blob->type != kBlobPage || blob->size != v.length) {
    return Status::Corruption("blob page " + std::to_string(v.blob_id) +
                              " does not match the value that refers to it");
  }
  *value = std::string_view(blob->data(), blob->size);
  return Status::OK();
}

// Finds `key`; on success points *value at the bytes (inline or blob).
// NotFound if absent.
Status TreeGet(PageSource* src, const TreeRoot& root, std::string_view key,
               std::string_view* value);

// Inserts or replaces. *inserted tells whether the key is new. `finger`
// (optional) is used and updated as described above.
Status TreePut(PageWriter* w, uint32_t page_size, TreeRoot* root, std::string_view key,
               std::string_view value, bool* inserted, PutFinger* finger = nullptr);

// Removes `key`; *existed tells whether it was there.
Status TreeDelete(PageWriter* w, uint32_t page_size, TreeRoot* root, std::string_view key,
                  bool* existed);

// Frees every page of the tree and leaves it empty.
Status TreeClear(PageWriter* w, TreeRoot* root);

// Visits every page id reachable from the root (blob pages included).
// `go_on` (if given) is asked before each page; false stops the walk with
// Interrupted.
Status TreeVisitPages(PageSource* src, const TreeRoot& root,
                      const std::function<void(PageId, const Frame&)>& visit,
                      const std::function<bool()>& go_on = {});

// Checks structure, key order across pages, depth and count. Appends
// problems found to *problems. `go_on` as for TreeVisitPages.
Status TreeCheck(PageSource* src, const TreeRoot& root, const std::string& name,
                 std::vector<std::string>* problems, const std::function<bool()>& go_on = {});

}  // namespace lightning
