#include "engine/codec.h"

#include <lz4.h>
#include <zstd.h>

#include <memory>
#include <string>

#include "engine/profile.h"

namespace lightning {
namespace {

struct ZstdContexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};

ZstdContexts& ThreadZstd() {
  thread_local ZstdContexts contexts;
  return contexts;
}

}  // namespace

const char* CodecName(Codec codec) {
  switch (codec) {
    case Codec::kNone:
      return "none";
    case Codec::kLz4:
      return "lz4";
    case Codec::kZstd:
      return "zstd";
    case Codec::kAdaptive:
      return "adaptive";
  }
  return "unknown";
}

Codec CompressPage(Codec codec, int level, const char* src, size_t n, std::string* dst) {
  const size_t limit = n - n / 8;
  if (codec == Codec::kNone || n < 64) return Codec::kNone;
  ProfileScope profile(ProfileComponent::kCompress);
  auto lz4 = [&](int acceleration) {
    if (n > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) return false;
    dst->resize(LZ4_compressBound(static_cast<int>(n)));
    int got = LZ4_compress_fast(src, dst->data(), static_cast<int>(n),
                                static_cast<int>(dst->size()), acceleration < 1 ? 1 : acceleration);
    if (got <= 0 || static_cast<size_t>(got) > limit) return false;
    dst->resize(got);
    return true;
  };
  auto zstd = [&](std::string* out, size_t max) {
    out->resize(ZSTD_compressBound(n));
    size_t got = ZSTD_compressCCtx(ThreadZstd().c, out->data(), out->size(), src, n, level);
    if (ZSTD_isError(got) || got > max) return false;
    out->resize(got);
    return true;
  };
  if (codec == Codec::kLz4) return lz4(level) ? Codec::kLz4 : Codec::kNone;
  if (codec == Codec::kZstd) return zstd(dst, limit) ? Codec::kZstd : Codec::kNone;
  // kAdaptive: LZ4 decides whether the page is worth compressing at all.
  if (!lz4(1)) return Codec::kNone;
  std::string z;
  if (!zstd(&z, dst->size() - dst->size() / 8)) return Codec::kLz4;
  dst->swap(z);
  return Codec::kZstd;
}

Status DecompressPage(Codec codec, const char* src, size_t n, char* dst, size_t raw_len) {
  ProfileScope profile(ProfileComponent::kDecompress);
  if (codec == Codec::kLz4) {
    int got = LZ4_decompress_safe(src, dst, static_cast<int>(n), static_cast<int>(raw_len));
    if (got < 0 || static_cast<size_t>(got) != raw_len) {
      return Status::Corruption("LZ4 data does not decode to the recorded length");
    }
    return Status::OK();
  }
  if (codec == Codec::kZstd) {
    size_t got = ZSTD_decompressDCtx(ThreadZstd().d, dst, raw_len, src, n);
    if (ZSTD_isError(got) || got != raw_len) {
      return Status::Corruption("Zstd data does not decode to the recorded length");
    }
    return Status::OK();
  }
  return Status::Corruption("unknown codec id in extent header");
}

}  // namespace lightning
