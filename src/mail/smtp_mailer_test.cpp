#include "mail/smtp_mailer.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <thread>

#include "core/error.hpp"
#include "core/testing.hpp"
#include "mail/test_support.hpp"

namespace parley::mail {
namespace {

using parley::testing::run_awaitable;
using testing::decode_quoted_printable;
using testing::parse_message;
using testing::read_file;

// --- URL parsing ---------------------------------------------------------------------------------

TEST(ParseSmtpUrl, PlainWithStartTlsModes) {
  SmtpServer server = parse_smtp_url("smtp://mail.example.com:587?starttls=required");
  EXPECT_EQ(server.url, "smtp://mail.example.com:587");
  EXPECT_EQ(server.host, "mail.example.com");
  EXPECT_FALSE(server.implicit_tls);
  EXPECT_EQ(server.starttls, StartTls::required);
  EXPECT_EQ(parse_smtp_url("smtp://mail.example.com").starttls, StartTls::try_upgrade);
  EXPECT_EQ(parse_smtp_url("smtp://mail.example.com/?starttls=never").starttls, StartTls::never);
  EXPECT_EQ(parse_smtp_url("smtp://[::1]:25").url, "smtp://[::1]:25");
}

TEST(ParseSmtpUrl, ImplicitTlsWithDecodedCredentials) {
  SmtpServer server = parse_smtp_url("smtps://user%40example.com:p%3Ass%2Fw@mail.example.com:465");
  EXPECT_TRUE(server.implicit_tls);
  EXPECT_EQ(server.url, "smtps://mail.example.com:465");  // no credentials in what libcurl logs
  EXPECT_EQ(server.username, "user@example.com");
  EXPECT_EQ(server.password, "p:ss/w");
}

TEST(ParseSmtpUrl, RefusesInvalidAndUnsafeUrls) {
  for (std::string url : std::vector<std::string>{
           "", "mail.example.com:25", "http://mail.example.com", "smtp://", "smtp:///x", "smtp://mail.example.com/path",
           "smtp://mail.example.com?starttls=maybe", "smtp://mail.example.com?tls=1",
           "smtps://mail.example.com?starttls=required", "smtp://mail.example.com#x"}) {
    SCOPED_TRACE(url);
    EXPECT_THROW(parse_smtp_url(url), std::invalid_argument);
  }
}

TEST(ParseSmtpUrl, RefusesCredentialsThatCouldTravelInClearText) {
  try {
    parse_smtp_url("smtp://user:s3cret@mail.example.com:587");
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()).find("s3cret"), std::string::npos);
  }
  EXPECT_NO_THROW(parse_smtp_url("smtp://user:s3cret@mail.example.com:587?starttls=required"));
  EXPECT_NO_THROW(parse_smtp_url("smtp://user:s3cret@127.0.0.1:1025"));  // a loopback relay
}

TEST(SmtpMailer, RefusesInvalidOptions) {
  EXPECT_THROW(SmtpMailer({.url = "smtp://127.0.0.1:25", .from = "nobody"}), std::invalid_argument);
  EXPECT_THROW(SmtpMailer({.url = "smtp://127.0.0.1:25", .from = "a@b.c", .timeout = std::chrono::milliseconds(0)}),
               std::invalid_argument);
  EXPECT_THROW(SmtpMailer({.url = "smtp://127.0.0.1:25", .from = "a@b.c", .threads = 0}), std::invalid_argument);
}

// --- against the real aiosmtpd of scripts/test-servers ---------------------------------------------

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// A subject no other test (or earlier run) uses.
std::string unique_subject(std::string_view prefix) {
  std::random_device random;
  return std::string(prefix) + " " + std::to_string(random()) + std::to_string(random());
}

// Polls <maildir>/new until a message with `subject` appears; its text, or nullopt after `timeout`.
std::optional<std::string> wait_for_message(const std::filesystem::path& maildir, const std::string& subject,
                                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string needle = "\nSubject: " + subject + "\n";
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(maildir / "new", ec)) {
      std::string text = read_file(entry.path());
      if (("\n" + text).find(needle) != std::string::npos) return text;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling interval
  }
  return std::nullopt;
}

class SmtpMailerLive : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = env("PARLEY_TEST_SMTP_URL");
    auto maildir = env("PARLEY_TEST_SMTP_MAILDIR");
    if (!url_ || !maildir)
      GTEST_SKIP() << "PARLEY_TEST_SMTP_URL / PARLEY_TEST_SMTP_MAILDIR unset (scripts/test-servers)";
    maildir_ = *maildir;
  }

  std::optional<std::string> url_;
  std::filesystem::path maildir_;
};

TEST_F(SmtpMailerLive, DeliversAPlainMessage) {
  // Declared before the mailer, so it outlives the mailer's pool: a pool thread still holds a copy
  // of this context's executor for a moment after it resumed the caller (sanitizers saw it freed).
  boost::asio::io_context io;
  SmtpMailer mailer({.url = *url_, .from = "Parley <noreply@parley.test>", .timeout = std::chrono::seconds(10)});
  std::string subject = unique_subject("Reset your password");
  std::string body =
      "Hello Ada,\n\nopen https://parley.test/reset?token=abc=def to choose a new password.\n"
      ".a line starting with a dot\n" +
      std::string(100, 'x') + "\nGrüße\n";
  std::thread::id before, after;
  run_awaitable(io, [&]() -> boost::asio::awaitable<void> {
    before = std::this_thread::get_id();
    Email email{.to = "ada@example.com", .subject = subject, .text_body = body};  // named: see mailer.hpp
    co_await mailer.send(std::move(email));
    after = std::this_thread::get_id();
  }());
  EXPECT_EQ(before, after);  // resumed on the caller's executor

  auto text = wait_for_message(maildir_, subject);
  ASSERT_TRUE(text) << "no message with subject '" << subject << "' in " << maildir_;
  auto message = parse_message(*text);
  EXPECT_EQ(message.headers["To"], "ada@example.com");
  EXPECT_EQ(message.headers["Subject"], subject);
  EXPECT_EQ(message.headers["From"], "\"Parley\" <noreply@parley.test>");
  EXPECT_EQ(message.headers["X-MailFrom"], "noreply@parley.test");  // the envelope, as aiosmtpd saw it
  EXPECT_EQ(message.headers["X-RcptTo"], "ada@example.com");
  EXPECT_EQ(message.headers["Content-Transfer-Encoding"], "quoted-printable");
  EXPECT_EQ(decode_quoted_printable(message.body), body);
}

TEST_F(SmtpMailerLive, DeliversMultipartWithHtml) {
  SmtpMailer mailer({.url = *url_, .from = "noreply@parley.test", .timeout = std::chrono::seconds(10)});
  std::string subject = unique_subject("Welcome");
  run_awaitable(mailer.send(
      {.to = "grace@example.com", .subject = subject, .text_body = "plain part", .html_body = "<p>html part</p>"}));
  auto text = wait_for_message(maildir_, subject);
  ASSERT_TRUE(text);
  auto message = parse_message(*text);
  EXPECT_EQ(message.headers["To"], "grace@example.com");
  EXPECT_TRUE(message.headers["Content-Type"].starts_with("multipart/alternative; boundary=\"=_parley_"));
  EXPECT_NE(message.body.find("plain part"), std::string::npos);
  EXPECT_NE(message.body.find("<p>html part</p>"), std::string::npos);
}

TEST_F(SmtpMailerLive, StartTlsRequiredButNotOfferedIs503) {
  // aiosmtpd here offers no STARTTLS: the mailer must not fall back to clear text.
  SmtpMailer mailer(
      {.url = *url_ + "?starttls=required", .from = "noreply@parley.test", .timeout = std::chrono::seconds(10)});
  std::string subject = unique_subject("Never delivered");
  try {
    run_awaitable(mailer.send({.to = "ada@example.com", .subject = subject, .text_body = "secret"}));
    ADD_FAILURE() << "sent without TLS";
  } catch (const AppError& error) {
    EXPECT_EQ(error.status(), 503);
    EXPECT_FALSE(error.internal_detail().empty());
  }
  EXPECT_FALSE(wait_for_message(maildir_, subject, std::chrono::milliseconds(200)));
}

// A loopback port that nothing listens on (bound, then closed without listen()).
std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST(SmtpMailer, ServerDownIs503WithCurlTextInternalOnly) {
  SmtpMailer mailer({.url = "smtp://127.0.0.1:" + std::to_string(closed_port()),
                     .from = "noreply@parley.test",
                     .timeout = std::chrono::seconds(5)});
  try {
    run_awaitable(mailer.send({.to = "ada@example.com", .subject = "s", .text_body = "b"}));
    ADD_FAILURE() << "sent";
  } catch (const AppError& error) {
    EXPECT_EQ(error.status(), 503);
    EXPECT_EQ(error.code(), "service_unavailable");
    EXPECT_EQ(error.public_message(), "Email could not be sent; try again later.");
    EXPECT_NE(error.internal_detail().find("Couldn't connect to server"), std::string::npos) << error.internal_detail();
  }
}

TEST(SmtpMailer, RefusesHeaderInjectionBeforeConnecting) {
  SmtpMailer mailer({.url = "smtp://127.0.0.1:" + std::to_string(closed_port()), .from = "noreply@parley.test"});
  try {
    run_awaitable(mailer.send({.to = "a@example.com\r\nRCPT TO:<victim@example.com>", .subject = "s"}));
    ADD_FAILURE() << "sent";
  } catch (const AppError& error) {
    EXPECT_EQ(error.status(), 400);
    EXPECT_EQ(error.code(), "invalid_email");
  }
}

}  // namespace
}  // namespace parley::mail
