// Sign-in with an OpenID provider end to end (issue 4 item 5; docs/api.md "Authentication":
// GET /auth/oidc/{provider}/login and /callback): the real server (TestServer) configured with the
// real oidc-provider that scripts/test-servers starts on loopback, driven like a browser. Skipped
// when PARLEY_TEST_OIDC_ISSUER is unset; runs on SQLite and, with PARLEY_TEST_PG_URL, PostgreSQL.
#include "harness.hpp"

#include "db/pg_test_database.hpp"
#include "db/repositories/user_repository.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <boost/url.hpp>
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <vector>

namespace parley::testing {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace repo = db::repositories;

constexpr std::string_view kPublicUrl = "https://chat.example.com";
constexpr std::string_view kCallbackPath = "/api/v1/auth/oidc/test/callback";

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// A response with every header kept (several Set-Cookie headers), names lower-cased.
struct Answer {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string redirect_url;  // Location resolved against the request URL (relative ones too)

  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (n == name) return v;
    return {};
  }
  std::vector<std::string> set_cookies() const {
    std::vector<std::string> out;
    for (const auto& [n, v] : headers)
      if (n == "set-cookie") out.push_back(v);
    return out;
  }
  // The Set-Cookie header for cookie `name`, or "".
  std::string set_cookie(std::string_view name) const {
    for (const auto& cookie : set_cookies())
      if (cookie.starts_with(std::string(name) + "=")) return cookie;
    return {};
  }
  // The value that header sets.
  std::string cookie_value(std::string_view name) const {
    auto cookie = set_cookie(name);
    if (cookie.empty()) return {};
    auto start = name.size() + 1;
    return cookie.substr(start, cookie.find(';') - start);
  }
};

// A GET with libcurl: no redirects followed; with `cookie_engine`, cookies are kept in memory per
// host like a browser does (used for the provider, whose cookies are plain http). Parley's cookies
// are __Host- (Secure), which a client only sends over https, so the test carries them by hand.
class Client {
 public:
  explicit Client(bool cookie_engine) : curl_(curl_easy_init()) {
    if (cookie_engine) curl_easy_setopt(curl_, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl_, CURLOPT_PROXY, "");
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 10'000L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Client::on_body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &Client::on_header);
  }
  ~Client() { curl_easy_cleanup(curl_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Answer get(const std::string& url, const std::string& cookie = {}) {
    Answer answer;
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &answer);
    curl_easy_setopt(curl_, CURLOPT_COOKIE, cookie.empty() ? nullptr : cookie.c_str());
    if (curl_easy_perform(curl_) != CURLE_OK) throw std::runtime_error("could not GET " + url);
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &answer.status);
    char* location = nullptr;
    curl_easy_getinfo(curl_, CURLINFO_REDIRECT_URL, &location);
    if (location != nullptr) answer.redirect_url = location;
    return answer;
  }

  // Follows the provider's redirects from `url` (its automatic login and consent) until the
  // Location points at `redirect_uri`; returns that URL.
  std::string authorize(std::string url, const std::string& redirect_uri) {
    for (int hop = 0; hop < 10; ++hop) {
      if (url.starts_with(redirect_uri)) return url;
      auto answer = get(url);
      auto location = answer.redirect_url;
      if (answer.status < 300 || answer.status > 399 || location.empty()) {
        throw std::runtime_error("provider answered " + std::to_string(answer.status) + " at " + url);
      }
      url = location;
    }
    throw std::runtime_error("too many redirects");
  }

 private:
  static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
    static_cast<Answer*>(user)->body.append(data, size * n);
    return size * n;
  }
  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
    std::string_view line(data, size * n);
    auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
      static_cast<Answer*>(user)->headers.emplace_back(std::move(name), std::string(value));
    }
    return size * n;
  }

  CURL* curl_;
};

std::string query_param(const std::string& url, std::string_view name) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return {};
  for (auto param : parsed->params())
    if (param.key == name) return param.value;
  return {};
}

// A port that was free a moment ago: the redirect URI registered for our client names the server's
// port, so it must be known before the server (and its OIDC configuration) is built.
std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

// One browser's login up to the provider's redirect back: the binding cookie and the callback URL.
struct Started {
  std::string binding;
  std::string callback_url;  // http://127.0.0.1:<port>/api/v1/auth/oidc/test/callback?code=..&state=..&iss=..
};

class OidcLoginTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    issuer_ = env("PARLEY_TEST_OIDC_ISSUER");
    if (issuer_.empty()) GTEST_SKIP() << "PARLEY_TEST_OIDC_ISSUER is unset (scripts/test-servers start <dir>)";
    if (GetParam() == "postgres") {
      auto admin = db::testing::PgTestDatabase::admin_url_from_env();
      if (!admin) GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset";
      pg_.emplace(*admin);
    }
  }

  void TearDown() override {
    if (server_) server_->stop();
    server_.reset();
    pg_.reset();
  }

  // Starts the server with provider "test" at `issuer` (the real one by default).
  void start(std::string issuer = {}) {
    if (issuer.empty()) issuer = issuer_;
    auto port = free_port();
    redirect_uri_ = "http://127.0.0.1:" + std::to_string(port) + std::string(kCallbackPath);
    std::map<std::string, std::string> env_vars{
        {"PARLEY_LISTEN", "127.0.0.1:" + std::to_string(port)},
        {"PARLEY_PUBLIC_URL", std::string(kPublicUrl)},
        {"PARLEY_OIDC_PROVIDERS", "test"},
        {"PARLEY_OIDC_TEST_ISSUER", issuer},
        {"PARLEY_OIDC_TEST_CLIENT_ID", env("PARLEY_TEST_OIDC_CLIENT_ID")},
        {"PARLEY_OIDC_TEST_CLIENT_SECRET", env("PARLEY_TEST_OIDC_CLIENT_SECRET")},
        {"PARLEY_OIDC_TEST_REDIRECT_URI", redirect_uri_},
        {"PARLEY_OIDC_TEST_AUTH_METHOD", "client_secret_post"},
    };
    if (pg_) {
      env_vars["PARLEY_DATABASE_URL"] = pg_->url();
      env_vars["PARLEY_AUTO_MIGRATE"] = "1";
    }
    server_.emplace(test_config(env_vars));
    ASSERT_EQ(server_->port(), port);
  }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  Answer app_get(const std::string& target, const std::string& cookie = {}) {
    Client client(false);
    return client.get(base() + target, cookie);
  }

  // GET /login, then the provider's automatic login and consent, up to its redirect back.
  Started start_login(const std::string& query = {}) {
    auto login = app_get("/api/v1/auth/oidc/test/login" + query);
    EXPECT_EQ(login.status, 302) << login.body;
    auto location = login.header("location");
    EXPECT_TRUE(location.starts_with(issuer_)) << location;
    auto cookie = login.set_cookie("__Host-parley_oidc");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("Secure"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("SameSite=Lax"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("Path=/"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("Max-Age=600"), std::string::npos) << cookie;
    Client provider_browser(true);
    Started started{.binding = login.cookie_value("__Host-parley_oidc"),
                    .callback_url = provider_browser.authorize(location, redirect_uri_)};
    EXPECT_FALSE(query_param(started.callback_url, "code").empty()) << started.callback_url;
    return started;
  }

  // Delivers the provider's redirect to our callback with `binding` as the browser's cookie.
  Answer callback(const Started& started, const std::optional<std::string>& binding) {
    std::string cookie;
    if (binding) cookie = "__Host-parley_oidc=" + *binding;
    Client client(false);
    return client.get(started.callback_url, cookie);
  }

  // A complete login; asserts success and returns the session cookie value.
  std::string login(const std::string& query = {}, const std::string& expected_location = std::string(kPublicUrl) + "/") {
    auto started = start_login(query);
    auto done = callback(started, started.binding);
    EXPECT_EQ(done.status, 302) << done.body;
    EXPECT_EQ(done.header("location"), expected_location);
    auto session = done.set_cookie("__Host-parley_session");
    EXPECT_NE(session.find("HttpOnly"), std::string::npos) << session;
    EXPECT_NE(session.find("Secure"), std::string::npos) << session;
    auto cleared = done.set_cookie("__Host-parley_oidc");
    EXPECT_NE(cleared.find("Max-Age=0"), std::string::npos) << cleared;
    csrf_ = done.cookie_value("__Host-parley_csrf");
    EXPECT_FALSE(csrf_.empty());
    return done.cookie_value("__Host-parley_session");
  }

  HttpResult me(const std::string& session) {
    return http_request(server_->port(), "GET", "/api/v1/users/me", {{"Cookie", "__Host-parley_session=" + session}});
  }

  std::int64_t register_user(const std::string& username, const std::string& email) {
    json::object body{{"username", username}, {"email", email}, {"password", "plum-violet-harbour-1987"}};
    auto response = http_request(server_->port(), "POST", "/api/v1/auth/register", {}, json::serialize(body));
    EXPECT_EQ(response.status, 201) << response.body;
    return response.json().at("id").as_int64();
  }

  template <class Make>
  auto on_app(Make make) {
    return asio::co_spawn(server_->app().primary_context(), make(), asio::use_future).get();
  }

  std::string issuer_;
  std::string redirect_uri_;
  std::string csrf_;
  std::optional<db::testing::PgTestDatabase> pg_;
  std::optional<TestServer> server_;
};

void expect_refused(const Answer& answer, long status, std::string_view code) {
  EXPECT_EQ(answer.status, status) << answer.body;
  EXPECT_NE(answer.body.find(code), std::string::npos) << answer.body;
  EXPECT_TRUE(answer.set_cookie("__Host-parley_session").empty()) << "no session on a refused login";
}

TEST_P(OidcLoginTest, FirstLoginCreatesTheAccountAndSignsTheBrowserIn) {
  start();
  auto session = login();
  auto profile = me(session);
  ASSERT_EQ(profile.status, 200) << profile.body;
  auto user = profile.json().as_object();
  EXPECT_EQ(user.at("username").as_string(), "alice");
  EXPECT_EQ(user.at("email").as_string(), "alice@example.com");
  EXPECT_EQ(user.at("display_name").as_string(), "Alice Liddell");
  EXPECT_EQ(user.at("role").as_string(), "member");
  auto id = user.at("id").as_int64();

  // OIDC-only: no password works for it.
  auto password_login = http_request(server_->port(), "POST", "/api/v1/auth/token", {},
                                     R"({"login":"alice","password":"plum-violet-harbour-1987"})");
  EXPECT_EQ(password_login.status, 401);

  // The CSRF cookie is the session's synchronizer token: an unsafe request with it passes.
  auto patched = http_request(server_->port(), "PATCH", "/api/v1/users/me/settings",
                              {{"Cookie", "__Host-parley_session=" + session},
                               {"Origin", base()},
                               {"X-CSRF-Token", csrf_}},
                              R"({"timezone":"Europe/Berlin"})");
  EXPECT_EQ(patched.status, 200) << patched.body;

  // A second login (another browser) reaches the same account: no duplicate.
  auto again = login();
  EXPECT_NE(again, session);
  auto second = me(again);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.json().at("id").as_int64(), id);
  auto duplicate = on_app([&]() -> asio::awaitable<std::optional<repo::User>> {
    repo::UserRepository users(server_->app().database().dialect());
    co_return co_await users.find_by_login(server_->app().database(), "alice2");
  });
  EXPECT_FALSE(duplicate.has_value());
}

TEST_P(OidcLoginTest, VerifiedEmailLinksTheExistingAccount) {
  start();
  auto id = register_user("liddell", "alice@example.com");
  auto session = login();
  auto profile = me(session);
  ASSERT_EQ(profile.status, 200) << profile.body;
  EXPECT_EQ(profile.json().at("id").as_int64(), id);
  EXPECT_EQ(profile.json().at("username").as_string(), "liddell");
  // Linked by identity from now on.
  EXPECT_EQ(me(login()).json().at("id").as_int64(), id);
}

TEST_P(OidcLoginTest, TakenUsernameGetsASuffix) {
  start();
  auto other = register_user("alice", "someone.else@example.com");
  auto profile = me(login());
  ASSERT_EQ(profile.status, 200) << profile.body;
  EXPECT_NE(profile.json().at("id").as_int64(), other);
  EXPECT_EQ(profile.json().at("username").as_string(), "alice2");
}

TEST_P(OidcLoginTest, StateIsBoundToTheBrowserAndUsableOnce) {
  start();
  auto victim = start_login();
  auto attacker = start_login();  // the attacker's own binding cookie, for a state not theirs

  expect_refused(callback(victim, std::nullopt), 400, "oidc_state_invalid");
  expect_refused(callback(victim, attacker.binding), 400, "oidc_state_invalid");
  std::string forged = victim.binding;
  forged[0] = forged[0] == 'A' ? 'B' : 'A';
  expect_refused(callback(victim, forged), 400, "oidc_state_invalid");

  // None of that used the victim's state up: the right browser still completes it, once.
  auto done = callback(victim, victim.binding);
  EXPECT_EQ(done.status, 302) << done.body;
  EXPECT_FALSE(done.cookie_value("__Host-parley_session").empty());
  expect_refused(callback(victim, victim.binding), 400, "oidc_state_invalid");
}

TEST_P(OidcLoginTest, WrongIssuerIsRefused) {
  // Our side expects http://localhost:<port>; the provider calls itself http://127.0.0.1:<port>.
  start("http://localhost:" + issuer_.substr(issuer_.rfind(':') + 1));
  auto answer = app_get("/api/v1/auth/oidc/test/login");
  expect_refused(answer, 401, "oidc_failed");
  EXPECT_TRUE(answer.set_cookie("__Host-parley_oidc").empty() || answer.set_cookie("__Host-parley_oidc").find("Max-Age=0") != std::string::npos);
}

TEST_P(OidcLoginTest, WrongIssParameterIsRefusedAndUsesTheStateUp) {
  start();
  auto started = start_login();
  Started tampered = started;
  auto iss = query_param(started.callback_url, "iss");
  ASSERT_FALSE(iss.empty());
  auto at = tampered.callback_url.find("iss=");
  tampered.callback_url = tampered.callback_url.substr(0, at) + "iss=https%3A%2F%2Fevil.example" +
                          tampered.callback_url.substr(tampered.callback_url.find('&', at) == std::string::npos
                                                           ? tampered.callback_url.size()
                                                           : tampered.callback_url.find('&', at));
  expect_refused(callback(tampered, started.binding), 401, "oidc_failed");
  expect_refused(callback(started, started.binding), 400, "oidc_state_invalid");
}

TEST_P(OidcLoginTest, ProviderErrorIsRefused) {
  start();
  auto started = start_login();
  auto state = query_param(started.callback_url, "state");
  Client client(false);
  auto answer = client.get(base() + std::string(kCallbackPath) + "?error=access_denied&state=" + state,
                           "__Host-parley_oidc=" + started.binding);
  expect_refused(answer, 401, "oidc_failed");
  expect_refused(callback(started, started.binding), 400, "oidc_state_invalid");
}

TEST_P(OidcLoginTest, RedirectsOnlyToSameOriginPaths) {
  start();
  login("?redirect_to=%2Fconversations%2F7", std::string(kPublicUrl) + "/conversations/7");
  for (std::string bad : {"https%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example", "%2F%5Cevil.example", "evil"}) {
    auto answer = app_get("/api/v1/auth/oidc/test/login?redirect_to=" + bad);
    EXPECT_EQ(answer.status, 400) << bad << " " << answer.body;
    EXPECT_TRUE(answer.header("location").empty());
  }
}

TEST_P(OidcLoginTest, DeactivatedAccountIsRefused) {
  start();
  auto id = me(login()).json().at("id").as_int64();
  on_app([&]() -> asio::awaitable<void> {
    repo::UserRepository users(server_->app().database().dialect());
    co_await users.deactivate(server_->app().database(), id);
  });
  auto started = start_login();
  expect_refused(callback(started, started.binding), 403, "account_inactive");
}

TEST_P(OidcLoginTest, UnknownProviderIsNotFound) {
  start();
  EXPECT_EQ(app_get("/api/v1/auth/oidc/nope/login").status, 404);
  EXPECT_EQ(app_get("/api/v1/auth/oidc/nope/callback?code=x&state=y").status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, OidcLoginTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::testing
