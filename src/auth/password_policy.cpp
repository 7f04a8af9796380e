#include "auth/password_policy.hpp"

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <utility>

namespace parley::auth {

std::optional<std::size_t> utf8_code_points(std::string_view text) {
  std::size_t count = 0;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length;
    std::uint32_t code_point;
    std::uint32_t minimum;
    if (lead < 0x80) {
      ++i;
      ++count;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
      minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
      minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
      minimum = 0x10000;
    } else {
      return std::nullopt;  // a continuation byte or 0xF8-0xFF where a character should start
    }
    if (n - i < length) return std::nullopt;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < minimum || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return std::nullopt;
    }
    i += length;
    ++count;
  }
  return count;
}

std::string ascii_lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

std::filesystem::path default_common_passwords_path() {
  return std::filesystem::path(PARLEY_SOURCE_DIR) / "data" / "common-passwords.txt";
}

PasswordPolicy::PasswordPolicy(const std::filesystem::path& common_passwords_path) {
  std::ifstream in(common_passwords_path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the common-password list " + common_passwords_path.string());
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) common_.insert(ascii_lower(line));
  }
  if (in.bad()) throw std::runtime_error("error reading the common-password list " + common_passwords_path.string());
  if (common_.empty()) {
    throw std::runtime_error("the common-password list " + common_passwords_path.string() + " is empty");
  }
}

PasswordPolicy::PasswordPolicy(const std::vector<std::string>& common_passwords) {
  for (const std::string& password : common_passwords) {
    if (!password.empty()) common_.insert(ascii_lower(password));
  }
}

bool PasswordPolicy::is_common(std::string_view password) const { return common_.contains(ascii_lower(password)); }

std::vector<std::string> PasswordPolicy::validate(std::string_view password, std::string_view username,
                                                  std::string_view email) const {
  std::vector<std::string> problems;
  const std::optional<std::size_t> length = utf8_code_points(password);
  if (!length) {
    problems.emplace_back(kInvalidUtf8);
    return problems;
  }
  if (*length < kMinLength) problems.emplace_back(kTooShort);
  if (*length > kMaxLength) problems.emplace_back(kTooLong);

  const std::string lowered = ascii_lower(password);
  if (common_.contains(lowered)) problems.emplace_back(kTooCommon);

  if (!username.empty() && lowered == ascii_lower(username)) problems.emplace_back(kSameAsUsername);

  if (!email.empty()) {
    const std::string lowered_email = ascii_lower(email);
    const std::size_t at = lowered_email.rfind('@');
    const bool same_as_local_part =
        at != std::string::npos && at > 0 && std::string_view(lowered_email).substr(0, at) == lowered;
    if (lowered == lowered_email || same_as_local_part) problems.emplace_back(kSameAsEmail);
  }
  return problems;
}

}  // namespace parley::auth
