// Index definitions of lightning tables: the module argument
// `[UNIQUE] INDEX name(col [ASC|DESC], ...)` and the column text of
// lightning_create_index(table, name, 'a, b DESC'). Pure C++.
#include "ext/vtab/sql_tokens.h"
#include "ext/vtab/table_schema.h"

namespace lightning::ext {
namespace {

using sql_tokens::IsKeyword;
using sql_tokens::IsName;
using sql_tokens::Lower;
using sql_tokens::Tok;
using sql_tokens::Token;

// Parses tokens t[*q..] as "col [COLLATE BINARY] [ASC|DESC], ..." up to the
// end or a ")" (left at *q).
Status ParseColumnList(const std::vector<Token>& t, size_t* q, const TableSchema& schema,
                       IndexDef* index) {
  for (;;) {
    if (*q >= t.size() || !IsName(t[*q]))
      return Status::InvalidArgument("index " + index->name + ": expected a column name, got \"" +
                                     (*q < t.size() ? std::string(t[*q].text) : "end") + "\"");
    const std::string name = t[(*q)++].value;
    const int c = schema.FindColumn(name);
    if (c < 0)
      return Status::InvalidArgument("index " + index->name + " names unknown column \"" + name +
                                     "\"");
    const ColumnDef& col = schema.columns[static_cast<size_t>(c)];
    if (!col.collation.empty() && Lower(col.collation) != "binary")
      return Status::InvalidArgument("index " + index->name + ": column \"" + col.name +
                                     "\" has COLLATE " + col.collation +
                                     "; indexes are ordered by BINARY only");
    if (*q + 1 < t.size() && IsKeyword(t[*q], "collate")) {
      if (Lower(t[*q + 1].value) != "binary")
        return Status::InvalidArgument("index " + index->name + ": COLLATE " + t[*q + 1].value +
                                       " is not supported (indexes are ordered by BINARY)");
      *q += 2;
    }
    bool desc = false;
    if (*q < t.size() && t[*q].kind == Tok::kIdent && !(t[*q].value == ",") &&
        !(t[*q].value == ")")) {
      if (IsKeyword(t[*q], "asc") || IsKeyword(t[*q], "desc")) {
        desc = IsKeyword(t[(*q)++], "desc");
      } else {
        return Status::InvalidArgument("index " + index->name + ": bad direction \"" + t[*q].value +
                                       "\" for column \"" + col.name + "\" (ASC or DESC)");
      }
    }
    for (int other : index->columns)
      if (other == c)
        return Status::InvalidArgument("index " + index->name + ": column \"" + col.name +
                                       "\" appears twice");
    index->columns.push_back(c);
    index->desc.push_back(desc);
    if (*q < t.size() && t[*q].value == ",") {
      ++*q;
      continue;
    }
    if (*q >= t.size() || t[*q].value == ")") return Status::OK();
    return Status::InvalidArgument("index " + index->name + ": unexpected \"" +
                                   std::string(t[*q].text) + "\" after column \"" + col.name +
                                   "\"");
  }
}

}  // namespace

Status ParseIndexColumns(std::string_view text, const TableSchema& schema, IndexDef* index) {
  std::vector<Token> t;
  LIGHTNING_RETURN_IF_ERROR(sql_tokens::Tokenize(text, &t));
  if (t.empty()) return Status::InvalidArgument("index " + index->name + ": no columns given");
  size_t q = 0;
  LIGHTNING_RETURN_IF_ERROR(ParseColumnList(t, &q, schema, index));
  if (q != t.size())
    return Status::InvalidArgument("index " + index->name + ": unexpected \"" +
                                   std::string(t[q].text) + "\" in the column list");
  return Status::OK();
}

Status ParseIndexDeclaration(std::string_view arg, const TableSchema& schema, IndexDef* index) {
  std::vector<Token> t;
  LIGHTNING_RETURN_IF_ERROR(sql_tokens::Tokenize(arg, &t));
  size_t q = 0;
  index->unique = IsKeyword(t[q], "unique");
  if (index->unique) ++q;
  ++q;  // INDEX
  if (q >= t.size() || !IsName(t[q]) || q + 1 >= t.size() || t[q + 1].value != "(")
    return Status::InvalidArgument("malformed index declaration \"" + std::string(arg) +
                                   "\" (expected [UNIQUE] INDEX name(col [ASC|DESC], ...))");
  index->name = t[q].value;
  q += 2;
  LIGHTNING_RETURN_IF_ERROR(ParseColumnList(t, &q, schema, index));
  if (q + 1 != t.size() || t[q].value != ")")
    return Status::InvalidArgument("malformed index declaration \"" + std::string(arg) +
                                   "\" (expected [UNIQUE] INDEX name(col [ASC|DESC], ...))");
  return CheckNewIndex(schema, *index);
}

Status CheckNewIndex(const TableSchema& schema, const IndexDef& index) {
  if (index.name.empty()) return Status::InvalidArgument("an index needs a name");
  for (const IndexDef& other : schema.indexes)
    if (Lower(other.name) == Lower(index.name))
      return Status::InvalidArgument("index " + index.name + " already exists");
  if (schema.indexes.size() >= static_cast<size_t>(kMaxIndexes))
    return Status::InvalidArgument("a table may have at most " + std::to_string(kMaxIndexes) +
                                   " indexes");
  if (index.columns.empty())
    return Status::InvalidArgument("index " + index.name + ": no columns given");
  if (index.columns.size() > static_cast<size_t>(kMaxIndexColumns))
    return Status::InvalidArgument("index " + index.name + " has " +
                                   std::to_string(index.columns.size()) + " columns; at most " +
                                   std::to_string(kMaxIndexColumns));
  return Status::OK();
}

std::string IndexColumnsText(const TableSchema& schema, const IndexDef& index) {
  std::string out;
  for (size_t i = 0; i < index.columns.size(); ++i) {
    if (i) out += ", ";
    out += QuoteIdentifier(schema.columns[static_cast<size_t>(index.columns[i])].name);
    if (index.desc[i]) out += " DESC";
  }
  return out;
}

}  // namespace lightning::ext
