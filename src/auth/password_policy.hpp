#pragma once
// The password policy of OWASP ASVS 4.0.3 V2.1 (levels 1-2): 12 to 128 characters counted in
// Unicode code points (V2.1.1, V2.1.2), any character allowed and no composition rules (V2.1.4,
// V2.1.9), not a common or breached password (V2.1.7), and not the account's own username, email
// address or the email's local part.
//
//   PasswordPolicy policy;                          // once, at start-up (starts loading the list)
//   std::vector<std::string> problems = policy.validate(password, username, email);
//   if (!problems.empty()) throw AppError::validation({{"password", std::move(problems)}});
//
// Messages follow Django's password validators so that DRF clients see familiar text.
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <future>
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

// Immutable once the list is loaded, so validate() and is_common() may be called from any number
// of threads at once, also while it loads. Neither copied nor moved: the composition root owns one.
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

  // Opens the list of common passwords at `common_passwords_path` (UTF-8 text, one password per
  // line; a trailing '\r' is dropped, empty lines are skipped; compared case-insensitively) and
  // reads it on a thread of its own, so that start-up does not wait for it (the bundled list,
  // 44k entries, takes a few milliseconds of CPU to load). A check made before the load is done
  // waits for it, on the calling thread (for at most the rest of those milliseconds, and only
  // right after start-up): no password is ever checked against part of the list.
  // Throws std::runtime_error when the file cannot be opened or is empty (0 bytes), so that a
  // wrong path stops the server at start. A read error, or a file with nothing but blank lines,
  // is found by the load: then every check throws std::runtime_error (fails closed; nothing is
  // accepted unchecked). std::system_error when the loading thread cannot be started.
  explicit PasswordPolicy(const std::filesystem::path& common_passwords_path = default_common_passwords_path());

  // A policy over a given list (entries compared case-insensitively), loaded at once; for tests
  // and embedding.
  explicit PasswordPolicy(const std::vector<std::string>& common_passwords);

  PasswordPolicy(const PasswordPolicy&) = delete;
  PasswordPolicy& operator=(const PasswordPolicy&) = delete;

  // Whether the list's load has ended (successfully or not). Never blocks.
  bool loaded() const;

  // How many calls that need the list (validate, is_common, common_password_count,
  // wait_until_loaded) found it still loading and so waited for it. For tests and diagnostics.
  std::size_t checks_that_waited() const noexcept { return checks_that_waited_.load(std::memory_order_relaxed); }

  // Waits for the list's load to end; rethrows its error if it failed.
  void wait_until_loaded() const { (void)common(); }

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

  // The number of distinct entries; waits for the list like every check.
  std::size_t common_password_count() const { return common().size(); }

 private:
  using CommonSet = std::unordered_set<std::string>;  // ASCII-lower-cased entries

  // The whole list; blocks until it is loaded, rethrows the loading error. Thread-safe
  // (shared_future::get() is const and may be called from several threads at once).
  const CommonSet& common() const;

  std::shared_future<CommonSet> common_;  // from std::async (the file) or a ready promise (a vector)
  mutable std::atomic<std::size_t> checks_that_waited_{0};
};

}  // namespace parley::auth
