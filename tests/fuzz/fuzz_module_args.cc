// Fuzz target: the arguments of `CREATE VIRTUAL TABLE t USING lightning(...)`
// (ext/table_schema.*) and option parsing (engine/options.cc Options::Set),
// exactly as ext/vtab.cc applies them.
//
// Input: the module arguments separated by newlines (SQLite has already split
// them at top-level commas). Readable seeds: corpus/fuzz_module_args/.
//
// Properties:
//   - parsing never crashes, reads out of bounds or takes quadratic time on
//     long inputs beyond the input limit;
//   - an accepted schema is coherent: at least one column, names unique
//     (case-insensitively), the key column in range and marked, a WITHOUT
//     ROWID key NOT NULL, FindColumn finds every column;
//   - Options::Set and Options::Get round-trip: the text Get returns is
//     accepted by Set and reads back identically.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ext/vtab/table_schema.h"
#include "lightning/options.h"

using namespace lightning;
using namespace lightning::ext;

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "FUZZ PROPERTY VIOLATED: %s\n", what.c_str());
  std::abort();
}

// The valid option names, as ext/vtab.cc builds them.
const std::vector<std::string>& ModuleOptionNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const OptionInfo& o : AllOptions()) n.push_back(o.name);
    n.push_back("file");
    return n;
  }();
  return names;
}

void CheckOption(const std::string& name, const std::string& value) {
  Options o;
  Status s = o.Set(name, value);
  if (!s.ok()) {
    if (!s.IsInvalidArgument()) Fail("Options::Set fails with " + s.ToString());
    if (s.message().empty()) Fail("Options::Set fails without a message");
    return;
  }
  std::string text;
  if (!o.Get(name, &text).ok())
    Fail("Options::Get fails for option " + name + " that Set accepted");
  Options again;
  s = again.Set(name, text);
  if (!s.ok())
    Fail("Options::Set refuses what Get printed: " + name + "=" + text + ": " + s.ToString());
  std::string text2;
  (void)again.Get(name, &text2);
  if (text2 != text) Fail("option " + name + " does not round-trip: " + text + " -> " + text2);
  uint64_t bytes = 0;
  (void)ParseBytes(value, &bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> args;
  size_t start = 0;
  for (size_t i = 0; i <= input.size(); i++) {
    if (i == input.size() || input[i] == '\n') {
      args.push_back(input.substr(start, i - start));
      start = i + 1;
    }
  }

  // Every line also as a bare "name=value" handed to Options::Set.
  for (std::string_view a : args) {
    size_t eq = a.find('=');
    if (eq != std::string_view::npos)
      CheckOption(std::string(a.substr(0, eq)), std::string(a.substr(eq + 1)));
  }

  TableSchema schema;
  Status s = ParseTableArgs(args, ModuleOptionNames(), &schema);
  (void)ClosestName(input.substr(0, 64), ModuleOptionNames());
  if (!s.ok()) {
    if (!s.IsInvalidArgument() || s.message().empty())
      Fail("ParseTableArgs fails without a usable error");
    return 0;
  }
  const int n = static_cast<int>(schema.columns.size());
  if (n == 0) Fail("a schema without columns is accepted");
  for (int i = 0; i < n; i++) {
    if (schema.FindColumn(schema.columns[i].name) != i) Fail("duplicate or unfindable column name");
    bool in_key = schema.composite()
                      ? std::find(schema.key_columns.begin(), schema.key_columns.end(), i) !=
                            schema.key_columns.end()
                      : i == schema.key_column;
    if (schema.columns[i].primary_key != in_key) Fail("PRIMARY KEY flag disagrees with the key");
  }
  for (const UniqueConstraint& u : schema.uniques)
    for (int c : u.columns)
      if (c < 0 || c >= n) Fail("a UNIQUE column out of range");
  switch (schema.key_kind) {
    case KeyKind::kRowid:
      if (schema.key_column != -1) Fail("a rowid table has a key column");
      break;
    case KeyKind::kIntegerPrimaryKey:
    case KeyKind::kWithoutRowid:
      if (schema.key_column < 0 || schema.key_column >= n) Fail("key column out of range");
      if (schema.key_kind == KeyKind::kWithoutRowid && !schema.columns[schema.key_column].not_null)
        Fail("a WITHOUT ROWID key may be NULL");
      break;
    case KeyKind::kComposite:
      if (schema.key_column != -1 || schema.key_columns.size() < 2 ||
          schema.key_columns.size() != schema.key_desc.size() ||
          static_cast<int>(schema.key_columns.size()) > kMaxKeyColumns)
        Fail("a composite key's columns are inconsistent");
      for (int c : schema.key_columns)
        if (c < 0 || c >= n || !schema.columns[c].not_null)
          Fail("a composite key column may be NULL");
      if (schema.FindColumn(schema.hidden_key_name) >= 0) Fail("the hidden key column clashes");
      break;
  }
  (void)schema.DeclareSql();
  // Options are applied as ext/vtab.cc does; errors are fine, crashes are not.
  Options options;
  for (const auto& [name, value] : schema.options) {
    if (name == "file") continue;
    Status os = options.Set(name, value);
    if (!os.ok() && !os.IsInvalidArgument()) Fail("Options::Set fails with " + os.ToString());
  }
  return 0;
}
