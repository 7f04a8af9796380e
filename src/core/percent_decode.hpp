#pragma once
// Percent-decoding (RFC 3986 section 2.1) for URLs and query strings.
#include <optional>
#include <string>
#include <string_view>

namespace parley {

// `in` with every %XY replaced by its byte; nullopt when a '%' is not followed by two hex digits.
// `plus_is_space` for query strings (application/x-www-form-urlencoded).
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space = false);

}  // namespace parley
