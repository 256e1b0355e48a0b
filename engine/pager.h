// Pager: the page table, the page cache and page extents on disk.
//
// Pages are named by logical PageId. The page table maps each id to an
// in-memory Frame (when cached) and to an on-disk extent (once a checkpoint
// has written it). A committed page never changes: copy-on-write gives a
// changed page a new id. So a cached frame is always exact, readers need no
// lock to use it, and a page is "dirty" exactly when it has no extent yet.
//
// Cache: frames are bounded by cache_size (bytes). Eviction is CLOCK
// (second chance) over clean frames; dirty frames leave through checkpoints.
// An evicted frame is retired through the EpochManager and freed only when
// no reader can still hold it.
//
// Thread safety: Get() may be called from any thread holding an epoch pin.
// Frame creation/removal and eviction take cache_mu_. The `live` flag of an
// entry belongs to the DB's space lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/epoch.h"
#include "engine/format.h"
#include "engine/io.h"
#include "engine/node_search.h"
#include "engine/page.h"
#include "engine/stats.h"
#include "lightning/options.h"
#include "lightning/status.h"

namespace lightning {

// A cached page. The bytes follow the header, 64-byte aligned.
struct alignas(64) Frame {
  PageId id = 0;
  uint32_t size = 0;  // bytes of page data
  uint8_t type = 0;   // PageType
  std::atomic<uint8_t> referenced{1};
  bool pooled = false;               // memory from a FramePool (else the heap)
  uint32_t ring_index = UINT32_MAX;  // position in the CLOCK ring; cache_mu_
  uint64_t stamp = 0;                // writer: the page is private to the txn whose stamp matches
  // Child links (see Pager::LinkedChild): for a branch frame, kids[i] is the
  // frame of child i while it is cached and linked here; the array (one entry
  // per child) is made on the first link and freed with the frame.
  std::atomic<std::atomic<Frame*>*> kids{nullptr};
  // The kids entry that points at this frame (at most one); cache_mu_, read
  // without it only as a hint.
  std::atomic<std::atomic<Frame*>*> linked_from{nullptr};
  uint32_t kid_count = 0;         // entries of kids; cache_mu_
  std::atomic<bool> gone{false};  // removed from the cache (evicted or dropped); cache_mu_
  // Descents through this branch frame before it may hold links (a hint:
  // racy increments are harmless). See Pager::LinkChild.
  std::atomic<uint8_t> link_visits{0};

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }

  static Frame* Allocate(PageId id, uint32_t size, uint8_t type);
  static void Free(Frame* f);
};
static_assert(sizeof(Frame) == 64, "a frame's header is one cache line");

struct PageEntry {
  std::atomic<Frame*> frame{nullptr};
  std::atomic<uint64_t> loc{0};  // ExtentLoc; 0 = not on disk
  bool live = false;             // allocated and reachable from the latest version
  uint8_t type = 0;              // PageType while live; space lock
};

class Pager {
 public:
  Pager(File* file, const std::string& path, uint32_t page_size, uint64_t cache_capacity,
        uint32_t max_readers, EngineStats* stats);
  ~Pager();

  uint32_t page_size() const { return page_size_; }
  EpochManager& epochs() { return epochs_; }

  // The entry for `id`; REQUIRES: id < the table's reserved size.
  PageEntry& entry(PageId id) {
    return dir_[id >> kChunkBits].load(std::memory_order_acquire)[id & kChunkMask];
  }
  // Makes sure entries up to `id` exist. Writer only. REQUIRES: id < kMaxPageIds.
  void Reserve(PageId id);
  // Page ids are below this (the page table's directory holds no more).
  static constexpr PageId kMaxPageIds = PageId{1} << 32;
  // Bytes of a page that Get() starts loading on a hit.
  static constexpr uint32_t kPrefetchBytes = 256;

  // Returns the cached frame for `id`, loading it from its extent on a miss.
  // Corruption if the extent fails its checksum or structure check. A hit
  // increments *hits (the caller's count, added to cache_hits later).
  // REQUIRES: the caller holds an epoch pin.
  Status Get(PageId id, Frame** frame, uint64_t* hits) {
    // `id` may come from a damaged page: check it has an entry at all.
    PageEntry* e = FindEntry(id);
    if (e == nullptr) return NoSuchPage(id);
    Frame* f = e->frame.load();
    if (f != nullptr) {
      // The node header and the first prefixes and slots: their misses overlap
      // the frame header's instead of following it.
      PrefetchNode(f->data(), kPrefetchBytes);
      if (!f->referenced.load(std::memory_order_relaxed)) {
        f->referenced.store(1, std::memory_order_relaxed);
      }
      ++*hits;
      *frame = f;
      return Status::OK();
    }
    return Load(id, frame);
  }

  // Child links: a read transaction that reached child `index` of branch
  // frame `parent` through the page table links the child's frame into the
  // parent's (LinkChild), so later descents go from frame to frame without
  // reading the child id and the page-table entry (pointer swizzling, as in
  // LeanStore; ids stay the pages' only names, on disk and across processes).
  // Sound because a frame a reader can reach never changes (copy-on-write)
  // and links are undone under cache_mu_ before a frame leaves the cache, so
  // a link read under an epoch pin names a frame that is not freed before
  // the pin goes, exactly like a page-table entry read under it.
  //
  // The linked frame of child `index` of `parent`, or nullptr. REQUIRES: an
  // epoch pin; `parent` is a committed branch frame.
  static Frame* LinkedChild(const Frame* parent, uint32_t index) {
    std::atomic<Frame*>* kids = parent->kids.load(std::memory_order_acquire);
    return kids != nullptr ? kids[index].load() : nullptr;
  }
  // A cache hit on a frame reached by a link: as Get() does on a hit.
  static void Touch(Frame* f, uint32_t prefetch_bytes) {
    PrefetchNode(f->data(), prefetch_bytes);
    if (!f->referenced.load(std::memory_order_relaxed)) {
      f->referenced.store(1, std::memory_order_relaxed);
    }
  }
  // Links `child` as child `index` of the `children` of `parent` unless
  // links are off, either frame has left the cache, or `child` is linked
  // from elsewhere already; a leaf or blob child only while the cache is
  // below 7/8 of its capacity (when it is full, its leaves come and go, and
  // each link would be undone by the next eviction: measured under
  // cachegrind, linking them then cost more misses than it saved; links
  // between branches, which stay cached, are kept). Takes cache_mu_ only
  // when it may link.
  // REQUIRES: an epoch pin; `parent` is a committed (immutable) branch frame
  // with `children` children — never a page private to a writer.
  void LinkChild(Frame* parent, uint32_t children, uint32_t index, Frame* child) {
    if (child->linked_from.load(std::memory_order_relaxed) != nullptr ||
        parent->gone.load(std::memory_order_relaxed) || !ChildLinksEnabled()) {
      return;
    }
    if (parent->kids.load(std::memory_order_relaxed) == nullptr) {
      // A parent must first be descended through kLinkVisits times: under
      // writes the path's branch frames are replaced every few commits, and
      // giving each new one a link array (an allocation and cache_mu_ per
      // link) cost mixed_80_20 9% (engine_bench, 11 runs, 2026-12-02).
      const uint8_t v = parent->link_visits.load(std::memory_order_relaxed);
      if (v < kLinkVisits) {
        parent->link_visits.store(v + 1, std::memory_order_relaxed);
        return;
      }
    }
    if (child->type != kBranchPage && used_.load(std::memory_order_relaxed) > capacity() / 8 * 7) {
      return;
    }
    LinkChildSlow(parent, children, index, child);
  }
  // Whether read transactions link children (default on;
  // LIGHTNING_CHILD_LINKS=off in the environment turns them off at start).
  // Turning them off stops new links; existing ones stay valid.
  static bool ChildLinksEnabled();
  static void SetChildLinks(bool on);
  static constexpr uint8_t kLinkVisits = 16;

  // Starts loading the frame header and the first `bytes` of page `id` into
  // the CPU cache when it is cached.
  void Prefetch(PageId id, uint32_t bytes) {
    PageEntry* e = FindEntry(id);
    Frame* f = e != nullptr ? e->frame.load() : nullptr;
    if (f == nullptr) return;
    __builtin_prefetch(f);
    PrefetchNode(f->data(), bytes);
  }

  // Asks the OS to start reading the extents of those of `ids` that are not
  // cached (adjacent extents as one range). Any thread with an epoch pin.
  void ReadAhead(const PageId* ids, size_t n);
  // Most leaves a scan reads ahead (Options::scan_readahead).
  uint32_t readahead_limit() const { return readahead_limit_.load(std::memory_order_relaxed); }
  void set_readahead_limit(uint32_t pages) {
    readahead_limit_.store(pages, std::memory_order_relaxed);
  }

  // Installs a new frame (a dirty page). Writer only.
  Frame* NewFrame(PageId id, uint32_t size, uint8_t type);
  // Removes the frame of `id` from the table and cache and frees it now.
  // REQUIRES: no reader can reach it (never published, or epoch passed).
  void DropFrame(PageId id);

  // Encodes a frame as an extent (header + payload), compressing with `codec`.
  static void EncodeExtent(const Frame& f, Codec codec, int level, bool checksum, std::string* out,
                           uint64_t* stored_payload);
  // Encodes arbitrary bytes (the page-table blob) as an extent with id 0.
  static void EncodeBlob(std::string_view bytes, Codec codec, int level, std::string* out);
  // Reads and verifies the extent at `loc`, returning its raw bytes.
  Status ReadExtent(PageId expect_id, uint64_t loc, std::string* raw, uint8_t* type);

  // Evicts clean frames until the cache fits; frees retired frames that no
  // reader can hold any more.
  void EvictIfNeeded();
  void set_capacity(uint64_t bytes) { capacity_.store(bytes, std::memory_order_relaxed); }
  uint64_t capacity() const { return capacity_.load(std::memory_order_relaxed); }
  uint64_t used_bytes() const { return used_.load(std::memory_order_relaxed); }
  uint64_t cached_pages() const;
  // Bytes of page-table chunks allocated so far.
  uint64_t table_bytes() const {
    return (reserved_ >> kChunkBits) * (kChunkMask + 1) * sizeof(PageEntry);
  }
  uint64_t retired_frames() const;
  // Child links in place (LinkChild).
  uint64_t child_links() const { return child_links_.load(std::memory_order_relaxed); }

  File* file() { return file_; }

 private:
  static constexpr int kChunkBits = 16;
  static constexpr PageId kChunkMask = (1u << kChunkBits) - 1;
  static constexpr size_t kDirSize = 1u << 16;
  static_assert(kMaxPageIds == PageId{kDirSize} << kChunkBits);

  // The entry of `id`, or nullptr when the table has none (an id from a
  // damaged page may lie anywhere below 2^64).
  PageEntry* FindEntry(PageId id) {
    PageEntry* chunk = (id >> kChunkBits) < kDirSize
                           ? dir_[id >> kChunkBits].load(std::memory_order_acquire)
                           : nullptr;
    return chunk != nullptr ? &chunk[id & kChunkMask] : nullptr;
  }
  Status Load(PageId id, Frame** frame);
  void LinkChildSlow(Frame* parent, uint32_t children, uint32_t index, Frame* child);
  void UnlinkLocked(Frame* f);         // undoes f's links both ways; REQUIRES: cache_mu_
  Status NoSuchPage(PageId id) const;  // Corruption: a reference past the page table
  void RingAdd(Frame* f);              // REQUIRES: cache_mu_
  void RingRemove(Frame* f);           // REQUIRES: cache_mu_
  void FreeRetiredLocked();            // REQUIRES: cache_mu_

  File* const file_;  // nullptr for in-memory stores
  const std::string path_;
  const uint32_t page_size_;
  EngineStats* const stats_;
  EpochManager epochs_;
  std::unique_ptr<std::atomic<PageEntry*>[]> dir_;
  PageId reserved_ = 0;  // entries [0, reserved_) exist; writer only

  std::atomic<uint64_t> capacity_;
  std::atomic<uint32_t> readahead_limit_{32};
  // Written on every load and eviction: on a line apart from dir_, which
  // every page access reads.
  alignas(64) std::atomic<uint64_t> used_{0};
  mutable std::mutex cache_mu_;
  std::vector<Frame*> ring_;                          // GUARDED_BY(cache_mu_)
  size_t hand_ = 0;                                   // GUARDED_BY(cache_mu_)
  std::vector<std::pair<uint64_t, Frame*>> retired_;  // GUARDED_BY(cache_mu_)
  std::atomic<size_t> retired_count_{0};              // retired_.size(), readable without the lock
  std::atomic<uint64_t> child_links_{0};              // written under cache_mu_
};

}  // namespace lightning
