// lightning_check's pass over secondary indexes: each index tree against its
// table, in one snapshot. Every row must have exactly the entry its values
// give, every entry must find its row (and be the entry of that row), and a
// UNIQUE index must not hold two entries with the same non-NULL values.
#include "ext/connection.h"
#include "ext/session.h"
#include "ext/vtab/vtab_secondary.h"

namespace lightning::ext {
namespace {

constexpr size_t kMaxProblemsPerIndex = 20;

std::string Hex(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes.substr(0, 32)) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  if (bytes.size() > 32) out += "...";
  return out;
}

// Rows of the table without their entry in index i.
Status CheckRows(LightningTable* t, Txn* txn, size_t i, const std::string& what,
                 std::vector<std::string>* problems, size_t* found) {
  auto c = txn->NewCursor(t->tree);
  if (!c.ok()) return c.status();
  Cursor* it = c.value().get();
  RowDecoder row;
  std::string entry;
  Slice view;
  for (it->SeekToFirst(); it->Valid() && *found < kMaxProblemsPerIndex; it->Next()) {
    row.key.assign(it->key());
    row.record.assign(it->value());
    if (!row.Decode(t)) continue;  // the table's own check reports malformed rows
    IndexEntry(t, i, row.values, row.key, &entry);
    Status s = txn->GetView(t->index_trees[i], entry, &view);
    if (s.IsNotFound()) {
      problems->push_back(what + ": the row with key " + Hex(row.key) + " has no entry");
      ++*found;
    } else if (!s.ok()) {
      return s;
    }
  }
  return it->status();
}

// Entries of index i without their row, or not the entry of their row.
Status CheckEntries(LightningTable* t, Txn* txn, size_t i, const std::string& what,
                    std::vector<std::string>* problems, size_t* found) {
  auto c = txn->NewCursor(t->index_trees[i]);
  if (!c.ok()) return c.status();
  Cursor* it = c.value().get();
  std::vector<SqlValue> values;
  std::vector<std::string> bytes;
  RowDecoder row;
  std::string expected, previous_tuple;
  bool previous_unique = false;
  Slice view;
  for (it->SeekToFirst(); it->Valid() && *found < kMaxProblemsPerIndex; it->Next()) {
    const std::string entry(it->key());
    size_t tuple_len = 0;
    if (!DecodeIndexEntry(t, t->schema.indexes[i], entry, &values, &bytes, &tuple_len)) {
      problems->push_back(what + ": malformed entry " + Hex(entry));
      ++*found;
      continue;
    }
    const std::string_view key = std::string_view(entry).substr(tuple_len);
    Status s = txn->GetView(t->tree, key, &view);
    if (s.IsNotFound()) {
      problems->push_back(what + ": entry " + Hex(entry) + " names a row that does not exist");
      ++*found;
      continue;
    }
    LIGHTNING_RETURN_IF_ERROR(s);
    row.key.assign(key);
    row.record.assign(view);
    if (!row.Decode(t)) continue;
    IndexEntry(t, i, row.values, row.key, &expected);
    if (expected != entry) {
      problems->push_back(what + ": entry " + Hex(entry) + " does not match the values of its row");
      ++*found;
    }
    bool no_null = true;
    for (const SqlValue& v : values) no_null = no_null && !v.is_null();
    const std::string tuple = entry.substr(0, tuple_len);
    if (t->schema.indexes[i].unique && no_null && previous_unique && tuple == previous_tuple) {
      problems->push_back(what + ": UNIQUE index holds two rows with the values " + Hex(tuple));
      ++*found;
    }
    previous_tuple = tuple;
    previous_unique = no_null;
  }
  return it->status();
}

}  // namespace

Status CheckIndexes(LightningTable* t, Txn* txn, std::vector<std::string>* problems) {
  for (size_t i = 0; i < t->schema.indexes.size(); ++i) {
    TreeId tree;
    const std::string what = "index " + t->schema.indexes[i].name + " of table " + t->name;
    Status s = txn->OpenTree(IndexTreeName(t->name, t->schema.indexes[i].name), &tree);
    if (s.IsNotFound()) {
      problems->push_back(what + ": its tree is missing");
      continue;
    }
    LIGHTNING_RETURN_IF_ERROR(s);
    t->index_trees[i] = tree;
    size_t found = 0;
    LIGHTNING_RETURN_IF_ERROR(CheckRows(t, txn, i, what, problems, &found));
    LIGHTNING_RETURN_IF_ERROR(CheckEntries(t, txn, i, what, problems, &found));
  }
  return Status::OK();
}

Status CheckTableIndexes(sqlite3* db, const std::string& schema, const std::string& table,
                         std::vector<std::string>* problems) {
  Connection* conn = Connection::Find(db);
  LightningTable* t = conn != nullptr ? conn->FindTable(schema, table) : nullptr;
  if (t == nullptr || !t->missing_tree.empty()) return Status::OK();
  if (t->session->writing()) {
    LIGHTNING_RETURN_IF_ERROR(LoadCatalogIndexes(t, t->session->write_txn()));
    t->index_trees.resize(t->schema.indexes.size());
    t->index_txn = UINT64_MAX;
    return CheckIndexes(t, t->session->write_txn(), problems);
  }
  auto r = t->session->db()->BeginRead();
  if (!r.ok()) return r.status();
  LIGHTNING_RETURN_IF_ERROR(LoadCatalogIndexes(t, r.value().get()));
  t->index_trees.resize(t->schema.indexes.size());
  t->index_txn = UINT64_MAX;  // the next write re-reads the catalog and its trees
  return CheckIndexes(t, r.value().get(), problems);
}

bool IsIndexTreeOf(const std::string& tree, const std::string& table) {
  const std::string prefix = table + "\x1findex\x1f";
  return tree.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace lightning::ext
