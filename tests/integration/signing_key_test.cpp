// The development signing key kept in the data folder: a server started again on the same SQLite
// folder accepts the tokens the previous one issued; production keeps no key of its own; a key file
// with loose permissions stops the start instead of being replaced.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

namespace parley::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kPassword = "correct horse battery staple";

class SigningKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "parley-signing-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // A server on the SQLite database in dir_/data, logging at info into `logs`.
  std::unique_ptr<TestServer> start(const LogCapture& logs, std::map<std::string, std::string> env = {}) {
    env["PARLEY_DATABASE_URL"] = "sqlite:" + (data() / "parley.db").string();
    env["PARLEY_UPLOAD_DIR"] = (data() / "uploads").string();
    env["PARLEY_LOG_LEVEL"] = "info";
    return std::make_unique<TestServer>(test_config(env), std::function<void(http::Router&)>{}, &logs);
  }

  fs::path data() const { return dir_ / "data"; }
  fs::path key_file() const { return data() / "jwt-signing-key.pem"; }

  struct Tokens {
    std::string access;
    std::string refresh;
  };

  static Tokens sign_up(std::uint16_t port) {
    auto registered = http_request(
        port, "POST", "/api/v1/auth/register", {},
        json::serialize(json::object{{"username", "alice"}, {"email", "alice@example.com"}, {"password", kPassword}}));
    EXPECT_EQ(registered.status, 201) << registered.body;
    auto issued = http_request(port, "POST", "/api/v1/auth/token", {},
                               json::serialize(json::object{{"login", "alice"}, {"password", kPassword}}));
    EXPECT_EQ(issued.status, 200) << issued.body;
    auto body = issued.json();
    return Tokens{std::string(body.at("access").as_string()), std::string(body.at("refresh").as_string())};
  }

  static int me(std::uint16_t port, const std::string& access) {
    return http_request(port, "GET", "/api/v1/users/me", {{"Authorization", "Bearer " + access}}).status;
  }

  static int refresh(std::uint16_t port, const std::string& token) {
    return http_request(port, "POST", "/api/v1/auth/token/refresh", {},
                        json::serialize(json::object{{"refresh", token}}))
        .status;
  }

  fs::path dir_;
};

TEST_F(SigningKeyTest, ASecondServerOnTheSameDataFolderAcceptsTheFirstServersTokens) {
  LogCapture first_logs;
  auto first = start(first_logs);
  auto tokens = sign_up(first->port());
  ASSERT_EQ(me(first->port(), tokens.access), 200);
  first->stop();
  first.reset();

  struct stat st {};
  ASSERT_EQ(::stat(key_file().c_str(), &st), 0) << "the key is kept in the data folder";
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_NE(first_logs.contents().find(fs::absolute(key_file()).string() + " (created now)"), std::string::npos)
      << first_logs.contents();

  LogCapture second_logs;
  auto second = start(second_logs);
  EXPECT_EQ(me(second->port(), tokens.access), 200);
  EXPECT_EQ(refresh(second->port(), tokens.refresh), 200);
  second->stop();
  EXPECT_NE(second_logs.contents().find(fs::absolute(key_file()).string() + " (kept from an earlier start)"),
            std::string::npos)
      << second_logs.contents();
  EXPECT_EQ(second_logs.contents().find("generated for this run"), std::string::npos);
}

TEST_F(SigningKeyTest, ProductionKeepsNoKeyOfItsOwn) {
  const std::map<std::string, std::string> production{{"PARLEY_ENV", "production"}};
  LogCapture first_logs;
  auto first = start(first_logs, production);
  auto tokens = sign_up(first->port());
  first->stop();
  first.reset();
  EXPECT_FALSE(fs::exists(key_file()));
  EXPECT_NE(first_logs.contents().find("PARLEY_JWT_PRIVATE_KEY_FILE is not set"), std::string::npos)
      << first_logs.contents();

  LogCapture second_logs;
  auto second = start(second_logs, production);
  EXPECT_EQ(me(second->port(), tokens.access), 401) << "each start signs with a key of its own";
}

TEST_F(SigningKeyTest, AKeyFileOthersCanReadStopsTheStartNamingIt) {
  fs::create_directories(data());
  {
    LogCapture logs;
    start(logs)->stop();  // creates the key
  }
  std::string before;
  {
    std::ifstream in(key_file(), std::ios::binary);
    before.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_EQ(::chmod(key_file().c_str(), 0644), 0);
  LogCapture logs;
  std::optional<std::string> error;
  try {
    start(logs);
  } catch (const std::exception& e) {
    error = e.what();
  }
  ASSERT_TRUE(error.has_value()) << "the server started with a world-readable key";
  EXPECT_NE(error->find(key_file().string()), std::string::npos) << *error;
  std::ifstream in(key_file(), std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), before) << "the key is not replaced";
}

}  // namespace
}  // namespace parley::testing
