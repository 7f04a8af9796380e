#pragma once
// Reading the Cookie request header (RFC 6265 section 4.2, section 5.4 for what user agents send).
// Pure functions; thread-safe.
#include <optional>
#include <string_view>

namespace parley::http {

// The value of the first well-formed pair named `name` (exact, case-sensitive) in a Cookie header
// value; nullopt when there is none. The header is a list of `name=value` pairs separated by ';'
// (optional spaces around each pair are tolerated, as user agents differ). A pair is malformed and
// skipped when it has no '=', its name is not an RFC 7230 token, or its value holds a character
// outside cookie-octet (optionally wrapped in one pair of double quotes, which are removed). The
// view points into `header`.
std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) noexcept;

// Whether `c` may appear in a cookie value (RFC 6265 cookie-octet: visible ASCII except
// DQUOTE, ',', ';', '\\').
bool is_cookie_octet(char c) noexcept;

}  // namespace parley::http
