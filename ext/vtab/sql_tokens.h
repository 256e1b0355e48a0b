// A tokenizer for the module arguments of CREATE VIRTUAL TABLE (column
// definitions, constraints, name=value options): SQL identifiers, quoted
// names, strings, blobs, numbers and punctuation, comments skipped. Used by
// table_schema.cc; pure C++.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lightning/status.h"

namespace lightning::ext::sql_tokens {

enum class Tok { kEnd, kIdent, kQuotedIdent, kString, kBlob, kNumber, kPunct };

struct Token {
  Tok kind = Tok::kEnd;
  std::string_view text;  // as written, quotes included
  std::string value;      // identifier / string with quotes removed
};

// Appends the tokens of `s` to *out; InvalidArgument for an unterminated
// string, name or blob literal. Token texts point into `s`.
Status Tokenize(std::string_view s, std::vector<Token>* out);

std::string Lower(std::string_view s);
// True if `t` is the identifier `kw` (lower case), in any case.
bool IsKeyword(const Token& t, const char* kw);
// True if `t` can name a column: an identifier, quoted name or string.
bool IsName(const Token& t);

}  // namespace lightning::ext::sql_tokens
