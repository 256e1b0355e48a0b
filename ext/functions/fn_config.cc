/*
** lightning_config([table]): every option of a store, writable with UPDATE.
** lightning_preset(table, preset): applies a named bundle of options.
** lightning_presets: the presets and their settings.
**
** USAGE
**
**   SELECT name, value, applies FROM lightning_config('users');
**   UPDATE lightning_config SET value = '256MB' WHERE table_name = 'users' AND name = 'cache_size';
**   SELECT * FROM lightning_preset('users', 'read_heavy');
**   SELECT * FROM lightning_presets WHERE preset = 'oltp';
**
** EXAMPLE
**
**   sqlite> UPDATE lightning_config SET value = 'zstd' WHERE table_name = 'users' AND name =
*'compression';
**   sqlite> SELECT value, saved FROM lightning_config('users') WHERE name = 'compression';
**   zstd|zstd
**
** IMPLEMENTATION NOTES
**
**   A change is validated (unknown names and bad values are errors naming the
**   option), saved in the store's catalog (DB::SaveOption: it outlives the process and
**   overrides the CREATE VIRTUAL TABLE options at the next open), and applied
**   at once when the option is live. An option that applies only when the
**   store is opened (io, max_readers) is saved, reported in the `saved`
**   column, announced through sqlite3_log (SQLITE_NOTICE), and takes effect
**   when the store is next opened by a process. page_size is fixed when the
**   store is created: setting it to anything else is an error. Every
**   column but `value` is read-only: an UPDATE that changes another is
**   refused ("only the value column can be changed").
**
** LIMITATIONS
**
**   Saving a setting is a write transaction: inside a transaction that has
**   written to the same store it is refused (COMMIT first). An in-memory
**   store is never reopened, so its open-time options cannot change.
*/
#include <cstring>
#include <map>
#include <variant>

#include "ext/functions/functions.h"
#include "ext/functions/tvf.h"
#include "ext/session.h"
#include "ext/store_lookup.h"
#include "lightning/presets.h"
#include "vfs/status_to_sqlite.h"

namespace lightning::ext {
namespace {

const char* Applies(const OptionInfo& info) {
  if (std::strcmp(info.name, "page_size") == 0) return "at creation";
  return info.live ? "live" : "next open";
}

// A database of the lightning VFS takes its options from its URI (its store
// saves only compression, level and checksum, as a URI last named them): a
// live option changes for the open store, as PRAGMA lightning_<option> = value
// does, and is not saved; the others are URI parameters.
int ApplyVfsSetting(DB* db, const std::string& name, const std::string& value, std::string* err) {
  const OptionInfo* info = FindOption(name);
  if (info != nullptr && !info->live) {
    *err = std::string(info->name) +
           " of a database opened through the lightning VFS takes effect only when it is "
           "opened: give it as a URI parameter";
    return SQLITE_ERROR;
  }
  Status s = db->SetOption(name, value);
  if (!s.ok()) *err = StatusToSqliteMessage(s);
  return s.ok() ? SQLITE_OK : StatusToSqliteCode(s);
}

// Saves and (when live) applies name = value on the store of `session`; the
// engine parses and validates it (DB::SaveOption). *applies tells when it
// takes effect.
int ApplySetting(Session* session, const std::string& name, const std::string& value,
                 std::string* applies, std::string* err) {
  if (session->writing()) {
    const OptionInfo* info = FindOption(name);
    *err = std::string("cannot change ") + (info ? info->name : name.c_str()) +
           " inside a transaction that has written to the store; COMMIT first";
    return SQLITE_ERROR;
  }
  bool live = false;
  Status s = session->db()->SaveOption(name, value, &live);
  if (!s.ok()) {
    *err = StatusToSqliteMessage(s);
    return StatusToSqliteCode(s);
  }
  if (live) {
    *applies = "now";
    return SQLITE_OK;
  }
  *applies = "at next open";
  const OptionInfo* info = FindOption(name);
  sqlite3_log(
      SQLITE_NOTICE,
      "lightning: %s = %s saved for store %s; it takes effect when the store is next opened",
      info->name, value.c_str(), session->label().c_str());
  return SQLITE_OK;
}

// The row of lightning_config for option `info` of store `db`.
Row ConfigRow(const std::string& label, const Options& opts,
              const std::map<std::string, std::string>& saved, const OptionInfo& info) {
  std::string value;
  (void)opts.Get(info.name, &value);
  auto text_or_null = [](const char* s) { return *s ? Cell(std::string(s)) : Cell(); };
  auto it = saved.find(info.name);
  return Row{label,
             info.name,
             value,
             info.default_value,
             text_or_null(info.min_value),
             text_or_null(info.max_value),
             text_or_null(info.unit),
             text_or_null(info.allowed),
             static_cast<int64_t>(info.live),
             Applies(info),
             it == saved.end() ? Cell() : Cell(it->second),
             info.description};
}

int FillConfig(sqlite3* db, sqlite3_value** args, std::vector<Row>* rows, std::string* err) {
  std::vector<StoreTarget> targets;
  std::string table = args[0] ? ValueText(args[0]) : "";
  int rc = FindStores(db, args[0] ? table.c_str() : nullptr, &targets, err);
  if (rc != SQLITE_OK) return rc;
  for (const StoreTarget& t : targets) {
    const Options opts = t.db->GetOptions();
    std::map<std::string, std::string> saved;
    Status s = t.db->SavedOptions(&saved);
    if (!s.ok()) {
      *err = "lightning_config: " + s.ToString();
      return SQLITE_ERROR;
    }
    for (const OptionInfo& info : AllOptions())
      rows->push_back(ConfigRow(t.label, opts, saved, info));
  }
  return SQLITE_OK;
}

// True when `v` holds exactly `cell` (type and value).
bool SameCell(sqlite3_value* v, const Cell& cell) {
  if (std::holds_alternative<std::monostate>(cell)) return sqlite3_value_type(v) == SQLITE_NULL;
  if (const auto* i = std::get_if<int64_t>(&cell)) {
    return sqlite3_value_type(v) == SQLITE_INTEGER && sqlite3_value_int64(v) == *i;
  }
  if (const auto* d = std::get_if<double>(&cell)) {
    return sqlite3_value_type(v) == SQLITE_FLOAT && sqlite3_value_double(v) == *d;
  }
  return sqlite3_value_type(v) == SQLITE_TEXT && ValueText(v) == std::get<std::string>(cell);
}

// UPDATE lightning_config SET value = ... : values[0] store, [1] name, [2] value.
// Every other column is read-only: the new row must hold what the store's row
// holds, but for its value.
int UpdateConfig(sqlite3* db, sqlite3_value** values, uint64_t, std::string* err) {
  const std::string label = ValueText(values[0]), name = ValueText(values[1]);
  const OptionInfo* info = FindOption(name);
  if (info == nullptr) {
    *err = "lightning_config: only the value column can be changed";
    return SQLITE_ERROR;
  }
  Session* session = FindSessionByLabel(db, label);
  DB* store = session != nullptr ? session->db() : nullptr;
  StoreTarget vfs_db;
  std::string not_vfs;
  if (session == nullptr && FindStore(db, label, &vfs_db, &not_vfs) == SQLITE_OK &&
      vfs_db.vfs_file != nullptr) {
    store = vfs_db.db;
  }
  if (store == nullptr) {
    *err = "lightning_config: only the value column can be changed (store " + label +
           " is not open on this connection)";
    return SQLITE_ERROR;
  }
  std::map<std::string, std::string> saved;
  Status s = store->SavedOptions(&saved);
  if (!s.ok()) {
    *err = "lightning_config: " + StatusToSqliteMessage(s);
    return StatusToSqliteCode(s);
  }
  const Row row = ConfigRow(label, store->GetOptions(), saved, *info);
  for (size_t i = 3; i < row.size(); i++) {
    if (!SameCell(values[i], row[i])) {
      *err = "lightning_config: only the value column can be changed";
      return SQLITE_ERROR;
    }
  }
  if (sqlite3_value_type(values[2]) == SQLITE_NULL) {
    *err = std::string("lightning_config: ") + info->name + " cannot be NULL";
    return SQLITE_ERROR;
  }
  int rc;
  if (session == nullptr) {
    rc = ApplyVfsSetting(store, name, ValueText(values[2]), err);
  } else {
    std::string applies;
    rc = ApplySetting(session, name, ValueText(values[2]), &applies, err);
  }
  if (rc != SQLITE_OK) *err = "lightning_config: " + *err;
  return rc;
}

const TvfSpec kConfig = {
    .name = "lightning_config",
    .schema =
        "CREATE TABLE x("
        " store TEXT,"         /* 0 the store's path, or :memory: */
        " name TEXT,"          /* 1 option */
        " value TEXT,"         /* 2 current value: UPDATE this column */
        " default_value TEXT," /* 3 */
        " min_value TEXT,"     /* 4 NULL where no range applies */
        " max_value TEXT,"     /* 5 */
        " unit TEXT,"          /* 6 bytes, ms, or NULL */
        " allowed TEXT,"       /* 7 for enumerations: full|normal|off */
        " live INTEGER,"       /* 8 1 if a change applies to the open store */
        " applies TEXT,"       /* 9 live, next open, or at creation */
        " saved TEXT,"         /* 10 value saved by lightning_config/preset, NULL if none */
        " description TEXT,"   /* 11 */
        " table_name HIDDEN"   /* 12 argument: a lightning table */
        ")",
    .num_columns = 13,
    .num_args = 1,
    .required_args = 0,
    .usage = "lightning_config([table])",
    .fill = FillConfig,
    .update = UpdateConfig,
};

int FillPreset(sqlite3* db, sqlite3_value** args, std::vector<Row>* rows, std::string* err) {
  const std::string table = ValueText(args[0]), name = ValueText(args[1]);
  const Preset* preset = FindPreset(name);
  if (preset == nullptr) {
    *err = "lightning_preset: unknown preset '" + name + "'; presets:";
    for (const Preset& p : AllPresets()) *err += std::string(" ") + p.name;
    return SQLITE_ERROR;
  }
  StoreTarget t;
  int rc = FindStore(db, table, &t, err);
  if (rc != SQLITE_OK) return rc;
  if (t.session == nullptr) {
    *err = "lightning_preset: " + table +
           " is a database of the lightning VFS; presets are for lightning tables (set its "
           "options with URI parameters or PRAGMA lightning_<option>)";
    return SQLITE_ERROR;
  }
  for (const PresetSetting& setting : preset->settings) {
    std::string before, applies;
    (void)t.db->GetOptions().Get(setting.option, &before);
    rc = ApplySetting(t.session, setting.option, setting.value, &applies, err);
    if (rc != SQLITE_OK) {
      *err = std::string("lightning_preset: ") + setting.option + ": " + *err;
      return rc;
    }
    rows->push_back(Row{t.label, preset->name, setting.option, before, std::string(setting.value),
                        applies, setting.why});
  }
  return SQLITE_OK;
}

const TvfSpec kPreset = {
    .name = "lightning_preset",
    .schema =
        "CREATE TABLE x("
        " store TEXT,"        /* 0 the store's path */
        " preset TEXT,"       /* 1 */
        " option TEXT,"       /* 2 */
        " old_value TEXT,"    /* 3 before the preset */
        " new_value TEXT,"    /* 4 set by the preset */
        " applies TEXT,"      /* 5 now, or at next open */
        " why TEXT,"          /* 6 */
        " table_name HIDDEN," /* 7 argument 1: a lightning table */
        " preset_name HIDDEN" /* 8 argument 2: the preset */
        ")",
    .num_columns = 9,
    .num_args = 2,
    .required_args = 2,
    .usage = "lightning_preset(table, preset)",
    .fill = FillPreset,
    .update = nullptr,
};

int FillPresets(sqlite3*, sqlite3_value**, std::vector<Row>* rows, std::string*) {
  for (const Preset& p : AllPresets()) {
    for (const PresetSetting& s : p.settings) {
      rows->push_back(Row{p.name, p.when_to_use, s.option, s.value, s.why});
    }
  }
  return SQLITE_OK;
}

const TvfSpec kPresets = {
    .name = "lightning_presets",
    .schema =
        "CREATE TABLE x("
        " preset TEXT,"      /* 0 */
        " when_to_use TEXT," /* 1 */
        " option TEXT,"      /* 2 */
        " value TEXT,"       /* 3 */
        " why TEXT"          /* 4 */
        ")",
    .num_columns = 5,
    .num_args = 0,
    .required_args = 0,
    .usage = "lightning_presets",
    .fill = FillPresets,
    .update = nullptr,
};

}  // namespace

int RegisterConfigFunctions(sqlite3* db) {
  int rc = RegisterTvf(db, &kConfig);
  if (rc == SQLITE_OK) rc = RegisterTvf(db, &kPreset);
  if (rc == SQLITE_OK) rc = RegisterTvf(db, &kPresets);
  return rc;
}

}  // namespace lightning::ext
