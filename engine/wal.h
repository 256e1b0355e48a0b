// The write-ahead log: one checksummed record per committed transaction.
//
//   header (64 bytes): u64 magic | u32 version | u32 0 | u64 salt |
//                      u64 base_lsn | 24 bytes 0 | u64 checksum of bytes [0,56)
//   record:            u32 payload_len | u32 0 | u64 lsn | u64 durable_lsn |
//                      payload | u64 XXH3(seed=salt) of everything before it
//
// `durable_lsn` is the highest lsn known to be fsynced when the record was
// made: a damaged record followed by a sound one whose durable_lsn covers it
// was acknowledged, so the damage is Corruption; otherwise it is the torn
// tail of an interrupted write and recovery stops there.
//
// Payload: a sequence of operations (WalOp, engine/format.h), each a tag byte
// then fields.
// Thread safety: none; the DB serialises access.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/format.h"
#include "engine/io.h"
#include "lightning/status.h"

namespace lightning {

std::string EncodeWalHeader(uint64_t salt, uint64_t base_lsn);
void AppendWalRecord(std::string* out, uint64_t lsn, uint64_t durable_lsn, std::string_view payload,
                     uint64_t salt);
// The same record without its durable_lsn and checksum (zeros), for a batch
// that StampDurable seals before it is written: one checksum pass, not two.
void AppendUnsealedWalRecord(std::string* out, uint64_t lsn, std::string_view payload);

// Reads only the header: true with *base_lsn set when it is sound.
bool ReadWalBase(File* file, uint64_t* base_lsn);

// Rewrites the durable_lsn of every record in `batch` (and their checksums)
// just before the batch is written.
void StampDurable(std::string* batch, uint64_t durable_lsn, uint64_t salt);

struct WalScan {
  uint64_t salt = 0;
  uint64_t base_lsn = 0;
  uint64_t end_offset = 0;  // just past the last sound record
  uint64_t last_lsn = 0;    // 0 if no record
  bool torn_tail = false;   // bytes after end_offset were discarded
};

// Reads the WAL, calling `apply` for each sound record in order. Stops at the
// first torn record; Corruption when damage hides acknowledged records or the
// header is damaged while records follow. An empty or header-only file is an
// empty log.
Status ScanWal(File* file, const std::string& path,
               const std::function<Status(uint64_t lsn, std::string_view payload)>& apply,
               WalScan* scan);

struct WalTail {
  uint64_t end_offset = 0;  // just past the last record applied (the start offset if none)
  uint64_t last_lsn = 0;    // its lsn (after_lsn if none)
  bool reset = false;       // the header no longer carries the salt: nothing was read
};

// Catch-up: reads the records appended to a log with salt `salt` from
// `offset` on, calling `apply` for each whole, sound record whose lsn follows
// `after_lsn` up to `up_to_lsn`, and stops quietly at the first that is not
// (yet) whole and sound or does not follow: another process may still be
// writing it. Sets
// tail->reset, applying nothing, when the header is gone or has another salt
// (a checkpoint reset the log). IOError if the file cannot be read.
Status ReadWalTail(File* file, uint64_t salt, uint64_t offset, uint64_t after_lsn,
                   uint64_t up_to_lsn,
                   const std::function<Status(uint64_t lsn, std::string_view payload)>& apply,
                   WalTail* tail);

}  // namespace lightning
