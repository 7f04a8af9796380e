#include "auth/jwt.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <functional>
#include <set>

#include "auth/tokens.hpp"

namespace parley::auth {
namespace {

namespace json = boost::json;
using std::chrono::seconds;
using testing::HasSubstr;

// 2025-01-01T00:00:00Z: tests never depend on the wall clock.
const Clock::time_point kNow = Clock::time_point(seconds(1'735'689'600));
constexpr std::int64_t kNowS = 1'735'689'600;

JwtConfig test_config() {
  JwtConfig config;
  config.issuer = "https://parley.test";
  config.audience = "parley";
  return config;
}

std::string bytes_from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

// Splits a compact JWS into its three segments.
std::vector<std::string> segments(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

json::object decode_segment(const std::string& segment) { return json::parse(*base64url_decode(segment)).as_object(); }

class JwtTest : public testing::Test {
 protected:
  JwtTest() : keys_(KeySet::generate()), service_(keys_, test_config()) {}

  const Ed25519Key& key() const { return keys_.current(); }

  json::object header(std::string_view typ = "at+jwt") const {
    return json::object{{"alg", "EdDSA"}, {"typ", typ}, {"kid", key().kid()}};
  }

  // A payload that verifies as an access token at kNow.
  static json::object payload() {
    return json::object{{"iss", "https://parley.test"},
                        {"aud", "parley"},
                        {"sub", "42"},
                        {"iat", kNowS},
                        {"nbf", kNowS},
                        {"exp", kNowS + 900},
                        {"jti", "AAAAAAAAAAAAAAAAAAAAAA"}};
  }

  // header_text.payload_text signed by `signer` (its result is base64url-encoded as the signature).
  static std::string forge_raw(std::string_view header_text, std::string_view payload_text,
                               const std::function<std::string(const std::string&)>& signer) {
    std::string input = base64url_encode(header_text) + "." + base64url_encode(payload_text);
    const std::string signature = signer(input);
    return input + "." + base64url_encode(signature);
  }

  std::string forge(const json::object& h, const json::object& p) const {
    return forge_raw(json::serialize(h), json::serialize(p), [&](const std::string& in) { return key().sign(in); });
  }

  // Expects verify() to refuse `token` with a 401 whose internal detail contains `reason`.
  void expect_refused(const std::string& token, std::string_view reason, TokenType type = TokenType::access,
                      Clock::time_point now = kNow) const {
    expect_refused_by(service_, token, reason, type, now);
  }

  static void expect_refused_by(const JwtService& service, const std::string& token, std::string_view reason,
                                TokenType type = TokenType::access, Clock::time_point now = kNow) {
    try {
      (void)service.verify(token, type, now);
      ADD_FAILURE() << "token was accepted; expected refusal for: " << reason;
    } catch (const AppError& e) {
      EXPECT_EQ(e.status(), 401);
      EXPECT_EQ(e.code(), "not_authenticated");
      EXPECT_THAT(e.internal_detail(), HasSubstr(std::string(reason)));
      // The public text is generic: it never says which check failed.
      EXPECT_EQ(e.public_message(), "Authentication credentials were not provided or are invalid.");
      ASSERT_EQ(e.headers().size(), 1u);
      EXPECT_EQ(e.headers()[0].first, "WWW-Authenticate");
      EXPECT_THAT(e.headers()[0].second, HasSubstr("Bearer realm=\"parley\", error=\"invalid_token\""));
    }
  }

  KeySet keys_;
  JwtService service_;
};

// ---- round trips ------------------------------------------------------------------------------------

TEST_F(JwtTest, AccessTokenRoundTrip) {
  const IssuedToken issued = service_.issue({.type = TokenType::access, .subject = "42"}, kNow);
  const auto parts = segments(issued.token);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(json::serialize(decode_segment(parts[0])),
            R"({"alg":"EdDSA","typ":"at+jwt","kid":")" + key().kid() + R"("})");
  const json::object claims = decode_segment(parts[1]);
  EXPECT_EQ(claims.at("iss"), "https://parley.test");
  EXPECT_EQ(claims.at("aud"), "parley");
  EXPECT_EQ(claims.at("sub"), "42");
  EXPECT_EQ(claims.at("iat").as_int64(), kNowS);
  EXPECT_EQ(claims.at("nbf").as_int64(), kNowS);
  EXPECT_EQ(claims.at("exp").as_int64(), kNowS + 15 * 60);
  EXPECT_FALSE(claims.contains("fam"));
  EXPECT_EQ(base64url_decode(claims.at("jti").as_string().c_str())->size(), 16u);  // 128 bits
  EXPECT_EQ(base64url_decode(parts[2])->size(), 64u);

  const Claims verified = service_.verify(issued.token, TokenType::access, kNow);
  EXPECT_EQ(verified.type, TokenType::access);
  EXPECT_EQ(verified.subject, "42");
  EXPECT_EQ(verified.jti, issued.claims.jti);
  EXPECT_EQ(verified.kid, key().kid());
  EXPECT_EQ(verified.family, "");
  EXPECT_EQ(verified.issued_at, kNow);
  EXPECT_EQ(verified.not_before, kNow);
  EXPECT_EQ(verified.expires_at, kNow + seconds(900));
  EXPECT_EQ(verified.expires_at, issued.claims.expires_at);
}

TEST_F(JwtTest, RefreshTokenRoundTripCarriesTheFamily) {
  const IssuedToken issued = service_.issue({.type = TokenType::refresh, .subject = "7", .family = "fam-1"},
                                            kNow + std::chrono::milliseconds(900));
  const auto parts = segments(issued.token);
  EXPECT_EQ(decode_segment(parts[0]).at("typ"), "refresh+jwt");
  EXPECT_EQ(decode_segment(parts[1]).at("fam"), "fam-1");
  const Claims verified = service_.verify(issued.token, TokenType::refresh, kNow + seconds(3600));
  EXPECT_EQ(verified.type, TokenType::refresh);
  EXPECT_EQ(verified.subject, "7");
  EXPECT_EQ(verified.family, "fam-1");
  EXPECT_EQ(verified.issued_at, kNow);  // truncated to whole seconds
  EXPECT_EQ(verified.expires_at, kNow + seconds(30 * 24 * 3600));
}

TEST_F(JwtTest, EveryTokenHasItsOwnJti) {
  std::set<std::string> jtis;
  for (int i = 0; i < 200; ++i) jtis.insert(service_.issue({.subject = "1"}, kNow).claims.jti);
  EXPECT_EQ(jtis.size(), 200u);
}

TEST_F(JwtTest, IssueRefusesRequestsThatBreakTheContract) {
  for (const TokenRequest& bad : {TokenRequest{.type = TokenType::access, .subject = ""},
                                  TokenRequest{.type = TokenType::access, .subject = std::string(257, '1')},
                                  TokenRequest{.type = TokenType::access, .subject = "1", .family = "f"},
                                  TokenRequest{.type = TokenType::refresh, .subject = "1"}}) {
    try {
      (void)service_.issue(bad, kNow);
      ADD_FAILURE() << "issued a token for a bad request";
    } catch (const AppError& e) {
      EXPECT_EQ(e.status(), 500);
    }
  }
}

TEST_F(JwtTest, ServiceRefusesIncompleteConfiguration) {
  auto expect_bad = [&](JwtConfig config) { EXPECT_THROW(JwtService(keys_, std::move(config)), AppError); };
  JwtConfig c = test_config();
  c.issuer.clear();
  expect_bad(c);
  c = test_config();
  c.audience.clear();
  expect_bad(c);
  c = test_config();
  c.access_lifetime = seconds(0);
  expect_bad(c);
  c = test_config();
  c.leeway = seconds(-1);
  expect_bad(c);
}

// ---- expiry and clock skew -----------------------------------------------------------------------------

TEST_F(JwtTest, ExpiredTokensAreRefusedAfterTheLeeway) {
  const std::string token = service_.issue({.subject = "42"}, kNow).token;
  const Clock::time_point exp = kNow + seconds(900);
  EXPECT_NO_THROW((void)service_.verify(token, TokenType::access, exp));
  EXPECT_NO_THROW((void)service_.verify(token, TokenType::access, exp + seconds(29)));
  EXPECT_NO_THROW((void)service_.verify(token, TokenType::access, exp + seconds(30) - std::chrono::milliseconds(1)));
  expect_refused(token, "expired", TokenType::access, exp + seconds(30));
  expect_refused(token, "expired", TokenType::access, exp + seconds(86400));
  try {
    (void)service_.verify(token, TokenType::access, exp + seconds(31));
  } catch (const AppError& e) {
    EXPECT_EQ(e.headers()[0].second,
              "Bearer realm=\"parley\", error=\"invalid_token\", error_description=\"The token expired\"");
  }
}

TEST_F(JwtTest, LeewayIsConfigurable) {
  JwtConfig config = test_config();
  config.leeway = seconds(0);
  const JwtService strict(keys_, config);
  const std::string token = strict.issue({.subject = "42"}, kNow).token;
  EXPECT_NO_THROW((void)strict.verify(token, TokenType::access, kNow + seconds(899)));
  expect_refused_by(strict, token, "expired", TokenType::access, kNow + seconds(900));
  expect_refused_by(strict, token, "not yet valid", TokenType::access, kNow - seconds(1));
}

TEST_F(JwtTest, NotYetValidTokensAreRefused) {
  json::object p = payload();
  p["nbf"] = kNowS + 31;
  expect_refused(forge(header(), p), "not yet valid (nbf)");
  p["nbf"] = kNowS + 30;  // inside the leeway
  EXPECT_NO_THROW((void)service_.verify(forge(header(), p), TokenType::access, kNow));
}

TEST_F(JwtTest, TokensIssuedInTheFutureAreRefused) {
  json::object p = payload();
  p["iat"] = kNowS + 120;
  p["exp"] = kNowS + 900;
  expect_refused(forge(header(), p), "issued in the future (iat)");
  // A token minted by a replica whose clock is 20 s ahead is fine.
  const std::string ahead = service_.issue({.subject = "42"}, kNow + seconds(20)).token;
  EXPECT_NO_THROW((void)service_.verify(ahead, TokenType::access, kNow));
}

TEST_F(JwtTest, TimeClaimsMustBeIntegersInRange) {
  for (const char* claim : {"exp", "nbf", "iat"}) {
    json::object p = payload();
    p.erase(claim);
    expect_refused(forge(header(), p), std::string(claim) + " is missing");
    p = payload();
    p[claim] = std::to_string(kNowS);
    expect_refused(forge(header(), p), std::string(claim) + " is not an integer");
    p = payload();
    p[claim] = static_cast<double>(kNowS) + 0.5;
    expect_refused(forge(header(), p), std::string(claim) + " is not an integer");
    p = payload();
    p[claim] = -1;
    expect_refused(forge(header(), p), std::string(claim) + " is out of range");
    p = payload();
    p[claim] = std::uint64_t{18'446'744'073'709'551'615u};
    expect_refused(forge(header(), p), std::string(claim) + " is not an integer");
  }
  // Exponent notation parses as a double: refused.
  std::string text = json::serialize(payload());
  const std::string exp_text = std::to_string(kNowS + 900);
  text.replace(text.find(exp_text), exp_text.size(), "1.7356905E9");
  expect_refused(forge_raw(json::serialize(header()), text, [&](const std::string& in) { return key().sign(in); }),
                 "exp is not an integer");
}

TEST_F(JwtTest, LifetimeLongerThanConfiguredIsRefused) {
  json::object p = payload();
  p["exp"] = kNowS + 901;  // access lifetime is 900 s
  expect_refused(forge(header(), p), "exceeds the configured lifetime");
  p["exp"] = kNowS;
  expect_refused(forge(header(), p), "exp is not after iat", TokenType::access, kNow - seconds(10));
}

// ---- alg -----------------------------------------------------------------------------------------------------

TEST_F(JwtTest, AlgNoneInEveryCaseIsRefused) {
  for (const char* alg : {"none", "None", "NONE", "nOnE", ""}) {
    json::object h = header();
    h["alg"] = alg;
    const std::string unsigned_token =
        base64url_encode(json::serialize(h)) + "." + base64url_encode(json::serialize(payload())) + ".";
    expect_refused(unsigned_token, "empty segment");
    // Even with a genuine signature attached, "none" is not EdDSA.
    expect_refused(forge(h, payload()), "alg is not EdDSA");
  }
}

TEST_F(JwtTest, EmptySignatureWithEdDsaIsRefused) {
  const std::string token = service_.issue({.subject = "42"}, kNow).token;
  expect_refused(token.substr(0, token.rfind('.') + 1), "empty segment");
}

TEST_F(JwtTest, Hs256SignedWithThePublicKeyIsRefused) {
  // The classic key-confusion attack: the attacker signs with HMAC using the public key (which is
  // public) as the secret, hoping the verifier feeds its "key" to whatever alg the header names.
  const std::string pem = key().public_pem();
  const std::string raw(reinterpret_cast<const char*>(key().raw_public_key().data()), key().raw_public_key().size());
  for (const std::string& secret : {pem, raw, base64url_encode(raw)}) {
    for (const char* alg : {"HS256", "HS384", "HS512", "hs256"}) {
      json::object h = header();
      h["alg"] = alg;
      const std::string token = forge_raw(json::serialize(h), json::serialize(payload()), [&](const std::string& in) {
        return bytes_from_hex(hmac_sha256_hex(secret, in));
      });
      expect_refused(token, "alg is not EdDSA");
    }
  }
}

TEST_F(JwtTest, EveryOtherAlgNameIsRefused) {
  for (const std::string alg : {"eddsa", "EDDSA", "EdDsa", "EdDSA ", " EdDSA", "Ed25519", "Ed448", "RS256", "PS256",
                                "ES256", "ES256K", "EdDSA\u00a0"}) {
    json::object h = header();
    h["alg"] = alg;
    expect_refused(forge(h, payload()), "alg is not EdDSA");
  }
  json::object h = header();
  h["alg"] = std::string_view("EdDSA\0", 6);  // an embedded NUL must not truncate the comparison
  expect_refused(forge(h, payload()), "alg is not EdDSA");
  h["alg"] = json::array{"EdDSA"};
  expect_refused(forge(h, payload()), "alg is not a string");
  h["alg"] = nullptr;
  expect_refused(forge(h, payload()), "alg is not a string");
}

TEST_F(JwtTest, MissingAlgIsRefused) {
  json::object h = header();
  h.erase("alg");
  expect_refused(forge(h, payload()), "alg is missing");
}

// ---- header strictness ---------------------------------------------------------------------------------------

TEST_F(JwtTest, DuplicateHeaderMembersAreRefused) {
  const std::string kid = key().kid();
  const std::string body = json::serialize(payload());
  auto sign = [&](const std::string& in) { return key().sign(in); };
  expect_refused(forge_raw(R"({"alg":"none","alg":"EdDSA","typ":"at+jwt","kid":")" + kid + R"("})", body, sign),
                 "header has a duplicate member");
  expect_refused(forge_raw(R"({"alg":"EdDSA","typ":"at+jwt","kid":")" + kid + R"(","kid":"x"})", body, sign),
                 "header has a duplicate member");
  const std::string good_header = json::serialize(header());
  expect_refused(forge_raw(good_header, R"({"aud":"other","aud":"parley"})", sign), "payload has a duplicate member");
}

TEST_F(JwtTest, UnknownHeaderMembersAreRefused) {
  for (const char* name : {"jku", "jwk", "x5u", "x5c", "crit", "cty", "b64", "zip"}) {
    json::object h = header();
    h[name] = "https://attacker.example/jwks.json";
    expect_refused(forge(h, payload()), "member other than alg, typ, kid");
  }
}

TEST_F(JwtTest, MalformedHeaderIsRefused) {
  auto sign = [&](const std::string& in) { return key().sign(in); };
  const std::string body = json::serialize(payload());
  expect_refused(forge_raw(R"(["EdDSA"])", body, sign), "header is not a JSON object");
  expect_refused(forge_raw(R"({"alg":"EdDSA",})", body, sign), "header is not valid JSON");
  expect_refused(forge_raw(R"({"alg":"EdDSA"} x)", body, sign), "header is not valid JSON");
  expect_refused(forge_raw(R"({"alg":"EdDSA"/*c*/})", body, sign), "header is not valid JSON");
  expect_refused(forge_raw("{\"alg\":\"Ed\xff\"}", body, sign), "header is not valid JSON");
  expect_refused(forge_raw("", body, sign), "empty segment");
  expect_refused(forge_raw(R"({"a":[[[[[[]]]]]]})", body, sign), "header is not valid JSON");
}

// ---- kid and signature -------------------------------------------------------------------------------------------

TEST_F(JwtTest, UnknownKidIsRefused) {
  const JwtService other(KeySet::generate(), test_config());
  expect_refused(other.issue({.subject = "42"}, kNow).token, "unknown kid");
  json::object h = header();
  h.erase("kid");
  expect_refused(forge(h, payload()), "kid is missing");
  h["kid"] = 5;
  expect_refused(forge(h, payload()), "kid is not a string");
}

TEST_F(JwtTest, ForeignKeyClaimingOurKidIsRefused) {
  const Ed25519Key attacker = Ed25519Key::generate();
  const std::string token = forge_raw(json::serialize(header()), json::serialize(payload()),
                                      [&](const std::string& in) { return attacker.sign(in); });
  expect_refused(token, "signature does not verify");
}

TEST_F(JwtTest, TamperedPayloadIsRefused) {
  const auto parts = segments(service_.issue({.subject = "42"}, kNow).token);
  json::object p = decode_segment(parts[1]);
  p["sub"] = "1";  // become user 1
  expect_refused(parts[0] + "." + base64url_encode(json::serialize(p)) + "." + parts[2], "signature does not verify");
}

TEST_F(JwtTest, TamperedHeaderIsRefused) {
  const auto parts = segments(service_.issue({.subject = "42"}, kNow).token);
  json::object h = decode_segment(parts[0]);
  h["typ"] = "refresh+jwt";
  expect_refused(base64url_encode(json::serialize(h)) + "." + parts[1] + "." + parts[2], "signature does not verify",
                 TokenType::refresh);
}

TEST_F(JwtTest, TamperedSignatureIsRefused) {
  const auto parts = segments(service_.issue({.subject = "42"}, kNow).token);
  const std::string signature = *base64url_decode(parts[2]);
  for (std::size_t i = 0; i < signature.size(); i += 7) {
    std::string flipped = signature;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
    expect_refused(parts[0] + "." + parts[1] + "." + base64url_encode(flipped), "signature does not verify");
  }
  expect_refused(parts[0] + "." + parts[1] + "." + base64url_encode(signature.substr(0, 63)),
                 "signature does not verify");
  expect_refused(parts[0] + "." + parts[1] + "." + base64url_encode(signature + "x"), "signature does not verify");
}

TEST_F(JwtTest, EveryTruncationIsRefused) {
  const std::string token = service_.issue({.subject = "42"}, kNow).token;
  for (std::size_t length = 0; length < token.size(); ++length) {
    EXPECT_THROW((void)service_.verify(token.substr(0, length), TokenType::access, kNow), AppError) << length;
  }
  expect_refused("", "empty token");
  expect_refused(token.substr(0, token.find('.')), "not exactly three segments");
}

TEST_F(JwtTest, ExtraSegmentsAreRefused) {
  const std::string token = service_.issue({.subject = "42"}, kNow).token;
  expect_refused(token + ".", "not exactly three segments");
  expect_refused(token + ".e30", "not exactly three segments");
  expect_refused("e30." + token, "not exactly three segments");
  expect_refused(token + "." + token, "not exactly three segments");
}

TEST_F(JwtTest, PaddingAndNonCanonicalBase64AreRefused) {
  const auto parts = segments(service_.issue({.subject = "42"}, kNow).token);
  expect_refused(parts[0] + "." + parts[1] + "." + parts[2] + "==", "signature is not strict base64url");
  expect_refused(parts[0] + "=." + parts[1] + "." + parts[2], "header is not strict base64url");
  expect_refused(parts[0] + "." + parts[1] + "=." + parts[2],
                 "signature does not verify");  // payload: signed text changed
  // The signature's last character carries 4 unused bits; a lax decoder maps 16 encodings to the
  // same bytes (a malleable token). Only the canonical one is accepted.
  std::string sig = parts[2];
  const char last = sig.back();
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::size_t value = kAlphabet.find(last);
  ASSERT_EQ(value % 16, 0u);
  sig.back() = kAlphabet[value + 1];
  expect_refused(parts[0] + "." + parts[1] + "." + sig, "signature is not strict base64url");
  // Standard-alphabet characters are not base64url.
  std::string standard = parts[2];
  standard[0] = '+';
  expect_refused(parts[0] + "." + parts[1] + "." + standard, "signature is not strict base64url");
}

TEST_F(JwtTest, OversizedTokensAreRefusedBeforeDecoding) {
  expect_refused(std::string(8 * 1024 + 1, 'A'), "longer than max_token_bytes");
  // A genuinely signed token that is too big is refused too.
  json::object p = payload();
  p["pad"] = std::string(7000, 'x');
  const std::string big = forge(header(), p);
  ASSERT_GT(big.size(), 8u * 1024);
  expect_refused(big, "longer than max_token_bytes");
  JwtConfig config = test_config();
  config.max_token_bytes = 100;
  const JwtService tight(keys_, config);
  expect_refused_by(tight, tight.issue({.subject = "42"}, kNow).token, "longer than max_token_bytes");
}

// ---- token type ------------------------------------------------------------------------------------------------

TEST_F(JwtTest, RefreshTokenIsNotAnAccessToken) {
  const std::string refresh = service_.issue({.type = TokenType::refresh, .subject = "42", .family = "f"}, kNow).token;
  expect_refused(refresh, "typ is not the expected token type", TokenType::access);
}

TEST_F(JwtTest, AccessTokenIsNotARefreshToken) {
  const std::string access = service_.issue({.subject = "42"}, kNow).token;
  expect_refused(access, "typ is not the expected token type", TokenType::refresh);
}

TEST_F(JwtTest, TypMustBePresentAndExact) {
  json::object h = header();
  h.erase("typ");
  expect_refused(forge(h, payload()), "typ is missing");
  for (const char* typ : {"JWT", "at+JWT", "application/at+jwt", "refresh+jwt", ""}) {
    h["typ"] = typ;
    expect_refused(forge(h, payload()), "typ is not the expected token type");
  }
}

TEST_F(JwtTest, FamilyClaimMatchesTheType) {
  json::object p = payload();
  p["fam"] = "f";
  expect_refused(forge(header(), p), "fam in an access token");
  json::object refresh = payload();
  refresh["exp"] = kNowS + 3600;
  expect_refused(forge(header("refresh+jwt"), refresh), "fam is missing", TokenType::refresh);
  refresh["fam"] = "";
  expect_refused(forge(header("refresh+jwt"), refresh), "fam is empty", TokenType::refresh);
  refresh["fam"] = "f";
  EXPECT_EQ(service_.verify(forge(header("refresh+jwt"), refresh), TokenType::refresh, kNow).family, "f");
}

// ---- iss, aud, sub, jti ------------------------------------------------------------------------------------------

TEST_F(JwtTest, WrongIssuerIsRefused) {
  json::object p = payload();
  p["iss"] = "https://attacker.example";
  expect_refused(forge(header(), p), "iss is not the configured issuer");
  p["iss"] = "https://parley.test/";
  expect_refused(forge(header(), p), "iss is not the configured issuer");
  p.erase("iss");
  expect_refused(forge(header(), p), "iss is missing");
  const JwtService elsewhere(keys_, [] {
    JwtConfig c = test_config();
    c.issuer = "https://other.test";
    return c;
  }());
  expect_refused_by(elsewhere, service_.issue({.subject = "42"}, kNow).token, "iss is not the configured issuer");
}

TEST_F(JwtTest, WrongAudienceIsRefused) {
  json::object p = payload();
  p["aud"] = "parley-admin";
  expect_refused(forge(header(), p), "aud does not name the configured audience");
  p["aud"] = "Parley";
  expect_refused(forge(header(), p), "aud does not name the configured audience");
  p["aud"] = json::array{"other", "another"};
  expect_refused(forge(header(), p), "aud does not name the configured audience");
  p["aud"] = json::array{};
  expect_refused(forge(header(), p), "aud array is empty");
  p["aud"] = json::array{"parley", 1};
  expect_refused(forge(header(), p), "aud array holds a non-string");
  p["aud"] = json::object{{"parley", true}};
  expect_refused(forge(header(), p), "aud is neither a string nor an array");
  p.erase("aud");
  expect_refused(forge(header(), p), "aud is missing");
}

TEST_F(JwtTest, AudienceArrayContainingOursIsAccepted) {
  json::object p = payload();
  p["aud"] = json::array{"other", "parley"};
  EXPECT_EQ(service_.verify(forge(header(), p), TokenType::access, kNow).subject, "42");
}

TEST_F(JwtTest, SubjectAndJtiAreRequired) {
  for (const char* claim : {"sub", "jti"}) {
    json::object p = payload();
    p.erase(claim);
    expect_refused(forge(header(), p), std::string(claim) + " is missing");
    p[claim] = "";
    expect_refused(forge(header(), p), std::string(claim) + " is empty or too long");
    p[claim] = 42;
    expect_refused(forge(header(), p), std::string(claim) + " is not a string");
    p[claim] = std::string(257, 'a');
    expect_refused(forge(header(), p), std::string(claim) + " is empty or too long");
  }
}

TEST_F(JwtTest, PayloadMustBeAnObject) {
  auto sign = [&](const std::string& in) { return key().sign(in); };
  const std::string h = json::serialize(header());
  expect_refused(forge_raw(h, "[]", sign), "payload is not a JSON object");
  expect_refused(forge_raw(h, "\"sub\"", sign), "payload is not a JSON object");
  expect_refused(forge_raw(h, "{", sign), "payload is not valid JSON");
}

// ---- keys and rotation ---------------------------------------------------------------------------------------------

TEST_F(JwtTest, RetiredKeyVerifiesUntilVerifyUntilThenIsRefused) {
  const std::string old_refresh =
      service_.issue({.type = TokenType::refresh, .subject = "42", .family = "f"}, kNow).token;
  const std::string old_kid = key().kid();

  // Rotate an hour later; the old key verifies for the longest lifetime plus leeway.
  const Clock::time_point rotated_at = kNow + seconds(3600);
  const Clock::time_point verify_until = rotated_at + seconds(30 * 24 * 3600 + 30);
  KeySet rotated = keys_;
  rotated.rotate(Ed25519Key::generate(), rotated_at, verify_until);
  const JwtService after(rotated, test_config());
  EXPECT_NE(after.keys().current().kid(), old_kid);
  ASSERT_EQ(after.keys().retired().size(), 1u);
  EXPECT_EQ(after.keys().retired()[0].key.kid(), old_kid);

  // New tokens come from the new key.
  const IssuedToken fresh = after.issue({.subject = "42"}, rotated_at);
  EXPECT_EQ(fresh.claims.kid, after.keys().current().kid());
  EXPECT_NO_THROW((void)after.verify(fresh.token, TokenType::access, rotated_at));

  // The old refresh token still works after the rotation...
  EXPECT_EQ(after.verify(old_refresh, TokenType::refresh, rotated_at + seconds(86400)).kid, old_kid);
  EXPECT_NO_THROW((void)after.verify(old_refresh, TokenType::refresh, kNow + seconds(30 * 24 * 3600 + 29)));
  // ...and the retired key verifies nothing after verify_until.
  expect_refused_by(after, old_refresh, "retired key past its verify_until", TokenType::refresh,
                    verify_until + seconds(1));
}

TEST_F(JwtTest, RetiredKeyCannotMintNewTokens) {
  const Ed25519Key old_key = key();
  KeySet rotated = keys_;
  rotated.rotate(Ed25519Key::generate(), kNow, kNow + seconds(86400));
  const JwtService after(rotated, test_config());
  // A leaked retired private key signing a token dated after the retirement.
  json::object p = payload();
  p["iat"] = kNowS + 600;
  p["nbf"] = kNowS + 600;
  p["exp"] = kNowS + 1500;
  const std::string token =
      forge_raw(json::serialize(header()), json::serialize(p), [&](const std::string& in) { return old_key.sign(in); });
  expect_refused_by(after, token, "issued by a retired key after its retirement", TokenType::access,
                    kNow + seconds(700));
}

TEST_F(JwtTest, RetiredPublicKeyFromPemVerifies) {
  const std::string old_token = service_.issue({.subject = "42"}, kNow).token;
  KeySet set(Ed25519Key::generate());
  set.add_retired(Ed25519Key::from_public_pem(key().public_pem()), kNow + seconds(60), kNow + seconds(86400));
  const JwtService verifier(set, test_config());
  EXPECT_EQ(verifier.verify(old_token, TokenType::access, kNow + seconds(120)).subject, "42");
}

TEST_F(JwtTest, UpcomingKeyVerifiesBeforeItSigns) {
  // Phase 1: every replica learns the next key's public half; phase 2: a replica signs with it.
  const Ed25519Key next = Ed25519Key::generate();
  KeySet old_replica_keys = keys_;
  old_replica_keys.add_upcoming(Ed25519Key::from_public_pem(next.public_pem()));
  const JwtService old_replica(old_replica_keys, test_config());

  KeySet new_replica_keys = keys_;
  new_replica_keys.rotate(next, kNow, kNow + seconds(30 * 24 * 3600 + 30));
  const JwtService new_replica(new_replica_keys, test_config());

  const std::string from_new = new_replica.issue({.subject = "42"}, kNow).token;
  EXPECT_EQ(old_replica.verify(from_new, TokenType::access, kNow).kid, next.kid());
  const std::string from_old = old_replica.issue({.subject = "42"}, kNow).token;
  EXPECT_EQ(new_replica.verify(from_old, TokenType::access, kNow).kid, key().kid());
  // Without phase 1, an old replica does not know the new key.
  expect_refused(from_new, "unknown kid");

  // Rotating to an upcoming key moves it out of the upcoming list.
  old_replica_keys.rotate(next, kNow, kNow + seconds(60));
  EXPECT_TRUE(old_replica_keys.upcoming().empty());
  EXPECT_EQ(old_replica_keys.current().kid(), next.kid());
}

TEST(KeySetTest, RefusesPublicOnlyCurrentKeyAndDuplicateKids) {
  const Ed25519Key pair = Ed25519Key::generate();
  const Ed25519Key public_only = Ed25519Key::from_public_pem(pair.public_pem());
  EXPECT_THROW(KeySet{public_only}, AppError);
  KeySet set(pair);
  EXPECT_THROW(set.add_retired(public_only, kNow, kNow + seconds(1)), AppError);  // same kid as current
  const Ed25519Key other = Ed25519Key::generate();
  set.add_retired(other, kNow, kNow + seconds(1));
  EXPECT_THROW(set.add_retired(other, kNow, kNow + seconds(1)), AppError);
  EXPECT_THROW(set.add_retired(Ed25519Key::generate(), kNow, kNow - seconds(1)), AppError);
  EXPECT_THROW(set.add_upcoming(other), AppError);                           // already retired
  EXPECT_THROW(set.add_upcoming(pair), AppError);                            // the current key
  EXPECT_THROW(set.rotate(pair, kNow, kNow + seconds(1)), AppError);         // same key
  EXPECT_THROW(set.rotate(public_only, kNow, kNow + seconds(1)), AppError);  // cannot sign
  EXPECT_THROW(set.rotate(Ed25519Key::from_private_pem(other.private_pem()), kNow, kNow + seconds(1)), AppError);
  // A failed rotation changed nothing.
  EXPECT_EQ(set.current().kid(), pair.kid());
  EXPECT_EQ(set.retired().size(), 1u);
}

TEST(Ed25519KeyTest, PemRoundTripKeepsTheKid) {
  const Ed25519Key key = Ed25519Key::generate();
  const std::string private_pem = key.private_pem();
  EXPECT_THAT(private_pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  EXPECT_THAT(key.public_pem(), HasSubstr("-----BEGIN PUBLIC KEY-----"));
  const Ed25519Key loaded = Ed25519Key::from_private_pem(private_pem);
  EXPECT_TRUE(loaded.has_private_key());
  EXPECT_EQ(loaded.kid(), key.kid());
  EXPECT_EQ(loaded.raw_public_key(), key.raw_public_key());
  const Ed25519Key public_only = Ed25519Key::from_public_pem(key.public_pem());
  EXPECT_FALSE(public_only.has_private_key());
  EXPECT_EQ(public_only.kid(), key.kid());
  EXPECT_TRUE(public_only.verify("m", loaded.sign("m")));
  EXPECT_THROW((void)public_only.sign("m"), AppError);
  EXPECT_THROW((void)public_only.private_pem(), AppError);
}

TEST(Ed25519KeyTest, KidIsBase64UrlOfTheFirst8BytesOfSha256OfTheRawKey) {
  const Ed25519Key key = Ed25519Key::generate();
  const std::string raw(reinterpret_cast<const char*>(key.raw_public_key().data()), 32);
  const std::string digest = bytes_from_hex(token_hash(raw));
  EXPECT_EQ(key.kid(), base64url_encode(digest.substr(0, 8)));
  EXPECT_EQ(key.kid().size(), 11u);
  EXPECT_NE(key.kid(), Ed25519Key::generate().kid());
}

TEST(Ed25519KeyTest, SignaturesAreDeterministicAndBound) {
  const Ed25519Key key = Ed25519Key::generate();
  EXPECT_EQ(key.sign("message"), key.sign("message"));
  EXPECT_EQ(key.sign("message").size(), 64u);
  EXPECT_TRUE(key.verify("message", key.sign("message")));
  EXPECT_FALSE(key.verify("messagE", key.sign("message")));
  EXPECT_FALSE(key.verify("message", ""));
  EXPECT_FALSE(key.verify("message", std::string(64, '\0')));
  EXPECT_FALSE(Ed25519Key::generate().verify("message", key.sign("message")));
}

TEST(Ed25519KeyTest, RefusesOtherKeysGarbageAndEncryptedPem) {
  EXPECT_THROW(Ed25519Key::from_private_pem(""), AppError);
  EXPECT_THROW(Ed25519Key::from_private_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
               AppError);
  EXPECT_THROW(Ed25519Key::from_public_pem("not a key"), AppError);
  const Ed25519Key key = Ed25519Key::generate();
  EXPECT_THROW(Ed25519Key::from_public_pem(key.private_pem()), AppError);

  // An EC P-256 key is a valid PEM key, but not Ed25519.
  EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(ec, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, ec, nullptr, nullptr, 0, nullptr, nullptr), 1);
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio, ec), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  const std::string ec_pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(ec);
  EXPECT_THROW(Ed25519Key::from_private_pem(ec_pem), AppError);
  EXPECT_THROW(Ed25519Key::from_public_pem(ec_pem.substr(ec_pem.find("-----BEGIN PUBLIC KEY"))), AppError);

  // An encrypted key is refused (never a passphrase prompt).
  EVP_PKEY* ed = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  bio = BIO_new(BIO_s_mem());
  static char passphrase[] = "correct horse battery staple";
  ASSERT_EQ(
      PEM_write_bio_PKCS8PrivateKey(bio, ed, EVP_aes_256_cbc(), passphrase, sizeof passphrase - 1, nullptr, nullptr),
      1);
  data = nullptr;
  const long encrypted_size = BIO_get_mem_data(bio, &data);
  const std::string encrypted(data, static_cast<std::size_t>(encrypted_size));
  BIO_free(bio);
  EVP_PKEY_free(ed);
  ASSERT_THAT(encrypted, HasSubstr("ENCRYPTED PRIVATE KEY"));
  try {
    (void)Ed25519Key::from_private_pem(encrypted);
    FAIL() << "encrypted key loaded";
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 500);
    EXPECT_THAT(e.internal_detail(), testing::Not(HasSubstr("PRIVATE KEY-----")));
  }
}

}  // namespace
}  // namespace parley::auth
