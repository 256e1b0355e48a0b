// xUpdate for lightning tables: INSERT, UPDATE (including key changes) and
// DELETE, with the statement's conflict mode.
//
// SQLite enforces neither the PRIMARY KEY nor NOT NULL for virtual tables; this
// file does, with native SQLite's messages ("UNIQUE constraint failed: t.k",
// "NOT NULL constraint failed: t.c", "datatype mismatch"), and has the CHECK
// constraints evaluated (vtab_check.cc). Every check happens
// before the first change, so a call that fails leaves the table exactly as it
// was (SQLITE_VTAB_CONSTRAINT_SUPPORT's contract). Returning SQLITE_CONSTRAINT
// under OR IGNORE makes SQLite skip the row; OR REPLACE is done here (the
// conflicting row is overwritten); ABORT, FAIL and ROLLBACK are carried out by
// SQLite with the statement and transaction savepoints (session.h).
#include "ext/session.h"
#include "ext/vtab/key_codec.h"
#include "ext/vtab/record.h"
#include "ext/vtab/vtab.h"
#include "vfs/status_to_sqlite.h"

namespace lightning::ext {
namespace {

class Updater {
 public:
  explicit Updater(LightningTable* t)
      : t_(t),
        txn_(t->session->write_txn()),
        scratch_(t->update_buffers.scratch),
        values_(t->update_buffers.values),
        stored_(t->update_buffers.stored),
        new_key_(t->update_buffers.new_key),
        old_key_(t->update_buffers.old_key),
        record_(t->update_buffers.record) {}

  int Delete(sqlite3_value* old_key) {
    if (int rc = CheckReentry(t_)) return rc;
    OldKey(old_key, &old_key_);
    if (t_->has_entries()) return DeleteRowAndEntries(t_, txn_, old_key_);
    return Check(txn_->Delete(t_->tree, old_key_), SqliteContext::kWrite);
  }

  int Write(int argc, sqlite3_value** argv, sqlite3_int64* rowid) {
    if (int rc = CheckReentry(t_)) return rc;
    const auto& cols = t_->schema.columns;
    const bool composite = t_->schema.composite();
    if (argc != static_cast<int>(cols.size()) + 2 + (composite ? 1 : 0))
      return SetTableError(t_, SQLITE_ERROR,
                           "lightning: xUpdate with an unexpected number of values");
    bool insert = sqlite3_value_type(argv[0]) == SQLITE_NULL;
    scratch_.resize(cols.size());
    values_.resize(cols.size());
    for (size_t i = 0; i < cols.size(); ++i)
      values_[i] = ApplyAffinity(argv[2 + i], cols[i].affinity, &scratch_[i]);

    // The new key.
    int64_t new_rowid = 0;
    if (t_->has_rowid()) {
      int rc = NewRowid(insert, argv, &new_rowid);
      if (rc != SQLITE_OK) return rc;
      EncodeKey(SqlValue::Integer(new_rowid), &new_key_);
      if (t_->key_column() >= 0) values_[t_->key_column()] = SqlValue::Integer(new_rowid);
    } else if (!composite) {
      const SqlValue& k = values_[t_->key_column()];
      if (k.is_null()) return NotNull(t_->key_column());
      EncodeKey(k, &new_key_);
    }
    for (size_t i = 0; i < cols.size(); ++i)
      if (cols[i].not_null && values_[i].is_null()) return NotNull(static_cast<int>(i));
    if (composite)
      if (int rc = CheckHiddenKey(insert, argv)) return rc;
    // CHECK after NOT NULL, before the key and UNIQUE constraints, as native.
    if (int rc = EvaluateChecks(t_, values_, new_rowid)) return rc;
    if (composite) EncodeKeyTuple(t_, values_, &new_key_);
    // A composite key is limited as a whole (its encoding), others by value.
    const size_t key_size = composite ? new_key_.size() : KeyValueSize(new_key_);
    if (key_size > t_->max_key_value_size)
      return SetTableError(t_, SQLITE_TOOBIG,
                           std::string("lightning: ") + (composite ? "encoded key" : "key") +
                               " of " + std::to_string(key_size) + " bytes exceeds the " +
                               std::to_string(t_->max_key_value_size) +
                               "-byte key limit of table " + t_->name);

    // The record.
    stored_.clear();
    for (size_t i = 0; i < cols.size(); ++i)
      if (t_->record_slot[i] >= 0) stored_.push_back(values_[i]);
    uint8_t flags = 0;
    if (t_->key_column() >= 0 && !t_->has_rowid() &&
        values_[t_->key_column()].type == SqlValue::Type::kReal)
      flags |= kRecordKeyIsReal;
    if (t_->key_real_slot >= 0) stored_.push_back(SqlValue::Integer(KeyRealMask()));
    EncodeRecord(stored_, flags, &record_);
    if (record_.size() > kMaxValueSize)
      return SetTableError(t_, SQLITE_TOOBIG,
                           "lightning: row of " + std::to_string(record_.size()) +
                               " bytes exceeds the " + std::to_string(kMaxValueSize) +
                               "-byte limit of table " + t_->name);

    if (insert)
      old_key_.clear();
    else
      OldKey(argv[0], &old_key_);
    if (t_->has_entries()) {
      int rc = WriteRowAndEntries(t_, txn_, old_key_, new_key_, record_, values_);
      if (rc == SQLITE_OK && t_->has_rowid()) *rowid = new_rowid;
      return rc;
    }
    if (insert || old_key_ != new_key_) {
      int rc = CheckUnique();
      if (rc != SQLITE_OK) return rc;
    }
    if (!insert && old_key_ != new_key_) {
      int rc = Check(txn_->Delete(t_->tree, old_key_), SqliteContext::kWrite);
      if (rc != SQLITE_OK) return rc;
    }
    int rc = Check(txn_->Put(t_->tree, new_key_, record_), SqliteContext::kWrite);
    if (rc == SQLITE_OK && t_->has_rowid()) *rowid = new_rowid;
    return rc;
  }

 private:
  void OldKey(sqlite3_value* v, std::string* key) {
    if (t_->schema.composite())  // the hidden key column, as xColumn returned it
      key->assign(static_cast<const char*>(sqlite3_value_blob(v)),
                  static_cast<size_t>(sqlite3_value_bytes(v)));
    else if (t_->has_rowid())
      EncodeKey(SqlValue::Integer(sqlite3_value_int64(v)), key);
    else
      EncodeKey(FromSqlite(v), key);  // the key as xColumn returned it
  }

  int Check(const Status& s, SqliteContext context) {
    if (s.ok()) {
      t_->session->NoteChange();
      return SQLITE_OK;
    }
    return SetTableError(t_, StatusToSqliteCode(s, context),
                         "lightning: table " + t_->name + ": " + StatusToSqliteMessage(s));
  }

  int NotNull(int column) {
    return SetTableError(t_, SQLITE_CONSTRAINT_NOTNULL,
                         "NOT NULL constraint failed: " + t_->name + "." + t_->column_name(column));
  }

  // The hidden key column of a composite key cannot be written: NULL in an
  // INSERT, unchanged in an UPDATE.
  int CheckHiddenKey(bool insert, sqlite3_value** argv) {
    sqlite3_value* given = argv[2 + t_->schema.hidden_key_index()];
    bool ok = insert
                  ? sqlite3_value_type(given) == SQLITE_NULL
                  : sqlite3_value_type(argv[1]) == SQLITE_BLOB &&
                        sqlite3_value_bytes(argv[1]) == sqlite3_value_bytes(argv[0]) &&
                        std::string_view(static_cast<const char*>(sqlite3_value_blob(argv[1])),
                                         static_cast<size_t>(sqlite3_value_bytes(argv[1]))) ==
                            std::string_view(static_cast<const char*>(sqlite3_value_blob(argv[0])),
                                             static_cast<size_t>(sqlite3_value_bytes(argv[0])));
    if (ok) return SQLITE_OK;
    return SetTableError(t_, SQLITE_ERROR,
                         "lightning: column " + t_->schema.hidden_key_name + " of table " +
                             t_->name + " is the encoded key and cannot be written");
  }

  // Bit j: key column j holds a REAL (record slot key_real_slot).
  int64_t KeyRealMask() const {
    int64_t mask = 0;
    const auto& key_columns = t_->schema.key_columns;
    for (size_t j = 0; j < key_columns.size(); ++j)
      if (values_[static_cast<size_t>(key_columns[j])].type == SqlValue::Type::kReal)
        mask |= int64_t{1} << j;
    return mask;
  }

  int Mismatch() { return SetTableError(t_, SQLITE_MISMATCH, "datatype mismatch"); }

  // An INTEGER rowid from `v` (INTEGER affinity applied); false if it is not one.
  static bool AsRowid(sqlite3_value* v, int64_t* out) {
    std::string scratch;
    SqlValue x = ApplyAffinity(v, Affinity::kInteger, &scratch);
    if (x.type != SqlValue::Type::kInteger) return false;
    *out = x.i;
    return true;
  }

  // The rowid of the new row: for an INTEGER PRIMARY KEY table the key
  // column's value wins over argv[1] (SQLite passes `rowid` there).
  int NewRowid(bool insert, sqlite3_value** argv, int64_t* out) {
    int kc = t_->key_column();
    sqlite3_value* ipk = kc >= 0 ? argv[2 + kc] : nullptr;
    if (insert) {
      sqlite3_value* given = ipk && sqlite3_value_type(ipk) != SQLITE_NULL ? ipk : argv[1];
      if (sqlite3_value_type(given) == SQLITE_NULL) return AutoRowid(out);
      return AsRowid(given, out) ? SQLITE_OK : Mismatch();
    }
    int64_t old_rowid = sqlite3_value_int64(argv[0]);
    if (ipk != nullptr) {
      if (sqlite3_value_type(ipk) == SQLITE_NULL) return Mismatch();
      int64_t v;
      if (!AsRowid(ipk, &v)) return Mismatch();
      if (v != old_rowid) {
        *out = v;
        return SQLITE_OK;
      }
    }
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL) return Mismatch();
    return AsRowid(argv[1], out) ? SQLITE_OK : Mismatch();
  }

  // Largest rowid + 1; random free rowids once the largest is INT64_MAX.
  int AutoRowid(int64_t* out) {
    auto c = txn_->NewCursor(t_->tree);
    if (!c.ok()) return Check(c.status(), SqliteContext::kGeneral);
    Cursor* it = c.value().get();
    it->SeekToLast();
    if (!it->status().ok()) return Check(it->status(), SqliteContext::kGeneral);
    if (!it->Valid()) {
      *out = 1;
      return SQLITE_OK;
    }
    SqlValue last;
    if (!DecodeKey(it->key(), false, &last) || last.type != SqlValue::Type::kInteger)
      return SetTableError(t_, SQLITE_CORRUPT_VTAB,
                           "lightning: table " + t_->name + ": malformed rowid key");
    if (last.i < INT64_MAX) {
      *out = last.i + 1;
      return SQLITE_OK;
    }
    for (int attempt = 0; attempt < 100; ++attempt) {
      int64_t r;
      sqlite3_randomness(sizeof r, &r);
      r &= INT64_MAX;
      if (r == 0) continue;
      std::string_view view;
      Status s = txn_->GetView(t_->tree, EncodeIntegerKey(r), &view);
      if (s.IsNotFound()) {
        *out = r;
        return SQLITE_OK;
      }
      if (!s.ok()) return Check(s, SqliteContext::kGeneral);
    }
    return SetTableError(t_, SQLITE_FULL, "database or disk is full");
  }

  // Handles an existing row at new_key_ per the conflict mode.
  int CheckUnique() {
    std::string_view view;
    Status s = txn_->GetView(t_->tree, new_key_, &view);
    if (s.IsNotFound()) return SQLITE_OK;
    if (!s.ok()) return Check(s, SqliteContext::kGeneral);
    switch (sqlite3_vtab_on_conflict(t_->db)) {
      case SQLITE_REPLACE:
        return SQLITE_OK;  // the Put overwrites it
      case SQLITE_IGNORE:
        return SQLITE_CONSTRAINT;  // SQLite skips this row
      default:
        return KeyConflictError(t_);
    }
  }

  LightningTable* t_;
  WriteTxn* txn_;
  // The table's update_buffers (see vtab.h).
  std::vector<std::string>& scratch_;
  std::vector<SqlValue>& values_;
  std::vector<SqlValue>& stored_;
  std::string& new_key_;
  std::string& old_key_;
  std::string& record_;
};

}  // namespace

int LightningUpdate(sqlite3_vtab* vtab, int argc, sqlite3_value** argv,
                    sqlite3_int64* rowid) noexcept {
  auto* t = reinterpret_cast<LightningTable*>(vtab);
  return Guarded(t, [&] {
    if (int rc = MissingTreeError(t)) return rc;
    if (!t->session->writing())
      return SetTableError(t, SQLITE_MISUSE,
                           "lightning: write to table " + t->name + " outside a transaction");
    if (int rc = RefreshIndexes(t, t->session->write_txn())) return rc;
    Updater u(t);
    if (argc == 1) return u.Delete(argv[0]);
    return u.Write(argc, argv, rowid);
  });
}

}  // namespace lightning::ext
