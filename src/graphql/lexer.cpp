#include "graphql/lexer.hpp"

#include "graphql/error.hpp"

#include <cstdio>
#include <limits>

namespace parley::graphql {
namespace {

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_continue(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The spec's BlockStringValue(): common indentation removed, blank first/last lines dropped.
std::string block_string_value(std::string_view raw) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n' || raw[i] == '\r') {
      lines.push_back(raw.substr(start, i - start));
      if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  lines.push_back(raw.substr(start));
  auto indent_of = [](std::string_view line) {
    std::size_t n = 0;
    while (n < line.size() && (line[n] == ' ' || line[n] == '\t')) ++n;
    return n;
  };
  std::size_t common = std::numeric_limits<std::size_t>::max();
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::size_t indent = indent_of(lines[i]);
    if (indent < lines[i].size() && indent < common) common = indent;
  }
  if (common != std::numeric_limits<std::size_t>::max())
    for (std::size_t i = 1; i < lines.size(); ++i) lines[i].remove_prefix(std::min(common, lines[i].size()));
  std::size_t first = 0, last = lines.size();
  while (first < last && indent_of(lines[first]) == lines[first].size()) ++first;
  while (last > first && indent_of(lines[last - 1]) == lines[last - 1].size()) --last;
  std::string out;
  for (std::size_t i = first; i < last; ++i) {
    if (i > first) out += '\n';
    out += lines[i];
  }
  return out;
}

}  // namespace

const char* to_string(TokenKind kind) {
  switch (kind) {
    case TokenKind::Eof: return "<EOF>";
    case TokenKind::Bang: return "\"!\"";
    case TokenKind::Dollar: return "\"$\"";
    case TokenKind::Amp: return "\"&\"";
    case TokenKind::LParen: return "\"(\"";
    case TokenKind::RParen: return "\")\"";
    case TokenKind::Spread: return "\"...\"";
    case TokenKind::Colon: return "\":\"";
    case TokenKind::Equals: return "\"=\"";
    case TokenKind::At: return "\"@\"";
    case TokenKind::LBracket: return "\"[\"";
    case TokenKind::RBracket: return "\"]\"";
    case TokenKind::LBrace: return "\"{\"";
    case TokenKind::Pipe: return "\"|\"";
    case TokenKind::RBrace: return "\"}\"";
    case TokenKind::Name: return "Name";
    case TokenKind::Int: return "Int";
    case TokenKind::Float: return "Float";
    case TokenKind::String: return "String";
    case TokenKind::BlockString: return "BlockString";
  }
  return "token";
}

std::size_t find_invalid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return std::string_view::npos;
}

Lexer::Lexer(std::string_view source, std::size_t max_tokens) : src_(source), max_tokens_(max_tokens) {
  if (source.size() >= std::numeric_limits<std::uint32_t>::max()) fail("Document is too large");
  if (std::size_t bad = find_invalid_utf8(source); bad != std::string_view::npos) {
    advance(bad);
    fail("Syntax Error: Invalid UTF-8 sequence.");
  }
  if (src_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // a BOM is ignored and not counted as a column
}

void Lexer::fail(const std::string& message) const { throw SyntaxError(message, Location{line_, column_}); }

void Lexer::advance(std::size_t bytes) {
  const std::size_t stop = pos_ + bytes;
  for (; pos_ < stop; ++pos_) {
    const char c = src_[pos_];
    if (c == '\n') {
      if (pos_ == 0 || src_[pos_ - 1] != '\r') ++line_;
      column_ = 1;
    } else if (c == '\r') {
      ++line_;
      column_ = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++column_;
    }
  }
}

void Lexer::skip_ignored() {
  while (pos_ < src_.size()) {
    const char c = src_[pos_];
    if (c == ' ' || c == '\t' || c == ',' || c == '\n' || c == '\r') {
      advance(1);
    } else if (c == '#') {
      std::size_t p = pos_;
      while (p < src_.size() && src_[p] != '\n' && src_[p] != '\r') ++p;
      advance(p - pos_);
    } else if (src_.compare(pos_, 3, "\xEF\xBB\xBF") == 0) {
      advance(3);
    } else {
      return;
    }
  }
}

Token Lexer::make(TokenKind kind, std::size_t length) {
  Token t;
  t.kind = kind;
  t.loc = {line_, column_};
  t.begin = static_cast<std::uint32_t>(pos_);
  t.end = static_cast<std::uint32_t>(pos_ + length);
  t.text = src_.substr(pos_, length);
  advance(length);
  return t;
}

Token Lexer::next() {
  skip_ignored();
  if (pos_ >= src_.size()) return make(TokenKind::Eof, 0);
  if (++count_ > max_tokens_)
    fail("Syntax Error: Document contains more than " + std::to_string(max_tokens_) + " tokens. Parsing aborted.");
  const char c = src_[pos_];
  switch (c) {
    case '!': return make(TokenKind::Bang, 1);
    case '$': return make(TokenKind::Dollar, 1);
    case '&': return make(TokenKind::Amp, 1);
    case '(': return make(TokenKind::LParen, 1);
    case ')': return make(TokenKind::RParen, 1);
    case ':': return make(TokenKind::Colon, 1);
    case '=': return make(TokenKind::Equals, 1);
    case '@': return make(TokenKind::At, 1);
    case '[': return make(TokenKind::LBracket, 1);
    case ']': return make(TokenKind::RBracket, 1);
    case '{': return make(TokenKind::LBrace, 1);
    case '|': return make(TokenKind::Pipe, 1);
    case '}': return make(TokenKind::RBrace, 1);
    case '.':
      if (src_.compare(pos_, 3, "...") == 0) return make(TokenKind::Spread, 3);
      fail("Syntax Error: Unexpected \".\", did you mean \"...\"?");
    case '"':
      if (src_.compare(pos_, 3, "\"\"\"") == 0) return read_block_string();
      return read_string();
    default: break;
  }
  if (is_name_start(c)) return read_name();
  if (is_digit(c) || c == '-') return read_number();
  const auto uc = static_cast<unsigned char>(c);
  if (uc < 0x20 || uc == 0x7F) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", uc);
    fail(std::string("Syntax Error: Invalid character: ") + buf + ".");
  }
  fail("Syntax Error: Unexpected character: \"" + std::string(src_.substr(pos_, uc < 0x80 ? 1 : uc < 0xE0 ? 2 : uc < 0xF0 ? 3 : 4)) + "\".");
}

Token Lexer::read_name() {
  std::size_t p = pos_ + 1;
  while (p < src_.size() && is_name_continue(src_[p])) ++p;
  return make(TokenKind::Name, p - pos_);
}

Token Lexer::read_number() {
  std::size_t p = pos_;
  bool is_float = false;
  auto fail_at = [&](const std::string& message) {
    advance(p - pos_);
    fail(message);
  };
  auto digits = [&]() {
    if (p >= src_.size() || !is_digit(src_[p]))
      fail_at("Syntax Error: Invalid number, expected digit but got: " +
              (p >= src_.size() ? std::string("<EOF>") : "\"" + std::string(1, src_[p]) + "\"") + ".");
    while (p < src_.size() && is_digit(src_[p])) ++p;
  };
  if (src_[p] == '-') ++p;
  if (p < src_.size() && src_[p] == '0') {
    ++p;
    if (p < src_.size() && is_digit(src_[p]))
      fail_at("Syntax Error: Invalid number, unexpected digit after 0: \"" + std::string(1, src_[p]) + "\".");
  } else {
    digits();
  }
  if (p < src_.size() && src_[p] == '.') {
    is_float = true;
    ++p;
    digits();
  }
  if (p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
    is_float = true;
    ++p;
    if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
    digits();
  }
  if (p < src_.size() && (src_[p] == '.' || is_name_start(src_[p])))
    fail_at("Syntax Error: Invalid number, expected digit but got: \"" + std::string(1, src_[p]) + "\".");
  return make(is_float ? TokenKind::Float : TokenKind::Int, p - pos_);
}

std::uint32_t Lexer::read_escaped_unicode(Location at) {
  // pos_ is just after "\u".
  auto bad = [&]() -> std::uint32_t { throw SyntaxError("Syntax Error: Invalid Unicode escape sequence.", at); };
  std::uint32_t cp = 0;
  if (pos_ < src_.size() && src_[pos_] == '{') {
    std::size_t p = pos_ + 1;
    int n = 0;
    while (p < src_.size() && src_[p] != '}') {
      int h = hex_value(src_[p]);
      if (h < 0 || ++n > 8) return bad();
      cp = (cp << 4) | static_cast<std::uint32_t>(h);
      if (cp > 0x10FFFF) return bad();
      ++p;
    }
    if (p >= src_.size() || n == 0) return bad();
    advance(p + 1 - pos_);
    if (cp >= 0xD800 && cp <= 0xDFFF) return bad();
    return cp;
  }
  auto read4 = [&](std::size_t p) -> int {
    if (p + 4 > src_.size()) return -1;
    int v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      int h = hex_value(src_[p + k]);
      if (h < 0) return -1;
      v = (v << 4) | h;
    }
    return v;
  };
  int v = read4(pos_);
  if (v < 0) return bad();
  advance(4);
  cp = static_cast<std::uint32_t>(v);
  if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate must be followed by \u<low surrogate>
    if (src_.compare(pos_, 2, "\\u") != 0) return bad();
    int low = read4(pos_ + 2);
    if (low < 0xDC00 || low > 0xDFFF) return bad();
    advance(6);
    return 0x10000 + ((cp - 0xD800) << 10) + (static_cast<std::uint32_t>(low) - 0xDC00);
  }
  if (cp >= 0xDC00 && cp <= 0xDFFF) return bad();
  return cp;
}

Token Lexer::read_string() {
  Token t;
  t.kind = TokenKind::String;
  t.loc = {line_, column_};
  t.begin = static_cast<std::uint32_t>(pos_);
  advance(1);
  for (;;) {
    std::size_t p = pos_;
    while (p < src_.size() && src_[p] != '"' && src_[p] != '\\' && src_[p] != '\n' && src_[p] != '\r') ++p;
    t.value.append(src_.data() + pos_, p - pos_);
    advance(p - pos_);
    if (pos_ >= src_.size() || src_[pos_] == '\n' || src_[pos_] == '\r') fail("Syntax Error: Unterminated string.");
    if (src_[pos_] == '"') {
      advance(1);
      break;
    }
    // An escape sequence.
    Location at{line_, column_};
    if (pos_ + 1 >= src_.size()) fail("Syntax Error: Unterminated string.");
    const char e = src_[pos_ + 1];
    advance(2);
    switch (e) {
      case '"': t.value += '"'; break;
      case '\\': t.value += '\\'; break;
      case '/': t.value += '/'; break;
      case 'b': t.value += '\b'; break;
      case 'f': t.value += '\f'; break;
      case 'n': t.value += '\n'; break;
      case 'r': t.value += '\r'; break;
      case 't': t.value += '\t'; break;
      case 'u': append_utf8(t.value, read_escaped_unicode(at)); break;
      default: throw SyntaxError("Syntax Error: Invalid character escape sequence: \"\\" + std::string(1, e) + "\".", at);
    }
  }
  t.end = static_cast<std::uint32_t>(pos_);
  t.text = src_.substr(t.begin, t.end - t.begin);
  return t;
}

Token Lexer::read_block_string() {
  Token t;
  t.kind = TokenKind::BlockString;
  t.loc = {line_, column_};
  t.begin = static_cast<std::uint32_t>(pos_);
  std::size_t p = pos_ + 3;
  std::string raw;
  std::size_t run = p;
  for (;;) {
    if (p >= src_.size()) {
      advance(p - pos_);
      fail("Syntax Error: Unterminated string.");
    }
    if (src_.compare(p, 3, "\"\"\"") == 0) break;
    if (src_.compare(p, 4, "\\\"\"\"") == 0) {
      raw.append(src_.data() + run, p - run);
      raw += "\"\"\"";
      p += 4;
      run = p;
      continue;
    }
    ++p;
  }
  raw.append(src_.data() + run, p - run);
  advance(p + 3 - pos_);
  t.value = block_string_value(raw);
  t.end = static_cast<std::uint32_t>(pos_);
  t.text = src_.substr(t.begin, t.end - t.begin);
  return t;
}

}  // namespace parley::graphql
