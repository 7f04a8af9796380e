#include "notifications/digest.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace parley::notifications {
namespace {

DigestItem item(std::int64_t id, std::int64_t conversation, std::string kind, std::string body,
                std::string reason = "mention") {
  return DigestItem{.message_id = id,
                    .conversation_id = conversation,
                    .conversation_kind = std::move(kind),
                    .conversation_name = "general",
                    .sender_name = "Alice",
                    .body = std::move(body),
                    .time_label = "14:05",
                    .reason = std::move(reason)};
}

DigestOptions options() { return DigestOptions{.public_url = "https://chat.example.com"}; }

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(OneLine, CollapsesControlsAndWhitespace) {
  EXPECT_EQ(one_line("  a\r\n\tb \x01\x7f c  ", 100), "a b c");
  EXPECT_EQ(one_line("x\xE2\x80\xA8y", 100), "x y");  // U+2028
  EXPECT_EQ(one_line("", 10), "");
}

TEST(OneLine, CutsOnCodePointsWithAnEllipsis) {
  EXPECT_EQ(one_line("abcdef", 3), "abc\xE2\x80\xA6");
  EXPECT_EQ(one_line("abc", 3), "abc");
  // Three two-byte characters: never split inside one.
  EXPECT_EQ(one_line("\xC3\xA9\xC3\xA9\xC3\xA9", 2), "\xC3\xA9\xC3\xA9\xE2\x80\xA6");
}

TEST(OneLine, ReplacesInvalidUtf8) {
  EXPECT_EQ(one_line("a\xFF"
                     "b",
                     10),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(one_line("a\xC3", 10), "a\xEF\xBF\xBD");                                // truncated sequence
  EXPECT_EQ(one_line("\xED\xA0\x80", 10), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
}

TEST(ComposeDigest, UserTextIsEscapedInHtmlAndPlainInText) {
  std::vector<DigestItem> items{item(1, 7, "channel", "<script>alert(1)</script> & \"hi\"")};
  items[0].sender_name = "<b>Mallory</b>";
  items[0].conversation_name = "a\r\nBcc: x@example.com";
  auto mail = compose_digest("Bob <i>", items, options());
  EXPECT_EQ(mail.html_body.find("<script>"), std::string::npos);
  EXPECT_EQ(mail.html_body.find("<b>Mallory"), std::string::npos);
  EXPECT_EQ(mail.html_body.find("<i>"), std::string::npos);
  EXPECT_NE(mail.html_body.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;hi&quot;"), std::string::npos);
  EXPECT_NE(mail.text_body.find("<script>alert(1)</script> & \"hi\""), std::string::npos);
  // Names never break the subject line (header injection).
  EXPECT_EQ(mail.subject.find_first_of("\r\n"), std::string::npos);
  EXPECT_EQ(mail.subject, "<b>Mallory</b> mentioned you in #a Bcc: x@example.com");
}

TEST(ComposeDigest, GroupsByConversationAndLinksEachMessage) {
  std::vector<DigestItem> items{item(3, 7, "channel", "first"), item(5, 7, "channel", "second"),
                                item(4, 9, "direct", "psst", "direct")};
  items[2].sender_name = "Carol";
  auto mail = compose_digest("Bob", items, options());
  EXPECT_EQ(mail.subject, "3 unread messages in 2 conversations");
  EXPECT_EQ(count(mail.text_body, "#general\n"), 1u);
  EXPECT_NE(mail.text_body.find("Direct message from Carol\n"), std::string::npos);
  EXPECT_LT(mail.text_body.find("first"), mail.text_body.find("second"));
  EXPECT_LT(mail.text_body.find("second"), mail.text_body.find("psst"));
  EXPECT_NE(mail.text_body.find("https://chat.example.com/conversations/7?message=5"), std::string::npos);
  EXPECT_NE(mail.text_body.find("https://chat.example.com/conversations/9?message=4"), std::string::npos);
  EXPECT_EQ(count(mail.html_body, "<h3>"), 2u);
  EXPECT_EQ(count(mail.html_body, "<ul>"), count(mail.html_body, "</ul>"));
  EXPECT_EQ(mail.unsubscribe_url, "https://chat.example.com/settings/notifications");
  EXPECT_NE(mail.text_body.find(mail.unsubscribe_url), std::string::npos);
}

TEST(ComposeDigest, ListsAtMostTheCapAndCountsTheRest) {
  std::vector<DigestItem> items;
  for (int i = 1; i <= 25; ++i) items.push_back(item(i, 7, "channel", "message number " + std::to_string(i) + "."));
  auto mail = compose_digest("Bob", items, options());
  EXPECT_EQ(count(mail.text_body, "message number "), 20u);
  EXPECT_NE(mail.text_body.find("message number 20."), std::string::npos);
  EXPECT_EQ(mail.text_body.find("message number 21."), std::string::npos);
  EXPECT_NE(mail.text_body.find("and 5 more messages."), std::string::npos);
  EXPECT_NE(mail.html_body.find("and 5 more messages."), std::string::npos);
  EXPECT_EQ(mail.subject, "25 unread messages in 1 conversation");
}

TEST(ComposeDigest, LongBodiesArePreviewed) {
  std::vector<DigestItem> items{item(1, 7, "channel", std::string(1000, 'x'))};
  auto options_short = options();
  options_short.preview_chars = 50;
  auto mail = compose_digest("Bob", items, options_short);
  EXPECT_NE(mail.text_body.find(std::string(50, 'x') + "\xE2\x80\xA6"), std::string::npos);
  EXPECT_EQ(mail.text_body.find(std::string(51, 'x')), std::string::npos);
}

TEST(ComposeDigest, SingleMessageSubjects) {
  std::vector<DigestItem> direct{item(1, 9, "direct", "hi", "direct")};
  EXPECT_EQ(compose_digest("Bob", direct, options()).subject, "New direct message from Alice");
  std::vector<DigestItem> all{item(1, 7, "group", "hi", "all")};
  EXPECT_EQ(compose_digest("Bob", all, options()).subject, "New message from Alice in general");
}

}  // namespace
}  // namespace parley::notifications
