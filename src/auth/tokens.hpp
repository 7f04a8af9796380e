#pragma once
// Opaque secrets and the small cryptographic helpers every credential in Parley is built from:
// CSPRNG output (OpenSSL RAND_bytes), strict base64url (RFC 4648 section 5, no padding), SHA-256
// token hashes, HMAC-SHA-256 and constant-time comparison.
//
// What is stored for an opaque secret is token_hash(secret), never the secret itself (ASVS 2.10.x,
// 3.5.x): a database leak then yields no usable credential, and because every secret carries 256
// random bits an unsalted fast hash is enough (no dictionary to attack).
//
// Every function here is pure or draws only from RAND_bytes, and is safe to call from any thread.
// Functions that need randomness throw AppError::internal if the CSPRNG fails (never fall back).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::auth {

// Bytes of randomness in every generated secret (personal tokens, session ids, CSRF tokens, jti
// values are smaller: see jwt.hpp).
inline constexpr std::size_t kSecretBytes = 32;
// Prefix of personal and bot tokens; lets the authentication middleware tell them from JWTs and
// lets secret scanners recognise leaked Parley tokens.
inline constexpr std::string_view kPersonalTokenPrefix = "pat_";
// Length of base64url(kSecretBytes bytes) without padding.
inline constexpr std::size_t kSecretChars = 43;

// Fills `out` from OpenSSL's CSPRNG. Throws AppError::internal if RAND_bytes reports failure.
void random_bytes(std::span<std::uint8_t> out);

// base64url (URL- and filename-safe alphabet) of `data`, without '=' padding.
std::string base64url_encode(std::span<const std::uint8_t> data);
std::string base64url_encode(std::string_view data);

// Strict inverse of base64url_encode. Returns nullopt (never throws) for: any character outside
// [A-Za-z0-9-_] (so '=' padding, '+', '/', whitespace are refused), a length of 1 modulo 4 (no
// valid encoding has it), and non-canonical encodings whose unused trailing bits are not zero
// (so every byte string has exactly one accepted encoding: a token cannot be altered without
// changing its bytes). The empty string decodes to the empty string.
std::optional<std::string> base64url_decode(std::string_view text);

// `bytes` random bytes, base64url-encoded.
std::string random_token(std::size_t bytes);

// A new personal/bot token: "pat_" + base64url(32 random bytes) (47 characters, 256 bits).
// Shown to its owner once; store token_hash() of it.
std::string generate_personal_token();

// Whether `text` has the shape of a personal token (prefix, length, alphabet). A cheap syntactic
// check for routing a bearer credential; it says nothing about validity.
bool looks_like_personal_token(std::string_view text) noexcept;

// A new server-side session id: base64url of 32 random bytes (256 bits, ASVS 3.2.2 asks >= 64).
std::string generate_session_id();

// A new synchronizer CSRF token: base64url of 32 random bytes.
std::string generate_csrf_token();

// Lower-case hex SHA-256 of `secret` (64 characters): what the database stores and looks up for
// opaque secrets (personal tokens, session ids, password reset tokens, realtime tickets).
std::string token_hash(std::string_view secret);

// Lower-case hex HMAC-SHA-256 of `message` under `key` (64 characters); webhooks sign payloads
// with it. An empty key is allowed by HMAC but refused here: throws AppError::internal.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// Lower-case hex of `data`.
std::string to_hex(std::span<const std::uint8_t> data);

// Whether a and b hold the same bytes, in time that depends only on their lengths (CRYPTO_memcmp).
// Use it for every comparison of a secret or a MAC with an expected value; it leaks only whether
// the lengths differ, which for fixed-length hashes and tokens is public anyway.
bool constant_time_equals(std::string_view a, std::string_view b) noexcept;

}  // namespace parley::auth
