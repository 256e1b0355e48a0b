#include "engine/wal.h"

#include "engine/checksum.h"
#include "engine/coding.h"

namespace lightning {

std::string EncodeWalHeader(uint64_t salt, uint64_t base_lsn) {
  std::string h(kWalHeaderSize, '\0');
  EncodeFixed64(h.data(), kWalMagic);
  EncodeFixed32(h.data() + 8, kWalVersion);
  EncodeFixed64(h.data() + 16, salt);
  EncodeFixed64(h.data() + 24, base_lsn);
  EncodeFixed64(h.data() + 56, Checksum64(h.data(), 56));
  return h;
}

void AppendWalRecord(std::string* out, uint64_t lsn, uint64_t durable_lsn, std::string_view payload,
                     uint64_t salt) {
  const size_t start = out->size();
  PutFixed32(out, static_cast<uint32_t>(payload.size()));
  PutFixed32(out, 0);
  PutFixed64(out, lsn);
  PutFixed64(out, durable_lsn);
  out->append(payload);
  PutFixed64(out, Checksum64(out->data() + start, out->size() - start, salt));
}

void AppendUnsealedWalRecord(std::string* out, uint64_t lsn, std::string_view payload) {
  PutFixed32(out, static_cast<uint32_t>(payload.size()));
  PutFixed32(out, 0);
  PutFixed64(out, lsn);
  PutFixed64(out, 0);  // durable_lsn: StampDurable
  out->append(payload);
  PutFixed64(out, 0);  // checksum: StampDurable
}

bool ReadWalBase(File* file, uint64_t* base_lsn) {
  char h[kWalHeaderSize];
  size_t got = 0;
  if (!file->ReadAt(0, kWalHeaderSize, h, &got).ok() || got != kWalHeaderSize) return false;
  if (DecodeFixed64(h) != kWalMagic || DecodeFixed64(h + 56) != Checksum64(h, 56)) return false;
  *base_lsn = DecodeFixed64(h + 24);
  return true;
}

void StampDurable(std::string* batch, uint64_t durable_lsn, uint64_t salt) {
  size_t off = 0;
  while (off + kWalRecordHeader + 8 <= batch->size()) {
    char* r = batch->data() + off;
    const uint64_t len = DecodeFixed32(r);
    EncodeFixed64(r + 16, durable_lsn);
    EncodeFixed64(r + kWalRecordHeader + len, Checksum64(r, kWalRecordHeader + len, salt));
    off += kWalRecordHeader + len + 8;
  }
}

namespace {

struct RawRecord {
  uint64_t lsn = 0;
  uint64_t durable_lsn = 0;
  std::string bytes;  // header + payload
  uint64_t size = 0;  // on disk, checksum included
};

// Reads the record at `offset`. Returns false if it is absent, truncated or
// fails its checksum, or if a read failed: then *io is the error (a failed
// read is not a torn tail, and must not cut the log there).
bool ReadRecord(File* file, uint64_t offset, uint64_t file_size, uint64_t salt, RawRecord* r,
                Status* io) {
  *io = Status::OK();
  if (file_size < offset + kWalRecordHeader + 8) return false;
  char h[kWalRecordHeader];
  size_t got = 0;
  *io = file->ReadAt(offset, kWalRecordHeader, h, &got);
  if (!io->ok() || got != kWalRecordHeader) return false;
  const uint64_t len = DecodeFixed32(h);
  if (len > file_size - offset - kWalRecordHeader - 8) return false;
  r->bytes.resize(kWalRecordHeader + len + 8);
  *io = file->ReadAt(offset, r->bytes.size(), r->bytes.data(), &got);
  if (!io->ok() || got != r->bytes.size()) return false;
  const uint64_t sum = DecodeFixed64(r->bytes.data() + kWalRecordHeader + len);
  if (Checksum64(r->bytes.data(), kWalRecordHeader + len, salt) != sum) return false;
  r->lsn = DecodeFixed64(h + 8);
  r->durable_lsn = DecodeFixed64(h + 16);
  r->size = r->bytes.size();
  r->bytes.resize(kWalRecordHeader + len);
  return true;
}

}  // namespace

Status ReadWalTail(File* file, uint64_t salt, uint64_t offset, uint64_t after_lsn,
                   uint64_t up_to_lsn,
                   const std::function<Status(uint64_t lsn, std::string_view payload)>& apply,
                   WalTail* tail) {
  *tail = WalTail{offset, after_lsn, false};
  uint64_t size = 0;
  LIGHTNING_RETURN_IF_ERROR(file->Size(&size));
  char h[kWalHeaderSize];
  size_t got = 0;
  LIGHTNING_RETURN_IF_ERROR(file->ReadAt(0, kWalHeaderSize, h, &got));
  if (got != kWalHeaderSize || DecodeFixed64(h) != kWalMagic ||
      DecodeFixed64(h + 56) != Checksum64(h, 56) || DecodeFixed64(h + 16) != salt) {
    tail->reset = true;
    return Status::OK();
  }
  RawRecord r;
  Status io;
  while (tail->end_offset < size && tail->last_lsn < up_to_lsn) {
    if (!ReadRecord(file, tail->end_offset, size, salt, &r, &io)) return io;
    if (r.lsn != tail->last_lsn + 1) break;
    LIGHTNING_RETURN_IF_ERROR(apply(r.lsn, std::string_view(r.bytes).substr(kWalRecordHeader)));
    tail->last_lsn = r.lsn;
    tail->end_offset += r.size;
  }
  return Status::OK();
}

Status ScanWal(File* file, const std::string& path,
               const std::function<Status(uint64_t lsn, std::string_view payload)>& apply,
               WalScan* scan) {
  uint64_t size = 0;
  LIGHTNING_RETURN_IF_ERROR(file->Size(&size));
  *scan = WalScan{};
  if (size < kWalHeaderSize) {
    scan->torn_tail = size > 0;
    return Status::OK();
  }
  char h[kWalHeaderSize];
  size_t got = 0;
  LIGHTNING_RETURN_IF_ERROR(file->ReadAt(0, kWalHeaderSize, h, &got));
  if (DecodeFixed64(h) != kWalMagic || DecodeFixed64(h + 56) != Checksum64(h, 56)) {
    if (size == kWalHeaderSize) {  // a header torn while the log was being reset
      scan->torn_tail = true;
      return Status::OK();
    }
    return Status::Corruption("WAL " + path + ": header is damaged and records follow it");
  }
  if (DecodeFixed32(h + 8) != kWalVersion) {
    return Status::NotSupported("WAL " + path + ": format version " +
                                std::to_string(DecodeFixed32(h + 8)) + " is not supported");
  }
  scan->salt = DecodeFixed64(h + 16);
  scan->base_lsn = DecodeFixed64(h + 24);
  uint64_t offset = kWalHeaderSize;
  RawRecord r;
  Status io;
  while (offset < size) {
    if (!ReadRecord(file, offset, size, scan->salt, &r, &io)) {
      LIGHTNING_RETURN_IF_ERROR(io);
      // Damaged or torn. If a sound later record says this one was durable,
      // acknowledged commits would be lost: report it.
      char lh[4];
      LIGHTNING_RETURN_IF_ERROR(file->ReadAt(offset, 4, lh, &got));
      if (got == 4) {
        uint64_t next = offset + kWalRecordHeader + DecodeFixed32(lh) + 8;
        RawRecord after;
        uint64_t this_lsn = (scan->last_lsn ? scan->last_lsn : scan->base_lsn) + 1;
        const bool sound = next < size && ReadRecord(file, next, size, scan->salt, &after, &io);
        LIGHTNING_RETURN_IF_ERROR(io);
        if (sound && after.durable_lsn >= this_lsn) {
          return Status::Corruption("WAL " + path + ": record at offset " + std::to_string(offset) +
                                    " (lsn " + std::to_string(this_lsn) +
                                    ") fails its checksum but was acknowledged as durable");
        }
      }
      scan->torn_tail = true;
      break;
    }
    if (scan->last_lsn != 0 && r.lsn != scan->last_lsn + 1) {
      scan->torn_tail = true;  // a stale record from an earlier incarnation
      break;
    }
    LIGHTNING_RETURN_IF_ERROR(apply(r.lsn, std::string_view(r.bytes).substr(kWalRecordHeader)));
    scan->last_lsn = r.lsn;
    offset += r.size;
  }
  scan->end_offset = offset;
  return Status::OK();
}

}  // namespace lightning
