#include "engine/node.h"

#include <algorithm>
#include <vector>

#include "engine/node_search.h"

namespace lightning {

LeafValue Node::value(uint32_t i) const {
  const char* cell = p_ + slot(i);
  const char* limit = p_ + size_;
  uint64_t klen = 0, vtag = 0;
  const char* q = DecodeVarint64(cell, limit, &klen);
  q = DecodeVarint64(q, limit, &vtag);
  q += klen;
  LeafValue v;
  v.length = vtag >> 1;
  if (vtag & 1) {
    v.blob = true;
    v.blob_id = DecodeFixed64(q);
  } else {
    v.inline_bytes = std::string_view(q, v.length);
  }
  return v;
}

PageId Node::child(uint32_t i) const {
  if (i == 0) return child0();
  const char* cell = p_ + slot(i - 1);
  uint64_t klen = 0;
  const char* q = DecodeVarint64(cell, p_ + size_, &klen);
  return DecodeFixed64(q + klen);
}

void Node::set_child(uint32_t i, PageId id) {
  if (i == 0) return set_child0(id);
  char* cell = p_ + slot(i - 1);
  uint64_t klen = 0;
  const char* q = DecodeVarint64(cell, p_ + size_, &klen);
  EncodeFixed64(const_cast<char*>(q) + klen, id);
}

// Size of the cell starting at `cell` (bytes up to `limit` are readable).
static size_t CellSize(const char* cell, const char* limit, bool leaf) {
  uint64_t klen = 0;
  const char* q = DecodeVarint64(cell, limit, &klen);
  if (!leaf) return static_cast<size_t>(q - cell) + klen + 8;
  uint64_t vtag = 0;
  q = DecodeVarint64(q, limit, &vtag);
  size_t body = (vtag & 1) ? 8 : (vtag >> 1);
  return static_cast<size_t>(q - cell) + klen + body;
}

size_t Node::CellSizeAt(uint32_t offset) const {
  return CellSize(p_ + offset, p_ + size_, is_leaf());
}

std::string_view Node::cell(uint32_t i) const {
  uint32_t off = slot(i);
  return std::string_view(p_ + off, CellSizeAt(off));
}

int Node::CompareSkip(std::string_view target) const {
  const uint32_t s = skip();
  if (s == 0) return 0;
  std::string_view shared =
      s <= kSharedInHeader ? std::string_view(p_ + 24, s) : key(0).substr(0, s);
  return target.substr(0, s).compare(shared);  // a proper prefix sorts first
}

void Node::ShrinkSkip(std::string_view k) {
  const uint32_t n = count();
  if (n == 0) return;
  std::string_view first = key(0);
  uint32_t s = skip();
  uint32_t common = 0;
  while (common < s && common < k.size() && first[common] == k[common]) common++;
  if (common == s) return;
  p_[1] = static_cast<char>(common);
  uint64_t* pre = mutable_prefixes();
  for (uint32_t i = 0; i < n; i++) pre[i] = PrefixOf(key(i));
}

uint32_t Node::LowerBound(std::string_view target, bool* exact) const {
  *exact = false;
  const uint32_t n = count();
  if (n == 0) return 0;
  int c = CompareSkip(target);
  if (c < 0) return 0;
  if (c > 0) return n;
  // The prefixes, then the slot that the result indexes: load them together.
  PrefetchNode(p_ + kNodeHeaderSize, kSlotEntrySize * n);
  const uint64_t tp = PrefixOf(target);
  uint32_t lo = PrefixLowerBound(prefixes(), n, tp);
  if (lo == n || prefixes()[lo] != tp) return lo;
  // Keys whose prefixes equal the target's: compare whole keys.
  uint32_t hi = n;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    int cmp = CompareAt(mid, tp, target);
    if (cmp < 0) {
      lo = mid + 1;
    } else {
      if (cmp == 0) {
        *exact = true;
        return mid;
      }
      hi = mid;
    }
  }
  return lo;
}

uint32_t Node::ChildIndex(std::string_view target) const {
  // Number of separators <= target: an upper bound.
  const uint32_t n = count();
  if (n == 0) return 0;
  int c = CompareSkip(target);
  if (c < 0) return 0;
  if (c > 0) return n;
  const uint64_t tp = PrefixOf(target);
  uint32_t lo = PrefixLowerBound(prefixes(), n, tp);
  if (lo == n || prefixes()[lo] != tp) return lo;
  uint32_t hi = n;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (CompareAt(mid, tp, target) <= 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

bool Node::InsertCell(uint32_t i, std::string_view k, std::string_view cell_bytes) {
  const uint32_t need = CellCost(cell_bytes.size());
  if (contiguous_free() < need && contiguous_free() + garbage() < need) return false;
  if (skip() > 0) ShrinkSkip(k);
  if (contiguous_free() < need) {
    if (contiguous_free() + garbage() < need) return false;
    Defragment();
  }
  const uint32_t n = count();
  // Grow the arrays: slots move up by 8 bytes (the new prefix) plus 2 for
  // the new slot at i; prefixes after i move up by 8.
  char* old_slots = p_ + kNodeHeaderSize + 8 * n;
  char* new_slots = old_slots + 8;
  std::memmove(new_slots + 2 * (i + 1), old_slots + 2 * i, 2 * (n - i));
  std::memmove(new_slots, old_slots, 2 * i);
  uint64_t* pre = mutable_prefixes();
  std::memmove(pre + i + 1, pre + i, 8 * (n - i));
  pre[i] = PrefixOf(k);
  uint32_t h = heap() - static_cast<uint32_t>(cell_bytes.size());
  std::memcpy(p_ + h, cell_bytes.data(), cell_bytes.size());
  set_heap(h);
  uint16_t off = static_cast<uint16_t>(h);
  std::memcpy(new_slots + 2 * i, &off, 2);
  set_count(n + 1);
  return true;
}

bool Node::ReplaceCellInPlace(uint32_t i, std::string_view cell_bytes) {
  const uint32_t off = slot(i);
  if (CellSizeAt(off) != cell_bytes.size()) return false;
  std::memcpy(p_ + off, cell_bytes.data(), cell_bytes.size());
  return true;
}

void Node::RemoveCell(uint32_t i) {
  const uint32_t n = count();
  uint32_t off = slot(i);
  uint32_t sz = static_cast<uint32_t>(CellSizeAt(off));
  if (off == heap())
    set_heap(off + sz);
  else
    set_garbage(garbage() + sz);
  uint64_t* pre = mutable_prefixes();
  std::memmove(pre + i, pre + i + 1, 8 * (n - i - 1));
  char* old_slots = p_ + kNodeHeaderSize + 8 * n;
  char* new_slots = old_slots - 8;
  std::memmove(new_slots, old_slots, 2 * i);
  std::memmove(new_slots + 2 * i, old_slots + 2 * (i + 1), 2 * (n - i - 1));
  set_count(n - 1);
  if (n == 1) {
    set_heap(size_);
    set_garbage(0);
  }
}

void Node::Defragment() {
  const uint32_t n = count();
  std::string heap_copy(p_ + heap(), size_ - heap());
  const uint32_t base = heap();
  uint32_t h = size_;
  char* slots = p_ + kNodeHeaderSize + 8 * n;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t off = DecodeFixed16(slots + 2 * i);
    const char* src = heap_copy.data() + (off - base);
    size_t sz = CellSize(src, heap_copy.data() + heap_copy.size(), is_leaf());
    h -= static_cast<uint32_t>(sz);
    std::memcpy(p_ + h, src, sz);
    uint16_t v = static_cast<uint16_t>(h);
    std::memcpy(slots + 2 * i, &v, 2);
  }
  set_heap(h);
  set_garbage(0);
}

std::string Node::LeafCell(std::string_view key, std::string_view value) {
  std::string c;
  LeafCellInto(key, value, &c);
  return c;
}

void Node::LeafCellInto(std::string_view key, std::string_view value, std::string* c) {
  c->clear();
  c->reserve(key.size() + value.size() + 20);
  PutVarint64(c, key.size());
  PutVarint64(c, value.size() << 1);
  c->append(key);
  c->append(value);
}

std::string Node::LeafBlobCell(std::string_view key, PageId blob, uint64_t length) {
  std::string c;
  PutVarint64(&c, key.size());
  PutVarint64(&c, (length << 1) | 1);
  c.append(key);
  PutFixed64(&c, blob);
  return c;
}

std::string Node::BranchCell(std::string_view key, PageId child) {
  std::string c;
  PutVarint64(&c, key.size());
  c.append(key);
  PutFixed64(&c, child);
  return c;
}

std::string Node::Validate() const {
  if (type() != kLeafPage && type() != kBranchPage) return "unknown node type";
  const uint32_t n = count();
  if (kNodeHeaderSize + uint64_t{kSlotEntrySize} * n > heap() || heap() > size_) {
    return "cell count and heap start overlap";
  }
  const char* limit = p_ + size_;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t off = slot(i);
    if (off < heap() || off >= size_) return "cell offset outside the heap";
    const char* cell = p_ + off;
    uint64_t klen = 0;
    const char* q = DecodeVarint64(cell, limit, &klen);
    if (q == nullptr) return "malformed key length";
    uint64_t body = 8;
    if (is_leaf()) {
      uint64_t vtag = 0;
      q = DecodeVarint64(q, limit, &vtag);
      if (q == nullptr) return "malformed value length";
      body = (vtag & 1) ? 8 : (vtag >> 1);
    }
    if (klen > static_cast<uint64_t>(limit - q) || body > static_cast<uint64_t>(limit - q) - klen) {
      return "cell runs past the end of the page";
    }
    const uint32_t in_header = skip() < kSharedInHeader ? skip() : kSharedInHeader;
    if (klen < skip() || std::memcmp(q, p_ + 24, in_header) != 0 ||
        (i > 0 && std::memcmp(q, key(0).data(), skip()) != 0)) {
      return "key does not share the node's common prefix";
    }
    if (prefixes()[i] != PrefixOf(std::string_view(q, klen)))
      return "key prefix does not match its key";
    if (i > 0 && key(i - 1).compare(key(i)) >= 0) return "keys out of order";
  }
  return "";
}

}  // namespace lightning
