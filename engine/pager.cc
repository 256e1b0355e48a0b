#include "engine/pager.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "engine/checksum.h"
#include "engine/codec.h"
#include "engine/coding.h"
#include "engine/frame_pool.h"
#include "engine/node.h"
#include "engine/profile.h"

namespace lightning {

// Frames of whole pages come from a FramePool (see frame_pool.h for why);
// others (blob pages, odd sizes) from the heap.
Frame* Frame::Allocate(PageId id, uint32_t size, uint8_t type) {
  FramePool* pool = FramePool::ForSize(sizeof(Frame) + size);
  void* mem = pool != nullptr ? pool->Allocate() : nullptr;
  const bool pooled = mem != nullptr;
  if (!pooled) mem = ::operator new (sizeof(Frame) + size, std::align_val_t{64});
  Frame* f = new (mem) Frame();
  f->id = id;
  f->size = size;
  f->type = type;
  f->pooled = pooled;
  return f;
}

void Frame::Free(Frame* f) {
  delete[] f->kids.load(std::memory_order_relaxed);
  const bool pooled = f->pooled;
  const size_t bytes = sizeof(Frame) + f->size;
  f->~Frame();
  if (pooled) {
    FramePool::ForSize(bytes)->Free(f);
  } else {
    ::operator delete (f, std::align_val_t{64});
  }
}

Pager::Pager(File* file, const std::string& path, uint32_t page_size, uint64_t cache_capacity,
             uint32_t max_readers, EngineStats* stats)
    : file_(file),
      path_(path),
      page_size_(page_size),
      stats_(stats),
      epochs_(max_readers),
      dir_(new std::atomic<PageEntry*>[kDirSize]),
      capacity_(cache_capacity) {
  for (size_t i = 0; i < kDirSize; i++) dir_[i].store(nullptr, std::memory_order_relaxed);
}

Pager::~Pager() {
  for (size_t c = 0; c < kDirSize; c++) {
    PageEntry* chunk = dir_[c].load();
    if (chunk == nullptr) continue;
    for (size_t i = 0; i <= kChunkMask; i++) {
      Frame* f = chunk[i].frame.load();
      if (f != nullptr) Frame::Free(f);
    }
    delete[] chunk;
  }
  for (auto& [tag, f] : retired_) Frame::Free(f);
}

void Pager::Reserve(PageId id) {
  while (reserved_ <= id) {
    size_t c = reserved_ >> kChunkBits;
    if (dir_[c].load(std::memory_order_relaxed) == nullptr) {
      dir_[c].store(new PageEntry[kChunkMask + 1], std::memory_order_release);
    }
    reserved_ = (static_cast<PageId>(c) + 1) << kChunkBits;
  }
}

Frame* Pager::NewFrame(PageId id, uint32_t size, uint8_t type) {
  Frame* f = Frame::Allocate(id, size, type);
  std::lock_guard<std::mutex> lock(cache_mu_);
  entry(id).frame.store(f);
  RingAdd(f);
  return f;
}

void Pager::DropFrame(PageId id) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  Frame* f = entry(id).frame.exchange(nullptr);
  if (f == nullptr) return;
  UnlinkLocked(f);
  RingRemove(f);
  Frame::Free(f);
}

namespace {

bool InitialChildLinks() {
  const char* env = std::getenv("LIGHTNING_CHILD_LINKS");
  return env == nullptr || std::strcmp(env, "off") != 0;
}

std::atomic<bool> child_links_on{InitialChildLinks()};

}  // namespace

bool Pager::ChildLinksEnabled() { return child_links_on.load(std::memory_order_relaxed); }
void Pager::SetChildLinks(bool on) { child_links_on.store(on, std::memory_order_relaxed); }

void Pager::LinkChildSlow(Frame* parent, uint32_t children, uint32_t index, Frame* child) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (parent->gone.load(std::memory_order_relaxed) || child->gone.load(std::memory_order_relaxed) ||
      child->linked_from.load(std::memory_order_relaxed) != nullptr || index >= children) {
    return;
  }
  std::atomic<Frame*>* kids = parent->kids.load(std::memory_order_relaxed);
  if (kids == nullptr) {
    kids = new (std::nothrow) std::atomic<Frame*>[children];
    if (kids == nullptr) return;  // no memory: the page table still works
    for (uint32_t i = 0; i < children; i++) kids[i].store(nullptr, std::memory_order_relaxed);
    parent->kid_count = children;
    used_.fetch_add(sizeof(std::atomic<Frame*>) * children, std::memory_order_relaxed);
    parent->kids.store(kids, std::memory_order_release);
  } else if (index >= parent->kid_count) {
    return;
  }
  if (kids[index].load(std::memory_order_relaxed) != nullptr) return;
  kids[index].store(child);
  child->linked_from.store(&kids[index], std::memory_order_relaxed);
  child_links_.fetch_add(1, std::memory_order_relaxed);
}

// Called before a frame leaves the page table for good (eviction or drop),
// under cache_mu_: its parent's entry is cleared before the frame is retired
// or freed (the epoch argument of LinkedChild), and its own entries are
// cleared so that its children may be linked from elsewhere.
void Pager::UnlinkLocked(Frame* f) {
  f->gone.store(true, std::memory_order_relaxed);
  if (std::atomic<Frame*>* from = f->linked_from.load(std::memory_order_relaxed)) {
    from->store(nullptr);
    f->linked_from.store(nullptr, std::memory_order_relaxed);
    child_links_.fetch_sub(1, std::memory_order_relaxed);
  }
  std::atomic<Frame*>* kids = f->kids.load(std::memory_order_relaxed);
  if (kids == nullptr) return;
  for (uint32_t i = 0; i < f->kid_count; i++) {
    if (Frame* k = kids[i].load(std::memory_order_relaxed)) {
      kids[i].store(nullptr);
      k->linked_from.store(nullptr, std::memory_order_relaxed);
      child_links_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  // The array itself stays until the frame is freed: a reader may still hold f.
  used_.fetch_sub(sizeof(std::atomic<Frame*>) * f->kid_count, std::memory_order_relaxed);
}

void Pager::RingAdd(Frame* f) {
  f->ring_index = static_cast<uint32_t>(ring_.size());
  ring_.push_back(f);
  used_.fetch_add(f->size + sizeof(Frame), std::memory_order_relaxed);
}

void Pager::RingRemove(Frame* f) {
  uint32_t i = f->ring_index;
  if (i == UINT32_MAX) return;
  Frame* last = ring_.back();
  ring_[i] = last;
  last->ring_index = i;
  ring_.pop_back();
  f->ring_index = UINT32_MAX;
  used_.fetch_sub(f->size + sizeof(Frame), std::memory_order_relaxed);
}

uint64_t Pager::cached_pages() const {
  std::lock_guard<std::mutex> lock(cache_mu_);
  return ring_.size();
}

uint64_t Pager::retired_frames() const {
  std::lock_guard<std::mutex> lock(cache_mu_);
  return retired_.size();
}

void Pager::EncodeExtent(const Frame& f, Codec codec, int level, bool checksum, std::string* out,
                         uint64_t* stored_payload) {
  std::string compressed;
  const Codec used = CompressPage(codec, level, f.data(), f.size, &compressed);
  const bool packed = used != Codec::kNone;
  std::string_view payload =
      packed ? std::string_view(compressed) : std::string_view(f.data(), f.size);
  out->resize(kExtentHeaderSize);
  char* h = out->data();
  EncodeFixed32(h, kExtentMagic);
  h[4] = static_cast<char>(used);
  h[5] = static_cast<char>(f.type);
  h[6] = static_cast<char>(checksum ? kExtentChecksummed : 0);
  h[7] = 0;
  EncodeFixed32(h + 8, static_cast<uint32_t>(payload.size()));
  EncodeFixed32(h + 12, f.size);
  EncodeFixed64(h + 16, f.id);
  uint64_t sum = 0;
  if (checksum) sum = Checksum64(payload.data(), payload.size(), Checksum64(h, 24));
  EncodeFixed64(h + 24, sum);
  out->append(payload);
  *stored_payload = payload.size();
}

void Pager::EncodeBlob(std::string_view bytes, Codec codec, int level, std::string* out) {
  Frame* f = Frame::Allocate(0, static_cast<uint32_t>(bytes.size()), 0);
  std::memcpy(f->data(), bytes.data(), bytes.size());
  uint64_t stored;
  EncodeExtent(*f, codec, level, true, out, &stored);
  Frame::Free(f);
}

Status Pager::ReadExtent(PageId expect_id, uint64_t loc, std::string* raw, uint8_t* type) {
  const uint64_t offset = ExtentLoc::Offset(loc);
  const uint64_t length = ExtentLoc::Length(loc);
  auto where = [&] {
    return "page " + std::to_string(expect_id) + " at offset " + std::to_string(offset) + " of " +
           path_;
  };
  if (file_ == nullptr) return Status::Corruption(where() + ": no data file");
  std::string buf(length, '\0');
  size_t got = 0;
  LIGHTNING_RETURN_IF_ERROR(file_->ReadAt(offset, length, buf.data(), &got));
  stats_->bytes_read.Add(got);
  if (got < kExtentHeaderSize) return Status::Corruption(where() + ": extent past end of file");
  const char* h = buf.data();
  if (DecodeFixed32(h) != kExtentMagic) return Status::Corruption(where() + ": bad extent magic");
  const Codec codec = static_cast<Codec>(h[4]);
  const uint8_t flags = static_cast<uint8_t>(h[6]);
  const uint32_t stored = DecodeFixed32(h + 8);
  const uint32_t raw_len = DecodeFixed32(h + 12);
  if (stored > got - kExtentHeaderSize) {
    return Status::Corruption(where() + ": extent length exceeds its slot");
  }
  const char* payload = h + kExtentHeaderSize;
  if (flags & kExtentChecksummed) {
    uint64_t sum = Checksum64(payload, stored, Checksum64(h, 24));
    if (sum != DecodeFixed64(h + 24)) {
      stats_->checksum_failures.Add();
      return Status::Corruption(where() + ": checksum mismatch");
    }
  }
  if (DecodeFixed64(h + 16) != expect_id) {
    return Status::Corruption(where() + ": extent belongs to page " +
                              std::to_string(DecodeFixed64(h + 16)));
  }
  if (raw_len > (1u << 30)) return Status::Corruption(where() + ": implausible page length");
  *type = static_cast<uint8_t>(h[5]);
  // Checked before allocating for it: nodes are one page, and no codec makes
  // more than ~255 (LZ4) or ~32768 (Zstd, RLE blocks) bytes of one.
  if ((*type == kLeafPage || *type == kBranchPage) && raw_len != page_size_) {
    return Status::Corruption(where() + ": node of " + std::to_string(raw_len) +
                              " bytes, expected the page size");
  }
  const uint64_t max_ratio = codec == Codec::kLz4 ? 256 : 32768;
  if (codec != Codec::kNone && raw_len > uint64_t{stored} * max_ratio + 64) {
    return Status::Corruption(where() + ": implausible page length for its compressed size");
  }
  if (codec == Codec::kNone) {
    if (stored != raw_len) return Status::Corruption(where() + ": raw extent length mismatch");
    raw->assign(payload, stored);
    return Status::OK();
  }
  raw->resize(raw_len);
  Status s = DecompressPage(codec, payload, stored, raw->data(), raw_len);
  if (!s.ok()) return Status::Corruption(where() + ": " + s.message());
  return Status::OK();
}

Status Pager::NoSuchPage(PageId id) const {
  return Status::Corruption("reference to page " + std::to_string(id) +
                            " beyond the page table of " + path_);
}

void Pager::ReadAhead(const PageId* ids, size_t n) {
  if (file_ == nullptr) return;
  uint64_t start = 0, end = 0, pages = 0;
  for (size_t i = 0; i < n; i++) {
    PageEntry* e = FindEntry(ids[i]);
    if (e == nullptr || e->frame.load() != nullptr) continue;
    const uint64_t loc = e->loc.load();
    if (loc == 0) continue;
    const uint64_t off = ExtentLoc::Offset(loc), len = ExtentLoc::Length(loc);
    pages++;
    if (end != 0 && off == end) {  // continues the current range
      end = off + len;
      continue;
    }
    if (end != 0) file_->WillNeed(start, end - start);
    start = off;
    end = off + len;
  }
  if (end != 0) file_->WillNeed(start, end - start);
  if (pages > 0) stats_->readahead_pages.Add(pages);
}

Status Pager::Load(PageId id, Frame** frame) {
  ProfileScope profile(ProfileComponent::kCacheLoad);
  stats_->cache_misses.Add();
  PageEntry& e = entry(id);
  const uint64_t loc = e.loc.load();
  if (loc == 0) {
    // Neither cached nor on disk: a reference to a page that does not exist.
    return Status::Corruption("reference to page " + std::to_string(id) +
                              " which is neither cached nor stored");
  }
  std::string raw;
  uint8_t type = 0;
  LIGHTNING_RETURN_IF_ERROR(ReadExtent(id, loc, &raw, &type));
  if (type == kLeafPage || type == kBranchPage) {
    if (raw.size() != page_size_) {
      return Status::Corruption("page " + std::to_string(id) + " has length " +
                                std::to_string(raw.size()) + ", expected the page size");
    }
  } else if (type != kBlobPage) {
    return Status::Corruption("page " + std::to_string(id) + " has unknown type " +
                              std::to_string(type));
  }
  Frame* f = Frame::Allocate(id, static_cast<uint32_t>(raw.size()), type);
  std::memcpy(f->data(), raw.data(), raw.size());
  if (type != kBlobPage) {
    std::string problem = Node(f->data(), f->size).Validate();
    if (!problem.empty()) {
      Frame::Free(f);
      return Status::Corruption("page " + std::to_string(id) + ": " + problem);
    }
  }
  stats_->cache_loads_bytes.Add(raw.size());
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    Frame* expected = nullptr;
    if (e.frame.compare_exchange_strong(expected, f)) {
      RingAdd(f);
    } else {
      Frame::Free(f);  // another thread loaded it first
      f = expected;
    }
  }
  *frame = f;
  EvictIfNeeded();
  return Status::OK();
}

void Pager::EvictIfNeeded() {
  if (used_.load(std::memory_order_relaxed) <= capacity() &&
      retired_count_.load(std::memory_order_relaxed) == 0) {
    return;
  }
  std::lock_guard<std::mutex> lock(cache_mu_);
  size_t budget = 2 * ring_.size() + 1;
  while (used_.load(std::memory_order_relaxed) > capacity() && !ring_.empty() && budget-- > 0) {
    if (hand_ >= ring_.size()) hand_ = 0;
    Frame* f = ring_[hand_];
    PageEntry& e = entry(f->id);
    if (e.loc.load() == 0) {  // dirty: leaves through a checkpoint
      hand_++;
      continue;
    }
    if (f->referenced.load(std::memory_order_relaxed)) {
      f->referenced.store(0, std::memory_order_relaxed);
      hand_++;
      continue;
    }
    Frame* expected = f;
    if (!e.frame.compare_exchange_strong(expected, nullptr)) {
      hand_++;
      continue;
    }
    UnlinkLocked(f);
    RingRemove(f);  // ring_[hand_] now holds the next candidate
    retired_.emplace_back(epochs_.Advance(), f);
    retired_count_.store(retired_.size(), std::memory_order_relaxed);
    stats_->cache_evictions.Add();
  }
  FreeRetiredLocked();
}

void Pager::FreeRetiredLocked() {
  if (retired_.empty()) return;
  const uint64_t min = epochs_.MinPinned();
  size_t keep = 0;
  for (auto& r : retired_) {
    if (r.first < min)
      Frame::Free(r.second);
    else
      retired_[keep++] = r;
  }
  retired_.resize(keep);
  retired_count_.store(keep, std::memory_order_relaxed);
}

}  // namespace lightning
