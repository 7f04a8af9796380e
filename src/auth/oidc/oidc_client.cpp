#include "auth/oidc/oidc_client.hpp"

#include "auth/strict_json.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "auth/tokens.hpp"

namespace parley::auth::oidc {
namespace {

namespace json = boost::json;
using std::chrono::seconds;

constexpr std::size_t kMaxIdTokenBytes = 16 * 1024;
constexpr std::size_t kMaxSubjectBytes = 255;  // oidc_identities.subject CHECK
constexpr std::size_t kMaxClaimBytes = 1024;
constexpr std::size_t kMaxAudienceEntries = 16;
constexpr std::int64_t kMaxNumericDate = 253402300799;  // 9999-12-31T23:59:59Z
constexpr std::size_t kRandomBytes = 32;                // state, nonce, code verifier: 256 bits
constexpr std::array<std::string_view, 2> kSupportedAlgs{"RS256", "ES256"};

[[noreturn]] void reject(std::string detail) {
  throw AppError(401, "oidc_failed", "Not authenticated", "Sign-in with the identity provider failed.",
                 "OIDC: " + std::move(detail));
}

// ---- OpenSSL ownership ----------------------------------------------------------------------------

struct BnDeleter {
  void operator()(BIGNUM* b) const noexcept { BN_free(b); }
};
struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* b) const noexcept { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const noexcept { EVP_PKEY_CTX_free(c); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* s) const noexcept { ECDSA_SIG_free(s); }
};
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter>;
using Params = std::unique_ptr<OSSL_PARAM, ParamDeleter>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) { return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free); }

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// A public key from OSSL_PARAMs built by `push`, or nullptr.
template <class Push>
std::shared_ptr<EVP_PKEY> key_from_params(const char* type, Push push) {
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || !push(bld.get())) return nullptr;
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
  auto key = own(raw);
  PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;  // e.g. an EC point off the curve
  return key;
}

std::shared_ptr<EVP_PKEY> rsa_key(std::string_view n, std::string_view e) {
  if (n.empty() || e.empty() || e.size() > 8 || n.front() == '\0') return nullptr;
  Bn bn_n(BN_bin2bn(bytes(n), static_cast<int>(n.size()), nullptr));
  Bn bn_e(BN_bin2bn(bytes(e), static_cast<int>(e.size()), nullptr));
  if (!bn_n || !bn_e) return nullptr;
  auto key = key_from_params("RSA", [&](OSSL_PARAM_BLD* bld) {
    return OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
           OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1;
  });
  if (key && EVP_PKEY_get_bits(key.get()) < 2048) return nullptr;  // too weak to trust
  return key;
}

std::shared_ptr<EVP_PKEY> p256_key(std::string_view x, std::string_view y) {
  if (x.size() != 32 || y.size() != 32) return nullptr;
  std::string point = "\x04";
  point.append(x);
  point.append(y);
  return key_from_params("EC", [&](OSSL_PARAM_BLD* bld) {
    return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
           OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) == 1;
  });
}

bool digest_verify(EVP_PKEY* key, std::string_view message, std::string_view signature) {
  MdCtx ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(message), message.size()) == 1;
}

// Whether `signature` (JWS form) verifies `message` under `key` with `alg`.
bool verify_signature(const JsonWebKeySet::Key& key, std::string_view alg, std::string_view message,
                      std::string_view signature) {
  if (alg == "RS256") {
    if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.key.get()))) return false;
    return digest_verify(key.key.get(), message, signature);
  }
  if (alg == "ES256") {
    // JWS carries R || S (32 bytes each, RFC 7518 section 3.4); OpenSSL wants DER.
    if (signature.size() != 64) return false;
    EcdsaSig sig(ECDSA_SIG_new());
    Bn r(BN_bin2bn(bytes(signature), 32, nullptr));
    Bn s(BN_bin2bn(bytes(signature) + 32, 32, nullptr));
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return false;
    (void)r.release();  // owned by sig now
    (void)s.release();
    unsigned char* der = nullptr;
    const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
    if (der_len <= 0) return false;
    std::string der_text(reinterpret_cast<const char*>(der), static_cast<std::size_t>(der_len));
    OPENSSL_free(der);
    return digest_verify(key.key.get(), message, der_text);
  }
  return false;
}

// ---- strict JSON ------------------------------------------------------------------------------------


// `text` as a strict RFC 8259 JSON object without duplicate members; `what` names it in the reason.
json::object strict_object(std::string_view text, std::string_view what) {
  std::string reason;
  auto object = parse_strict_object(text, 16, reason);
  if (!object) reject(std::string(what) + " " + reason);
  return std::move(*object);
}

json::object decode_segment(std::string_view segment, std::string_view what) {
  auto text = base64url_decode(segment);
  if (!text) reject(std::string(what) + " is not strict base64url");
  return strict_object(*text, what);
}

// The string member `name`, nullopt when absent; rejects a non-string or over-long member.
std::optional<std::string> string_member(const json::object& object, std::string_view name,
                                         std::size_t max_bytes = kMaxClaimBytes) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) reject(std::string(name) + " is not a string");
  const json::string& s = value->get_string();
  if (s.size() > max_bytes) reject(std::string(name) + " is too long");
  return std::string(s.data(), s.size());
}

std::string required_string(const json::object& object, std::string_view name, std::size_t max_bytes = kMaxClaimBytes) {
  auto value = string_member(object, name, max_bytes);
  if (!value || value->empty()) reject(std::string(name) + " is missing or empty");
  return *value;
}

std::optional<std::int64_t> numeric_date(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return std::nullopt;
  std::int64_t n = 0;
  if (value->is_int64()) {
    n = value->get_int64();
  } else if (value->is_uint64()) {
    reject(std::string(name) + " is out of range");
  } else {
    reject(std::string(name) + " is not an integer NumericDate");
  }
  if (n < 0 || n > kMaxNumericDate) reject(std::string(name) + " is out of range");
  return n;
}

std::vector<std::string> string_array(const json::object& object, std::string_view name) {
  std::vector<std::string> out;
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return out;
  if (!value->is_array()) reject(std::string(name) + " is not an array");
  for (const json::value& entry : value->get_array()) {
    if (!entry.is_string()) reject(std::string(name) + " holds a non-string");
    out.emplace_back(entry.get_string().data(), entry.get_string().size());
  }
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::int64_t to_numeric_date(Clock::time_point t) { return std::chrono::floor<seconds>(t.time_since_epoch()).count(); }

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Standard Base64 with padding (for HTTP Basic credentials).
std::string base64_standard(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(data), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// RFC 6749 section 2.3.1: client id and secret are form-encoded before Basic encoding.
std::string form_component(std::string_view s) {
  std::string encoded = form_encode({{std::string(s), ""}});
  encoded.pop_back();  // the '=' of the empty value
  return encoded;
}

bool valid_provider_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; });
}

std::vector<std::string> split_words(std::string_view text, std::string_view separators) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find_first_of(separators, start), text.size());
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Whether `url` may be used as an endpoint of a provider whose issuer is `issuer`: https, or http
// when the issuer itself is on loopback.
bool acceptable_scheme(const HttpOrigin& endpoint, const HttpOrigin& issuer) {
  return endpoint.scheme == "https" || (issuer.scheme == "http" && is_loopback_host(endpoint.host));
}

}  // namespace

// ---- free functions ---------------------------------------------------------------------------------

void validate_provider_config(const ProviderConfig& c) {
  if (!valid_provider_name(c.name)) throw std::invalid_argument("OIDC provider name must match [a-z0-9_-]{1,64}");
  const std::string who = "OIDC provider " + c.name + ": ";
  auto issuer = parse_origin(c.issuer);
  if (!issuer || c.issuer.find_first_of("?#") != std::string::npos) {
    throw std::invalid_argument(who + "issuer must be an absolute https URL without query or fragment");
  }
  if (issuer->scheme != "https" && !is_loopback_host(issuer->host)) {
    throw std::invalid_argument(who + "issuer must use https (plain http only on loopback)");
  }
  if (c.client_id.empty() || c.client_id.size() > 255)
    throw std::invalid_argument(who + "client id is empty or too long");
  if (c.client_secret.empty()) throw std::invalid_argument(who + "client secret is empty");
  if (!parse_origin(c.redirect_uri)) throw std::invalid_argument(who + "redirect URI must be an absolute http(s) URL");
  if (!contains(c.scopes, "openid")) throw std::invalid_argument(who + "scopes must contain openid");
  for (const std::string& scope : c.scopes) {
    if (scope.empty() || scope.find_first_of(" \t\r\n\"\\") != std::string::npos) {
      throw std::invalid_argument(who + "invalid scope");
    }
  }
  for (const std::string& origin : c.extra_origins) {
    auto parsed = parse_origin(origin);
    if (!parsed || (parsed->scheme != "https" && !is_loopback_host(parsed->host))) {
      throw std::invalid_argument(who + "extra origin must be https (plain http only on loopback): " + origin);
    }
  }
}

std::vector<ProviderConfig> providers_from_env(
    const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  std::vector<ProviderConfig> out;
  const auto list = getenv("PARLEY_OIDC_PROVIDERS");
  if (!list) return out;
  for (const std::string& name : split_words(*list, ", \t")) {
    if (!valid_provider_name(name)) {
      throw std::invalid_argument("PARLEY_OIDC_PROVIDERS: provider names must match [a-z0-9_-]{1,64}");
    }
    for (const ProviderConfig& seen : out) {
      if (seen.name == name) throw std::invalid_argument("PARLEY_OIDC_PROVIDERS names " + name + " twice");
    }
    std::string prefix = "PARLEY_OIDC_";
    for (char c : name) prefix += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    prefix += '_';
    auto required = [&](const char* key) {
      auto value = getenv(prefix + key);
      if (!value || value->empty()) throw std::invalid_argument(prefix + key + " is required");
      return *value;
    };
    ProviderConfig config{.name = name,
                          .issuer = required("ISSUER"),
                          .client_id = required("CLIENT_ID"),
                          .client_secret = required("CLIENT_SECRET"),
                          .redirect_uri = required("REDIRECT_URI")};
    if (auto scopes = getenv(prefix + "SCOPES"); scopes && !scopes->empty()) config.scopes = split_words(*scopes, " ");
    if (auto method = getenv(prefix + "AUTH_METHOD"); method && !method->empty()) {
      if (*method == "client_secret_basic") {
        config.auth_method = ClientAuthMethod::client_secret_basic;
      } else if (*method == "client_secret_post") {
        config.auth_method = ClientAuthMethod::client_secret_post;
      } else {
        throw std::invalid_argument(prefix + "AUTH_METHOD must be client_secret_basic or client_secret_post");
      }
    }
    if (auto extra = getenv(prefix + "EXTRA_ORIGINS"); extra) config.extra_origins = split_words(*extra, " ,");
    validate_provider_config(config);
    out.push_back(std::move(config));
  }
  return out;
}

std::string pkce_challenge(std::string_view code_verifier) {
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(code_verifier.data(), code_verifier.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    throw AppError::internal("EVP_Digest(SHA-256) failed");
  }
  return base64url_encode(std::span<const std::uint8_t>(digest.data(), digest.size()));
}

std::string login_state_key(std::string_view state, std::string_view browser_binding) {
  return hmac_sha256_hex(browser_binding, state);
}

// ---- JsonWebKeySet ------------------------------------------------------------------------------------

JsonWebKeySet JsonWebKeySet::parse(std::string_view text) {
  const json::object document = strict_object(text, "JWKS");
  const json::value* keys = document.if_contains("keys");
  if (keys == nullptr || !keys->is_array()) reject("JWKS has no keys array");
  JsonWebKeySet set;
  for (const json::value& entry : keys->get_array()) {
    if (!entry.is_object()) reject("JWKS holds a non-object key");
    const json::object& jwk = entry.get_object();
    auto text_of = [&](std::string_view name) -> std::optional<std::string> {
      const json::value* v = jwk.if_contains(name);
      if (v == nullptr || !v->is_string()) return std::nullopt;
      return std::string(v->get_string().data(), v->get_string().size());
    };
    auto bytes_of = [&](std::string_view name) -> std::optional<std::string> {
      auto t = text_of(name);
      return t ? base64url_decode(*t) : std::nullopt;
    };
    const auto kty = text_of("kty");
    const auto use = text_of("use");
    const auto alg = text_of("alg");
    if (!kty || (use && *use != "sig")) continue;
    Key key{.kid = text_of("kid").value_or("")};
    if (*kty == "RSA" && (!alg || *alg == "RS256")) {
      auto n = bytes_of("n");
      auto e = bytes_of("e");
      if (!n || !e) continue;
      key.alg = "RS256";
      key.key = rsa_key(*n, *e);
    } else if (*kty == "EC" && text_of("crv") == "P-256" && (!alg || *alg == "ES256")) {
      auto x = bytes_of("x");
      auto y = bytes_of("y");
      if (!x || !y) continue;
      key.alg = "ES256";
      key.key = p256_key(*x, *y);
    }
    if (!key.key) continue;  // unsupported type or algorithm, or an unusable key
    bool duplicate = false;
    for (const Key& existing : set.keys_) duplicate = duplicate || (!key.kid.empty() && existing.kid == key.kid);
    if (!duplicate) set.keys_.push_back(std::move(key));
  }
  return set;
}

const JsonWebKeySet::Key* JsonWebKeySet::find(std::string_view kid, std::string_view alg) const noexcept {
  const Key* found = nullptr;
  for (const Key& key : keys_) {
    if (!kid.empty()) {
      if (key.kid == kid) return key.alg == alg ? &key : nullptr;
    } else if (key.alg == alg) {
      if (found != nullptr) return nullptr;  // ambiguous without a kid
      found = &key;
    }
  }
  return found;
}

// ---- id_token -----------------------------------------------------------------------------------------

IdTokenHeader parse_id_token_header(std::string_view id_token, const std::vector<std::string>& algs) {
  if (id_token.empty() || id_token.size() > kMaxIdTokenBytes) reject("id_token is empty or too large");
  const std::size_t dot1 = id_token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : id_token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || id_token.find('.', dot2 + 1) != std::string_view::npos || dot1 == 0 ||
      dot2 == dot1 + 1 || dot2 + 1 == id_token.size()) {
    reject("id_token is not a compact JWS with three non-empty segments");
  }
  const json::object header = decode_segment(id_token.substr(0, dot1), "id_token header");
  const auto alg = string_member(header, "alg", 16);
  if (!alg) reject("id_token header has no alg");
  // Exact, case-sensitive match against the allowed list: "none", "None", HS256, ... never pass.
  if (!contains(algs, *alg) || std::find(kSupportedAlgs.begin(), kSupportedAlgs.end(), *alg) == kSupportedAlgs.end()) {
    reject("id_token alg " + *alg + " is not allowed");
  }
  if (header.contains("crit")) reject("id_token header has crit");
  if (auto typ = string_member(header, "typ", 32); typ && ascii_lower(*typ) != "jwt") {
    reject("id_token typ " + *typ + " is not JWT");
  }
  return IdTokenHeader{.alg = *alg, .kid = string_member(header, "kid", 256).value_or("")};
}

IdentityClaims verify_id_token(std::string_view id_token, const JsonWebKeySet& keys,
                               const IdTokenExpectations& expected) {
  const IdTokenHeader header = parse_id_token_header(id_token, expected.algs);
  const JsonWebKeySet::Key* key = keys.find(header.kid, header.alg);
  if (key == nullptr) reject("no " + header.alg + " key with kid \"" + header.kid + "\" in the provider's JWKS");

  const std::size_t dot2 = id_token.rfind('.');
  const std::string_view signing_input = id_token.substr(0, dot2);
  const auto signature = base64url_decode(id_token.substr(dot2 + 1));
  if (!signature) reject("id_token signature is not strict base64url");
  if (!verify_signature(*key, header.alg, signing_input, *signature)) reject("id_token signature does not verify");

  // Only signed content from here on.
  const json::object claims = decode_segment(signing_input.substr(signing_input.find('.') + 1), "id_token payload");
  const std::string iss = required_string(claims, "iss");
  if (iss != expected.issuer) reject("id_token iss \"" + iss + "\" is not the issuer \"" + expected.issuer + "\"");

  const json::value* aud = claims.if_contains("aud");
  if (aud == nullptr) reject("id_token has no aud");
  std::size_t audience_count = 0;
  bool audience_ok = false;
  if (aud->is_string()) {
    audience_count = 1;
    audience_ok = aud->get_string() == expected.client_id;
  } else if (aud->is_array()) {
    const json::array& entries = aud->get_array();
    if (entries.empty() || entries.size() > kMaxAudienceEntries) reject("id_token aud array is empty or too long");
    for (const json::value& entry : entries) {
      if (!entry.is_string()) reject("id_token aud array holds a non-string");
      audience_ok = audience_ok || entry.get_string() == expected.client_id;
    }
    audience_count = entries.size();
  } else {
    reject("id_token aud is neither a string nor an array");
  }
  if (!audience_ok) reject("id_token aud does not contain the client id " + expected.client_id);
  const auto azp = string_member(claims, "azp");
  if (azp && *azp != expected.client_id) reject("id_token azp \"" + *azp + "\" is not the client id");
  if (!azp && audience_count > 1) reject("id_token has several audiences and no azp");

  const std::int64_t now = to_numeric_date(expected.now);
  const std::int64_t leeway = expected.leeway.count();
  const auto exp = numeric_date(claims, "exp");
  const auto iat = numeric_date(claims, "iat");
  if (!exp || !iat) reject("id_token lacks exp or iat");
  if (*exp <= now - leeway)
    reject("id_token expired at " + std::to_string(*exp) + " (now " + std::to_string(now) + ")");
  if (*iat > now + leeway) reject("id_token iat " + std::to_string(*iat) + " is in the future");
  if (auto nbf = numeric_date(claims, "nbf"); nbf && *nbf > now + leeway) reject("id_token is not valid yet (nbf)");

  const auto nonce = string_member(claims, "nonce");
  if (!nonce) reject("id_token has no nonce");
  if (expected.nonce.empty() || !constant_time_equals(*nonce, expected.nonce)) reject("id_token nonce does not match");

  IdentityClaims out;
  out.issuer = iss;
  out.subject = required_string(claims, "sub", kMaxSubjectBytes);
  out.email = string_member(claims, "email");
  if (const json::value* verified = claims.if_contains("email_verified")) {
    // Some providers send the string "true"; anything else is "not verified".
    out.email_verified =
        (verified->is_bool() && verified->get_bool()) || (verified->is_string() && verified->get_string() == "true");
  }
  out.name = string_member(claims, "name");
  out.preferred_username = string_member(claims, "preferred_username");
  return out;
}

// ---- OidcClient ---------------------------------------------------------------------------------------

OidcClient::OidcClient(ProviderConfig config, HttpFetcher& fetcher, OidcClientOptions options)
    : config_(std::move(config)), fetcher_(fetcher), options_(std::move(options)) {
  validate_provider_config(config_);
  if (!fetcher_.is_allowed(config_.issuer)) {
    throw std::invalid_argument("OIDC provider " + config_.name + ": the fetcher does not allow the issuer's origin");
  }
  if (options_.leeway.count() < 0 || options_.jwks_refetch_interval.count() < 0) {
    throw std::invalid_argument("OIDC client options: negative leeway or refetch interval");
  }
}

AppError OidcClient::failure(std::string detail) const {
  return AppError(401, "oidc_failed", "Not authenticated", "Sign-in with the identity provider failed.",
                  "OIDC provider " + config_.name + ": " + std::move(detail));
}

Clock::time_point OidcClient::now() const { return options_.clock ? options_.clock() : Clock::now(); }

std::size_t OidcClient::jwks_fetch_count() const {
  std::lock_guard lock(mutex_);
  return jwks_fetch_count_;
}

boost::asio::awaitable<ProviderMetadata> OidcClient::metadata() {
  {
    std::lock_guard lock(mutex_);
    if (metadata_ && now() - metadata_fetched_at_ < options_.metadata_ttl) co_return *metadata_;
  }
  std::string url = config_.issuer;
  if (!url.empty() && url.back() == '/') url.pop_back();
  url += "/.well-known/openid-configuration";
  HttpResponse response = co_await fetcher_.get(std::move(url));
  if (response.status != 200) throw failure("discovery answered HTTP " + std::to_string(response.status));

  ProviderMetadata md;
  try {
    const json::object doc = strict_object(response.body, "discovery document");
    md.issuer = required_string(doc, "issuer", 2048);
    md.authorization_endpoint = required_string(doc, "authorization_endpoint", 2048);
    md.token_endpoint = required_string(doc, "token_endpoint", 2048);
    md.jwks_uri = required_string(doc, "jwks_uri", 2048);
    for (const std::string& alg : string_array(doc, "id_token_signing_alg_values_supported")) {
      if (std::find(kSupportedAlgs.begin(), kSupportedAlgs.end(), alg) != kSupportedAlgs.end()) {
        md.id_token_algs.push_back(alg);
      }
    }
    if (doc.contains("code_challenge_methods_supported") &&
        !contains(string_array(doc, "code_challenge_methods_supported"), "S256")) {
      throw failure("discovery does not offer PKCE S256");
    }
  } catch (const AppError& e) {
    if (e.code() == "oidc_failed" && e.internal_detail().rfind("OIDC provider", 0) == 0) throw;
    throw failure("discovery document: " + e.internal_detail());
  }
  // OpenID Connect Discovery 1.0 section 4.3: exactly the configured issuer (no mix-up, no impostor).
  if (md.issuer != config_.issuer) {
    throw failure("discovery issuer \"" + md.issuer + "\" is not the configured issuer \"" + config_.issuer + "\"");
  }
  if (md.id_token_algs.empty()) throw failure("discovery advertises neither RS256 nor ES256 for id_tokens");
  const HttpOrigin issuer_origin = *parse_origin(config_.issuer);
  auto authorization = parse_origin(md.authorization_endpoint);
  if (!authorization || !acceptable_scheme(*authorization, issuer_origin) ||
      md.authorization_endpoint.find('#') != std::string::npos) {
    throw failure("discovery authorization_endpoint is not an acceptable URL");
  }
  // Server-side fetches: only to allowed origins (no SSRF through a hostile discovery document).
  if (!fetcher_.is_allowed(md.token_endpoint)) throw failure("discovery token_endpoint is not on an allowed origin");
  if (!fetcher_.is_allowed(md.jwks_uri)) throw failure("discovery jwks_uri is not on an allowed origin");

  std::lock_guard lock(mutex_);
  metadata_ = md;
  metadata_fetched_at_ = now();
  co_return md;
}

boost::asio::awaitable<LoginStart> OidcClient::begin_login() {
  const ProviderMetadata md = co_await metadata();
  LoginStart start{.state = random_token(kRandomBytes),
                   .nonce = random_token(kRandomBytes),
                   .code_verifier = random_token(kRandomBytes)};
  std::string scope;
  for (const std::string& s : config_.scopes) scope += (scope.empty() ? "" : " ") + s;
  const std::vector<std::pair<std::string, std::string>> params{
      {"response_type", "code"},
      {"client_id", config_.client_id},
      {"redirect_uri", config_.redirect_uri},
      {"scope", scope},
      {"state", start.state},
      {"nonce", start.nonce},
      {"code_challenge", pkce_challenge(start.code_verifier)},
      {"code_challenge_method", "S256"},
  };
  start.authorization_url = md.authorization_endpoint +
                            (md.authorization_endpoint.find('?') == std::string::npos ? "?" : "&") +
                            form_encode(params);
  co_return start;
}

boost::asio::awaitable<std::shared_ptr<const JsonWebKeySet>> OidcClient::fetch_keys(const std::string& jwks_uri) {
  std::string url = jwks_uri;
  HttpResponse response = co_await fetcher_.get(std::move(url));
  {
    std::lock_guard lock(mutex_);
    ++jwks_fetch_count_;
  }
  if (response.status != 200) throw failure("JWKS answered HTTP " + std::to_string(response.status));
  std::shared_ptr<const JsonWebKeySet> keys;
  try {
    keys = std::make_shared<const JsonWebKeySet>(JsonWebKeySet::parse(response.body));
  } catch (const AppError& e) {
    throw failure(e.internal_detail());
  }
  std::lock_guard lock(mutex_);
  jwks_ = keys;
  jwks_fetched_at_ = now();
  co_return keys;
}

boost::asio::awaitable<std::shared_ptr<const JsonWebKeySet>> OidcClient::keys(bool refetch_for_unknown_kid) {
  {
    std::lock_guard lock(mutex_);
    const Clock::time_point t = now();
    if (!refetch_for_unknown_kid) {
      if (jwks_ && t - jwks_fetched_at_ < options_.jwks_ttl) co_return jwks_;
    } else if (jwks_) {
      // Rate limit: a stream of tokens with made-up kids must not turn into a stream of fetches.
      if (last_unknown_kid_refetch_ && t - *last_unknown_kid_refetch_ < options_.jwks_refetch_interval) co_return jwks_;
      last_unknown_kid_refetch_ = t;
    }
  }
  const ProviderMetadata md = co_await metadata();
  co_return co_await fetch_keys(md.jwks_uri);
}

boost::asio::awaitable<IdentityClaims> OidcClient::verify(std::string id_token, std::string expected_nonce) {
  const ProviderMetadata md = co_await metadata();
  IdTokenExpectations expected{.issuer = config_.issuer,
                               .client_id = config_.client_id,
                               .nonce = std::move(expected_nonce),
                               .algs = md.id_token_algs,
                               .now = now(),
                               .leeway = options_.leeway};
  IdTokenHeader header;
  try {
    header = parse_id_token_header(id_token, expected.algs);
  } catch (const AppError& e) {
    throw failure(e.internal_detail());
  }
  std::shared_ptr<const JsonWebKeySet> keys_now = co_await keys(false);
  if (keys_now->find(header.kid, header.alg) == nullptr) keys_now = co_await keys(true);  // rotated keys?
  try {
    co_return verify_id_token(id_token, *keys_now, expected);
  } catch (const AppError& e) {
    throw failure(e.internal_detail());
  }
}

boost::asio::awaitable<IdentityClaims> OidcClient::complete_login(std::string code, std::string code_verifier,
                                                                  std::string expected_nonce,
                                                                  std::optional<std::string> response_iss) {
  if (code.empty() || code.size() > 2048) throw AppError::bad_request("The authorization code is missing or invalid.");
  if (code_verifier.size() < 43 || code_verifier.size() > 128 || expected_nonce.empty()) {
    throw AppError::bad_request("The sign-in attempt is invalid.");
  }
  // RFC 9207: an authorization response from another issuer is a mix-up attack.
  if (response_iss && *response_iss != config_.issuer) {
    throw failure("authorization response iss \"" + *response_iss + "\" is not the issuer");
  }
  std::string id_token = co_await exchange_code(std::move(code), std::move(code_verifier));
  co_return co_await verify(std::move(id_token), std::move(expected_nonce));
}

boost::asio::awaitable<std::string> OidcClient::exchange_code(std::string code, std::string code_verifier) {
  const ProviderMetadata md = co_await metadata();
  std::vector<std::pair<std::string, std::string>> form{{"grant_type", "authorization_code"},
                                                        {"code", std::move(code)},
                                                        {"redirect_uri", config_.redirect_uri},
                                                        {"code_verifier", std::move(code_verifier)}};
  std::vector<std::pair<std::string, std::string>> headers;
  if (config_.auth_method == ClientAuthMethod::client_secret_post) {
    form.emplace_back("client_id", config_.client_id);
    form.emplace_back("client_secret", config_.client_secret);
  } else {
    headers.emplace_back("Authorization", "Basic " + base64_standard(form_component(config_.client_id) + ":" +
                                                                     form_component(config_.client_secret)));
  }
  std::string body = form_encode(form);
  std::string url = md.token_endpoint;
  HttpResponse response = co_await fetcher_.post_form(std::move(url), std::move(body), std::move(headers));

  std::string id_token;
  try {
    const json::object doc = strict_object(response.body, "token response");
    if (response.status != 200) {
      const auto error = string_member(doc, "error", 256).value_or("?");
      const auto description = string_member(doc, "error_description", 1024).value_or("");
      throw failure("token endpoint answered HTTP " + std::to_string(response.status) + " " + error + " " +
                    description);
    }
    const auto token_type = string_member(doc, "token_type", 64);
    if (!token_type || ascii_lower(*token_type) != "bearer") throw failure("token response token_type is not Bearer");
    id_token = required_string(doc, "id_token", kMaxIdTokenBytes);
  } catch (const AppError& e) {
    if (e.internal_detail().rfind("OIDC provider", 0) == 0) throw;
    throw failure("token endpoint answered HTTP " + std::to_string(response.status) + ": " + e.internal_detail());
  }
  co_return id_token;
}

// ---- OidcProviders ------------------------------------------------------------------------------------

namespace {

std::vector<std::string> origins_of(const std::vector<ProviderConfig>& configs) {
  std::vector<std::string> origins;
  for (const ProviderConfig& c : configs) {
    validate_provider_config(c);
    origins.push_back(c.issuer);
    origins.insert(origins.end(), c.extra_origins.begin(), c.extra_origins.end());
  }
  return origins;
}

}  // namespace

OidcProviders::OidcProviders(std::vector<ProviderConfig> configs, HttpFetchOptions fetch_options,
                             OidcClientOptions client_options)
    : fetcher_(std::make_unique<HttpFetcher>(origins_of(configs), fetch_options)) {
  for (ProviderConfig& c : configs) {
    std::string name = c.name;
    if (clients_.contains(name)) throw std::invalid_argument("OIDC provider " + name + " is configured twice");
    clients_.emplace(std::move(name), std::make_unique<OidcClient>(std::move(c), *fetcher_, client_options));
  }
}

OidcClient* OidcProviders::find(std::string_view name) const noexcept {
  auto it = clients_.find(name);
  return it == clients_.end() ? nullptr : it->second.get();
}

OidcClient& OidcProviders::get(std::string_view name) const {
  OidcClient* client = find(name);
  if (client == nullptr) throw AppError::not_found();
  return *client;
}

std::vector<std::string> OidcProviders::names() const {
  std::vector<std::string> out;
  for (const auto& [name, client] : clients_) out.push_back(name);
  return out;
}

}  // namespace parley::auth::oidc
