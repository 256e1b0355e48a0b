#include "engine/frame_pool.h"

#include <sys/mman.h>

#include <cassert>
#include <new>

namespace lightning {

// A slab's header sits in its first kAlign bytes; objects follow. Free objects
// are chained through their first word; `bump` counts objects never handed out.
struct FramePool::Slab {
  FramePool* pool;
  Slab* prev;
  Slab* next;
  void* free_list;
  uint32_t live;
  uint32_t bump;
  bool in_partial;
};

FramePool::FramePool(size_t object_bytes)
    : object_bytes_((object_bytes + kAlign - 1) / kAlign * kAlign),
      per_slab_((kSlabBytes - kAlign) / object_bytes_) {
  static_assert(sizeof(Slab) <= kAlign, "a slab's header fits before its first object");
  assert(per_slab_ >= 4);
}

FramePool::~FramePool() {
  for (Slab* list : {partial_, empty_}) {
    while (list != nullptr) {
      Slab* next = list->next;
      munmap(list, kSlabBytes);
      list = next;
    }
  }
  // Full slabs are reachable only through their objects; the process-wide
  // pools live until exit, so nothing is lost here.
}

FramePool::Slab* FramePool::SlabOf(void* p) {
  return reinterpret_cast<Slab*>(reinterpret_cast<uintptr_t>(p) & ~(kSlabBytes - 1));
}

void FramePool::Unlink(Slab* s) {
  if (s->prev != nullptr)
    s->prev->next = s->next;
  else
    partial_ = s->next;
  if (s->next != nullptr) s->next->prev = s->prev;
  s->prev = s->next = nullptr;
  s->in_partial = false;
}

void FramePool::PushPartial(Slab* s) {
  s->prev = nullptr;
  s->next = partial_;
  if (partial_ != nullptr) partial_->prev = s;
  partial_ = s;
  s->in_partial = true;
}

void* FramePool::Allocate() {
  std::lock_guard<std::mutex> lock(mu_);
  Slab* s = partial_;
  if (s == nullptr) {
    if (empty_ != nullptr) {
      s = empty_;
      empty_ = nullptr;
    } else {
      // Map twice the slab size and keep the aligned half, so SlabOf works.
      void* raw = mmap(nullptr, 2 * kSlabBytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (raw == MAP_FAILED) return nullptr;
      const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
      const uintptr_t aligned = (start + kSlabBytes - 1) & ~(kSlabBytes - 1);
      if (aligned > start) munmap(raw, aligned - start);
      const uintptr_t end = start + 2 * kSlabBytes;
      if (end > aligned + kSlabBytes)
        munmap(reinterpret_cast<void*>(aligned + kSlabBytes), end - aligned - kSlabBytes);
#ifdef MADV_HUGEPAGE
      // A slab is one huge page where the kernel has one: one page fault
      // instead of 512 while the cache fills, and one TLB entry for reads.
      (void)madvise(reinterpret_cast<void*>(aligned), kSlabBytes, MADV_HUGEPAGE);
#endif
      s = new (reinterpret_cast<void*>(aligned)) Slab{this, nullptr, nullptr, nullptr, 0, 0, false};
      slabs_++;
    }
    PushPartial(s);
  }
  void* p;
  if (s->free_list != nullptr) {
    p = s->free_list;
    s->free_list = *static_cast<void**>(p);
  } else {
    p = reinterpret_cast<char*>(s) + kAlign + s->bump * object_bytes_;
    s->bump++;
  }
  s->live++;
  live_++;
  if (s->live == per_slab_) Unlink(s);  // full: reachable again when an object is freed
  return p;
}

void FramePool::Free(void* p) {
  Slab* s = SlabOf(p);
  std::lock_guard<std::mutex> lock(mu_);
  assert(s->pool == this && s->live > 0);
  *static_cast<void**>(p) = s->free_list;
  s->free_list = p;
  s->live--;
  live_--;
  if (s->live == 0) {
    if (s->in_partial) Unlink(s);
    if (empty_ == nullptr) {
      // Keep it, reset to a fresh state: its pages stay mapped for the next slab's worth.
      s->free_list = nullptr;
      s->bump = 0;
      empty_ = s;
    } else {
      munmap(s, kSlabBytes);
      slabs_--;
    }
  } else if (!s->in_partial) {
    PushPartial(s);
  }
}

size_t FramePool::mapped_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slabs_ * kSlabBytes;
}

size_t FramePool::live_objects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_;
}

FramePool* FramePool::ForSize(size_t object_bytes) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  (void)object_bytes;
  return nullptr;
#else
  // Frames of pages of 4, 8, 16, 32 and 64 KiB (the page_size option's range
  // covers these; other sizes, such as blob pages, use the heap).
  static FramePool* pools[5] = {};
  static std::once_flag once[5];
  for (int i = 0; i < 5; i++) {
    const size_t page = size_t{4096} << i;
    if (object_bytes > page && object_bytes <= page + kAlign) {
      std::call_once(once[i], [&] { pools[i] = new FramePool(page + kAlign); });
      return pools[i];
    }
  }
  return nullptr;
#endif
}

}  // namespace lightning
