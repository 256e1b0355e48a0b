// Settings: options changed through lightning_config or lightning_preset,
// saved in the store itself so that they outlive the process.
//
// They live in a reserved tree of the store (kSettingsTree: option name ->
// value text), written in a write transaction of its own. When a process
// opens the store (the first connection to use it), the saved settings
// override the options of the CREATE VIRTUAL TABLE statement: live ones are
// applied with DB::SetOption, and if one that applies only at open (io,
// max_readers) differs, the store is reopened with it at once.
// Precedence: engine default < CREATE VIRTUAL TABLE options < saved settings.
//
// No SQLite here. Thread safety: ApplySavedSettings serialises itself with a
// process-wide mutex; the others are as safe as the DB calls they make.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "lightning/db.h"

namespace lightning::ext {

// The reserved tree. A lightning table of this name is refused.
inline constexpr char kSettingsTree[] = "__lightning_settings";

// The settings saved in `db` (none when it has no settings tree).
Status LoadSettings(DB* db, std::map<std::string, std::string>* settings);

// Validates and saves name = value (for page_size: only its current value).
// REQUIRES: the caller holds no write transaction on `db` (it would wait for
// itself); Busy after busy_timeout if another writer holds the store.
Status SaveSetting(DB* db, const std::string& name, const std::string& value);

// Applies the saved settings to a store just opened at `path` with `opened`.
// Does nothing for an instance it has already seen (another connection of
// this process opened it first) or an in-memory store. May replace *db with
// a reopened instance.
Status ApplySavedSettings(const std::string& path, const Options& opened, std::shared_ptr<DB>* db);

}  // namespace lightning::ext
