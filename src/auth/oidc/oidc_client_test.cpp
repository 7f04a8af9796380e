// Unit tests of the OIDC relying party that need no provider: PKCE, id_token verification with
// crafted tokens (own keys), JWKS parsing, configuration, and the fetcher's SSRF refusals.
#include "auth/oidc/oidc_client.hpp"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <map>

#include "auth/oidc/http_fetch.hpp"
#include "auth/tokens.hpp"
#include "core/testing.hpp"

namespace parley::auth::oidc {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Expects `expr` to throw an AppError with HTTP status `status`; returns its internal detail.
#define EXPECT_APP_ERROR(expr, expected_status)                      \
  do {                                                               \
    try {                                                            \
      (void)(expr);                                                  \
      ADD_FAILURE() << #expr " did not throw";                       \
    } catch (const ::parley::AppError& e) {                          \
      EXPECT_EQ(e.status(), expected_status) << e.internal_detail(); \
    }                                                                \
  } while (false)

std::string bn_bytes(const EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1);
  std::string out(static_cast<std::size_t>(pad > 0 ? pad : BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

// A signing key for crafted tokens and its JWK.
class TestKey {
 public:
  static TestKey ec(std::string kid) { return TestKey(EVP_EC_gen("P-256"), "ES256", std::move(kid)); }
  static TestKey rsa(std::string kid, unsigned bits = 2048) {
    return TestKey(EVP_RSA_gen(bits), "RS256", std::move(kid));
  }

  json::object jwk() const {
    json::object out{{"kid", kid_}, {"use", "sig"}, {"alg", alg_}};
    if (alg_ == "ES256") {
      out["kty"] = "EC";
      out["crv"] = "P-256";
      out["x"] = base64url_encode(bn_bytes(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32));
      out["y"] = base64url_encode(bn_bytes(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32));
    } else {
      out["kty"] = "RSA";
      out["n"] = base64url_encode(bn_bytes(key_.get(), OSSL_PKEY_PARAM_RSA_N));
      out["e"] = base64url_encode(bn_bytes(key_.get(), OSSL_PKEY_PARAM_RSA_E));
    }
    return out;
  }

  // A compact JWS of `payload` with header {"alg", "kid"} (or `header` when given).
  std::string sign(const json::object& payload, std::optional<json::object> header = std::nullopt) const {
    json::object h = header.value_or(json::object{{"alg", alg_}, {"kid", kid_}});
    const std::string input = base64url_encode(json::serialize(h)) + "." + base64url_encode(json::serialize(payload));
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t length = 0;
    EXPECT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_.get()), 1);
    EXPECT_EQ(EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()), input.size()),
              1);
    std::string sig(length, '\0');
    EXPECT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &length,
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()),
              1);
    EVP_MD_CTX_free(ctx);
    sig.resize(length);
    if (alg_ == "ES256") {  // DER -> R || S
      const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
      ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
      std::string raw(64, '\0');
      BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), reinterpret_cast<unsigned char*>(raw.data()), 32);
      BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
      ECDSA_SIG_free(ecdsa);
      sig = raw;
    }
    return input + "." + base64url_encode(sig);
  }

 private:
  TestKey(EVP_PKEY* key, std::string alg, std::string kid)
      : key_(key, EVP_PKEY_free), alg_(std::move(alg)), kid_(std::move(kid)) {}
  std::shared_ptr<EVP_PKEY> key_;
  std::string alg_;
  std::string kid_;
};

std::string jwks_of(std::initializer_list<const TestKey*> keys) {
  json::array list;
  for (const TestKey* k : keys) list.push_back(k->jwk());
  return json::serialize(json::object{{"keys", list}});
}

class OidcIdTokenTest : public ::testing::Test {
 protected:
  OidcIdTokenTest() : jwks_(JsonWebKeySet::parse(jwks_of({&ec_, &rsa_}))) {}

  json::object claims() const {
    const std::int64_t t = std::chrono::floor<std::chrono::seconds>(now_.time_since_epoch()).count();
    return {{"iss", "https://id.example.com"},
            {"aud", "parley"},
            {"sub", "user-1"},
            {"nonce", "n-123"},
            {"iat", t - 10},
            {"exp", t + 300},
            {"email", "ann@example.com"},
            {"email_verified", true},
            {"name", "Ann"},
            {"preferred_username", "ann"}};
  }
  IdTokenExpectations expected() const {
    return {.issuer = "https://id.example.com", .client_id = "parley", .nonce = "n-123", .now = now_};
  }
  IdentityClaims verify(const std::string& token) const { return verify_id_token(token, jwks_, expected()); }

  Clock::time_point now_ = Clock::now();
  TestKey ec_ = TestKey::ec("ec-1");
  TestKey rsa_ = TestKey::rsa("rsa-1");
  JsonWebKeySet jwks_;
};

TEST(OidcPkce, MatchesRfc7636AppendixB) {
  EXPECT_EQ(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(OidcLoginState, KeyDependsOnStateAndBrowserBinding) {
  const std::string key = login_state_key("state-1", "cookie-a");
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key, login_state_key("state-1", "cookie-a"));
  EXPECT_NE(key, login_state_key("state-1", "cookie-b"));
  EXPECT_NE(key, login_state_key("state-2", "cookie-a"));
  EXPECT_THROW(login_state_key("state-1", ""), AppError);
}

TEST_F(OidcIdTokenTest, AcceptsValidEs256AndRs256Tokens) {
  IdentityClaims c = verify(ec_.sign(claims()));
  EXPECT_EQ(c.subject, "user-1");
  EXPECT_EQ(c.issuer, "https://id.example.com");
  EXPECT_EQ(c.email, "ann@example.com");
  EXPECT_TRUE(c.email_verified);
  EXPECT_EQ(c.name, "Ann");
  EXPECT_EQ(c.preferred_username, "ann");
  EXPECT_EQ(verify(rsa_.sign(claims())).subject, "user-1");
}

TEST_F(OidcIdTokenTest, RefusesAlgNoneAndItsCaseVariants) {
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    const std::string unsigned_token = base64url_encode(json::serialize(json::object{{"alg", alg}, {"kid", "ec-1"}})) +
                                       "." + base64url_encode(json::serialize(claims())) + ".";
    EXPECT_APP_ERROR(verify(unsigned_token), 401);
    EXPECT_APP_ERROR(verify(unsigned_token + "AAAA"), 401);
  }
}

TEST_F(OidcIdTokenTest, RefusesHs256SignedWithThePublicKey) {
  // Key confusion: the attacker HMACs with the RSA public key material the verifier knows.
  const std::string secret = json::serialize(rsa_.jwk());
  const std::string input = base64url_encode(json::serialize(json::object{{"alg", "HS256"}, {"kid", "rsa-1"}})) + "." +
                            base64url_encode(json::serialize(claims()));
  unsigned char mac[32];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
  EXPECT_APP_ERROR(verify(input + "." + base64url_encode(std::string_view(reinterpret_cast<char*>(mac), mac_len))),
                   401);
}

TEST_F(OidcIdTokenTest, RefusesAlgNotAdvertisedOrNotMatchingTheKey) {
  IdTokenExpectations only_rs = expected();
  only_rs.algs = {"RS256"};
  EXPECT_APP_ERROR(verify_id_token(ec_.sign(claims()), jwks_, only_rs), 401);
  // An ES256 header naming the RSA key's kid.
  EXPECT_APP_ERROR(verify(ec_.sign(claims(), json::object{{"alg", "ES256"}, {"kid", "rsa-1"}})), 401);
  EXPECT_APP_ERROR(
      verify(ec_.sign(claims(), json::object{{"alg", "ES256"}, {"kid", "ec-1"}, {"crit", json::array{"exp"}}})), 401);
}

TEST_F(OidcIdTokenTest, RefusesTamperedTokens) {
  const std::string token = ec_.sign(claims());
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = token.rfind('.');
  json::object forged = claims();
  forged["sub"] = "admin";
  const std::string swapped_payload =
      token.substr(0, dot1 + 1) + base64url_encode(json::serialize(forged)) + token.substr(dot2);
  EXPECT_APP_ERROR(verify(swapped_payload), 401);
  std::string flipped = token;
  flipped[dot2 + 5] = flipped[dot2 + 5] == 'A' ? 'B' : 'A';
  EXPECT_APP_ERROR(verify(flipped), 401);
  EXPECT_APP_ERROR(verify(token.substr(0, dot2)), 401);
  EXPECT_APP_ERROR(verify(token + ".x"), 401);
  // Signed by a key that is not in the JWKS, under a known kid.
  TestKey other = TestKey::ec("ec-1");
  EXPECT_APP_ERROR(verify(other.sign(claims())), 401);
}

TEST_F(OidcIdTokenTest, RefusesUnknownKid) {
  TestKey other = TestKey::ec("ec-2");
  EXPECT_APP_ERROR(verify(other.sign(claims())), 401);
}

TEST_F(OidcIdTokenTest, ChecksIssuerAudienceAndAzp) {
  auto with = [&](const char* name, json::value value) {
    json::object c = claims();
    c[name] = std::move(value);
    return ec_.sign(c);
  };
  EXPECT_APP_ERROR(verify(with("iss", "https://evil.example.com")), 401);
  EXPECT_APP_ERROR(verify(with("iss", "https://id.example.com/")), 401);
  EXPECT_APP_ERROR(verify(with("aud", "someone-else")), 401);
  EXPECT_APP_ERROR(verify(with("aud", json::array{"someone-else"})), 401);
  // Several audiences need azp.
  EXPECT_APP_ERROR(verify(with("aud", json::array{"parley", "someone-else"})), 401);
  EXPECT_APP_ERROR(verify(with("azp", "someone-else")), 401);
  EXPECT_EQ(verify(with("azp", "parley")).subject, "user-1");
  json::object several = claims();
  several["aud"] = json::array{"parley", "other"};
  several["azp"] = "parley";
  EXPECT_EQ(verify(ec_.sign(several)).subject, "user-1");
}

TEST_F(OidcIdTokenTest, ChecksTimesNonceAndSubject) {
  const std::int64_t t = std::chrono::floor<std::chrono::seconds>(now_.time_since_epoch()).count();
  auto with = [&](const char* name, json::value value) {
    json::object c = claims();
    c[name] = std::move(value);
    return ec_.sign(c);
  };
  EXPECT_APP_ERROR(verify(with("exp", t - 120)), 401);
  EXPECT_EQ(verify(with("exp", t - 30)).subject, "user-1") << "within the 60 s leeway";
  EXPECT_APP_ERROR(verify(with("iat", t + 600)), 401);
  EXPECT_APP_ERROR(verify(with("nbf", t + 600)), 401);
  EXPECT_APP_ERROR(verify(with("exp", "tomorrow")), 401);
  EXPECT_APP_ERROR(verify(with("nonce", "n-124")), 401);
  EXPECT_APP_ERROR(verify(with("sub", "")), 401);
  EXPECT_APP_ERROR(verify(with("sub", json::string(std::string(256, 'x')))), 401);
  json::object no_nonce = claims();
  no_nonce.erase("nonce");
  EXPECT_APP_ERROR(verify(ec_.sign(no_nonce)), 401);
  EXPECT_FALSE(verify(with("email_verified", false)).email_verified);
}

TEST_F(OidcIdTokenTest, RefusesDuplicateMembers) {
  const std::string header = base64url_encode(R"({"alg":"ES256","kid":"ec-1","alg":"none"})");
  EXPECT_APP_ERROR(verify(header + ".e30.AAAA"), 401);
}

TEST(OidcJwks, SkipsWeakUnusableAndEncryptionKeys) {
  TestKey weak = TestKey::rsa("weak", 1024);
  TestKey ec = TestKey::ec("ec-1");
  json::object enc = ec.jwk();
  enc["use"] = "enc";
  enc["kid"] = "enc-1";
  json::object off_curve = ec.jwk();
  off_curve["kid"] = "bad-point";
  off_curve["y"] = base64url_encode(std::string(32, '\x01'));
  json::object doc{{"keys", json::array{weak.jwk(), enc, off_curve, ec.jwk(), json::object{{"kty", "OKP"}}}}};
  JsonWebKeySet set = JsonWebKeySet::parse(json::serialize(doc));
  EXPECT_EQ(set.size(), 1u);
  EXPECT_NE(set.find("ec-1", "ES256"), nullptr);
  EXPECT_EQ(set.find("ec-1", "RS256"), nullptr);
  EXPECT_NE(set.find("", "ES256"), nullptr) << "the only ES256 key serves a token without kid";
  EXPECT_EQ(set.find("weak", "RS256"), nullptr);
  EXPECT_APP_ERROR(JsonWebKeySet::parse("[]"), 401);
  EXPECT_APP_ERROR(JsonWebKeySet::parse(R"({"keys":1})"), 401);
}

TEST(OidcConfig, ReadsProvidersFromEnvironment) {
  std::map<std::string, std::string> env{
      {"PARLEY_OIDC_PROVIDERS", "corp, my-idp"},
      {"PARLEY_OIDC_CORP_ISSUER", "https://id.corp.example"},
      {"PARLEY_OIDC_CORP_CLIENT_ID", "parley"},
      {"PARLEY_OIDC_CORP_CLIENT_SECRET", "s3cret"},
      {"PARLEY_OIDC_CORP_REDIRECT_URI", "https://chat.example/api/v1/auth/oidc/corp/callback"},
      {"PARLEY_OIDC_MY_IDP_ISSUER", "https://accounts.example.com"},
      {"PARLEY_OIDC_MY_IDP_CLIENT_ID", "abc"},
      {"PARLEY_OIDC_MY_IDP_CLIENT_SECRET", "def"},
      {"PARLEY_OIDC_MY_IDP_REDIRECT_URI", "https://chat.example/api/v1/auth/oidc/my-idp/callback"},
      {"PARLEY_OIDC_MY_IDP_SCOPES", "openid email"},
      {"PARLEY_OIDC_MY_IDP_AUTH_METHOD", "client_secret_post"},
      {"PARLEY_OIDC_MY_IDP_EXTRA_ORIGINS", "https://oauth2.example.com https://keys.example.com"},
  };
  auto getenv = [&](const std::string& key) -> std::optional<std::string> {
    auto it = env.find(key);
    return it == env.end() ? std::nullopt : std::optional(it->second);
  };
  auto providers = providers_from_env(getenv);
  ASSERT_EQ(providers.size(), 2u);
  EXPECT_EQ(providers[0].name, "corp");
  EXPECT_EQ(providers[0].auth_method, ClientAuthMethod::client_secret_basic);
  EXPECT_EQ(providers[0].scopes, (std::vector<std::string>{"openid", "email", "profile"}));
  EXPECT_EQ(providers[1].name, "my-idp");
  EXPECT_EQ(providers[1].auth_method, ClientAuthMethod::client_secret_post);
  EXPECT_EQ(providers[1].scopes, (std::vector<std::string>{"openid", "email"}));
  EXPECT_EQ(providers[1].extra_origins.size(), 2u);

  OidcProviders registry(providers);
  EXPECT_NE(registry.find("corp"), nullptr);
  EXPECT_EQ(registry.find("nope"), nullptr);
  EXPECT_APP_ERROR(registry.get("nope"), 404);

  env["PARLEY_OIDC_CORP_ISSUER"] = "http://id.corp.example";  // plain http off loopback
  EXPECT_THROW(providers_from_env(getenv), std::invalid_argument);
  env["PARLEY_OIDC_CORP_ISSUER"] = "https://id.corp.example";
  env.erase("PARLEY_OIDC_CORP_CLIENT_SECRET");
  EXPECT_THROW(providers_from_env(getenv), std::invalid_argument);
  env["PARLEY_OIDC_CORP_CLIENT_SECRET"] = "s3cret";
  env["PARLEY_OIDC_MY_IDP_SCOPES"] = "email profile";
  EXPECT_THROW(providers_from_env(getenv), std::invalid_argument);
  EXPECT_TRUE(providers_from_env([](const std::string&) { return std::optional<std::string>(); }).empty());
}

TEST(OidcHttpFetch, OriginsAreNormalized) {
  EXPECT_EQ(parse_origin("HTTPS://Accounts.Example.COM/x?y")->to_string(), "https://accounts.example.com:443");
  EXPECT_EQ(parse_origin("http://127.0.0.1:8080")->to_string(), "http://127.0.0.1:8080");
  EXPECT_FALSE(parse_origin("https://user@example.com/"));
  EXPECT_FALSE(parse_origin("file:///etc/passwd"));
  EXPECT_FALSE(parse_origin("gopher://example.com/"));
  EXPECT_FALSE(parse_origin("//example.com/"));
  EXPECT_FALSE(parse_origin("https://example.com/\r\nHost: x"));
  EXPECT_THROW(HttpFetcher({"http://example.com"}), std::invalid_argument) << "plain http only on loopback";
  EXPECT_THROW(HttpFetcher({"ftp://example.com"}), std::invalid_argument);
}

TEST(OidcHttpFetch, RefusesNonAllowedOriginsWithoutConnecting) {
  boost::asio::io_context io;
  // A listener the refused requests would reach if they were sent.
  boost::asio::ip::tcp::acceptor trap(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  trap.non_blocking(true);
  const std::string trap_port = std::to_string(trap.local_endpoint().port());
  HttpFetcher fetcher({"https://id.example.com", "http://127.0.0.1:1"});

  for (const std::string& url :
       std::vector<std::string>{"http://127.0.0.1:" + trap_port + "/", "http://localhost:" + trap_port + "/",
                                "http://127.0.0.1:1@127.0.0.1:" + trap_port + "/",
                                "https://id.example.com.127.0.0.1.nip.io:" + trap_port + "/", "http://id.example.com/",
                                "file:///etc/passwd", "not a url"}) {
    EXPECT_FALSE(fetcher.is_allowed(url)) << url;
    try {
      testing::run_awaitable(io, fetcher.get(url));
      ADD_FAILURE() << url << " was fetched";
    } catch (const AppError& e) {
      EXPECT_EQ(e.status(), 502);
      EXPECT_EQ(e.code(), "upstream_refused") << url << ": " << e.internal_detail();
    }
    EXPECT_THROW((void)fetcher.fetch_blocking({.url = url}), AppError) << url;
  }
  boost::system::error_code ec;
  boost::asio::ip::tcp::socket accepted(io);
  trap.accept(accepted, ec);
  EXPECT_EQ(ec, boost::asio::error::would_block) << "a refused request connected";
  EXPECT_TRUE(fetcher.is_allowed("https://id.example.com/.well-known/openid-configuration"));
  EXPECT_TRUE(fetcher.is_allowed("https://ID.example.com:443/jwks"));
}

TEST(OidcHttpFetch, RefusesHeaderInjection) {
  HttpFetcher fetcher({"http://127.0.0.1:1"});
  EXPECT_THROW((void)fetcher.fetch_blocking({.url = "http://127.0.0.1:1/", .headers = {{"X-A", "b\r\nHost: evil"}}}),
               AppError);
}

}  // namespace
}  // namespace parley::auth::oidc
