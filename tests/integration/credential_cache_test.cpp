// The verified-credential cache (accounts/credential_cache.hpp; docs/security.md "Verified-credential
// cache") against the real server, on SQLite and, when PARLEY_TEST_PG_URL is set, PostgreSQL: a
// cached credential keeps working, and every action that ends or changes credentials is seen by
// the very next request; on PostgreSQL also by a second server process on the same database.
#include "harness.hpp"

#include "db/pg/pg_database.hpp"
#include "db/pg_test_database.hpp"
#include "db/repositories/user_repository.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <array>
#include <optional>

namespace parley::testing {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace repo = db::repositories;

const std::string kPassword = "a perfectly long passphrase 7781";
constexpr std::string_view kCookieName = "__Host-parley_session";

struct Credentials {
  std::int64_t id = 0;
  std::string access;   // JWT access token
  std::string refresh;  // its refresh token
  std::string session;  // session cookie value
  std::string csrf;     // the session's CSRF token
};

class CredentialCacheTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      auto admin = db::testing::PgTestDatabase::admin_url_from_env();
      if (!admin) GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset";
      pg_.emplace(*admin);
    }
  }

  void TearDown() override {
    for (auto* server : {&other_, &server_}) {
      if (*server) (*server)->stop();  // before the scratch database is dropped
      server->reset();
    }
    pg_.reset();
    key_.reset();
  }

  // Both servers sign and verify with one key, as replicas do.
  std::map<std::string, std::string> shared_signing_key(std::map<std::string, std::string> env) {
    if (!key_) key_.emplace();
    env["PARLEY_JWT_PRIVATE_KEY_FILE"] = key_->path();
    return env;
  }

  std::map<std::string, std::string> backend_env(std::map<std::string, std::string> env = {}) {
    if (pg_) {
      env["PARLEY_DATABASE_URL"] = pg_->url();
      env["PARLEY_AUTO_MIGRATE"] = "1";
    }
    return env;
  }

  void start(std::map<std::string, std::string> env = {}) { server_.emplace(test_config(backend_env(env))); }

  HttpResult call(std::uint16_t port, const std::string& method, const std::string& target,
                  std::map<std::string, std::string> headers = {}, const json::value& body = nullptr) {
    return http_request(port, method, target, std::move(headers), body.is_null() ? std::string() : json::serialize(body));
  }
  HttpResult call(const std::string& method, const std::string& target, std::map<std::string, std::string> headers = {},
                  const json::value& body = nullptr) {
    return call(server_->port(), method, target, std::move(headers), body);
  }

  static std::map<std::string, std::string> bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }
  static std::map<std::string, std::string> cookie(const std::string& id) {
    return {{"Cookie", std::string(kCookieName) + "=" + id}};
  }
  std::map<std::string, std::string> browser(const Credentials& c) {
    return {{"Cookie", std::string(kCookieName) + "=" + c.session},
            {"Origin", "http://127.0.0.1:" + std::to_string(server_->port())},
            {"X-CSRF-Token", c.csrf}};
  }

  // Registers `username` (with `role` set straight in the database before any login), then logs
  // in with a token pair and with a browser session.
  Credentials user(const std::string& username, const std::string& role = "member") {
    Credentials c;
    auto r = call("POST", "/api/v1/auth/register", {},
                  json::object{{"username", username}, {"email", username + "@example.com"}, {"password", kPassword}});
    EXPECT_EQ(r.status, 201) << r.body;
    c.id = r.json().at("id").as_int64();
    if (role != "member") {
      on_app([&]() -> asio::awaitable<void> {
        repo::UserRepository users(server_->app().database().dialect());
        co_await users.set_role(server_->app().database(), c.id, role);
      });
    }
    auto pair = call("POST", "/api/v1/auth/token", {}, json::object{{"login", username}, {"password", kPassword}});
    EXPECT_EQ(pair.status, 200) << pair.body;
    c.access = std::string(pair.json().at("access").as_string());
    c.refresh = std::string(pair.json().at("refresh").as_string());
    sign_in(c, username);
    return c;
  }

  // A new browser session of `username` (with `password`) in c.session and c.csrf.
  void sign_in(Credentials& c, const std::string& username, const std::string& password = kPassword) {
    auto session = call("POST", "/api/v1/auth/session", {}, json::object{{"login", username}, {"password", password}});
    EXPECT_EQ(session.status, 200) << session.body;
    auto set_cookie = session.header("Set-Cookie");
    auto prefix = std::string(kCookieName) + "=";
    c.session = set_cookie.substr(prefix.size(), set_cookie.find(';') - prefix.size());
    c.csrf = std::string(session.json().at("csrf_token").as_string());
  }

  // A personal token of `c` with `scopes`: {id, secret}.
  std::pair<std::int64_t, std::string> personal_token(const Credentials& c, json::array scopes = {"read", "write"}) {
    auto r = call("POST", "/api/v1/auth/tokens", bearer(c.access), json::object{{"name", "ci"}, {"scopes", scopes}});
    EXPECT_EQ(r.status, 201) << r.body;
    return {r.json().at("id").as_int64(), std::string(r.json().at("token").as_string())};
  }

  int me(const std::map<std::string, std::string>& headers, std::uint16_t port = 0) {
    return call(port ? port : server_->port(), "GET", "/api/v1/users/me", headers).status;
  }
  // 200 for an admin principal, 403 for anyone else: tells which role the principal carries.
  int admin_list(const std::map<std::string, std::string>& headers, std::uint16_t port = 0) {
    return call(port ? port : server_->port(), "GET", "/api/v1/admin/users", headers).status;
  }

  int patch_user(const Credentials& by, std::int64_t id, json::object change) {
    auto r = call("PATCH", "/api/v1/admin/users/" + std::to_string(id), bearer(by.access), change);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status;
  }

  // A write straight to the database, behind every action's back (no invalidation).
  void set_role_in_database(std::int64_t id, const std::string& role) {
    on_app([&]() -> asio::awaitable<void> {
      repo::UserRepository users(server_->app().database().dialect());
      co_await users.set_role(server_->app().database(), id, role);
    });
  }

  // Runs the coroutine `make()` returns on the server's threads (its database connections live there).
  template <class Make>
  void on_app(Make make) {
    asio::co_spawn(server_->app().primary_context(), make(), asio::use_future).get();
  }

  std::optional<db::testing::PgTestDatabase> pg_;
  std::optional<TestServer> server_;
  std::optional<TestServer> other_;  // a second process's server on the same database (PostgreSQL)
  std::optional<SigningKeyFile> key_;  // shared_signing_key()
};

TEST_P(CredentialCacheTest, ACachedCredentialKeepsWorkingWithoutTheDatabase) {
  start();
  auto bob = user("bob");
  auto [pat_id, pat] = personal_token(bob);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(me(bearer(bob.access)), 200);
    EXPECT_EQ(me(bearer(pat)), 200);
    EXPECT_EQ(me(cookie(bob.session)), 200);
  }
  EXPECT_GE(server_->app().credential_cache().size(), 3u);
  // Proof that the answers come from the cache: a change made straight in the database, which no
  // action announced, is not seen yet (it would be within PARLEY_AUTH_CACHE_TTL).
  set_role_in_database(bob.id, "admin");
  EXPECT_EQ(admin_list(bearer(bob.access)), 403);
  EXPECT_EQ(admin_list(cookie(bob.session)), 403);
  (void)pat_id;
}

TEST_P(CredentialCacheTest, WithoutTheCacheEveryRequestReadsTheDatabase) {
  start({{"PARLEY_AUTH_CACHE_SIZE", "0"}});
  auto bob = user("bob");
  EXPECT_EQ(admin_list(bearer(bob.access)), 403);
  EXPECT_EQ(admin_list(cookie(bob.session)), 403);
  set_role_in_database(bob.id, "admin");
  EXPECT_EQ(admin_list(bearer(bob.access)), 200);
  EXPECT_EQ(admin_list(cookie(bob.session)), 200);
  EXPECT_EQ(server_->app().credential_cache().size(), 0u);
}

// An entry never outlives its credential: a cached access token stops at its exp, a cached session
// at its absolute expiry, long before PARLEY_AUTH_CACHE_TTL (an hour here).
TEST_P(CredentialCacheTest, ACachedCredentialStopsAtItsOwnExpiry) {
  start({{"PARLEY_AUTH_CACHE_TTL", "1h"},
         {"PARLEY_JWT_ACCESS_TTL", "2s"},
         {"PARLEY_JWT_LEEWAY", "1s"},
         {"PARLEY_SESSION_MAX_AGE", "2s"}});
  auto bob = user("bob");
  ASSERT_EQ(me(bearer(bob.access)), 200);
  ASSERT_EQ(me(cookie(bob.session)), 200);
  EXPECT_EQ(server_->app().credential_cache().size(), 2u);
  EXPECT_TRUE(eventually([&] { return me(bearer(bob.access)) == 401; }, std::chrono::seconds(10)));
  EXPECT_TRUE(eventually([&] { return me(cookie(bob.session)) == 401; }, std::chrono::seconds(10)));
}

TEST_P(CredentialCacheTest, DeactivationIsSeenByTheVeryNextRequest) {
  start();
  auto root = user("root", "owner");
  auto bob = user("bob");
  auto [pat_id, pat] = personal_token(bob);
  ASSERT_EQ(me(bearer(bob.access)), 200);
  ASSERT_EQ(me(bearer(pat)), 200);
  ASSERT_EQ(me(cookie(bob.session)), 200);
  patch_user(root, bob.id, {{"is_active", false}});
  EXPECT_EQ(me(bearer(bob.access)), 401) << "access token";
  EXPECT_EQ(me(bearer(pat)), 401) << "personal token";
  EXPECT_EQ(me(cookie(bob.session)), 401) << "session";
  EXPECT_EQ(me(bearer(root.access)), 200) << "other users are unaffected";
  (void)pat_id;
}

TEST_P(CredentialCacheTest, ARoleChangeIsSeenByTheVeryNextRequest) {
  start();
  auto root = user("root", "owner");
  auto bob = user("bob");
  ASSERT_EQ(admin_list(bearer(bob.access)), 403);
  ASSERT_EQ(admin_list(cookie(bob.session)), 403);
  patch_user(root, bob.id, {{"role", "admin"}});
  EXPECT_EQ(admin_list(bearer(bob.access)), 200);
  EXPECT_EQ(admin_list(cookie(bob.session)), 200);
  patch_user(root, bob.id, {{"role", "member"}});
  EXPECT_EQ(admin_list(bearer(bob.access)), 403);
  EXPECT_EQ(admin_list(cookie(bob.session)), 403);
}

TEST_P(CredentialCacheTest, LogoutEndsTheSessionAtOnce) {
  start();
  auto bob = user("bob");
  ASSERT_EQ(me(cookie(bob.session)), 200);
  auto out = call("POST", "/api/v1/auth/logout", browser(bob));
  ASSERT_EQ(out.status, 204) << out.body;
  EXPECT_EQ(me(cookie(bob.session)), 401);

  auto again = user("bob2");
  ASSERT_EQ(me(cookie(again.session)), 200);
  auto deleted = call("DELETE", "/api/v1/auth/session", browser(again));
  ASSERT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_EQ(me(cookie(again.session)), 401);

  // Token logout revokes the refresh family (never cached); the access token lives to its expiry
  // as it always did.
  ASSERT_EQ(me(bearer(again.access)), 200);
  auto token_out = call("POST", "/api/v1/auth/logout", {}, json::object{{"refresh", again.refresh}});
  ASSERT_EQ(token_out.status, 204) << token_out.body;
  EXPECT_EQ(call("POST", "/api/v1/auth/token/refresh", {}, json::object{{"refresh", again.refresh}}).status, 401);
}

TEST_P(CredentialCacheTest, ALoginOverALiveSessionEndsItAtOnce) {
  start();
  auto bob = user("bob");
  ASSERT_EQ(me(cookie(bob.session)), 200);
  auto headers = cookie(bob.session);
  auto relogin = call("POST", "/api/v1/auth/session", headers, json::object{{"login", "bob"}, {"password", kPassword}});
  ASSERT_EQ(relogin.status, 200) << relogin.body;
  EXPECT_EQ(me(cookie(bob.session)), 401);
}

TEST_P(CredentialCacheTest, ARevokedPersonalTokenStopsAtOnce) {
  start();
  auto bob = user("bob");
  auto [pat_id, pat] = personal_token(bob);
  auto [other_id, other_pat] = personal_token(bob);
  ASSERT_EQ(me(bearer(pat)), 200);
  ASSERT_EQ(me(bearer(other_pat)), 200);
  ASSERT_EQ(call("DELETE", "/api/v1/auth/tokens/" + std::to_string(pat_id), bearer(bob.access)).status, 204);
  EXPECT_EQ(me(bearer(pat)), 401);
  EXPECT_EQ(me(bearer(other_pat)), 200) << "only the revoked token";
  (void)other_id;
}

TEST_P(CredentialCacheTest, APasswordChangeEndsSessionsAtOnce) {
  start();
  auto bob = user("bob");
  ASSERT_EQ(me(cookie(bob.session)), 200);
  auto r = call("PATCH", "/api/v1/users/me", bearer(bob.access),
                json::object{{"password", "another long passphrase 2290"}, {"current_password", kPassword}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(me(cookie(bob.session)), 401);
  EXPECT_EQ(me(bearer(bob.access)), 200) << "access tokens live to their expiry, as before";
}

// Two servers on one PostgreSQL database, each with its own pool, listener and cache as two
// processes have: every change made through the first is seen by the second although the second
// had the credential cached (PARLEY_AUTH_CACHE_TTL is an hour here, so only the NOTIFY can tell it).
TEST_P(CredentialCacheTest, AnotherProcessSeesEveryChangeThroughNotify) {
  if (!pg_) GTEST_SKIP() << "one process on SQLite";
  const auto env = shared_signing_key({{"PARLEY_AUTH_CACHE_TTL", "1h"}});
  start(env);
  other_.emplace(test_config(backend_env(env)));
  const auto there = other_->port();
  auto root = user("root", "owner");
  auto bob = user("bob");
  auto [pat_id, pat] = personal_token(bob);
  auto [kept_id, kept_pat] = personal_token(bob);
  (void)kept_id;

  // Role change.
  ASSERT_EQ(admin_list(bearer(bob.access), there), 403);
  ASSERT_EQ(admin_list(cookie(bob.session), there), 403);
  patch_user(root, bob.id, {{"role", "admin"}});
  EXPECT_TRUE(eventually([&] { return admin_list(bearer(bob.access), there) == 200; }));
  EXPECT_EQ(admin_list(cookie(bob.session), there), 200);

  // Personal-token revocation.
  ASSERT_EQ(me(bearer(pat), there), 200);
  ASSERT_EQ(me(bearer(kept_pat), there), 200);
  ASSERT_EQ(call("DELETE", "/api/v1/auth/tokens/" + std::to_string(pat_id), bearer(bob.access)).status, 204);
  EXPECT_TRUE(eventually([&] { return me(bearer(pat), there) == 401; }));
  EXPECT_EQ(me(bearer(kept_pat), there), 200) << "only the revoked token";

  // Logout of a session.
  ASSERT_EQ(me(cookie(bob.session), there), 200);
  auto out = call("POST", "/api/v1/auth/logout", browser(bob));
  ASSERT_EQ(out.status, 204) << out.body;
  EXPECT_TRUE(eventually([&] { return me(cookie(bob.session), there) == 401; }));

  // Password change.
  sign_in(bob, "bob");
  ASSERT_EQ(me(cookie(bob.session), there), 200);
  auto changed = call("PATCH", "/api/v1/users/me", bearer(bob.access),
                      json::object{{"password", "another long passphrase 2290"}, {"current_password", kPassword}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_TRUE(eventually([&] { return me(cookie(bob.session), there) == 401; }));

  // Deactivation.
  ASSERT_EQ(me(bearer(bob.access), there), 200);
  ASSERT_EQ(me(bearer(kept_pat), there), 200);
  patch_user(root, bob.id, {{"is_active", false}});
  EXPECT_TRUE(eventually([&] { return me(bearer(bob.access), there) == 401; }));
  EXPECT_EQ(me(bearer(kept_pat), there), 401);
  EXPECT_EQ(me(bearer(root.access), there), 200) << "other users are unaffected";
}

// Notifications sent while a listener reconnects are lost: the cache stops answering when the drop
// is noticed and starts again empty, so nothing it missed can be served.
TEST_P(CredentialCacheTest, AListenerReconnectEmptiesTheCache) {
  if (!pg_) GTEST_SKIP() << "no listener on SQLite";
  start();
  auto bob = user("bob");
  ASSERT_EQ(admin_list(bearer(bob.access)), 403);
  set_role_in_database(bob.id, "admin");  // missed: nothing announced it
  ASSERT_EQ(admin_list(bearer(bob.access)), 403);

  auto& pg = dynamic_cast<db::pg::PgDatabase&>(server_->app().database());
  const int listener_pid = pg.listener().backend_pid();
  ASSERT_NE(listener_pid, 0);
  on_app([&]() -> asio::awaitable<void> {
    std::array<db::Value, 1> params{std::int64_t{listener_pid}};
    co_await pg.execute(db::Query{"", "SELECT pg_terminate_backend($1::int)"}, params);
  });
  EXPECT_TRUE(eventually([&] { return pg.listener().backend_pid() != listener_pid; }));
  EXPECT_TRUE(eventually([&] { return admin_list(bearer(bob.access)) == 200; }));
}

INSTANTIATE_TEST_SUITE_P(Backends, CredentialCacheTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace parley::testing
