#include "auth/tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <climits>

#include "core/error.hpp"

namespace parley::auth {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Value of a base64url character, or -1.
constexpr int sextet(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::span<const std::uint8_t> as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

void random_bytes(std::span<std::uint8_t> out) {
  // RAND_bytes takes an int length; secrets here are tiny, but never truncate silently.
  if (out.size() > static_cast<std::size_t>(INT_MAX)) throw AppError::internal("random_bytes: request too large");
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    ERR_clear_error();
    throw AppError::internal("RAND_bytes failed");
  }
}

std::string base64url_encode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string base64url_encode(std::string_view data) { return base64url_encode(as_bytes(data)); }

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = sextet(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // 2 or 4 bits are left over for lengths 2 and 3 mod 4; a canonical encoding has them zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string random_token(std::size_t bytes) {
  std::vector<std::uint8_t> buffer(bytes);
  random_bytes(buffer);
  std::string token = base64url_encode(buffer);
  OPENSSL_cleanse(buffer.data(), buffer.size());
  return token;
}

std::string generate_personal_token() { return std::string(kPersonalTokenPrefix) + random_token(kSecretBytes); }

bool looks_like_personal_token(std::string_view text) noexcept {
  if (text.size() != kPersonalTokenPrefix.size() + kSecretChars || !text.starts_with(kPersonalTokenPrefix)) {
    return false;
  }
  for (char c : text.substr(kPersonalTokenPrefix.size())) {
    if (sextet(c) < 0) return false;
  }
  return true;
}

std::string generate_session_id() { return random_token(kSecretBytes); }

std::string generate_csrf_token() { return random_token(kSecretBytes); }

std::string to_hex(std::span<const std::uint8_t> data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0F];
  }
  return out;
}

std::string token_hash(std::string_view secret) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(secret.data(), secret.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    ERR_clear_error();
    throw AppError::internal("EVP_Digest(sha256) failed");
  }
  return to_hex(std::span(digest.data(), length));
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  if (key.empty()) throw AppError::internal("hmac_sha256_hex: empty key");
  if (key.size() > static_cast<std::size_t>(INT_MAX)) throw AppError::internal("hmac_sha256_hex: key too large");
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), as_bytes(message).data(), message.size(), mac.data(),
           &length) == nullptr) {
    ERR_clear_error();
    throw AppError::internal("HMAC(sha256) failed");
  }
  return to_hex(std::span(mac.data(), length));
}

bool constant_time_equals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace parley::auth
