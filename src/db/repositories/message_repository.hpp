#pragma once
// Messages (tables messages, message_edits): idempotent insert by (sender, client_msg_id),
// id-cursor pages of a conversation or of a thread, edits with history, soft delete.
//
// Several operations run more than one statement (a reply also bumps its parent's reply_count and
// last_reply_at; an edit writes the history row first). Pass an open Transaction to make them
// atomic; with a Database each statement commits on its own.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"
#include "db/read.hpp"

namespace parley::db::repositories {

struct Message {
  std::int64_t id = 0;
  std::int64_t conversation_id = 0;
  std::int64_t sender_id = 0;
  std::optional<std::int64_t> parent_id;
  std::string body;  // "" once deleted
  std::string html;  // "" once deleted
  bool mentions_everyone = false;
  std::optional<std::string> client_msg_id;
  std::int64_t reply_count = 0;
  std::optional<std::string> last_reply_at;
  std::string created_at;
  std::optional<std::string> edited_at;
  std::optional<std::string> deleted_at;

  bool deleted() const noexcept { return deleted_at.has_value(); }
};

struct NewMessage {
  std::int64_t conversation_id = 0;
  std::int64_t sender_id = 0;
  std::optional<std::int64_t> parent_id;  // a top-level message of the same conversation
  std::string body;
  std::string html;
  bool mentions_everyone = false;
  std::optional<std::string> client_msg_id;
};

// A message insert_many() stored for the `slot`-th message it was given.
struct SlottedMessage {
  std::size_t slot = 0;
  Message message;
};

struct InsertedMessage {
  Message message;
  bool created = false;  // false: a retry; `message` is the original
};

// What a page holds: exactly one of before/after/around, or none for the default (the newest
// top-level messages; the oldest replies of a thread).
struct PageQuery {
  std::optional<std::int64_t> parent_id;  // set: the thread of this message; unset: top level
  std::optional<std::int64_t> before;     // ids < before, the newest of them
  std::optional<std::int64_t> after;      // ids > after, the oldest of them
  std::optional<std::int64_t> around;     // limit/2 ids < around, and ids >= around
  int limit = 50;                         // clamped to 1..200
  // Filters (the cursors above count only messages that pass them).
  std::optional<std::int64_t> sender_id;
  std::optional<std::string> since;  // created_at >= since (RFC 3339)
  std::optional<std::string> until;  // created_at < until (RFC 3339)
};

struct MessagePage {
  std::vector<Message> messages;  // ascending id
  bool has_older = false;         // messages with smaller ids exist in the same scope
  bool has_newer = false;         // messages with larger ids exist in the same scope
};

struct MessageEdit {
  std::int64_t id = 0;
  std::int64_t message_id = 0;
  std::int64_t editor_id = 0;
  std::string previous_body;
  std::string previous_html;
  std::string edited_at;
};

// One message of an export, with its sender's names (one row of the export cursor).
struct ExportedMessage {
  Message message;
  std::string sender_username;
  std::string sender_display_name;
};

class MessageRepository {
 public:
  explicit MessageRepository(Dialect dialect);

  // Inserts a message. With a client_msg_id, a retry by the same sender returns the original
  // (created = false) whatever its body; the same client_msg_id in another conversation is 409.
  // A reply increments its parent's reply_count and sets last_reply_at. Throws AppError 400 when
  // parent_id is not a top-level message of the conversation; 400 on a CHECK (body too long).
  boost::asio::awaitable<InsertedMessage> insert(Executor& db, const NewMessage& message);
  // The batched send's write (messaging/send_batcher.hpp), PostgreSQL only (AppError 500
  // elsewhere), to run with other statements (db/read.hpp): one statement inserts the top-level
  // messages (parent_id unset) that a send alone would insert — the sender exists and is an
  // unbanned member of the conversation, which is not archived, and (sender, client_msg_id) is
  // new, nor repeated earlier in `messages` — with ids ascending in their order. Answers with the
  // inserted messages and their positions in `messages`, in order; a message it skipped has none.
  Read<std::vector<SlottedMessage>> insert_many(std::span<const NewMessage> messages) const;
  boost::asio::awaitable<std::optional<Message>> find(Executor& db, std::int64_t id);
  // The messages of `ids` that exist, ascending by id, in one statement.
  boost::asio::awaitable<std::vector<Message>> find_many(Executor& db, std::span<const std::int64_t> ids);
  // A page of top-level messages or of a thread, by id cursor (see PageQuery). Deleted messages
  // keep their place (deleted_at set, body and html empty).
  boost::asio::awaitable<MessagePage> page(Executor& db, std::int64_t conversation_id, const PageQuery& query);
  // Replaces body and html, sets edited_at and records the previous version. nullopt when the
  // message does not exist or is deleted. Authorization is the caller's.
  boost::asio::awaitable<std::optional<Message>> edit(Executor& db, std::int64_t id, std::int64_t editor_id,
                                                      std::string_view body, std::string_view html);
  // Every message of the conversation (top level and replies, deleted ones in place), by id, read
  // from a cursor in batches of `batch_size`: `on_batch` is awaited before the next batch is
  // fetched, so memory stays bounded whatever the conversation's size.
  boost::asio::awaitable<void> stream_conversation(
      Database& db, std::int64_t conversation_id, std::size_t batch_size,
      std::function<boost::asio::awaitable<void>(std::vector<ExportedMessage>&)> on_batch);
  // Earlier versions, oldest first.
  boost::asio::awaitable<std::vector<MessageEdit>> history(Executor& db, std::int64_t message_id);
  // Soft delete: body and html become "", deleted_at is set; the edit history and reactions of
  // the message are removed with its content. Idempotent (a deleted message is returned as is).
  // nullopt when the message does not exist.
  boost::asio::awaitable<std::optional<Message>> soft_delete(Executor& db, std::int64_t id);

 private:
  // Up to `limit` messages of the page's scope (query.parent_id set: that thread) with ids
  // < cursor, newest first (older = true), or > cursor, oldest first.
  boost::asio::awaitable<std::vector<Message>> fetch(Executor& db, std::int64_t conversation_id,
                                                     const PageQuery& query, bool older, std::int64_t cursor,
                                                     std::int64_t limit);

  struct Queries {
    Query insert, find, find_by_client_msg_id, bump_parent, top_before, top_after, thread_before, thread_after, edit,
        history, soft_delete, find_many, export_all;
  };
  Queries q_;
  Dialect dialect_;
};

}  // namespace parley::db::repositories
