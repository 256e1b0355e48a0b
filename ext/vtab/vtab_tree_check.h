// The consistency of a table's entry trees with its rows, for lightning_check.
//
// An entry tree mirrors the rows of a table: each row whose values call for
// an entry has exactly one, and every entry belongs to such a row. UNIQUE
// trees are entry trees (key = tuple of the constrained values, value = the
// row's table key; rows with a NULL there have none); so are secondary
// index trees (key = tuple + table key, value empty). CheckEntryTree is the
// one consistency pass for all of them: the caller describes the layout
// with two functions.
//
// Thread safety: as the calling x-method (per connection); `txn` is a
// snapshot the caller owns.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ext/vtab/vtab.h"

namespace lightning::ext {

struct EntryTree {
  std::string label;  // names the tree in problems: "UNIQUE(email)", "index ix_email"
  TreeId tree = 0;
  // The entry the row (its table key, its values, one per column) must
  // have: sets *key and *value and returns true, or returns false when the
  // row has none (a NULL in a UNIQUE column).
  std::function<bool(std::string_view row_key, const std::vector<SqlValue>& values,
                     std::string* key, std::string* value)>
      entry_of;
  // The table key an entry names; false if the entry is malformed.
  std::function<bool(std::string_view key, std::string_view value, std::string* row_key)> row_of;
  // An entry key for messages ("('a@b.org')"); unset or "": its bytes in hex.
  std::function<std::string(std::string_view key)> describe;
};

// At most this many problems are listed per tree; a last line counts the rest.
inline constexpr size_t kMaxProblemsPerTree = 20;

// Checks `tree` against table t in `txn`. Pass 1 walks the rows: a row
// whose entry is absent is a missing entry; one whose entry names another
// row, a wrong entry. Pass 2 walks the entries not already reported: an
// entry whose row is gone or whose row's values call for another entry (or
// none) is an extra entry. Each problem is one line appended to *problems
// (none when the tree is consistent). Returns a non-OK Status only when the
// store cannot be read.
Status CheckEntryTree(const LightningTable* t, Txn* txn, const EntryTree& tree,
                      std::vector<std::string>* problems);

// The entry trees of t's UNIQUE constraints, in the order declared.
std::vector<EntryTree> UniqueEntryTrees(const LightningTable* t);

// `v` as an SQL literal for messages: NULL, 12, 2.5, 'it''s', x'00ff'.
std::string SqlLiteral(const SqlValue& v);

}  // namespace lightning::ext
