#include "db/repositories/search_text.hpp"

#include <gtest/gtest.h>

namespace parley::db::repositories {
namespace {

SearchTerm word(std::string text, bool negated = false) { return {.text = std::move(text), .negated = negated}; }
SearchTerm phrase(std::string text, bool negated = false) {
  return {.text = std::move(text), .phrase = true, .negated = negated};
}
using Groups = std::vector<std::vector<SearchTerm>>;

TEST(SearchText, WordsAreAnded) {
  const SearchExpression e = parse_search_text("  hello   World ");
  EXPECT_EQ(e.groups, (Groups{{word("hello"), word("World")}}));
  EXPECT_EQ(e.to_websearch(), "hello World");
  EXPECT_EQ(e.to_fts5(), "((\"hello\" AND \"World\"))");
}

TEST(SearchText, PhrasesExclusionsAndOr) {
  const SearchExpression e = parse_search_text("\"red fox\" -dog -\"lazy cat\" or Owl OR");
  EXPECT_EQ(e.groups, (Groups{{phrase("red fox"), word("dog", true), phrase("lazy cat", true)}, {word("Owl"), word("OR")}}));
  EXPECT_EQ(e.to_websearch(), "\"red fox\" -dog -\"lazy cat\" or Owl \"OR\"");
  EXPECT_EQ(e.to_fts5(), "((\"red fox\") NOT (\"dog\" OR \"lazy cat\")) OR ((\"Owl\" AND \"OR\"))");
}

TEST(SearchText, OrIsAnOperatorOnlyBetweenTerms) {
  EXPECT_EQ(parse_search_text("or").groups, (Groups{{word("or")}}));
  EXPECT_EQ(parse_search_text("or a").groups, (Groups{{word("or"), word("a")}}));
  EXPECT_EQ(parse_search_text("a or").groups, (Groups{{word("a"), word("or")}}));
  EXPECT_EQ(parse_search_text("a or or b").groups, (Groups{{word("a")}, {word("or"), word("b")}}));
  EXPECT_EQ(parse_search_text("a \"or\" b").groups, (Groups{{word("a"), phrase("or"), word("b")}}));
  EXPECT_EQ(parse_search_text("-or a").groups, (Groups{{word("or", true), word("a")}}));
}

TEST(SearchText, UnbalancedQuotesRunToTheEnd) {
  EXPECT_EQ(parse_search_text("a \"b c").groups, (Groups{{word("a"), phrase("b c")}}));
  EXPECT_EQ(parse_search_text("a\"b c\"d").groups, (Groups{{word("a"), phrase("b c"), word("d")}}));
  EXPECT_TRUE(parse_search_text("\"").empty());
  EXPECT_TRUE(parse_search_text("\"\"\"").empty());
}

TEST(SearchText, NothingSearchableIsEmpty) {
  for (std::string_view text : {"", "   ", "-", "- -", "--", "*", "!!! ???", "-foo", "-foo -\"bar baz\"", "“”…", "\t\n"}) {
    EXPECT_TRUE(parse_search_text(text).empty()) << text;
  }
  EXPECT_EQ(parse_search_text("a or -b").groups, (Groups{{word("a")}})) << "a group of exclusions only is dropped";
}

TEST(SearchText, LoneDashesAreIgnoredAndDoubleDashesNegateOnce) {
  EXPECT_EQ(parse_search_text("a - b").groups, (Groups{{word("a"), word("b")}}));
  EXPECT_EQ(parse_search_text("a --b").groups, (Groups{{word("a"), word("b", true)}}));
  EXPECT_EQ(parse_search_text("a-b").groups, (Groups{{word("a-b")}}));
}

TEST(SearchText, Fts5AndSqlSyntaxIsQuotedAway) {
  const SearchExpression e = parse_search_text("NEAR(a b) body:x ')-- * col:\"y\" ^z a\"\"b");
  EXPECT_EQ(e.to_fts5(),
            "((\"NEAR(a\" AND \"b)\" AND \"body:x\" AND \"col:\" AND \"y\" AND \"^z\" AND \"a\" AND \"b\"))");
  // Quotes inside a term are doubled (terms from the parser have none, but the writer never trusts that).
  SearchExpression manual;
  manual.groups = {{word("x\"y")}};
  EXPECT_EQ(manual.to_fts5(), "((\"x\"\"y\"))");
}

TEST(SearchText, ControlCharactersSeparateWords) {
  EXPECT_EQ(parse_search_text("a\x01" "b\x7f\"c\nd\"").groups, (Groups{{word("a"), word("b"), phrase("c d")}}));
}

TEST(SearchText, LongInputsAreCapped) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "w" + std::to_string(i) + " ";
  const SearchExpression e = parse_search_text(text);
  ASSERT_EQ(e.groups.size(), 1u);
  EXPECT_EQ(e.groups[0].size(), kMaxSearchTerms);
  const SearchExpression big = parse_search_text(std::string(10000, 'x'));
  ASSERT_EQ(big.groups.size(), 1u);
  EXPECT_EQ(big.groups[0][0].text.size(), kMaxSearchTextBytes);
  const SearchExpression utf8 = parse_search_text(std::string(kMaxSearchTextBytes - 1, 'x') + "é");
  EXPECT_EQ(utf8.groups[0][0].text.size(), kMaxSearchTextBytes - 1) << "never cuts a UTF-8 sequence";
}

TEST(SearchText, InvalidUtf8BytesSeparateWords) {
  EXPECT_EQ(parse_search_text("\xff" "abc\xc3(d \xe2\x82 e\xed\xa0\x80" "f \xc0\xaf" "g caf\xc3\xa9").groups,
            (Groups{{word("abc"), word("(d"), word("e"), word("f"), word("g"), word("caf\xc3\xa9")}}));
}

TEST(SearchText, NonAsciiWordsAreKept) {
  EXPECT_EQ(parse_search_text("café 東京 «»").groups, (Groups{{word("café"), word("東京")}}));
}

}  // namespace
}  // namespace parley::db::repositories
