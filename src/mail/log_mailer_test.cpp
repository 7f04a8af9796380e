#include "mail/log_mailer.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <regex>
#include <thread>

#include "core/error.hpp"
#include "core/testing.hpp"
#include "mail/test_support.hpp"

namespace parley::mail {
namespace {

using parley::testing::run_awaitable;
using testing::parse_message;
using testing::read_file;
using testing::TempDir;

// The file split at its mbox "From " separator lines, separators removed.
std::vector<std::string> mbox_entries(const std::string& text) {
  std::vector<std::string> entries;
  std::size_t start = 0;
  while (start < text.size()) {
    EXPECT_TRUE(text.compare(start, 5, "From ") == 0) << text.substr(start, 40);
    std::size_t body = text.find('\n', start) + 1;
    std::size_t next = text.find("\n\nFrom ", body);
    std::size_t end = next == std::string::npos ? text.size() : next + 2;
    entries.push_back(text.substr(body, end - body));
    start = end;
  }
  return entries;
}

TEST(LogMailer, AppendsAWellFormedMessageToANewFolder) {
  TempDir dir;
  auto file = dir.path() / "var" / "mail" / "mail.log";
  // The context outlives the mailer: the mailer's pool threads finish handing results back to it
  // when the mailer is destroyed (joined), so it must still exist then.
  boost::asio::io_context io;
  LogMailer mailer({.file = file, .from = "Parley <noreply@parley.test>"});
  std::thread::id before, after;
  run_awaitable(io, [&]() -> boost::asio::awaitable<void> {
    before = std::this_thread::get_id();
    // A named local: GCC 12 destroys temporaries inside a co_await expression twice.
    Email email{.to = "ada@example.com",
                .subject = "Reset your password",
                .text_body = "Open https://parley.test/reset?token=abc\nFrom here on, ok.\n"};
    co_await mailer.send(std::move(email));
    after = std::this_thread::get_id();
  }());
  EXPECT_EQ(before, after);  // resumed on the caller's executor

  std::string text = read_file(file);
  EXPECT_TRUE(std::regex_search(text, std::regex("^From MAILER-DAEMON [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\\d "
                                                 "\\d{2}:\\d{2}:\\d{2} \\d{4}\n")))
      << text;
  EXPECT_EQ(text.find('\r'), std::string::npos);
  auto entries = mbox_entries(text);
  ASSERT_EQ(entries.size(), 1u);
  auto message = parse_message(entries[0]);
  EXPECT_TRUE(std::regex_match(message.headers["Date"],
                               std::regex("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} \\+0000")))
      << message.headers["Date"];
  EXPECT_EQ(message.headers["From"], "\"Parley\" <noreply@parley.test>");
  EXPECT_EQ(message.headers["To"], "ada@example.com");
  EXPECT_EQ(message.headers["Subject"], "Reset your password");
  EXPECT_TRUE(std::regex_match(message.headers["Message-ID"], std::regex("<[0-9a-f]{32}@parley\\.test>")));
  EXPECT_EQ(message.headers["MIME-Version"], "1.0");
  EXPECT_EQ(message.headers["Content-Type"], "text/plain; charset=utf-8");
  EXPECT_EQ(message.headers["Content-Transfer-Encoding"], "8bit");
  // The link stays readable (no quoted-printable); a body line starting "From " is quoted (mboxrd).
  EXPECT_EQ(message.body, "Open https://parley.test/reset?token=abc\n>From here on, ok.\n\n");

  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);  // messages hold reset tokens
}

TEST(LogMailer, AppendsMessagesInOrder) {
  TempDir dir;
  auto file = dir.path() / "mail.log";
  LogMailer mailer({.file = file});
  run_awaitable([&]() -> boost::asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      Email email{.to = "user" + std::to_string(i) + "@example.com",
                  .subject = "Message " + std::to_string(i),
                  .text_body = "Body " + std::to_string(i),
                  .html_body = "<p>Body</p>"};
      co_await mailer.send(std::move(email));
    }
  }());
  auto entries = mbox_entries(read_file(file));
  ASSERT_EQ(entries.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    auto message = parse_message(entries[i]);
    EXPECT_EQ(message.headers["To"], "user" + std::to_string(i) + "@example.com");
    EXPECT_EQ(message.headers["Subject"], "Message " + std::to_string(i));
    EXPECT_TRUE(message.headers["Content-Type"].starts_with("multipart/alternative; boundary="));
    EXPECT_NE(message.body.find("Body " + std::to_string(i) + "\n"), std::string::npos);
  }
}

TEST(LogMailer, RefusesHeaderInjectionAndWritesNothing) {
  TempDir dir;
  auto file = dir.path() / "mail.log";
  LogMailer mailer({.file = file});
  for (Email email : {Email{.to = "a@example.com\r\nBcc: victim@example.com", .subject = "s", .text_body = "b"},
                      Email{.to = "a@example.com", .subject = "s\nBcc: victim@example.com", .text_body = "b"}}) {
    try {
      run_awaitable(mailer.send(email));
      ADD_FAILURE() << "sent";
    } catch (const AppError& error) {
      EXPECT_EQ(error.status(), 400);
      EXPECT_EQ(error.code(), "invalid_email");
    }
  }
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST(LogMailer, UnwritableFileIs503) {
  TempDir dir;
  // A folder where the file should be: open(2) fails for root too.
  auto file = dir.path() / "mail.log";
  std::filesystem::create_directories(file);
  LogMailer mailer({.file = file});
  try {
    run_awaitable(mailer.send({.to = "a@example.com", .subject = "s", .text_body = "b"}));
    ADD_FAILURE() << "sent";
  } catch (const AppError& error) {
    EXPECT_EQ(error.status(), 503);
    EXPECT_EQ(error.public_message(), "Email could not be sent; try again later.");
    EXPECT_NE(error.internal_detail().find("mail.log: open: "), std::string::npos) << error.internal_detail();
  }
}

TEST(LogMailer, RefusesAnInvalidSender) {
  EXPECT_THROW(LogMailer({.file = "x.log", .from = "not an address"}), std::invalid_argument);
  EXPECT_THROW(LogMailer({.file = "", .from = "a@example.com"}), std::invalid_argument);
}

}  // namespace
}  // namespace parley::mail
