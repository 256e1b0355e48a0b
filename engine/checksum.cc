#include "engine/checksum.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace lightning {

uint64_t Checksum64(const void* data, size_t n, uint64_t seed) {
  return XXH3_64bits_withSeed(data, n, seed);
}

}  // namespace lightning
