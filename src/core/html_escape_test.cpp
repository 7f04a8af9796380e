#include "core/html_escape.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(HtmlEscape, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(html_escape(R"(<a href="x" title='y'>&amp;</a>)"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
}

TEST(HtmlEscape, LeavesOtherTextAndUtf8Alone) {
  EXPECT_EQ(html_escape("plain text, déjà vu ✓"), "plain text, déjà vu ✓");
  EXPECT_EQ(html_escape(""), "");
}

TEST(HtmlEscape, AppendsToExistingOutput) {
  std::string out = "<p>";
  append_html_escaped(out, "1 < 2");
  EXPECT_EQ(out, "<p>1 &lt; 2");
}

}  // namespace
}  // namespace parley
