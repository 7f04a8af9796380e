#include "messaging/input_rules.hpp"

#include <cstdint>

namespace parley::messaging {
namespace {

// Decodes one code point of valid UTF-8 at `i`, advancing it; -1 on malformed input (overlong
// forms, surrogates and values past U+10FFFF included).
std::int32_t next_code_point(std::string_view s, std::size_t& i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return -1;
  }
  if (i + len > s.size()) return -1;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += len;
  return static_cast<std::int32_t>(cp);
}

bool is_shortcode_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-';
}

// Whitespace, controls and invisible formatting characters, except those emoji sequences need.
bool is_forbidden_in_emoji(std::int32_t cp) noexcept {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0xA0)) return true;
  if (cp == 0x200D) return false;                                                        // zero-width joiner
  if ((cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0020 && cp <= 0xE007F)) return false;  // selectors, tags
  if (cp == 0x00AD || cp == 0x061C || cp == 0x180E || cp == 0x3000 || cp == 0xFEFF) return true;
  if (cp >= 0x2000 && cp <= 0x200F) return true;  // spaces, ZWSP, ZWNJ, direction marks
  if (cp >= 0x2028 && cp <= 0x202F) return true;  // separators, bidi embedding
  if (cp >= 0x2060 && cp <= 0x206F) return true;  // word joiner, bidi isolates
  if (cp >= 0xFFF0 && cp <= 0xFFFF) return true;  // specials
  return false;
}

}  // namespace

std::size_t code_points(std::string_view text) noexcept {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

bool is_valid_emoji(std::string_view emoji) noexcept {
  if (emoji.empty() || emoji.size() > 64) return false;
  bool shortcode = emoji.size() <= 32;
  for (char c : emoji) shortcode = shortcode && is_shortcode_char(c);
  if (shortcode) return true;
  std::size_t count = 0;
  for (std::size_t i = 0; i < emoji.size();) {
    const std::int32_t cp = next_code_point(emoji, i);
    if (cp < 0 || ++count > 16 || is_forbidden_in_emoji(cp)) return false;
    if (cp < 0x80 && !((cp >= '0' && cp <= '9') || cp == '#' || cp == '*')) return false;
  }
  return true;
}

bool is_valid_client_msg_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxClientMsgIdLength) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

}  // namespace parley::messaging
