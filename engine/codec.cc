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
    case Codec::kNone: return "none";
    case Codec::kLz4: return "lz4";
    case Codec::kZstd: return "zstd";
  }
  return "unknown";
}

bool CompressPage(Codec codec, int level, const char* src, size_t n, std::string* dst) {
  const size_t limit = n - n / 8;
  if (codec == Codec::kNone || n < 64) return false;
  ProfileScope profile(ProfileComponent::kCompress);
  if (codec == Codec::kLz4) {
    if (n > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) return false;
    dst->resize(LZ4_compressBound(static_cast<int>(n)));
    int got = LZ4_compress_fast(src, dst->data(), static_cast<int>(n),
                                static_cast<int>(dst->size()), level < 1 ? 1 : level);
    if (got <= 0 || static_cast<size_t>(got) > limit) return false;
    dst->resize(got);
    return true;
  }
  dst->resize(ZSTD_compressBound(n));
  size_t got = ZSTD_compressCCtx(ThreadZstd().c, dst->data(), dst->size(), src, n, level);
  if (ZSTD_isError(got) || got > limit) return false;
  dst->resize(got);
  return true;
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
