// Page ids and page types: how the engine names a page and what it holds.
//
// A PageId is a logical page number: the page table maps it to a cached frame
// and to an extent on disk. Ids start at 1; 0 names no page (an empty tree's
// root, the page-table extent). A PageType is stored in both the extent
// header and the page header (engine/FORMAT.md).
#pragma once

#include <cstdint>

namespace lightning {

using PageId = uint64_t;

enum PageType : uint8_t { kLeafPage = 1, kBranchPage = 2, kBlobPage = 3 };

}  // namespace lightning
