#pragma once
// HTML escaping for text that Parley puts into HTML it generates (rendered Markdown, search
// snippets). Pure functions; thread-safe.
#include <string>
#include <string_view>

namespace parley {

// Appends `text` to `out` with & < > " ' replaced by character references, so the result is safe
// both as element content and inside a double- or single-quoted attribute value. Bytes are copied
// otherwise unchanged (the caller provides valid UTF-8).
void append_html_escaped(std::string& out, std::string_view text);

// `text` escaped as by append_html_escaped.
std::string html_escape(std::string_view text);

}  // namespace parley
