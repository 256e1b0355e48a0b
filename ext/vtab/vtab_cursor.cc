// Cursors of lightning tables: xOpen, xFilter, xNext, xEof, xColumn, xRowid,
// xClose.
//
// A cursor reads either the session's write transaction (when the connection
// is writing to the store: it sees its own changes) or a snapshot. Key = and
// IN plans look each key up with Txn::GetView (no engine cursor: a point
// lookup is one tree descent); range plans walk an engine cursor. On the
// write transaction the tree may change under the cursor (UPDATE and DELETE
// call xUpdate while their cursor is open); the engine cursor re-finds its
// place by key, and this cursor keeps copies of the current row, because views
// into the tree die with each change. When the write transaction ends while
// the cursor is still open (a COMMIT with a statement pending), the cursor
// drops its engine cursor and, on the next xNext, continues after the current
// key in whatever the session reads then.
#include <algorithm>

#include "ext/session.h"
#include "ext/vtab/key_codec.h"
#include "ext/vtab/record.h"
#include "ext/vtab/vtab.h"
#include "ext/vtab/vtab_plan.h"
#include "vfs/status_to_sqlite.h"

namespace lightning::ext {

class CursorObserver final : public TxnObserver {
 public:
  explicit CursorObserver(LightningCursor* c) : cursor_(c) {}
  void OnTxnEnd() noexcept override;

 private:
  LightningCursor* cursor_;
};

struct LightningCursor {
  sqlite3_vtab_cursor base;  // must stay first
  LightningTable* table = nullptr;
  CursorObserver observer{this};

  // The plan (from xFilter).
  int plan = 0;
  std::vector<std::string> keys;  // point plans (kPlanEq / kPlanIn), ascending
  size_t next_key = 0;            // index into keys (counting from the end when descending)
  // Range plans walk these in key order (backwards when descending); a point
  // plan checks its keys against ranges[0] when there is one.
  std::vector<KeyRange> ranges;
  size_t range_pos = 0;  // index into ranges (counting from the end when descending)
  int64_t limit = -1;    // rows still to return, -1 = unlimited

  // Reading state. `it` must be destroyed before `snapshot`. `txn` is what
  // the cursor reads (the write transaction or snapshot.get()); `it` exists
  // only for range plans.
  std::shared_ptr<ReadTxn> snapshot;
  Txn* txn = nullptr;
  std::unique_ptr<Cursor> it;
  bool on_write = false;  // `it` belongs to the session's write transaction
  bool detached = false;  // the write transaction ended under us
  bool eof = true;

  // The current row: views, backed by copies when reading the write txn. On
  // a snapshot a range plan takes them from the engine cursor only when
  // asked (Key(), Value()): a scan that reads neither never fetches them.
  std::string_view key, value;
  bool have_key = false, have_value = false;
  std::string key_copy, value_copy;
  RecordReader record;
  bool record_parsed = false;
  // Composite keys: the current key's columns, decoded on first use.
  std::vector<SqlValue> tuple;
  std::vector<std::string> tuple_bytes;  // TEXT/BLOB bytes of `tuple`
  bool tuple_decoded = false;

  bool desc() const { return plan & kPlanDesc; }
  bool point() const { return point_plan; }
  bool point_plan = false;
  int unique_index = -1;  // keys are entries of this UNIQUE constraint's tree
  // Secondary index plans: the index walked (its tree's entries are what
  // ranges bound), the current entry, and its indexed values (covering).
  int index = -1;
  IndexDef index_def;  // a copy: the table's list may change under an open cursor
  TreeId index_tree = 0;
  std::string entry_copy;
  std::vector<SqlValue> index_values;
  std::vector<std::string> index_bytes;
  bool key_only() const { return plan & kPlanKeyOnly; }

  // The current range. REQUIRES: !ranges.empty()
  const KeyRange& range() const {
    return ranges[desc() ? ranges.size() - 1 - range_pos : range_pos];
  }
  bool AboveLow(std::string_view k) const {
    if (ranges.empty() || !range().has_lo) return true;
    int c = k.compare(range().lo);
    return c > 0 || (c == 0 && range().lo_incl);
  }
  bool BelowHigh(std::string_view k) const {
    if (ranges.empty() || !range().has_hi) return true;
    int c = k.compare(range().hi);
    return c < 0 || (c == 0 && range().hi_incl);
  }

  void Reset() {
    if (on_write) table->session->RemoveObserver(&observer);
    it.reset();
    snapshot.reset();
    txn = nullptr;
    on_write = detached = false;
    eof = true;
    keys.clear();
    next_key = 0;
    ranges.clear();
    range_pos = 0;
    point_plan = false;
    unique_index = -1;
    index = -1;
    limit = -1;
    record_parsed = false;
    tuple_decoded = false;
  }

  // Opens the engine cursor on what the session reads now.
  Status Attach() {
    Session* s = table->session;
    on_write = s->writing();
    if (!on_write) {
      snapshot.reset();
      LIGHTNING_RETURN_IF_ERROR(s->AcquireSnapshot(&snapshot));
    }
    txn = on_write ? static_cast<Txn*>(s->write_txn()) : snapshot.get();
    if (!point()) {
      auto c = txn->NewCursor(index >= 0 ? index_tree : table->tree);
      if (!c.ok()) return c.status();
      it = std::move(c).value();
    }
    if (on_write) s->AddObserver(&observer);
    detached = false;
    return Status::OK();
  }

  // The current row's key and record. REQUIRES: !eof
  std::string_view Key() {
    if (!have_key) {
      key = it->key();
      have_key = true;
    }
    return key;
  }
  std::string_view Value() {
    if (!have_value) {
      value = key_only() ? std::string_view() : it->value();
      have_value = true;
    }
    return value;
  }

  // Makes the engine cursor's row current: copies it when on the write txn,
  // else leaves it to Key()/Value().
  void TakeRow() {
    record_parsed = false;
    tuple_decoded = false;
    if (!on_write) {
      have_key = have_value = false;
      return;
    }
    key_copy.assign(it->key());
    if (key_only())
      value_copy.clear();
    else
      value_copy.assign(it->value());
    key = key_copy;
    value = value_copy;
    have_key = have_value = true;
  }

  // Looks up the next key of the point list; sets eof when there is none.
  // (`keys` is checked against ranges[0] only: point plans have at most one.)
  Status NextPoint() {
    while (next_key < keys.size()) {
      const std::string& k = desc() ? keys[keys.size() - 1 - next_key] : keys[next_key];
      ++next_key;
      if (!AboveLow(k) || !BelowHigh(k)) continue;
      std::string_view row_key = k;
      Slice v;
      Status s;
      if (unique_index >= 0) {  // k is a UNIQUE entry: it holds the row's key
        s = txn->GetView(table->unique_trees[static_cast<size_t>(unique_index)], k, &v);
        if (s.IsNotFound()) continue;
        if (!s.ok()) return s;
        key_copy.assign(v);
        row_key = key_copy;
      }
      s = txn->GetView(table->tree, row_key, &v);
      if (s.IsNotFound()) continue;
      if (!s.ok()) return s;
      // `keys` (or key_copy) does not change until the next xFilter or
      // NextPoint: the key can stay a view.
      record_parsed = false;
      tuple_decoded = false;
      key = row_key;
      have_key = have_value = true;
      if (key_only()) {
        value = std::string_view();
      } else if (on_write) {
        value_copy.assign(v);  // the next change to the tree ends the view
        value = value_copy;
      } else {
        value = v;
      }
      eof = false;
      return Status::OK();
    }
    eof = true;
    return Status::OK();
  }

  // Makes the index entry under the engine cursor current: the row it
  // points to (looked up unless covering) and, covering, its values.
  Status TakeIndexRow() {
    record_parsed = false;
    tuple_decoded = false;
    entry_copy.assign(it->key());
    size_t tuple_len = 0;
    if (!DecodeIndexEntry(table, index_def, entry_copy, &index_values, &index_bytes, &tuple_len))
      return Status::Corruption("index " + index_def.name + " of table " + table->name +
                                ": malformed entry");
    key_copy.assign(entry_copy, tuple_len);
    key = key_copy;
    have_key = have_value = true;
    if (key_only()) {
      value = std::string_view();
      return Status::OK();
    }
    Slice v;
    Status s = txn->GetView(table->tree, key_copy, &v);
    if (s.IsNotFound())
      return Status::Corruption("index " + index_def.name + " of table " + table->name +
                                " has an entry for a row that does not exist");
    LIGHTNING_RETURN_IF_ERROR(s);
    value_copy.assign(v);
    value = value_copy;
    return Status::OK();
  }

  // Checks the engine cursor's position against the current range; moves on
  // to the next range when it is past its end; sets eof or the row.
  Status SettleRange() {
    for (;;) {
      if (it->Valid() && index >= 0) {
        std::string_view at = it->key();
        const KeyRange& r = range();
        if (!(desc() ? r.has_lo : r.has_hi) || (desc() ? AboveLow(at) : BelowHigh(at))) {
          eof = false;
          return TakeIndexRow();
        }
      } else if (it->Valid()) {
        TakeRow();
        const KeyRange& r = range();
        if (!(desc() ? r.has_lo : r.has_hi) || (desc() ? AboveLow(Key()) : BelowHigh(Key()))) {
          eof = false;
          return Status::OK();
        }
      } else if (!it->status().ok()) {
        eof = true;
        return it->status();  // a cursor that failed is not Valid()
      }
      if (++range_pos >= ranges.size()) {
        eof = true;
        return Status::OK();
      }
      SeekRangeStart();
    }
  }

  // Positions the engine cursor on the first key of the current range (in
  // plan order), or past it.
  void SeekRangeStart() {
    const KeyRange& r = range();
    if (desc()) {
      if (r.has_hi) {
        it->SeekForPrev(r.hi);
        if (it->Valid() && !r.hi_incl && it->key() == r.hi) it->Prev();
      } else {
        it->SeekToLast();
      }
    } else {
      if (r.has_lo) {
        it->Seek(r.lo);
        if (it->Valid() && !r.lo_incl && it->key() == r.lo) it->Next();
      } else {
        it->SeekToFirst();
      }
    }
  }

  Status FirstInRange() {
    range_pos = 0;
    if (ranges.empty()) ranges.emplace_back();  // a full scan
    SeekRangeStart();
    return SettleRange();
  }

  // Moves to the next row in plan order (no LIMIT accounting).
  Status Step() {
    if (point()) {
      if (detached) LIGHTNING_RETURN_IF_ERROR(Attach());
      return NextPoint();
    }
    if (detached) {
      // Continue after the current key in the new view.
      std::string at = index >= 0 ? entry_copy : key_copy;
      LIGHTNING_RETURN_IF_ERROR(Attach());
      if (desc()) {
        it->SeekForPrev(at);
        if (it->Valid() && it->key() == at) it->Prev();
      } else {
        it->Seek(at);
        if (it->Valid() && it->key() == at) it->Next();
      }
      return SettleRange();
    }
    if (desc())
      it->Prev();
    else
      it->Next();
    return SettleRange();
  }

  // Drops buffers too large to keep in a spare cursor (LightningClose);
  // returns whether the cursor is worth keeping. REQUIRES: after Reset().
  bool Trim() noexcept {
    constexpr size_t kKeep = 64 << 10;
    if (value_copy.capacity() > kKeep) std::string().swap(value_copy);
    return keys.capacity() <= 1024 && key_copy.capacity() <= kKeep && ranges.capacity() <= 1024;
  }

  void Detach() noexcept {
    // Keep the current row (already copied: on_write cursors always copy).
    it.reset();
    txn = nullptr;
    on_write = false;
    detached = true;
  }
};

void CursorObserver::OnTxnEnd() noexcept { cursor_->Detach(); }

void FreeCursor(LightningCursor* c) noexcept { delete c; }

namespace {

int CursorError(LightningCursor* c, const Status& s) {
  c->eof = true;
  return SetTableError(
      c->table, StatusToSqliteCode(s),
      "lightning: reading table " + c->table->name + ": " + StatusToSqliteMessage(s));
}

int CorruptRecord(LightningCursor* c) {
  return SetTableError(c->table, SQLITE_CORRUPT_VTAB,
                       "lightning: table " + c->table->name + ": malformed row record");
}

LightningCursor* Cur(sqlite3_vtab_cursor* p) { return reinterpret_cast<LightningCursor*>(p); }

// Encodes constraint value `v` for the key; false when the comparison can
// never be true (a NULL operand).
bool KeyOf(LightningTable* t, sqlite3_value* v, std::string* out) {
  if (sqlite3_value_type(v) == SQLITE_NULL) return false;
  std::string scratch;
  EncodeKey(ConstraintValue(v, t->key_affinity(), &scratch), out);
  return true;
}

// The ranges and keys of a plan on a single-column key (or the rowid).
int SingleKeyFilter(LightningCursor* c, int idx, sqlite3_value** argv, int* a, bool* empty) {
  LightningTable* t = c->table;
  if (idx & kPlanEq) {
    std::string k;
    if (KeyOf(t, argv[(*a)++], &k))
      c->keys.push_back(std::move(k));
    else
      *empty = true;
  }
  if (idx & kPlanIn) {
    sqlite3_value* list = argv[(*a)++];
    sqlite3_value* v = nullptr;
    int rc;
    for (rc = sqlite3_vtab_in_first(list, &v); rc == SQLITE_OK && v;
         rc = sqlite3_vtab_in_next(list, &v)) {
      std::string k;
      if (KeyOf(t, v, &k)) c->keys.push_back(std::move(k));
    }
    if (rc != SQLITE_OK && rc != SQLITE_DONE) return rc;
    std::sort(c->keys.begin(), c->keys.end());
    c->keys.erase(std::unique(c->keys.begin(), c->keys.end()), c->keys.end());
  }
  c->point_plan = idx & (kPlanEq | kPlanIn);
  if (idx & (kPlanLowerGt | kPlanLowerGe | kPlanUpperLt | kPlanUpperLe)) {
    KeyRange& r = c->ranges.emplace_back();
    if (idx & (kPlanLowerGt | kPlanLowerGe)) {
      r.has_lo = true;
      r.lo_incl = idx & kPlanLowerGe;
      if (!KeyOf(t, argv[(*a)++], &r.lo)) *empty = true;
    }
    if (idx & (kPlanUpperLt | kPlanUpperLe)) {
      r.has_hi = true;
      r.hi_incl = idx & kPlanUpperLe;
      if (!KeyOf(t, argv[(*a)++], &r.hi)) *empty = true;
    }
  }
  return SQLITE_OK;
}

int FilterImpl(LightningCursor* c, int idx, const char* idx_str, int argc, sqlite3_value** argv) {
  LightningTable* t = c->table;
  c->Reset();
  c->plan = idx;
  int a = 0;
  bool empty = false;
  if (idx & kPlanIndex) {
    c->index = PlanIndexNumber(t, idx, idx_str);
    if (c->index < 0)
      return SetTableError(t, SQLITE_SCHEMA,
                           "lightning: the index this statement was planned with on table " +
                               t->name + " no longer exists (dropped by lightning_drop_index)");
    c->index_def = t->schema.indexes[static_cast<size_t>(c->index)];
    c->index_tree = t->index_trees[static_cast<size_t>(c->index)];
    int rc = SecondaryFilter(t, c->index, idx, argv, &c->ranges, &empty);
    if (rc != SQLITE_OK) return rc;
  } else if (idx & kPlanUnique) {
    c->unique_index = idx >> kPlanUniqueShift;
    a = static_cast<int>(t->schema.uniques[static_cast<size_t>(c->unique_index)].columns.size());
    int rc = UniqueFilter(t, c->unique_index, argv, &c->keys, &empty);
    if (rc != SQLITE_OK) return rc;
    c->point_plan = true;
  } else if (t->schema.composite()) {
    int prefix = (idx & kPlanPrefixMask) >> kPlanPrefixShift;
    a = prefix + ((idx & (kPlanLowerGt | kPlanLowerGe)) ? 1 : 0) +
        ((idx & (kPlanUpperLt | kPlanUpperLe)) ? 1 : 0);
    int rc = CompositeFilter(t, idx, argv, &c->keys, &c->ranges, &empty);
    if (rc != SQLITE_OK) return rc;
    c->point_plan = c->ranges.empty() && !empty;
  } else {
    int rc = SingleKeyFilter(c, idx, argv, &a, &empty);
    if (rc != SQLITE_OK) return rc;
  }
  int64_t offset = 0;
  if (idx & kPlanLimit) {
    c->limit = sqlite3_value_int64(argv[a++]);
    if (c->limit < 0) c->limit = -1;
  }
  if (idx & kPlanOffset) offset = std::max<int64_t>(0, sqlite3_value_int64(argv[a++]));
  (void)argc;
  if (empty || c->limit == 0) return SQLITE_OK;  // eof

  Status s = c->Attach();
  if (s.IsNotFound() && c->index >= 0) {
    // Another connection dropped the index: SQLite prepares the statement again.
    c->eof = true;
    t->index_txn = UINT64_MAX;
    return SetTableError(t, SQLITE_SCHEMA,
                         "lightning: index " + c->index_def.name + " of table " + t->name +
                             " was dropped by another connection");
  }
  if (s.ok()) s = c->point() ? c->NextPoint() : c->FirstInRange();
  while (s.ok() && !c->eof && offset-- > 0) s = c->Step();
  if (!s.ok()) return CursorError(c, s);
  return SQLITE_OK;
}

}  // namespace

int LightningOpen(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) noexcept {
  auto* t = reinterpret_cast<LightningTable*>(vtab);
  return Guarded(t, [&] {
    if (int rc = MissingTreeError(t)) return rc;
    // A statement opens a cursor per execution: reuse the one the table kept.
    LightningCursor* c = t->spare_cursor;
    t->spare_cursor = nullptr;
    if (c == nullptr) c = new LightningCursor();
    c->table = t;
    *out = &c->base;
    return SQLITE_OK;
  });
}

int LightningClose(sqlite3_vtab_cursor* cur) noexcept {
  LightningCursor* c = Cur(cur);
  c->Reset();
  LightningTable* t = c->table;
  if (t->spare_cursor == nullptr && c->Trim()) {
    t->spare_cursor = c;
  } else {
    delete c;
  }
  return SQLITE_OK;
}

int LightningFilter(sqlite3_vtab_cursor* cur, int idx_num, const char* idx_str, int argc,
                    sqlite3_value** argv) noexcept {
  LightningCursor* c = Cur(cur);
  return Guarded(c->table, [&] { return FilterImpl(c, idx_num, idx_str, argc, argv); });
}

int LightningNext(sqlite3_vtab_cursor* cur) noexcept {
  LightningCursor* c = Cur(cur);
  return Guarded(c->table, [&] {
    if (c->eof) return SQLITE_OK;
    if (c->limit > 0 && --c->limit == 0) {
      c->eof = true;
      return SQLITE_OK;
    }
    Status s = c->Step();
    return s.ok() ? SQLITE_OK : CursorError(c, s);
  });
}

int LightningEof(sqlite3_vtab_cursor* cur) noexcept { return Cur(cur)->eof ? 1 : 0; }

namespace {

// Makes sure the current row's record is parsed; an SQLite code.
int ParseRecord(LightningCursor* c) {
  if (c->record_parsed) return SQLITE_OK;
  if (c->key_only())
    return SetTableError(c->table, SQLITE_INTERNAL, "lightning: column read in a key-only plan");
  if (!c->record.Parse(c->Value())) return CorruptRecord(c);
  c->record_parsed = true;
  return SQLITE_OK;
}

// xColumn of a composite-key table: the hidden key column is the key's
// bytes, key columns come from the decoded key, the others from the record.
int CompositeColumn(LightningCursor* c, sqlite3_context* ctx, int col) {
  LightningTable* t = c->table;
  if (col == t->schema.hidden_key_index()) {
    std::string_view k = c->Key();
    sqlite3_result_blob(ctx, k.data(), static_cast<int>(k.size()), SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  int slot = t->record_slot[col];
  if (slot >= 0) {
    if (int rc = ParseRecord(c)) return rc;
    ResultValue(ctx, c->record.Column(static_cast<size_t>(slot)));
    return SQLITE_OK;
  }
  if (!c->tuple_decoded) {
    uint64_t real_mask = 0;
    if (t->key_real_slot >= 0) {
      if (int rc = ParseRecord(c)) return rc;
      SqlValue m = c->record.Column(static_cast<size_t>(t->key_real_slot));
      real_mask = m.type == SqlValue::Type::kInteger ? static_cast<uint64_t>(m.i) : 0;
    }
    if (!DecodeKeyTuple(t, c->Key(), real_mask, &c->tuple, &c->tuple_bytes))
      return SetTableError(t, SQLITE_CORRUPT_VTAB,
                           "lightning: table " + t->name + ": malformed key");
    c->tuple_decoded = true;
  }
  ResultValue(ctx, c->tuple[static_cast<size_t>(t->key_position[col])]);
  return SQLITE_OK;
}

}  // namespace

int LightningColumn(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) noexcept {
  LightningCursor* c = Cur(cur);
  LightningTable* t = c->table;
  return Guarded(t, [&] {
    if (c->eof) return SQLITE_OK;          // SQLite never asks; NULL if it does
    if (c->index >= 0 && c->key_only()) {  // covering: indexed columns from the entry
      const auto& cols = c->index_def.columns;
      for (size_t j = 0; j < cols.size(); ++j)
        if (cols[j] == col) {
          ResultValue(ctx, c->index_values[j]);
          return SQLITE_OK;
        }
    }
    if (t->schema.composite()) return CompositeColumn(c, ctx, col);
    int slot = t->record_slot[col];
    int64_t rowid;
    if (slot < 0 && t->has_rowid() && DecodeIntegerKey(c->Key(), &rowid)) {
      sqlite3_result_int64(ctx, rowid);  // an INTEGER PRIMARY KEY column: the rowid
      return SQLITE_OK;
    }
    bool need_record = slot >= 0 || t->key_affinity() == Affinity::kBlob;
    if (need_record)
      if (int rc = ParseRecord(c)) return rc;
    if (slot >= 0) {
      ResultValue(ctx, c->record.Column(static_cast<size_t>(slot)));
      return SQLITE_OK;
    }
    bool prefer_real =
        t->key_affinity() == Affinity::kReal ||
        (t->key_affinity() == Affinity::kBlob && (c->record.flags() & kRecordKeyIsReal));
    SqlValue v;
    if (!DecodeKey(c->Key(), prefer_real, &v))
      return SetTableError(t, SQLITE_CORRUPT_VTAB,
                           "lightning: table " + t->name + ": malformed key");
    ResultValue(ctx, v);
    return SQLITE_OK;
  });
}

int LightningRowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) noexcept {
  LightningCursor* c = Cur(cur);
  return Guarded(c->table, [&] {
    *rowid = 0;
    if (c->eof || !c->table->has_rowid()) return SQLITE_OK;
    int64_t v;
    if (!DecodeIntegerKey(c->Key(), &v))
      return SetTableError(c->table, SQLITE_CORRUPT_VTAB,
                           "lightning: table " + c->table->name + ": malformed rowid key");
    *rowid = v;
    return SQLITE_OK;
  });
}

}  // namespace lightning::ext
