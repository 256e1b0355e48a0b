#include "ext/vtab/sql_tokens.h"

#include <cctype>

namespace lightning::ext::sql_tokens {
namespace {

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

}  // namespace

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

}  // namespace lightning::ext::sql_tokens
