#include "auth/jwt.hpp"

#include "auth/strict_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "auth/tokens.hpp"

namespace parley::auth {
namespace {

namespace json = boost::json;
using std::chrono::seconds;

constexpr std::string_view kAlgorithm = "EdDSA";
constexpr std::size_t kSignatureBytes = 64;
constexpr std::size_t kJtiBytes = 16;  // 128 bits (RFC 7519 asks for negligible collision odds)
// Bounds on individual claim strings (the token size cap bounds everything, these keep the
// claims sane: ids are short).
constexpr std::size_t kMaxClaimChars = 256;
constexpr std::size_t kMaxAudienceEntries = 16;
// Header and payload are flat objects (aud may be an array): nothing needs deeper nesting.
constexpr std::size_t kMaxJsonDepth = 4;
// Largest NumericDate accepted: 9999-12-31T23:59:59Z. Keeps every time_point conversion in range.
constexpr std::int64_t kMaxNumericDate = 253'402'300'799;
constexpr std::string_view kPublicMessage = "Authentication credentials were not provided or are invalid.";

// ---- errors -------------------------------------------------------------------------------------

// The 401 of a token that failed verification. `reason` goes to internal_detail only and never
// contains token bytes or other attacker-controlled text (it reaches the logs).
// error_description stays coarse ("expired" or "invalid"): it tells a client whether refreshing
// may help, without turning verify() into an oracle for which check failed.
[[noreturn]] void reject(std::string_view reason, bool expired = false) {
  const std::string description = expired ? "The token expired" : "The token is invalid";
  throw AppError{401, "not_authenticated", "Not authenticated", std::string(kPublicMessage),
                 "JWT refused: " + std::string(reason)}
      .with_header("WWW-Authenticate",
                   "Bearer realm=\"parley\", error=\"invalid_token\", error_description=\"" + description + "\"");
}

// Throws AppError::internal with `what` and the first OpenSSL error (a library reason string,
// never key material), and clears the thread's OpenSSL error queue.
[[noreturn]] void openssl_failure(std::string_view what) {
  std::string detail(what);
  if (const unsigned long code = ERR_get_error(); code != 0) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    detail += ": ";
    detail += buffer.data();
  }
  ERR_clear_error();
  throw AppError::internal(std::move(detail));
}

// ---- OpenSSL ownership ----------------------------------------------------------------------------

struct BioFree {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) {
  return {key, [](EVP_PKEY* k) { EVP_PKEY_free(k); }};
}

// Passphrase callback that refuses: an encrypted key fails to load instead of prompting on a tty.
int no_passphrase(char*, int, int, void*) { return -1; }

BioPtr read_bio(std::string_view pem) {
  if (pem.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw AppError::internal("PEM text too large");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) openssl_failure("BIO_new_mem_buf");
  return bio;
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) openssl_failure("BIO_get_mem_data");
  return {data, static_cast<std::size_t>(size)};
}

// ---- strict JSON ------------------------------------------------------------------------------------


// Decodes one base64url segment and parses it as a strict RFC 8259 JSON object (no comments, no
// trailing commas, valid UTF-8, no duplicate members, shallow). `what` names it in the reason.
json::object decode_json_object(std::string_view segment, std::string_view what) {
  const auto text = base64url_decode(segment);
  if (!text) reject(std::string(what) + " is not strict base64url");
  std::string reason;
  auto object = parse_strict_object(*text, kMaxJsonDepth, reason);
  if (!object) reject(std::string(what) + " " + reason);
  return std::move(*object);
}

// The string member `name` of `object`, or nullopt if absent; rejects a non-string member.
std::optional<std::string_view> string_member(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) reject(std::string(name) + " is not a string");
  const json::string& s = value->get_string();
  return std::string_view(s.data(), s.size());
}

// A required, non-empty, bounded string claim.
std::string_view required_string(const json::object& object, std::string_view name) {
  const auto value = string_member(object, name);
  if (!value) reject(std::string(name) + " is missing");
  if (value->empty() || value->size() > kMaxClaimChars) reject(std::string(name) + " is empty or too long");
  return *value;
}

// A required NumericDate claim: an integer number of seconds in [0, kMaxNumericDate]. Fractions
// and exponents (parsed as doubles) are refused: Parley only issues integers.
std::int64_t required_numeric_date(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) reject(std::string(name) + " is missing");
  if (!value->is_int64()) reject(std::string(name) + " is not an integer NumericDate");
  const std::int64_t seconds_since_epoch = value->get_int64();
  if (seconds_since_epoch < 0 || seconds_since_epoch > kMaxNumericDate) reject(std::string(name) + " is out of range");
  return seconds_since_epoch;
}

std::int64_t to_numeric_date(Clock::time_point t) { return std::chrono::floor<seconds>(t.time_since_epoch()).count(); }

Clock::time_point from_numeric_date(std::int64_t n) { return Clock::time_point(seconds(n)); }

// Whether `aud` (a string or an array of strings) names `audience`.
bool audience_matches(const json::value& aud, std::string_view audience) {
  if (aud.is_string()) return aud.get_string() == audience;
  if (!aud.is_array()) reject("aud is neither a string nor an array");
  const json::array& entries = aud.get_array();
  if (entries.empty() || entries.size() > kMaxAudienceEntries) reject("aud array is empty or too long");
  bool found = false;
  for (const json::value& entry : entries) {
    if (!entry.is_string()) reject("aud array holds a non-string");
    if (entry.get_string() == audience) found = true;
  }
  return found;
}

}  // namespace

// ---- Ed25519Key -----------------------------------------------------------------------------------

Ed25519Key::Ed25519Key(std::shared_ptr<evp_pkey_st> key, bool has_private)
    : key_(std::move(key)), has_private_(has_private) {
  if (EVP_PKEY_get_id(key_.get()) != EVP_PKEY_ED25519) {
    ERR_clear_error();
    throw AppError::internal("JWT key is not an Ed25519 key");
  }
  std::size_t length = raw_public_.size();
  if (EVP_PKEY_get_raw_public_key(key_.get(), raw_public_.data(), &length) != 1 || length != raw_public_.size()) {
    openssl_failure("EVP_PKEY_get_raw_public_key");
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_length = 0;
  if (EVP_Digest(raw_public_.data(), raw_public_.size(), digest.data(), &digest_length, EVP_sha256(), nullptr) != 1) {
    openssl_failure("EVP_Digest(sha256)");
  }
  kid_ = base64url_encode(std::span<const std::uint8_t>(digest.data(), 8));
}

Ed25519Key Ed25519Key::generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) openssl_failure("EVP_PKEY_Q_keygen(ED25519)");
  return Ed25519Key(own(key), true);
}

Ed25519Key Ed25519Key::from_private_pem(std::string_view pem) {
  BioPtr bio = read_bio(pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (key == nullptr) openssl_failure("JWT private key is not an unencrypted PKCS#8 PEM key");
  return Ed25519Key(own(key), true);
}

Ed25519Key Ed25519Key::from_public_pem(std::string_view pem) {
  BioPtr bio = read_bio(pem);
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr);
  if (key == nullptr) openssl_failure("JWT public key is not an SPKI PEM key");
  return Ed25519Key(own(key), false);
}

std::string Ed25519Key::public_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) openssl_failure("PEM_write_bio_PUBKEY");
  return drain(bio.get());
}

std::string Ed25519Key::private_pem() const {
  if (!has_private_) throw AppError::internal("private_pem() on a public-only Ed25519 key");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    openssl_failure("PEM_write_bio_PrivateKey");
  }
  return drain(bio.get());
}

std::string Ed25519Key::sign(std::string_view message) const {
  if (!has_private_) throw AppError::internal("sign() on a public-only Ed25519 key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) openssl_failure("EVP_MD_CTX_new");
  // Ed25519 is "pure" EdDSA: no separate digest (md must be NULL), one-shot EVP_DigestSign only.
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1) {
    openssl_failure("EVP_DigestSignInit");
  }
  std::string signature(kSignatureBytes, '\0');
  std::size_t length = signature.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      length != kSignatureBytes) {
    openssl_failure("EVP_DigestSign");
  }
  return signature;
}

bool Ed25519Key::verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != kSignatureBytes) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1) {
    ERR_clear_error();
    return false;
  }
  const bool ok =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  ERR_clear_error();
  return ok;
}

// ---- KeySet ---------------------------------------------------------------------------------------

KeySet::KeySet(Ed25519Key current) : current_(std::move(current)) {
  if (!current_.has_private_key()) throw AppError::internal("the current JWT key needs its private key");
}

KeySet KeySet::generate() { return KeySet(Ed25519Key::generate()); }

bool KeySet::contains(std::string_view kid) const noexcept {
  return kid == current_.kid() ||
         std::any_of(retired_.begin(), retired_.end(), [&](const RetiredKey& r) { return r.key.kid() == kid; }) ||
         std::any_of(upcoming_.begin(), upcoming_.end(), [&](const Ed25519Key& k) { return k.kid() == kid; });
}

void KeySet::add_retired(Ed25519Key key, Clock::time_point retired_at, Clock::time_point verify_until) {
  if (verify_until < retired_at) throw AppError::internal("retired JWT key: verify_until is before retired_at");
  if (contains(key.kid())) throw AppError::internal("JWT key " + key.kid() + " is already in the key set");
  retired_.push_back(RetiredKey{std::move(key), retired_at, verify_until});
}

void KeySet::add_upcoming(Ed25519Key key) {
  if (contains(key.kid())) throw AppError::internal("JWT key " + key.kid() + " is already in the key set");
  upcoming_.push_back(std::move(key));
}

void KeySet::rotate(Ed25519Key next, Clock::time_point now, Clock::time_point verify_until) {
  // Every check happens before any change, so a failed rotation leaves the set as it was.
  if (!next.has_private_key()) throw AppError::internal("the current JWT key needs its private key");
  if (next.kid() == current_.kid()) throw AppError::internal("JWT key rotation to the same key");
  if (verify_until < now) throw AppError::internal("retired JWT key: verify_until is before retired_at");
  const auto same_kid = [&](const RetiredKey& r) { return r.key.kid() == next.kid(); };
  if (std::any_of(retired_.begin(), retired_.end(), same_kid)) {
    throw AppError::internal("JWT key rotation to retired key " + next.kid());
  }
  std::erase_if(upcoming_, [&](const Ed25519Key& k) { return k.kid() == next.kid(); });
  retired_.push_back(RetiredKey{std::exchange(current_, std::move(next)), now, verify_until});
}

// ---- JwtService -----------------------------------------------------------------------------------

std::string_view token_typ(TokenType type) noexcept {
  return type == TokenType::access ? std::string_view("at+jwt") : std::string_view("refresh+jwt");
}

JwtService::JwtService(KeySet keys, JwtConfig config) : keys_(std::move(keys)), config_(std::move(config)) {
  if (config_.issuer.empty() || config_.audience.empty()) {
    throw AppError::internal("JWT issuer and audience must be configured");
  }
  if (config_.access_lifetime <= seconds(0) || config_.refresh_lifetime <= seconds(0)) {
    throw AppError::internal("JWT token lifetimes must be positive");
  }
  if (config_.leeway < seconds(0)) throw AppError::internal("JWT leeway must not be negative");
  if (config_.max_token_bytes == 0) throw AppError::internal("JWT max_token_bytes must be positive");
}

IssuedToken JwtService::issue(const TokenRequest& request, Clock::time_point now) const {
  if (request.subject.empty() || request.subject.size() > kMaxClaimChars) {
    throw AppError::internal("JWT subject must be 1 to 256 characters");
  }
  const bool refresh = request.type == TokenType::refresh;
  if (refresh && (request.family.empty() || request.family.size() > kMaxClaimChars)) {
    throw AppError::internal("a refresh token needs a family id of 1 to 256 characters");
  }
  if (!refresh && !request.family.empty()) throw AppError::internal("an access token has no family id");

  const Ed25519Key& key = keys_.current();
  Claims claims;
  claims.type = request.type;
  claims.subject = request.subject;
  claims.family = request.family;
  claims.jti = random_token(kJtiBytes);
  claims.kid = key.kid();
  claims.issued_at = from_numeric_date(to_numeric_date(now));
  claims.not_before = claims.issued_at;
  claims.expires_at = claims.issued_at + (refresh ? config_.refresh_lifetime : config_.access_lifetime);

  json::object header;
  header["alg"] = kAlgorithm;
  header["typ"] = token_typ(request.type);
  header["kid"] = key.kid();

  json::object payload;
  payload["iss"] = config_.issuer;
  payload["aud"] = config_.audience;
  payload["sub"] = claims.subject;
  payload["iat"] = to_numeric_date(claims.issued_at);
  payload["nbf"] = to_numeric_date(claims.not_before);
  payload["exp"] = to_numeric_date(claims.expires_at);
  payload["jti"] = claims.jti;
  if (refresh) payload["fam"] = claims.family;

  std::string token = base64url_encode(json::serialize(header));
  token += '.';
  token += base64url_encode(json::serialize(payload));
  const std::string signature = key.sign(token);
  token += '.';
  token += base64url_encode(signature);
  return IssuedToken{std::move(token), std::move(claims)};
}

Claims JwtService::verify(std::string_view token, TokenType expected, Clock::time_point now) const {
  if (token.empty()) reject("empty token");
  if (token.size() > config_.max_token_bytes) reject("token longer than max_token_bytes");

  // Compact JWS: exactly three segments, none empty (an empty signature is the "alg: none" shape).
  const std::size_t first = token.find('.');
  const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    reject("not exactly three segments");
  }
  const std::string_view header_segment = token.substr(0, first);
  const std::string_view payload_segment = token.substr(first + 1, second - first - 1);
  const std::string_view signature_segment = token.substr(second + 1);
  if (header_segment.empty() || payload_segment.empty() || signature_segment.empty()) reject("empty segment");

  // Header: exactly {alg, typ, kid}. Anything else (crit, jku, jwk, x5u, x5c, cty, ...) would be
  // a feature Parley does not implement; refusing it beats ignoring it (RFC 7515 4.1.11).
  const json::object header = decode_json_object(header_segment, "header");
  const auto alg = string_member(header, "alg");
  if (!alg) reject("alg is missing");
  if (*alg != kAlgorithm) reject("alg is not EdDSA");  // exact, case-sensitive: no negotiation
  for (const auto& member : header) {
    if (member.key() != "alg" && member.key() != "typ" && member.key() != "kid") {
      reject("header has a member other than alg, typ, kid");
    }
  }
  const auto kid = string_member(header, "kid");
  if (!kid) reject("kid is missing");

  // The key: current, upcoming, or retired and still inside its verify_until.
  const Ed25519Key* key = nullptr;
  const RetiredKey* retired = nullptr;
  if (*kid == keys_.current().kid()) {
    key = &keys_.current();
  } else {
    for (const Ed25519Key& upcoming : keys_.upcoming()) {
      if (upcoming.kid() == *kid) key = &upcoming;
    }
    for (const RetiredKey& r : keys_.retired()) {
      if (r.key.kid() == *kid) {
        if (now > r.verify_until) reject("kid names a retired key past its verify_until");
        retired = &r;
        key = &r.key;
        break;
      }
    }
  }
  if (key == nullptr) reject("unknown kid");

  const auto signature = base64url_decode(signature_segment);
  if (!signature) reject("signature is not strict base64url");
  if (!key->verify(token.substr(0, second), *signature)) reject("signature does not verify");

  // From here on the token is authentic: it was minted by Parley with one of its keys.
  const auto typ = string_member(header, "typ");
  if (!typ) reject("typ is missing");
  if (*typ != token_typ(expected)) reject("typ is not the expected token type");

  const json::object payload = decode_json_object(payload_segment, "payload");
  if (required_string(payload, "iss") != config_.issuer) reject("iss is not the configured issuer");
  const json::value* aud = payload.if_contains("aud");
  if (aud == nullptr) reject("aud is missing");
  if (!audience_matches(*aud, config_.audience)) reject("aud does not name the configured audience");

  Claims claims;
  claims.type = expected;
  claims.kid = std::string(*kid);
  claims.subject = std::string(required_string(payload, "sub"));
  claims.jti = std::string(required_string(payload, "jti"));
  const std::int64_t exp = required_numeric_date(payload, "exp");
  const std::int64_t nbf = required_numeric_date(payload, "nbf");
  const std::int64_t iat = required_numeric_date(payload, "iat");
  const std::int64_t now_s = to_numeric_date(now);
  const std::int64_t leeway = config_.leeway.count();
  const std::int64_t lifetime =
      (expected == TokenType::refresh ? config_.refresh_lifetime : config_.access_lifetime).count();

  if (exp <= now_s - leeway) reject("expired (exp)", true);
  if (nbf > now_s + leeway) reject("not yet valid (nbf)");
  if (iat > now_s + leeway) reject("issued in the future (iat)");
  if (exp <= iat) reject("exp is not after iat");
  if (exp - iat > lifetime) reject("exp - iat exceeds the configured lifetime");
  if (retired != nullptr && iat > to_numeric_date(retired->retired_at) + leeway) {
    reject("issued by a retired key after its retirement");
  }

  const auto family = string_member(payload, "fam");
  if (expected == TokenType::refresh) {
    if (!family) reject("fam is missing from a refresh token");
    claims.family = std::string(required_string(payload, "fam"));
  } else if (family) {
    reject("fam in an access token");
  }

  claims.issued_at = from_numeric_date(iat);
  claims.not_before = from_numeric_date(nbf);
  claims.expires_at = from_numeric_date(exp);
  return claims;
}

}  // namespace parley::auth
