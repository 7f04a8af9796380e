#pragma once
// A user's full-text search text in web-search syntax, parsed once and written out for each engine
// (private to src/db/repositories; used by SearchRepository). Pure functions; thread-safe.
//
// Syntax (PostgreSQL's websearch_to_tsquery, made strict enough to mean the same on SQLite FTS5):
//   word word        both words (AND)
//   "a phrase"       the words in this order, adjacent; an unclosed quote runs to the end
//   -word, -"a b"    must not contain (the '-' must touch the term; a lone '-' is ignored)
//   a or b           either side (case-insensitive "or" between two terms; elsewhere a plain word)
// AND binds tighter than OR: "a b or c" is (a AND b) OR c. Anything else is a plain character:
// the engines' tokenizers split words on punctuation, so FTS5 operators (NEAR, column filters,
// '*', '^', parentheses) and SQL have no meaning here. A term without a letter or digit is dropped,
// an OR group without a positive term is dropped (neither engine can list "everything except"),
// and at most kMaxSearchTerms terms from the first kMaxSearchTextBytes bytes are used.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace parley::db::repositories {

inline constexpr std::size_t kMaxSearchTerms = 32;
inline constexpr std::size_t kMaxSearchTextBytes = 1024;

struct SearchTerm {
  std::string text;     // a word, or the inside of a phrase; never contains '"' or control characters
  bool phrase = false;  // written in quotes
  bool negated = false;

  bool operator==(const SearchTerm&) const = default;
};

// OR of AND-groups; every group has at least one positive term.
struct SearchExpression {
  std::vector<std::vector<SearchTerm>> groups;

  bool empty() const noexcept { return groups.empty(); }
  // Normalized web-search text for PostgreSQL's websearch_to_tsquery.
  std::string to_websearch() const;
  // An FTS5 MATCH expression: every term a quoted string ('"' doubled), groups parenthesized:
  // ("a" AND "b c") NOT ("d") OR ("e").
  std::string to_fts5() const;
};

SearchExpression parse_search_text(std::string_view text);

}  // namespace parley::db::repositories
