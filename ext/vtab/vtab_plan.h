// idxNum bits shared by xBestIndex (vtab_index.cc) and xFilter (vtab_cursor.cc).
// The table with their meaning and argv order is above LightningBestIndex.
#pragma once

namespace lightning::ext {

inline constexpr int kPlanEq = 0x001;
inline constexpr int kPlanIn = 0x002;
inline constexpr int kPlanLowerGt = 0x004;
inline constexpr int kPlanLowerGe = 0x008;
inline constexpr int kPlanUpperLt = 0x010;
inline constexpr int kPlanUpperLe = 0x020;
inline constexpr int kPlanDesc = 0x040;
inline constexpr int kPlanLimit = 0x080;
inline constexpr int kPlanOffset = 0x100;
inline constexpr int kPlanKeyOnly = 0x200;

}  // namespace lightning::ext
