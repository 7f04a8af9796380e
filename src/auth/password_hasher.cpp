#include "auth/password_hasher.hpp"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace parley::auth {
namespace {

constexpr Argon2Params kOwaspMinimum{};

// Overwrites a password buffer before it is released (best effort: copies the caller made, or
// that std::string made while growing, are out of reach).
void wipe(std::string& secret) noexcept {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

// Owns a password copy for the duration of one pool job and wipes it afterwards.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& secret) noexcept : secret_(secret) {}
  ~WipeOnExit() { wipe(secret_); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  std::string& secret_;
};

bool is_b64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Decoded length of unpadded standard Base64, or nullopt when `text` is not such a string.
std::optional<std::size_t> b64_decoded_length(std::string_view text) {
  if (text.empty() || text.size() % 4 == 1) return std::nullopt;
  for (char c : text) {
    if (!is_b64_char(c)) return std::nullopt;
  }
  return text.size() / 4 * 3 + (text.size() % 4 == 0 ? 0 : text.size() % 4 - 1);
}

// "<key>=<decimal uint32>" -> the number; nullopt otherwise.
std::optional<std::uint32_t> keyed_number(std::string_view field, std::string_view key) {
  if (field.size() <= key.size() + 1 || field.substr(0, key.size()) != key || field[key.size()] != '=') {
    return std::nullopt;
  }
  std::string_view digits = field.substr(key.size() + 1);
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size() || digits.front() == '+' || digits.front() == '-') {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

void check_params(const PasswordHasher::Options& options) {
  const Argon2Params& p = options.params;
  if (p.memory_kib < kOwaspMinimum.memory_kib || p.iterations < kOwaspMinimum.iterations || p.parallelism < 1) {
    throw std::invalid_argument("Argon2id parameters below OWASP's minimum (m=19456 KiB, t=2, p=1)");
  }
  if (options.threads == 0) throw std::invalid_argument("the password hashing pool needs at least one thread");
}

// Standard Base64 without padding, as PHC strings (and libargon2) write it.
std::string b64_unpadded(std::span<const unsigned char> bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char byte : bytes) {
    bits = (bits << 8) | byte;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 0x3F]);
    }
  }
  if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 0x3F]);
  return out;
}

}  // namespace

std::string unmatchable_argon2id_phc(const Argon2Params& params) {
  std::array<unsigned char, PasswordHasher::kSaltBytes> salt{};
  std::array<unsigned char, PasswordHasher::kHashBytes> hash{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1 ||
      RAND_bytes(hash.data(), static_cast<int>(hash.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return "$argon2id$v=" + std::to_string(ARGON2_VERSION_13) + "$m=" + std::to_string(params.memory_kib) +
         ",t=" + std::to_string(params.iterations) + ",p=" + std::to_string(params.parallelism) + "$" +
         b64_unpadded(salt) + "$" + b64_unpadded(hash);
}

std::optional<PhcArgon2> parse_phc_argon2(std::string_view encoded) {
  // "" / algorithm / [v=NN] / m=..,t=..,p=.. / salt / hash
  std::vector<std::string_view> parts = split(encoded, '$');
  if (parts.size() != 5 && parts.size() != 6) return std::nullopt;
  if (!parts[0].empty()) return std::nullopt;

  PhcArgon2 result;
  std::string_view algorithm = parts[1];
  if (algorithm != "argon2id" && algorithm != "argon2i" && algorithm != "argon2d") return std::nullopt;
  result.algorithm = std::string(algorithm);

  std::size_t next = 2;
  if (parts.size() == 6) {
    auto version = keyed_number(parts[2], "v");
    if (!version) return std::nullopt;
    result.version = *version;
    next = 3;
  } else {
    result.version = ARGON2_VERSION_10;
  }

  std::vector<std::string_view> costs = split(parts[next], ',');
  if (costs.size() != 3) return std::nullopt;
  auto m = keyed_number(costs[0], "m");
  auto t = keyed_number(costs[1], "t");
  auto p = keyed_number(costs[2], "p");
  if (!m || !t || !p) return std::nullopt;
  result.params = Argon2Params{.memory_kib = *m, .iterations = *t, .parallelism = *p};

  auto salt = b64_decoded_length(parts[next + 1]);
  auto hash = b64_decoded_length(parts[next + 2]);
  if (!salt || !hash) return std::nullopt;
  result.salt_bytes = *salt;
  result.hash_bytes = *hash;
  return result;
}

PasswordHasher::PasswordHasher() : PasswordHasher(Options{}) {}

PasswordHasher::PasswordHasher(Options options)
    : params_((check_params(options), options.params)),
      // Not the hash of a random secret (one Argon2id run, ~50 ms of start-up on one core): a
      // random string with the same parameters costs dummy_verify the same work.
      dummy_hash_(unmatchable_argon2id_phc(params_)),
      pool_(options.threads) {}

PasswordHasher::~PasswordHasher() {
  // Let queued and running hashes finish: their coroutines reference this object.
  pool_.join();
}

std::string PasswordHasher::hash_blocking(std::string_view password) const {
  if (password.size() > kMaxPasswordBytes) throw std::invalid_argument("password too long to hash");
  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) throw std::runtime_error("RAND_bytes failed");

  std::string encoded(
      argon2_encodedlen(params_.iterations, params_.memory_kib, params_.parallelism, kSaltBytes, kHashBytes, Argon2_id),
      '\0');
  int rc = argon2id_hash_encoded(params_.iterations, params_.memory_kib, params_.parallelism, password.data(),
                                 password.size(), salt.data(), salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2id_hash_encoded: ") + argon2_error_message(rc));
  encoded.resize(encoded.find('\0'));  // the buffer is sized for the terminator
  return encoded;
}

bool PasswordHasher::verify_blocking(std::string_view password, std::string_view encoded) const {
  if (password.size() > kMaxPasswordBytes) return false;
  auto phc = parse_phc_argon2(encoded);
  if (!phc || phc->algorithm != "argon2id") return false;
  const std::string terminated(encoded);  // libargon2 reads a NUL-terminated string
  int rc = argon2id_verify(terminated.c_str(), password.data(), password.size());
  if (rc == ARGON2_OK) return true;
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR) {
    throw std::runtime_error(std::string("argon2id_verify: ") + argon2_error_message(rc));
  }
  return false;  // ARGON2_VERIFY_MISMATCH, or a string libargon2 cannot decode
}

bool PasswordHasher::dummy_verify_blocking(std::string_view password) const {
  // The result is discarded on purpose: only the time spent matters.
  (void)verify_blocking(password, dummy_hash_);
  return false;
}

bool PasswordHasher::needs_rehash(std::string_view encoded) const {
  auto phc = parse_phc_argon2(encoded);
  if (!phc) return true;
  return phc->algorithm != "argon2id" || phc->version != ARGON2_VERSION_13 ||
         phc->params.memory_kib < params_.memory_kib || phc->params.iterations < params_.iterations ||
         phc->params.parallelism != params_.parallelism || phc->salt_bytes < kSaltBytes || phc->hash_bytes < kHashBytes;
}

// The jobs are named locals, not temporaries inside the co_await expression: GCC 12 destroys a
// lambda temporary that holds a moved-in coroutine parameter twice when the coroutine suspends in
// that full-expression (seen as a double free of the captured std::string).

boost::asio::awaitable<std::string> PasswordHasher::hash(std::string password) {
  auto job = [this, password = std::move(password)]() mutable {
    WipeOnExit wipe_password(password);
    return hash_blocking(password);
  };
  co_return co_await run_on_pool(std::move(job));
}

boost::asio::awaitable<bool> PasswordHasher::verify(std::string password, std::string encoded) {
  auto job = [this, password = std::move(password), encoded = std::move(encoded)]() mutable {
    WipeOnExit wipe_password(password);
    return verify_blocking(password, encoded);
  };
  co_return co_await run_on_pool(std::move(job));
}

boost::asio::awaitable<bool> PasswordHasher::dummy_verify(std::string password) {
  auto job = [this, password = std::move(password)]() mutable {
    WipeOnExit wipe_password(password);
    return dummy_verify_blocking(password);
  };
  co_return co_await run_on_pool(std::move(job));
}

}  // namespace parley::auth
