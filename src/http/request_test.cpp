#include "http/request.hpp"

#include "http/testing.hpp"

#include <gtest/gtest.h>

namespace parley::http {
namespace {

using testing::make_raw;

TEST(PercentDecode, DecodesEscapesInEitherCase) {
  EXPECT_EQ(percent_decode("a%20b", false), "a b");
  EXPECT_EQ(percent_decode("%2f%2F", false), "//");
  EXPECT_EQ(percent_decode("%C3%BC", false), "\xC3\xBC");
  EXPECT_EQ(percent_decode("", false), "");
  EXPECT_EQ(percent_decode("plain", false), "plain");
  EXPECT_EQ(percent_decode("%41", false), "A");
  EXPECT_EQ(percent_decode("%2520", false), "%20");  // decoded once only
}

TEST(PercentDecode, MalformedEscapesAreRefused) {
  EXPECT_EQ(percent_decode("%", false), std::nullopt);
  EXPECT_EQ(percent_decode("%4", false), std::nullopt);
  EXPECT_EQ(percent_decode("abc%", false), std::nullopt);
  EXPECT_EQ(percent_decode("abc%4", false), std::nullopt);
  EXPECT_EQ(percent_decode("%zz", false), std::nullopt);
  EXPECT_EQ(percent_decode("%g0", false), std::nullopt);
  EXPECT_EQ(percent_decode("%0g", false), std::nullopt);
  EXPECT_EQ(percent_decode("% 1", true), std::nullopt);
}

TEST(PercentDecode, PlusIsASpaceOnlyInQueries) {
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("a%2Bb", true), "a+b");
}

TEST(Request, SplitsPathAndQuery) {
  auto raw = make_raw("GET", "/a/b?x=1&y=2");
  Request req(raw);
  EXPECT_EQ(req.method(), Method::get);
  EXPECT_EQ(req.method_text(), "GET");
  EXPECT_EQ(req.target(), "/a/b?x=1&y=2");
  EXPECT_EQ(req.path(), "/a/b");
  EXPECT_EQ(req.query(), "x=1&y=2");
}

TEST(Request, NoQueryAndEmptyQuery) {
  auto none_raw = make_raw("GET", "/a");
  Request none(none_raw);
  EXPECT_EQ(none.path(), "/a");
  EXPECT_EQ(none.query(), "");
  auto empty_raw = make_raw("GET", "/a?");
  Request empty(empty_raw);
  EXPECT_EQ(empty.path(), "/a");
  EXPECT_EQ(empty.query(), "");
  // Only the first '?' splits; the rest belongs to the query.
  auto twice_raw = make_raw("GET", "/a?b=?c");
  Request twice(twice_raw);
  EXPECT_EQ(twice.path(), "/a");
  EXPECT_EQ(twice.query(), "b=?c");
  EXPECT_EQ(twice.query_param("b"), "?c");
}

TEST(Request, PathStaysEncoded) {
  auto raw = make_raw("GET", "/users/a%20b");
  Request req(raw);
  EXPECT_EQ(req.path(), "/users/a%20b");
}

TEST(Request, QueryParamFirstValueAbsentAndEmpty) {
  auto raw = make_raw("GET", "/s?q=one&q=two&empty=&flag&name=J%C3%BCrgen+M&plus=%2B&bad=%zz");
  Request req(raw);
  EXPECT_EQ(req.query_param("q"), "one");
  EXPECT_EQ(req.query_param("missing"), std::nullopt);
  EXPECT_EQ(req.query_param("empty"), "");
  EXPECT_EQ(req.query_param("flag"), "");
  EXPECT_EQ(req.query_param("name"), "J\xC3\xBCrgen M");
  EXPECT_EQ(req.query_param("plus"), "+");
  EXPECT_EQ(req.query_param("bad"), std::nullopt);
  // Names match exactly: no prefix or substring matches.
  EXPECT_EQ(req.query_param("na"), std::nullopt);
  EXPECT_EQ(req.query_param("ame"), std::nullopt);
}

TEST(Request, QueryParamSkipsEmptyPairs) {
  auto raw = make_raw("GET", "/s?&&a=1&");
  Request req(raw);
  EXPECT_EQ(req.query_param("a"), "1");
  EXPECT_EQ(req.query_param(""), "");
}

TEST(Request, HeadersAreCaseInsensitive) {
  auto raw = make_raw("POST", "/x", {{"Content-Type", "application/json"}, {"X-Custom", "v1"}}, "{}");
  Request req(raw);
  EXPECT_EQ(req.method(), Method::post);
  EXPECT_EQ(req.header("content-type"), "application/json");
  EXPECT_EQ(req.header("X-CUSTOM"), "v1");
  EXPECT_TRUE(req.has_header("x-custom"));
  EXPECT_FALSE(req.has_header("X-Other"));
  EXPECT_EQ(req.header("X-Other"), "");
  EXPECT_EQ(req.body(), "{}");
  EXPECT_TRUE(req.keep_alive());
}

TEST(Request, MethodsParse) {
  EXPECT_EQ(parse_method("DELETE"), Method::del);
  EXPECT_EQ(parse_method("PATCH"), Method::patch);
  EXPECT_EQ(parse_method("get"), Method::other);  // methods are case-sensitive
  EXPECT_EQ(parse_method("BREW"), Method::other);
  EXPECT_EQ(method_name(Method::options), "OPTIONS");
  auto raw = make_raw("BREW", "/pot");
  Request req(raw);
  EXPECT_EQ(req.method(), Method::other);
  EXPECT_EQ(req.method_text(), "BREW");
}

}  // namespace
}  // namespace parley::http
