// XXH3-64 checksums for extents, WAL records and superblocks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lightning {

uint64_t Checksum64(const void* data, size_t n, uint64_t seed = 0);

}  // namespace lightning
