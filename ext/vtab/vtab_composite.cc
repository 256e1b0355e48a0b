// Composite keys, PRIMARY KEY(a, b DESC, ...): the key of a row, its decoding
// for xColumn, and the keys and ranges an xFilter plan walks.
//
// A row's key is the tuple of its key columns, each encoded as a prefix-free
// component (key_codec.h), inverted for a DESC column. Rows with the same
// values in the first k key columns therefore share a key prefix P, and the
// keys whose k+1-th column lies in a range form one byte range after P: a
// plan of = / IN on a key prefix plus a range on the next column is a sorted
// list of disjoint byte ranges, one per combination of the prefix values.
#include <algorithm>

#include "ext/vtab/key_codec.h"
#include "ext/vtab/vtab.h"
#include "ext/vtab/vtab_plan.h"

namespace lightning::ext {

void EncodeKeyTuple(const LightningTable* t, const std::vector<SqlValue>& values,
                    std::string* key) {
  key->clear();
  const TableSchema& s = t->schema;
  for (size_t j = 0; j < s.key_columns.size(); ++j)
    AppendKeyComponent(values[static_cast<size_t>(s.key_columns[j])], s.key_desc[j], key);
}

bool DecodeKeyTuple(const LightningTable* t, std::string_view key, uint64_t real_mask,
                    std::vector<SqlValue>* values, std::vector<std::string>* bytes) {
  const TableSchema& s = t->schema;
  const size_t n = s.key_columns.size();
  values->resize(n);
  bytes->resize(n);
  size_t pos = 0;
  for (size_t j = 0; j < n; ++j) {
    const Affinity affinity = s.columns[static_cast<size_t>(s.key_columns[j])].affinity;
    const bool prefer_real = affinity == Affinity::kReal || ((real_mask >> j) & 1) != 0;
    if (!DecodeKeyComponent(key, &pos, s.key_desc[j], prefer_real, &(*bytes)[j], &(*values)[j]))
      return false;
  }
  return pos == key.size();
}

std::string KeyConstraintName(const LightningTable* t) {
  std::string out;
  for (int c : t->schema.key_columns) {
    if (!out.empty()) out += ", ";
    out += t->name + "." + t->column_name(c);
  }
  return out;
}

namespace {

// The component of constraint value `v` for key column j; false for NULL
// (a comparison with NULL is never true).
bool ComponentOf(const LightningTable* t, size_t j, sqlite3_value* v, std::string* out) {
  if (sqlite3_value_type(v) == SQLITE_NULL) return false;
  const TableSchema& s = t->schema;
  std::string scratch;
  out->clear();
  AppendKeyComponent(
      ConstraintValue(v, s.columns[static_cast<size_t>(s.key_columns[j])].affinity, &scratch),
      s.key_desc[j], out);
  return true;
}

// Multiplies `prefixes` by the values of key column j (one value, or an IN
// list). Returns an SQLite code.
int ExtendPrefixes(const LightningTable* t, size_t j, bool in, sqlite3_value* arg,
                   std::vector<std::string>* prefixes) {
  std::vector<std::string> components;
  std::string comp;
  if (!in) {
    if (ComponentOf(t, j, arg, &comp)) components.push_back(comp);
  } else {
    sqlite3_value* v = nullptr;
    int rc;
    for (rc = sqlite3_vtab_in_first(arg, &v); rc == SQLITE_OK && v;
         rc = sqlite3_vtab_in_next(arg, &v))
      if (ComponentOf(t, j, v, &comp)) components.push_back(comp);
    if (rc != SQLITE_OK && rc != SQLITE_DONE) return rc;
  }
  std::vector<std::string> next;
  next.reserve(prefixes->size() * components.size());
  for (const std::string& p : *prefixes)
    for (const std::string& c : components) next.push_back(p + c);
  *prefixes = std::move(next);
  return SQLITE_OK;
}

}  // namespace

// Narrows `r` (the range of prefix P) by a bound on the next key column,
// whose component (after P) is `bound`. `lower`: column > / >= bound, else
// < / <=. Returns false when the range becomes empty.
bool ApplyBound(KeyRange* r, const std::string& prefix, const std::string& bound, bool lower,
                bool inclusive, bool desc) {
  const std::string at = prefix + bound;
  // On a DESC column a lower bound on the value is an upper bound on the bytes.
  const bool byte_lower = lower != desc;
  if (byte_lower) {
    if (inclusive) {  // from `at` on, its own keys included
      r->lo = at;
    } else {  // past every key with the component `at`
      r->lo = PrefixSuccessor(at);
      if (r->lo.empty()) return false;
    }
    r->has_lo = r->lo_incl = true;
    return true;
  }
  if (inclusive) {
    std::string succ = PrefixSuccessor(at);
    if (succ.empty()) return true;  // up to the end of the prefix's range
    r->hi = std::move(succ);
  } else {
    r->hi = at;
  }
  r->has_hi = true;
  r->hi_incl = false;
  return true;
}

int CompositeFilter(LightningTable* t, int idx, sqlite3_value** argv,
                    std::vector<std::string>* points, std::vector<KeyRange>* ranges, bool* empty) {
  const TableSchema& s = t->schema;
  const size_t n = s.key_columns.size();
  const size_t prefix_len = static_cast<size_t>((idx & kPlanPrefixMask) >> kPlanPrefixShift);
  const int in_mask = idx >> kPlanInShift;
  std::vector<std::string> prefixes(1);
  int a = 0;
  for (size_t j = 0; j < prefix_len && !prefixes.empty(); ++j) {
    int rc = ExtendPrefixes(t, j, (in_mask >> j) & 1, argv[a++], &prefixes);
    if (rc != SQLITE_OK) return rc;
  }
  if (prefixes.empty()) {
    *empty = true;
    return SQLITE_OK;
  }
  // Values equal after affinity ('1' and 1) give equal prefixes.
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  a = static_cast<int>(prefix_len);

  const bool has_lower = idx & (kPlanLowerGt | kPlanLowerGe);
  const bool has_upper = idx & (kPlanUpperLt | kPlanUpperLe);
  if (prefix_len == n && !has_lower && !has_upper) {
    *points = std::move(prefixes);
    return SQLITE_OK;
  }
  std::string lower, upper;
  if (has_lower && !ComponentOf(t, prefix_len, argv[a++], &lower)) *empty = true;
  if (has_upper && !ComponentOf(t, prefix_len, argv[a++], &upper)) *empty = true;
  if (*empty) return SQLITE_OK;
  const bool desc = prefix_len < n && s.key_desc[prefix_len];
  for (const std::string& p : prefixes) {
    KeyRange r;
    if (!p.empty()) {
      r.lo = p;
      r.has_lo = r.lo_incl = true;
      r.hi = PrefixSuccessor(p);
      r.has_hi = !r.hi.empty();
    }
    if (has_lower && !ApplyBound(&r, p, lower, true, idx & kPlanLowerGe, desc)) continue;
    if (has_upper && !ApplyBound(&r, p, upper, false, idx & kPlanUpperLe, desc)) continue;
    ranges->push_back(std::move(r));
  }
  if (ranges->empty()) *empty = true;
  return SQLITE_OK;
}

}  // namespace lightning::ext
