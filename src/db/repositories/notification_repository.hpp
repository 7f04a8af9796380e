#pragma once
// Email notifications (tables notification_pending, notification_state, notification_dispatch;
// docs/notifications.md).
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

// One message of a digest, with what the mail shows about it.
struct DigestRow {
  std::int64_t message_id = 0;
  std::int64_t conversation_id = 0;
  std::string conversation_kind;  // direct | group | channel
  std::string conversation_name;  // "" for a direct conversation
  std::string sender_username;
  std::string sender_display_name;
  std::string body;  // the Markdown source as typed (never the rendered HTML)
  std::string created_at;
  std::string reason;  // mention | direct | all
};

class NotificationRepository {
 public:
  explicit NotificationRepository(Dialect dialect);

  // The dispatcher's cursor, locked until `tx` ends (FOR UPDATE on PostgreSQL; SQLite's write
  // transaction serializes anyway).
  boost::asio::awaitable<std::int64_t> lock_cursor(Executor& tx);
  boost::asio::awaitable<void> advance_cursor(Executor& tx, std::int64_t position);
  // The newest event position in (after, after + span], or nullopt when there is none.
  boost::asio::awaitable<std::optional<std::int64_t>> last_event_within(Executor& tx, std::int64_t after,
                                                                        std::int64_t span);

  // Writes a pending row for every (recipient, message) of the message.created events in
  // (after, upto] that the recipient's settings ask mail about: a direct message (conversation not
  // muted), a mention of them, or any message of an unmuted conversation with "all"; never the
  // sender, a banned or later-joined member, a deactivated user or a bot, "none", or a message
  // they have read. Returns the distinct users that got a row, ascending. One statement.
  boost::asio::awaitable<std::vector<std::int64_t>> add_pending(Executor& tx, std::int64_t after, std::int64_t upto);

  // Marks that `user_id` has a digest scheduled; true when none was (the caller enqueues one in
  // `tx`). Locks the user's state row until `tx` ends.
  boost::asio::awaitable<bool> schedule(Executor& tx, std::int64_t user_id);

  // The digest job `job_id` takes `user_id`'s waiting rows: clears the scheduled flag (locking the
  // state row: a dispatcher adding rows meanwhile either commits first, and its rows are taken
  // here, or after, and schedules the next digest) and marks the rows as this job's.
  // Returns how many rows it took.
  boost::asio::awaitable<std::int64_t> take(Executor& tx, std::int64_t user_id, std::int64_t job_id);

  // The rows job `job_id` took that are still worth mailing now: message not deleted, recipient
  // still a member and not banned, message unread, recipient not active since it arrived
  // (users.last_seen_at before the message), and their current setting still asks for it.
  // By conversation, then message id.
  boost::asio::awaitable<std::vector<DigestRow>> digest_rows(Executor& db, std::int64_t user_id, std::int64_t job_id);

  // Deletes the rows job `job_id` took and, when `sent`, records the digest on the state row.
  boost::asio::awaitable<void> finish(Executor& tx, std::int64_t user_id, std::int64_t job_id, bool sent);

 private:
  struct Queries {
    Query lock_cursor, advance_cursor, last_event_within, add_pending, schedule, unschedule, take, digest_rows,
        delete_taken, record_sent;
  };
  Queries q_;
};

}  // namespace parley::db::repositories
