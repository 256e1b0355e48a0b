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
  std::vector<std::string> keys;  // kPlanEq / kPlanIn, ascending
  size_t next_key = 0;            // index into keys (counting from the end when descending)
  bool has_lo = false, lo_incl = false, has_hi = false, hi_incl = false;
  std::string lo, hi;
  int64_t limit = -1;  // rows still to return, -1 = unlimited

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

  bool desc() const { return plan & kPlanDesc; }
  bool point() const { return plan & (kPlanEq | kPlanIn); }
  bool key_only() const { return plan & kPlanKeyOnly; }

  bool AboveLow(std::string_view k) const {
    if (!has_lo) return true;
    int c = k.compare(lo);
    return c > 0 || (c == 0 && lo_incl);
  }
  bool BelowHigh(std::string_view k) const {
    if (!has_hi) return true;
    int c = k.compare(hi);
    return c < 0 || (c == 0 && hi_incl);
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
    has_lo = has_hi = false;
    limit = -1;
    record_parsed = false;
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
      auto c = txn->NewCursor(table->tree);
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
  Status NextPoint() {
    while (next_key < keys.size()) {
      const std::string& k = desc() ? keys[keys.size() - 1 - next_key] : keys[next_key];
      ++next_key;
      if (!AboveLow(k) || !BelowHigh(k)) continue;
      Slice v;
      Status s = txn->GetView(table->tree, k, &v);
      if (s.IsNotFound()) continue;
      if (!s.ok()) return s;
      // `keys` does not change until the next xFilter: the key can stay a view.
      record_parsed = false;
      key = k;
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

  // Checks the engine cursor's position against the range; sets eof or the row.
  Status SettleRange() {
    if (!it->Valid()) {
      eof = true;
      return it->status();  // a cursor that failed is not Valid()
    }
    TakeRow();
    if (desc() ? has_lo : has_hi) {
      std::string_view k = Key();
      if (desc() ? !AboveLow(k) : !BelowHigh(k)) {
        eof = true;
        return Status::OK();
      }
    }
    eof = false;
    return Status::OK();
  }

  Status FirstInRange() {
    if (desc()) {
      if (has_hi) {
        it->SeekForPrev(hi);
        if (it->Valid() && !hi_incl && it->key() == hi) it->Prev();
      } else {
        it->SeekToLast();
      }
    } else {
      if (has_lo) {
        it->Seek(lo);
        if (it->Valid() && !lo_incl && it->key() == lo) it->Next();
      } else {
        it->SeekToFirst();
      }
    }
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
      std::string at = key_copy;
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
    return keys.capacity() <= 1024 && key_copy.capacity() <= kKeep && lo.capacity() <= kKeep &&
           hi.capacity() <= kKeep;
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

int FilterImpl(LightningCursor* c, int idx, int argc, sqlite3_value** argv) {
  LightningTable* t = c->table;
  c->Reset();
  c->plan = idx;
  int a = 0;
  bool empty = false;
  if (idx & kPlanEq) {
    std::string k;
    if (KeyOf(t, argv[a++], &k))
      c->keys.push_back(std::move(k));
    else
      empty = true;
  }
  if (idx & kPlanIn) {
    sqlite3_value* list = argv[a++];
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
  if (idx & (kPlanLowerGt | kPlanLowerGe)) {
    c->has_lo = true;
    c->lo_incl = idx & kPlanLowerGe;
    if (!KeyOf(t, argv[a++], &c->lo)) empty = true;
  }
  if (idx & (kPlanUpperLt | kPlanUpperLe)) {
    c->has_hi = true;
    c->hi_incl = idx & kPlanUpperLe;
    if (!KeyOf(t, argv[a++], &c->hi)) empty = true;
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

int LightningFilter(sqlite3_vtab_cursor* cur, int idx_num, const char*, int argc,
                    sqlite3_value** argv) noexcept {
  LightningCursor* c = Cur(cur);
  return Guarded(c->table, [&] { return FilterImpl(c, idx_num, argc, argv); });
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

int LightningColumn(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) noexcept {
  LightningCursor* c = Cur(cur);
  LightningTable* t = c->table;
  return Guarded(t, [&] {
    if (c->eof) return SQLITE_OK;  // SQLite never asks; NULL if it does
    int slot = t->record_slot[col];
    int64_t rowid;
    if (slot < 0 && t->has_rowid() && DecodeIntegerKey(c->Key(), &rowid)) {
      sqlite3_result_int64(ctx, rowid);  // an INTEGER PRIMARY KEY column: the rowid
      return SQLITE_OK;
    }
    bool need_record = slot >= 0 || t->key_affinity() == Affinity::kBlob;
    if (need_record && !c->record_parsed) {
      if (c->key_only())
        return SetTableError(t, SQLITE_INTERNAL, "lightning: column read in a key-only plan");
      if (!c->record.Parse(c->Value())) return CorruptRecord(c);
      c->record_parsed = true;
    }
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
