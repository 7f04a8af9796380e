#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "markdown/markdown.hpp"

namespace parley::markdown {
namespace {

using Names = std::vector<std::string>;

TEST(ScanMentions, FindsUsernamesLowerCasedDistinctInOrder) {
  const MentionScan scan = scan_mentions("@Bob hi @alice and @BOB, also @carol_1.x-y!");
  EXPECT_EQ(scan.usernames, (Names{"bob", "alice", "carol_1.x-y"}));
  EXPECT_FALSE(scan.channel);
  EXPECT_FALSE(scan.here);
}

TEST(ScanMentions, ChannelAndHereAreFlagsNotNames) {
  const MentionScan scan = scan_mentions("@channel look, @HERE too");
  EXPECT_TRUE(scan.usernames.empty());
  EXPECT_TRUE(scan.channel);
  EXPECT_TRUE(scan.here);
  EXPECT_EQ(scan_mentions("@channels @hereby"), (MentionScan{.usernames = {"channels", "hereby"}}));
}

TEST(ScanMentions, TrailingDotsEndTheSentence) {
  EXPECT_EQ(scan_mentions("thanks @alice.").usernames, Names{"alice"});
  EXPECT_EQ(scan_mentions("thanks @alice...").usernames, Names{"alice"});
  EXPECT_EQ(scan_mentions("@a.b.").usernames, Names{"a.b"});
  EXPECT_TRUE(scan_mentions("@... @. @").usernames.empty());
}

TEST(ScanMentions, NeedsABoundaryBeforeTheAt) {
  EXPECT_TRUE(scan_mentions("bob@example.com").usernames.empty()) << "an e-mail address";
  EXPECT_TRUE(scan_mentions("x@alice a_@b a.@c a-@d 9@e").usernames.empty());
  EXPECT_EQ(scan_mentions("(@alice) \"@bob\" é@carol\n@dave").usernames, (Names{"alice", "bob", "carol", "dave"}));
  EXPECT_TRUE(scan_mentions("**bold**@alice").usernames.empty()) << "what precedes is 'd'";
}

TEST(ScanMentions, EmailsAndAddressLikeRunsAreNotMentions) {
  EXPECT_TRUE(scan_mentions("mail bob@example.com or <carol@example.com>").usernames.empty());
  EXPECT_TRUE(scan_mentions("@alice@example.com").usernames.empty());
}

TEST(ScanMentions, LengthLimit) {
  const std::string ok(32, 'a');
  const std::string too_long(33, 'a');
  EXPECT_EQ(scan_mentions("@" + ok).usernames, Names{ok});
  EXPECT_TRUE(scan_mentions("@" + too_long).usernames.empty()) << "not a prefix of a longer run either";
}

TEST(ScanMentions, IgnoresCodeLinksAndUrls) {
  EXPECT_TRUE(scan_mentions("`@alice`").usernames.empty());
  EXPECT_TRUE(scan_mentions("```\n@alice\n```").usernames.empty());
  EXPECT_TRUE(scan_mentions("    @alice").usernames.empty());
  EXPECT_TRUE(scan_mentions("[@alice](https://example.com)").usernames.empty());
  EXPECT_TRUE(scan_mentions("[x](https://example.com/@alice)").usernames.empty());
  EXPECT_TRUE(scan_mentions("https://example.com/@alice").usernames.empty());
  EXPECT_TRUE(scan_mentions("www.example.com/@alice").usernames.empty());
  EXPECT_TRUE(scan_mentions("<https://example.com/@alice>").usernames.empty());
  EXPECT_TRUE(scan_mentions("![@alice](https://example.com/a.png)").usernames.empty());
  EXPECT_TRUE(scan_mentions("[@alice](javascript:x)").usernames.empty()) << "an unsafe link is still a link";
  EXPECT_TRUE(scan_mentions("<div>\n@alice\n</div>").usernames.empty()) << "raw HTML block";
  EXPECT_EQ(scan_mentions("`code` @alice [x](https://e.com) @bob").usernames, (Names{"alice", "bob"}));
}

TEST(ScanMentions, FindsMentionsInFormattedText) {
  EXPECT_EQ(scan_mentions("*@alice* **@bob** ~~@carol~~ > no\n\n> @dave\n\n- @erin\n\n| @frank |\n|-|\n| @gina |")
                .usernames,
            (Names{"alice", "bob", "carol", "dave", "erin", "frank", "gina"}));
  EXPECT_EQ(scan_mentions("# @heading").usernames, Names{"heading"});
}

TEST(ScanMentions, EscapesAndEntitiesAreReadAsText) {
  EXPECT_EQ(scan_mentions("@alice\\_b").usernames, Names{"alice_b"});
  EXPECT_EQ(scan_mentions("&#64;alice").usernames, Names{"alice"});
}

TEST(RenderMentions, ResolvedUsersBecomeMarkup) {
  const ResolvedMentions resolved{{"alice", 42}, {"bob.b", 7}};
  EXPECT_EQ(render_html("hi @Alice and @bob.b.", resolved),
            "<p>hi <span class=\"mention\" data-user-id=\"42\">@Alice</span> and "
            "<span class=\"mention\" data-user-id=\"7\">@bob.b</span>.</p>\n");
}

TEST(RenderMentions, UnresolvedNamesStayPlainText) {
  EXPECT_EQ(render_html("hi @mallory", {{"alice", 42}}), "<p>hi @mallory</p>\n");
  EXPECT_EQ(render_html("hi @alice", {}), "<p>hi @alice</p>\n");
}

TEST(RenderMentions, ChannelAndHereAlwaysBecomeMarkup) {
  EXPECT_EQ(render_html("@channel and @Here", {}),
            "<p><span class=\"mention\" data-mention=\"channel\">@channel</span> and "
            "<span class=\"mention\" data-mention=\"here\">@Here</span></p>\n");
}

TEST(RenderMentions, NeverInsideCodeLinksOrEmails) {
  const ResolvedMentions resolved{{"alice", 1}, {"example.com", 2}};
  EXPECT_EQ(render_html("`@alice`", resolved), "<p><code>@alice</code></p>\n");
  EXPECT_EQ(render_html("[@alice](https://e.com)", resolved),
            "<p><a href=\"https://e.com\" rel=\"nofollow noopener noreferrer\">@alice</a></p>\n");
  EXPECT_EQ(render_html("bob@example.com", resolved).find("mention"), std::string::npos);
  EXPECT_EQ(render_html("https://e.com/@alice", resolved).find("mention"), std::string::npos);
  EXPECT_EQ(render_html("```\n@alice\n```", resolved).find("mention"), std::string::npos);
}

TEST(RenderMentions, RenderAgreesWithScan) {
  const std::string body = "@a `@b` [@c](https://e.com) @d. x@e @f@g **@h** @i";
  const MentionScan scan = scan_mentions(body);
  ResolvedMentions resolved;
  for (std::size_t i = 0; i < scan.usernames.size(); ++i) resolved[scan.usernames[i]] = static_cast<std::int64_t>(i + 1);
  const std::string out = render_html(body, resolved);
  std::size_t spans = 0;
  for (std::size_t at = out.find("class=\"mention\""); at != std::string::npos;
       at = out.find("class=\"mention\"", at + 1)) {
    ++spans;
  }
  EXPECT_EQ(scan.usernames, (Names{"a", "d", "h", "i"}));
  EXPECT_EQ(spans, scan.usernames.size()) << out;
}

TEST(Document, ParsesOnceForScanAndRender) {
  Document document = Document::parse("hey @Alice @channel");
  const MentionScan scan = document.mentions();
  EXPECT_EQ(scan.usernames, Names{"alice"});
  EXPECT_TRUE(scan.channel);
  EXPECT_EQ(document.render_html({{"alice", 5}}),
            "<p>hey <span class=\"mention\" data-user-id=\"5\">@Alice</span> "
            "<span class=\"mention\" data-mention=\"channel\">@channel</span></p>\n");
  Document moved = std::move(document);
  EXPECT_EQ(moved.mentions(), scan);
}

}  // namespace
}  // namespace parley::markdown
