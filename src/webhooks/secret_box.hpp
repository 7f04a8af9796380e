#pragma once
// Webhook signing secrets at rest: sealed with AES-256-GCM under a key derived from
// PARLEY_SECRET_KEY (SHA-256 of a purpose label and the server secret), so a copy of the database
// alone does not let anyone forge deliveries. The sealed text is "v1." + base64url(nonce (12 bytes)
// || ciphertext || tag (16 bytes)); a new random nonce each time.
//
// Rotating PARLEY_SECRET_KEY: put the old value in PARLEY_SECRET_KEY_FALLBACKS (as Django's
// SECRET_KEY_FALLBACKS); secrets sealed under it still open, new ones are sealed under the new key,
// and `parley webhooks reseal` re-seals the old ones so the fallback can then be removed. A secret
// no key opens fails its deliveries with a clear error until the webhook's secret is rotated.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::webhooks {

class SecretBox {
 public:
  // `server_secret` may be empty (development); a fixed development key is used then, and
  // `parley check --deploy` refuses an empty secret anyway.
  // `fallbacks`: previous server secrets, tried by open() after the current one (an empty one is
  // the development key, as for `server_secret`).
  explicit SecretBox(std::string_view server_secret, const std::vector<std::string>& fallbacks = {});

  // Always under the current secret.
  std::string seal(std::string_view plaintext) const;
  // Throws AppError::internal when no key opens the text (an unknown key, tampered).
  std::string open(std::string_view sealed) const;
  // The text sealed again under the current secret when a fallback opened it; std::nullopt when
  // the current secret already does. Throws as open() does.
  std::optional<std::string> reseal(std::string_view sealed) const;

 private:
  using Key = std::array<std::uint8_t, 32>;
  // The plaintext and which key opened it (0: the current one).
  std::pair<std::string, std::size_t> open_with_index(std::string_view sealed) const;

  std::vector<Key> keys_;  // the current secret's first, then the fallbacks'
};

}  // namespace parley::webhooks
