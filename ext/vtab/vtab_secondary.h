// Secondary indexes (vtab_secondary.cc, vtab_secondary_index.cc): what the
// SQL functions lightning_create_index/lightning_drop_index, the connect
// path and lightning_check use. The write path's hooks are in vtab.h.
#pragma once

#include <string>
#include <vector>

#include "ext/vtab/vtab.h"

namespace lightning::ext {

// At xConnect (not xCreate): appends the catalog's indexes of table t to
// t->schema.indexes. Corruption if an entry does not match the table.
Status LoadCatalogIndexes(LightningTable* t, Txn* txn);

// The entry of another row than old_key starting with `tuple` in index tree
// `tree`: *found and *other (its table key).
Status FindIndexConflict(WriteTxn* txn, TreeId tree, const std::string& tuple,
                         std::string_view old_key, std::string* other, bool* found);

// lightning_create_index: checks `index` against the table, builds its tree
// from the rows in `txn` (a UNIQUE index over duplicates fails as native
// CREATE UNIQUE INDEX: SQLITE_CONSTRAINT_UNIQUE), adds it to the catalog and
// to t's schema. On failure *err is the message and the caller rolls `txn`
// back to before the call. Returns an SQLite code.
int CreateIndex(LightningTable* t, WriteTxn* txn, IndexDef index, std::string* err);
// lightning_drop_index: drops a catalog index's tree and entry (a declared
// index cannot be dropped). Same contract.
int DropIndex(LightningTable* t, WriteTxn* txn, const std::string& name, std::string* err);

// lightning_check's index pass: every row of t has its entry in each index
// and every entry finds its row (with the values it indexes). Appends one
// line per problem to *problems; a Status for a failed read.
Status CheckIndexes(LightningTable* t, Txn* txn, std::vector<std::string>* problems);

// The same for the lightning table `table` of schema `schema` as this
// connection (db) knows it, after re-reading the store's index catalog;
// nothing when there is no such table.
Status CheckTableIndexes(sqlite3* db, const std::string& schema, const std::string& table,
                         std::vector<std::string>* problems);

// True if `tree` is the tree of an index of table `table` (lightning_stats).
bool IsIndexTreeOf(const std::string& tree, const std::string& table);

}  // namespace lightning::ext
