#pragma once
// The notification digest email (docs/notifications.md): what one mail says about a user's
// unread mentions and direct messages. Pure functions, no I/O; thread-safe.
//
// Everything users wrote (message bodies, names) reaches the mail as plain text: previews are the
// Markdown source with control characters and runs of whitespace collapsed to one space, cut to a
// length; the HTML part escapes every such text (core/html_escape.hpp), so a body such as
// "<img src=x onerror=...>" shows as those characters and never becomes markup.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace parley::notifications {

// One message to list.
struct DigestItem {
  std::int64_t message_id = 0;
  std::int64_t conversation_id = 0;
  std::string conversation_kind;  // direct | group | channel
  std::string conversation_name;  // "" for direct
  std::string sender_name;        // display name, or username when it has none
  std::string body;               // Markdown source
  std::string time_label;         // e.g. "14:05", in the recipient's zone (the caller formats it)
  std::string reason;             // mention | direct | all
};

struct DigestOptions {
  std::string public_url;            // PARLEY_PUBLIC_URL, without a trailing slash
  std::string setting = "mentions";  // the recipient's email_notifications, named in the footer
  std::size_t max_listed = 20;       // messages listed; the rest are counted ("and N more")
  std::size_t preview_chars = 200;   // code points of a preview before "…"
};

struct DigestMail {
  std::string subject;
  std::string text_body;
  std::string html_body;
  std::string unsubscribe_url;  // the notification settings page, for List-Unsubscribe
};

// The digest for `recipient_name` listing `items`, which must be non-empty and ordered by
// conversation, then message id (DigestRow order): one section per conversation in that order,
// the first `max_listed` messages listed, "and N more" after them.
DigestMail compose_digest(std::string_view recipient_name, std::span<const DigestItem> items,
                          const DigestOptions& options);

// `text` on one line: C0/C1 controls, DEL, line and paragraph separators and runs of whitespace
// become one space, leading and trailing space go; then cut to at most `max_chars` code points
// (never inside a UTF-8 sequence), "…" appended when cut. Invalid UTF-8 bytes become U+FFFD.
std::string one_line(std::string_view text, std::size_t max_chars);

// The link to a message in the web client: <public_url>/conversations/<id>?message=<id>.
std::string message_url(std::string_view public_url, std::int64_t conversation_id, std::int64_t message_id);

}  // namespace parley::notifications
