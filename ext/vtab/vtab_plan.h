// idxNum bits shared by xBestIndex (vtab_index.cc, vtab_composite_index.cc)
// and xFilter (vtab_cursor.cc, vtab_composite.cc). The tables with their
// meaning and argv order are above LightningBestIndex and CompositeBestIndex.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ext/sqlite_api.h"
#include "ext/vtab/table_schema.h"

namespace lightning::ext {

struct LightningTable;

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
// Composite keys: the number of leading key columns fixed by = or IN (bits
// 11..15), and which of them are IN lists (bits 16..30, key columns 0..14).
inline constexpr int kPlanPrefixShift = 11;
inline constexpr int kPlanPrefixMask = 0x1f << kPlanPrefixShift;
inline constexpr int kPlanInShift = 16;
inline constexpr int kPlanMaxInColumn = 14;  // IN serves key columns 0..13 (bit 30: kPlanIndex)

// A UNIQUE constraint's columns all fixed by = (at most one row): the
// constraint's number in bits 11..30, its values in argv in column order.
inline constexpr int kPlanUnique = 0x400;
inline constexpr int kPlanUniqueShift = 11;

// A secondary index plan (vtab_secondary_index.cc): bit 30, the index's
// number in bits 24..29, the index prefix fixed by = or IN in bits 11..15,
// which of index columns 0..7 use IN in bits 16..23; the range, DESC and
// kPlanKeyOnly (covering: every column read comes from the entry) bits as
// for keys. No LIMIT/OFFSET.
inline constexpr int kPlanIndex = 1 << 30;
inline constexpr int kPlanIndexShift = 24;
inline constexpr int kPlanIndexMask = 0x3f << kPlanIndexShift;
inline constexpr int kPlanIndexMaxInColumn = 8;

// The usable constraints on one column of a key or an index, by constraint
// number (-1: none): the first =, IN, lower and upper bound.
struct ColumnTerms {
  int eq = -1, in = -1, lo = -1, hi = -1;
};
// Files constraint `i` of `info` into `terms` by its operator, unless its
// collation is not BINARY (the key and index codecs order bytes as BINARY).
// `is_as_eq`: IS counts as = (keys hold no NULL; index entries do).
void AddColumnTerm(sqlite3_index_info* info, int i, bool is_as_eq, ColumnTerms* terms);

// A range of encoded keys the cursor walks; bounds are byte strings.
struct KeyRange {
  bool has_lo = false, lo_incl = false, has_hi = false, hi_incl = false;
  std::string lo, hi;
};

// xBestIndex's UNIQUE plan (vtab_unique_index.cc): when every column of a
// UNIQUE constraint has a usable = and the key itself has none, fills `info`
// with it and returns true.
bool UniqueBestIndex(LightningTable* t, sqlite3_index_info* info, int* rc);
// xFilter's half of it: *entries gets the constraint's entry for the argv
// values (none when one is NULL: *empty).
int UniqueFilter(LightningTable* t, int unique_index, sqlite3_value** argv,
                 std::vector<std::string>* entries, bool* empty);

// Narrows `r` (the range of the key prefix `prefix`) by a bound on the next
// column, whose component (after the prefix) is `bound`; `lower`: > / >=,
// else < / <=; `desc`: the column's bytes are inverted. Returns false when
// the range becomes empty (vtab_composite.cc).
bool ApplyBound(KeyRange* r, const std::string& prefix, const std::string& bound, bool lower,
                bool inclusive, bool desc);

// Entries in the table's tree, for estimates (0 when unknown).
uint64_t TreeEntries(LightningTable* t);

// After the key's plan is in `info`: replaces it with the best plan through
// a secondary index when that one costs less (vtab_secondary_index.cc).
int SecondaryBestIndex(LightningTable* t, sqlite3_index_info* info);
// xFilter's half: the ranges of index entries the plan `idx` walks for its
// argv values (ascending, disjoint); *empty when no row can match.
int SecondaryFilter(LightningTable* t, int index, int idx, sqlite3_value** argv,
                    std::vector<KeyRange>* ranges, bool* empty);
// "ix_ab(a, b DESC)": an index's name and columns, the start of its plans'
// idxStr.
std::string IndexSignature(const LightningTable* t, const IndexDef& index);
// The index an idxNum/idxStr pair names, or -1 when it no longer exists.
int PlanIndexNumber(const LightningTable* t, int idx, const char* idx_str);

// xBestIndex of a table with a composite key (vtab_composite_index.cc).
int CompositeBestIndex(LightningTable* t, sqlite3_index_info* info);

// xFilter's half for a composite key (vtab_composite.cc): turns the plan
// `idx` and its argv values into exact keys (*points, when every key column
// is fixed and no range applies) or key ranges (*ranges, ascending, disjoint).
// Sets *empty when no row can match. Returns an SQLite code.
int CompositeFilter(LightningTable* t, int idx, sqlite3_value** argv,
                    std::vector<std::string>* points, std::vector<KeyRange>* ranges, bool* empty);

}  // namespace lightning::ext
