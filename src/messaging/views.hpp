#pragma once
// docs/api.md's Conversation and Message objects as JSON, and their OpenAPI schemas.
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_writer.hpp"
#include "db/repositories/attachment_repository.hpp"
#include "db/repositories/conversation_repository.hpp"
#include "db/repositories/message_repository.hpp"
#include "db/repositories/reaction_repository.hpp"
#include "db/repositories/user_repository.hpp"

namespace parley::messaging {

// Characters (code points) of a last-message preview.
inline constexpr std::size_t kPreviewLength = 120;

// `body` with runs of whitespace collapsed to one space, trimmed, cut to kPreviewLength code
// points with "…" when longer. Markdown is left as written.
std::string message_preview(std::string_view body);

// A conversation as the viewer sees it (my_role null when not a member).
boost::json::object conversation_json(const db::repositories::ConversationSummary& summary);
boost::json::value conversation_schema();

// A conversation as every member sees it (event payloads): no per-viewer fields.
boost::json::object conversation_event_json(const db::repositories::Conversation& conversation,
                                            std::int64_t member_count);

// {id, username, display_name}.
boost::json::object sender_json(const db::repositories::User& user);

// Everything docs/api.md's Message shows, as loaded for one viewer.
struct MessageView {
  db::repositories::Message message;
  db::repositories::User sender;
  std::vector<db::repositories::ReactionCount> reactions;  // `me` relative to the viewer
  std::vector<std::int64_t> mentions;                      // user ids, ascending
  std::vector<db::repositories::Attachment> attachments;   // in position order
};

// The one definition of a message's JSON: written straight into a document (pages, sends), as
// text, or as a DOM for the documents that embed it (search results).
void write_message(core::JsonWriter& out, const MessageView& view);
std::string message_json_text(const MessageView& view, core::KeyCase keys = core::KeyCase::as_written);
// The same as a DOM built in `storage` (no text written and parsed back).
boost::json::value message_dom(const MessageView& view, core::KeyCase keys = core::KeyCase::as_written,
                               boost::json::storage_ptr storage = {});
boost::json::object message_json(const MessageView& view);
boost::json::value message_schema();

}  // namespace parley::messaging
