// Plans through secondary indexes: xBestIndex scores every index of the
// table as SQLite scores a native index (= on a prefix of its columns, IN, a
// range on the next column, ORDER BY in the index's order or its reverse,
// covering reads) and keeps the key's plan unless an index costs less; xFilter
// turns the plan into ranges of index entries (vtab_cursor.cc walks them and
// looks each row up, or reads the columns from the entry when covering).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ext/vtab/key_codec.h"
#include "ext/vtab/vtab.h"
#include "ext/vtab/vtab_plan.h"

namespace lightning::ext {
namespace {

struct IndexPlan {
  int idx = 0;              // idxNum
  std::vector<int> argv;    // constraint numbers in argv order
  std::vector<int> in_use;  // constraints handled as IN lists
  bool order_consumed = false;
  bool unique = false;
  double rows = 0, cost = 0;
  std::string str;  // idxStr
};

// Columns a read can take from the table key alone (no record).
uint64_t KeyAloneColumns(const LightningTable* t) {
  const TableSchema& s = t->schema;
  uint64_t bits = 0;
  auto set = [&](int c) {
    if (c < 63) bits |= uint64_t{1} << c;
  };
  switch (s.key_kind) {
    case KeyKind::kRowid:
      break;
    case KeyKind::kIntegerPrimaryKey:
      set(s.key_column);
      break;
    case KeyKind::kWithoutRowid:
      if (t->key_affinity() != Affinity::kBlob) set(s.key_column);
      break;
    case KeyKind::kComposite:
      if (t->key_real_slot < 0) {
        for (int c : s.key_columns) set(c);
        set(s.hidden_key_index());
      }
      break;
  }
  return bits;
}

// The plan of index `n`, or false when it serves nothing (no constraint and
// no ORDER BY).
bool PlanFor(LightningTable* t, sqlite3_index_info* info, int n, double rows_total,
             IndexPlan* plan) {
  const IndexDef& index = t->schema.indexes[static_cast<size_t>(n)];
  const int ncols = static_cast<int>(index.columns.size());
  std::vector<int> position(t->schema.columns.size(), -1);
  for (int j = 0; j < ncols; ++j) position[static_cast<size_t>(index.columns[j])] = j;
  std::vector<ColumnTerms> terms(static_cast<size_t>(ncols));
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.iColumn < 0 || c.iColumn >= static_cast<int>(position.size())) continue;
    const int j = position[static_cast<size_t>(c.iColumn)];
    if (j < 0) continue;
    AddColumnTerm(info, i, /*is_as_eq=*/false, &terms[static_cast<size_t>(j)]);
  }
  int idx = kPlanIndex | (n << kPlanIndexShift);
  int prefix = 0, in_lists = 0, ranged = 0;
  std::vector<bool> fixed(static_cast<size_t>(ncols), false);
  std::string cond;
  auto add = [&](const std::string& part) { cond += (cond.empty() ? "" : " AND ") + part; };
  for (; prefix < ncols; ++prefix) {
    const ColumnTerms& ct = terms[static_cast<size_t>(prefix)];
    const std::string& name = t->column_name(index.columns[static_cast<size_t>(prefix)]);
    if (ct.eq >= 0) {
      plan->argv.push_back(ct.eq);
      fixed[static_cast<size_t>(prefix)] = true;
      add(name + "=?");
    } else if (ct.in >= 0 && prefix < kPlanIndexMaxInColumn) {
      plan->argv.push_back(ct.in);
      plan->in_use.push_back(ct.in);
      idx |= 1 << (kPlanInShift + prefix);
      ++in_lists;
      add(name + " IN (...)");
    } else {
      break;
    }
  }
  idx |= prefix << kPlanPrefixShift;
  if (prefix < ncols) {
    const ColumnTerms& ct = terms[static_cast<size_t>(prefix)];
    const std::string& name = t->column_name(index.columns[static_cast<size_t>(prefix)]);
    if (ct.lo >= 0) {
      plan->argv.push_back(ct.lo);
      const bool gt = info->aConstraint[ct.lo].op == SQLITE_INDEX_CONSTRAINT_GT;
      idx |= gt ? kPlanLowerGt : kPlanLowerGe;
      add(name + (gt ? ">?" : ">=?"));
      ++ranged;
    }
    if (ct.hi >= 0) {
      plan->argv.push_back(ct.hi);
      const bool lt = info->aConstraint[ct.hi].op == SQLITE_INDEX_CONSTRAINT_LT;
      idx |= lt ? kPlanUpperLt : kPlanUpperLe;
      add(name + (lt ? "<?" : "<=?"));
      ++ranged;
    }
  }

  // ORDER BY: the terms walk the index columns (skipping those fixed by =),
  // all in the index's directions or all reversed, and end within them.
  bool consumed = info->nOrderBy > 0;
  int scan_desc = -1;
  int j = 0;
  for (int o = 0; o < info->nOrderBy && consumed; ++o) {
    const int col = info->aOrderBy[o].iColumn;
    const int pos = col >= 0 && col < static_cast<int>(position.size())
                        ? position[static_cast<size_t>(col)]
                        : -1;
    if (pos >= 0 && fixed[static_cast<size_t>(pos)]) continue;
    while (j < ncols && fixed[static_cast<size_t>(j)]) ++j;
    if (j >= ncols || pos != j) {
      consumed = false;
      break;
    }
    const int d = info->aOrderBy[o].desc != index.desc[static_cast<size_t>(j)] ? 1 : 0;
    if (scan_desc >= 0 && d != scan_desc) consumed = false;
    scan_desc = d;
    ++j;
  }
  if (plan->argv.empty() && !consumed) return false;
  plan->order_consumed = consumed;
  if (consumed && scan_desc == 1) idx |= kPlanDesc;

  // Covering: every column read is an indexed column whose value the entry
  // gives back exactly (not untyped: 3 and 3.0 encode alike) or comes from
  // the table key alone.
  uint64_t have = KeyAloneColumns(t);
  for (int c : index.columns)
    if (c < 63 && t->schema.columns[static_cast<size_t>(c)].affinity != Affinity::kBlob)
      have |= uint64_t{1} << c;
  const bool covering = (info->colUsed & ~have) == 0;
  if (covering) idx |= kPlanKeyOnly;

  // Estimates, as SQLite's defaults for an index without statistics: = on
  // the first column keeps ~10 rows, each further column one fewer; an IN
  // list ~5 values; a range a quarter (both ends: a sixteenth).
  const double log_n = std::log2(rows_total + 2);
  double rows = rows_total;
  if (prefix > 0) rows = std::min(rows_total, std::max(1.0, 11.0 - prefix));
  rows *= std::pow(5.0, in_lists);
  rows = rows / (ranged == 2 ? 16 : ranged == 1 ? 4 : 1) + 1;
  plan->unique = index.unique && prefix == ncols && in_lists == 0;
  if (plan->unique) rows = 1;
  const double lookups = covering ? 0 : rows * log_n * 0.5;
  plan->rows = rows;
  plan->cost = log_n * std::pow(5.0, in_lists) + rows + lookups;
  plan->idx = idx;

  plan->str = IndexSignature(t, index);
  if (!cond.empty()) plan->str += " (" + cond + ")";
  if (consumed) {
    plan->str += " ORDER BY ";
    for (int k = 0; k < ncols; ++k) {
      const bool d = index.desc[static_cast<size_t>(k)] != (scan_desc == 1);
      plan->str += (k ? ", " : "") + t->column_name(index.columns[static_cast<size_t>(k)]) +
                   (d ? " DESC" : "");
    }
  }
  if (covering) plan->str += " COVERING";
  return true;
}

}  // namespace

std::string IndexSignature(const LightningTable* t, const IndexDef& index) {
  std::string out = index.name + "(";
  for (size_t j = 0; j < index.columns.size(); ++j)
    out += (j ? ", " : "") + t->column_name(index.columns[j]) + (index.desc[j] ? " DESC" : "");
  return out + ")";
}

namespace {

// What SQLite adds for sorting when a plan leaves ORDER BY to it.
double SortCost(double rows) { return rows * std::log2(rows + 2); }

// The component of constraint value `v` for index column j; false for NULL.
bool IndexComponentOf(const LightningTable* t, const IndexDef& index, size_t j, sqlite3_value* v,
                      std::string* out) {
  if (sqlite3_value_type(v) == SQLITE_NULL) return false;
  std::string scratch;
  out->clear();
  AppendKeyComponent(
      ConstraintValue(v, t->schema.columns[static_cast<size_t>(index.columns[j])].affinity,
                      &scratch),
      index.desc[j], out);
  return true;
}

}  // namespace

/*
** idxNum of an index plan (argv of xFilter in the order listed):
**
**   bit 30       an index plan                      -
**   bits 24..29  the index's number                 -
**   bits 11..15  P: index columns 0..P-1 are fixed  one value per column, in
**                by = or by IN (...)                index order (an IN list
**   bits 16..23  which of index columns 0..7 use IN whole, sqlite3_vtab_in)
**   0x004/0x008  index column P > ? / >= ?          the bound
**   0x010/0x020  index column P < ? / <= ?          the bound
**   0x040        entries in descending order        -
**   0x200        covering: no row lookups           -
**
** Constraints used are enforced exactly (omit=1), as for keys: values get the
** column's affinity and BINARY comparisons. idxStr starts with the index's
** signature ("ix_email(email) (email=?)"); xFilter finds the index by it,
** since lightning_drop_index/lightning_create_index (of any connection) may
** renumber the indexes or reuse a name after the statement was prepared.
*/
int SecondaryBestIndex(LightningTable* t, sqlite3_index_info* info) {
  if (int rc = ReloadIndexes(t)) return rc;
  if (t->schema.indexes.empty()) return SQLITE_OK;
  const double rows_total = static_cast<double>(TreeEntries(t));
  const bool sorted = info->nOrderBy > 0;
  double best_cost =
      info->estimatedCost +
      (sorted && !info->orderByConsumed ? SortCost(static_cast<double>(info->estimatedRows)) : 0);
  IndexPlan best;
  bool found = false;
  for (int n = 0; n < static_cast<int>(t->schema.indexes.size()); ++n) {
    IndexPlan plan;
    if (!PlanFor(t, info, n, rows_total, &plan)) continue;
    const double cost = plan.cost + (sorted && !plan.order_consumed ? SortCost(plan.rows) : 0);
    if (cost < best_cost) {
      best_cost = cost;
      best = std::move(plan);
      found = true;
    }
  }
  if (!found) return SQLITE_OK;

  // Replace the key's plan.
  for (int i = 0; i < info->nConstraint; ++i) {
    info->aConstraintUsage[i].argvIndex = 0;
    info->aConstraintUsage[i].omit = 0;
    if (info->aConstraint[i].op == SQLITE_INDEX_CONSTRAINT_EQ && sqlite3_vtab_in(info, i, -1))
      sqlite3_vtab_in(info, i, 0);
  }
  int argv_index = 0;
  for (int i : best.argv) {
    info->aConstraintUsage[i].argvIndex = ++argv_index;
    info->aConstraintUsage[i].omit = 1;
  }
  for (int i : best.in_use) sqlite3_vtab_in(info, i, 1);
  info->orderByConsumed = best.order_consumed ? 1 : 0;
  info->idxFlags &= ~SQLITE_INDEX_SCAN_UNIQUE;
  if (best.unique) info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  info->idxNum = best.idx;
  info->estimatedRows = static_cast<sqlite3_int64>(best.rows);
  info->estimatedCost = best.cost;
  if (info->needToFreeIdxStr) sqlite3_free(info->idxStr);
  info->idxStr = sqlite3_mprintf("%s", best.str.c_str());
  info->needToFreeIdxStr = 1;
  return info->idxStr == nullptr ? SQLITE_NOMEM : SQLITE_OK;
}

int PlanIndexNumber(const LightningTable* t, int idx, const char* idx_str) {
  const auto& indexes = t->schema.indexes;
  // The plan's index is the one with its name and columns (another connection
  // may have dropped it, or created another of that name).
  auto names = [&](size_t n) {
    if (idx_str == nullptr) return false;
    const std::string sig = IndexSignature(t, indexes[n]);
    return std::strncmp(idx_str, sig.c_str(), sig.size()) == 0 &&
           (idx_str[sig.size()] == '\0' || idx_str[sig.size()] == ' ');
  };
  const size_t n = static_cast<size_t>((idx & kPlanIndexMask) >> kPlanIndexShift);
  if (n < indexes.size() && names(n)) return static_cast<int>(n);
  for (size_t i = 0; i < indexes.size(); ++i)
    if (names(i)) return static_cast<int>(i);
  return -1;
}

int SecondaryFilter(LightningTable* t, int index_number, int idx, sqlite3_value** argv,
                    std::vector<KeyRange>* ranges, bool* empty) {
  const IndexDef& index = t->schema.indexes[static_cast<size_t>(index_number)];
  const size_t ncols = index.columns.size();
  const size_t prefix_len = static_cast<size_t>((idx & kPlanPrefixMask) >> kPlanPrefixShift);
  const int in_mask = (idx >> kPlanInShift) & ((1 << kPlanIndexMaxInColumn) - 1);
  std::vector<std::string> prefixes(1);
  std::string comp;
  int a = 0;
  for (size_t j = 0; j < prefix_len && !prefixes.empty(); ++j) {
    std::vector<std::string> components;
    sqlite3_value* arg = argv[a++];
    if (!((in_mask >> j) & 1)) {
      if (IndexComponentOf(t, index, j, arg, &comp)) components.push_back(comp);
    } else {
      sqlite3_value* v = nullptr;
      int rc;
      for (rc = sqlite3_vtab_in_first(arg, &v); rc == SQLITE_OK && v;
           rc = sqlite3_vtab_in_next(arg, &v))
        if (IndexComponentOf(t, index, j, v, &comp)) components.push_back(comp);
      if (rc != SQLITE_OK && rc != SQLITE_DONE) return rc;
    }
    std::vector<std::string> next;
    next.reserve(prefixes.size() * components.size());
    for (const std::string& p : prefixes)
      for (const std::string& c : components) next.push_back(p + c);
    prefixes = std::move(next);
  }
  if (prefixes.empty()) {
    *empty = true;
    return SQLITE_OK;
  }
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  a = static_cast<int>(prefix_len);

  const bool has_lower = idx & (kPlanLowerGt | kPlanLowerGe);
  const bool has_upper = idx & (kPlanUpperLt | kPlanUpperLe);
  std::string lower, upper;
  if (has_lower && !IndexComponentOf(t, index, prefix_len, argv[a++], &lower)) *empty = true;
  if (has_upper && !IndexComponentOf(t, index, prefix_len, argv[a++], &upper)) *empty = true;
  if (*empty) return SQLITE_OK;
  const bool desc = prefix_len < ncols && index.desc[prefix_len];
  std::string null_component;
  AppendKeyComponent(SqlValue::Null(), desc, &null_component);
  for (const std::string& p : prefixes) {
    KeyRange r;
    if (!p.empty()) {
      r.lo = p;
      r.has_lo = r.lo_incl = true;
      r.hi = PrefixSuccessor(p);
      r.has_hi = !r.hi.empty();
    }
    if (has_lower || has_upper) {
      // A range never holds NULL: NULL entries sort first (ASC) or last (DESC).
      if (!desc) {
        r.lo = PrefixSuccessor(p + null_component);
        r.has_lo = r.lo_incl = true;
      } else {
        r.hi = p + null_component;
        r.has_hi = true;
        r.hi_incl = false;
      }
    }
    if (has_lower && !ApplyBound(&r, p, lower, true, idx & kPlanLowerGe, desc)) continue;
    if (has_upper && !ApplyBound(&r, p, upper, false, idx & kPlanUpperLe, desc)) continue;
    if (r.has_lo && r.has_hi && r.lo >= r.hi) continue;
    ranges->push_back(std::move(r));
  }
  if (ranges->empty()) *empty = true;
  return SQLITE_OK;
}

}  // namespace lightning::ext
