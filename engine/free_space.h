// FreeSpace: the reusable byte ranges inside the data file.
//
// Two indexes over the same ranges: by offset (to merge neighbours when a
// range is freed) and by length (best fit in O(log n) when one is taken).
// Best fit keeps the many page-sized holes that random updates leave from
// being split by small extents.
//
// Thread safety: none; the DB guards it with its space lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <utility>

namespace lightning {

class FreeSpace {
 public:
  static constexpr uint64_t kNone = UINT64_MAX;

  // Returns [offset, offset+length) to the pool, merging with neighbours.
  void Add(uint64_t offset, uint64_t length);
  // The offset of the smallest range that holds `length` bytes, or kNone.
  uint64_t Allocate(uint64_t length);
  // The lowest range below `limit` that holds `length` bytes, or kNone.
  uint64_t AllocateBelow(uint64_t length, uint64_t limit);
  // If the last range ends at `end`, removes it and returns its start; else `end`.
  uint64_t TrimTail(uint64_t end);

  uint64_t bytes() const { return bytes_; }
  size_t ranges() const { return by_offset_.size(); }

 private:
  void Insert(uint64_t offset, uint64_t length);
  void Erase(std::map<uint64_t, uint64_t>::iterator it);
  void Take(std::map<uint64_t, uint64_t>::iterator it, uint64_t length);

  std::map<uint64_t, uint64_t> by_offset_;           // offset -> length
  std::set<std::pair<uint64_t, uint64_t>> by_size_;  // (length, offset)
  uint64_t bytes_ = 0;
};

}  // namespace lightning
