// The attacks of issue 4 against the real server over HTTP, on SQLite and (when
// PARLEY_TEST_PG_URL is set) on a scratch PostgreSQL database: forged and misused JWTs, refresh
// reuse, brute force into the login throttle, user enumeration, mass assignment, reading another
// user's email, registration validation. Every test runs with the server's logs (general and
// access log, at debug level) captured, and ends by checking that no password or token it used
// ever reached them.
#include "auth/jwt.hpp"
#include "auth/tokens.hpp"
#include "db/pg_test_database.hpp"
#include "db/repositories/user_repository.hpp"
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

namespace parley::testing {
namespace {

namespace json = boost::json;
using auth::Clock;
using db::testing::PgTestDatabase;

constexpr std::string_view kIssuer = "https://chat.attack.test";
constexpr std::string_view kAudience = "parley-attack";

std::string to_json(const json::value& value) { return json::serialize(value); }

std::string bearer(const std::string& token) { return "Bearer " + token; }

std::int64_t unix_seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Runs a database coroutine to completion on a private io_context (test setup with no endpoint).
template <typename T>
T run_db(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread runner([&io] { io.run(); });
  auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  try {
    T value = future.get();
    guard.reset();
    runner.join();
    return value;
  } catch (...) {
    guard.reset();
    runner.join();
    throw;
  }
}

// The problem body without its per-request fields, to compare two answers.
json::object without_request_id(const HttpResult& r) {
  auto body = r.json().as_object();
  body.erase("request_id");
  body.erase("instance");
  return body;
}

class AuthAttacks : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::map<std::string, std::string> env{{"PARLEY_LOG_LEVEL", "debug"},
                                           {"PARLEY_JWT_ISSUER", std::string(kIssuer)},
                                           {"PARLEY_JWT_AUDIENCE", std::string(kAudience)}};
    if (GetParam() == "postgres") {
      auto admin = PgTestDatabase::admin_url_from_env();
      if (!admin) GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset (see scripts/test-servers)";
      pg_ = std::make_unique<PgTestDatabase>(*admin);
      env["PARLEY_DATABASE_URL"] = pg_->url();
      env["PARLEY_AUTO_MIGRATE"] = "1";
    }
    // The server signs with a key this test also holds, so it can mint tokens with crafted claims.
    key_dir_ = std::filesystem::temp_directory_path() / ("parley-atk-" + auth::random_token(8));
    std::filesystem::create_directories(key_dir_);
    auto key_file = key_dir_ / "jwt.pem";
    {
      std::ofstream out(key_file, std::ios::binary);
      out << key_.private_pem();
    }
    std::filesystem::permissions(key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    env["PARLEY_JWT_PRIVATE_KEY_FILE"] = key_file.string();
    server_ = std::make_unique<TestServer>(test_config(env), nullptr, &logs_);
  }

  void TearDown() override {
    if (!server_) return;
    server_.reset();  // stops and flushes the access log
    auto text = logs_.contents();
    // The capture works: the requests made are in it.
    EXPECT_NE(text.find("/api/v1/"), std::string::npos) << "no access log captured";
    for (const auto& secret : secrets_) {
      EXPECT_EQ(text.find(secret), std::string::npos) << "a secret reached the logs: " << secret.substr(0, 12) << "...";
    }
    std::error_code ignored;
    std::filesystem::remove_all(key_dir_, ignored);
  }

  std::uint16_t port() const { return server_->port(); }

  // Remembers `secret` so that TearDown checks it never reached the logs; returns it.
  const std::string& secret(const std::string& value) {
    secrets_.push_back(value);
    return secrets_.back();
  }

  HttpResult post(const std::string& target, const json::value& body, std::map<std::string, std::string> headers = {}) {
    return http_request(port(), "POST", target, std::move(headers), to_json(body));
  }
  HttpResult get(const std::string& target, const std::string& token) {
    return http_request(port(), "GET", target, {{"Authorization", bearer(token)}});
  }

  HttpResult register_user(const std::string& username, const std::string& email, const std::string& password) {
    secret(password);
    return post("/api/v1/auth/register", json::object{{"username", username}, {"email", email}, {"password", password}});
  }
  // Registers and returns the new user's id (asserting success).
  std::int64_t create_user(const std::string& username, const std::string& password) {
    auto r = register_user(username, username + "@example.com", password);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().at("id").as_int64();
  }
  HttpResult login(const std::string& login, const std::string& password) {
    secret(password);
    auto r = post("/api/v1/auth/token", json::object{{"login", login}, {"password", password}});
    if (r.status == 200) {
      secret(std::string(r.json().at("access").as_string()));
      secret(std::string(r.json().at("refresh").as_string()));
    }
    return r;
  }
  struct Pair {
    std::string access;
    std::string refresh;
  };
  Pair login_pair(const std::string& user, const std::string& password) {
    auto r = login(user, password);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {};
    return {std::string(r.json().at("access").as_string()), std::string(r.json().at("refresh").as_string())};
  }
  HttpResult refresh(const std::string& token) { return post("/api/v1/auth/token/refresh", json::object{{"refresh", token}}); }

  // A JwtService with the server's key (or `issuer`/`audience` of choice) for tokens with crafted times.
  auth::JwtService minter(std::string_view issuer = kIssuer, std::string_view audience = kAudience) const {
    return auth::JwtService(auth::KeySet(key_), auth::JwtConfig{.issuer = std::string(issuer),
                                                                 .audience = std::string(audience)});
  }
  std::string mint(const auth::JwtService& service, std::int64_t user_id, Clock::time_point at) {
    return secret(service.issue({auth::TokenType::access, std::to_string(user_id), {}}, at).token);
  }

  // A token assembled by hand: any header, the claims of a valid access token, any signature.
  std::string hand_made(const json::object& header, std::int64_t user_id, const std::string& signature) {
    auto now = unix_seconds(Clock::now());
    json::object payload{{"iss", kIssuer}, {"aud", kAudience}, {"sub", std::to_string(user_id)},
                         {"iat", now},     {"nbf", now},       {"exp", now + 600},
                         {"jti", auth::random_token(16)}};
    auto signing_input = auth::base64url_encode(to_json(header)) + "." + auth::base64url_encode(to_json(payload));
    return secret(signing_input + "." + signature);
  }
  std::string signing_input_of(const std::string& token) { return token.substr(0, token.rfind('.')); }

  void expect_unauthorized(const std::string& token, const std::string& what) {
    auto r = get("/api/v1/users/me", token);
    EXPECT_EQ(r.status, 401) << what << ": " << r.body;
    EXPECT_NE(r.header("WWW-Authenticate").find("Bearer"), std::string::npos) << what;
    EXPECT_EQ(r.body.find("\"email\""), std::string::npos) << what;
  }

  auth::Ed25519Key key_ = auth::Ed25519Key::generate();
  std::filesystem::path key_dir_;
  std::vector<std::string> secrets_;
  // Destroyed in reverse: the server stops before its database is dropped and its log file closed.
  LogCapture logs_;
  std::unique_ptr<PgTestDatabase> pg_;
  std::unique_ptr<TestServer> server_;
};

TEST_P(AuthAttacks, MintedTokenWithTheServerKeyIsAcceptedSoTheRefusalsBelowMeanSomething) {
  auto id = create_user("control", "correct horse battery staple");
  auto r = get("/api/v1/users/me", mint(minter(), id, Clock::now()));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_P(AuthAttacks, AlgNoneInAnyCaseIsRefused) {
  auto id = create_user("nonevictim", "correct horse battery staple");
  for (std::string alg : {"none", "None", "NONE", "nOnE"}) {
    json::object header{{"alg", alg}, {"typ", "at+jwt"}, {"kid", key_.kid()}};
    expect_unauthorized(hand_made(header, id, ""), "alg " + alg + " with an empty signature");
    // Some libraries accept "none" tokens that have only two segments.
    auto two_segments = hand_made(header, id, "");
    two_segments.pop_back();
    expect_unauthorized(secret(two_segments), "alg " + alg + " without a signature segment");
  }
  json::object no_alg{{"typ", "at+jwt"}, {"kid", key_.kid()}};
  expect_unauthorized(hand_made(no_alg, id, ""), "no alg");
}

TEST_P(AuthAttacks, Hs256SignedWithThePublicKeyIsRefused) {
  auto id = create_user("hsvictim", "correct horse battery staple");
  // Key confusion: a verifier that let the token pick HMAC would use the public key as the secret.
  std::vector<std::string> hmac_keys{key_.public_pem(),
                                     std::string(key_.raw_public_key().begin(), key_.raw_public_key().end()),
                                     "any secret at all"};
  for (std::string alg : {"HS256", "hs256", "HS512"}) {
    for (const auto& hmac_key : hmac_keys) {
      json::object header{{"alg", alg}, {"typ", "at+jwt"}, {"kid", key_.kid()}};
      auto unsigned_token = hand_made(header, id, "");
      auto input = signing_input_of(unsigned_token);
      const EVP_MD* md = alg == "HS512" ? EVP_sha512() : EVP_sha256();
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int mac_len = 0;
      HMAC(md, hmac_key.data(), static_cast<int>(hmac_key.size()), reinterpret_cast<const unsigned char*>(input.data()),
           input.size(), mac, &mac_len);
      auto token = secret(input + "." + auth::base64url_encode(std::string_view(reinterpret_cast<char*>(mac), mac_len)));
      expect_unauthorized(token, alg + " HMAC");
    }
  }
}

TEST_P(AuthAttacks, ExpiredAndNotYetValidTokensAreRefused) {
  auto id = create_user("timevictim", "correct horse battery staple");
  auto service = minter();
  // Issued 2 h ago: expired 1 h 45 min ago, far beyond the 30 s leeway.
  expect_unauthorized(mint(service, id, Clock::now() - std::chrono::hours(2)), "expired");
  // Just past the leeway.
  expect_unauthorized(mint(service, id, Clock::now() - std::chrono::minutes(15) - std::chrono::minutes(2)),
                      "expired by two minutes");
  // Issued (iat = nbf) an hour from now.
  expect_unauthorized(mint(service, id, Clock::now() + std::chrono::hours(1)), "not yet valid");
}

TEST_P(AuthAttacks, WrongIssuerOrAudienceIsRefused) {
  auto id = create_user("claimvictim", "correct horse battery staple");
  expect_unauthorized(mint(minter("https://evil.test", kAudience), id, Clock::now()), "wrong iss");
  expect_unauthorized(mint(minter(kIssuer, "someone-else"), id, Clock::now()), "wrong aud");
}

TEST_P(AuthAttacks, TamperedTokensAreRefused) {
  auto victim = create_user("tampervictim", "correct horse battery staple");
  auto attacker = create_user("tamperer", "another fine passphrase 42");
  auto pair = login_pair("tamperer", "another fine passphrase 42");
  ASSERT_EQ(get("/api/v1/users/me", pair.access).status, 200);

  // One bit of the signature flipped (re-encoded canonically, so only the signature is wrong).
  auto dot = pair.access.rfind('.');
  auto signature = *auth::base64url_decode(pair.access.substr(dot + 1));
  signature[10] = static_cast<char>(signature[10] ^ 0x01);
  expect_unauthorized(secret(pair.access.substr(0, dot + 1) + auth::base64url_encode(signature)), "flipped signature bit");
  // The payload rewritten to another user, the original signature kept.
  auto first = pair.access.find('.');
  auto payload = json::parse(*auth::base64url_decode(pair.access.substr(first + 1, dot - first - 1))).as_object();
  EXPECT_EQ(std::string_view(payload.at("sub").as_string()), std::to_string(attacker));
  payload["sub"] = std::to_string(victim);
  auto forged = pair.access.substr(0, first + 1) + auth::base64url_encode(to_json(payload)) + pair.access.substr(dot);
  expect_unauthorized(secret(forged), "payload swapped to the victim");
  // Signature stripped.
  expect_unauthorized(secret(pair.access.substr(0, dot + 1)), "signature removed");
}

TEST_P(AuthAttacks, RefreshAndAccessTokensAreNotInterchangeable) {
  create_user("mixer", "correct horse battery staple");
  auto pair = login_pair("mixer", "correct horse battery staple");
  expect_unauthorized(pair.refresh, "refresh token as access token");
  auto r = refresh(pair.access);
  EXPECT_EQ(r.status, 401) << "access token as refresh token: " << r.body;
  // Neither attempt spent the refresh token.
  EXPECT_EQ(refresh(pair.refresh).status, 200);
}

TEST_P(AuthAttacks, RefreshReuseRevokesTheWholeFamily) {
  create_user("reuser", "correct horse battery staple");
  auto first = login_pair("reuser", "correct horse battery staple");
  auto rotated = refresh(first.refresh);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  auto second_refresh = secret(std::string(rotated.json().at("refresh").as_string()));
  secret(std::string(rotated.json().at("access").as_string()));
  // The thief replays the first refresh token: refused, and the family is revoked...
  auto replay = refresh(first.refresh);
  EXPECT_EQ(replay.status, 401) << replay.body;
  EXPECT_NE(replay.header("WWW-Authenticate").find("invalid_token"), std::string::npos);
  // ... so the legitimate second-generation token stops working too.
  auto legit = refresh(second_refresh);
  EXPECT_EQ(legit.status, 401) << legit.body;
  // A fresh login starts a new family that works.
  auto again = login_pair("reuser", "correct horse battery staple");
  EXPECT_EQ(refresh(again.refresh).status, 200);
}

TEST_P(AuthAttacks, BruteForceReachesTheThrottle) {
  create_user("bruteforced", "the right passphrase 2024");
  for (int i = 0; i < 5; ++i) {
    auto r = login("bruteforced", "wrong guess number " + std::to_string(i));
    EXPECT_EQ(r.status, 401) << i << ": " << r.body;
  }
  // Now every attempt is refused before the password is even looked at, the right one included.
  auto refused = login("bruteforced", "the right passphrase 2024");
  EXPECT_EQ(refused.status, 429) << refused.body;
  ASSERT_FALSE(refused.header("Retry-After").empty());
  EXPECT_GE(std::stoi(refused.header("Retry-After")), 1);
  EXPECT_EQ(refused.json().at("code"), "throttled");
  // Case and blanks do not make a new account key.
  EXPECT_EQ(login("  BruteForced ", "wrong again and again").status, 429);

  // An unknown login meets the same throttle after the same number of failures.
  std::vector<int> unknown_statuses;
  for (int i = 0; i < 6; ++i) unknown_statuses.push_back(login("nobody-here", "guess " + std::to_string(i)).status);
  EXPECT_EQ(unknown_statuses, (std::vector<int>{401, 401, 401, 401, 401, 429}));
  auto unknown_refused = login("nobody-here", "another guess");
  EXPECT_EQ(without_request_id(unknown_refused).at("code"), without_request_id(refused).at("code"));
  EXPECT_EQ(unknown_refused.status, refused.status);

  // The first block is short (1 s): once it is over, the right password works and resets the count.
  HttpResult ok;
  ASSERT_TRUE(eventually([&] {
    ok = login("bruteforced", "the right passphrase 2024");
    return ok.status != 429;
  }, std::chrono::seconds(10)));
  EXPECT_EQ(ok.status, 200) << ok.body;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(login("bruteforced", "wrong after reset " + std::to_string(i)).status, 401);

  // Each lockout is audited once, when it starts (not for every refused attempt): one for the
  // account, one for the unknown login (no target).
  auto admin_id = create_user("auditor", "an auditor passphrase 77");
  db::repositories::UserRepository users(server_->app().database().dialect());
  const std::string admin_role = "admin";
  ASSERT_TRUE(run_db(users.set_role(server_->app().database(), admin_id, admin_role)).has_value());
  auto admin = login_pair("auditor", "an auditor passphrase 77");
  auto rows = get("/api/v1/admin/audit-log?action=auth.lockout", admin.access);
  ASSERT_EQ(rows.status, 200) << rows.body;
  auto results = rows.json().at("results").as_array();
  ASSERT_EQ(results.size(), 2u) << rows.body;
  int with_target = 0;
  for (const auto& row : results) {
    EXPECT_EQ(row.at("details").at("scope"), "account") << rows.body;
    EXPECT_EQ(row.at("details").at("seconds"), 1) << rows.body;
    EXPECT_EQ(row.at("ip"), "127.0.0.1") << rows.body;
    if (!row.at("target_id").is_null()) ++with_target;
  }
  EXPECT_EQ(with_target, 1);
}

TEST_P(AuthAttacks, LoginErrorsDoNotTellUnknownUsersFromWrongPasswords) {
  create_user("known", "correct horse battery staple");
  auto unknown = login("unknown-user", "correct horse battery staple");
  auto wrong = login("known", "not the right password");
  auto unknown_email = login("unknown@example.com", "not the right password");
  auto wrong_email = login("known@example.com", "not the right password");
  for (const auto* r : {&unknown, &wrong, &unknown_email, &wrong_email}) {
    EXPECT_EQ(r->status, 401) << r->body;
    EXPECT_EQ(r->header("WWW-Authenticate"), unknown.header("WWW-Authenticate"));
    EXPECT_EQ(r->header("Content-Type"), unknown.header("Content-Type"));
    EXPECT_EQ(without_request_id(*r), without_request_id(unknown)) << r->body << " vs " << unknown.body;
  }
}

TEST_P(AuthAttacks, MassAssignmentOfRoleIsRefused) {
  create_user("climber", "correct horse battery staple");
  auto pair = login_pair("climber", "correct horse battery staple");
  for (const auto& body : {json::object{{"role", "admin"}}, json::object{{"is_active", false}},
                           json::object{{"display_name", "Climber"}, {"role", "owner"}},
                           json::object{{"id", 1}}}) {
    auto r = http_request(port(), "PATCH", "/api/v1/users/me", {{"Authorization", bearer(pair.access)}}, to_json(body));
    EXPECT_EQ(r.status, 400) << to_json(body) << ": " << r.body;
    EXPECT_NE(r.body.find("nknown field"), std::string::npos) << r.body;
  }
  auto me = get("/api/v1/users/me", pair.access);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.json().at("role"), "member");
  EXPECT_EQ(me.json().at("display_name"), "climber") << "a refused request changed nothing";
  EXPECT_EQ(me.json().at("is_active"), true);
}

TEST_P(AuthAttacks, AnotherUsersEmailIsNotReadable) {
  auto reader = create_user("reader", "correct horse battery staple");
  auto other = create_user("private-person", "a different passphrase 99");
  auto pair = login_pair("reader", "correct horse battery staple");
  auto them = get("/api/v1/users/" + std::to_string(other), pair.access);
  ASSERT_EQ(them.status, 200) << them.body;
  EXPECT_FALSE(them.json().as_object().contains("email")) << them.body;
  EXPECT_EQ(them.body.find("private-person@example.com"), std::string::npos);
  auto listing = get("/api/v1/users?search=private", pair.access);
  ASSERT_EQ(listing.status, 200) << listing.body;
  EXPECT_EQ(listing.body.find("private-person@example.com"), std::string::npos) << listing.body;
  // One's own email is visible.
  auto self = get("/api/v1/users/" + std::to_string(reader), pair.access);
  EXPECT_EQ(self.json().at("email"), "reader@example.com");
  // And without credentials nothing is.
  EXPECT_EQ(http_request(port(), "GET", "/api/v1/users/" + std::to_string(other)).status, 401);
}

TEST_P(AuthAttacks, RegistrationValidation) {
  auto field_errors = [](const HttpResult& r, const std::string& field) {
    if (r.status != 400) return false;
    auto body = r.json().as_object();
    auto errors = body.if_contains("errors");
    return errors != nullptr && errors->is_object() && errors->as_object().contains(field);
  };
  auto short_pw = register_user("shorty", "shorty@example.com", "Tr0ub4dor&3");
  EXPECT_TRUE(field_errors(short_pw, "password")) << short_pw.body;
  auto common = register_user("commoner", "commoner@example.com", "1qaz2wsx3edc");
  EXPECT_TRUE(field_errors(common, "password")) << common.body;
  EXPECT_NE(common.body.find("too common"), std::string::npos) << common.body;
  auto same = register_user("samename-as-password", "same@example.com", "samename-as-password");
  EXPECT_TRUE(field_errors(same, "password")) << same.body;
  auto as_email = register_user("emailpass", "emailpass@example.com", "emailpass@example.com");
  EXPECT_TRUE(field_errors(as_email, "password")) << as_email.body;
  for (std::string bad : {"not-an-email", "a@", "@example.com", "a b@example.com", "x@example.com\r\nBcc: y@z"}) {
    auto r = register_user("bademail", bad, "correct horse battery staple");
    EXPECT_TRUE(field_errors(r, "email")) << bad << ": " << r.body;
  }

  ASSERT_EQ(register_user("original", "original@example.com", "correct horse battery staple").status, 201);
  auto dup = register_user("original", "someone@example.com", "correct horse battery staple");
  EXPECT_EQ(dup.status, 409) << dup.body;
  // Another case of the same name is never a second account (usernames are lower-case only).
  auto dup_case = register_user("ORIGINAL", "someone@example.com", "correct horse battery staple");
  EXPECT_TRUE(dup_case.status == 409 || field_errors(dup_case, "username")) << dup_case.body;
  auto dup_email = register_user("another", "ORIGINAL@Example.com", "correct horse battery staple");
  EXPECT_EQ(dup_email.status, 409) << dup_email.body;
  // None of the refused registrations can log in.
  EXPECT_EQ(login("someone@example.com", "correct horse battery staple").status, 401);
}

TEST_P(AuthAttacks, NoPasswordOrTokenInTheLogs) {
  // A full life: registration, logins good and bad, refresh, reuse, logout, bearer calls good and
  // bad, a throttled login. TearDown checks every password and token used here against the logs.
  create_user("logged", "a passphrase for the logs 1");
  login("logged", "a wrong passphrase in the logs");
  auto pair = login_pair("logged", "a passphrase for the logs 1");
  get("/api/v1/users/me", pair.access);
  get("/api/v1/users/me", secret(pair.access + "x"));
  auto rotated = refresh(pair.refresh);
  ASSERT_EQ(rotated.status, 200);
  secret(std::string(rotated.json().at("refresh").as_string()));
  secret(std::string(rotated.json().at("access").as_string()));
  refresh(pair.refresh);  // reuse
  http_request(port(), "PATCH", "/api/v1/users/me", {{"Authorization", bearer(pair.access)}},
               to_json(json::object{{"password", secret("the new passphrase 2025")},
                                    {"current_password", "a wrong current one"}}));
  secret("a wrong current one");
  post("/api/v1/auth/logout", json::object{{"refresh", std::string(rotated.json().at("refresh").as_string())}});
  for (int i = 0; i < 7; ++i) login("logged", "guessing in the logs " + std::to_string(i));
  // A token in a query string, where access logs usually leak it.
  http_request(port(), "GET", "/api/v1/users/me?access_token=" + pair.access);
}

INSTANTIATE_TEST_SUITE_P(Databases, AuthAttacks, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace parley::testing
