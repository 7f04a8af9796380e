#include "markdown/url_policy.hpp"

#include <gtest/gtest.h>

namespace parley::markdown {
namespace {

TEST(UrlPolicy, AllowsHttpHttpsAndMailtoInAnyCase) {
  EXPECT_TRUE(is_allowed_url("http://example.com"));
  EXPECT_TRUE(is_allowed_url("https://example.com/a?b#c"));
  EXPECT_TRUE(is_allowed_url("HTTPS://EXAMPLE.COM"));
  EXPECT_TRUE(is_allowed_url("mailto:bob@example.com"));
  EXPECT_TRUE(is_allowed_url("MailTo:bob@example.com"));
}

TEST(UrlPolicy, RefusesEverythingElse) {
  for (std::string_view url :
       {"", "http://", "https://", "mailto:", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
        " javascript:alert(1)", "\x01javascript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd",
        "ftp://example.com", "//example.com", "/path", "relative", "#top", "?q", " https://example.com",
        "\thttps://example.com", "https:example.com", "http:/example.com", "mailto", "tel:123"}) {
    EXPECT_FALSE(is_allowed_url(url)) << url;
  }
}

TEST(UrlPolicy, HrefEscapesForADoubleQuotedAttribute) {
  std::string out;
  append_href(out, "https://e.com/a b\"c'd<e>f&g=%41~é\\`{|}^");
  EXPECT_EQ(out, "https://e.com/a%20b%22c&#39;d%3Ce%3Ef&amp;g=%41~%C3%A9%5C%60%7B%7C%7D%5E");
}

}  // namespace
}  // namespace parley::markdown
