#include "engine/free_space.h"

namespace lightning {

void FreeSpace::Insert(uint64_t offset, uint64_t length) {
  by_offset_.emplace(offset, length);
  by_size_.emplace(length, offset);
  bytes_ += length;
}

void FreeSpace::Erase(std::map<uint64_t, uint64_t>::iterator it) {
  by_size_.erase({it->second, it->first});
  bytes_ -= it->second;
  by_offset_.erase(it);
}

void FreeSpace::Take(std::map<uint64_t, uint64_t>::iterator it, uint64_t length) {
  const uint64_t offset = it->first, rest = it->second - length;
  Erase(it);
  if (rest > 0) Insert(offset + length, rest);
}

void FreeSpace::Add(uint64_t offset, uint64_t length) {
  if (length == 0) return;
  auto next = by_offset_.lower_bound(offset);
  if (next != by_offset_.end() && offset + length == next->first) {
    length += next->second;
    Erase(next);
    next = by_offset_.lower_bound(offset);
  }
  if (next != by_offset_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == offset) {
      offset = prev->first;
      length += prev->second;
      Erase(prev);
    }
  }
  Insert(offset, length);
}

uint64_t FreeSpace::Allocate(uint64_t length) {
  auto fit = by_size_.lower_bound({length, 0});
  if (fit == by_size_.end()) return kNone;
  const uint64_t offset = fit->second;
  Take(by_offset_.find(offset), length);
  return offset;
}

uint64_t FreeSpace::AllocateBelow(uint64_t length, uint64_t limit) {
  for (auto it = by_offset_.begin(); it != by_offset_.end() && it->first < limit; ++it) {
    if (it->second < length) continue;
    const uint64_t offset = it->first;
    Take(it, length);
    return offset;
  }
  return kNone;
}

uint64_t FreeSpace::TrimTail(uint64_t end) {
  if (by_offset_.empty()) return end;
  auto last = std::prev(by_offset_.end());
  if (last->first + last->second != end) return end;
  const uint64_t start = last->first;
  Erase(last);
  return start;
}

}  // namespace lightning
