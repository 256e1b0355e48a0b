// Node: the byte layout of a B+tree page, and the operations on it.
//
//   offset 0   header (64 bytes, one cache line): type, skip, count, heap
//              start, garbage, child0, and the first 40 shared key bytes
//   offset 64  prefixes[count]  u64: 8 key bytes after the first `skip`,
//                               big-endian, zero padded
//              slots[count]     u16: offset of each cell in the heap
//   ...        free space
//   heap       cells, growing down from the end of the page
//
// Leaf cell:   varint klen | varint (vlen << 1 | is_blob) | key | value or u64 blob id
// Branch cell: varint klen | key | u64 child   (child0 sits in the header)
//
// In a branch with n separators there are n+1 children: keys < sep[0] live in
// child0, keys >= sep[i] and < sep[i+1] in child(i+1).
//
// Every key in the node shares its first `skip` bytes (prefix truncation), so
// the prefixes hold the bytes that tell keys apart. The prefix array lets a
// search compare 8 bytes of many keys without touching the cells; a full
// compare only breaks ties. Node is a view: it
// does not own the bytes. Thread safety: none; committed pages are immutable
// and may be read by any number of threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "engine/coding.h"
#include "engine/format.h"
#include "engine/page.h"

namespace lightning {

// A leaf value: stored inline, or in a blob page of its own.
struct LeafValue {
  bool blob = false;
  std::string_view inline_bytes;  // when !blob
  PageId blob_id = 0;             // when blob
  uint64_t length = 0;            // bytes of the value either way
};

class Node {
 public:
  Node(char* data, uint32_t page_size) : p_(data), size_(page_size) {}

  // `shared`: bytes every key of the node will start with (prefix truncation).
  // The whole page is zeroed: a frame's memory may hold another page's old
  // bytes, and the unused middle of a node is written to disk with it.
  void Init(PageType type, std::string_view shared = {}) {
    std::memset(p_, 0, size_);
    p_[0] = static_cast<char>(type);
    const size_t skip = shared.size() > 255 ? 255 : shared.size();
    p_[1] = static_cast<char>(skip);
    if (skip > 0)
      std::memcpy(p_ + 24, shared.data(), skip < kSharedInHeader ? skip : kSharedInHeader);
    set_count(0);
    set_heap(size_);
    set_garbage(0);
  }

  PageType type() const { return static_cast<PageType>(p_[0]); }
  bool is_leaf() const { return type() == kLeafPage; }
  uint32_t skip() const { return static_cast<uint8_t>(p_[1]); }
  uint32_t count() const { return DecodeFixed16(p_ + 2); }
  uint32_t heap() const { return DecodeFixed32(p_ + 4); }
  uint32_t garbage() const { return DecodeFixed32(p_ + 8); }
  PageId child0() const { return DecodeFixed64(p_ + 16); }
  void set_child0(PageId id) { EncodeFixed64(p_ + 16, id); }

  const uint64_t* prefixes() const {
    return reinterpret_cast<const uint64_t*>(p_ + kNodeHeaderSize);
  }
  const char* slot_ptr(uint32_t i) const { return p_ + kNodeHeaderSize + 8 * count() + 2 * i; }
  uint32_t slot(uint32_t i) const { return DecodeFixed16(slot_ptr(i)); }

  // Bytes used by cells (live ones) plus the arrays: what the page holds.
  uint32_t used_bytes() const {
    return kNodeHeaderSize + kSlotEntrySize * count() + (size_ - heap()) - garbage();
  }
  uint32_t capacity() const { return size_; }
  uint32_t contiguous_free() const { return heap() - kNodeHeaderSize - kSlotEntrySize * count(); }

  std::string_view key(uint32_t i) const {
    const char* cell = p_ + slot(i);
    uint64_t klen = 0;
    const char* q = DecodeVarint64(cell, p_ + size_, &klen);
    if (!is_leaf()) return std::string_view(q, klen);
    uint64_t vtag = 0;
    q = DecodeVarint64(q, p_ + size_, &vtag);
    return std::string_view(q, klen);
  }

  LeafValue value(uint32_t i) const;
  // Starts loading cell i (two cache lines: a key and a short value).
  void PrefetchCell(uint32_t i) const {
    const char* c = p_ + slot(i);
    __builtin_prefetch(c);
    __builtin_prefetch(c + 64);
  }
  PageId child(uint32_t i) const;  // 0 <= i <= count()
  void set_child(uint32_t i, PageId id);

  // The size in bytes of cell i (for moving cells between nodes).
  std::string_view cell(uint32_t i) const;

  // First index whose key is >= target; *exact tells whether it is equal.
  uint32_t LowerBound(std::string_view target, bool* exact) const;
  // The child to descend into for `target` (number of separators <= target).
  uint32_t ChildIndex(std::string_view target) const;

  // Inserts a ready-made cell at index i. Returns false (node unchanged) when
  // it does not fit even after defragmenting.
  bool InsertCell(uint32_t i, std::string_view key, std::string_view cell);
  void RemoveCell(uint32_t i);
  // Overwrites cell i with `cell` of the same key when both have the same
  // size, and returns true; otherwise returns false (node unchanged). A
  // remove + insert would leave the old cell as garbage, and a full node
  // then defragments at every such replacement.
  bool ReplaceCellInPlace(uint32_t i, std::string_view cell);
  // Rewrites the heap so that free space is contiguous.
  void Defragment();

  static std::string LeafCell(std::string_view key, std::string_view value);
  // The same, into *out (its memory reused).
  static void LeafCellInto(std::string_view key, std::string_view value, std::string* out);
  static std::string LeafBlobCell(std::string_view key, PageId blob, uint64_t length);
  static std::string BranchCell(std::string_view key, PageId child);
  // Bytes a cell will take in a node (cell + slot + prefix).
  static uint32_t CellCost(size_t cell_size) {
    return static_cast<uint32_t>(cell_size) + kSlotEntrySize;
  }

  // Structural check of untrusted bytes: counts, offsets, varints in range.
  // Returns an empty string when sound, else what is wrong.
  std::string Validate() const;

  char* data() { return p_; }

 private:
  void set_count(uint32_t n) {
    uint16_t v = static_cast<uint16_t>(n);
    std::memcpy(p_ + 2, &v, 2);
  }
  void set_heap(uint32_t h) { EncodeFixed32(p_ + 4, h); }
  void set_garbage(uint32_t g) { EncodeFixed32(p_ + 8, g); }
  uint64_t* mutable_prefixes() { return reinterpret_cast<uint64_t*>(p_ + kNodeHeaderSize); }
  size_t CellSizeAt(uint32_t offset) const;
  // Compares key i with the target; `tp` is the target's prefix after skip.
  int CompareAt(uint32_t i, uint64_t tp, std::string_view target) const {
    uint64_t p = prefixes()[i];
    if (p != tp) return p < tp ? -1 : 1;
    return key(i).compare(target);
  }
  // <0, 0 or >0 as `target` sorts before, within or after the node's shared
  // first skip() bytes. REQUIRES: count() > 0.
  int CompareSkip(std::string_view target) const;
  // Lowers skip() so that `key` shares it, rewriting the prefixes.
  void ShrinkSkip(std::string_view key);
  uint64_t PrefixOf(std::string_view k) const {
    const uint32_t s = skip();
    return k.size() > s ? KeyPrefix(k.data() + s, k.size() - s) : 0;
  }

  char* p_;
  uint32_t size_;
};

}  // namespace lightning
