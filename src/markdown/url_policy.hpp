#pragma once
// Which link destinations rendered Markdown may keep, and how they are written into href.
// Pure functions; thread-safe.
#include <string>
#include <string_view>

namespace parley::markdown {

// True when `url` (a destination as cmark-gfm decoded it: entities and backslash escapes resolved)
// starts with "http://", "https://" or "mailto:" (ASCII case-insensitive) and has something after
// the scheme. Everything else is refused: other schemes (javascript:, data:, vbscript:, file:,
// ...), relative and protocol-relative URLs, and any destination with a leading space or control
// character (obfuscations such as "java\tscript:" never start with an allowed prefix).
bool is_allowed_url(std::string_view url) noexcept;

// Appends `url` for use inside a double-quoted href attribute: characters outside the URL
// character set (RFC 3986 unreserved + reserved + '%') are percent-encoded byte by byte,
// '&' becomes "&amp;" and '\'' becomes "&#39;".
void append_href(std::string& out, std::string_view url);

}  // namespace parley::markdown
