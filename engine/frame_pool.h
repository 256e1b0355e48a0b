// FramePool: memory for cached pages of one size, kept apart from the heap.
//
// Page frames are the engine's largest and most numerous allocations, and
// they churn: every cache miss allocates one and every eviction frees one.
// From the general heap they interleave with transactions' small allocations,
// and glibc then cannot give freed frames back (a larger-than-cache load left
// 75 MiB free in the heap beside 60 MiB in use), nor reuse memory freed by
// another thread's arena. The pool carves frames out of 2 MiB slabs mapped
// for it alone: a freed frame is reused by the next allocation of its size,
// and a slab whose frames are all free is unmapped (one empty slab is kept
// to absorb churn). So the pool's footprint follows the live frames.
//
// Thread safety: Allocate and Free may be called from any thread (one mutex;
// a frame allocation is followed by a page read or a page build, which cost
// far more).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

namespace lightning {

class FramePool {
 public:
  static constexpr size_t kSlabBytes = size_t{2} << 20;
  static constexpr size_t kAlign = 64;

  // `object_bytes`: the size of every object, at most kSlabBytes / 4.
  explicit FramePool(size_t object_bytes);
  ~FramePool();  // REQUIRES: every object was freed (slabs still mapped are unmapped)
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;

  // nullptr when the system has no memory to map.
  void* Allocate();
  // REQUIRES: `p` came from this pool's Allocate.
  void Free(void* p);

  size_t object_bytes() const { return object_bytes_; }
  size_t objects_per_slab() const { return per_slab_; }
  size_t mapped_bytes() const;
  size_t live_objects() const;

  // The process-wide pool for objects of `object_bytes`, or nullptr when there
  // is none for that size (only sizes of page frames of the standard page sizes
  // are pooled; sanitizer builds pool nothing, so they see every frame).
  static FramePool* ForSize(size_t object_bytes);

 private:
  struct Slab;
  static Slab* SlabOf(void* p);
  void Unlink(Slab* s);
  void PushPartial(Slab* s);

  const size_t object_bytes_;
  const size_t per_slab_;
  mutable std::mutex mu_;
  Slab* partial_ = nullptr;  // slabs with a free object, most recently freed into first
  Slab* empty_ = nullptr;    // at most one slab with no live object
  size_t slabs_ = 0;
  size_t live_ = 0;
};

}  // namespace lightning
