#include "webhooks/signature.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <vector>

#include "auth/tokens.hpp"
#include "core/error.hpp"

namespace parley::webhooks {
namespace {

constexpr std::size_t kMacHexChars = 64;         // hex of a SHA-256 output
constexpr std::size_t kMaxTimestampDigits = 19;  // INT64_MAX has 19 digits

// The elements of a header that verify() needs, viewing into the header.
struct ParsedHeader {
  std::string_view timestamp;  // `t` as written: the MAC covers exactly these characters
  std::int64_t unix_seconds = 0;
  std::vector<std::string_view> macs;  // every `v1`
};

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_lower_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f'); }

// Keys are short lower-case words ("t", "v1", a future "v2").
bool is_key(std::string_view key) noexcept {
  return !key.empty() &&
         std::all_of(key.begin(), key.end(), [](char c) { return is_digit(c) || (c >= 'a' && c <= 'z'); });
}

// Values of unknown keys are only required to be visible ASCII: whitespace anywhere makes the whole
// header malformed, which keeps one spelling per header (no "t=1, v1=..." variants to get wrong).
bool is_visible_ascii(std::string_view value) noexcept {
  return std::all_of(value.begin(), value.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

std::optional<std::int64_t> parse_unix_seconds(std::string_view text) {
  if (text.empty() || text.size() > kMaxTimestampDigits || !std::all_of(text.begin(), text.end(), is_digit)) {
    return std::nullopt;  // from_chars alone would accept a leading '-'
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;  // over INT64_MAX
  return value;
}

bool is_mac(std::string_view value) noexcept {
  return value.size() == kMacHexChars && std::all_of(value.begin(), value.end(), is_lower_hex);
}

// Applies one "key=value" element to `out`; false when it makes the header malformed.
bool read_element(std::string_view element, ParsedHeader& out, bool& have_timestamp) {
  const auto eq = element.find('=');
  if (eq == std::string_view::npos) return false;
  const std::string_view key = element.substr(0, eq);
  const std::string_view value = element.substr(eq + 1);
  if (!is_key(key) || value.empty() || !is_visible_ascii(value)) return false;
  if (key == "t") {
    auto seconds = parse_unix_seconds(value);
    if (have_timestamp || !seconds) return false;  // two times would make "which one?" ambiguous
    have_timestamp = true;
    out.timestamp = value;
    out.unix_seconds = *seconds;
  } else if (key == "v1") {
    if (!is_mac(value)) return false;
    out.macs.push_back(value);
  }
  return true;  // other keys: a scheme this receiver does not know, ignored
}

std::optional<ParsedHeader> parse_header(std::string_view header) {
  ParsedHeader parsed;
  bool have_timestamp = false;
  std::size_t start = 0;
  while (true) {
    const auto comma = header.find(',', start);
    const std::string_view element = header.substr(start, comma == std::string_view::npos ? comma : comma - start);
    if (!read_element(element, parsed, have_timestamp)) return std::nullopt;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (!have_timestamp || parsed.macs.empty()) return std::nullopt;
  return parsed;
}

// |t - now| <= tolerance, without overflow for any pair of 64-bit values.
bool within_tolerance(std::int64_t t, std::int64_t now, std::chrono::seconds tolerance) noexcept {
  if (tolerance.count() < 0) return false;
  std::int64_t difference = 0;
  if (__builtin_sub_overflow(t, now, &difference)) return false;             // far beyond any tolerance
  if (difference == std::numeric_limits<std::int64_t>::min()) return false;  // no positive counterpart
  return (difference < 0 ? -difference : difference) <= tolerance.count();
}

// The MAC of the signed payload "t.body" (t as written in the header).
std::string mac(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string payload;
  payload.reserve(timestamp.size() + 1 + body.size());
  payload.append(timestamp).append(".").append(body);
  return auth::hmac_sha256_hex(secret, payload);
}

}  // namespace

std::string sign(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
  if (unix_seconds < 0) throw AppError::internal("webhook signature: negative time");
  const std::string timestamp = std::to_string(unix_seconds);
  return "t=" + timestamp + ",v1=" + mac(secret, timestamp, body);
}

bool verify(std::string_view secret, std::string_view header, std::string_view body, std::int64_t now_unix,
            std::chrono::seconds tolerance) {
  if (secret.empty()) throw AppError::internal("webhook signature: empty secret");
  auto parsed = parse_header(header);
  if (!parsed || !within_tolerance(parsed->unix_seconds, now_unix, tolerance)) return false;
  const std::string expected = mac(secret, parsed->timestamp, body);
  // Every candidate is compared (no early exit), so the time taken does not say which one matched.
  bool matched = false;
  for (std::string_view candidate : parsed->macs) matched |= auth::constant_time_equals(expected, candidate);
  return matched;
}

}  // namespace parley::webhooks
