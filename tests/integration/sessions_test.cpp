// Browser sessions and CSRF (issue 4 item 3; docs/api.md "Authentication"), against the real server on
// SQLite and, when PARLEY_TEST_PG_URL is set, on a scratch PostgreSQL database.
#include "harness.hpp"

#include "auth/tokens.hpp"
#include "core/time.hpp"
#include "db/pg_test_database.hpp"
#include "db/repositories/session_repository.hpp"
#include "db/repositories/user_repository.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <optional>

namespace parley::testing {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace repo = db::repositories;

constexpr std::string_view kCookieName = "__Host-parley_session";
const std::string kPassword = "plum-violet-harbour-1987";

struct Session {
  std::string id;    // the cookie value
  std::string csrf;  // from the response body
  HttpResult response;
};

class SessionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      auto admin = db::testing::PgTestDatabase::admin_url_from_env();
      if (!admin) GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset";
      pg_.emplace(*admin);
    }
  }

  void TearDown() override {
    if (server_) server_->stop();  // before the scratch database is dropped
    server_.reset();
    pg_.reset();
  }

  // Starts the server with `env` on top of the backend's database settings.
  void start(std::map<std::string, std::string> env = {}) {
    if (pg_) {
      env["PARLEY_DATABASE_URL"] = pg_->url();
      env["PARLEY_AUTO_MIGRATE"] = "1";
    }
    server_.emplace(test_config(env));
  }

  std::uint16_t port() { return server_->port(); }
  std::string origin() { return "http://127.0.0.1:" + std::to_string(port()); }

  HttpResult call(std::string method, std::string target, std::map<std::string, std::string> headers = {},
                  std::string body = {}) {
    return http_request(port(), std::move(method), std::move(target), std::move(headers), std::move(body));
  }

  // Registers `username` with kPassword; returns the new user's id.
  std::int64_t register_user(const std::string& username) {
    json::object body{{"username", username}, {"email", username + "@example.com"}, {"password", kPassword}};
    auto response = call("POST", "/api/v1/auth/register", {}, json::serialize(body));
    EXPECT_EQ(response.status, 201) << response.body;
    return response.json().at("id").as_int64();
  }

  HttpResult login_raw(const std::string& login, std::map<std::string, std::string> headers = {}) {
    json::object body{{"login", login}, {"password", kPassword}};
    return call("POST", "/api/v1/auth/session", std::move(headers), json::serialize(body));
  }

  // Logs in; asserts success and returns the cookie value and the CSRF token.
  Session login(const std::string& login, std::map<std::string, std::string> headers = {}) {
    Session session;
    session.response = login_raw(login, std::move(headers));
    EXPECT_EQ(session.response.status, 200) << session.response.body;
    auto set_cookie = session.response.header("Set-Cookie");
    auto prefix = std::string(kCookieName) + "=";
    EXPECT_TRUE(set_cookie.starts_with(prefix)) << set_cookie;
    auto end = set_cookie.find(';');
    session.id = set_cookie.substr(prefix.size(), end - prefix.size());
    if (session.response.status == 200) session.csrf = std::string(session.response.json().at("csrf_token").as_string());
    return session;
  }

  std::string cookie(const std::string& id) { return std::string(kCookieName) + "=" + id; }

  // Headers of a legitimate same-origin browser request with the session.
  std::map<std::string, std::string> browser(const Session& s) {
    return {{"Cookie", cookie(s.id)}, {"Origin", origin()}, {"X-CSRF-Token", s.csrf}};
  }

  HttpResult me(const std::string& id) { return call("GET", "/api/v1/users/me", {{"Cookie", cookie(id)}}); }

  // An unsafe request that any signed-in user may make.
  HttpResult patch_settings(std::map<std::string, std::string> headers) {
    return call("PATCH", "/api/v1/users/me/settings", std::move(headers), R"({"timezone":"Europe/Berlin"})");
  }

  // Runs `make()`'s coroutine on the app's first I/O thread (where its database lives) and waits.
  template <class Make>
  auto on_app(Make make) {
    return asio::co_spawn(server_->app().primary_context(), make(), asio::use_future).get();
  }

  std::optional<db::testing::PgTestDatabase> pg_;
  std::optional<TestServer> server_;
};

void expect_csrf_failure(const HttpResult& response, std::string_view detail_part) {
  EXPECT_EQ(response.status, 403) << response.body;
  if (response.status != 403) return;
  auto body = response.json().as_object();
  EXPECT_EQ(body.at("code").as_string(), "csrf_failed");
  EXPECT_NE(std::string(body.at("detail").as_string()).find(detail_part), std::string::npos) << response.body;
}

void expect_session_ended(const HttpResult& response) {
  EXPECT_EQ(response.status, 401) << response.body;
  if (response.status != 401) return;
  EXPECT_EQ(response.json().at("code").as_string(), "session_expired");
  auto cleared = response.header("Set-Cookie");
  EXPECT_TRUE(cleared.starts_with(std::string(kCookieName) + "=;")) << cleared;
  EXPECT_NE(cleared.find("Max-Age=0"), std::string::npos) << cleared;
}

TEST_P(SessionTest, LoginSetsAHostCookieWithEveryAttributeAndReturnsTheCsrfToken) {
  start({{"PARLEY_SESSION_MAX_AGE", "48h"}});
  register_user("alice");
  auto s = login("alice");
  auto set_cookie = s.response.header("Set-Cookie");
  EXPECT_EQ(set_cookie, std::string(kCookieName) + "=" + s.id +
                            "; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(48 * 3600));
  EXPECT_EQ(s.id.size(), auth::kSecretChars);
  EXPECT_EQ(s.csrf.size(), auth::kSecretChars);
  EXPECT_NE(s.id, s.csrf);
  auto body = s.response.json().as_object();
  EXPECT_EQ(body.at("user").at("username").as_string(), "alice");
  EXPECT_EQ(body.at("user").at("email").as_string(), "alice@example.com");
  EXPECT_EQ(s.response.header("Cache-Control"), "no-store");

  // The database holds the hashes only: the row is found by the hash, and carries the CSRF hash.
  auto found = on_app([&]() -> asio::awaitable<std::optional<repo::ActiveSession>> {
    auto& db = server_->app().database();
    repo::SessionRepository sessions(db.dialect());
    auto hash = auth::token_hash(s.id);
    auto now = format_rfc3339(std::chrono::system_clock::now());
    co_return co_await sessions.find_active(db, hash, now, std::chrono::seconds(3600));
  });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->session.csrf_token_hash, auth::token_hash(s.csrf));
}

TEST_P(SessionTest, WrongPasswordSetsNoCookie) {
  start();
  register_user("alice");
  auto response = call("POST", "/api/v1/auth/session", {}, R"({"login":"alice","password":"not-the-password-at-all"})");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.json().at("code").as_string(), "authentication_failed");
  EXPECT_EQ(response.header("Set-Cookie"), "");
}

TEST_P(SessionTest, TheCookieAuthenticatesRequests) {
  start();
  register_user("alice");
  auto s = login("alice");
  auto response = me(s.id);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json().at("username").as_string(), "alice");
  // Other cookies, and malformed pairs before it, do not get in the way.
  response = call("GET", "/api/v1/users/me", {{"Cookie", "theme=dark; garbage; a b=c; " + cookie(s.id) + "; x=1"}});
  EXPECT_EQ(response.status, 200) << response.body;
  // Without the cookie the caller is anonymous.
  EXPECT_EQ(call("GET", "/api/v1/users/me").status, 401);
}

TEST_P(SessionTest, UnsafeRequestWithoutCsrfTokenIsRefused) {
  start();
  register_user("alice");
  auto s = login("alice");
  auto headers = browser(s);
  headers.erase("X-CSRF-Token");
  expect_csrf_failure(patch_settings(headers), "X-CSRF-Token header is missing");
}

TEST_P(SessionTest, UnsafeRequestWithAWrongCsrfTokenIsRefused) {
  start();
  register_user("alice");
  register_user("bob");
  auto alice = login("alice");
  auto bob = login("bob");
  auto headers = browser(alice);
  headers["X-CSRF-Token"] = auth::generate_csrf_token();
  expect_csrf_failure(patch_settings(headers), "does not match");
  headers["X-CSRF-Token"] = bob.csrf;  // another session's token
  expect_csrf_failure(patch_settings(headers), "does not match");
}

TEST_P(SessionTest, RightTokenFromAForeignOriginIsRefused) {
  start();
  register_user("alice");
  auto s = login("alice");
  auto headers = browser(s);
  std::vector<std::string> foreign_origins{"https://evil.example", "http://127.0.0.1:1", "null",
                                           "http://127.0.0.1.evil.example:" + std::to_string(port()),
                                           origin() + "/path", "ftp://127.0.0.1:" + std::to_string(port())};
  for (const auto& foreign : foreign_origins) {
    headers["Origin"] = foreign;
    expect_csrf_failure(patch_settings(headers), "not this site's origin");
  }
  // No Origin: Sec-Fetch-Site must say same-origin.
  headers.erase("Origin");
  expect_csrf_failure(patch_settings(headers), "must send an Origin header");
  headers["Sec-Fetch-Site"] = "cross-site";
  expect_csrf_failure(patch_settings(headers), "not 'same-origin'");
  headers["Sec-Fetch-Site"] = "same-site";
  expect_csrf_failure(patch_settings(headers), "not 'same-origin'");
}

TEST_P(SessionTest, RightTokenFromTheSameOriginIsAccepted) {
  start();
  register_user("alice");
  auto s = login("alice");
  auto response = patch_settings(browser(s));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json().at("timezone").as_string(), "Europe/Berlin");
  // Without Origin, Sec-Fetch-Site: same-origin stands in for it.
  auto headers = browser(s);
  headers.erase("Origin");
  headers["Sec-Fetch-Site"] = "same-origin";
  EXPECT_EQ(patch_settings(headers).status, 200);
  // Safe methods need neither.
  EXPECT_EQ(me(s.id).status, 200);
}

TEST_P(SessionTest, ExplicitCorsOriginsAreTrusted) {
  start({{"PARLEY_CORS_ORIGINS", "https://app.example.com"}});
  register_user("alice");
  auto s = login("alice");
  auto headers = browser(s);
  headers["Origin"] = "https://app.example.com";
  EXPECT_EQ(patch_settings(headers).status, 200);
  headers["Origin"] = "https://other.example.com";
  expect_csrf_failure(patch_settings(headers), "not this site's origin");
}

TEST_P(SessionTest, BearerRequestsAreNotSubjectToCsrf) {
  start();
  register_user("alice");
  auto token = call("POST", "/api/v1/auth/token", {}, R"({"login":"alice","password":")" + kPassword + R"("})");
  ASSERT_EQ(token.status, 200) << token.body;
  std::string bearer = "Bearer " + std::string(token.json().at("access").as_string());
  auto response = patch_settings({{"Authorization", bearer}, {"Origin", "https://evil.example"}});
  EXPECT_EQ(response.status, 200) << response.body;
  // With Authorization present the cookie is not even read: a dead one does not matter.
  response = patch_settings({{"Authorization", bearer}, {"Cookie", cookie(auth::generate_session_id())}});
  EXPECT_EQ(response.status, 200) << response.body;
}

TEST_P(SessionTest, DeleteSessionEndsItAndClearsTheCookie) {
  start();
  register_user("alice");
  auto s = login("alice");
  // Logging out is an unsafe request too.
  auto headers = browser(s);
  headers.erase("X-CSRF-Token");
  expect_csrf_failure(call("DELETE", "/api/v1/auth/session", headers), "X-CSRF-Token");
  ASSERT_EQ(me(s.id).status, 200);

  auto response = call("DELETE", "/api/v1/auth/session", browser(s));
  ASSERT_EQ(response.status, 204) << response.body;
  EXPECT_EQ(response.header("Set-Cookie"),
            std::string(kCookieName) + "=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0");
  expect_session_ended(me(s.id));
  expect_session_ended(call("DELETE", "/api/v1/auth/session", browser(s)));
}

TEST_P(SessionTest, LogoutWithAnEmptyBodyEndsTheCallersSession) {
  start();
  register_user("alice");
  auto s = login("alice");
  auto other = login("alice");  // another browser: unaffected
  auto response = call("POST", "/api/v1/auth/logout", browser(s));
  ASSERT_EQ(response.status, 204) << response.body;
  EXPECT_NE(response.header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  expect_session_ended(me(s.id));
  EXPECT_EQ(me(other.id).status, 200);
  // Without a session the refresh token is still required.
  EXPECT_EQ(call("POST", "/api/v1/auth/logout").status, 400);
}

TEST_P(SessionTest, DeleteSessionNeedsASession) {
  start();
  register_user("alice");
  EXPECT_EQ(call("DELETE", "/api/v1/auth/session").status, 401);
  auto token = call("POST", "/api/v1/auth/token", {}, R"({"login":"alice","password":")" + kPassword + R"("})");
  std::string bearer = "Bearer " + std::string(token.json().at("access").as_string());
  auto response = call("DELETE", "/api/v1/auth/session", {{"Authorization", bearer}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.json().at("code").as_string(), "not_a_session");
}

TEST_P(SessionTest, LoginNeverAdoptsAnIdPresentedBeforeIt) {
  start();
  register_user("alice");
  // An attacker plants a well-formed id of their choosing in the victim's browser.
  auto planted = auth::generate_session_id();
  auto s = login("alice", {{"Cookie", cookie(planted)}});
  EXPECT_NE(s.id, planted);
  EXPECT_EQ(me(s.id).status, 200);
  expect_session_ended(me(planted));

  // Logging in again over a live session replaces it: the old id dies.
  auto again = login("alice", {{"Cookie", cookie(s.id)}});
  EXPECT_NE(again.id, s.id);
  expect_session_ended(me(s.id));
  EXPECT_EQ(me(again.id).status, 200);
}

TEST_P(SessionTest, ForgedOrMalformedCookiesAreRefusedAndCleared) {
  start();
  expect_session_ended(me(auth::generate_session_id()));
  expect_session_ended(me("short"));
  expect_session_ended(me(std::string(auth::kSecretChars, '*')));
}

TEST_P(SessionTest, LoginFromAForeignOriginIsRefused) {
  start();
  register_user("alice");
  auto response = login_raw("alice", {{"Origin", "https://evil.example"}});
  expect_csrf_failure(response, "not this site's origin");
  EXPECT_EQ(response.header("Set-Cookie"), "");
  expect_csrf_failure(login_raw("alice", {{"Sec-Fetch-Site", "cross-site"}}), "not 'same-origin'");
  EXPECT_EQ(login_raw("alice", {{"Origin", origin()}}).status, 200);
}

TEST_P(SessionTest, AnIdleSessionExpires) {
  start({{"PARLEY_SESSION_IDLE_TIMEOUT", "2s"}});
  register_user("alice");
  auto s = login("alice");
  ASSERT_EQ(me(s.id).status, 200);
  // Polls the row itself (an HTTP poll would keep the session alive).
  auto hash = auth::token_hash(s.id);
  bool expired = eventually(
      [&] {
        auto found = on_app([&]() -> asio::awaitable<bool> {
          auto& db = server_->app().database();
          repo::SessionRepository sessions(db.dialect());
          auto now = format_rfc3339(std::chrono::system_clock::now());
          auto row = co_await sessions.find_active(db, hash, now, std::chrono::seconds(2));
          co_return row.has_value();
        });
        return !found;
      },
      std::chrono::seconds(10));
  ASSERT_TRUE(expired);
  expect_session_ended(me(s.id));
}

// Through the admin action, which invalidates the (cached) session at once; a write behind its back
// would be seen only after PARLEY_AUTH_CACHE_TTL (docs/security.md "Verified-credential cache").
TEST_P(SessionTest, ADeactivatedUsersSessionStopsWorkingAtOnce) {
  start();
  auto root_id = register_user("root");
  on_app([&]() -> asio::awaitable<void> {
    auto& db = server_->app().database();
    repo::UserRepository users(db.dialect());
    co_await users.set_role(db, root_id, "owner");
  });
  auto root = login("root");
  auto id = register_user("alice");
  auto s = login("alice");
  ASSERT_EQ(me(s.id).status, 200);
  ASSERT_EQ(me(s.id).status, 200);  // answered from the credential cache
  auto deactivated = call("PATCH", "/api/v1/admin/users/" + std::to_string(id), browser(root), R"({"is_active":false})");
  ASSERT_EQ(deactivated.status, 200) << deactivated.body;
  expect_session_ended(me(s.id));
}

INSTANTIATE_TEST_SUITE_P(Sessions, SessionTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace parley::testing
