#pragma once
// JSON Web Tokens for Parley's access and refresh tokens (RFC 7519), following RFC 8725:
//  - ONE algorithm, pinned: EdDSA with Ed25519 (RFC 8037). The "alg" header must be exactly
//    "EdDSA"; nothing is negotiated, "none" and every HMAC/RSA/ECDSA name are refused, so there
//    is no key-confusion attack (a public key can never be used as an HMAC secret).
//  - Explicit typing (RFC 8725 section 3.11): the header "typ" is "at+jwt" (RFC 9068) for access
//    tokens and "refresh+jwt" for refresh tokens, and verify() takes the type it expects, so one
//    can never be used as the other.
//  - Every claim is checked: iss, aud, sub, exp, nbf, iat, jti (and fam for refresh tokens).
//  - Keys have a kid; a KeySet signs with its current key and still verifies with retired keys
//    until their verify_until time (rotation without logging anyone out).
//
// Every failure of verify() throws AppError 401 "not_authenticated" whose public message is
// generic, whose internal_detail says exactly why, and which carries the RFC 6750 header
// `WWW-Authenticate: Bearer realm="parley", error="invalid_token", error_description="..."`.
//
// Clocks are injected: issue() and verify() take `now` and never read a clock themselves.
// Thread-safety: Ed25519Key, KeySet and JwtService are immutable after construction except for
// KeySet's mutators; const member functions may be called from any number of threads at once.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

// OpenSSL's key type, kept out of this header.
struct evp_pkey_st;

namespace parley::auth {

using Clock = std::chrono::system_clock;

// An Ed25519 key: a key pair (can sign and verify) or a public key only (can verify).
// Cheap to copy (the OpenSSL key is shared and never mutated).
class Ed25519Key {
 public:
  // A fresh key pair from OpenSSL's CSPRNG, for development and tests.
  static Ed25519Key generate();
  // A key pair from PEM text holding an unencrypted PKCS#8 "PRIVATE KEY" block.
  // Throws AppError::internal (the detail never contains key material) if the text is not one, the
  // key is encrypted (no passphrase prompt is ever shown), or the key is not Ed25519.
  static Ed25519Key from_private_pem(std::string_view pem);
  // A verify-only key from PEM text holding an SPKI "PUBLIC KEY" block; throws like from_private_pem.
  static Ed25519Key from_public_pem(std::string_view pem);

  // Key id: base64url of the first 8 bytes of SHA-256 of the raw 32-byte public key (11 chars).
  // Derived, so it cannot be misconfigured, and the same for the key pair and its public half.
  const std::string& kid() const noexcept { return kid_; }
  bool has_private_key() const noexcept { return has_private_; }
  // The raw 32-byte public key (RFC 8032).
  const std::array<std::uint8_t, 32>& raw_public_key() const noexcept { return raw_public_; }

  // SPKI "PUBLIC KEY" PEM of this key (what verifiers and the retired-keys directory hold).
  std::string public_pem() const;
  // Unencrypted PKCS#8 "PRIVATE KEY" PEM; throws AppError::internal for a public-only key.
  // For `parley` key-generation tooling and tests; never log its result.
  std::string private_pem() const;

  // The 64-byte Ed25519 signature of `message`; throws AppError::internal for a public-only key.
  std::string sign(std::string_view message) const;
  // Whether `signature` is a valid Ed25519 signature of `message` under this key. Never throws
  // for bad input; a signature of any length other than 64 bytes is invalid.
  bool verify(std::string_view message, std::string_view signature) const;

 private:
  Ed25519Key(std::shared_ptr<evp_pkey_st> key, bool has_private);

  std::shared_ptr<evp_pkey_st> key_;
  bool has_private_ = false;
  std::array<std::uint8_t, 32> raw_public_{};
  std::string kid_;
};

// A key that no longer signs but still verifies the tokens it signed.
struct RetiredKey {
  Ed25519Key key;
  // When it stopped signing: a token it verifies must have iat <= retired_at (+ leeway), so a
  // leaked retired private key cannot mint new tokens that verify.
  Clock::time_point retired_at;
  // After this instant the key verifies nothing. Set it to retired_at + the longest token lifetime
  // (refresh) + leeway: every token it signed has expired by then.
  Clock::time_point verify_until;
};

// The signing key and the retired keys that still verify. kids are unique within a set.
class KeySet {
 public:
  // `current` must hold a private key; throws AppError::internal otherwise.
  explicit KeySet(Ed25519Key current);
  // A set with one freshly generated current key (development and tests).
  static KeySet generate();

  // Adds a retired verify-only key (a private half, if any, is never used). Throws
  // AppError::internal if its kid equals the current key's or another retired key's, or if
  // verify_until < retired_at.
  void add_retired(Ed25519Key key, Clock::time_point retired_at, Clock::time_point verify_until);
  // Adds an upcoming verify-only key: the next signing key, published to every replica before any
  // replica signs with it (two-phase rotation, so a rolling restart fails no request). Throws
  // AppError::internal if its kid is already in the set.
  void add_upcoming(Ed25519Key key);
  // Rotation: `next` (with a private key) becomes the current key; the previous current key is
  // retired at `now` and verifies until `verify_until`; `next` leaves the upcoming keys if it was
  // one. Throws like the constructor and add_retired, leaving the set unchanged.
  void rotate(Ed25519Key next, Clock::time_point now, Clock::time_point verify_until);

  const Ed25519Key& current() const noexcept { return current_; }
  const std::vector<RetiredKey>& retired() const noexcept { return retired_; }
  const std::vector<Ed25519Key>& upcoming() const noexcept { return upcoming_; }

 private:
  // Whether `kid` names the current, a retired or an upcoming key.
  bool contains(std::string_view kid) const noexcept;

  Ed25519Key current_;
  std::vector<RetiredKey> retired_;
  std::vector<Ed25519Key> upcoming_;
};

enum class TokenType { access, refresh };

// The header "typ" of each token type: "at+jwt" or "refresh+jwt".
std::string_view token_typ(TokenType type) noexcept;

struct JwtConfig {
  std::string issuer;    // "iss" set and required, e.g. "https://chat.example.com"
  std::string audience;  // "aud" set and required, e.g. "parley"
  std::chrono::seconds access_lifetime{15 * 60};
  std::chrono::seconds refresh_lifetime{30 * 24 * 3600};
  // Clock skew tolerated between replicas on exp, nbf and iat (RFC 7519 allows "a few minutes").
  std::chrono::seconds leeway{30};
  // Longest token accepted; anything longer is refused before any decoding.
  std::size_t max_token_bytes = 8 * 1024;
};

// What a caller asks to be put in a token.
struct TokenRequest {
  TokenType type = TokenType::access;
  std::string subject;  // "sub": the user id as a decimal string; must not be empty
  std::string family;   // "fam": refresh family id; required for refresh, must be empty for access
};

// The claims of a verified (or just issued) token. Times are whole seconds (NumericDate).
struct Claims {
  TokenType type = TokenType::access;
  std::string subject;
  std::string family;  // empty for access tokens
  std::string jti;     // base64url of 128 random bits when issued here
  std::string kid;     // the key that signed it
  Clock::time_point issued_at;
  Clock::time_point not_before;
  Clock::time_point expires_at;
};

struct IssuedToken {
  std::string token;  // the compact JWS
  Claims claims;
};

// Issues and verifies Parley's JWTs with a KeySet and a JwtConfig (both copied in).
class JwtService {
 public:
  // Throws AppError::internal if issuer or audience is empty, a lifetime is not positive, or the
  // leeway is negative.
  JwtService(KeySet keys, JwtConfig config);

  // Signs a new token with the current key: iat = nbf = `now` (truncated to seconds),
  // exp = iat + the type's lifetime, jti = 128 fresh random bits. Throws AppError::internal for a
  // request that breaks TokenRequest's contract (empty subject, family on the wrong type, ...).
  IssuedToken issue(const TokenRequest& request, Clock::time_point now) const;

  // Verifies `token` as a token of type `expected` at time `now` and returns its claims.
  // Checks, in order: size <= max_token_bytes; exactly three non-empty base64url segments (strict:
  // no padding, canonical); header is a JSON object with no duplicate members and exactly the
  // members alg, typ, kid; alg == "EdDSA" exactly; kid names the current key, an upcoming key or
  // a retired key whose verify_until has not passed; the Ed25519 signature (nothing in the payload
  // is parsed before it); typ == token_typ(expected); payload is a JSON object without duplicate
  // members; iss == issuer; aud == audience or an array of strings holding it; sub, jti non-empty
  // strings of at most 256 bytes; exp, nbf, iat integer NumericDates; exp > now - leeway;
  // nbf <= now + leeway; iat <= now + leeway; exp > iat; exp - iat <= the type's configured
  // lifetime; a retired key's token has iat <= retired_at + leeway; fam present (non-empty) in
  // refresh tokens and absent from access tokens.
  // Throws AppError 401 (see the header comment) on any failure; never anything else for bad input.
  Claims verify(std::string_view token, TokenType expected, Clock::time_point now) const;

  const JwtConfig& config() const noexcept { return config_; }
  const KeySet& keys() const noexcept { return keys_; }

 private:
  KeySet keys_;
  JwtConfig config_;
};

}  // namespace parley::auth
