#pragma once
// Webhook signing secrets at rest: sealed with AES-256-GCM under a key derived from
// PARLEY_SECRET_KEY (SHA-256 of a purpose label and the server secret), so a copy of the database
// alone does not let anyone forge deliveries. The sealed text is "v1." + base64url(nonce (12 bytes)
// || ciphertext || tag (16 bytes)); a new random nonce each time.
//
// Changing PARLEY_SECRET_KEY makes existing secrets unreadable: their deliveries fail with a
// clear error until the webhook's secret is rotated (PATCH with "rotate_secret": true).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::webhooks {

class SecretBox {
 public:
  // `server_secret` may be empty (development); a fixed development key is used then, and
  // `parley check --deploy` refuses an empty secret anyway.
  explicit SecretBox(std::string_view server_secret);

  std::string seal(std::string_view plaintext) const;
  // Throws AppError::internal when the text is not sealed by this box (another key, tampered).
  std::string open(std::string_view sealed) const;

 private:
  std::array<std::uint8_t, 32> key_{};
};

}  // namespace parley::webhooks
