#pragma once
// The GraphQL lexer (spec 2.1). Turns source text into tokens with 1-based line/column locations,
// skipping ignored tokens (whitespace, commas, comments, a leading BOM). It rejects input that is
// not valid UTF-8 before the first token, and stops with a SyntaxError after `max_tokens` tokens so
// a huge document costs bounded work. Strings are decoded (escapes, block string indentation).
#include "graphql/ast.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::graphql {

enum class TokenKind : std::uint8_t {
  Eof, Bang, Dollar, Amp, LParen, RParen, Spread, Colon, Equals, At, LBracket, RBracket,
  LBrace, Pipe, RBrace, Name, Int, Float, String, BlockString
};
const char* to_string(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::Eof;
  Location loc;
  std::uint32_t begin = 0;  // byte offsets into the source
  std::uint32_t end = 0;
  std::string_view text;    // raw source text (names, numbers, punctuators)
  std::string value;        // decoded value of String / BlockString tokens
};

// Returns the byte offset of the first invalid UTF-8 sequence, or npos when `text` is valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t find_invalid_utf8(std::string_view text);

class Lexer {
 public:
  // Throws SyntaxError if the source is not valid UTF-8 or larger than 4 GiB.
  Lexer(std::string_view source, std::size_t max_tokens);

  // The next significant token; Eof at the end. Throws SyntaxError.
  Token next();
  std::size_t token_count() const { return count_; }

 private:
  void skip_ignored();
  void advance(std::size_t bytes);
  [[noreturn]] void fail(const std::string& message) const;
  Token make(TokenKind kind, std::size_t length);
  Token read_name();
  Token read_number();
  Token read_string();
  Token read_block_string();
  std::uint32_t read_escaped_unicode(Location at);

  std::string_view src_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
  std::uint32_t column_ = 1;
  std::size_t max_tokens_;
  std::size_t count_ = 0;
};

}  // namespace parley::graphql
