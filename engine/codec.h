// Page codecs: none, LZ4 and Zstd. A codec never makes a page bigger: when the
// compressed form does not save at least 1/8, the caller stores the page raw.
//
// Thread safety: free functions, safe from any thread (Zstd contexts are
// per-thread).
#pragma once

#include <cstddef>
#include <string>

#include "lightning/options.h"
#include "lightning/status.h"

namespace lightning {

const char* CodecName(Codec codec);

// Compresses src[0,n) into *dst (replacing its contents) and returns the codec
// used: kNone when the result would not be at least n/8 smaller (the page is
// then stored raw). kAdaptive picks kLz4 or kZstd per page (see options.h).
Codec CompressPage(Codec codec, int level, const char* src, size_t n, std::string* dst);

// Decompresses exactly `raw_len` bytes into dst. Corruption if the input does
// not decode to exactly raw_len bytes.
Status DecompressPage(Codec codec, const char* src, size_t n, char* dst, size_t raw_len);

}  // namespace lightning
