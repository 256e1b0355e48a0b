// The x-methods shared by every lightning_*() table-valued function (tvf.h).
#include "ext/functions/tvf.h"

#include <atomic>
#include <cmath>
#include <new>

#include "vfs/guarded_call.h"

namespace lightning::ext {
namespace {

struct TvfTable {
  sqlite3_vtab base;  // must stay first
  const TvfSpec* spec = nullptr;
  sqlite3* db = nullptr;
  uint64_t statement = 0;  // set by each xFilter: tells UPDATE statements apart
};

std::atomic<uint64_t> g_statements{0};  // process-wide, so ids never repeat

struct TvfCursor {
  sqlite3_vtab_cursor base;  // must stay first
  std::vector<Row> rows;
  size_t index = 0;
};

int SetError(sqlite3_vtab* vtab, int rc, const std::string& message) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s", message.c_str());
  return rc;
}

template <typename F>
int Guard(sqlite3_vtab* vtab, F&& body) noexcept {
  return GuardedCall(std::forward<F>(body), SQLITE_NOMEM,
                     [vtab](int rc, const std::string& message) {
                       return vtab ? SetError(vtab, rc, message) : rc;
                     });
}

int xConnect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out,
             char** err) noexcept {
  return Guard(nullptr, [&] {
    const auto* spec = static_cast<const TvfSpec*>(aux);
    int rc = sqlite3_declare_vtab(db, spec->schema);
    if (rc != SQLITE_OK) {
      *err = sqlite3_mprintf("%s: cannot declare its columns: %s", spec->name, sqlite3_errmsg(db));
      return rc;
    }
    sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
    auto* t = new TvfTable();
    t->spec = spec;
    t->db = db;
    *out = &t->base;
    return SQLITE_OK;
  });
}

int xDisconnect(sqlite3_vtab* vtab) noexcept {
  delete reinterpret_cast<TvfTable*>(vtab);
  return SQLITE_OK;
}

// idxNum: bit i set = argument i is given (its `=` value is argv[k], in
// argument order). Arguments are consumed exactly, so they are omitted.
int xBestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info) noexcept {
  const TvfSpec* spec = reinterpret_cast<TvfTable*>(vtab)->spec;
  const int first_arg = spec->num_columns - spec->num_args;
  int usable[32], unusable_mask = 0, mask = 0;
  for (int a = 0; a < spec->num_args; a++) usable[a] = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn < first_arg || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    const int a = c.iColumn - first_arg;
    if (!c.usable) {
      unusable_mask |= 1 << a;
    } else if (usable[a] < 0) {
      usable[a] = i;
      mask |= 1 << a;
    }
  }
  if (unusable_mask & ~mask) return SQLITE_CONSTRAINT;  // a plan with that argument known exists
  int argv_index = 1;
  for (int a = 0; a < spec->num_args; a++) {
    if (usable[a] < 0) continue;
    info->aConstraintUsage[usable[a]].argvIndex = argv_index++;
    info->aConstraintUsage[usable[a]].omit = 1;
  }
  info->idxNum = mask;
  info->estimatedCost = 1000.0 / argv_index;
  info->estimatedRows = 100;
  return SQLITE_OK;
}

int xOpen(sqlite3_vtab*, sqlite3_vtab_cursor** out) noexcept {
  return GuardedCall([&] {
    *out = &(new TvfCursor())->base;
    return SQLITE_OK;
  });
}

int xClose(sqlite3_vtab_cursor* cur) noexcept {
  delete reinterpret_cast<TvfCursor*>(cur);
  return SQLITE_OK;
}

int xFilter(sqlite3_vtab_cursor* base, int idx_num, const char*, int argc,
            sqlite3_value** argv) noexcept {
  auto* cur = reinterpret_cast<TvfCursor*>(base);
  auto* t = reinterpret_cast<TvfTable*>(base->pVtab);
  return Guard(&t->base, [&] {
    const TvfSpec* spec = t->spec;
    t->statement = ++g_statements;
    cur->rows.clear();
    cur->index = 0;
    sqlite3_value* args[32] = {};
    int k = 0;
    for (int a = 0; a < spec->num_args; a++) {
      if ((idx_num & (1 << a)) && k < argc) args[a] = argv[k++];
    }
    for (int a = 0; a < spec->required_args; a++) {
      if (args[a] == nullptr)
        return SetError(&t->base, SQLITE_ERROR,
                        std::string(spec->name) + ": missing argument; usage: " + spec->usage);
    }
    for (int a = 0; a < spec->num_args; a++) {
      if (args[a] != nullptr && sqlite3_value_type(args[a]) == SQLITE_NULL)
        return SQLITE_OK;  // no rows
    }
    std::string err;
    int rc = spec->fill(t->db, args, &cur->rows, &err);
    if (rc != SQLITE_OK) {
      cur->rows.clear();
      // Every message names the function, as the scalar functions' do.
      const std::string prefix = std::string(spec->name) + ": ";
      if (err.compare(0, prefix.size(), prefix) != 0) err = prefix + (err.empty() ? "failed" : err);
      return SetError(&t->base, rc, err);
    }
    for (Row& row : cur->rows) {
      row.resize(spec->num_columns - spec->num_args);
      for (int a = 0; a < spec->num_args; a++) {
        row.push_back(args[a] ? Cell(ValueText(args[a])) : Cell());
      }
    }
    return SQLITE_OK;
  });
}

int xNext(sqlite3_vtab_cursor* base) noexcept {
  reinterpret_cast<TvfCursor*>(base)->index++;
  return SQLITE_OK;
}

int xEof(sqlite3_vtab_cursor* base) noexcept {
  auto* cur = reinterpret_cast<TvfCursor*>(base);
  return cur->index >= cur->rows.size();
}

int xColumn(sqlite3_vtab_cursor* base, sqlite3_context* ctx, int col) noexcept {
  auto* cur = reinterpret_cast<TvfCursor*>(base);
  const Row& row = cur->rows[cur->index];
  if (col < 0 || col >= static_cast<int>(row.size())) {
    sqlite3_result_null(ctx);
    return SQLITE_OK;
  }
  const Cell& c = row[col];
  if (const auto* i = std::get_if<int64_t>(&c)) {
    sqlite3_result_int64(ctx, *i);
  } else if (const auto* d = std::get_if<double>(&c)) {
    sqlite3_result_double(ctx, *d);
  } else if (const auto* s = std::get_if<std::string>(&c)) {
    sqlite3_result_text(ctx, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
  } else {
    sqlite3_result_null(ctx);
  }
  return SQLITE_OK;
}

int xRowid(sqlite3_vtab_cursor* base, sqlite3_int64* rowid) noexcept {
  *rowid = static_cast<sqlite3_int64>(reinterpret_cast<TvfCursor*>(base)->index + 1);
  return SQLITE_OK;
}

int xUpdate(sqlite3_vtab* vtab, int argc, sqlite3_value** argv, sqlite3_int64*) noexcept {
  auto* t = reinterpret_cast<TvfTable*>(vtab);
  return Guard(vtab, [&] {
    const TvfSpec* spec = t->spec;
    if (spec->update == nullptr)
      return SetError(vtab, SQLITE_READONLY, std::string(spec->name) + " is read-only");
    if (argc == 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL)
      return SetError(vtab, SQLITE_READONLY,
                      std::string(spec->name) + " accepts UPDATE only, not INSERT or DELETE");
    std::string err;
    int rc = spec->update(t->db, argv + 2, t->statement, &err);
    if (rc != SQLITE_OK) return SetError(vtab, rc, err);
    return SQLITE_OK;
  });
}

const sqlite3_module kTvfModule = {
    .iVersion = 0,
    .xCreate = nullptr,
    .xConnect = xConnect,
    .xBestIndex = xBestIndex,
    .xDisconnect = xDisconnect,
    .xDestroy = nullptr,
    .xOpen = xOpen,
    .xClose = xClose,
    .xFilter = xFilter,
    .xNext = xNext,
    .xEof = xEof,
    .xColumn = xColumn,
    .xRowid = xRowid,
    .xUpdate = xUpdate,
    .xBegin = nullptr,
    .xSync = nullptr,
    .xCommit = nullptr,
    .xRollback = nullptr,
    .xFindFunction = nullptr,
    .xRename = nullptr,
    .xSavepoint = nullptr,
    .xRelease = nullptr,
    .xRollbackTo = nullptr,
    .xShadowName = nullptr,
};

}  // namespace

int RegisterTvf(sqlite3* db, const TvfSpec* spec) {
  return sqlite3_create_module_v2(db, spec->name, &kTvfModule, const_cast<TvfSpec*>(spec), nullptr);
}

std::string ValueText(sqlite3_value* v) {
  const unsigned char* text = sqlite3_value_text(v);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_value_bytes(v)));
}

Cell NumberCell(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15)
    return Cell(static_cast<int64_t>(v));
  return Cell(v);
}

}  // namespace lightning::ext
