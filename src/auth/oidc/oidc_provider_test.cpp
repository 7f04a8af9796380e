// End-to-end tests of the OIDC relying party against a real OpenID provider (oidc-provider from
// npm, tests/oidc/provider.mjs) on loopback, started by scripts/test-servers. Skipped when
// PARLEY_TEST_OIDC_ISSUER is unset.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <boost/url.hpp>
#include <cstdlib>

#include "auth/oidc/http_fetch.hpp"
#include "auth/oidc/oidc_client.hpp"
#include "auth/tokens.hpp"
#include "core/testing.hpp"

namespace parley::auth::oidc {
namespace {

#define EXPECT_OIDC_REFUSED(expr)                                                  \
  do {                                                                             \
    try {                                                                          \
      (void)(expr);                                                                \
      ADD_FAILURE() << #expr " was accepted";                                      \
    } catch (const ::parley::AppError& e) {                                        \
      EXPECT_EQ(e.status(), 401) << e.internal_detail();                           \
      EXPECT_EQ(e.public_message(), "Sign-in with the identity provider failed."); \
    }                                                                              \
  } while (false)

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// A cookie-keeping user agent that follows the provider's redirects by hand until it reaches the
// relying party's redirect URI, the way a browser would.
class TestBrowser {
 public:
  TestBrowser() : curl_(curl_easy_init()) {
    curl_easy_setopt(curl_, CURLOPT_COOKIEFILE, "");  // in-memory cookie engine
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl_, CURLOPT_PROXY, "");
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 10'000L);
    curl_easy_setopt(
        curl_, CURLOPT_WRITEFUNCTION, +[](char*, std::size_t size, std::size_t n, void*) { return size * n; });
  }
  ~TestBrowser() { curl_easy_cleanup(curl_); }
  TestBrowser(const TestBrowser&) = delete;
  TestBrowser& operator=(const TestBrowser&) = delete;

  // The redirect URI the provider finally sends the browser to, from `authorization_url`.
  std::string authorize(std::string url, const std::string& redirect_uri) {
    for (int hop = 0; hop < 10; ++hop) {
      if (url.rfind(redirect_uri, 0) == 0) return url;
      curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
      if (curl_easy_perform(curl_) != CURLE_OK) throw std::runtime_error("browser could not GET " + url);
      long status = 0;
      char* location = nullptr;
      curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
      curl_easy_getinfo(curl_, CURLINFO_REDIRECT_URL, &location);
      if (status < 300 || status > 399 || location == nullptr) {
        throw std::runtime_error("provider answered " + std::to_string(status) + " without a redirect at " + url);
      }
      url = location;
    }
    throw std::runtime_error("too many redirects");
  }

 private:
  CURL* curl_;
};

// The query parameter `name` of `url`, or "".
std::string query_param(const std::string& url, std::string_view name) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return {};
  for (auto param : parsed->params()) {
    if (param.key == name) return param.value;
  }
  return {};
}

class OidcProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    issuer_ = env("PARLEY_TEST_OIDC_ISSUER");
    if (issuer_.empty()) GTEST_SKIP() << "PARLEY_TEST_OIDC_ISSUER is unset (scripts/test-servers start <dir>)";
    port_ = issuer_.substr(issuer_.rfind(':') + 1);
    fetcher_ = std::make_unique<HttpFetcher>(std::vector<std::string>{issuer_, "http://localhost:" + port_});
  }

  ProviderConfig config(std::string client_id = env("PARLEY_TEST_OIDC_CLIENT_ID")) const {
    return ProviderConfig{.name = "test",
                          .issuer = issuer_,
                          .client_id = std::move(client_id),
                          .client_secret = env("PARLEY_TEST_OIDC_CLIENT_SECRET"),
                          .redirect_uri = env("PARLEY_TEST_OIDC_REDIRECT_URI")};
  }

  template <typename T>
  T run(boost::asio::awaitable<T> task) {
    return testing::run_awaitable(io_, std::move(task));
  }

  // A login through the provider up to the callback: the LoginStart and the callback URL.
  std::pair<LoginStart, std::string> authorize(OidcClient& client) {
    LoginStart start = run(client.begin_login());
    TestBrowser browser;
    std::string callback = browser.authorize(start.authorization_url, client.config().redirect_uri);
    EXPECT_EQ(query_param(callback, "state"), start.state);
    EXPECT_EQ(query_param(callback, "iss"), issuer_);
    EXPECT_FALSE(query_param(callback, "code").empty()) << callback;
    return {start, callback};
  }

  std::string issuer_;
  std::string port_;
  boost::asio::io_context io_;
  std::unique_ptr<HttpFetcher> fetcher_;
};

TEST_F(OidcProviderTest, DiscoversTheProvider) {
  OidcClient client(config(), *fetcher_);
  ProviderMetadata md = run(client.metadata());
  EXPECT_EQ(md.issuer, issuer_);
  EXPECT_EQ(md.token_endpoint.rfind(issuer_, 0), 0u);
  EXPECT_EQ(md.jwks_uri.rfind(issuer_, 0), 0u);
  EXPECT_NE(std::find(md.id_token_algs.begin(), md.id_token_algs.end(), "RS256"), md.id_token_algs.end());
  EXPECT_NE(std::find(md.id_token_algs.begin(), md.id_token_algs.end(), "ES256"), md.id_token_algs.end());
}

TEST_F(OidcProviderTest, AuthorizationUrlCarriesPkceStateAndNonce) {
  OidcClient client(config(), *fetcher_);
  LoginStart start = run(client.begin_login());
  EXPECT_GE(start.code_verifier.size(), 43u);
  EXPECT_EQ(query_param(start.authorization_url, "code_challenge"), pkce_challenge(start.code_verifier));
  EXPECT_EQ(query_param(start.authorization_url, "code_challenge_method"), "S256");
  EXPECT_EQ(query_param(start.authorization_url, "state"), start.state);
  EXPECT_EQ(query_param(start.authorization_url, "nonce"), start.nonce);
  EXPECT_EQ(query_param(start.authorization_url, "response_type"), "code");
  EXPECT_EQ(start.authorization_url.find(start.code_verifier), std::string::npos) << "the verifier stays server-side";
  EXPECT_NE(run(client.begin_login()).state, start.state);
}

TEST_F(OidcProviderTest, CompletesTheCodeFlowWithRs256AndClientSecretBasic) {
  OidcClient client(config(), *fetcher_);
  auto [start, callback] = authorize(client);
  IdentityClaims id = run(client.complete_login(query_param(callback, "code"), start.code_verifier, start.nonce,
                                                query_param(callback, "iss")));
  EXPECT_EQ(id.issuer, issuer_);
  EXPECT_EQ(id.subject, "alice-sub");
  EXPECT_EQ(id.email, "alice@example.com");
  EXPECT_TRUE(id.email_verified);
  EXPECT_EQ(id.name, "Alice Liddell");
  EXPECT_EQ(id.preferred_username, "alice");
  EXPECT_EQ(client.jwks_fetch_count(), 1u);
}

TEST_F(OidcProviderTest, CompletesTheCodeFlowWithEs256AndClientSecretPost) {
  ProviderConfig c = config(env("PARLEY_TEST_OIDC_CLIENT_ID_ES256"));
  c.auth_method = ClientAuthMethod::client_secret_post;
  OidcClient client(c, *fetcher_);
  auto [start, callback] = authorize(client);
  IdentityClaims id = run(client.complete_login(query_param(callback, "code"), start.code_verifier, start.nonce));
  EXPECT_EQ(id.subject, "alice-sub");
  EXPECT_TRUE(id.email_verified);
}

TEST_F(OidcProviderTest, RefusesAWrongNonce) {
  OidcClient client(config(), *fetcher_);
  auto [start, callback] = authorize(client);
  LoginStart other = run(client.begin_login());  // another login's nonce
  EXPECT_OIDC_REFUSED(run(client.complete_login(query_param(callback, "code"), start.code_verifier, other.nonce)));
}

TEST_F(OidcProviderTest, RefusesAWrongCodeVerifierAndAReplayedCode) {
  OidcClient client(config(), *fetcher_);
  auto [start, callback] = authorize(client);
  const std::string code = query_param(callback, "code");
  EXPECT_OIDC_REFUSED(run(client.complete_login(code, random_token(32), start.nonce)));
  auto [start2, callback2] = authorize(client);
  const std::string code2 = query_param(callback2, "code");
  EXPECT_EQ(run(client.complete_login(code2, start2.code_verifier, start2.nonce)).subject, "alice-sub");
  EXPECT_OIDC_REFUSED(run(client.complete_login(code2, start2.code_verifier, start2.nonce)));
}

TEST_F(OidcProviderTest, RefusesAnAuthorizationResponseFromAnotherIssuer) {
  OidcClient client(config(), *fetcher_);
  auto [start, callback] = authorize(client);
  EXPECT_OIDC_REFUSED(run(client.complete_login(query_param(callback, "code"), start.code_verifier, start.nonce,
                                                "https://evil.example.com")));
}

TEST_F(OidcProviderTest, RefusesAProviderWhoseIssuerIsNotTheConfiguredOne) {
  // The same provider reached as http://localhost:<port>: its discovery document and its tokens
  // name http://127.0.0.1:<port>, so for a client configured with the localhost issuer both are wrong.
  ProviderConfig c = config();
  c.issuer = "http://localhost:" + port_;
  OidcClient client(c, *fetcher_);
  EXPECT_OIDC_REFUSED(run(client.metadata()));
  EXPECT_OIDC_REFUSED(run(client.begin_login()));
}

TEST_F(OidcProviderTest, RefusesRealTokensCheckedWithOtherIssuerAudienceOrNonce) {
  OidcClient client(config(), *fetcher_);
  auto [start, callback] = authorize(client);
  const std::string id_token = run(client.exchange_code(query_param(callback, "code"), start.code_verifier));
  EXPECT_EQ(run(client.verify(id_token, start.nonce)).subject, "alice-sub");

  ProviderMetadata md = run(client.metadata());
  HttpResponse jwks_response = run(fetcher_->get(md.jwks_uri));
  JsonWebKeySet keys = JsonWebKeySet::parse(jwks_response.body);
  IdTokenExpectations ok{.issuer = issuer_, .client_id = config().client_id, .nonce = start.nonce, .now = Clock::now()};
  EXPECT_EQ(verify_id_token(id_token, keys, ok).subject, "alice-sub");
  IdTokenExpectations wrong = ok;
  wrong.issuer = "http://localhost:" + port_;
  EXPECT_OIDC_REFUSED(verify_id_token(id_token, keys, wrong));
  wrong = ok;
  wrong.client_id = "someone-else";
  EXPECT_OIDC_REFUSED(verify_id_token(id_token, keys, wrong));
  wrong = ok;
  wrong.nonce = "another-nonce";
  EXPECT_OIDC_REFUSED(verify_id_token(id_token, keys, wrong));
  wrong = ok;
  wrong.now = Clock::now() + std::chrono::hours(2);  // the provider's id_tokens live one hour
  EXPECT_OIDC_REFUSED(verify_id_token(id_token, keys, wrong));
}

TEST_F(OidcProviderTest, RefusesATokenIssuedToAnotherClient) {
  // Token substitution: a real id_token the provider issued to another relying party (client
  // parley-es256), presented to the "parley" client: aud does not contain its client id.
  OidcClient other(config(env("PARLEY_TEST_OIDC_CLIENT_ID_ES256")), *fetcher_);
  auto [start, callback] = authorize(other);
  const std::string foreign = run(other.exchange_code(query_param(callback, "code"), start.code_verifier));
  OidcClient client(config(), *fetcher_);
  EXPECT_OIDC_REFUSED(run(client.verify(foreign, start.nonce)));
}

TEST_F(OidcProviderTest, RefusesATamperedToken) {
  OidcClient client(config(), *fetcher_);
  auto [start, callback] = authorize(client);
  const std::string id_token = run(client.exchange_code(query_param(callback, "code"), start.code_verifier));
  const std::size_t dot1 = id_token.find('.');
  const std::size_t dot2 = id_token.rfind('.');
  std::string payload = *base64url_decode(id_token.substr(dot1 + 1, dot2 - dot1 - 1));
  const std::size_t at = payload.find("alice-sub");
  ASSERT_NE(at, std::string::npos);
  payload.replace(at, 9, "admin-sub");
  const std::string forged = id_token.substr(0, dot1 + 1) + base64url_encode(payload) + id_token.substr(dot2);
  EXPECT_OIDC_REFUSED(run(client.verify(forged, start.nonce)));
  EXPECT_OIDC_REFUSED(run(client.verify(id_token.substr(0, dot2 + 1), start.nonce)));
}

TEST_F(OidcProviderTest, UnknownKidTriggersOneRateLimitedJwksRefetch) {
  OidcClient client(config(), *fetcher_, OidcClientOptions{.jwks_refetch_interval = std::chrono::seconds(600)});
  auto [start, callback] = authorize(client);
  const std::string id_token = run(client.exchange_code(query_param(callback, "code"), start.code_verifier));
  EXPECT_EQ(run(client.verify(id_token, start.nonce)).subject, "alice-sub");
  ASSERT_EQ(client.jwks_fetch_count(), 1u);

  const std::string unknown_kid =
      base64url_encode(std::string(R"({"alg":"RS256","kid":"rotated-away"})")) + id_token.substr(id_token.find('.'));
  EXPECT_OIDC_REFUSED(run(client.verify(unknown_kid, start.nonce)));
  EXPECT_EQ(client.jwks_fetch_count(), 2u) << "one refetch for an unknown kid";
  EXPECT_OIDC_REFUSED(run(client.verify(unknown_kid, start.nonce)));
  EXPECT_EQ(client.jwks_fetch_count(), 2u) << "refetches are rate-limited";
  EXPECT_EQ(run(client.verify(id_token, start.nonce)).subject, "alice-sub") << "known kids still verify";
  EXPECT_EQ(client.jwks_fetch_count(), 2u);
}

TEST_F(OidcProviderTest, FetcherDoesNotFollowRedirects) {
  OidcClient client(config(), *fetcher_);
  LoginStart start = run(client.begin_login());
  HttpResponse r = run(fetcher_->get(start.authorization_url));
  EXPECT_GE(r.status, 300);
  EXPECT_LT(r.status, 400);
  EXPECT_FALSE(r.location.empty());
}

TEST_F(OidcProviderTest, FetcherCapsTheResponseSize) {
  HttpFetcher small({issuer_}, HttpFetchOptions{.max_response_bytes = 64});
  try {
    testing::run_awaitable(io_, small.get(issuer_ + "/.well-known/openid-configuration"));
    ADD_FAILURE() << "an over-long response was accepted";
  } catch (const AppError& e) {
    EXPECT_EQ(e.code(), "upstream_failed") << e.internal_detail();
  }
}

}  // namespace
}  // namespace parley::auth::oidc
