// Hostile bodies render inert: no element, attribute or URL scheme the renderer did not choose
// itself reaches the output, and what the user typed stays visible as text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <string>
#include <vector>

#include "markdown/markdown.hpp"

namespace parley::markdown {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// The tags the renderer may write; anything else after '<' means markup leaked.
const std::vector<std::string> kAllowedTags = {
    "p",  "br",  "em", "strong", "del",        "code", "pre",   "a",     "span",  "blockquote", "ul", "ol",
    "li", "hr",  "h1", "h2",     "h3",         "h4",   "h5",    "h6",    "table", "thead",      "tbody", "tr",
    "th", "td"};
const std::vector<std::string> kAllowedAttributes = {"href",  "rel",          "title",       "class",
                                                     "align", "start",        "data-user-id", "data-mention"};

void expect_inert(const std::string& body) {
  SCOPED_TRACE("body: " + body);
  const std::string out = lower(render_html(body, {{"alice", 1}}));
  SCOPED_TRACE("html: " + out);
  EXPECT_EQ(out.find("<script"), std::string::npos);
  EXPECT_EQ(out.find("<img"), std::string::npos);
  EXPECT_EQ(out.find("<svg"), std::string::npos);
  EXPECT_EQ(out.find("<iframe"), std::string::npos);
  EXPECT_EQ(out.find("<style"), std::string::npos);
  for (std::string_view scheme : {"javascript", "data:", "vbscript", "file:"}) {
    EXPECT_EQ(out.find("href=\"" + std::string(scheme)), std::string::npos) << scheme;
  }
  // Every tag is one of ours with only our attributes, each a complete double-quoted value.
  for (std::size_t at = out.find('<'); at != std::string::npos; at = out.find('<', at + 1)) {
    std::size_t i = at + 1;
    if (i < out.size() && out[i] == '/') ++i;
    const std::size_t name_start = i;
    while (i < out.size() && std::isalnum(static_cast<unsigned char>(out[i]))) ++i;
    const std::string name = out.substr(name_start, i - name_start);
    EXPECT_NE(std::find(kAllowedTags.begin(), kAllowedTags.end(), name), kAllowedTags.end()) << "tag <" << name;
    while (i < out.size() && out[i] != '>') {
      if (out[i] == ' ' || out[i] == '/') {
        ++i;
        continue;
      }
      const std::size_t attribute_start = i;
      while (i < out.size() && (std::isalpha(static_cast<unsigned char>(out[i])) || out[i] == '-')) ++i;
      const std::string attribute = out.substr(attribute_start, i - attribute_start);
      EXPECT_NE(std::find(kAllowedAttributes.begin(), kAllowedAttributes.end(), attribute), kAllowedAttributes.end())
          << "attribute " << attribute << " of <" << name;
      ASSERT_TRUE(out.compare(i, 2, "=\"") == 0) << "unquoted value at " << i;
      const std::size_t value_end = out.find('"', i + 2);
      ASSERT_NE(value_end, std::string::npos);
      const std::string value = out.substr(i + 2, value_end - i - 2);
      EXPECT_EQ(value.find_first_of("<>'"), std::string::npos) << attribute << "=" << value;
      i = value_end + 1;
    }
  }
  for (std::size_t at = out.find("href=\""); at != std::string::npos; at = out.find("href=\"", at + 1)) {
    const std::string rest = out.substr(at + 6, 8);
    EXPECT_TRUE(rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("mailto:")) << rest;
  }
}

TEST(RenderXss, ScriptTagIsEscapedAndVisible) {
  const std::string out = render_html("<script>alert(1)</script>", {});
  EXPECT_EQ(out, "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n");
  expect_inert("<script>alert(1)</script>");
  expect_inert("hi <script>alert(1)</script> there");
}

TEST(RenderXss, ImgOnerrorIsEscapedAndVisible) {
  const std::string out = render_html("<img src=x onerror=alert(1)>", {});
  EXPECT_NE(out.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos) << out;
  expect_inert("<img src=x onerror=alert(1)>");
  expect_inert("text <img src=x onerror=alert(1)> text");
}

TEST(RenderXss, JavascriptLinksBecomeText) {
  EXPECT_EQ(render_html("[x](javascript:alert(1))", {}), "<p>x</p>\n");
  EXPECT_EQ(render_html("[x](JAVASCRIPT:alert(1))", {}), "<p>x</p>\n");
  EXPECT_EQ(render_html("[x](JaVaScRiPt:alert(1))", {}), "<p>x</p>\n");
  EXPECT_EQ(render_html("[x](java&#x09;script:alert(1))", {}), "<p>x</p>\n");
  EXPECT_EQ(render_html("[x](java&#9;script:alert(1))", {}), "<p>x</p>\n");
  EXPECT_EQ(render_html("[x](&#106;avascript:alert(1))", {}), "<p>x</p>\n");
  EXPECT_EQ(render_html("[x](%6Aavascript:alert(1))", {}), "<p>x</p>\n");
  EXPECT_EQ(render_html("[x](<java\tscript:alert(1)>)", {}).find("href"), std::string::npos);
  EXPECT_EQ(render_html("[x]( javascript:alert(1))", {}), "<p>x</p>\n");
  EXPECT_EQ(render_html("[x](\\javascript:alert(1))", {}), "<p>x</p>\n");
  EXPECT_EQ(render_html("[x]\n\n[x]: javascript:alert(1)", {}), "<p>x</p>\n");
  for (std::string_view body : {"[x](javascript:alert(1))", "[x](JAVASCRIPT:alert(1))",
                                "[x](java&#x09;script:alert(1))", "[x](javascript&colon;alert(1))",
                                "[x](vbscript:msgbox(1))", "[x](file:///etc/passwd)", "[x](//evil.example/)",
                                "[x](/relative)", "[x](#fragment)"}) {
    expect_inert(std::string(body));
    EXPECT_EQ(render_html(body, {}).find("<a"), std::string::npos) << body;
  }
}

TEST(RenderXss, RawAnchorWithJavascriptIsEscaped) {
  const std::string body = "<a href=\"javascript:alert(1)\">click</a>";
  const std::string out = render_html(body, {});
  EXPECT_EQ(out, "<p>&lt;a href=&quot;javascript:alert(1)&quot;&gt;click&lt;/a&gt;</p>\n");
  expect_inert(body);
}

TEST(RenderXss, ImagesWithBadSchemesBecomeAltText) {
  EXPECT_EQ(render_html("![x](javascript:alert(1))", {}), "<p>x</p>\n");
  EXPECT_EQ(render_html("![x](data:image/svg+xml;base64,PHN2Zz4=)", {}), "<p>x</p>\n");
  expect_inert("![x](javascript:alert(1))");
  expect_inert("![x\" onerror=\"alert(1)](https://e.com/a.png)");
}

TEST(RenderXss, DataUrlsBecomeText) {
  EXPECT_EQ(render_html("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", {}), "<p>x</p>\n");
  expect_inert("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)");
}

TEST(RenderXss, AutolinkWithJavascriptSchemeIsText) {
  EXPECT_EQ(render_html("<javascript:alert(1)>", {}), "<p>javascript:alert(1)</p>\n");
  expect_inert("<javascript:alert(1)>");
  expect_inert("<data:text/html,<script>alert(1)</script>>");
}

TEST(RenderXss, SvgOnloadIsEscaped) {
  const std::string out = render_html("<svg/onload=alert(1)>", {});
  EXPECT_NE(out.find("&lt;svg/onload=alert(1)&gt;"), std::string::npos) << out;
  expect_inert("<svg/onload=alert(1)>");
  expect_inert("<svg><script>alert(1)</script></svg>");
}

TEST(RenderXss, HtmlBlocksAreShownLineByLine) {
  EXPECT_EQ(render_html("<div onclick=\"x()\">\nhello\n</div>", {}),
            "<p>&lt;div onclick=&quot;x()&quot;&gt;<br />\nhello<br />\n&lt;/div&gt;</p>\n");
  expect_inert("<iframe src=\"https://evil.example\"></iframe>");
  expect_inert("<!-- comment --><style>body{display:none}</style>");
  expect_inert("<details open ontoggle=alert(1)>");
}

TEST(RenderXss, AttributeBreakoutsInLinkPartsStayInside) {
  expect_inert("[x](https://e.com/\"onmouseover=\"alert(1))");
  expect_inert("[x](https://e.com/ \"title\\\" onmouseover=\\\"alert(1)\")");
  expect_inert("[x\"><script>alert(1)</script>](https://e.com)");
  expect_inert("```js\" onmouseover=\"alert(1)\ncode\n```");
  expect_inert("https://e.com/\"><script>alert(1)</script>");
  expect_inert("www.e.com/'onmouseover='alert(1)'");
  expect_inert("| <script>a</script> |\n| - |\n| <img src=x onerror=alert(1)> |");
  expect_inert("~~<script>alert(1)</script>~~ **<b onclick=alert(1)>x</b>**");
  expect_inert("@alice<script>alert(1)</script> @channel\" onclick=\"x");
}

// Random mixes of Markdown syntax and attack fragments (fixed seed: the same bodies every run).
TEST(RenderXss, RandomMixesStayInert) {
  const std::vector<std::string> fragments = {
      "<", ">", "[", "]", "(", ")", "![", "](", "<a href=\"", "javascript:", "JaVaScRiPt:", "java&#x09;script:",
      "&#106;", "data:text/html,", "https://e.com/", "http://", "mailto:", "www.", "@alice", "@channel", "bob@e.com",
      "\"", "'", "`", "```", "*", "_", "~~", "|", "-", "\n", "\n\n", " ", "    ", "> ", "# ", "1. ", "&amp;",
      "&", "\\", "<script>", "</script>", "<img src=x onerror=alert(1)>", "<svg/onload=alert(1)>", "onerror=",
      "\" onmouseover=\"", "<!--", "-->", "<![CDATA[", "]]>", "%22", "\xff", "\xe2\x80\xae", "é", "\t", "\r\n"};
  std::mt19937 random(20261123);
  std::uniform_int_distribution<std::size_t> pick(0, fragments.size() - 1);
  std::uniform_int_distribution<int> length(1, 40);
  for (int i = 0; i < 1500; ++i) {
    std::string body;
    for (int n = length(random); n > 0; --n) body += fragments[pick(random)];
    expect_inert(body);
    if (::testing::Test::HasFailure()) break;  // one failing body is enough to read
  }
}

}  // namespace
}  // namespace parley::markdown
