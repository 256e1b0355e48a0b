#include "engine/checksum.h"

#include "engine/profile.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace lightning {

uint64_t Checksum64(const void* data, size_t n, uint64_t seed) {
  ProfileScope profile(ProfileComponent::kChecksum);
  return XXH3_64bits_withSeed(data, n, seed);
}

}  // namespace lightning
