#include "webhooks/secret_box.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <memory>

#include "auth/tokens.hpp"
#include "core/error.hpp"

namespace parley::webhooks {

namespace {

constexpr std::size_t kNonce = 12;
constexpr std::size_t kTag = 16;
constexpr std::string_view kPrefix = "v1.";

using Cipher = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

Cipher new_cipher() {
  Cipher ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw AppError::internal("webhook secret box: EVP_CIPHER_CTX_new failed");
  return ctx;
}

const unsigned char* bytes(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

}  // namespace

SecretBox::SecretBox(std::string_view server_secret, const std::vector<std::string>& fallbacks) {
  auto derive = [this](std::string_view secret) {
    const std::string material = "parley/webhook-secrets/v1\n" + std::string(secret);
    SHA256(bytes(material), material.size(), keys_.emplace_back().data());
  };
  // An empty secret (development) stands for a fixed key, as a fallback too: a deployment that
  // started without one can move to a real key.
  constexpr std::string_view kDevelopment = "development-only secret";
  derive(server_secret.empty() ? kDevelopment : server_secret);
  for (const auto& fallback : fallbacks) derive(fallback.empty() ? kDevelopment : std::string_view(fallback));
}

std::string SecretBox::seal(std::string_view plaintext) const {
  std::string out(kNonce + plaintext.size() + kTag, '\0');
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(data, kNonce) != 1) throw AppError::internal("webhook secret box: RAND_bytes failed");
  auto ctx = new_cipher();
  int written = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, keys_.front().data(), data) != 1 ||
      EVP_EncryptUpdate(ctx.get(), data + kNonce, &written, bytes(plaintext), static_cast<int>(plaintext.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx.get(), data + kNonce + written, &written) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, data + kNonce + plaintext.size()) != 1) {
    throw AppError::internal("webhook secret box: encryption failed");
  }
  return std::string(kPrefix) + auth::base64url_encode(out);
}

std::pair<std::string, std::size_t> SecretBox::open_with_index(std::string_view sealed) const {
  auto fail = [] {
    return AppError::internal(
        "webhook secret cannot be opened (PARLEY_SECRET_KEY changed without PARLEY_SECRET_KEY_FALLBACKS?)");
  };
  if (!sealed.starts_with(kPrefix)) throw fail();
  auto raw = auth::base64url_decode(sealed.substr(kPrefix.size()));
  if (!raw || raw->size() < kNonce + kTag) throw fail();
  const std::size_t length = raw->size() - kNonce - kTag;
  auto* data = reinterpret_cast<unsigned char*>(raw->data());
  for (std::size_t k = 0; k < keys_.size(); ++k) {
    std::string plain(length, '\0');
    auto ctx = new_cipher();
    int written = 0;
    // GCM's tag authenticates: a wrong key fails at the final step, never yields wrong plaintext.
    if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, keys_[k].data(), data) == 1 &&
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &written, data + kNonce,
                          static_cast<int>(length)) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, data + kNonce + length) == 1 &&
        EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + written, &written) == 1) {
      return {std::move(plain), k};
    }
  }
  throw fail();
}

std::string SecretBox::open(std::string_view sealed) const { return open_with_index(sealed).first; }

std::optional<std::string> SecretBox::reseal(std::string_view sealed) const {
  auto [plain, key] = open_with_index(sealed);
  if (key == 0) return std::nullopt;
  return seal(plain);
}

}  // namespace parley::webhooks
