#pragma once
// Message bodies: Markdown (CommonMark + GFM tables, strikethrough and autolinks) rendered to safe
// HTML, and the mentions written in them (@username, @channel, @here).
//
// Rendering rules (docs/messages.md has the user-facing version):
//  - raw HTML, inline or block, is escaped and shown as text (never passed through, never dropped);
//  - links and autolinks keep their destination only when it starts with http://, https:// or
//    mailto: (ASCII case-insensitive, checked after entity and backslash decoding); any other
//    destination (javascript:, data:, vbscript:, file:, relative, obfuscated) turns the link into
//    its text content;
//  - images are never embedded: an image with a safe URL becomes a link to it labelled with its
//    alt text (the URL when there is none); otherwise its alt text;
//  - every <a> carries rel="nofollow noopener noreferrer" and no target (clients decide where links
//    open); links inside links render as text, so anchors never nest;
//  - a single newline is a line break (<br />), as in chat clients and GitHub comments;
//  - mentions become <span class="mention" data-user-id="42">@alice</span> (resolved users only)
//    and <span class="mention" data-mention="channel|here">@channel</span>.
//
// Mention syntax: '@' at the start of a text run or after a character that is not a username
// character, then a username ([A-Za-z0-9_.-], 1 to 32 characters; trailing dots end the sentence
// and are not part of it; a name followed directly by '@' is part of an address, not a mention).
// Mentions are only recognized in text: never inside code spans, code blocks, raw HTML, link text,
// link destinations, autolinked URLs or e-mail addresses. scan_mentions and render_html agree on
// every mention because both walk the same parsed document.
//
// Thread-safety: every function may be called from many threads at once. cmark-gfm keeps a
// process-wide table of special characters that its extensions switch on and off while parsing
// (github/cmark-gfm#176), so parsing is serialized by a mutex inside this module; building the
// HTML runs in parallel. All cmark-gfm parsing in the process must go through this module.
// Input is expected to be valid UTF-8 of at most 10,000 characters (the caller validates it);
// invalid UTF-8 or NUL bytes are replaced with U+FFFD, never a crash.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct cmark_node;

namespace parley::markdown {

// Longest username (the schema's CHECK).
inline constexpr std::size_t kMaxUsernameLength = 32;

// The mentions written in a body.
struct MentionScan {
  std::vector<std::string> usernames;  // distinct, lower-cased, in order of first appearance, without '@'
  bool channel = false;                // @channel (any case)
  bool here = false;                   // @here (any case)

  bool operator==(const MentionScan&) const = default;
};

// Resolved mentions: lower-cased username -> user id. Only these become mention markup.
using ResolvedMentions = std::unordered_map<std::string, std::int64_t>;

// A parsed body. Parse once to scan mentions and then render with them resolved, instead of
// parsing twice through the free functions. Movable, not copyable (a moved-from Document may only
// be assigned or destroyed); one thread at a time.
class Document {
 public:
  static Document parse(std::string_view body);

  Document(Document&&) noexcept;
  Document& operator=(Document&&) noexcept;
  ~Document();

  MentionScan mentions() const;
  std::string render_html(const ResolvedMentions& resolved) const;

 private:
  struct NodeDeleter {
    void operator()(cmark_node* node) const noexcept;
  };
  explicit Document(cmark_node* root, std::size_t source_size) noexcept;

  std::unique_ptr<cmark_node, NodeDeleter> root_;
  std::size_t source_size_ = 0;  // sizes the output buffer
};

// Mentions in `body` (see the syntax above).
MentionScan scan_mentions(std::string_view body);

// `body` rendered as safe HTML (see the rules above).
std::string render_html(std::string_view body, const ResolvedMentions& resolved);

// True when `c` may appear in a username: ASCII letters, digits, '_', '.', '-'.
constexpr bool is_username_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

}  // namespace parley::markdown
