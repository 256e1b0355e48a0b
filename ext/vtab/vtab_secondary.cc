// Secondary indexes of lightning tables: `INDEX ix(a, b DESC)` and `UNIQUE
// INDEX ux(email)` among the module arguments, or added later with
// lightning_create_index(table, name, columns [, unique]).
//
// Each index has a tree in the table's store (IndexTreeName), changed in the
// same engine write transaction as the row, so savepoints, statement
// rollback and crashes keep it consistent with the table. An entry's key is
// the tuple encoding of the indexed columns (key_codec.h, each column in its
// declared direction, NULL included) followed by the row's table key; its
// value is empty. The tuple part is prefix-free, so the table key is the rest
// of the entry and a covering read decodes both from the entry alone. A
// UNIQUE INDEX uses the same layout: a conflict is an entry starting with the
// new row's tuple that belongs to another row (rows with a NULL in an indexed
// column never conflict, as native).
//
// Indexes added by lightning_create_index live in the store's catalog tree
// kIndexCatalogTree: key "<table>\x1f<index name>", value "U" or "I" followed
// by the column list text ("a, b DESC"). Connections read it at xConnect, at
// every xBestIndex (ReloadIndexes) and at the first write of each write
// transaction (RefreshIndexes), so a connection never writes rows without the
// entries another connection's new index needs.
#include "ext/vtab/vtab_secondary.h"

#include "ext/session.h"
#include "ext/vtab/key_codec.h"
#include "ext/vtab/sql_tokens.h"
#include "ext/vtab/vtab.h"
#include "vfs/status_to_sqlite.h"

namespace lightning::ext {
namespace {

int StatusError(LightningTable* t, const Status& s) {
  return SetTableError(t, StatusToSqliteCode(s, SqliteContext::kWrite),
                       "lightning: table " + t->name + ": " + StatusToSqliteMessage(s));
}

std::string CatalogPrefix(const std::string& table) { return table + "\x1f"; }

// The catalog's entries of `table`: (index name, value).
Status ReadCatalog(Txn* txn, const std::string& table,
                   std::vector<std::pair<std::string, std::string>>* out) {
  out->clear();
  TreeId catalog;
  Status s = txn->OpenTree(kIndexCatalogTree, &catalog);
  if (s.IsNotFound()) return Status::OK();
  LIGHTNING_RETURN_IF_ERROR(s);
  auto c = txn->NewCursor(catalog);
  if (!c.ok()) return c.status();
  Cursor* it = c.value().get();
  const std::string prefix = CatalogPrefix(table);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    std::string_view k = it->key();
    if (k.substr(0, prefix.size()) != prefix) break;
    out->emplace_back(std::string(k.substr(prefix.size())), std::string(it->value()));
  }
  return it->status();
}

// The schema's indexes: the declared ones, then the catalog's `entries`.
Status CatalogIndexes(const TableSchema& schema,
                      const std::vector<std::pair<std::string, std::string>>& entries,
                      std::vector<IndexDef>* out) {
  out->clear();
  for (const IndexDef& d : schema.indexes)
    if (d.declared) out->push_back(d);
  for (const auto& [name, value] : entries) {
    IndexDef index;
    index.name = name;
    index.declared = false;
    index.unique = !value.empty() && value[0] == 'U';
    Status s = value.empty() ? Status::InvalidArgument("empty")
                             : ParseIndexColumns(std::string_view(value).substr(1), schema, &index);
    if (!s.ok())
      return Status::Corruption("the store's index catalog entry for index " + name +
                                " does not match the table: " + s.message());
    out->push_back(std::move(index));
  }
  return Status::OK();
}

// Opens the tree of every index of t->schema into t->index_trees.
Status OpenIndexTrees(LightningTable* t, Txn* txn) {
  t->index_trees.assign(t->schema.indexes.size(), 0);
  for (size_t i = 0; i < t->schema.indexes.size(); ++i)
    LIGHTNING_RETURN_IF_ERROR(
        txn->OpenTree(IndexTreeName(t->name, t->schema.indexes[i].name), &t->index_trees[i]));
  return Status::OK();
}

// The tuple part of index i's entry; false when a column is NULL.
bool IndexTuple(const LightningTable* t, size_t i, const std::vector<SqlValue>& values,
                std::string* out) {
  const IndexDef& index = t->schema.indexes[i];
  out->clear();
  bool no_null = true;
  for (size_t j = 0; j < index.columns.size(); ++j) {
    const SqlValue& v = values[static_cast<size_t>(index.columns[j])];
    no_null = no_null && !v.is_null();
    AppendKeyComponent(v, index.desc[j], out);
  }
  return no_null;
}

}  // namespace

std::string IndexTreeName(const std::string& table, const std::string& index) {
  return table + "\x1findex\x1f" + sql_tokens::Lower(index);
}

Status LoadCatalogIndexes(LightningTable* t, Txn* txn) {
  std::vector<std::pair<std::string, std::string>> entries;
  LIGHTNING_RETURN_IF_ERROR(ReadCatalog(txn, t->name, &entries));
  std::vector<IndexDef> indexes;
  LIGHTNING_RETURN_IF_ERROR(CatalogIndexes(t->schema, entries, &indexes));
  t->schema.indexes = std::move(indexes);
  return Status::OK();
}

namespace {

int Reload(LightningTable* t, Txn* txn) {
  std::vector<std::pair<std::string, std::string>> entries;
  Status s = ReadCatalog(txn, t->name, &entries);
  std::vector<IndexDef> indexes;
  if (s.ok()) s = CatalogIndexes(t->schema, entries, &indexes);
  if (!s.ok()) return StatusError(t, s);
  bool same = indexes.size() == t->schema.indexes.size();
  for (size_t i = 0; same && i < indexes.size(); ++i) {
    const IndexDef& a = indexes[i];
    const IndexDef& b = t->schema.indexes[i];
    same = a.name == b.name && a.unique == b.unique && a.columns == b.columns && a.desc == b.desc;
  }
  if (!same) t->schema.indexes = std::move(indexes);
  // Reopened even when unchanged: another connection may have dropped and
  // created an index of the same name (a new tree).
  s = OpenIndexTrees(t, txn);
  if (!s.ok()) return StatusError(t, s);
  return SQLITE_OK;
}

}  // namespace

int RefreshIndexes(LightningTable* t, WriteTxn* txn) {
  if (t->index_txn == txn->id()) return SQLITE_OK;
  if (int rc = Reload(t, txn)) return rc;
  t->index_txn = txn->id();
  return SQLITE_OK;
}

int ReloadIndexes(LightningTable* t) {
  if (t->session->writing()) return RefreshIndexes(t, t->session->write_txn());
  auto r = t->session->db()->BeginRead();
  if (!r.ok()) return StatusError(t, r.status());
  return Reload(t, r.value().get());
}

void IndexEntry(const LightningTable* t, size_t i, const std::vector<SqlValue>& values,
                std::string_view table_key, std::string* out) {
  IndexTuple(t, i, values, out);
  out->append(table_key);
}

bool DecodeIndexEntry(const LightningTable* t, const IndexDef& index, std::string_view entry,
                      std::vector<SqlValue>* values, std::vector<std::string>* bytes,
                      size_t* tuple_len) {
  const size_t n = index.columns.size();
  values->resize(n);
  bytes->resize(n);
  size_t pos = 0;
  for (size_t j = 0; j < n; ++j) {
    const Affinity a = t->schema.columns[static_cast<size_t>(index.columns[j])].affinity;
    if (!DecodeKeyComponent(entry, &pos, index.desc[j], a == Affinity::kReal, &(*bytes)[j],
                            &(*values)[j]))
      return false;
  }
  *tuple_len = pos;
  return true;
}

Status FindIndexConflict(WriteTxn* txn, TreeId tree, const std::string& tuple,
                         std::string_view old_key, std::string* other, bool* found) {
  *found = false;
  auto c = txn->NewCursor(tree);
  if (!c.ok()) return c.status();
  Cursor* it = c.value().get();
  for (it->Seek(tuple); it->Valid(); it->Next()) {
    std::string_view k = it->key();
    if (k.substr(0, tuple.size()) != tuple) break;
    std::string_view row_key = k.substr(tuple.size());
    if (row_key == old_key) continue;
    other->assign(row_key);
    *found = true;
    return Status::OK();
  }
  return it->status();
}

int IndexConflicts(LightningTable* t, WriteTxn* txn, std::string_view old_key,
                   const std::vector<SqlValue>& values,
                   std::vector<std::pair<int, std::string>>* conflicts) {
  std::string tuple, other;
  for (size_t i = 0; i < t->schema.indexes.size(); ++i) {
    if (!t->schema.indexes[i].unique || !IndexTuple(t, i, values, &tuple)) continue;
    bool found = false;
    Status s = FindIndexConflict(txn, t->index_trees[i], tuple, old_key, &other, &found);
    if (!s.ok()) return StatusError(t, s);
    if (found) conflicts->emplace_back(static_cast<int>(t->schema.uniques.size() + i), other);
  }
  return SQLITE_OK;
}

int WriteIndexEntries(LightningTable* t, WriteTxn* txn, std::string_view old_key,
                      const std::vector<SqlValue>* old_values, std::string_view new_key,
                      const std::vector<SqlValue>* new_values) {
  std::string old_entry, new_entry;
  for (size_t i = 0; i < t->schema.indexes.size(); ++i) {
    if (old_values) IndexEntry(t, i, *old_values, old_key, &old_entry);
    if (new_values) IndexEntry(t, i, *new_values, new_key, &new_entry);
    if (old_values && new_values && old_entry == new_entry) continue;
    Status s;
    if (old_values) {
      s = txn->Delete(t->index_trees[i], old_entry);
      if (s.IsNotFound()) s = Status::OK();
    }
    if (s.ok() && new_values) s = txn->Put(t->index_trees[i], new_entry, {});
    if (!s.ok()) return StatusError(t, s);
  }
  return SQLITE_OK;
}

Status DropTableIndexes(LightningTable* t, WriteTxn* txn) {
  for (const IndexDef& index : t->schema.indexes) {
    Status s = txn->DropTree(IndexTreeName(t->name, index.name));
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  std::vector<std::pair<std::string, std::string>> entries;
  LIGHTNING_RETURN_IF_ERROR(ReadCatalog(txn, t->name, &entries));
  if (entries.empty()) return Status::OK();
  TreeId catalog;
  LIGHTNING_RETURN_IF_ERROR(txn->OpenTree(kIndexCatalogTree, &catalog));
  for (const auto& [name, value] : entries) {
    // Trees of catalog indexes this connection had not loaded yet.
    Status s = txn->DropTree(IndexTreeName(t->name, name));
    if (!s.ok() && !s.IsNotFound()) return s;
    LIGHTNING_RETURN_IF_ERROR(txn->Delete(catalog, CatalogPrefix(t->name) + name));
  }
  return Status::OK();
}

Status RenameTableIndexes(LightningTable* t, WriteTxn* txn, const std::string& new_name) {
  std::vector<std::pair<std::string, std::string>> entries;
  LIGHTNING_RETURN_IF_ERROR(ReadCatalog(txn, t->name, &entries));
  std::vector<IndexDef> indexes;
  LIGHTNING_RETURN_IF_ERROR(CatalogIndexes(t->schema, entries, &indexes));
  for (const IndexDef& index : indexes)
    LIGHTNING_RETURN_IF_ERROR(
        txn->RenameTree(IndexTreeName(t->name, index.name), IndexTreeName(new_name, index.name)));
  if (entries.empty()) return Status::OK();
  TreeId catalog;
  LIGHTNING_RETURN_IF_ERROR(txn->OpenTree(kIndexCatalogTree, &catalog));
  for (const auto& [name, value] : entries) {
    LIGHTNING_RETURN_IF_ERROR(txn->Delete(catalog, CatalogPrefix(t->name) + name));
    LIGHTNING_RETURN_IF_ERROR(txn->Put(catalog, CatalogPrefix(new_name) + name, value));
  }
  t->schema.indexes = std::move(indexes);
  return Status::OK();
}

int CreateIndex(LightningTable* t, WriteTxn* txn, IndexDef index, std::string* err) {
  if (int rc = RefreshIndexes(t, txn)) {
    *err = t->base.zErrMsg ? t->base.zErrMsg : "lightning: cannot read the index catalog";
    return rc;
  }
  index.declared = false;
  Status s = CheckNewIndex(t->schema, index);
  if (!s.ok()) {
    *err = "lightning_create_index: " + s.message();
    return SQLITE_ERROR;
  }
  auto fail = [&](const Status& st) {
    *err = "lightning_create_index: " + StatusToSqliteMessage(st);
    return StatusToSqliteCode(st, SqliteContext::kWrite);
  };
  const std::string tree_name = IndexTreeName(t->name, index.name);
  TreeId tree;
  s = txn->DropTree(tree_name);  // a leftover of an index whose catalog entry is gone
  if (s.ok() || s.IsNotFound()) s = txn->CreateTree(tree_name, &tree);
  if (!s.ok()) return fail(s);

  // The entries of the rows there are, checked for duplicates when UNIQUE.
  TableSchema& schema = t->schema;
  schema.indexes.push_back(index);
  t->index_trees.push_back(tree);
  const size_t i = schema.indexes.size() - 1;
  auto undo = [&] {
    schema.indexes.pop_back();
    t->index_trees.pop_back();
  };
  auto c = txn->NewCursor(t->tree);
  if (!c.ok()) {
    undo();
    return fail(c.status());
  }
  Cursor* it = c.value().get();
  RowDecoder row;
  std::string tuple, entry, other;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    row.key.assign(it->key());
    row.record.assign(it->value());
    if (!row.Decode(t)) {
      undo();
      *err = "lightning_create_index: table " + t->name + ": malformed row";
      return SQLITE_CORRUPT_VTAB;
    }
    const bool no_null = IndexTuple(t, i, row.values, &tuple);
    if (index.unique && no_null) {
      bool found = false;
      s = FindIndexConflict(txn, tree, tuple, row.key, &other, &found);
      if (s.ok() && found) {
        std::string names;
        for (int col : index.columns)
          names += (names.empty() ? "" : ", ") + t->name + "." + t->column_name(col);
        undo();
        *err = "UNIQUE constraint failed: " + names;
        return SQLITE_CONSTRAINT_UNIQUE;
      }
    }
    entry = tuple;
    entry += row.key;
    if (s.ok()) s = txn->Put(tree, entry, {});
    if (!s.ok()) {
      undo();
      return fail(s);
    }
  }
  if (!it->status().ok()) {
    undo();
    return fail(it->status());
  }
  TreeId catalog;
  s = txn->OpenTree(kIndexCatalogTree, &catalog);
  if (s.IsNotFound()) s = txn->CreateTree(kIndexCatalogTree, &catalog);
  if (s.ok())
    s = txn->Put(catalog, CatalogPrefix(t->name) + index.name,
                 (index.unique ? "U" : "I") + IndexColumnsText(schema, index));
  if (!s.ok()) {
    undo();
    return fail(s);
  }
  return SQLITE_OK;
}

int DropIndex(LightningTable* t, WriteTxn* txn, const std::string& name, std::string* err) {
  if (int rc = RefreshIndexes(t, txn)) {
    *err = t->base.zErrMsg ? t->base.zErrMsg : "lightning: cannot read the index catalog";
    return rc;
  }
  TableSchema& schema = t->schema;
  size_t i = 0;
  while (i < schema.indexes.size() &&
         sql_tokens::Lower(schema.indexes[i].name) != sql_tokens::Lower(name))
    ++i;
  if (i == schema.indexes.size()) {
    *err = "lightning_drop_index: no such index: " + name + " on table " + t->name;
    return SQLITE_ERROR;
  }
  if (schema.indexes[i].declared) {
    *err = "lightning_drop_index: index " + schema.indexes[i].name +
           " is declared in CREATE VIRTUAL TABLE " + t->name +
           " and lives as long as the table; only indexes added with lightning_create_index can "
           "be dropped";
    return SQLITE_ERROR;
  }
  TreeId catalog;
  Status s = txn->DropTree(IndexTreeName(t->name, schema.indexes[i].name));
  if (s.IsNotFound()) s = Status::OK();
  if (s.ok()) s = txn->OpenTree(kIndexCatalogTree, &catalog);
  if (s.ok()) s = txn->Delete(catalog, CatalogPrefix(t->name) + schema.indexes[i].name);
  if (!s.ok()) {
    *err = "lightning_drop_index: " + StatusToSqliteMessage(s);
    return StatusToSqliteCode(s, SqliteContext::kWrite);
  }
  schema.indexes.erase(schema.indexes.begin() + static_cast<std::ptrdiff_t>(i));
  t->index_trees.erase(t->index_trees.begin() + static_cast<std::ptrdiff_t>(i));
  return SQLITE_OK;
}

}  // namespace lightning::ext
