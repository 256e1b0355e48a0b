// UNIQUE constraints of lightning tables: `email TEXT UNIQUE`, `UNIQUE(a, b)`.
//
// Each constraint has a tree of its own in the table's store (UniqueTreeName),
// changed in the same engine write transaction as the row, so savepoints,
// statement rollback and crashes keep it consistent with the table. An entry
// maps the tuple encoding of the constrained columns (key_codec.h, every
// column ascending) to the table key of the row holding it. Rows with a NULL
// in any constrained column have no entry: NULLs are distinct, as native.
//
// Every conflict is found before the first change (SQLITE_VTAB_CONSTRAINT_
// SUPPORT's contract). OR IGNORE skips the row; OR REPLACE deletes every
// conflicting row, with its entries; otherwise the error names the
// constraint native SQLite would name: the rowid first, then the key and the
// UNIQUE constraints newest first (native checks its indexes in that order).
#include "ext/session.h"
#include "ext/vtab/key_codec.h"
#include "ext/vtab/record.h"
#include "ext/vtab/vtab.h"
#include "vfs/status_to_sqlite.h"

namespace lightning::ext {

std::string UniqueTreeName(const std::string& table, size_t i) {
  return table + "\x1funique" + std::to_string(i + 1);
}

bool RowDecoder::Decode(const LightningTable* t) {
  if (!reader.Parse(record)) return false;
  const TableSchema& s = t->schema;
  values.assign(s.columns.size(), SqlValue::Null());
  for (size_t i = 0; i < s.columns.size(); ++i)
    if (t->record_slot[i] >= 0) values[i] = reader.Column(static_cast<size_t>(t->record_slot[i]));
  switch (s.key_kind) {
    case KeyKind::kRowid:
      return true;
    case KeyKind::kIntegerPrimaryKey: {
      int64_t rowid;
      if (!DecodeIntegerKey(key, &rowid)) return false;
      values[static_cast<size_t>(s.key_column)] = SqlValue::Integer(rowid);
      return true;
    }
    case KeyKind::kWithoutRowid: {
      Affinity a = s.columns[static_cast<size_t>(s.key_column)].affinity;
      bool prefer_real =
          a == Affinity::kReal || (a == Affinity::kBlob && (reader.flags() & kRecordKeyIsReal));
      return DecodeKey(key, prefer_real, &values[static_cast<size_t>(s.key_column)]);
    }
    case KeyKind::kComposite: {
      uint64_t mask = 0;
      if (t->key_real_slot >= 0) {
        SqlValue m = reader.Column(static_cast<size_t>(t->key_real_slot));
        if (m.type == SqlValue::Type::kInteger) mask = static_cast<uint64_t>(m.i);
      }
      if (!DecodeKeyTuple(t, key, mask, &tuple, &tuple_bytes)) return false;
      for (size_t j = 0; j < s.key_columns.size(); ++j)
        values[static_cast<size_t>(s.key_columns[j])] = tuple[j];
      return true;
    }
  }
  return false;
}

namespace {

// The entry key of constraint `u` for a row; false when a column is NULL.
bool UniqueTuple(const UniqueConstraint& u, const std::vector<SqlValue>& values, std::string* out) {
  out->clear();
  for (int c : u.columns) {
    const SqlValue& v = values[static_cast<size_t>(c)];
    if (v.is_null()) return false;
    AppendKeyComponent(v, false, out);
  }
  return true;
}

int StatusError(LightningTable* t, const Status& s) {
  return SetTableError(t, StatusToSqliteCode(s, SqliteContext::kWrite),
                       "lightning: table " + t->name + ": " + StatusToSqliteMessage(s));
}

// Reads the row stored under `key` into *row; *found says whether it exists.
int ReadRow(LightningTable* t, WriteTxn* txn, std::string_view key, RowDecoder* row, bool* found) {
  Slice view;
  Status s = txn->GetView(t->tree, key, &view);
  *found = s.ok();
  if (s.IsNotFound()) return SQLITE_OK;
  if (!s.ok()) return StatusError(t, s);
  row->key.assign(key);
  row->record.assign(view);
  if (row->Decode(t)) return SQLITE_OK;
  return SetTableError(t, SQLITE_CORRUPT_VTAB, "lightning: table " + t->name + ": malformed row");
}

// One failed constraint: -1 the key, else an index into schema.uniques.
struct Conflict {
  int constraint;
  std::string row_key;
};

int ConflictError(LightningTable* t, const std::vector<Conflict>& conflicts) {
  const TableSchema& s = t->schema;
  // The rowid first; then the newest declared constraint.
  auto rank = [&](const Conflict& c) {
    if (c.constraint < 0) return t->has_rowid() ? 1 << 30 : s.key_seq;
    // UNIQUE INDEXes come after every constraint (as CREATE INDEX after
    // CREATE TABLE), each newer than the one before.
    if (static_cast<size_t>(c.constraint) >= s.uniques.size()) return (1 << 20) + c.constraint;
    return s.uniques[static_cast<size_t>(c.constraint)].seq;
  };
  const Conflict* first = &conflicts[0];
  for (const Conflict& c : conflicts)
    if (rank(c) > rank(*first)) first = &c;
  if (first->constraint < 0) return KeyConflictError(t);
  const size_t u = static_cast<size_t>(first->constraint);
  std::string names;
  for (int col :
       u < s.uniques.size() ? s.uniques[u].columns : s.indexes[u - s.uniques.size()].columns)
    names += (names.empty() ? "" : ", ") + t->name + "." + t->column_name(col);
  return SetTableError(t, SQLITE_CONSTRAINT_UNIQUE, "UNIQUE constraint failed: " + names);
}

}  // namespace

int KeyConflictError(LightningTable* t) {
  if (t->schema.composite())
    return SetTableError(t, SQLITE_CONSTRAINT_PRIMARYKEY,
                         "UNIQUE constraint failed: " + KeyConstraintName(t));
  // As native: a rowid clash is CONSTRAINT_ROWID, a key clash CONSTRAINT_PRIMARYKEY.
  return SetTableError(t,
                       t->key_column() < 0 ? SQLITE_CONSTRAINT_ROWID : SQLITE_CONSTRAINT_PRIMARYKEY,
                       "UNIQUE constraint failed: " + t->name + "." + t->key_name());
}

int DeleteRowAndEntries(LightningTable* t, WriteTxn* txn, std::string_view key) {
  RowDecoder row;
  bool found = false;
  if (int rc = ReadRow(t, txn, key, &row, &found)) return rc;
  if (!found) return SQLITE_OK;
  std::string tuple;
  for (size_t i = 0; i < t->schema.uniques.size(); ++i) {
    if (!UniqueTuple(t->schema.uniques[i], row.values, &tuple)) continue;
    Status s = txn->Delete(t->unique_trees[i], tuple);
    if (!s.ok() && !s.IsNotFound()) return StatusError(t, s);
  }
  if (int rc = WriteIndexEntries(t, txn, key, &row.values, {}, nullptr)) return rc;
  Status s = txn->Delete(t->tree, key);
  if (!s.ok()) return StatusError(t, s);
  t->session->NoteChange();
  return SQLITE_OK;
}

int WriteRowAndEntries(LightningTable* t, WriteTxn* txn, std::string_view old_key,
                       const std::string& new_key, const std::string& record,
                       const std::vector<SqlValue>& values) {
  const auto& uniques = t->schema.uniques;
  const size_t n = uniques.size();
  const bool insert = old_key.empty();
  std::vector<std::string> new_tuples(n), old_tuples(n);
  std::vector<bool> has_new(n), has_old(n, false);
  for (size_t i = 0; i < n; ++i) has_new[i] = UniqueTuple(uniques[i], values, &new_tuples[i]);
  RowDecoder old_row;
  if (!insert) {
    bool found = false;
    if (int rc = ReadRow(t, txn, old_key, &old_row, &found)) return rc;
    // An OR REPLACE earlier in this statement deleted the row: native SQLite
    // skips it, where writing it would bring it back.
    if (!found) return SQLITE_OK;
    for (size_t i = 0; i < n; ++i)
      has_old[i] = UniqueTuple(uniques[i], old_row.values, &old_tuples[i]);
  }
  auto same_entry = [&](size_t i) { return has_old[i] && old_tuples[i] == new_tuples[i]; };

  // Every conflict, before any change.
  std::vector<Conflict> conflicts;
  Slice view;
  if (insert || old_key != new_key) {
    Status s = txn->GetView(t->tree, new_key, &view);
    if (s.ok()) conflicts.push_back({-1, new_key});
    if (!s.ok() && !s.IsNotFound()) return StatusError(t, s);
  }
  for (size_t i = 0; i < n; ++i) {
    if (!has_new[i] || same_entry(i)) continue;
    Status s = txn->GetView(t->unique_trees[i], new_tuples[i], &view);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return StatusError(t, s);
    if (std::string_view(view) != old_key)
      conflicts.push_back({static_cast<int>(i), std::string(view)});
  }
  std::vector<std::pair<int, std::string>> index_conflicts;
  if (int rc = IndexConflicts(t, txn, old_key, values, &index_conflicts)) return rc;
  for (auto& [constraint, row_key] : index_conflicts)
    conflicts.push_back({constraint, std::move(row_key)});
  if (!conflicts.empty()) {
    switch (sqlite3_vtab_on_conflict(t->db)) {
      case SQLITE_REPLACE:
        for (const Conflict& c : conflicts)
          if (int rc = DeleteRowAndEntries(t, txn, c.row_key)) return rc;
        break;
      case SQLITE_IGNORE:
        return SQLITE_CONSTRAINT;  // SQLite skips this row
      default:
        return ConflictError(t, conflicts);
    }
  }

  // The old row's entries that change, the row, the new entries.
  for (size_t i = 0; i < n; ++i) {
    if (!has_old[i] || same_entry(i)) continue;
    Status s = txn->Delete(t->unique_trees[i], old_tuples[i]);
    if (!s.ok() && !s.IsNotFound()) return StatusError(t, s);
  }
  Status s;
  if (!insert && old_key != new_key) s = txn->Delete(t->tree, old_key);
  if (s.ok()) s = txn->Put(t->tree, new_key, record);
  for (size_t i = 0; i < n && s.ok(); ++i)
    if (has_new[i] && (!same_entry(i) || old_key != new_key))
      s = txn->Put(t->unique_trees[i], new_tuples[i], new_key);
  if (!s.ok()) return StatusError(t, s);
  if (int rc =
          WriteIndexEntries(t, txn, old_key, insert ? nullptr : &old_row.values, new_key, &values))
    return rc;
  t->session->NoteChange();
  return SQLITE_OK;
}

}  // namespace lightning::ext
