#include "uploads/filename.hpp"

#include <cstdint>
#include <vector>

namespace parley::uploads {
namespace {

constexpr char32_t kReplacement = 0xFFFD;
constexpr std::size_t kMaxKeptExtensionBytes = 32;

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Decodes UTF-8 into code points; each invalid or truncated sequence becomes one U+FFFD (for its
// first byte; decoding resumes at the next byte).
std::vector<char32_t> decode_utf8(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto b0 = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    char32_t cp = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 < 0x80) {
      length = 1;
      cp = b0;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      length = 2;
      cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      length = 3;
      cp = b0 & 0x0F;
      if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
      if (b0 == 0xED) hi = 0x9F;  // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      length = 4;
      cp = b0 & 0x07;
      if (b0 == 0xF0) lo = 0x90;  // no overlong forms
      if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    }
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      auto b = static_cast<unsigned char>(text[i + k]);
      if (k == 1 ? (b < lo || b > hi) : !is_continuation(b)) valid = false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (!valid) {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += length;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_removed(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

std::size_t utf8_length(char32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

const char kHex[] = "0123456789ABCDEF";

void append_percent(std::string& out, unsigned char byte) {
  out += '%';
  out += kHex[byte >> 4];
  out += kHex[byte & 0x0F];
}

}  // namespace

std::string sanitize_filename(std::string_view raw) {
  std::vector<char32_t> cps = decode_utf8(raw);
  // Only the last path component: '/' and '\' are ASCII, so they never sit inside a sequence.
  std::size_t start = 0;
  for (std::size_t i = 0; i < cps.size(); ++i) {
    if (cps[i] == '/' || cps[i] == '\\') start = i + 1;
  }
  std::vector<char32_t> kept;
  kept.reserve(cps.size() - start);
  for (std::size_t i = start; i < cps.size(); ++i) {
    if (!is_removed(cps[i])) kept.push_back(cps[i]);
  }
  std::size_t first = 0;
  while (first < kept.size() && (kept[first] == '.' || kept[first] == ' ')) ++first;
  std::size_t last = kept.size();
  while (last > first && kept[last - 1] == ' ') --last;
  if (first == last) return "file";

  // Keep a short extension whole when the name must be cut.
  std::size_t total = 0;
  for (std::size_t i = first; i < last; ++i) total += utf8_length(kept[i]);
  std::size_t extension_at = last;
  if (total > kMaxFilenameBytes) {
    std::size_t bytes = 0;
    for (std::size_t i = last; i > first + 1; --i) {
      bytes += utf8_length(kept[i - 1]);
      if (bytes > kMaxKeptExtensionBytes) break;
      if (kept[i - 1] == '.') {
        extension_at = i - 1;
        break;
      }
    }
  }
  std::size_t extension_bytes = 0;
  for (std::size_t i = extension_at; i < last; ++i) extension_bytes += utf8_length(kept[i]);
  std::string out;
  for (std::size_t i = first; i < extension_at; ++i) {
    if (out.size() + utf8_length(kept[i]) + extension_bytes > kMaxFilenameBytes) break;
    append_utf8(out, kept[i]);
  }
  for (std::size_t i = extension_at; i < last; ++i) append_utf8(out, kept[i]);
  return out;
}

std::string content_disposition(std::string_view type, std::string_view filename) {
  std::string fallback;
  for (char32_t cp : decode_utf8(filename)) {
    if (cp < 0x20 || cp == 0x7F) continue;
    if (cp >= 0x80 || cp == '"' || cp == '\\') {
      fallback += '_';
    } else {
      fallback += static_cast<char>(cp);
    }
  }
  if (fallback.empty()) fallback = "file";
  std::string encoded;
  for (char c : filename) {
    auto byte = static_cast<unsigned char>(c);
    bool attr_char = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
                     std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
    if (attr_char) {
      encoded += c;
    } else {
      append_percent(encoded, byte);
    }
  }
  std::string out(type);
  out += "; filename=\"";
  out += fallback;
  out += "\"; filename*=UTF-8''";
  out += encoded;
  return out;
}

std::string encode_path_segment(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool unreserved = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      append_percent(out, byte);
    }
  }
  return out;
}

}  // namespace parley::uploads
