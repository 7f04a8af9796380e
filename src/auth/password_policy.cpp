#include "auth/password_policy.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <system_error>
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

namespace {

// Reads the whole list from `in` (opened on `path`) into a set: one buffer, one pass, one
// allocation for the buckets (no rehashing). Runs on the loading thread.
std::unordered_set<std::string> read_common_passwords(std::ifstream in, const std::filesystem::path& path) {
  std::string text;
  std::array<char, 64 * 1024> chunk{};
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw std::runtime_error("error reading the common-password list " + path.string());
  std::unordered_set<std::string> common;
  common.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  std::string_view rest(text);
  while (!rest.empty()) {
    std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) common.insert(ascii_lower(line));
  }
  if (common.empty()) throw std::runtime_error("the common-password list " + path.string() + " holds no password");
  return common;
}

}  // namespace

PasswordPolicy::PasswordPolicy(const std::filesystem::path& common_passwords_path) {
  // What can be checked without reading the list is checked here, so that a wrong path or an
  // empty file still stops the server at start-up.
  std::ifstream in(common_passwords_path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the common-password list " + common_passwords_path.string());
  std::error_code ec;
  if (std::filesystem::is_regular_file(common_passwords_path, ec) &&
      std::filesystem::file_size(common_passwords_path, ec) == 0 && !ec) {
    throw std::runtime_error("the common-password list " + common_passwords_path.string() + " is empty");
  }
  // std::launch::async: a thread of its own, started now. The shared state of a std::async future
  // joins that thread when the last future referring to it goes, so a policy destroyed while its
  // list is loading waits for the load to end; nothing outlives the policy.
  common_ = std::async(std::launch::async, read_common_passwords, std::move(in), common_passwords_path).share();
}

PasswordPolicy::PasswordPolicy(const std::vector<std::string>& common_passwords) {
  CommonSet common;
  for (const std::string& password : common_passwords) {
    if (!password.empty()) common.insert(ascii_lower(password));
  }
  std::promise<CommonSet> ready;
  ready.set_value(std::move(common));
  common_ = ready.get_future().share();
}

bool PasswordPolicy::loaded() const { return common_.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }

const PasswordPolicy::CommonSet& PasswordPolicy::common() const {
  if (!loaded()) checks_that_waited_.fetch_add(1, std::memory_order_relaxed);
  return common_.get();
}

bool PasswordPolicy::is_common(std::string_view password) const { return common().contains(ascii_lower(password)); }

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
  if (common().contains(lowered)) problems.emplace_back(kTooCommon);

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
