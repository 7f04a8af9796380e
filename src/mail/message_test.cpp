#include "mail/message.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <stdexcept>

#include "core/error.hpp"
#include "mail/mailer.hpp"
#include "mail/test_support.hpp"

namespace parley::mail {
namespace {

using testing::decode_quoted_printable;
using testing::parse_message;

void expect_refused(const Email& email, std::string_view message) {
  try {
    validate_email(email);
    ADD_FAILURE() << "accepted: " << email.to << " / " << email.subject;
  } catch (const AppError& error) {
    EXPECT_EQ(error.status(), 400);
    EXPECT_EQ(error.code(), "invalid_email");
    EXPECT_EQ(error.public_message(), message);
  }
}

TEST(ValidateEmail, AcceptsAPlainMessage) {
  EXPECT_NO_THROW(validate_email({.to = "ada.lovelace+parley@example.co.uk", .subject = "Hi", .text_body = "x"}));
  EXPECT_NO_THROW(validate_email({.to = "root@[127.0.0.1]", .subject = "Grüße", .text_body = ""}));
}

TEST(ValidateEmail, RefusesHeaderInjection) {
  constexpr std::string_view kBreaks = "Email headers may not contain line breaks.";
  expect_refused({.to = "a@example.com\r\nBcc: victim@example.com", .subject = "s"}, kBreaks);
  expect_refused({.to = "a@example.com\nBcc: victim@example.com", .subject = "s"}, kBreaks);
  expect_refused({.to = "a@example.com", .subject = "Hello\r\nBcc: victim@example.com"}, kBreaks);
  expect_refused({.to = "a@example.com", .subject = "Hello\rX-Evil: 1"}, kBreaks);
  expect_refused({.to = "a@example.com", .subject = std::string("Hello\0Bcc", 9)}, kBreaks);
}

TEST(ValidateEmail, RefusesAnythingButOneAddress) {
  constexpr std::string_view kInvalid = "The recipient is not a valid email address.";
  for (std::string to : std::vector<std::string>{
           "", "nobody", "@example.com", "a@", "a@b@c", "a,b@example.com", "a@example.com,b@example.com",
           "A <a@example.com>", "<a@example.com>", "a b@example.com", "a..b@example.com", ".a@example.com",
           "a@-example.com", "a@example..com", "a@[999.1.1.1]", "\"a\"@example.com", "ü@example.com",
           std::string(65, 'a') + "@example.com", "a@" + std::string(250, 'b') + ".com"}) {
    SCOPED_TRACE(to);
    expect_refused({.to = to, .subject = "s"}, kInvalid);
  }
}

TEST(ValidateEmail, BoundsSubjectAndBody) {
  expect_refused({.to = "a@example.com", .subject = std::string(kMaxSubjectBytes + 1, 'x')},
                 "The email subject is too long.");
  expect_refused(
      {.to = "a@example.com", .subject = "s", .text_body = std::string(kMaxBodyBytes, 'x'), .html_body = "y"},
      "The email body is too long.");
}

TEST(ParseFromAddress, AcceptsAddressAndDisplayName) {
  MailAddress plain = parse_from_address("noreply@example.com");
  EXPECT_EQ(plain.address, "noreply@example.com");
  EXPECT_EQ(plain.display_name, "");
  MailAddress named = parse_from_address("Parley Team <noreply@example.com>");
  EXPECT_EQ(named.address, "noreply@example.com");
  EXPECT_EQ(named.display_name, "Parley Team");
  EXPECT_EQ(parse_from_address("\"Parley, Inc.\" <noreply@example.com>").display_name, "Parley, Inc.");
}

TEST(ParseFromAddress, RefusesInvalidSenders) {
  for (std::string from :
       std::vector<std::string>{"", "Parley", "Parley <>", "Parley <noreply@example.com", "a@example.com\r\nBcc: x@y.z",
                                "Evil\" <a@b.c> <noreply@example.com>"}) {
    SCOPED_TRACE(from);
    EXPECT_THROW(parse_from_address(from), std::invalid_argument);
  }
}

TEST(FormatRfc5322Date, UsesUtcAndEnglishNames) {
  auto time = std::chrono::sys_days{std::chrono::year{2024} / 1 / 2} + std::chrono::hours{3} + std::chrono::minutes{4} +
              std::chrono::seconds{5};
  EXPECT_EQ(format_rfc5322_date(time), "Tue, 02 Jan 2024 03:04:05 +0000");
}

TEST(QuotedPrintable, EncodesSpecialsAndBreaksLongLines) {
  EXPECT_EQ(encode_quoted_printable("a=b"), "a=3Db\r\n");
  EXPECT_EQ(encode_quoted_printable("Grüße"), "Gr=C3=BC=C3=9Fe\r\n");
  EXPECT_EQ(encode_quoted_printable("trailing \nline\r\nend\t"), "trailing=20\r\nline\r\nend=09\r\n");
  std::string long_line(200, 'x');
  std::string encoded = encode_quoted_printable(long_line + "\n" + std::string(76, 'y'));
  std::size_t start = 0;
  while (start < encoded.size()) {
    std::size_t end = encoded.find("\r\n", start);
    EXPECT_LE(end - start, 76u);
    start = end + 2;
  }
  EXPECT_EQ(decode_quoted_printable(encoded), long_line + "\n" + std::string(76, 'y') + "\n");
}

TEST(ValidateEmail, ListUnsubscribeMustBeAPlainHttpUrl) {
  constexpr std::string_view kBad = "The List-Unsubscribe URL is not valid.";
  EXPECT_NO_THROW(validate_email(
      {.to = "a@example.com", .subject = "s", .list_unsubscribe = "https://chat.example.com/settings/notifications"}));
  expect_refused({.to = "a@example.com", .subject = "s", .list_unsubscribe = "https://x.example/\r\nBcc: v@example.com"},
                 kBad);
  expect_refused({.to = "a@example.com", .subject = "s", .list_unsubscribe = "https://x.example/a>b"}, kBad);
  expect_refused({.to = "a@example.com", .subject = "s", .list_unsubscribe = "https://x.example/a b"}, kBad);
  expect_refused({.to = "a@example.com", .subject = "s", .list_unsubscribe = "javascript:alert(1)"}, kBad);
}

TEST(RenderMessage, WritesListUnsubscribeAndAutoSubmitted) {
  MailAddress from = parse_from_address("noreply@example.com");
  std::string text = render_message({.to = "ada@example.com",
                                     .subject = "Digest",
                                     .text_body = "x",
                                     .list_unsubscribe = "https://chat.example.com/settings/notifications",
                                     .auto_generated = true},
                                    from, {.date = {}, .message_id = make_message_id(from)});
  EXPECT_NE(text.find("\r\nList-Unsubscribe: <https://chat.example.com/settings/notifications>\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\nAuto-Submitted: auto-generated\r\n"), std::string::npos);
  EXPECT_LT(text.find("Auto-Submitted"), text.find("\r\n\r\n")) << "a header, not body text";
}

TEST(RenderMessage, WritesTheHeadersAndAPlainBody) {
  MailAddress from = parse_from_address("Parley <noreply@example.com>");
  std::string id = make_message_id(from);
  EXPECT_TRUE(std::regex_match(id, std::regex("<[0-9a-f]{32}@example\\.com>"))) << id;
  auto date = std::chrono::sys_days{std::chrono::year{2024} / 1 / 2};
  std::string text = render_message({.to = "ada@example.com", .subject = "Reset", .text_body = "Line 1\nx=1"}, from,
                                    {.date = date, .message_id = id});
  EXPECT_EQ(text,
            "Date: Tue, 02 Jan 2024 00:00:00 +0000\r\n"
            "From: \"Parley\" <noreply@example.com>\r\n"
            "To: ada@example.com\r\n"
            "Subject: Reset\r\n"
            "Message-ID: " +
                id +
                "\r\n"
                "MIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n"
                "\r\n"
                "Line 1\r\n"
                "x=3D1\r\n");
}

TEST(RenderMessage, EncodesANonAsciiSubjectInFoldedWords) {
  MailAddress from = parse_from_address("Équipe Parley <noreply@example.com>");
  std::string subject;
  for (int i = 0; i < 20; ++i) subject += "Grüße ";
  std::string text = render_message({.to = "a@example.com", .subject = subject, .text_body = "b"}, from,
                                    {.date = {}, .message_id = "<1@example.com>"});
  auto message = parse_message(text);
  EXPECT_EQ(message.headers["From"], "=?UTF-8?B?w4lxdWlwZSBQYXJsZXk=?= <noreply@example.com>");
  const std::string& encoded = message.headers["Subject"];
  EXPECT_TRUE(encoded.starts_with("=?UTF-8?B?")) << encoded;
  // Every line of the folded header is one complete encoded-word, at most 76 characters long (RFC 2047 2).
  std::size_t start = text.find("Subject: ");
  ASSERT_NE(start, std::string::npos);
  int lines = 0;
  std::regex word("(Subject: | )=\\?UTF-8\\?B\\?[A-Za-z0-9+/]+=*\\?=");
  while (true) {
    std::size_t end = text.find("\r\n", start);
    std::string line = text.substr(start, end - start);
    EXPECT_LE(line.size(), 76u);
    EXPECT_TRUE(std::regex_match(line, word)) << line;
    ++lines;
    start = end + 2;
    if (text[start] != ' ') break;
  }
  EXPECT_GT(lines, 1);
}

TEST(RenderMessage, WritesMultipartAlternativeWithHtml) {
  MailAddress from = parse_from_address("noreply@example.com");
  std::string text =
      render_message({.to = "a@example.com", .subject = "s", .text_body = "plain", .html_body = "<p>html</p>"}, from,
                     {.date = {}, .message_id = "<1@example.com>", .encoding = BodyEncoding::eight_bit});
  auto message = parse_message(text);
  std::smatch match;
  ASSERT_TRUE(std::regex_match(message.headers["Content-Type"], match,
                               std::regex("multipart/alternative; boundary=\"(=_parley_[0-9a-f]+)\"")));
  std::string boundary = match[1];
  EXPECT_EQ(message.body, "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n" +
                              "Content-Transfer-Encoding: 8bit\r\n\r\nplain\r\n" + "--" + boundary +
                              "\r\nContent-Type: text/html; charset=utf-8\r\n" +
                              "Content-Transfer-Encoding: 8bit\r\n\r\n<p>html</p>\r\n" + "--" + boundary + "--\r\n");
}

}  // namespace
}  // namespace parley::mail
