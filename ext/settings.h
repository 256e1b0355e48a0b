// Settings saved by older builds: options changed through lightning_config or
// lightning_preset used to live in a reserved tree of the store
// (kSettingsTree: option name -> value text). The engine now keeps them in
// the store's catalog (DB::SaveOption) and applies them at every open; a store
// that still has the old tree is migrated once, when this process opens it.
//
// No SQLite here. Thread safety: as the DB calls it makes.
#pragma once

#include <memory>
#include <string>

#include "lightning/db.h"

namespace lightning::ext {

// The old reserved tree. A lightning table of this name is still refused.
inline constexpr char kSettingsTree[] = "__lightning_settings";

// Moves the settings of an old reserved tree, if `*db` has one, into the
// store's catalog and drops the tree. When one that applies only at open
// (io, max_readers) changes and nobody else holds the store yet, reopens
// it at `path` with `opened` so that it applies at once (*db is replaced).
// Values this build does not accept are dropped with the tree.
Status MigrateLegacySettings(const std::string& path, const Options& opened,
                             std::shared_ptr<DB>* db);

}  // namespace lightning::ext
