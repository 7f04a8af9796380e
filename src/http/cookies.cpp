#include "http/cookies.hpp"

namespace parley::http {
namespace {

bool is_token_char(char c) noexcept {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

std::string_view trim_spaces(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of one `name=value` pair when it is well-formed, else nullopt.
std::optional<std::string_view> pair_value(std::string_view pair, std::string_view name) noexcept {
  auto eq = pair.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  auto key = pair.substr(0, eq);
  if (key.empty()) return std::nullopt;
  for (char c : key) {
    if (!is_token_char(c)) return std::nullopt;
  }
  if (key != name) return std::nullopt;
  auto value = pair.substr(eq + 1);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  for (char c : value) {
    if (!is_cookie_octet(c)) return std::nullopt;
  }
  return value;
}

}  // namespace

bool is_cookie_octet(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x2B) || (u >= 0x2D && u <= 0x3A) || (u >= 0x3C && u <= 0x5B) ||
         (u >= 0x5D && u <= 0x7E);
}

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) noexcept {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto pair = trim_spaces(header.substr(0, semi));
    if (auto value = pair_value(pair, name)) return value;
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return std::nullopt;
}

}  // namespace parley::http
