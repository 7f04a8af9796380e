#include "http/cookies.hpp"

#include <gtest/gtest.h>

namespace parley::http {
namespace {

TEST(FindCookie, FindsThePairByExactName) {
  EXPECT_EQ(find_cookie("a=1; b=2; c=3", "b"), "2");
  EXPECT_EQ(find_cookie("a=1", "a"), "1");
  EXPECT_EQ(find_cookie("a=1;b=2", "b"), "2");  // no space after ';' (some clients)
  EXPECT_EQ(find_cookie("  a=1 ;  b=2  ", "b"), "2");
  EXPECT_EQ(find_cookie("a=", "a"), "");
  EXPECT_EQ(find_cookie("a=\"quoted\"", "a"), "quoted");
}

TEST(FindCookie, NamesAreCaseSensitiveAndNotPrefixes) {
  EXPECT_EQ(find_cookie("Session=1", "session"), std::nullopt);
  EXPECT_EQ(find_cookie("session_x=1", "session"), std::nullopt);
  EXPECT_EQ(find_cookie("x_session=1", "session"), std::nullopt);
  EXPECT_EQ(find_cookie("", "session"), std::nullopt);
}

TEST(FindCookie, MalformedPairsAreSkipped) {
  EXPECT_EQ(find_cookie("garbage; a=1", "a"), "1");
  EXPECT_EQ(find_cookie("=x; a=1", "a"), "1");
  EXPECT_EQ(find_cookie("a b=1; a=2", "a"), "2");       // a space in the name
  EXPECT_EQ(find_cookie("a=x y; a=2", "a"), "2");       // a space in the value
  EXPECT_EQ(find_cookie("a=x\\y; a=2", "a"), "2");      // a backslash in the value
  EXPECT_EQ(find_cookie("a=\"x; a=2", "a"), "2");       // an unbalanced quote
  EXPECT_EQ(find_cookie("a=\xC3\xBC; a=2", "a"), "2");  // non-ASCII
  EXPECT_EQ(find_cookie("a=x,y", "a"), std::nullopt);
  EXPECT_EQ(find_cookie(";;;", "a"), std::nullopt);
}

TEST(FindCookie, TheFirstWellFormedPairWins) {
  EXPECT_EQ(find_cookie("a=1; a=2", "a"), "1");
}

TEST(FindCookie, ValuesKeepEqualsSigns) { EXPECT_EQ(find_cookie("a=b=c", "a"), "b=c"); }

}  // namespace
}  // namespace parley::http
