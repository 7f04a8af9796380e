#pragma once
// The password policy of OWASP ASVS 4.0.3 V2.1 (levels 1-2): 12 to 128 characters counted in
// Unicode code points (V2.1.1, V2.1.2), any character allowed and no composition rules (V2.1.4,
// V2.1.9), not a common or breached password (V2.1.7), and not the account's own username, email
// address or the email's local part.
//
//   PasswordPolicy policy;                          // once, at start-up (loads the list)
//   std::vector<std::string> problems = policy.validate(password, username, email);
//   if (!problems.empty()) throw AppError::validation({{"password", std::move(problems)}});
//
// Messages follow Django's password validators so that DRF clients see familiar text.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace parley::auth {

// The number of Unicode code points in `text`, or nullopt when it is not valid UTF-8 (overlong
// forms, surrogates U+D800-U+DFFF, code points above U+10FFFF and truncated sequences are
// invalid). Pure; thread-safe.
std::optional<std::size_t> utf8_code_points(std::string_view text);

// `text` with ASCII letters lower-cased and every other byte unchanged. Pure; thread-safe.
std::string ascii_lower(std::string_view text);

// The bundled list: <source dir>/data/common-passwords.txt (see data/README.md).
std::filesystem::path default_common_passwords_path();

// Immutable after construction, so validate() and is_common() may be called from any number of
// threads at once.
class PasswordPolicy {
 public:
  static constexpr std::size_t kMinLength = 12;   // code points
  static constexpr std::size_t kMaxLength = 128;  // code points

  static constexpr std::string_view kInvalidUtf8 = "This password is not valid UTF-8.";
  static constexpr std::string_view kTooShort = "This password is too short. It must contain at least 12 characters.";
  static constexpr std::string_view kTooLong = "This password is too long. It may contain at most 128 characters.";
  static constexpr std::string_view kTooCommon = "This password is too common.";
  static constexpr std::string_view kSameAsUsername = "The password is too similar to the username.";
  static constexpr std::string_view kSameAsEmail = "The password is too similar to the email address.";

  // Loads the list of common passwords from `common_passwords_path`: UTF-8 text, one password per
  // line (a trailing '\r' is dropped, empty lines are skipped), compared case-insensitively.
  // Throws std::runtime_error when the file cannot be read or holds no password, so that a wrong
  // path never silently turns the check off.
  explicit PasswordPolicy(const std::filesystem::path& common_passwords_path = default_common_passwords_path());

  // A policy over a given list (entries compared case-insensitively); for tests and embedding.
  explicit PasswordPolicy(const std::vector<std::string>& common_passwords);

  // The problems with `password` for the account (`username`, `email`; either may be empty, e.g.
  // on a password change where only one is known), as messages for the "password" field; empty
  // when the password is acceptable. Invalid UTF-8 gives kInvalidUtf8 alone. Otherwise every rule
  // that fails adds its message, in this order: length, common list, username, email. The
  // username and email comparisons are equality after ASCII lower-casing; the email rule also
  // refuses the part before the last '@'.
  std::vector<std::string> validate(std::string_view password, std::string_view username = {},
                                    std::string_view email = {}) const;

  // Whether `password` is on the list, ignoring ASCII case.
  bool is_common(std::string_view password) const;

  std::size_t common_password_count() const noexcept { return common_.size(); }

 private:
  std::unordered_set<std::string> common_;  // ASCII-lower-cased entries
};

}  // namespace parley::auth
