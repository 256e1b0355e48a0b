// CheckEntryTree: entry trees (UNIQUE trees, secondary indexes) against
// their table's rows, for lightning_check. See vtab_tree_check.h.
#include "ext/vtab/vtab_tree_check.h"

#include <cstdio>
#include <memory>
#include <set>

#include "ext/vtab/key_codec.h"
#include "vfs/status_to_sqlite.h"

namespace lightning::ext {
namespace {

std::string Hex(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// "rowid 7", "k='a'", "(a, b)=(1, 'x')": the row as a user finds it.
std::string RowLabel(const LightningTable* t, std::string_view row_key,
                     const std::vector<SqlValue>* values) {
  const TableSchema& s = t->schema;
  if (t->has_rowid()) {
    int64_t rowid;
    if (DecodeIntegerKey(row_key, &rowid)) return "rowid " + std::to_string(rowid);
  } else if (values != nullptr && !s.composite()) {
    return QuoteIdentifier(s.columns[static_cast<size_t>(s.key_column)].name) + "=" +
           SqlLiteral((*values)[static_cast<size_t>(s.key_column)]);
  } else if (values != nullptr) {
    std::string names, literals;
    for (int c : s.key_columns) {
      names +=
          (names.empty() ? "" : ", ") + QuoteIdentifier(s.columns[static_cast<size_t>(c)].name);
      literals += (literals.empty() ? "" : ", ") + SqlLiteral((*values)[static_cast<size_t>(c)]);
    }
    return "(" + names + ")=(" + literals + ")";
  }
  return "with key x'" + Hex(row_key) + "'";
}

// The entry `key` as the tree describes it, else its bytes.
std::string EntryLabel(const EntryTree& tree, std::string_view key) {
  std::string text = tree.describe ? tree.describe(key) : std::string();
  return text.empty() ? "x'" + Hex(key) + "'" : text;
}

// Collects the problems of one tree: each once, at most kMaxProblemsPerTree.
class Report {
 public:
  Report(const LightningTable* t, const EntryTree& tree, std::vector<std::string>* out)
      : prefix_("table " + t->name + ", " + tree.label + ": "), out_(out) {}
  ~Report() {
    if (dropped_ > 0)
      out_->push_back(prefix_ + std::to_string(dropped_) + " more problems not listed");
  }
  void Add(const std::string& problem) {
    if (listed_ < kMaxProblemsPerTree) {
      out_->push_back(prefix_ + problem);
      ++listed_;
    } else {
      ++dropped_;
    }
  }

 private:
  std::string prefix_;
  std::vector<std::string>* out_;
  size_t listed_ = 0, dropped_ = 0;
};

Status CursorOver(Txn* txn, TreeId tree, std::unique_ptr<Cursor>* out) {
  auto c = txn->NewCursor(tree);
  if (!c.ok()) return c.status();
  *out = std::move(c).value();
  (*out)->SeekToFirst();
  return Status::OK();
}

// Pass 1: every row finds its entry. Entries found naming another row go
// to *reported, so that pass 2 does not report them again.
Status CheckRows(const LightningTable* t, Txn* txn, const EntryTree& tree, Report* report,
                 std::set<std::string>* reported) {
  std::unique_ptr<Cursor> it;
  LIGHTNING_RETURN_IF_ERROR(CursorOver(txn, t->tree, &it));
  RowDecoder row;
  std::string key, value;
  for (; it->Valid(); it->Next()) {
    row.key.assign(it->key());
    row.record.assign(it->value());
    if (!row.Decode(t)) {
      report->Add("row " + RowLabel(t, row.key, nullptr) + " cannot be decoded");
      continue;
    }
    if (!tree.entry_of(row.key, row.values, &key, &value)) continue;
    std::string stored;
    Status s = txn->Get(tree.tree, key, &stored);
    if (s.IsNotFound()) {
      report->Add("missing entry " + EntryLabel(tree, key) + " for row " +
                  RowLabel(t, row.key, &row.values));
    } else if (!s.ok()) {
      return s;
    } else if (stored != value) {
      std::string other;
      std::string named = tree.row_of(key, stored, &other) ? RowLabel(t, other, nullptr) : "?";
      report->Add("the entry " + EntryLabel(tree, key) + " for row " +
                  RowLabel(t, row.key, &row.values) + " names another row (" + named + ")");
      if (reported->size() < kMaxProblemsPerTree * 4) reported->insert(key);
    }
  }
  return it->status();
}

// Pass 2: every entry belongs to a row that calls for exactly it.
Status CheckEntries(const LightningTable* t, Txn* txn, const EntryTree& tree, Report* report,
                    const std::set<std::string>& reported) {
  std::unique_ptr<Cursor> it;
  LIGHTNING_RETURN_IF_ERROR(CursorOver(txn, tree.tree, &it));
  RowDecoder row;
  std::string row_key, key, value;
  for (; it->Valid(); it->Next()) {
    std::string_view entry_key = it->key(), entry_value = it->value();
    if (reported.count(std::string(entry_key))) continue;
    if (!tree.row_of(entry_key, entry_value, &row_key)) {
      report->Add("malformed entry x'" + Hex(entry_key) + "'");  // bytes: it may not decode
      continue;
    }
    Status s = txn->Get(t->tree, row_key, &row.record);
    if (s.IsNotFound()) {
      report->Add("extra entry " + EntryLabel(tree, entry_key) + ": its row " +
                  RowLabel(t, row_key, nullptr) + " does not exist");
      continue;
    }
    if (!s.ok()) return s;
    row.key = row_key;
    if (!row.Decode(t)) continue;  // pass 1 reported the row
    bool has = tree.entry_of(row.key, row.values, &key, &value);
    if (!has || key != entry_key || value != entry_value)
      report->Add("extra entry " + EntryLabel(tree, entry_key) + " for row " +
                  RowLabel(t, row.key, &row.values) + ", whose values call for " +
                  (has ? "entry " + EntryLabel(tree, key) : "no entry"));
  }
  return it->status();
}

}  // namespace

std::string SqlLiteral(const SqlValue& v) {
  switch (v.type) {
    case SqlValue::Type::kNull:
      return "NULL";
    case SqlValue::Type::kInteger:
      return std::to_string(v.i);
    case SqlValue::Type::kReal: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v.r);
      return buf;
    }
    case SqlValue::Type::kText: {
      std::string out = "'";
      for (char c : v.bytes) {
        out.push_back(c);
        if (c == '\'') out.push_back('\'');
      }
      return out + "'";
    }
    case SqlValue::Type::kBlob:
      return "x'" + Hex(v.bytes) + "'";
  }
  return "?";
}

Status CheckEntryTree(const LightningTable* t, Txn* txn, const EntryTree& tree,
                      std::vector<std::string>* problems) {
  Report report(t, tree, problems);
  std::set<std::string> reported;
  LIGHTNING_RETURN_IF_ERROR(CheckRows(t, txn, tree, &report, &reported));
  return CheckEntries(t, txn, tree, &report, reported);
}

std::vector<EntryTree> UniqueEntryTrees(const LightningTable* t) {
  std::vector<EntryTree> trees;
  const TableSchema& s = t->schema;
  for (size_t i = 0; i < s.uniques.size() && i < t->unique_trees.size(); ++i) {
    const std::vector<int> columns = s.uniques[i].columns;
    EntryTree tree;
    tree.tree = t->unique_trees[i];
    tree.label = "UNIQUE(";
    for (size_t j = 0; j < columns.size(); ++j)
      tree.label += (j ? ", " : "") + s.columns[static_cast<size_t>(columns[j])].name;
    tree.label += ")";
    // The layout vtab_unique.cc writes: every column ascending, no entry
    // for a NULL (docs/ARCHITECTURE.md, "Schemas").
    tree.entry_of = [columns](std::string_view row_key, const std::vector<SqlValue>& values,
                              std::string* key, std::string* value) {
      key->clear();
      for (int c : columns) {
        const SqlValue& v = values[static_cast<size_t>(c)];
        if (v.is_null()) return false;
        AppendKeyComponent(v, false, key);
      }
      value->assign(row_key);
      return true;
    };
    tree.describe = [n = columns.size()](std::string_view key) {
      std::string text, scratch;
      size_t pos = 0;
      SqlValue v;
      for (size_t j = 0; j < n; ++j) {
        if (!DecodeKeyComponent(key, &pos, false, false, &scratch, &v)) return std::string();
        text += (j ? ", " : "") + SqlLiteral(v);
      }
      return pos == key.size() ? "(" + text + ")" : std::string();
    };
    tree.row_of = [](std::string_view, std::string_view value, std::string* row_key) {
      row_key->assign(value);
      return !value.empty();
    };
    trees.push_back(std::move(tree));
  }
  return trees;
}

}  // namespace lightning::ext
