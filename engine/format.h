// The on-disk format's constants, in one place. engine/FORMAT.md describes
// the bytes they name (superblocks, extents, pages, the WAL); change the two
// together, and bump kFormatVersion (or kWalVersion) when old files would be
// read wrongly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/page.h"

namespace lightning {

// ---- Data file: superblocks (FORMAT.md "Superblock") ----

inline constexpr uint64_t kSuperblockMagic = 0x524F5453474E544CULL;  // "LTNGSTOR"
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint64_t kSuperblockSlot = 4096;  // two slots at offsets 0 and 4096
inline constexpr uint64_t kDataStart = 2 * kSuperblockSlot;
inline constexpr uint32_t kSuperblockBytes = 128;  // used bytes of a slot

// ---- Data file: extents (FORMAT.md "Extent", "Extent location") ----

// Extent header, 32 bytes, then the (possibly compressed) page bytes.
//   u32 magic | u8 codec | u8 page type | u8 flags | u8 0 | u32 stored_len |
//   u32 raw_len | u64 page id | u64 checksum
inline constexpr uint32_t kExtentMagic = 0x4C504731;  // "1GPL"
inline constexpr uint32_t kExtentHeaderSize = 32;
inline constexpr uint8_t kExtentChecksummed = 1;  // flags bit 0

// Where an extent lives: offset and length packed in one word so readers load
// both atomically. Offsets and lengths are in 16-byte units: files up to
// 4 TiB, extents up to 1 GiB.
struct ExtentLoc {
  static constexpr uint64_t kUnit = 16;
  static constexpr int kLenBits = 26;
  static uint64_t Pack(uint64_t offset, uint64_t length) {
    return ((offset / kUnit) << kLenBits) | ((length + kUnit - 1) / kUnit);
  }
  static uint64_t Offset(uint64_t loc) { return (loc >> kLenBits) * kUnit; }
  static uint64_t Length(uint64_t loc) { return (loc & ((1ull << kLenBits) - 1)) * kUnit; }
  static constexpr uint64_t kMaxOffset = (1ull << (64 - kLenBits)) * kUnit;
};

// ---- Pages (FORMAT.md "Pages"; the layout is engine/node.h) ----

inline constexpr uint32_t kNodeHeaderSize = 64;
inline constexpr uint32_t kSharedInHeader = 40;  // shared key bytes kept in the header
inline constexpr uint32_t kSlotEntrySize = 10;   // 8-byte prefix + 2-byte slot

// ---- WAL file (FORMAT.md "WAL file"; the codec is engine/wal.h) ----

inline constexpr uint64_t kWalMagic = 0x314C4157474E544CULL;  // "LTNGWAL1"
inline constexpr uint32_t kWalVersion = 1;
inline constexpr uint32_t kWalHeaderSize = 64;
inline constexpr uint32_t kWalRecordHeader = 24;

// A WAL payload is a sequence of operations, each a tag byte then fields.
enum class WalOp : uint8_t {
  kPut = 1,         // varint tree | varint klen | key | varint vlen | value
  kDelete = 2,      // varint tree | varint klen | key
  kCreateTree = 3,  // varint tree | varint nlen | name
  kDropTree = 4,    // varint tree
  kRenameTree = 5,  // varint tree | varint nlen | new name
  kClearTree = 6,   // varint tree
  kSetOption = 7,   // varint 0 | varint nlen | option name | varint vlen | value text
};

// ---- Shared file PATH-shm (FORMAT.md "Shared file"; the code is engine/shm.cc) ----

inline constexpr uint64_t kShmMagic = 0x314D4853474E544CULL;  // "LTNGSHM1"
inline constexpr uint32_t kShmVersion = 1;
inline constexpr uint32_t kShmHeaderSize = 256;
inline constexpr uint32_t kShmSlotSize = 64;
inline constexpr uint32_t kShmMaxSlots = 4096;
// Header fields (byte offsets).
struct ShmHeader {
  static constexpr size_t kMagic = 0, kVersion = 8, kHeaderSize = 12, kSlotSize = 16,
                          kSlotCount = 20, kInitialiserPid = 24;
  static constexpr size_t kSequence = 64, kWrittenLsn = 72, kWalEnd = 80, kWalSalt = 88,
                          kCheckpointGeneration = 96, kCheckpointLsn = 104, kDurableLsn = 112;
  static constexpr size_t kWriterPid = 128, kWriterWaits = 136, kWriterAcquisitions = 144;
  static constexpr size_t kAttachLockByte = 192, kWriterLockByte = 193;
};
// Process slot fields (byte offsets within a slot; its lock byte is its first).
struct ShmSlot {
  static constexpr size_t kPid = 0, kStartToken = 8, kPinnedGeneration = 16, kPinnedLsn = 24,
                          kPinnedSince = 32;
};

}  // namespace lightning
