#include "db/repositories/search_text.hpp"


namespace parley::db::repositories {
namespace {

bool is_space(unsigned char c) noexcept { return c <= 0x20 || c == 0x7F; }  // blanks and control characters

// Decodes the UTF-8 sequence at `text[i]` (advancing i past it). Invalid bytes decode as U+FFFD.
char32_t next_code_point(std::string_view text, std::size_t& i) noexcept {
  const auto lead = static_cast<unsigned char>(text[i++]);
  if (lead < 0x80) return lead;
  const int extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : -1;
  if (extra < 0) return 0xFFFD;
  char32_t cp = lead & (0x3F >> extra);
  for (int k = 0; k < extra; ++k) {
    if (i >= text.size() || (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (static_cast<unsigned char>(text[i++]) & 0x3F);
  }
  return cp;
}

// Could this character be part of a word for the engines' tokenizers? ASCII letters and digits,
// and non-ASCII characters outside the common punctuation and symbol blocks (an approximation:
// it only decides whether a term is dropped as punctuation-only).
bool is_word_char(char32_t c) noexcept {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  if (c < 0xC0) return false;                     // Latin-1 punctuation and symbols
  if (c >= 0x2000 && c <= 0x2BFF) return false;   // general punctuation, symbols, arrows, shapes
  if (c >= 0x3000 && c <= 0x303F) return false;   // CJK punctuation
  if (c >= 0xE000 && c <= 0xF8FF) return false;   // private use (the snippet sentinels)
  if (c >= 0xFE30 && c <= 0xFE4F) return false;   // CJK compatibility forms
  if (c >= 0xFF00 && c <= 0xFF0F) return false;   // full-width punctuation
  return c != 0xFFFD;
}

bool has_word_char(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size();) {
    if (is_word_char(next_code_point(text, i))) return true;
  }
  return false;
}

bool is_or_word(std::string_view word) noexcept {
  return word.size() == 2 && (word[0] == 'o' || word[0] == 'O') && (word[1] == 'r' || word[1] == 'R');
}

// `text` cut to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view cut_utf8(std::string_view text, std::size_t max) noexcept {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

// `text` with every byte that is not part of a well-formed UTF-8 sequence (stray continuation
// bytes, overlong forms, surrogates, code points beyond U+10FFFF, truncated sequences) replaced by
// a space: the engines refuse invalid UTF-8 with an error.
std::string valid_utf8(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i < out.size();) {
    const auto lead = static_cast<unsigned char>(out[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3
                             : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
    bool ok = length > 0 && i + length <= out.size();
    for (std::size_t k = 1; ok && k < length; ++k) ok = (static_cast<unsigned char>(out[i + k]) & 0xC0) == 0x80;
    if (ok && length >= 3) {
      std::size_t at = i;
      const char32_t cp = next_code_point(out, at);
      ok = (length == 3 && cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) || (length == 4 && cp >= 0x10000 && cp <= 0x10FFFF);
    }
    if (!ok) {
      out[i++] = ' ';
      continue;
    }
    i += length;
  }
  return out;
}

// A lexical token: a term, or an "or" word that may turn out to be the operator.
struct Token {
  SearchTerm term;
  bool maybe_or = false;
};

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_space(c)) {
      ++i;
      continue;
    }
    bool negated = false;
    if (c == '-') {
      while (i < text.size() && text[i] == '-') ++i;
      if (i >= text.size() || is_space(static_cast<unsigned char>(text[i]))) continue;  // a lone '-'
      negated = true;
    }
    Token token;
    token.term.negated = negated;
    if (text[i] == '"') {
      const std::size_t close = text.find('"', i + 1);
      const std::size_t end = close == std::string_view::npos ? text.size() : close;
      token.term.phrase = true;
      token.term.text.assign(text.substr(i + 1, end - i - 1));
      i = close == std::string_view::npos ? text.size() : close + 1;
    } else {
      const std::size_t start = i;
      while (i < text.size() && text[i] != '"' && !is_space(static_cast<unsigned char>(text[i]))) ++i;
      token.term.text.assign(text.substr(start, i - start));
      token.maybe_or = !negated && is_or_word(token.term.text);
    }
    for (char& ch : token.term.text) {  // blanks and controls inside a phrase are word separators
      if (is_space(static_cast<unsigned char>(ch))) ch = ' ';
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

void append_quoted(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

SearchExpression parse_search_text(std::string_view text) {
  const std::vector<Token> tokens = tokenize(valid_utf8(cut_utf8(text, kMaxSearchTextBytes)));
  std::vector<std::vector<SearchTerm>> groups(1);
  bool previous_was_term = false;
  std::size_t terms = 0;
  for (std::size_t i = 0; i < tokens.size() && terms < kMaxSearchTerms; ++i) {
    const Token& token = tokens[i];
    // "or" is the operator only between two terms; otherwise it is a word.
    if (token.maybe_or && previous_was_term && i + 1 < tokens.size()) {
      groups.emplace_back();
      previous_was_term = false;
      continue;
    }
    previous_was_term = true;
    if (!has_word_char(token.term.text)) continue;  // punctuation only: no token for either engine
    groups.back().push_back(token.term);
    ++terms;
  }
  SearchExpression expression;
  for (std::vector<SearchTerm>& group : groups) {
    bool positive = false;
    for (const SearchTerm& term : group) positive = positive || !term.negated;
    if (positive) expression.groups.push_back(std::move(group));
  }
  return expression;
}

std::string SearchExpression::to_websearch() const {
  std::string out;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (g > 0) out.append(" or ");
    for (std::size_t t = 0; t < groups[g].size(); ++t) {
      const SearchTerm& term = groups[g][t];
      if (t > 0) out.push_back(' ');
      if (term.negated) out.push_back('-');
      // A word "or" is quoted so it stays a word; words never contain '"' or blanks.
      if (term.phrase || is_or_word(term.text)) {
        out.push_back('"');
        out.append(term.text);
        out.push_back('"');
      } else {
        out.append(term.text);
      }
    }
  }
  return out;
}

std::string SearchExpression::to_fts5() const {
  std::string out;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (g > 0) out.append(" OR ");
    out.append("((");
    bool first = true;
    for (const SearchTerm& term : groups[g]) {
      if (term.negated) continue;
      if (!first) out.append(" AND ");
      append_quoted(out, term.text);
      first = false;
    }
    out.push_back(')');
    first = true;
    for (const SearchTerm& term : groups[g]) {
      if (!term.negated) continue;
      out.append(first ? " NOT (" : " OR ");
      append_quoted(out, term.text);
      first = false;
    }
    if (!first) out.push_back(')');
    out.push_back(')');
  }
  return out;
}

}  // namespace parley::db::repositories
