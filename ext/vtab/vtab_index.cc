// xBestIndex for lightning tables: which key constraints, order and limits a
// scan uses. xFilter (vtab_cursor.cc) reads the same bits.
#include <cmath>

#include "ext/session.h"
#include "ext/vtab/vtab.h"
#include "ext/vtab/vtab_plan.h"

namespace lightning::ext {

uint64_t TreeEntries(LightningTable* t) {
  TreeInfo info;
  Status s;
  if (t->session->writing()) {
    s = t->session->write_txn()->GetTreeInfo(t->tree, &info);
  } else {
    auto r = t->session->db()->BeginRead();
    if (!r.ok()) return 0;
    s = r.value()->GetTreeInfo(t->tree, &info);
  }
  return s.ok() ? info.entries : 0;
}

namespace {

bool IsKeyColumn(const LightningTable* t, int column) {
  if (column == -1) return t->has_rowid();  // the rowid is the key of a rowid table
  return column == t->key_column();
}

}  // namespace

/*
** idxNum bits (argv of xFilter holds the values in the order listed):
**
**   bit    value   meaning                                   argv
**   0      0x001   key = ? (or key IS ?): at most one row    the value
**   1      0x002   key IN (...), all values at once          the IN list
**   2      0x004   lower bound key > ?                       the bound
**   3      0x008   lower bound key >= ?                      the bound
**   4      0x010   upper bound key < ?                       the bound
**   5      0x020   upper bound key <= ?                      the bound
**   6      0x040   rows in descending key order              -
**   7      0x080   LIMIT ? (stop after that many rows)       the limit
**   8      0x100   OFFSET ? (skip that many rows first)      the offset
**   9      0x200   only the key is read: skip row values     -
**
** Every key constraint used is enforced exactly (omit=1): the key codec orders
** values as SQLite does, constraint values are converted with the key's
** affinity (vtab_values.cc) and only BINARY comparisons are used. LIMIT and
** OFFSET are used only when every constraint SQLite offered is one of these
** and the ORDER BY (if any) is consumed, so the rows skipped and counted are
** exactly the rows SQLite would have skipped and counted.
*/
namespace {

// The best plan through the key (or a UNIQUE constraint's tree).
int KeyBestIndex(LightningTable* t, sqlite3_index_info* info) {
  int rc = SQLITE_OK;
  if (UniqueBestIndex(t, info, &rc)) return rc;
  if (t->schema.composite()) return CompositeBestIndex(t, info);
  int eq = -1, in = -1, lo = -1, hi = -1, limit = -1, offset = -1;
  bool all_used = true;  // every non-LIMIT/OFFSET constraint has a use
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.op == SQLITE_INDEX_CONSTRAINT_LIMIT) {
      if (c.usable) limit = i;
      continue;
    }
    if (c.op == SQLITE_INDEX_CONSTRAINT_OFFSET) {
      if (c.usable) offset = i;
      continue;
    }
    bool usable = c.usable && IsKeyColumn(t, c.iColumn);
    if (usable && !t->has_rowid()) {
      const char* coll = sqlite3_vtab_collation(info, i);
      usable = coll == nullptr || sqlite3_stricmp(coll, "BINARY") == 0;
    }
    bool taken = false;
    if (usable) {
      switch (c.op) {
        case SQLITE_INDEX_CONSTRAINT_EQ:
        case SQLITE_INDEX_CONSTRAINT_IS:
          if (c.op == SQLITE_INDEX_CONSTRAINT_EQ && sqlite3_vtab_in(info, i, -1)) {
            if (in < 0) in = i, taken = true;
          } else if (eq < 0) {
            eq = i, taken = true;
          }
          break;
        case SQLITE_INDEX_CONSTRAINT_GT:
        case SQLITE_INDEX_CONSTRAINT_GE:
          if (lo < 0) lo = i, taken = true;
          break;
        case SQLITE_INDEX_CONSTRAINT_LT:
        case SQLITE_INDEX_CONSTRAINT_LE:
          if (hi < 0) hi = i, taken = true;
          break;
        default:
          break;
      }
    }
    if (!taken) all_used = false;
  }
  if (eq >= 0 && in >= 0) {  // a plain = beats IN; the IN goes back to SQLite
    in = -1;
    all_used = false;
  }

  int idx = 0, argv_index = 0;
  auto use = [&](int i, int bit) {
    idx |= bit;
    info->aConstraintUsage[i].argvIndex = ++argv_index;
    info->aConstraintUsage[i].omit = 1;
  };
  if (eq >= 0) use(eq, kPlanEq);
  if (in >= 0) {
    use(in, kPlanIn);
    sqlite3_vtab_in(info, in, 1);
  }
  if (lo >= 0)
    use(lo, info->aConstraint[lo].op == SQLITE_INDEX_CONSTRAINT_GT ? kPlanLowerGt : kPlanLowerGe);
  if (hi >= 0)
    use(hi, info->aConstraint[hi].op == SQLITE_INDEX_CONSTRAINT_LT ? kPlanUpperLt : kPlanUpperLe);

  // ORDER BY key [ASC|DESC]: the key is unique, so later terms never matter.
  bool ordered = info->nOrderBy == 0;
  if (info->nOrderBy > 0 && IsKeyColumn(t, info->aOrderBy[0].iColumn)) {
    if (info->aOrderBy[0].desc) idx |= kPlanDesc;
    info->orderByConsumed = 1;
    ordered = true;
  }
  if (all_used && ordered && limit >= 0) {
    use(limit, kPlanLimit);
    if (offset >= 0) use(offset, kPlanOffset);
  }

  // colUsed: when nothing but the key is read, values need not be touched.
  // An untyped key needs the record too (its REAL-vs-INTEGER bit), and SQLite
  // reads the key of a WITHOUT ROWID table for DELETE without flagging it.
  uint64_t key_bit = t->key_column() >= 0 ? (uint64_t{1} << t->key_column()) : 0;
  bool key_needs_value = t->key_affinity() == Affinity::kBlob;
  if ((info->colUsed & ~key_bit) == 0 && !key_needs_value) idx |= kPlanKeyOnly;

  double n = static_cast<double>(TreeEntries(t));
  double log_n = std::log2(n + 2);
  double rows;
  if (eq >= 0) {
    rows = 1;
    info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  } else if (in >= 0) {
    rows = 10;
  } else if (lo >= 0 && hi >= 0) {
    rows = n / 16 + 1;
  } else if (lo >= 0 || hi >= 0) {
    rows = n / 4 + 1;
  } else {
    rows = n + 1;
  }
  bool scan = eq < 0 && in < 0 && lo < 0 && hi < 0;
  info->estimatedRows = static_cast<sqlite3_int64>(rows);
  info->estimatedCost = scan ? n + 10 : rows + log_n * (in >= 0 ? 10 : 1);
  info->idxNum = idx;
  // A readable plan for EXPLAIN QUERY PLAN ("SCAN t VIRTUAL TABLE INDEX 1:id=?").
  std::string k = t->key_name(), plan;
  auto add = [&](const std::string& part) { plan += (plan.empty() ? "" : " ") + part; };
  if (idx & kPlanEq) add(k + "=?");
  if (idx & kPlanIn) add(k + " IN (...)");
  if (idx & (kPlanLowerGt | kPlanLowerGe)) add(k + ((idx & kPlanLowerGt) ? ">?" : ">=?"));
  if (idx & (kPlanUpperLt | kPlanUpperLe)) add(k + ((idx & kPlanUpperLt) ? "<?" : "<=?"));
  if (info->orderByConsumed) add(std::string("ORDER BY ") + k + ((idx & kPlanDesc) ? " DESC" : ""));
  if (idx & kPlanLimit) add("LIMIT");
  if (idx & kPlanOffset) add("OFFSET");
  if (plan.empty()) plan = "full scan";
  info->idxStr = sqlite3_mprintf("%s", plan.c_str());
  if (info->idxStr == nullptr) return SQLITE_NOMEM;
  info->needToFreeIdxStr = 1;
  return SQLITE_OK;
}

}  // namespace

// The key's plan, then a secondary index's when it costs less.
int LightningBestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info) noexcept {
  auto* t = reinterpret_cast<LightningTable*>(vtab);
  return Guarded(t, [&] {
    if (int rc = MissingTreeError(t)) return rc;
    int rc = KeyBestIndex(t, info);
    if (rc == SQLITE_OK) rc = SecondaryBestIndex(t, info);
    return rc;
  });
}

}  // namespace lightning::ext
