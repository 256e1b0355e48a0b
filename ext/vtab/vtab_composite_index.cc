// xBestIndex for tables with a composite key, PRIMARY KEY(a, b DESC, ...):
// the plans a native WITHOUT ROWID table gets from its primary key.
#include <cmath>

#include "ext/vtab/vtab.h"
#include "ext/vtab/vtab_plan.h"

namespace lightning::ext {

void AddColumnTerm(sqlite3_index_info* info, int i, bool is_as_eq, ColumnTerms* ct) {
  const auto& c = info->aConstraint[i];
  const char* coll = sqlite3_vtab_collation(info, i);
  if (coll != nullptr && sqlite3_stricmp(coll, "BINARY") != 0) return;
  switch (c.op) {
    case SQLITE_INDEX_CONSTRAINT_IS:
      if (!is_as_eq) break;
      [[fallthrough]];
    case SQLITE_INDEX_CONSTRAINT_EQ:
      if (c.op == SQLITE_INDEX_CONSTRAINT_EQ && sqlite3_vtab_in(info, i, -1)) {
        if (ct->in < 0) ct->in = i;
      } else if (ct->eq < 0) {
        ct->eq = i;
      }
      break;
    case SQLITE_INDEX_CONSTRAINT_GT:
    case SQLITE_INDEX_CONSTRAINT_GE:
      if (ct->lo < 0) ct->lo = i;
      break;
    case SQLITE_INDEX_CONSTRAINT_LT:
    case SQLITE_INDEX_CONSTRAINT_LE:
      if (ct->hi < 0) ct->hi = i;
      break;
    default:
      break;
  }
}

/*
** idxNum of a composite-key plan (argv of xFilter in the order listed):
**
**   bits 11..15  P: key columns 0..P-1 are fixed    one value per column, in
**                by = / IS, or by IN (...)          key order (an IN list
**   bits 16..30  which of key columns 0..14 use IN  whole, sqlite3_vtab_in)
**   0x004/0x008  key column P > ? / >= ?            the bound
**   0x010/0x020  key column P < ? / <= ?            the bound
**   0x040        rows in descending key order       -
**   0x080/0x100  LIMIT ? / OFFSET ?                 the value
**   0x200        only key columns are read          -
**
** As for single-column keys, every constraint used is enforced exactly
** (omit=1): values get the column's affinity, comparisons are BINARY, and the
** codec orders each column as SQLite does. ORDER BY is consumed when its
** terms follow the key columns (skipping columns fixed by =), all in the
** key's directions or all reversed.
*/
int CompositeBestIndex(LightningTable* t, sqlite3_index_info* info) {
  const TableSchema& s = t->schema;
  const int n = static_cast<int>(s.key_columns.size());
  std::vector<ColumnTerms> terms(static_cast<size_t>(n));
  int limit = -1, offset = -1;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.op == SQLITE_INDEX_CONSTRAINT_LIMIT || c.op == SQLITE_INDEX_CONSTRAINT_OFFSET) {
      if (c.usable) (c.op == SQLITE_INDEX_CONSTRAINT_LIMIT ? limit : offset) = i;
      continue;
    }
    if (!c.usable || c.iColumn < 0 || c.iColumn >= static_cast<int>(s.columns.size())) continue;
    const int j = t->key_position[static_cast<size_t>(c.iColumn)];
    if (j < 0) continue;
    AddColumnTerm(info, i, /*is_as_eq=*/true, &terms[static_cast<size_t>(j)]);
  }

  int idx = 0, argv_index = 0, used = 0;
  auto use = [&](int i) {
    info->aConstraintUsage[i].argvIndex = ++argv_index;
    info->aConstraintUsage[i].omit = 1;
    ++used;
  };
  // The key prefix fixed by = (preferred) or IN.
  int prefix = 0, in_lists = 0;
  std::vector<bool> fixed(static_cast<size_t>(n), false);  // by = alone
  for (; prefix < n; ++prefix) {
    const ColumnTerms& ct = terms[static_cast<size_t>(prefix)];
    if (ct.eq >= 0) {
      use(ct.eq);
      fixed[static_cast<size_t>(prefix)] = true;
    } else if (ct.in >= 0 && prefix < kPlanMaxInColumn) {
      use(ct.in);
      sqlite3_vtab_in(info, ct.in, 1);
      idx |= 1 << (kPlanInShift + prefix);
      ++in_lists;
    } else {
      break;
    }
  }
  idx |= prefix << kPlanPrefixShift;
  int ranged = 0;
  if (prefix < n) {
    const ColumnTerms& ct = terms[static_cast<size_t>(prefix)];
    if (ct.lo >= 0) {
      use(ct.lo);
      idx |=
          info->aConstraint[ct.lo].op == SQLITE_INDEX_CONSTRAINT_GT ? kPlanLowerGt : kPlanLowerGe;
      ++ranged;
    }
    if (ct.hi >= 0) {
      use(ct.hi);
      idx |=
          info->aConstraint[ct.hi].op == SQLITE_INDEX_CONSTRAINT_LT ? kPlanUpperLt : kPlanUpperLe;
      ++ranged;
    }
  }
  int offered = 0;  // constraints other than LIMIT/OFFSET
  for (int i = 0; i < info->nConstraint; ++i) {
    int op = info->aConstraint[i].op;
    if (op != SQLITE_INDEX_CONSTRAINT_LIMIT && op != SQLITE_INDEX_CONSTRAINT_OFFSET) ++offered;
  }

  // ORDER BY: terms on columns fixed by = are constant; the others must walk
  // the key columns in order (skipping fixed ones), all in the key's
  // directions (ascending scan) or all reversed (descending scan). Once every
  // key column is covered the row is unique and later terms do not matter.
  bool consumed = true;
  int scan_desc = -1;  // unknown
  int j = 0;
  for (int o = 0; o < info->nOrderBy && consumed; ++o) {
    while (j < n && fixed[static_cast<size_t>(j)]) ++j;
    if (j >= n) break;
    const int col = info->aOrderBy[o].iColumn;
    const int pos = col >= 0 && col < static_cast<int>(s.columns.size())
                        ? t->key_position[static_cast<size_t>(col)]
                        : -1;
    if (pos >= 0 && fixed[static_cast<size_t>(pos)]) continue;
    if (pos != j) {
      consumed = false;
      break;
    }
    int d = info->aOrderBy[o].desc != s.key_desc[static_cast<size_t>(j)] ? 1 : 0;
    if (scan_desc >= 0 && d != scan_desc) consumed = false;
    scan_desc = d;
    ++j;
  }
  if (info->nOrderBy > 0 && consumed) {
    info->orderByConsumed = 1;
    if (scan_desc == 1) idx |= kPlanDesc;
  }
  if (used == offered && consumed && limit >= 0) {
    use(limit);
    idx |= kPlanLimit;
    if (offset >= 0) {
      use(offset);
      idx |= kPlanOffset;
    }
  }

  // Key-only reads: nothing but key columns (and the hidden key) is used, and
  // no untyped key column needs the record's REAL bits.
  uint64_t key_bits = 0;
  for (int c : s.key_columns)
    if (c < 63) key_bits |= uint64_t{1} << c;
  if (s.hidden_key_index() < 63) key_bits |= uint64_t{1} << s.hidden_key_index();
  if ((info->colUsed & ~key_bits) == 0 && t->key_real_slot < 0) idx |= kPlanKeyOnly;

  // Estimates: each fixed column keeps a tenth of the rows, an IN list ~5
  // values, a range a quarter (both ends: a sixteenth).
  const double rows_total = static_cast<double>(TreeEntries(t));
  const double log_n = std::log2(rows_total + 2);
  double rows = rows_total + 1;
  const bool unique = prefix == n && in_lists == 0;
  if (unique) {
    rows = 1;
    info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  } else {
    rows = rows_total * std::pow(0.1, prefix) * std::pow(5.0, in_lists);
    rows = rows / (ranged == 2 ? 16 : ranged == 1 ? 4 : 1) + 1;
  }
  const bool scan = prefix == 0 && ranged == 0;
  info->estimatedRows = static_cast<sqlite3_int64>(rows);
  info->estimatedCost = scan ? rows_total + 10 : rows + log_n * std::pow(5.0, in_lists);
  info->idxNum = idx;

  // EXPLAIN QUERY PLAN: "INDEX 2052:PRIMARY KEY (a=? AND b>?) ORDER BY a, b DESC".
  std::string cond, plan;
  auto add = [&](const std::string& part) { cond += (cond.empty() ? "" : " AND ") + part; };
  for (int k = 0; k < prefix; ++k)
    add(t->column_name(s.key_columns[static_cast<size_t>(k)]) +
        (fixed[static_cast<size_t>(k)] ? "=?" : " IN (...)"));
  if (prefix < n) {
    const std::string name = t->column_name(s.key_columns[static_cast<size_t>(prefix)]);
    if (idx & (kPlanLowerGt | kPlanLowerGe)) add(name + ((idx & kPlanLowerGt) ? ">?" : ">=?"));
    if (idx & (kPlanUpperLt | kPlanUpperLe)) add(name + ((idx & kPlanUpperLt) ? "<?" : "<=?"));
  }
  plan = cond.empty() ? "full scan" : "PRIMARY KEY (" + cond + ")";
  if (info->orderByConsumed) {
    plan += " ORDER BY ";
    for (int k = 0; k < n; ++k) {
      const bool d = s.key_desc[static_cast<size_t>(k)] != ((idx & kPlanDesc) != 0);
      plan += (k ? ", " : "") + t->column_name(s.key_columns[static_cast<size_t>(k)]) +
              (d ? " DESC" : "");
    }
  }
  if (idx & kPlanLimit) plan += " LIMIT";
  if (idx & kPlanOffset) plan += " OFFSET";
  info->idxStr = sqlite3_mprintf("%s", plan.c_str());
  if (info->idxStr == nullptr) return SQLITE_NOMEM;
  info->needToFreeIdxStr = 1;
  return SQLITE_OK;
}

}  // namespace lightning::ext
