#include "markdown/url_policy.hpp"

#include <array>

namespace parley::markdown {
namespace {

bool starts_with_ignoring_ascii_case(std::string_view text, std::string_view lower_prefix) noexcept {
  if (text.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower_prefix[i]) return false;
  }
  return true;
}

// RFC 3986 unreserved and reserved characters, and '%' (kept so encoded URLs stay as written).
constexpr bool is_url_char(unsigned char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-': case '.': case '_': case '~':                                        // unreserved
    case ':': case '/': case '?': case '#': case '[': case ']': case '@':          // gen-delims
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+':
    case ',': case ';': case '=':                                                  // sub-delims
    case '%':
      return true;
    default:
      return false;
  }
}

}  // namespace

bool is_allowed_url(std::string_view url) noexcept {
  for (std::string_view prefix : {std::string_view("http://"), std::string_view("https://"), std::string_view("mailto:")}) {
    if (starts_with_ignoring_ascii_case(url, prefix)) return url.size() > prefix.size();
  }
  return false;
}

void append_href(std::string& out, std::string_view url) {
  static constexpr std::array<char, 16> kHex{'0', '1', '2', '3', '4', '5', '6', '7',
                                             '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
  for (char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '&') {
      out.append("&amp;");
    } else if (c == '\'') {
      out.append("&#39;");
    } else if (is_url_char(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
}

}  // namespace parley::markdown
