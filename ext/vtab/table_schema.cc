#include "ext/vtab/table_schema.h"

#include <algorithm>
#include <cctype>

namespace lightning::ext {
namespace {

// ---------------------------------------------------------------- tokenizer

enum class Tok { kEnd, kIdent, kQuotedIdent, kString, kBlob, kNumber, kPunct };

struct Token {
  Tok kind = Tok::kEnd;
  std::string_view text;  // as written, quotes included
  std::string value;      // identifier / string with quotes removed
};

bool IsIdentStart(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool IsIdentChar(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

// Reads a quoted run starting at s[i] (the opening quote); doubled closing
// quotes escape themselves. Returns false if unterminated.
bool ReadQuoted(std::string_view s, size_t* i, char close, std::string* value) {
  size_t j = *i + 1;
  value->clear();
  while (j < s.size()) {
    if (s[j] == close) {
      if (close != ']' && j + 1 < s.size() && s[j + 1] == close) {
        value->push_back(close);
        j += 2;
        continue;
      }
      *i = j + 1;
      return true;
    }
    value->push_back(s[j++]);
  }
  return false;
}

Status Tokenize(std::string_view s, std::vector<Token>* out) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
      continue;
    }
    Token t;
    size_t start = i;
    if ((c == 'x' || c == 'X') && i + 1 < s.size() && s[i + 1] == '\'') {
      ++i;
      if (!ReadQuoted(s, &i, '\'', &t.value))
        return Status::InvalidArgument("unterminated blob literal in \"" + std::string(s) + "\"");
      t.kind = Tok::kBlob;
    } else if (IsIdentStart(c)) {
      while (i < s.size() && IsIdentChar(static_cast<unsigned char>(s[i]))) ++i;
      t.kind = Tok::kIdent;
      t.value = std::string(s.substr(start, i - start));
    } else if (c == '"' || c == '`' || c == '[') {
      char close = c == '[' ? ']' : static_cast<char>(c);
      if (!ReadQuoted(s, &i, close, &t.value))
        return Status::InvalidArgument("unterminated quoted name in \"" + std::string(s) + "\"");
      t.kind = Tok::kQuotedIdent;
    } else if (c == '\'') {
      if (!ReadQuoted(s, &i, '\'', &t.value))
        return Status::InvalidArgument("unterminated string in \"" + std::string(s) + "\"");
      t.kind = Tok::kString;
    } else if (std::isdigit(c) || (c == '.' && i + 1 < s.size() &&
                                   std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      while (i < s.size() &&
             (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.' ||
              ((s[i] == '+' || s[i] == '-') && (s[i - 1] == 'e' || s[i - 1] == 'E'))))
        ++i;
      t.kind = Tok::kNumber;
    } else {
      ++i;
      t.kind = Tok::kPunct;
    }
    t.text = s.substr(start, i - start);
    if (t.kind == Tok::kPunct || t.kind == Tok::kNumber) t.value = std::string(t.text);
    out->push_back(std::move(t));
  }
  return Status::OK();
}

std::string Lower(std::string_view s) {
  std::string r(s);
  for (char& ch : r) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return r;
}

bool IsKeyword(const Token& t, const char* kw) {
  return t.kind == Tok::kIdent && Lower(t.value) == kw;
}

bool IsName(const Token& t) {
  return t.kind == Tok::kIdent || t.kind == Tok::kQuotedIdent || t.kind == Tok::kString;
}

// ---------------------------------------------------------- column parser

class ColumnParser {
 public:
  ColumnParser(std::string_view text, const std::vector<Token>& toks) : text_(text), t_(toks) {}

  Status Parse(ColumnDef* col) {
    col->name = t_[0].value;
    pos_ = 1;
    // Type name: identifiers up to the first constraint keyword, then (n[,m]).
    size_t type_begin = pos_;
    while (pos_ < t_.size() && t_[pos_].kind == Tok::kIdent && !IsConstraintStart(t_[pos_])) ++pos_;
    if (pos_ < t_.size() && t_[pos_].kind == Tok::kPunct && t_[pos_].value == "(" &&
        pos_ > type_begin) {
      size_t close = MatchParen(pos_);
      if (close == 0) return Error(col, "unbalanced parentheses in the type");
      pos_ = close + 1;
    }
    if (pos_ > type_begin) col->type = Span(type_begin, pos_);
    col->affinity = AffinityOfType(col->type);
    while (pos_ < t_.size()) LIGHTNING_RETURN_IF_ERROR(ParseConstraint(col));
    return Status::OK();
  }

  bool pk_desc() const { return pk_desc_; }

 private:
  static bool IsConstraintStart(const Token& t) {
    static const char* const kWords[] = {"constraint", "primary",   "not",     "null",
                                         "unique",     "check",     "default", "collate",
                                         "references", "generated", "as"};
    for (const char* w : kWords)
      if (IsKeyword(t, w)) return true;
    return false;
  }

  std::string Span(size_t from, size_t to) const {
    const char* b = t_[from].text.data();
    const char* e = t_[to - 1].text.data() + t_[to - 1].text.size();
    return std::string(b, static_cast<size_t>(e - b));
  }

  size_t MatchParen(size_t open) const {
    int depth = 0;
    for (size_t i = open; i < t_.size(); ++i) {
      if (t_[i].kind != Tok::kPunct) continue;
      if (t_[i].value == "(") ++depth;
      if (t_[i].value == ")" && --depth == 0) return i;
    }
    return 0;
  }

  Status Error(const ColumnDef* col, const std::string& what) const {
    return Status::InvalidArgument("column \"" + col->name + "\": " + what + " in \"" +
                                   std::string(text_) + "\"");
  }

  bool Accept(const char* kw) {
    if (pos_ < t_.size() && IsKeyword(t_[pos_], kw)) {
      ++pos_;
      return true;
    }
    return false;
  }

  Status RejectConflictClause(const ColumnDef* col) {
    if (pos_ + 1 < t_.size() && IsKeyword(t_[pos_], "on") && IsKeyword(t_[pos_ + 1], "conflict"))
      return Error(col,
                   "ON CONFLICT in a column definition is not supported (SQLite does not tell a "
                   "virtual table whether a statement chose its conflict mode); use INSERT OR "
                   "REPLACE/IGNORE/... in the statement instead");
    return Status::OK();
  }

  Status ParseConstraint(ColumnDef* col) {
    if (Accept("constraint")) {
      if (pos_ >= t_.size() || !IsName(t_[pos_])) return Error(col, "CONSTRAINT needs a name");
      ++pos_;
      return Status::OK();
    }
    if (Accept("primary")) {
      if (!Accept("key")) return Error(col, "expected KEY after PRIMARY");
      if (Accept("desc"))
        pk_desc_ = true;
      else
        Accept("asc");
      LIGHTNING_RETURN_IF_ERROR(RejectConflictClause(col));
      if (Accept("autoincrement"))
        return Error(col, "AUTOINCREMENT is not supported (new rowids are the largest + 1)");
      col->primary_key = true;
      return Status::OK();
    }
    if (Accept("not")) {
      if (!Accept("null")) return Error(col, "expected NULL after NOT");
      LIGHTNING_RETURN_IF_ERROR(RejectConflictClause(col));
      col->not_null = true;
      return Status::OK();
    }
    if (Accept("null")) return RejectConflictClause(col);
    if (Accept("collate")) {
      if (pos_ >= t_.size() || !IsName(t_[pos_])) return Error(col, "COLLATE needs a name");
      col->collation = t_[pos_++].value;
      return Status::OK();
    }
    if (Accept("default")) return ParseDefault(col);
    const Token& t = t_[pos_];
    if (IsKeyword(t, "unique"))
      return Error(col,
                   "UNIQUE is not supported on lightning tables (only the PRIMARY KEY is unique)");
    if (IsKeyword(t, "check"))
      return Error(col, "CHECK constraints are not supported on lightning tables");
    if (IsKeyword(t, "references"))
      return Error(col, "REFERENCES (foreign keys) are not supported on lightning tables");
    if (IsKeyword(t, "generated") || IsKeyword(t, "as"))
      return Error(col, "generated columns are not supported on lightning tables");
    return Error(col, "unexpected \"" + std::string(t.text) + "\"");
  }

  Status ParseDefault(ColumnDef* col) {
    if (pos_ >= t_.size()) return Error(col, "DEFAULT needs a value");
    size_t begin = pos_;
    const Token& t = t_[pos_];
    if (t.kind == Tok::kPunct && t.value == "(") {
      size_t close = MatchParen(pos_);
      if (close == 0) return Error(col, "unbalanced parentheses after DEFAULT");
      pos_ = close + 1;
    } else if (t.kind == Tok::kPunct && (t.value == "-" || t.value == "+")) {
      pos_ += 2;
    } else {
      ++pos_;
    }
    if (pos_ > t_.size()) return Error(col, "DEFAULT needs a value");
    col->default_expr = Span(begin, pos_);
    if (Lower(col->default_expr) != "null")
      return Error(col,
                   "DEFAULT is not supported on lightning tables: SQLite passes an omitted column "
                   "to a virtual table as NULL, so the default could not be applied");
    return Status::OK();
  }

  std::string_view text_;
  const std::vector<Token>& t_;
  size_t pos_ = 0;
  bool pk_desc_ = false;
};

std::string Unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"') && v.back() == v.front()) {
    std::string out;
    char q = v.front();
    for (size_t i = 1; i + 1 < v.size(); ++i) {
      out.push_back(v[i]);
      if (v[i] == q && i + 2 < v.size() && v[i + 1] == q) ++i;
    }
    return out;
  }
  return std::string(v);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// "PRIMARY KEY (col)" given as its own argument.
Status ParseTableConstraint(std::string_view arg, const std::vector<Token>& t, TableSchema* schema,
                            std::string* pk_name) {
  size_t p = 0;
  if (IsKeyword(t[p], "constraint")) p += 2;
  if (p < t.size() && IsKeyword(t[p], "primary")) {
    if (p + 4 < t.size() && IsKeyword(t[p + 1], "key") && t[p + 2].value == "(" &&
        IsName(t[p + 3])) {
      size_t q = p + 4;
      if (q < t.size() && (IsKeyword(t[q], "asc") || IsKeyword(t[q], "desc"))) ++q;
      if (q < t.size() && t[q].value == ")" && q + 1 == t.size()) {
        *pk_name = t[p + 3].value;
        return Status::OK();
      }
      if (q < t.size() && t[q].value == ",")
        return Status::InvalidArgument(
            "a PRIMARY KEY of more than one column is not supported: \"" + std::string(arg) + "\"");
    }
    return Status::InvalidArgument("malformed table constraint \"" + std::string(arg) + "\"");
  }
  return Status::InvalidArgument("table constraint \"" + std::string(arg) +
                                 "\" is not supported on lightning tables (only PRIMARY KEY(col))");
}

}  // namespace

Affinity AffinityOfType(std::string_view type) {
  std::string t = Lower(type);
  if (t.find("int") != std::string::npos) return Affinity::kInteger;
  if (t.find("char") != std::string::npos || t.find("clob") != std::string::npos ||
      t.find("text") != std::string::npos)
    return Affinity::kText;
  if (t.find("blob") != std::string::npos || Trim(t).empty()) return Affinity::kBlob;
  if (t.find("real") != std::string::npos || t.find("floa") != std::string::npos ||
      t.find("doub") != std::string::npos)
    return Affinity::kReal;
  return Affinity::kNumeric;
}

const char* AffinityName(Affinity affinity) {
  switch (affinity) {
    case Affinity::kBlob:
      return "BLOB";
    case Affinity::kText:
      return "TEXT";
    case Affinity::kNumeric:
      return "NUMERIC";
    case Affinity::kInteger:
      return "INTEGER";
    case Affinity::kReal:
      return "REAL";
  }
  return "?";
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out.push_back(c);
    if (c == '"') out.push_back('"');
  }
  out.push_back('"');
  return out;
}

int TableSchema::FindColumn(std::string_view name) const {
  std::string lower = Lower(name);
  for (size_t i = 0; i < columns.size(); ++i)
    if (Lower(columns[i].name) == lower) return static_cast<int>(i);
  return -1;
}

std::string TableSchema::DeclareSql() const {
  std::string sql = "CREATE TABLE x(";
  for (size_t i = 0; i < columns.size(); ++i) {
    const ColumnDef& c = columns[i];
    if (i) sql += ", ";
    sql += QuoteIdentifier(c.name);
    if (!c.type.empty()) sql += " " + c.type;
    if (c.not_null) sql += " NOT NULL";
    if (!c.collation.empty()) sql += " COLLATE " + QuoteIdentifier(c.collation);
    if (static_cast<int>(i) == key_column) sql += " PRIMARY KEY";
  }
  sql += ")";
  if (key_kind == KeyKind::kWithoutRowid) sql += " WITHOUT ROWID";
  return sql;
}

Status ParseTableArgs(const std::vector<std::string_view>& args,
                      const std::vector<std::string>& option_names, TableSchema* schema) {
  *schema = TableSchema();
  std::string table_pk;
  bool pk_desc = false;
  for (std::string_view raw : args) {
    std::string_view arg = Trim(raw);
    if (arg.empty()) continue;
    std::vector<Token> toks;
    LIGHTNING_RETURN_IF_ERROR(Tokenize(arg, &toks));
    if (toks.empty()) continue;
    // name=value: an option.
    if (toks.size() >= 2 && toks[0].kind == Tok::kIdent && toks[1].kind == Tok::kPunct &&
        toks[1].value == "=") {
      std::string name = Lower(toks[0].value);
      if (std::find(option_names.begin(), option_names.end(), name) == option_names.end()) {
        std::string msg = "unknown option \"" + toks[0].value + "\"";
        std::string close = ClosestName(name, option_names);
        if (!close.empty()) msg += "; did you mean \"" + close + "\"?";
        return Status::InvalidArgument(msg);
      }
      for (const auto& [n, v] : schema->options)
        if (n == name) return Status::InvalidArgument("option \"" + name + "\" is given twice");
      size_t eq = arg.find('=');
      std::string_view value = Trim(arg.substr(eq + 1));
      if (value.empty()) return Status::InvalidArgument("option \"" + name + "\" needs a value");
      schema->options.emplace_back(name, Unquote(value));
      continue;
    }
    if (IsKeyword(toks[0], "primary") || IsKeyword(toks[0], "unique") ||
        IsKeyword(toks[0], "check") || IsKeyword(toks[0], "foreign") ||
        IsKeyword(toks[0], "constraint")) {
      if (!table_pk.empty()) return Status::InvalidArgument("more than one PRIMARY KEY");
      LIGHTNING_RETURN_IF_ERROR(ParseTableConstraint(arg, toks, schema, &table_pk));
      continue;
    }
    if (!IsName(toks[0]))
      return Status::InvalidArgument("expected a column definition or name=value, got \"" +
                                     std::string(arg) + "\"");
    ColumnDef col;
    ColumnParser parser(arg, toks);
    LIGHTNING_RETURN_IF_ERROR(parser.Parse(&col));
    if (schema->FindColumn(col.name) >= 0)
      return Status::InvalidArgument("duplicate column name \"" + col.name + "\"");
    if (col.primary_key) {
      if (schema->key_column >= 0)
        return Status::InvalidArgument(
            "more than one PRIMARY KEY (a key of several columns is not supported)");
      schema->key_column = static_cast<int>(schema->columns.size());
      pk_desc = parser.pk_desc();
    }
    schema->columns.push_back(std::move(col));
  }
  if (schema->columns.empty()) return Status::InvalidArgument("no columns declared");
  if (!table_pk.empty()) {
    if (schema->key_column >= 0) return Status::InvalidArgument("more than one PRIMARY KEY");
    schema->key_column = schema->FindColumn(table_pk);
    if (schema->key_column < 0)
      return Status::InvalidArgument("PRIMARY KEY names unknown column \"" + table_pk + "\"");
    schema->columns[schema->key_column].primary_key = true;
  }
  if (schema->key_column < 0) {
    schema->key_kind = KeyKind::kRowid;
    return Status::OK();
  }
  ColumnDef& key = schema->columns[schema->key_column];
  if (!key.collation.empty() && Lower(key.collation) != "binary")
    return Status::InvalidArgument("COLLATE " + key.collation + " on the PRIMARY KEY column \"" +
                                   key.name + "\" is not supported (keys are ordered by BINARY)");
  bool integer_alias = Lower(Trim(key.type)) == "integer" && !pk_desc;
  schema->key_kind = integer_alias ? KeyKind::kIntegerPrimaryKey : KeyKind::kWithoutRowid;
  if (schema->key_kind == KeyKind::kWithoutRowid) key.not_null = true;
  return Status::OK();
}

}  // namespace lightning::ext
