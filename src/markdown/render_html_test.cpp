#include <gtest/gtest.h>

#include <string>

#include "markdown/markdown.hpp"

namespace parley::markdown {
namespace {

std::string html(std::string_view body) { return render_html(body, {}); }

constexpr std::string_view kRel = "rel=\"nofollow noopener noreferrer\"";

TEST(RenderHtml, EmptyBodyIsEmptyHtml) { EXPECT_EQ(html(""), ""); }

TEST(RenderHtml, ParagraphsAndLineBreaks) {
  EXPECT_EQ(html("hello"), "<p>hello</p>\n");
  EXPECT_EQ(html("one\ntwo\n\nthree"), "<p>one<br />\ntwo</p>\n<p>three</p>\n");
}

TEST(RenderHtml, Emphasis) {
  EXPECT_EQ(html("*a* _b_ **c** __d__ ***e***"),
            "<p><em>a</em> <em>b</em> <strong>c</strong> <strong>d</strong> <em><strong>e</strong></em></p>\n");
}

TEST(RenderHtml, Strikethrough) {
  EXPECT_EQ(html("~~gone~~ and ~also~"), "<p><del>gone</del> and <del>also</del></p>\n");
}

TEST(RenderHtml, Table) {
  EXPECT_EQ(html("| a | b | c |\n|:--|:-:|--:|\n| 1 | **2** | 3 |\n| 4 |"),
            "<table>\n<thead>\n<tr>\n<th align=\"left\">a</th>\n<th align=\"center\">b</th>\n"
            "<th align=\"right\">c</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td align=\"left\">1</td>\n"
            "<td align=\"center\"><strong>2</strong></td>\n<td align=\"right\">3</td>\n</tr>\n<tr>\n"
            "<td align=\"left\">4</td>\n<td align=\"center\"></td>\n<td align=\"right\"></td>\n</tr>\n"
            "</tbody>\n</table>\n");
}

TEST(RenderHtml, TableWithoutBodyRows) {
  EXPECT_EQ(html("| a |\n| - |"), "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n</table>\n");
}

TEST(RenderHtml, AutolinksHttpsAndWww) {
  EXPECT_EQ(html("see https://example.com/a?b=1&c=2 now"),
            "<p>see <a href=\"https://example.com/a?b=1&amp;c=2\" " + std::string(kRel) +
                ">https://example.com/a?b=1&amp;c=2</a> now</p>\n");
  EXPECT_EQ(html("www.example.com"),
            "<p><a href=\"http://www.example.com\" " + std::string(kRel) + ">www.example.com</a></p>\n");
  EXPECT_EQ(html("<https://example.com>"),
            "<p><a href=\"https://example.com\" " + std::string(kRel) + ">https://example.com</a></p>\n");
}

TEST(RenderHtml, EmailAutolinksAreMailto) {
  EXPECT_EQ(html("mail bob@example.com"),
            "<p>mail <a href=\"mailto:bob@example.com\" " + std::string(kRel) + ">bob@example.com</a></p>\n");
}

TEST(RenderHtml, LinksWithTitles) {
  EXPECT_EQ(html("[docs](https://example.com/d \"The \\\"docs\\\"\")"),
            "<p><a href=\"https://example.com/d\" " + std::string(kRel) +
                " title=\"The &quot;docs&quot;\">docs</a></p>\n");
  EXPECT_EQ(html("[m](MAILTO:a@b.c)"), "<p><a href=\"MAILTO:a@b.c\" " + std::string(kRel) + ">m</a></p>\n");
}

TEST(RenderHtml, HrefIsPercentEncodedAndQuoteSafe) {
  EXPECT_EQ(html("[x](<https://e.com/a b\"c'\\<\\>>)"),
            "<p><a href=\"https://e.com/a%20b%22c&#39;%3C%3E\" " + std::string(kRel) + ">x</a></p>\n");
}

TEST(RenderHtml, CodeSpanAndBlocks) {
  EXPECT_EQ(html("use `a < b` here"), "<p>use <code>a &lt; b</code> here</p>\n");
  EXPECT_EQ(html("```cpp\nint main() { return a<b; }\n```"),
            "<pre><code class=\"language-cpp\">int main() { return a&lt;b; }\n</code></pre>\n");
  EXPECT_EQ(html("```\"><script>x\nplain\n```"),
            "<pre><code class=\"language-&quot;&gt;&lt;script&gt;x\">plain\n</code></pre>\n");
  EXPECT_EQ(html("    indented\n"), "<pre><code>indented\n</code></pre>\n");
}

TEST(RenderHtml, BlocksListsQuotesHeadings) {
  EXPECT_EQ(html("# Title\n\n> quoted\n\n- a\n- b\n\n3. c\n4. d\n\n---"),
            "<h1>Title</h1>\n<blockquote>\n<p>quoted</p>\n</blockquote>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"
            "<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n</ol>\n<hr />\n");
  EXPECT_EQ(html("1. a\n\n2. b"), "<ol>\n<li>\n<p>a</p>\n</li>\n<li>\n<p>b</p>\n</li>\n</ol>\n");
}

TEST(RenderHtml, ImagesBecomeLinksNeverImg) {
  const std::string out = html("![a cat](https://example.com/cat.png)");
  EXPECT_EQ(out, "<p><a href=\"https://example.com/cat.png\" " + std::string(kRel) + ">a cat</a></p>\n");
  EXPECT_EQ(html("![](https://example.com/cat.png)"),
            "<p><a href=\"https://example.com/cat.png\" " + std::string(kRel) +
                ">https://example.com/cat.png</a></p>\n");
  EXPECT_EQ(html("![cat](cat.png)"), "<p>cat</p>\n");
  EXPECT_EQ(html("[![cat](https://e.com/c.png)](https://e.com/)"),
            "<p><a href=\"https://e.com/\" " + std::string(kRel) + ">cat</a></p>\n")
      << "anchors never nest";
}

TEST(RenderHtml, EntitiesAreDecodedThenEscaped) {
  EXPECT_EQ(html("&lt;b&gt; &amp; &#x3C;i&#x3E; &copy;"), "<p>&lt;b&gt; &amp; &lt;i&gt; ©</p>\n");
}

TEST(RenderHtml, InvalidUtf8AndNulDoNotCrash) {
  const std::string bad = std::string("ok \xff\xfe \xc3 bad \xed\xa0\x80 ") + std::string(1, '\0') + " end";
  const std::string out = html(bad);
  EXPECT_NE(out.find("ok"), std::string::npos);
  EXPECT_NE(out.find("end"), std::string::npos);
  EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos) << "replaced by U+FFFD";
  EXPECT_EQ(out.find('\0'), std::string::npos);
  EXPECT_EQ(out.find('\xff'), std::string::npos);
  EXPECT_NO_THROW(scan_mentions(bad));
  EXPECT_NO_THROW(html(std::string("@\xff\xff") + "`\xc3"));
}

TEST(RenderHtml, LargeBodiesRender) {
  std::string body;
  while (body.size() < 10000) body += "word **bold** `code` [l](https://e.com) @user\n";
  const std::string out = html(body);
  EXPECT_NE(out.find("<strong>bold</strong>"), std::string::npos);
  std::string nested(5000, '>');
  nested += " deep";
  EXPECT_NE(html(nested).find("deep"), std::string::npos);
  EXPECT_NE(html(std::string(5000, '[') + std::string(5000, ']')).find("[[["), std::string::npos);
  EXPECT_NE(html(std::string(10000, '*')).size(), 0u);
}

}  // namespace
}  // namespace parley::markdown
