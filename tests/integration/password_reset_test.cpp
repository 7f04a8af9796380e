// Password reset end to end: the emailed single-use link, through the log mailer and through a
// real SMTP server (aiosmtpd, started by scripts/test-servers) when PARLEY_TEST_SMTP_URL is set.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

const std::string kPassword = "correct horse battery staple";
const std::string kNewPassword = "a brand new long passphrase";

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every reset token found in `text` (links end in ?token=<base64url>).
std::vector<std::string> tokens_in(const std::string& text) {
  static const std::regex kLink("token=([A-Za-z0-9_-]{20,})");
  std::vector<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), kLink), end; it != end; ++it) out.push_back((*it)[1]);
  return out;
}

class PasswordResetTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("parley-reset-" + std::to_string(rd()));
    fs::create_directories(dir_);
    std::map<std::string, std::string> env{{"PARLEY_MAIL_LOG_FILE", (dir_ / "mail.log").string()},
                                           {"PARLEY_PUBLIC_URL", "https://chat.example.com"}};
    if (smtp()) {
      const char* url = std::getenv("PARLEY_TEST_SMTP_URL");
      const char* maildir = std::getenv("PARLEY_TEST_SMTP_MAILDIR");
      if (url == nullptr || maildir == nullptr) GTEST_SKIP() << "PARLEY_TEST_SMTP_URL is not set";
      env["PARLEY_MAIL_URL"] = url;
      maildir_ = fs::path(maildir) / "new";
    }
    server_ = std::make_unique<TestServer>(test_config(env));
    auto r = http_request(port(), "POST", "/api/v1/auth/register", {},
                          R"({"username":")" + username_ + R"(","email":")" + email() + R"(","password":")" + kPassword + R"("})");
    ASSERT_EQ(r.status, 201) << r.body;
  }
  void TearDown() override {
    server_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  bool smtp() const { return GetParam(); }
  std::uint16_t port() const { return server_->port(); }
  std::string email() const { return username_ + "@example.com"; }

  // All mail delivered to this test's user so far, as one text. SMTP messages are
  // quoted-printable: soft line breaks are joined and "=3D" decoded so links read as sent.
  std::string mailbox() const {
    if (!smtp()) return read_all(dir_ / "mail.log");
    std::string all;
    if (!fs::exists(maildir_)) return all;
    for (const auto& entry : fs::directory_iterator(maildir_)) {
      auto text = read_all(entry.path());
      if (text.find("To: " + email()) == std::string::npos) continue;  // another test's user
      text = std::regex_replace(text, std::regex("=\r?\n"), "");
      text = std::regex_replace(text, std::regex("=3D"), "=");
      all += text;
    }
    return all;
  }

  // Requests a reset and waits (with a deadline) for the email carrying a new token.
  std::string request_reset_token() {
    auto before = tokens_in(mailbox()).size();
    auto r = http_request(port(), "POST", "/api/v1/auth/password/reset", {}, R"({"email":")" + email() + R"("})");
    EXPECT_EQ(r.status, 202);
    std::string token;
    EXPECT_TRUE(eventually([&] {
      auto found = tokens_in(mailbox());
      // Quoted-printable may split long lines; the log mailer writes plain text.
      if (found.size() <= before) return false;
      token = found.back();
      return true;
    }));
    return token;
  }

  int login_status(const std::string& password) {
    return http_request(port(), "POST", "/api/v1/auth/token", {},
                        R"({"login":")" + username_ + R"(","password":")" + password + R"("})")
        .status;
  }

  fs::path dir_;
  fs::path maildir_;
  std::string username_ = "resetter" + std::to_string(std::random_device{}() % 100000);
  std::unique_ptr<TestServer> server_;
};

TEST_P(PasswordResetTest, EmailedLinkSetsANewPasswordOnce) {
  auto login = http_request(port(), "POST", "/api/v1/auth/token", {},
                            R"({"login":")" + username_ + R"(","password":")" + kPassword + R"("})");
  ASSERT_EQ(login.status, 200);
  auto refresh = std::string(login.json().at("refresh").as_string());

  auto token = request_reset_token();
  ASSERT_FALSE(token.empty());
  EXPECT_NE(mailbox().find("https://chat.example.com/reset-password?token="), std::string::npos);

  auto confirm = http_request(port(), "POST", "/api/v1/auth/password/reset/confirm", {},
                              R"({"token":")" + token + R"(","password":")" + kNewPassword + R"("})");
  EXPECT_EQ(confirm.status, 204) << confirm.body;
  EXPECT_EQ(login_status(kNewPassword), 200);
  EXPECT_EQ(login_status(kPassword), 401);
  // Every earlier login ended: the old refresh token is refused.
  EXPECT_EQ(http_request(port(), "POST", "/api/v1/auth/token/refresh", {}, R"({"refresh":")" + refresh + R"("})").status,
            401);
  // Single use.
  auto again = http_request(port(), "POST", "/api/v1/auth/password/reset/confirm", {},
                            R"({"token":")" + token + R"(","password":"yet another long passphrase"})");
  EXPECT_EQ(again.status, 400);
  EXPECT_TRUE(again.json().at("errors").as_object().contains("token"));
}

TEST_P(PasswordResetTest, RefusedPasswordKeepsTheTokenUsable) {
  auto token = request_reset_token();
  auto weak = http_request(port(), "POST", "/api/v1/auth/password/reset/confirm", {},
                           R"({"token":")" + token + R"(","password":"short"})");
  EXPECT_EQ(weak.status, 400);
  EXPECT_TRUE(weak.json().at("errors").as_object().contains("password"));
  auto ok = http_request(port(), "POST", "/api/v1/auth/password/reset/confirm", {},
                         R"({"token":")" + token + R"(","password":")" + kNewPassword + R"("})");
  EXPECT_EQ(ok.status, 204);
}

TEST_P(PasswordResetTest, UnknownAddressGetsTheSameAnswerAndNoMail) {
  auto known = http_request(port(), "POST", "/api/v1/auth/password/reset", {}, R"({"email":")" + email() + R"("})");
  auto unknown = http_request(port(), "POST", "/api/v1/auth/password/reset", {}, R"({"email":"nobody@example.com"})");
  EXPECT_EQ(known.status, unknown.status);
  EXPECT_EQ(known.body, unknown.body);
  EXPECT_TRUE(eventually([&] { return tokens_in(mailbox()).size() == 1; }));
  EXPECT_EQ(mailbox().find("nobody@example.com"), std::string::npos);
}

TEST_P(PasswordResetTest, MadeUpTokenIsRefused) {
  auto r = http_request(port(), "POST", "/api/v1/auth/password/reset/confirm", {},
                        R"({"token":"bm90LWEtcmVhbC10b2tlbi1hdC1hbGwtcmVhbGx5","password":")" + kNewPassword + R"("})");
  EXPECT_EQ(r.status, 400);
}

INSTANTIATE_TEST_SUITE_P(Mailers, PasswordResetTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Smtp" : "LogFile"; });

}  // namespace
}  // namespace parley::testing
