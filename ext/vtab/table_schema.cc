#include "ext/vtab/table_schema.h"

#include <algorithm>
#include <cctype>

#include "ext/vtab/sql_tokens.h"

namespace lightning::ext {
namespace {

using sql_tokens::IsKeyword;
using sql_tokens::IsName;
using sql_tokens::Lower;
using sql_tokens::Tok;
using sql_tokens::Token;
using sql_tokens::Tokenize;

// ---------------------------------------------------------- CHECK

const char kForeignKeyReason[] =
    "tables (SQLite enforces foreign keys on native tables only, and the module does not "
    "enforce them)";

size_t MatchParenIn(const std::vector<Token>& t, size_t open) {
  int depth = 0;
  for (size_t i = open; i < t.size(); ++i) {
    if (t[i].kind != Tok::kPunct) continue;
    if (t[i].value == "(") ++depth;
    if (t[i].value == ")" && --depth == 0) return i;
  }
  return 0;
}

// CHECK ( expr ): t[at] is CHECK. Sets *out (named `constraint_name` if not
// empty) and *close to the index of the closing parenthesis. Refuses, with
// native SQLite's words, what SQLite would refuse without resolving names:
// subqueries and parameters (names, aggregates and windows are SQLite's to
// judge, vtab_check.cc).
Status ParseCheck(std::string_view arg, const std::vector<Token>& t, size_t at,
                  const std::string& constraint_name, size_t* close, CheckConstraint* out) {
  if (at + 1 >= t.size() || t[at + 1].kind != Tok::kPunct || t[at + 1].value != "(")
    return Status::InvalidArgument("CHECK needs a parenthesized expression in \"" +
                                   std::string(arg) + "\"");
  *close = MatchParenIn(t, at + 1);
  if (*close == 0)
    return Status::InvalidArgument("unbalanced parentheses after CHECK in \"" + std::string(arg) +
                                   "\"");
  if (*close == at + 2)
    return Status::InvalidArgument("CHECK needs an expression in \"" + std::string(arg) + "\"");
  for (size_t i = at + 2; i < *close; ++i) {
    if (IsKeyword(t[i], "select"))
      return Status::InvalidArgument("subqueries prohibited in CHECK constraints (\"" +
                                     std::string(arg) + "\")");
    const std::string& v = t[i].value;
    if (t[i].kind == Tok::kPunct && (v == "?" || v == ":" || v == "@" || v == "$" || v == "#"))
      return Status::InvalidArgument("parameters prohibited in CHECK constraints (\"" +
                                     std::string(arg) + "\")");
  }
  // The text between the parentheses, comments included, as SQLite keeps it.
  const char* b = t[at + 1].text.data() + 1;
  const char* e = t[*close].text.data();
  std::string_view expr(b, static_cast<size_t>(e - b));
  while (!expr.empty() && std::isspace(static_cast<unsigned char>(expr.front())))
    expr.remove_prefix(1);
  while (!expr.empty() && std::isspace(static_cast<unsigned char>(expr.back())))
    expr.remove_suffix(1);
  out->expr = std::string(expr);
  out->name = constraint_name.empty() ? SqliteDequote(expr) : constraint_name;
  return Status::OK();
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
  // The column's CHECK constraints in the order written.
  std::vector<CheckConstraint>& checks() { return checks_; }
  // The column's PRIMARY KEY ('P') and UNIQUE ('U') constraints in the order written.
  const std::string& constraint_order() const { return order_; }

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

  size_t MatchParen(size_t open) const { return MatchParenIn(t_, open); }

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
      // As in SQLite, the name holds for the column's later constraints.
      constraint_name_ = SqliteDequote(t_[pos_++].text);
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
      order_ += 'P';
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
    if (Accept("unique")) {
      LIGHTNING_RETURN_IF_ERROR(RejectConflictClause(col));
      col->unique = true;
      order_ += 'U';
      return Status::OK();
    }
    const Token& t = t_[pos_];
    if (IsKeyword(t, "check")) {
      CheckConstraint check;
      size_t close = 0;
      LIGHTNING_RETURN_IF_ERROR(ParseCheck(text_, t_, pos_, constraint_name_, &close, &check));
      checks_.push_back(std::move(check));
      pos_ = close + 1;
      return Status::OK();
    }
    if (IsKeyword(t, "references"))
      return Error(col, std::string("REFERENCES (foreign keys) are not supported on lightning ") +
                            kForeignKeyReason);
    if (IsKeyword(t, "generated") || IsKeyword(t, "as"))
      return Error(col,
                   "generated columns are not supported on lightning tables (SQLite refuses "
                   "computed columns in a virtual table's schema)");
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
  std::string order_;
  std::string constraint_name_;  // the last CONSTRAINT name given, dequoted
  std::vector<CheckConstraint> checks_;
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

struct KeyPart {
  std::string name;
  bool desc = false;
};

// "PRIMARY KEY (col [COLLATE c] [ASC|DESC], ...)" or "UNIQUE (col, ...)"
// given as its own argument; *unique tells which.
Status ParseTableConstraint(std::string_view arg, const std::vector<Token>& t, bool* unique,
                            std::vector<KeyPart>* parts) {
  size_t p = 0;
  if (IsKeyword(t[p], "constraint")) p += 2;
  auto malformed = [&] {
    return Status::InvalidArgument("malformed table constraint \"" + std::string(arg) + "\"");
  };
  *unique = p < t.size() && IsKeyword(t[p], "unique");
  if (p >= t.size() || !(IsKeyword(t[p], "primary") || *unique))
    return Status::InvalidArgument("table constraint \"" + std::string(arg) +
                                   "\" is not supported on lightning tables (only PRIMARY KEY(col, "
                                   "...) and UNIQUE(col, ...))");
  size_t q;
  if (*unique) {
    if (p + 1 >= t.size() || t[p + 1].value != "(") return malformed();
    q = p + 2;
  } else {
    if (p + 2 >= t.size() || !IsKeyword(t[p + 1], "key") || t[p + 2].value != "(")
      return malformed();
    q = p + 3;
  }
  const char* what = *unique ? "UNIQUE" : "PRIMARY KEY";
  for (;;) {
    if (q >= t.size() || !IsName(t[q])) return malformed();
    KeyPart part;
    part.name = t[q++].value;
    if (q + 1 < t.size() && IsKeyword(t[q], "collate") && IsName(t[q + 1])) {
      if (Lower(t[q + 1].value) != "binary")
        return Status::InvalidArgument("COLLATE " + t[q + 1].value + " on " + what + " column \"" +
                                       part.name +
                                       "\" is not supported (keys are ordered by BINARY)");
      q += 2;
    }
    if (q < t.size() && (IsKeyword(t[q], "asc") || IsKeyword(t[q], "desc")))
      part.desc = IsKeyword(t[q++], "desc");
    for (const KeyPart& other : *parts)
      if (Lower(other.name) == Lower(part.name))
        return Status::InvalidArgument("column \"" + part.name + "\" appears twice in the " + what);
    parts->push_back(std::move(part));
    if (q < t.size() && t[q].value == ",") {
      ++q;
      continue;
    }
    if (q < t.size() && t[q].value == ")" && q + 1 == t.size()) return Status::OK();
    if (q + 1 < t.size() && t[q].value == ")" && IsKeyword(t[q + 1], "on"))
      return Status::InvalidArgument(std::string("ON CONFLICT in a ") + what +
                                     " constraint is not supported; use INSERT OR "
                                     "REPLACE/IGNORE/... in the statement instead");
    return malformed();
  }
}

// A composite key: key_columns, key_desc, NOT NULL key columns, the hidden
// column's name.
Status SetCompositeKey(const std::vector<KeyPart>& parts, TableSchema* schema) {
  if (static_cast<int>(parts.size()) > kMaxKeyColumns)
    return Status::InvalidArgument("a PRIMARY KEY of " + std::to_string(parts.size()) +
                                   " columns is more than the " + std::to_string(kMaxKeyColumns) +
                                   " lightning tables support");
  schema->key_kind = KeyKind::kComposite;
  for (const KeyPart& part : parts) {
    int c = schema->FindColumn(part.name);
    if (c < 0)
      return Status::InvalidArgument("PRIMARY KEY names unknown column \"" + part.name + "\"");
    ColumnDef& col = schema->columns[c];
    if (!col.collation.empty() && Lower(col.collation) != "binary")
      return Status::InvalidArgument("COLLATE " + col.collation + " on the PRIMARY KEY column \"" +
                                     col.name + "\" is not supported (keys are ordered by BINARY)");
    col.primary_key = true;
    col.not_null = true;  // as in a native WITHOUT ROWID table
    schema->key_columns.push_back(c);
    schema->key_desc.push_back(part.desc);
  }
  std::string hidden = "lightning_key";
  while (schema->FindColumn(hidden) >= 0) hidden += "_";
  schema->hidden_key_name = hidden;
  return Status::OK();
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

std::string SqliteDequote(std::string_view text) {
  if (text.empty()) return std::string();
  char quote = text[0];
  if (quote != '\'' && quote != '"' && quote != '`' && quote != '[') return std::string(text);
  if (quote == '[') quote = ']';
  std::string out;
  for (size_t i = 1; i < text.size(); ++i) {
    if (text[i] == quote) {
      if (i + 1 < text.size() && text[i + 1] == quote) {
        out.push_back(quote);
        ++i;
        continue;
      }
      break;
    }
    out.push_back(text[i]);
  }
  return out;
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
  if (composite()) sql += ", " + QuoteIdentifier(hidden_key_name) + " HIDDEN PRIMARY KEY";
  sql += ")";
  if (key_kind == KeyKind::kWithoutRowid || composite()) sql += " WITHOUT ROWID";
  return sql;
}

namespace {

// The key: kind, columns, NOT NULL. `table_pk` is PRIMARY KEY(...) if given.
Status ResolveKey(const std::vector<KeyPart>& table_pk, bool pk_desc, TableSchema* schema) {
  if (!table_pk.empty()) {
    if (schema->key_column >= 0) return Status::InvalidArgument("more than one PRIMARY KEY");
    if (table_pk.size() > 1) return SetCompositeKey(table_pk, schema);
    schema->key_column = schema->FindColumn(table_pk[0].name);
    if (schema->key_column < 0)
      return Status::InvalidArgument("PRIMARY KEY names unknown column \"" + table_pk[0].name +
                                     "\"");
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

// A UNIQUE constraint's columns, by name, into schema->uniques.
Status AddUnique(const std::vector<KeyPart>& parts, int seq, TableSchema* schema) {
  UniqueConstraint u;
  u.seq = seq;
  for (const KeyPart& part : parts) {
    int c = schema->FindColumn(part.name);
    if (c < 0) return Status::InvalidArgument("UNIQUE names unknown column \"" + part.name + "\"");
    const ColumnDef& col = schema->columns[static_cast<size_t>(c)];
    if (!col.collation.empty() && Lower(col.collation) != "binary")
      return Status::InvalidArgument("COLLATE " + col.collation + " on the UNIQUE column \"" +
                                     col.name + "\" is not supported (compared by BINARY)");
    u.columns.push_back(c);
  }
  schema->uniques.push_back(std::move(u));
  return Status::OK();
}

}  // namespace

Status ParseTableArgs(const std::vector<std::string_view>& args,
                      const std::vector<std::string>& option_names, TableSchema* schema) {
  *schema = TableSchema();
  std::vector<KeyPart> table_pk;
  bool pk_desc = false;
  int seq = 0;  // PRIMARY KEY and UNIQUE constraints in the order declared
  std::vector<std::pair<std::vector<KeyPart>, int>> uniques;
  std::vector<std::string_view> index_args;
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
    // [UNIQUE] INDEX name(...): parsed once every column is known.
    if (IsKeyword(toks[0], "index") ||
        (toks.size() > 1 && IsKeyword(toks[0], "unique") && IsKeyword(toks[1], "index"))) {
      index_args.push_back(arg);
      continue;
    }
    if (IsKeyword(toks[0], "primary") || IsKeyword(toks[0], "unique") ||
        IsKeyword(toks[0], "check") || IsKeyword(toks[0], "foreign") ||
        IsKeyword(toks[0], "constraint")) {
      // [CONSTRAINT name] CHECK(expr) as a table constraint.
      size_t p = toks.size() > 2 && IsKeyword(toks[0], "constraint") ? 2 : 0;
      if (p < toks.size() && IsKeyword(toks[p], "check")) {
        CheckConstraint check;
        size_t close = 0;
        std::string name = p == 2 ? SqliteDequote(toks[1].text) : std::string();
        LIGHTNING_RETURN_IF_ERROR(ParseCheck(arg, toks, p, name, &close, &check));
        if (close + 1 != toks.size())
          return Status::InvalidArgument("malformed table constraint \"" + std::string(arg) + "\"");
        schema->checks.push_back(std::move(check));
        continue;
      }
      if (p < toks.size() && IsKeyword(toks[p], "foreign"))
        return Status::InvalidArgument("FOREIGN KEY constraints are not supported on lightning " +
                                       std::string(kForeignKeyReason));
      std::vector<KeyPart> parts;
      bool unique = false;
      LIGHTNING_RETURN_IF_ERROR(ParseTableConstraint(arg, toks, &unique, &parts));
      if (unique) {
        uniques.emplace_back(std::move(parts), seq++);
        continue;
      }
      if (!table_pk.empty()) return Status::InvalidArgument("more than one PRIMARY KEY");
      table_pk = std::move(parts);
      schema->key_seq = seq++;
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
            "more than one PRIMARY KEY (declare a key of several columns as PRIMARY KEY(a, b))");
      schema->key_column = static_cast<int>(schema->columns.size());
      pk_desc = parser.pk_desc();
    }
    for (CheckConstraint& check : parser.checks()) schema->checks.push_back(std::move(check));
    for (char c : parser.constraint_order()) {
      if (c == 'P') schema->key_seq = seq++;
      if (c == 'U') uniques.emplace_back(std::vector<KeyPart>{{col.name, false}}, seq++);
    }
    schema->columns.push_back(std::move(col));
  }
  if (schema->columns.empty()) return Status::InvalidArgument("no columns declared");
  LIGHTNING_RETURN_IF_ERROR(ResolveKey(table_pk, pk_desc, schema));
  for (const auto& [parts, s] : uniques) LIGHTNING_RETURN_IF_ERROR(AddUnique(parts, s, schema));
  for (std::string_view arg : index_args) {
    IndexDef index;
    LIGHTNING_RETURN_IF_ERROR(ParseIndexDeclaration(arg, *schema, &index));
    schema->indexes.push_back(std::move(index));
  }
  return Status::OK();
}

}  // namespace lightning::ext
