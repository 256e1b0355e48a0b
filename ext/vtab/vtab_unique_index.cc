// Plans through a UNIQUE constraint's tree: `WHERE email = ?` (or every
// column of UNIQUE(a, b) fixed by =) finds at most one row with two lookups,
// the constraint's entry and then the row, instead of a scan.
#include <cmath>

#include "ext/vtab/key_codec.h"
#include "ext/vtab/vtab.h"
#include "ext/vtab/vtab_plan.h"

namespace lightning::ext {
namespace {

// True if the key alone pins the row: = or IS on every key column (or the rowid).
bool KeyIsFixed(const LightningTable* t, const std::vector<bool>& fixed, bool rowid_fixed) {
  const TableSchema& s = t->schema;
  if (s.composite()) {
    for (int c : s.key_columns)
      if (!fixed[static_cast<size_t>(c)]) return false;
    return true;
  }
  if (t->has_rowid() && rowid_fixed) return true;
  return s.key_column >= 0 && fixed[static_cast<size_t>(s.key_column)];
}

}  // namespace

/*
** idxNum of a UNIQUE plan: kPlanUnique (0x400) | constraint number << 11.
** argv: one value per column of the constraint, in its column order. Each
** = is enforced exactly (omit=1): values get the column's affinity and are
** compared BINARY, as the entries were written.
*/
bool UniqueBestIndex(LightningTable* t, sqlite3_index_info* info, int* rc) {
  const TableSchema& s = t->schema;
  if (s.uniques.empty()) return false;
  const size_t n = s.columns.size();
  std::vector<int> eq(n, -1);         // a usable = per column
  std::vector<bool> fixed(n, false);  // = or IS
  bool rowid_fixed = false;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable) continue;
    if (c.op != SQLITE_INDEX_CONSTRAINT_EQ && c.op != SQLITE_INDEX_CONSTRAINT_IS) continue;
    if (c.iColumn < 0) {
      rowid_fixed = true;
      continue;
    }
    if (c.iColumn >= static_cast<int>(n)) continue;  // the hidden key column
    const char* coll = sqlite3_vtab_collation(info, i);
    if (coll != nullptr && sqlite3_stricmp(coll, "BINARY") != 0) continue;
    fixed[static_cast<size_t>(c.iColumn)] = true;
    if (c.op == SQLITE_INDEX_CONSTRAINT_EQ && eq[static_cast<size_t>(c.iColumn)] < 0)
      eq[static_cast<size_t>(c.iColumn)] = i;
  }
  if (KeyIsFixed(t, fixed, rowid_fixed)) return false;  // the key's own lookup is as good
  for (size_t u = 0; u < s.uniques.size(); ++u) {
    bool all = true;
    for (int c : s.uniques[u].columns) all = all && eq[static_cast<size_t>(c)] >= 0;
    if (!all) continue;
    std::string plan;
    int argv_index = 0;
    for (int c : s.uniques[u].columns) {
      const int i = eq[static_cast<size_t>(c)];
      info->aConstraintUsage[i].argvIndex = ++argv_index;
      info->aConstraintUsage[i].omit = 1;
      plan += (plan.empty() ? "" : " AND ") + t->column_name(c) + "=?";
    }
    info->idxNum = kPlanUnique | static_cast<int>(u << kPlanUniqueShift);
    info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
    info->estimatedRows = 1;
    info->estimatedCost = 2 * std::log2(static_cast<double>(TreeEntries(t)) + 2) + 1;
    info->idxStr = sqlite3_mprintf("UNIQUE (%s)", plan.c_str());
    info->needToFreeIdxStr = 1;
    *rc = info->idxStr == nullptr ? SQLITE_NOMEM : SQLITE_OK;
    return true;
  }
  return false;
}

int UniqueFilter(LightningTable* t, int unique_index, sqlite3_value** argv,
                 std::vector<std::string>* entries, bool* empty) {
  const UniqueConstraint& u = t->schema.uniques[static_cast<size_t>(unique_index)];
  std::string entry, scratch;
  for (size_t j = 0; j < u.columns.size(); ++j) {
    if (sqlite3_value_type(argv[j]) == SQLITE_NULL) {  // = NULL is never true
      *empty = true;
      return SQLITE_OK;
    }
    const Affinity a = t->schema.columns[static_cast<size_t>(u.columns[j])].affinity;
    AppendKeyComponent(ConstraintValue(argv[j], a, &scratch), false, &entry);
  }
  entries->push_back(std::move(entry));
  return SQLITE_OK;
}

}  // namespace lightning::ext
