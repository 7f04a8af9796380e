#pragma once
// Message actions: send (Markdown rendered once, mentions resolved, idempotent by client_msg_id),
// pages by id cursor, edits with history, soft delete, reactions and search. Each write owns its
// transaction and records its events in it; they are published after the commit.
//
// Events (recipients: the conversation's members): message.created, message.updated,
// message.deleted, reaction.added, reaction.removed.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "db/repositories/message_repository.hpp"
#include "db/repositories/search_repository.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "messaging/access.hpp"
#include "messaging/context.hpp"
#include "messaging/views.hpp"

namespace parley::messaging {

struct SendInput {
  std::string body;  // Markdown; at most kMaxBodyLength code points; may be empty with attachments
  bool has_body = true;  // false: the client sent no body (required unless there are attachments)
  std::optional<std::int64_t> parent_id;
  std::optional<std::string> client_msg_id;  // 1 to 64 visible ASCII characters
  std::vector<std::int64_t> attachment_ids;  // at most kMaxAttachmentsPerMessage, distinct
};

// The rules of a send's input (docs/api.md "Messages") as DRF field errors; empty when valid.
// Messages::send throws them as a 400 validation error; REST's handler adds them to the errors of
// the body's shape first, so one problem lists everything wrong with a request. Written once here
// for every API (REST, GraphQL).
FieldErrors send_input_errors(const SendInput& input);
// The same for an edit's new body.
FieldErrors edit_input_errors(std::string_view body);

struct SentMessage {
  std::string json;      // the message as JSON text: the answer, and the data of its event
  bool created = false;  // false: a retry with a known client_msg_id; `json` is the original
};

struct MessageListing {
  std::vector<MessageView> messages;  // ascending id
  bool has_older = false;
  bool has_newer = false;
};

struct HistoryEntry {
  db::repositories::MessageEdit edit;
  db::repositories::User editor;
};

struct SearchResult {
  db::repositories::SearchHit hit;
  MessageView view;
};

struct SearchListing {
  std::vector<SearchResult> results;
  bool more = false;
};

class SendBatcher;

class Messages {
 public:
  // On PostgreSQL, top-level sends without attachments are written in batches (SendBatcher).
  explicit Messages(MessagingContext& ctx);
  ~Messages();
  Messages(const Messages&) = delete;
  Messages& operator=(const Messages&) = delete;

  // 404 unless the caller is a member.
  boost::asio::awaitable<MessageListing> list(http::Principal by, std::int64_t conversation_id,
                                              db::repositories::PageQuery query);
  // The same with the caller's access to the conversation already loaded in this request
  // (Conversations::check_visible): one statement fewer. Never an access kept across requests.
  boost::asio::awaitable<MessageListing> list(http::Principal by, const ConversationAccess& access,
                                              db::repositories::PageQuery query);
  // docs/api.md's page of messages as JSON text ({"results", "next", "previous"}), from the cache when
  // one is configured (docs/caching.md: per conversation, viewer and query; invalidated by every
  // write to the conversation before the write returns). 404 unless the caller is a member.
  boost::asio::awaitable<std::string> page(http::Principal by, std::int64_t conversation_id,
                                           db::repositories::PageQuery query);
  // 400 with send_input_errors() when the input breaks a rule. On PostgreSQL a top-level send
  // without attachments joins a batch of concurrent sends (messaging/send_batcher.hpp); the answer
  // and the events are the same either way.
  boost::asio::awaitable<SentMessage> send(http::Principal by, std::int64_t conversation_id, SendInput input);
  boost::asio::awaitable<MessageView> get(http::Principal by, std::int64_t message_id);
  // Sender only, within the edit window, not deleted; 400 with edit_input_errors() first.
  boost::asio::awaitable<MessageView> edit(http::Principal by, std::int64_t message_id, std::string body);
  // Sender, conversation owner/admin, or site admin. Idempotent.
  boost::asio::awaitable<void> remove(http::Principal by, std::int64_t message_id);
  boost::asio::awaitable<std::vector<HistoryEntry>> history(http::Principal by, std::int64_t message_id);
  // Idempotent: adding a reaction twice or removing an absent one changes nothing and emits nothing.
  // 400 invalid_emoji (no field errors: REST takes the emoji from the path) unless is_valid_emoji().
  boost::asio::awaitable<void> react(http::Principal by, std::int64_t message_id, std::string emoji, bool add);
  // Full-text search over the conversations the caller is a member of (query.viewer_id is set
  // here); `limit` results from `offset`.
  boost::asio::awaitable<SearchListing> search(http::Principal by, db::repositories::SearchQuery query);
  // Every message of the conversation as NDJSON (one export_json object per line, by id, deleted
  // ones in place), streamed from a database cursor in batches of kExportBatch: memory stays flat
  // whatever the conversation's size. 404 unless the caller is a member; the check happens here,
  // the rows are read while the returned producer runs.
  boost::asio::awaitable<http::BodyProducer> export_conversation(http::Principal by, std::int64_t conversation_id);
  static constexpr std::size_t kExportBatch = 500;

  // The JSON of page() for `listing`, read with `query`.
  static std::string page_json(std::int64_t conversation_id, const db::repositories::PageQuery& query,
                               const MessageListing& listing);

 private:
  // list()'s work once the caller's access is known. Arguments by reference: the callers' co_await
  // expressions create no temporaries (GCC 12 destroys those twice).
  boost::asio::awaitable<MessageListing> list_with_access(const http::Principal& by, const ConversationAccess& access,
                                                          const db::repositories::PageQuery& query);
  // Everything a message's JSON shows, for a page of messages, in four statements whatever the
  // page size.
  boost::asio::awaitable<std::vector<MessageView>> load_views(db::Executor& db,
                                                              std::vector<db::repositories::Message> messages,
                                                              std::int64_t viewer_id);
  // The view of a message this transaction just created by `sender`: no reactions yet and the
  // mentions just resolved, so only the attachments (when it has any) are read.
  boost::asio::awaitable<MessageView> fresh_view(db::Executor& db, db::repositories::Message message,
                                                 db::repositories::User sender, std::vector<std::int64_t> mentions,
                                                 bool has_attachments);
  // The message and its conversation as the caller may see them: 404 unless a member.
  struct Located {
    db::repositories::Message message;
    ConversationAccess access;
  };
  boost::asio::awaitable<Located> locate(db::Executor& db, std::int64_t message_id, const http::Principal& by);

  // send() through the batcher: renders here, then waits for the batch's check and commit.
  // nullopt: send it alone (a known client_msg_id, or a batch that failed before committing).
  boost::asio::awaitable<std::optional<SentMessage>> send_batched(const http::Principal& by,
                                                                  std::int64_t conversation_id, const SendInput& in);

  MessagingContext& ctx_;
  std::unique_ptr<SendBatcher> batcher_;  // null on SQLite (one writer: nothing to share)
};

}  // namespace parley::messaging
